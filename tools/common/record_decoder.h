#pragma once

#include "protocol/records/record_batch.h"
#include "tools/common/cli_result.h"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace tools {

/// One record of a fetched batch, copied out of it.
struct consumed_record {
    int64_t offset = 0;
    int64_t timestamp = -1;
    protocol::records::timestamp_type ts_type = protocol::records::timestamp_type::create_time;
    std::optional<std::string> key;
    std::optional<std::string> value;
    std::vector<std::pair<std::string, std::optional<std::string>>> headers;
};

struct decoded_records {
    std::vector<consumed_record> records;
    /// Offset to fetch next: after the last whole batch seen (control batches included), never
    /// below the offset the fetch started from.
    int64_t next_offset = 0;
};

/// Decodes the whole v2 batches of a Fetch answer's records (a partial batch at the end is
/// left for the next fetch). Records below `from_offset` (a batch may start before the fetch
/// offset) and control batches are skipped. Codecs: none and gzip (zlib); snappy, lz4 and zstd
/// are errors. Corrupt batches (bad CRC, bad lengths) are errors.
cli_result<decoded_records> decode_records(std::span<const uint8_t> bytes, int64_t from_offset);

/// gzip-compresses `data` (for tests of the gzip path; Kafka's GZIPOutputStream format).
std::vector<uint8_t> gzip_compress(std::span<const uint8_t> data);

}  // namespace tools
