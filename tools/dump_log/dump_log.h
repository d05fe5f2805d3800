#pragma once

#include "protocol/records/record_batch.h"
#include "protocol/records/record_batch_builder.h"
#include "tools/dump_log/dump_log_options.h"

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace tools {

/// The records of one batch, for printing. `records` view either the batch's own bytes
/// (uncompressed) or `decompressed`, which this value owns; so the value must outlive any use of
/// the views, and so must the batch bytes.
struct batch_records {
    std::vector<protocol::records::record_view> records;
    std::vector<uint8_t> decompressed;
    /// Non-empty when the records cannot be shown (a records section that does not decompress,
    /// malformed records): a note for the reader, printed after the record lines shown.
    std::string unavailable;
};

/// The one place where brook-dump-log turns a batch into records: compressed batches (gzip,
/// snappy, lz4, zstd) are decompressed first (protocol/records/compression.h), then every batch
/// is walked with protocol::records::record_reader.
batch_records records_of(const protocol::records::batch_view& batch);

/// Kafka's name of a codec as DumpLogSegments prints it ("NONE", "GZIP", ...).
std::string codec_name(protocol::records::compression c);

/// Dumps every file of `options` in order, in Kafka 2.8's DumpLogSegments format, chosen by
/// the file name: <offset>.log, .index, .timeindex, .snapshot, leader-epoch-checkpoint and the
/// offset checkpoint files (*-offset-checkpoint). Dumps go to `out`; problems (missing files,
/// invalid batches with their position and the validation text, index mismatches) go to
/// `err`. Returns the exit code: 0 when every file was read and valid, 1 otherwise. Never
/// throws on bad file content. Runs on the caller's thread; reads files only.
int run_dump_log(const dump_log_options& options, std::ostream& out, std::ostream& err);

}  // namespace tools
