#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <vector>

#include "storage/leader_epoch_cache.h"
#include "storage/log_cleaner.h"
#include "storage/log_config.h"
#include "storage/producer_state.h"
#include "storage/result.h"

namespace storage {

class segment;
class open_segment_lru;
struct batch_meta;

struct append_result {
    int64_t first_offset = -1;
    int64_t last_offset = -1;
    /// -1: batches keep their CreateTime (LogAppendTime topics are not handled here yet).
    int64_t log_append_time = -1;
    int64_t max_timestamp = -1;
    /// Last offset of the batch holding max_timestamp.
    int64_t offset_of_max_timestamp = -1;
    int64_t record_count = 0;  // offsets assigned (sum of last_offset_delta + 1)
    uint64_t size_bytes = 0;
    /// An idempotent producer's retry of a batch still in its last 5: nothing was appended
    /// (record_count and size_bytes are 0); first_offset, last_offset and max_timestamp are the
    /// original batch's, so the producer gets the answer the first try would have had.
    bool duplicate = false;
};

/// A byte range of a segment file, to be sent with sendfile() or read with pread(). keepalive
/// holds the file open even if the segment is closed, rolled away or deleted meanwhile.
struct file_slice {
    int fd = -1;
    uint64_t position = 0;
    uint32_t size = 0;
    std::shared_ptr<const void> keepalive;
};

struct timestamp_offset {
    int64_t timestamp = -1;
    int64_t offset = -1;
    friend bool operator==(const timestamp_offset&, const timestamp_offset&) = default;
};

struct read_result {
    /// Whole batches, in offset order; consecutive batches of one segment share one slice.
    std::vector<file_slice> slices;
    uint64_t size_bytes = 0;
    /// Base offset of the first batch returned (<= the requested start), -1 when empty.
    int64_t first_batch_offset = -1;
};

/// Copies the bytes of all slices (tests, tools; the broker sends slices with sendfile).
result<std::vector<uint8_t>> read_slices(const read_result& r);

enum class shutdown_state {
    /// The process may have crashed: every segment holding offsets at or after the recovery
    /// point is re-read and validated batch by batch.
    unclean,
    /// The log dir's clean-shutdown marker was present: trust files, only check index sanity.
    clean,
};

/// What the log dir's checkpoint files (log_manager) held for this log at open; -1: none.
struct log_checkpoints {
    /// log-start-offset-checkpoint: the log start may sit inside the first segment
    /// (DeleteRecords); it is clamped to [first segment's base, log end].
    int64_t log_start_offset = -1;
    /// recovery-point-offset-checkpoint: everything below it was fsynced. Unclean open
    /// re-validates the segments holding offsets >= it (none known: all of them).
    int64_t recovery_point = -1;
};

/// The log of one partition replica: segments "<base>.log" with their indexes under
/// "<log.dir>/<topic>-<partition>/" (FORMAT.md), the replica's leader epoch cache
/// ("leader-epoch-checkpoint" in the same dir) and its idempotent producer state
/// ("<offset>.snapshot" files, producer_state.h). Knows offsets, epochs and producer sequences;
/// high watermark and replication live above it. NOT thread-safe: the owner (the partition, on
/// its strand) serialises every call. Slices returned by read() stay valid after later calls.
/// Invariants: no leader epoch entry starts past log_end_offset(); producers() is the state of
/// the batches below log_end_offset() (minus expired producers).
class log {
public:
    /// Creates dir if missing and loads its segments. Recovery (see README.md): with
    /// shutdown_state::unclean the active (last) segment is re-validated and truncated at the
    /// first invalid or torn batch; any segment whose indexes are missing or inconsistent gets
    /// them rebuilt from its .log. Then the leader epoch cache is loaded and cut to the
    /// recovered log: entries starting at or after log_end_offset() go (their data was lost or
    /// never written), and the start is moved up to log_start_offset(). A malformed
    /// leader-epoch-checkpoint fails the open with errc::corrupt_checkpoint (Kafka fails the log
    /// dir for it too). Producer state: snapshots above the log end or below the log start are
    /// deleted, the newest valid one left is loaded (corrupt ones are deleted and the next older
    /// one tried) and batch headers from its offset to the log end are replayed; without one,
    /// from the log start.
    /// Recovery with shutdown_state::unclean (Kafka's recoverLog): every segment holding
    /// offsets at or after checkpoints.recovery_point is re-validated batch by batch (CRC,
    /// sizes, offsets increasing); at the first invalid or torn batch that segment is truncated
    /// and every later segment deleted, so corrupt data is never served. With
    /// shutdown_state::clean nothing is re-validated and the recovery point is the log end;
    /// after an unclean open it is the checkpointed one (none: 0), capped at the log end, until
    /// the next flush().
    static result<std::unique_ptr<log>> open(std::filesystem::path dir, log_config cfg,
                                             shutdown_state state = shutdown_state::unclean,
                                             int64_t now_ms = 0, log_checkpoints checkpoints = {});
    ~log();
    log(const log&) = delete;
    log& operator=(const log&) = delete;

    /// Validates every batch (all-or-nothing), assigns offsets from log_end_offset() by
    /// rewriting base_offset and partition_leader_epoch in the caller's buffer, and writes the
    /// whole buffer with one write. Rolls first when the active segment would pass
    /// segment_bytes, its relative offsets would overflow int32, or it is older than segment_ms.
    /// When leader_epoch >= 0 is newer than the latest cached epoch (or the cache is empty),
    /// records (leader_epoch, first offset of this append) first (a negative epoch stores -1 in
    /// the batches and records nothing).
    /// Idempotent producers' batches are checked against the producer state
    /// (producer_state_manager::check): a retry of one cached batch, sent alone, appends nothing
    /// and answers the original offsets with duplicate set.
    /// Errors: errc::corrupt_batch (invalid or trailing partial batch, empty input, producer id
    /// without a sequence), errc::message_too_large, errc::invalid_producer_epoch,
    /// errc::out_of_order_sequence, errc::io_error.
    result<append_result> append(std::span<uint8_t> batches, int32_t leader_epoch, int64_t now_ms);

    /// A follower's append of batches fetched from the leader: offsets and partition leader
    /// epochs are already set and the bytes are stored exactly as given, nothing rewritten.
    /// Every whole batch is validated as stored batches are (CRC, sizes, counts; no
    /// max_batch_bytes check: the leader accepted it already, as in Kafka), all-or-nothing.
    /// Batches ending below log_end_offset() are skipped (already here); the first kept batch
    /// must start exactly at log_end_offset() and each next one right after the previous one,
    /// else errc::offset_mismatch (the follower must truncate and re-fetch). A partial batch at
    /// the end (fetch responses may end with one, KIP-74) is ignored. Each kept batch whose
    /// partition_leader_epoch is newer than the latest cached epoch records (epoch, its base
    /// offset). Rolls and indexes exactly like append(). Producer state follows the stored
    /// headers without any check (the leader checked them). Returns the offsets appended, or
    /// first_offset -1 and record_count 0 when nothing was new (also for empty input).
    /// Errors: errc::corrupt_batch, errc::offset_mismatch, errc::io_error.
    result<append_result> append_as_follower(std::span<const uint8_t> batches, int64_t now_ms);

    /// Records that epoch starts at start_offset (leader_epoch_cache::assign), e.g. by a new
    /// leader with log_end_offset() before it writes anything, so OffsetForLeaderEpoch for the
    /// previous epoch answers this offset. start_offset > log_end_offset() is
    /// errc::invalid_argument (see the invariant above).
    result<void> assign_epoch(int32_t epoch, int64_t start_offset);
    const leader_epoch_cache& leader_epochs() const { return epochs_; }

    /// Whole batches from the one containing start_offset, only batches whose last offset is
    /// below max_offset (exclusive; e.g. the high watermark), up to max_bytes, but always the
    /// first such batch even if larger (KIP-74). No log bytes are copied.
    /// start_offset outside [log_start_offset, log_end_offset] -> errc::offset_out_of_range.
    result<read_result> read(int64_t start_offset, uint32_t max_bytes, int64_t max_offset) const;

    /// First record whose timestamp is >= ts, as {timestamp, offset}; {-1, -1} if none (Kafka's
    /// ListOffsets answer). Uses the time index, then batch headers; inside the batch holding the
    /// answer the records are walked (a compressed one is decompressed, as Kafka does), a
    /// LogAppendTime batch answers with its base offset and max timestamp. A batch whose records
    /// do not decode is errc::corrupt_batch.
    result<timestamp_offset> offset_for_timestamp(int64_t ts) const;

    /// Removes every offset >= offset (a follower cutting a divergent tail). As in Kafka the cut
    /// is at the start of the batch containing offset, so log_end_offset() may end below it.
    /// offset <= log_start_offset() empties the log and restarts it at offset. Leader epoch
    /// entries starting at or after the new log_end_offset() go; this happens even when
    /// offset >= log_end_offset() and no data changes (as in Kafka: an epoch a former leader
    /// recorded at its end offset without writing anything must not survive into followership).
    /// Producer state becomes the state at the new end (snapshots above it are deleted, the
    /// newest one at or below it is loaded and the headers after it replayed); emptying the
    /// log deletes every snapshot and empties the state.
    result<void> truncate_to(int64_t offset);

    /// Retention: deletes closed segments from the oldest while they are past retention_ms
    /// (largest timestamp < now_ms - retention_ms) or the log without them is still >=
    /// retention_bytes. The active segment is never deleted. Returns how many were deleted;
    /// log_start_offset() moves to the first remaining segment, and the leader epoch cache's
    /// start with it (leader_epoch_cache::truncate_from_start). Producer state is kept (as in
    /// Kafka 2.8, a producer outlives its data until it expires); snapshots below the new log
    /// start are deleted and, if none is left, one is written at the log end so a restart can
    /// still load the state.
    /// `upper_bound` (e.g. the high watermark): only segments whose offsets are all below it go,
    /// as in Kafka, where retention never deletes what is not committed.
    result<size_t> delete_old_segments(int64_t now_ms, int64_t upper_bound = INT64_MAX);

    /// Deletes the oldest closed segments while every offset they hold is below `offset` (their
    /// successor starts at or before it): the log start moves up by whole segments, never past
    /// `offset`, and the active segment stays. For a leader whose older data is superseded (the
    /// group coordinator's state snapshot) and for followers keeping up with the leader's log
    /// start. Same bookkeeping as delete_old_segments. Returns how many were deleted.
    result<size_t> delete_segments_below(int64_t offset);

    /// Kafka's maybeIncrementLogStartOffset (DeleteRecords, a follower following its leader):
    /// moves the log start up to offset, which may lie inside a segment; reads below it are then
    /// errc::offset_out_of_range and ListOffsets earliest answers it. Segments entirely below the
    /// new start are deleted at once (Kafka leaves that to its retention pass; the outcome is the
    /// same), the leader epoch cache's start and producer snapshots follow as for retention.
    /// offset <= log_start_offset() changes nothing (returns false); offset > log_end_offset()
    /// is errc::offset_out_of_range (callers cap it, e.g. at the high watermark).
    result<bool> increment_log_start_offset(int64_t offset);

    /// Kafka's truncateFullyAndStartAt: a follower whose log ends below the leader's log start
    /// (it was away while the leader deleted records) drops everything and restarts empty at
    /// offset: log start, log end and recovery point become offset, the leader epoch cache and
    /// producer state are emptied (the copied batches bring both back).
    result<void> truncate_fully_and_start_at(int64_t offset);

    /// Drops producers idle for config().producer_id_expiration_ms (by their latest batch
    /// timestamp, Kafka's producer.id.expiration.ms); the broker calls it on a timer. A later
    /// rebuild (truncation) applies the same cut. Returns how many were removed.
    size_t expire_producers(int64_t now_ms);
    const producer_state_manager& producers() const { return producers_; }

    /// Readable from any thread (an atomic; the log_manager checkpoints it from its own).
    int64_t log_start_offset() const;
    /// One past the last fsynced offset (Kafka's recoveryPoint); moved by flush() and open().
    /// Readable from any thread.
    int64_t recovery_point() const { return recovery_point_.load(std::memory_order_relaxed); }
    /// How many segments open() re-validated batch by batch (recovery, tests).
    size_t recovered_segment_count() const { return recovered_segments_; }
    int64_t log_end_offset() const;
    int64_t size_bytes() const;
    size_t segment_count() const { return segments_.size(); }
    std::vector<int64_t> segment_base_offsets() const;
    /// Sealed segments holding an fd and index entries now (<= config().max_open_sealed_segments;
    /// the others are parked until read). For tests and memory figures.
    size_t open_sealed_segments() const;
    const std::filesystem::path& dir() const { return dir_; }
    const log_config& config() const { return config_; }
    /// Applies a new topic config from the next append on (e.g. after a config change).
    void set_config(const log_config& cfg);

    /// Compaction, step 1 (log_cleaner.h): the closed segments with shared fds, the active base
    /// and the producers' last offsets, for clean() to run on another thread.
    cleaning_input cleaning_snapshot() const;
    /// Compaction, step 3: swaps one cleaned group in place of the segments it replaces
    /// (swap_segment_files) and opens it (with the indexes clean() wrote; rebuilt only if they
    /// are missing or inconsistent). If those segments changed since
    /// the snapshot (retention, truncation, a roll they are no longer closed for) the cleaned
    /// file is deleted and errc::invalid_argument returned, the log untouched. Offsets, epochs
    /// and producer state do not change. A failure (or a fault hook stop) after the first
    /// rename leaves the files half swapped while the log object keeps reading the old
    /// segments' open fds; the next open() completes the swap.
    result<void> replace_segments(const cleaned_group& g, int64_t now_ms,
                                  const swap_fault_hook& fault = {});

    /// fsync of every segment written since the last flush, indexes included; then the
    /// recovery point is the log end.
    result<void> flush();
    /// Kafka flushes a segment once it is rolled: fsyncs every closed segment written since the
    /// last flush and moves the recovery point up to the active segment's base (never down), so
    /// an unclean restart re-validates little more than the active segment. The broker calls it
    /// before each recovery-point checkpoint; returns whether the recovery point moved.
    result<bool> flush_closed_segments();
    /// flush() when config().flush_ms has passed since the last flush (or open) and something
    /// was appended since; the broker calls it from its log.flush.scheduler.interval.ms timer.
    /// Returns whether it flushed.
    result<bool> flush_if_due(int64_t now_ms);
    /// Writes pending index entries, a producer snapshot at the log end (best effort: without
    /// it the next open replays from an older one) and closes files; later calls fail with
    /// errc::log_closed.
    void close();
    /// close() and delete the directory with everything in it.
    result<void> remove();

private:
    log(std::filesystem::path dir, log_config cfg);
    /// Snapshots producer state at the log end, then starts a new segment there.
    result<void> roll(int64_t now_ms);
    /// After segments were deleted from the front: epochs and producer snapshots follow the new start.
    result<void> prefix_deleted();
    /// close() without the producer snapshot (remove() deletes everything anyway).
    void close_files();
    /// Producer state at log_end_offset(): newest usable snapshot plus replayed headers.
    result<void> load_producer_state();
    /// Feeds the headers of the batch containing from and all later ones to the producer state.
    result<void> replay_producer_state(int64_t from);
    /// truncate_to() without the epoch cache.
    result<void> truncate_segments(int64_t offset);
    segment& active() const;
    /// The segment an append of size bytes ending at last_offset goes to: the active one, after
    /// a roll when it would pass segment_bytes, its relative offsets would overflow int32, or it
    /// is older than segment_ms. One append never straddles two segments.
    result<segment*> segment_for_append(uint64_t size, int64_t last_offset, int64_t now_ms);
    /// Counts messages toward flush.messages and flushes when it is reached.
    result<void> note_appended(int64_t messages);
    /// Writes the batches described by scratch_ to seg (the last step of both appends).
    result<void> write_batches(segment& seg, std::span<const uint8_t> bytes);

    std::filesystem::path dir_;
    log_config config_;
    // Declared before segments_: the segments unregister from it when they are destroyed.
    std::unique_ptr<open_segment_lru> open_segments_;
    std::map<int64_t, std::unique_ptr<segment>> segments_;  // by base offset
    std::vector<batch_meta> scratch_;                       // reused by both appends
    std::vector<producer_batch_header> producer_scratch_;   // same batches, producer fields
    leader_epoch_cache epochs_;
    producer_state_manager producers_;
    bool closed_ = false;
    // Atomics so log_manager can checkpoint them without the owner's serialisation; written
    // only by the owner.
    std::atomic<int64_t> log_start_offset_{0};
    std::atomic<int64_t> recovery_point_{0};
    int64_t unflushed_messages_ = 0;  // appended since the last flush (flush.messages)
    int64_t last_flush_ms_ = 0;       // flush.ms; open() starts the clock
    size_t recovered_segments_ = 0;
    bool opened_ = false;  // open() completed: close() may write the producer snapshot
};

}  // namespace storage
