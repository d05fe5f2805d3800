#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "protocol/errors.h"
#include "protocol/record_set.h"

namespace storage {
class log;
}

namespace broker {

/// A parked long-poll fetch (Fetch with max_wait_ms / min_bytes not yet satisfied). Lives on the
/// fetching connection's strand; partitions hold it weakly and wake it by posting to that strand,
/// so appends never block on, or run code of, a waiting fetch.
struct fetch_waiter {
    explicit fetch_waiter(boost::asio::any_io_executor strand) : timer(strand) {}
    boost::asio::steady_timer timer;
    bool notified = false;  // set on the strand before the timer is cancelled
};

struct append_outcome {
    protocol::error_code error = protocol::error_code::none;
    int64_t base_offset = -1;
    int64_t log_start_offset = -1;
};

struct read_outcome {
    protocol::error_code error = protocol::error_code::none;
    int64_t high_watermark = -1;
    int64_t log_start_offset = -1;
    protocol::record_set records;  // whole batches as file slices (no copy); empty at the end
    size_t bytes = 0;
};

/// One topic-partition hosted by this broker: its log, its role (leader or follower) and its high
/// watermark. Owned by the replica_manager (shared_ptr so handlers may keep it across a wait).
///
/// Threading: any io thread. `mutex_` serialises log access and role changes; it is held only for
/// the duration of one storage call, never across a wait.
class partition {
public:
    partition(std::string topic, int32_t index, storage::log* log);

    const std::string& topic() const { return topic_; }
    int32_t index() const { return index_; }

    /// Role changes come from the metadata (ZooKeeper partition state).
    void set_role(bool leader, int32_t leader_epoch);
    bool is_leader() const;
    int32_t leader_epoch() const;

    /// Appends the client's batches (rewritten in place: offsets, leader epoch) if this broker leads.
    append_outcome append(std::span<uint8_t> batches, int32_t max_message_bytes);
    /// Whole batches from `offset` up to the high watermark, at most ~max_bytes (always at least
    /// one batch if there is one: KIP-74).
    read_outcome read(int64_t offset, uint32_t max_bytes) const;

    int64_t high_watermark() const;
    int64_t log_start_offset() const;
    int64_t log_end_offset() const;
    /// First record whose timestamp is >= ts: its timestamp and offset, both -1 if none
    /// (ListOffsets by time).
    protocol::error_code offset_for_timestamp(int64_t ts, int64_t& timestamp_out, int64_t& offset_out) const;

    /// Registers a fetch to wake on the next append (or role change).
    void add_waiter(const std::shared_ptr<fetch_waiter>& w);

    /// Detaches the log before the replica_manager deletes it (topic deleted); later calls answer
    /// UNKNOWN_TOPIC_OR_PARTITION instead of touching freed storage.
    void detach();

private:
    void wake_waiters_locked();
    /// Why this replica cannot serve clients now (deleted, or not the leader), or none.
    protocol::error_code serving_error_locked() const;

    const std::string topic_;
    const int32_t index_;
    storage::log* log_;  // owned by storage::log_manager; null once detached

    mutable std::mutex mutex_;
    bool leader_ = false;
    int32_t leader_epoch_ = 0;
    std::vector<std::weak_ptr<fetch_waiter>> waiters_;
};

}  // namespace broker
