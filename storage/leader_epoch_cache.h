#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <utility>
#include <vector>

#include "storage/result.h"

namespace storage {

/// One leader epoch and the first offset written in it.
struct epoch_entry {
    int32_t epoch;
    int64_t start_offset;
    bool operator==(const epoch_entry&) const = default;
};

/// Kafka's LeaderEpochFileCache: for one partition replica, which leader epoch started at which
/// offset, so a rejoining follower can find where its log diverged from the leader's
/// (OffsetForLeaderEpoch) and truncate there instead of at the high watermark (KIP-101, KIP-279).
/// Entries are strictly increasing in both epoch and start offset. Every change is written at
/// once to "<partition dir>/leader-epoch-checkpoint" (Kafka's text format, FORMAT.md) with
/// tmp + fsync + rename, so a restart sees the entries the data on disk was written under.
/// Owned by its log; NOT thread-safe (same caller serialisation as the log).
class leader_epoch_cache {
public:
    /// Kafka's UNDEFINED_EPOCH / UNDEFINED_EPOCH_OFFSET, as answered by end_offset_for().
    static constexpr int32_t undefined_epoch = -1;
    static constexpr int64_t undefined_offset = -1;

    /// An empty cache backed by file; nothing is read or written until the first change.
    explicit leader_epoch_cache(std::filesystem::path file) : file_(std::move(file)) {}

    /// Loads file if present (missing or empty file = empty cache). A file that is not Kafka's
    /// format, or whose entries are negative or not strictly increasing in epoch and offset, is
    /// errc::corrupt_checkpoint; errc::io_error when it cannot be read.
    static result<leader_epoch_cache> load(std::filesystem::path file);

    /// Records that epoch starts at start_offset, then persists if anything changed:
    /// - empty cache: added;
    /// - start_offset >= the latest entry's start and epoch <= the latest epoch: ignored (the
    ///   same epoch is already known to start earlier; an epoch never goes back);
    /// - otherwise (a newer epoch, or a start below the latest entry's) as Kafka's assign():
    ///   entries with epoch >= epoch or start_offset >= start_offset are removed from the end,
    ///   then the entry is added. So a leader that recorded (5, 100) and wrote nothing, then
    ///   becomes leader at 6 with the log still ending at 100, ends with (6, 100) alone.
    /// Negative epoch or start_offset is errc::invalid_argument.
    result<void> assign(int32_t epoch, int64_t start_offset);

    /// The latest entry (largest epoch and start offset), nullopt when empty.
    std::optional<epoch_entry> latest() const;
    std::optional<int32_t> latest_epoch() const;

    /// OffsetForLeaderEpoch for a log ending at log_end_offset: {epoch, end_offset} where epoch
    /// is the largest known epoch <= requested and end_offset the start offset of the next known
    /// epoch, or log_end_offset when requested is the latest epoch. {-1, -1} (undefined) when
    /// the cache is empty, requested is below the first known epoch (Kafka 2.0's answer; the
    /// follower then falls back to its high watermark) or above the latest one (Kafka's
    /// answer in all versions: a leader's latest epoch is its current one).
    std::pair<int32_t, int64_t> end_offset_for(int32_t requested, int64_t log_end_offset) const;

    /// The log was truncated to end at end_offset: entries with start_offset >= end_offset go.
    /// Persists if anything changed.
    result<void> truncate_from_end(int64_t end_offset);
    /// The log now starts at start_offset: entries starting at or before it go, except that the
    /// last of them is kept with its start moved up to start_offset (its epoch still covers the
    /// first remaining offsets; Kafka's truncateFromStart). Persists if anything changed.
    result<void> truncate_from_start(int64_t start_offset);

    const std::vector<epoch_entry>& entries() const { return entries_; }
    const std::filesystem::path& file() const { return file_; }

    /// Empties the cache and deletes the file (a missing file is fine).
    result<void> remove_file();

private:
    /// Writes next to the file, then makes it the cache's content.
    result<void> replace(std::vector<epoch_entry> next);

    std::filesystem::path file_;
    std::vector<epoch_entry> entries_;
};

}  // namespace storage
