#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace storage {

inline constexpr std::string_view log_suffix = ".log";
inline constexpr std::string_view index_suffix = ".index";
inline constexpr std::string_view time_index_suffix = ".timeindex";
/// Per partition dir: leader epoch -> start offset (leader_epoch_cache.h; Kafka's name).
inline constexpr std::string_view leader_epoch_checkpoint_file = "leader-epoch-checkpoint";
/// Per log dir: high watermark of every partition in it (offset_checkpoint.h; Kafka's name).
inline constexpr std::string_view replication_offset_checkpoint_file =
    "replication-offset-checkpoint";

/// Per log dir: log start offset of every partition in it (Kafka's name and format).
inline constexpr std::string_view log_start_offset_checkpoint_file = "log-start-offset-checkpoint";
/// Per log dir: recovery point (one past the last fsynced offset) of every partition in it.
inline constexpr std::string_view recovery_point_checkpoint_file =
    "recovery-point-offset-checkpoint";

/// "00000000000000000042": base offsets are zero-padded to 20 digits so names sort by offset.
std::string offset_file_stem(int64_t base_offset);
std::filesystem::path segment_file(const std::filesystem::path& dir, int64_t base_offset,
                                   std::string_view suffix);
/// Parses "<20 digits><suffix>"; nullopt for anything else.
std::optional<int64_t> parse_segment_file(std::string_view file_name, std::string_view suffix);

/// "<topic>-<partition>"; the topic may itself contain '-' and '.', so parsing splits at the
/// last '-'. nullopt when the name is not a partition dir.
std::string partition_dir_name(std::string_view topic, int32_t partition);
std::optional<std::pair<std::string, int32_t>> parse_partition_dir(std::string_view name);

/// Kafka's legal topic names: 1..249 chars of [a-zA-Z0-9._-], not "." or "..".
bool is_valid_topic_name(std::string_view topic);

}  // namespace storage
