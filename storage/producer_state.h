#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <vector>

#include "storage/result.h"

namespace storage {

/// Kafka's ProducerStateEntry.NumBatchesToRetain: a client has at most 5 produce requests in
/// flight per partition (max.in.flight <= 5 with idempotence), so a retry can only repeat one
/// of the producer's last 5 batches.
inline constexpr size_t producer_batches_retained = 5;

/// Snapshots kept per partition dir: the newest one serves restarts, the older ones a
/// truncation below it or a corrupt newest file.
inline constexpr size_t producer_snapshots_retained = 3;

/// Last sequence of a batch: base_sequence + last_offset_delta, wrapping from INT32_MAX to 0 as
/// Kafka's DefaultRecordBatch.incrementSequence does (sequences live in [0, INT32_MAX]).
int32_t last_sequence(int32_t base_sequence, int32_t last_offset_delta);
/// The sequence that must follow seq: seq + 1, and 0 after INT32_MAX.
int32_t next_sequence(int32_t seq);

/// One batch of an idempotent producer as cached for duplicate detection.
struct producer_batch {
    int32_t first_seq = 0;
    int32_t last_seq = 0;
    int64_t first_offset = 0;
    int64_t last_offset = 0;
    int64_t max_timestamp = -1;
    friend bool operator==(const producer_batch&, const producer_batch&) = default;
};

/// What one partition log knows about one producer id. An entry never exists without a batch.
struct producer_entry {
    int16_t epoch = -1;
    /// Oldest first, 1..producer_batches_retained, all of the current epoch.
    std::vector<producer_batch> batches;
    /// max_timestamp of the latest batch (Kafka's lastTimestamp): expiry counts from it.
    int64_t last_timestamp = -1;

    int32_t last_seq() const { return batches.back().last_seq; }
    /// The cached batch with exactly this sequence range, if any.
    const producer_batch* find_batch(int32_t first_seq, int32_t last_seq) const;
    friend bool operator==(const producer_entry&, const producer_entry&) = default;
};

/// The producer fields of one batch header with the batch's final offsets: everything the state
/// needs, so it can be fed from produce requests, fetched batches and stored headers alike.
struct producer_batch_header {
    int64_t producer_id = -1;
    int16_t epoch = -1;
    int32_t base_sequence = -1;
    int64_t first_offset = 0;
    int64_t last_offset = 0;
    int64_t max_timestamp = -1;
    bool is_control = false;

    /// Only idempotent/transactional data batches are tracked: producer_id -1 means "not
    /// idempotent", and control batches (transaction markers) carry no sequence.
    bool tracked() const { return producer_id >= 0 && !is_control; }
};

/// The answer to a retried batch: its original offsets; nothing is written again.
struct duplicate_batch {
    int64_t first_offset = -1;
    int64_t last_offset = -1;
    int64_t max_timestamp = -1;
};

using producer_map = std::map<int64_t, producer_entry>;

/// Snapshot file "<20-digit offset>.snapshot" (Kafka's name, our own format; FORMAT.md),
/// big-endian, no padding:
///
///   0   2  version (1)
///   2   4  CRC-32C of bytes [6, end)
///   6   8  offset: the state covers the batches below it (equals the file name's offset)
///   14  4  producer count n, then n producers in increasing id order:
///          0   8  producer_id (>= 0)
///          8   2  epoch
///          10  8  last_timestamp
///          18  1  batch count k (1..5), then k batches, oldest first, 32 bytes each:
///                 0 4 first_seq | 4 4 last_seq | 8 8 first_offset | 16 8 last_offset |
///                 24 8 max_timestamp
std::vector<uint8_t> encode_producer_snapshot(const producer_map& producers, int64_t offset);
/// Decodes and checks a snapshot: exact size, version, CRC, offset == expected_offset, ids
/// increasing, 1..5 batches each, first_offset <= last_offset < offset, batches increasing.
/// Anything else is errc::corrupt_checkpoint.
result<producer_map> decode_producer_snapshot(std::span<const uint8_t> bytes,
                                              int64_t expected_offset);

/// Producer state of one partition log (Kafka's ProducerStateManager for idempotent producers):
/// per producer id its epoch and last 5 batches, the sequence checks of leader appends, and the
/// snapshot files in the partition dir. It does not read segments: the log feeds it batch
/// headers (appends, replay after a snapshot). Owned by its log; NOT thread-safe (same caller
/// serialisation as the log).
class producer_state_manager {
public:
    explicit producer_state_manager(std::filesystem::path dir) : dir_(std::move(dir)) {}

    /// Leader append check. batches are all batches of one append in log order, each checked
    /// against the state the batches before it in this append leave (Kafka's
    /// ProducerAppendInfo):
    ///  1. epoch < current: errc::invalid_producer_epoch.
    ///  2. same epoch, (first_seq, last_seq) equal to a cached batch: a duplicate. Only an append
    ///     of exactly that one batch answers duplicate_batch; inside a longer append it is
    ///     errc::out_of_order_sequence (the rest cannot be answered with one offset range, and
    ///     clients send one batch per partition anyway).
    ///  3. epoch > current: first_seq must be 0, else errc::out_of_order_sequence.
    ///  4. same epoch: first_seq must be next_sequence(last cached last_seq), else
    ///     errc::out_of_order_sequence.
    ///  5. unknown producer id (new, expired, or its state lost): any sequence is accepted.
    /// A tracked batch with base_sequence < 0 is errc::corrupt_batch (Kafka: INVALID_RECORD).
    /// Untracked batches are ignored. Returns nullopt when every batch may be appended. Changes
    /// nothing: call update() for each batch once it is written.
    result<std::optional<duplicate_batch>> check(
        std::span<const producer_batch_header> batches) const;

    /// Applies one written batch without checks (after check(), follower appends, replay): a
    /// different epoch replaces the cached batches, the oldest of 5 makes room. Untracked
    /// batches are ignored.
    void update(const producer_batch_header& b);

    /// Removes producers whose last_timestamp is at least expiration_ms before now_ms (Kafka's
    /// isProducerExpired). Remembered, so a reload (truncation) applies the same cut again.
    /// Returns how many were removed.
    size_t expire(int64_t now_ms, int64_t expiration_ms);

    const producer_entry* find(int64_t producer_id) const;
    const producer_map& entries() const { return producers_; }
    size_t size() const { return producers_.size(); }

    /// Lists "<offset>.snapshot" files in the dir (and removes leftover ".snapshot.tmp" files
    /// from a crash during a write). Called once when the log opens.
    result<void> scan_snapshots();
    /// Writes the current state as "<offset>.snapshot" (tmp + fsync + rename), then deletes all
    /// but the newest producer_snapshots_retained snapshots. The caller guarantees that the
    /// state is the state at offset (its log end).
    result<void> take_snapshot(int64_t offset);
    /// Deletes snapshots below min_offset or above max_offset (retention, truncation).
    result<void> delete_snapshots_outside(int64_t min_offset, int64_t max_offset);
    /// Deletes every snapshot (the log restarts empty).
    result<void> delete_all_snapshots();
    /// Replaces the state with the newest valid snapshot at or below max_offset and returns its
    /// offset; snapshots that fail decode_producer_snapshot are deleted and the next older one
    /// is tried. nullopt (state empty) when none is left.
    result<std::optional<int64_t>> load_latest_snapshot(int64_t max_offset);
    /// Empties the state (snapshots stay).
    void clear() { producers_.clear(); }
    /// Applies the remembered expiry again (after a replay rebuilt the state).
    void reapply_expiry();

    /// Offsets of the snapshot files, ascending.
    const std::set<int64_t>& snapshot_offsets() const { return snapshots_; }
    std::filesystem::path snapshot_file(int64_t offset) const;

private:
    /// Rules 1-5 for one batch against e (nullptr: no state); alone: the append is this batch.
    static result<std::optional<duplicate_batch>> check_batch(const producer_entry* e,
                                                              const producer_batch_header& b,
                                                              bool alone);
    result<void> delete_snapshot(int64_t offset);

    std::filesystem::path dir_;
    producer_map producers_;
    std::set<int64_t> snapshots_;
    /// The latest expire() call, re-applied by reloads.
    std::optional<std::pair<int64_t, int64_t>> last_expiry_;  // (now_ms, expiration_ms)
};

}  // namespace storage
