#pragma once

#include <climits>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "storage/index_files.h"
#include "storage/result.h"

namespace storage {

/// Log compaction (Kafka's LogCleaner, cleanup.policy=compact): keeps the last record per key
/// in the cleanable part of a log. Split in three so the heavy work runs off the log owner's
/// thread:
///   1. log::cleaning_snapshot() (owner thread, cheap): the closed segments as shared fds;
///   2. clean() (any thread): reads those immutable files, builds the key -> latest offset map
///      over the dirty range and writes "<base>.log.cleaned" files, fsynced;
///   3. log::replace_segments() (owner thread, a few renames per group): the crash-safe swap.
/// recover_cleaner_files() runs at log::open and completes or rolls back an interrupted swap.

/// Settings of one log (topic configs) plus the cleaner's own bounds.
struct cleaner_config {
    /// delete.retention.ms: a tombstone survives cleaning until its segment has been clean for
    /// this long (see clean()).
    int64_t delete_retention_ms = 86400000;
    /// min.compaction.lag.ms: segments holding a batch newer than now - this stay dirty.
    int64_t min_compaction_lag_ms = 0;
    /// log.cleaner.dedupe.buffer.size: bound on the key -> offset map, counted as key bytes +
    /// 64 per entry. The dirty range stops after the segment in which the map passes it (that
    /// segment's keys are still mapped, so memory is bounded by this plus one segment's keys).
    uint64_t dedupe_buffer_bytes = 128ull << 20;
    /// Bound on one batch's decompressed records (garbage or a bomb fails the clean).
    size_t max_decompressed_bytes = 256u << 20;
};

/// One closed (immutable) segment as the cleaner sees it. The file handle keeps the fd valid
/// even if retention deletes the segment meanwhile.
struct closed_segment_info {
    int64_t base_offset = 0;
    int64_t next_offset = 0;  // one past its last offset (base when empty)
    uint64_t size_bytes = 0;
    int64_t max_timestamp = -1;
    int64_t last_modified_ms = 0;  // mtime of the .log: when it was last written or cleaned
    std::shared_ptr<file_handle> file;
};

/// What clean() needs from a log, taken on the owner's thread (log::cleaning_snapshot).
struct cleaning_input {
    std::filesystem::path dir;
    uint64_t segment_bytes = 1ull << 30;
    uint32_t index_interval_bytes = 4096;         // for the cleaned segments' .index files
    int64_t active_base_offset = 0;               // never cleaned
    /// Segments ending above this stay dirty (the broker passes the high watermark: Kafka never
    /// cleans what is not committed).
    int64_t upper_bound = INT64_MAX;
    std::vector<closed_segment_info> segments;    // closed segments, oldest first
    /// producer id -> last offset of its latest batch (producer state): that batch is kept,
    /// emptied if need be, so the producer's state survives a restart (Kafka does the same).
    std::map<int64_t, int64_t> producer_last_offsets;
};

/// The dirty part of a log: [first_dirty, first_uncleanable). Everything below first_dirty was
/// cleaned before (the cleaner checkpoint).
struct cleanable_range {
    int64_t first_dirty = 0;
    int64_t first_uncleanable = 0;
    uint64_t clean_bytes = 0;
    uint64_t dirty_bytes = 0;
    /// Kafka's cleanable ratio: dirty / (clean + dirty); 0 for nothing to clean.
    double dirty_ratio() const {
        const uint64_t total = clean_bytes + dirty_bytes;
        return total == 0 ? 0.0 : static_cast<double>(dirty_bytes) / static_cast<double>(total);
    }
};

/// checkpoint is the cleaner-offset-checkpoint entry (-1 when none): clamped to the closed
/// segments. first_uncleanable is the active segment's base, or the base of the first dirty
/// segment holding a batch newer than now - min_compaction_lag_ms or ending above upper_bound.
cleanable_range find_cleanable_range(const cleaning_input& in, int64_t checkpoint, int64_t now_ms,
                                     const cleaner_config& cfg);

/// Consecutive closed segments rewritten into one file named after the first's base offset.
struct cleaned_group {
    std::vector<int64_t> replaced_bases;  // oldest first
    std::vector<uint64_t> replaced_sizes;  // sizes when cleaned: a swap checks they still match
    std::filesystem::path cleaned_file;   // "<first base>.log.cleaned", written and fsynced
    // Its indexes, written alongside so the swap does not rebuild them under the log's lock:
    // "<first base>.index.cleaned" and "<first base>.timeindex.cleaned".
    std::filesystem::path cleaned_index;
    std::filesystem::path cleaned_time_index;
    uint64_t size_bytes = 0;
};

/// Deletes a group's *.cleaned files (a swap that will not happen).
void remove_cleaned_files(const cleaned_group& g);

struct clean_result {
    std::vector<cleaned_group> groups;
    /// Where the next clean's dirty range starts (the new cleaner checkpoint).
    int64_t next_dirty_offset = 0;
    int64_t records_read = 0;
    int64_t records_kept = 0;
    int64_t tombstones_removed = 0;
    uint64_t bytes_read = 0;
    uint64_t bytes_written = 0;
};

/// Rewrites the closed segments from the log start up to the end of the dirty range (as far as
/// the offset map reaches), Kafka's rules:
/// - a record is kept iff it has a key and its offset >= map[key] (or the key is not mapped);
/// - a tombstone (null value) is dropped once its segment's last_modified_ms <= the delete
///   horizon = last_modified_ms of the last already-clean segment - delete_retention_ms
///   (Kafka's rule: a tombstone lives delete.retention.ms after the clean that first kept it);
/// - offsets never change: a rebuilt batch keeps base offset, last offset delta, producer
///   fields, timestamps and codec (records recompressed with it; untouched batches are copied);
/// - a batch left without records is dropped, except the latest batch of a producer id and the
///   last batch of each group, kept empty (records_count 0): producer state survives, and every
///   cleaned segment ends at the same offset as the segments it replaces, which is how
///   recovery knows which old segments a swap file covers;
/// - control and transactional batches are copied as they are.
/// Groups: consecutive segments whose total size fits segment_bytes. A group of one segment in
/// which nothing changed is not rewritten. Runs on any thread (reads only the fds in `in`,
/// writes only *.cleaned files). Errors: errc::corrupt_batch (undecodable batch),
/// errc::io_error; *.cleaned files written so far are deleted on error.
result<clean_result> clean(const cleaning_input& in, const cleanable_range& range,
                           const cleaner_config& cfg);

/// Steps of the swap, in order, for fault injection in tests.
enum class swap_step {
    cleaned_renamed_to_swap,  // "<base>.{index,timeindex}.cleaned" -> ".swap", then
                              // "<base>.log.cleaned" -> "<base>.log.swap" (the commit point)
    old_renamed_to_deleted,   // one replaced segment's files -> "*.deleted" (once per segment)
    swap_renamed_to_log,      // "<base>.log.swap" -> "<base>.log"
    index_swaps_renamed,      // "<base>.{index,timeindex}.swap" -> final names
    deleted_removed,          // the "*.deleted" files unlinked
};
/// Called after each step; returning false stops the swap there as a crash would (the log must
/// then be closed and reopened, which runs recover_cleaner_files).
using swap_fault_hook = std::function<bool(swap_step)>;

/// File part of the swap (Kafka's replaceSegments): rename cleaned -> .swap (indexes first, the
/// .log last), the replaced segments' .log/.index/.timeindex -> .deleted, .log.swap -> .log, the
/// index swaps -> .index/.timeindex, unlink the .deleted files.
/// The directory is fsynced after the renames. The caller (log) owns the segment objects.
result<void> swap_segment_files(const std::filesystem::path& dir, const cleaned_group& g,
                                const swap_fault_hook& fault = {});

/// At log::open before segments are loaded: deletes "*.cleaned" (a clean that never reached the
/// swap); for each "<base>.log.swap" reads its last offset, deletes every segment whose base lies
/// in [base, last] (old segments it replaces) and renames it to "<base>.log", and its index swaps
/// (if there) to their final names; then deletes every other "*.swap" (index swaps whose .log
/// swap was already renamed or never made: segment::open rebuilds a missing index) and every
/// "*.deleted".
result<void> recover_cleaner_files(const std::filesystem::path& dir);

/// Per log dir: "cleaner-offset-checkpoint" (Kafka's name and OffsetCheckpointFile format).
inline constexpr std::string_view cleaner_offset_checkpoint_file = "cleaner-offset-checkpoint";

}  // namespace storage
