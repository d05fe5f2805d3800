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
/// offset) and control batches are skipped. Every codec Kafka has (none, gzip, snappy, lz4, zstd;
/// protocol::records::batch_records). Corrupt batches (bad CRC, bad lengths, a records section
/// that does not decompress) are errors.
cli_result<decoded_records> decode_records(std::span<const uint8_t> bytes, int64_t from_offset);

}  // namespace tools
