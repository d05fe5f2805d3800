#pragma once
// Cluster-unique producer ids for InitProducerId, as Kafka's ZooKeeper-era ProducerIdManager: a
// broker claims a block of ids by a conditional write of /latest_producer_id_block and serves ids
// from it; the next claimer starts after the latest block, so no id is handed out twice, also
// across restarts (a restarted broker never reuses its old block, it claims a new one).

#include "coordination/znodes.h"
#include "coordination/zk_client.h"

#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

namespace coordination {

/// Hands out producer ids from blocks claimed in ZooKeeper. Owned by the broker's composition root
/// through a shared_ptr; keeps itself alive while a claim is out. The zk_client must outlive it.
///
/// THREADING: next_id() and stop() may be called from any thread (the broker calls next_id from
/// its io threads); one mutex guards the block state and is never held while calling ZooKeeper
/// or a callback. ZooKeeper completions and the retry timer run on the client's executor.
/// Callbacks are ALWAYS posted onto the client's executor, never run inline, also when an id is
/// at hand.
class producer_id_manager : public std::enable_shared_from_this<producer_id_manager> {
  public:
    /// Kafka's PidBlockSize.
    static constexpr int64_t default_block_size = 1000;
    /// A new block is claimed in the background once fewer than block_size / 10 ids (at least 1)
    /// are left, so with 1,000-id blocks a caller waits for ZooKeeper only when more than 100 ids
    /// are asked for within one claim's round trip (Kafka's KRaft-era manager prefetches at 90%).
    static constexpr int64_t prefetch_divisor = 10;
    /// Session errors (connection loss, timeout, expiry: the session may come back) are retried
    /// this many times, after 100, 200, 400 ms; then the waiting callers get the error. Version
    /// races (another broker claimed first) are retried at once, up to max_conflicts per claim:
    /// each conflict means another claimer made progress, Kafka retries them without limit.
    static constexpr int transient_retries = 3;
    static constexpr std::chrono::milliseconds first_retry_backoff{100};
    static constexpr int max_conflicts = 100;

    /// Starts claiming the first block at once (as Kafka's manager does when it is built), so the
    /// first InitProducerId rarely waits; a failure there is retried by the first next_id().
    /// block_size >= 1.
    static std::shared_ptr<producer_id_manager> make(zk_client& zk, int32_t broker_id,
                                                     int64_t block_size = default_block_size);
    producer_id_manager(const producer_id_manager&) = delete;
    producer_id_manager& operator=(const producer_id_manager&) = delete;

    /// The next unused producer id. cb runs on the client's executor. Calls made while a claim is
    /// in flight queue behind it (one claim at a time) and are served in call order. Errors: the
    /// ZooKeeper error after retries; errc::malformed_znode when /latest_producer_id_block does
    /// not decode; std::errc::value_too_large when the next block would pass INT64_MAX (ids
    /// exhausted); errc::stopped after stop(). A failed claim fails every caller then waiting;
    /// the next call tries again.
    void next_id(std::function<void(result<int64_t>)> cb);

    /// Fails waiting and later callers with errc::stopped and cancels a pending retry. The
    /// unused rest of the block is lost (ids are never reused). Any thread.
    void stop();

    /// The block ids are currently served from (nullopt before the first claim), for logs/tests.
    std::optional<producer_id_block> current_block() const;
    int32_t broker_id() const { return broker_id_; }

  private:
    producer_id_manager(zk_client& zk, int32_t broker_id, int64_t block_size);

    using id_callback = std::function<void(result<int64_t>)>;
    using delivery = std::pair<id_callback, result<int64_t>>;

    // All *_locked functions need mu_ held. Deliveries are collected under the lock and posted
    // by deliver() after it is released.
    bool take_locked(int64_t& id);
    bool should_claim_locked() const;
    void serve_waiters_locked(std::vector<delivery>& out);
    void deliver(std::vector<delivery> out);

    // The claim: get -> (create | conditional set) -> done, restarted on a version race.
    void start_claim();
    void read_latest();
    void write_block(const producer_id_block& next, std::optional<int32_t> expected_version);
    void claim_succeeded(const producer_id_block& b);
    void claim_conflict();
    void claim_failed(std::error_code ec);  // retries session errors, else end_claim(ec)
    void end_claim(std::error_code ec);     // no claim in flight any more; waiters get ec

    zk_client& zk_;
    const int32_t broker_id_;
    const int64_t block_size_;
    boost::asio::steady_timer retry_timer_;  // used on the executor only

    mutable std::mutex mu_;
    // The block being served; its last remaining_ ids are unused. A count rather than a "next id"
    // so a block ending at INT64_MAX needs no value past it.
    std::optional<producer_id_block> block_;
    int64_t remaining_ = 0;
    // A block claimed ahead (prefetch) while the current one still had ids.
    std::optional<producer_id_block> spare_;
    bool claiming_ = false;
    bool stopped_ = false;
    std::deque<id_callback> waiters_;
    // Of the claim in flight: reset under mu_ when it starts, then touched only by its
    // completions on the executor (one claim at a time).
    int conflicts_ = 0;
    int transient_failures_ = 0;
};

}  // namespace coordination
