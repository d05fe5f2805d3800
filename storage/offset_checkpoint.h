#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <utility>

#include "storage/result.h"

namespace storage {

/// (topic, partition) -> offset, e.g. high watermarks.
using partition_offsets = std::map<std::pair<std::string, int32_t>, int64_t>;

/// Kafka's OffsetCheckpointFile (replication-offset-checkpoint and friends), FORMAT.md:
/// "0\n<count>\n<topic> <partition> <offset>\n..." in (topic, partition) order.
/// Reading: missing file -> empty map; a malformed file (version, count, a line that is not
/// topic, int32 partition >= 0, int64 offset, or a partition listed twice) ->
/// errc::corrupt_checkpoint. Writing an illegal topic name or a negative partition is
/// errc::invalid_argument (nothing written). Writing is atomic (tmp + fsync + rename + fsync of the dir).
/// Free functions over a path: callers serialise writers of the same file.
result<partition_offsets> read_offset_checkpoint(const std::filesystem::path& file);
result<void> write_offset_checkpoint(const std::filesystem::path& file,
                                     const partition_offsets& offsets);

}  // namespace storage
