#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "coordination/znodes.h"
#include "protocol/errors.h"
#include "protocol/record_set.h"
#include "storage/log_cleaner.h"
#include "storage/log_config.h"

namespace storage {
class log;
}

namespace broker {

/// A parked request: a long-poll fetch (max_wait_ms / min_bytes not yet satisfied) or an acks=all
/// produce waiting for the high watermark. Lives on the waiting connection's strand; partitions
/// hold it weakly and wake it by posting to that strand, so appends never block on, or run code
/// of, a waiting request. The woken request re-checks its condition (wake-ups may be spurious).
struct fetch_waiter {
    explicit fetch_waiter(boost::asio::any_io_executor strand) : timer(strand) {}
    boost::asio::steady_timer timer;
    bool notified = false;  // set on the strand before the timer is cancelled
};

/// What a waiter waits for: follower fetches need new log data (the log end offset moved),
/// consumer fetches and acks=all produces need the high watermark to move. A role change or
/// deletion wakes both.
enum class wake_on { append, high_watermark };

struct append_outcome {
    protocol::error_code error = protocol::error_code::none;
    int64_t base_offset = -1;
    int64_t last_offset = -1;
    int64_t log_start_offset = -1;
    int32_t leader_epoch = -1;  // the epoch the batch was appended under
    /// An idempotent producer's retry of a batch already in the log: nothing was appended and the
    /// offsets are the original batch's (Kafka answers the retry as if it were the first try).
    bool duplicate = false;
};

struct read_outcome {
    protocol::error_code error = protocol::error_code::none;
    int64_t high_watermark = -1;
    int64_t log_start_offset = -1;
    protocol::record_set records;  // whole batches as file slices (no copy); empty at the end
    size_t bytes = 0;
};

/// The controller's decision for one partition (one entry of a LeaderAndIsr request).
struct leader_and_isr_state {
    int32_t leader = -1;
    int32_t leader_epoch = 0;
    std::vector<int32_t> isr;
    std::vector<int32_t> replicas;
    int32_t zk_version = -1;
    int32_t controller_epoch = 0;
};

/// Who reads: a consumer sees data up to the high watermark, a follower up to the log end.
enum class reader_kind { consumer, follower };

/// One topic-partition hosted by this broker: its log, its role (leader or follower), and, as
/// leader, the replication state Kafka's Partition keeps: each follower's fetch position and last
/// caught-up time, the ISR, and the high watermark (minimum log end offset over the ISR).
/// Owned by the replica_manager (shared_ptr so handlers may keep it across a wait).
///
/// ISR changes are decided here but written to ZooKeeper by the replica_manager: a method that
/// wants one returns the proposed partition state (with the zk version to check); the ISR is
/// changed in memory only when isr_write_done() reports the write succeeded, and one change is
/// in flight at a time.
///
/// Threading: any io thread, the replica fetcher threads and the ZooKeeper strand. `mutex_`
/// serialises everything; it is held only for the duration of one storage call, never across a
/// wait, and no callback runs under it.
class partition {
public:
    partition(std::string topic, int32_t index, storage::log* log, int32_t local_broker_id,
              int64_t checkpointed_high_watermark);

    const std::string& topic() const { return topic_; }
    int32_t index() const { return index_; }

    /// LeaderAndIsr. Leader epochs only go forward: an older epoch is refused (stale), the same
    /// epoch again changes nothing (the controller resends its whole state after a failover).
    enum class transition { stale, unchanged, leader, follower };
    transition apply(const leader_and_isr_state& s, int64_t now_ms);
    void set_min_insync_replicas(int32_t n);

    bool is_leader() const;
    int32_t leader_epoch() const;
    int32_t leader_id() const;
    std::vector<int32_t> isr() const;

    // ---- leader: clients ----------------------------------------------------------------------

    /// Appends a producer's batches (rewritten in place: offsets, leader epoch). With acks = -1 the
    /// ISR must have at least min.insync.replicas members (else NOT_ENOUGH_REPLICAS, nothing
    /// appended).
    append_outcome append(std::span<uint8_t> batches, int32_t max_message_bytes, int16_t acks);
    /// For an acks=all produce appended up to `required_offset` (last offset + 1): nullopt while
    /// the high watermark is below it; then none, or NOT_ENOUGH_REPLICAS_AFTER_APPEND if the ISR
    /// shrank below min.insync.replicas meanwhile, or NOT_LEADER_OR_FOLLOWER if leadership moved.
    std::optional<protocol::error_code> acks_all_status(int64_t required_offset) const;

    /// Whole batches from `offset`: up to the high watermark for consumers, up to the log end for
    /// followers; ~max_bytes (always at least one batch if there is one: KIP-74).
    /// `current_leader_epoch` (Fetch v9+, -1 = unchecked) fences readers with another epoch.
    read_outcome read(int64_t offset, uint32_t max_bytes, reader_kind kind, int32_t current_leader_epoch = -1) const;

    // ---- leader: followers ----------------------------------------------------------------------

    /// A follower fetched from `fetch_offset` (so it has everything below it): updates its log end
    /// offset and caught-up time (Kafka's Replica.updateFetchState), may advance the high
    /// watermark, and proposes adding the follower to the ISR when it has caught up to the high
    /// watermark and to the start of the current leader epoch.
    /// `follower_log_start_offset` (Fetch v5+, -1 unknown) feeds low_watermark().
    std::optional<coordination::partition_state> record_follower_fetch(int32_t follower, int64_t fetch_offset,
                                                                       int64_t now_ms,
                                                                       int64_t follower_log_start_offset = -1);
    /// Leader: the lowest log start over this replica and the ISR followers (Kafka's low
    /// watermark, what DeleteRecords waits for); a follower that has not reported one counts as
    /// -1. Not the leader: -1.
    int64_t low_watermark() const;
    /// Proposes removing ISR followers that have not caught up within `lag_max_ms`.
    std::optional<coordination::partition_state> maybe_shrink_isr(int64_t now_ms, int64_t lag_max_ms);
    /// The proposed state's write finished: on success (new zk version) the ISR becomes the
    /// proposed one (if the leader epoch is still the same), the high watermark may move and
    /// waiters are woken.
    void isr_write_done(const coordination::partition_state& proposed, std::optional<int32_t> new_zk_version);

    /// OffsetForLeaderEpoch: {largest epoch <= requested, its end offset}, {-1,-1} if unknown.
    protocol::error_code end_offset_for_epoch(int32_t requested, int32_t current_leader_epoch, int32_t& epoch_out,
                                              int64_t& end_offset_out) const;

    // ---- follower ---------------------------------------------------------------------------------

    /// Stores batches fetched from the leader unchanged (same offsets, same bytes) and takes the
    /// leader's high watermark (capped at our log end). Only while a follower at `leader_epoch`.
    /// Whole segments entirely below the leader's log start (capped at our high watermark) are
    /// deleted, so a follower's log is bounded as the leader's is (Kafka's
    /// maybeIncrementLogStartOffset); -1 = unknown.
    protocol::error_code append_as_follower(std::span<const uint8_t> batches, int64_t leader_high_watermark,
                                            int64_t leader_log_start_offset, int32_t leader_epoch, int64_t now_ms);
    /// Empties the log and restarts it at `offset` (the leader's log start, above our end) while a
    /// follower at `leader_epoch`; the high watermark becomes `offset`.
    protocol::error_code restart_as_follower_at(int64_t offset, int32_t leader_epoch);
    /// Cuts the log at `offset` (divergent tail) while a follower at `leader_epoch`.
    protocol::error_code truncate_as_follower(int64_t offset, int32_t leader_epoch);
    /// Our latest leader epoch, -1 if none (OffsetForLeaderEpoch request of a rejoining follower).
    int32_t latest_log_epoch() const;
    /// Our own end offset for `epoch` (the same rule as the leader's), {-1,-1} if unknown.
    std::pair<int32_t, int64_t> local_end_offset_for(int32_t epoch) const;

    // ---- both --------------------------------------------------------------------------------------

    int64_t high_watermark() const;
    int64_t log_start_offset() const;
    int64_t log_end_offset() const;
    /// First record whose timestamp is >= ts: its timestamp and offset, both -1 if none
    /// (ListOffsets by time).
    protocol::error_code offset_for_timestamp(int64_t ts, int64_t& timestamp_out, int64_t& offset_out) const;

    /// Deletes the oldest whole segments whose offsets are all below `offset` (never past the high
    /// watermark, never the active segment): the group coordinator drops what its state snapshot
    /// at `offset` superseded. Returns how many segments went.
    size_t delete_segments_below(int64_t offset);

    /// Retention (leader): deletes closed segments past `retention_ms` (by their newest
    /// timestamp) or beyond `retention_bytes` (< 0: off), only below the high watermark.
    size_t delete_expired_segments(int64_t now_ms, int64_t retention_ms, int64_t retention_bytes);
    /// New storage settings for the log (a topic config change), serialised with appends.
    void reconfigure(const storage::log_config& cfg);

    /// Compaction (broker/log_cleaner_service.h), leader or follower: the log's cleaning snapshot
    /// bounded by the high watermark; nullopt once detached.
    std::optional<storage::cleaning_input> cleaning_snapshot() const;
    /// Swaps one cleaned group into the log (storage::log::replace_segments), serialised with
    /// appends; errc::log_closed once detached.
    std::error_code replace_cleaned(const storage::cleaned_group& g, int64_t now_ms);
    /// flush.ms policy: fsyncs the log if its last flush is at least flush.ms old; whether it did.
    bool flush_if_due(int64_t now_ms);
    /// Flush-on-roll, late: fsyncs the closed segments not yet flushed (storage::log::
    /// flush_closed_segments), moving the recovery point to the active segment's base.
    void flush_closed_segments();

    /// DeleteRecords on the leader: moves the log start up to `offset` (-1: the high watermark),
    /// possibly inside a segment. NOT_LEADER_OR_FOLLOWER when not the leader,
    /// OFFSET_OUT_OF_RANGE above the high watermark (or below 0 other than -1). `low_watermark_out`
    /// is the log start afterwards (unchanged when offset is below it, as in Kafka).
    protocol::error_code delete_records(int64_t offset, int64_t& low_watermark_out);

    /// Drops the state of idempotent producers idle past producer.id.expiration.ms; how many.
    size_t expire_producers(int64_t now_ms);

    /// Registers a waiter to wake on the next event of the given kind (or a role change).
    void add_waiter(const std::shared_ptr<fetch_waiter>& w, wake_on what = wake_on::append);

    /// Detaches the log before the replica_manager deletes it (topic deleted); later calls answer
    /// UNKNOWN_TOPIC_OR_PARTITION instead of touching freed storage.
    void detach();

private:
    struct follower_state {
        int64_t log_end_offset = -1;  // unknown until its first fetch under this leadership
        int64_t last_caught_up_ms = 0;
        int64_t last_fetch_leader_log_end_offset = -1;
        int64_t last_fetch_ms = 0;
        int64_t log_start_offset = -1;  // as its last fetch reported it
    };

    /// Why this replica cannot serve clients now (deleted, or not the leader), or none.
    protocol::error_code serving_error_locked(int32_t current_leader_epoch) const;
    void maybe_advance_high_watermark_locked();
    void wake_locked(std::vector<std::weak_ptr<fetch_waiter>>& list);
    void wake_all_locked();
    coordination::partition_state proposal_locked(std::vector<int32_t> isr);

    const std::string topic_;
    const int32_t index_;
    const int32_t local_id_;
    storage::log* log_;  // owned by storage::log_manager; null once detached

    mutable std::mutex mutex_;
    bool leader_ = false;
    int32_t leader_id_ = -1;
    int32_t leader_epoch_ = -1;
    int32_t controller_epoch_ = 0;
    int32_t zk_version_ = -1;
    std::vector<int32_t> isr_;
    std::vector<int32_t> replicas_;
    int32_t min_insync_replicas_ = 1;
    int64_t high_watermark_ = 0;
    int64_t leader_epoch_start_offset_ = 0;  // our log end when we became leader at leader_epoch_
    bool isr_write_in_flight_ = false;
    std::map<int32_t, follower_state> followers_;  // leader only: every replica but us
    std::vector<std::weak_ptr<fetch_waiter>> append_waiters_;
    std::vector<std::weak_ptr<fetch_waiter>> hw_waiters_;
};

}  // namespace broker
