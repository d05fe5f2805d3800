#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "broker/config.h"
#include "broker/log_cleaner_service.h"
#include "broker/partition.h"
#include "broker/replica_fetcher.h"
#include "broker/topic_config.h"
#include "coordination/znodes.h"
#include "protocol/errors.h"

namespace storage {
class log_manager;
}

namespace broker {

/// The only gateway from request handlers to partition logs (as in Kafka's ReplicaManager): hosts
/// the local replicas, applies the controller's LeaderAndIsr / StopReplica, runs the follower
/// fetchers, shrinks ISRs of lagging followers (every replica.lag.time.max.ms / 2), checkpoints
/// high watermarks (replica.high.watermark.checkpoint.interval.ms) and expires idle producer ids
/// (producer.id.expiration.check.interval.ms).
/// Owned by the application. Lookups (`get`) run on any io thread under a shared lock.
class replica_manager {
public:
    /// Writes a leader's ISR change to ZooKeeper (coordination::topic_store::update_isr in the
    /// broker); `done` gets the state's new zk version, or nullopt if the write failed. May
    /// complete on any thread.
    using isr_writer = std::function<void(const coordination::partition_key&, const coordination::partition_state&,
                                          std::function<void(std::optional<int32_t>)> done)>;

    replica_manager(storage::log_manager& logs, const config& cfg);
    ~replica_manager();
    replica_manager(const replica_manager&) = delete;
    replica_manager& operator=(const replica_manager&) = delete;

    /// Starts the periodic ISR-shrink and high-watermark checkpoint tasks on `ex`. Without a
    /// writer (unit tests) ISRs never change here.
    void start(boost::asio::any_io_executor ex, isr_writer writer);
    /// The broker is going away (before its controlled shutdown): follower fetching stops for
    /// good, so no leader re-admits this broker to an ISR the controller is taking it out of
    /// (Kafka fences shutting-down brokers from the ISR for the same reason, KIP-841).
    void begin_shutdown();
    /// Stops the follower fetchers and periodic tasks and writes a last high-watermark checkpoint.
    /// Call before the log_manager shuts down.
    void stop();

    /// The partition if this broker hosts a replica of it, else null.
    std::shared_ptr<partition> get(const std::string& topic, int32_t index) const;

    /// LeaderAndIsr for one partition (the controller's decision): opens or creates the log if
    /// this broker is a replica, then takes the leader role (and stops fetching it) or the
    /// follower role (and fetches it from the leader, found in `leaders`). A leader epoch older
    /// than the one applied is refused with STALE_CONTROLLER_EPOCH (as Kafka answers a stale
    /// request); the same epoch again is accepted and changes nothing (controller resends).
    protocol::error_code become_leader_or_follower(const std::string& topic, int32_t index,
                                                   const leader_and_isr_state& state,
                                                   const std::map<int32_t, leader_endpoint>& leaders);

    /// Both of the below from one parsed /config/topics/<t> (LeaderAndIsr and config changes).
    void apply_topic_overrides(const std::string& topic, const topic_overrides& o) {
        set_topic_min_insync_replicas(topic, o.min_insync_replicas);
        set_topic_log_config(topic, o.log);
    }
    /// A topic's min.insync.replicas override (from /config/topics/<t>); nullopt: the broker's.
    void set_topic_min_insync_replicas(const std::string& topic, std::optional<int32_t> value);
    /// A topic's log settings from /config/topics/<t> (unset: the broker's log.* settings).
    /// segment.bytes applies when its logs are opened for a replica; retention at every
    /// retention round.
    /// Also applied at once to the open logs of the topic's replicas (a dynamic change through
    /// AlterConfigs lands here).
    using topic_log_config = broker::topic_log_config;
    void set_topic_log_config(const std::string& topic, topic_log_config value);
    /// The storage settings of a replica of `topic`: the broker's log.* with the topic's
    /// overrides on top.
    storage::log_config log_config_for(const std::string& topic) const;

    /// One retention round (what the log.retention.check.interval.ms timer runs): every partition
    /// this broker leads whose cleanup.policy includes "delete" drops its closed segments past
    /// retention.ms / retention.bytes, never above the high watermark; followers follow the
    /// leader's log start. Returns how many segments were deleted.
    size_t enforce_retention(int64_t now_ms);

    /// The replicas (leaders and followers) the log cleaner compacts: topics whose
    /// cleanup.policy contains "compact", with the topic's delete.retention.ms,
    /// min.compaction.lag.ms and min.cleanable.dirty.ratio (or the broker's log.cleaner.*).
    std::vector<log_cleaner_service::target> compaction_targets() const;
    /// The cleaner thread (null when log.cleaner.enable=false or log.cleaner.threads=0).
    log_cleaner_service* cleaner() { return cleaner_.get(); }

    /// A follower's Fetch reached a partition we lead: tracks its position (and, Fetch v5+, its
    /// log start, for DeleteRecords' low watermark); a resulting ISR expansion is written to
    /// ZooKeeper.
    void follower_fetched(const std::shared_ptr<partition>& part, int32_t follower, int64_t fetch_offset,
                          int64_t follower_log_start_offset = -1);
    /// True when the topic's cleanup.policy (or the broker's log.cleanup.policy) includes
    /// "delete": only then may DeleteRecords move its log start (Kafka: POLICY_VIOLATION).
    bool deletion_allowed(const std::string& topic) const;

    /// StopReplica: the replica leaves this broker; with `delete_log` its directory is deleted.
    /// Unknown partitions are fine (deletion is idempotent: the controller may resend).
    protocol::error_code stop_replica(const std::string& topic, int32_t index, bool delete_log);

    /// One round of the ISR-shrink task (what the timer runs; tests call it directly).
    void shrink_lagging_isrs(int64_t now_ms);
    /// Writes every partition's high watermark to its log dir's replication-offset-checkpoint.
    void checkpoint_high_watermarks();
    /// One round of the log.flush.scheduler.interval.ms task: every log whose flush.ms has
    /// passed since its last flush is fsynced (log::flush_if_due). Returns how many were.
    size_t flush_due_logs(int64_t now_ms);

    /// Partitions on disk that no LeaderAndIsr has claimed (reported after start-up, never deleted).
    std::vector<std::pair<std::string, int32_t>> unclaimed_logs() const;

    size_t partition_count() const;
    replica_fetcher_manager& fetchers() { return fetchers_; }

private:
    using key = std::pair<std::string, int32_t>;

    void write_isr(const std::shared_ptr<partition>& part, coordination::partition_state proposed);
    void schedule_shrink();
    void schedule_checkpoint();
    void schedule_producer_expiry();
    void schedule_retention();
    void schedule_flush();
    /// Runs `task` every `interval_ms` on the strand until stop(); an interval of years or
    /// more (Kafka's Long.MAX "never") schedules nothing.
    void schedule_every(boost::asio::steady_timer& timer, int64_t interval_ms, std::function<void()> task);
    int32_t min_insync_replicas_for(const std::string& topic) const;

    storage::log_manager& logs_;
    const config& cfg_;
    replica_fetcher_manager fetchers_;
    isr_writer isr_writer_;
    // Both timers live on one strand; stop() cancels them there.
    std::optional<boost::asio::strand<boost::asio::any_io_executor>> strand_;
    std::atomic<bool> stopping_{false};
    std::atomic<bool> shutting_down_{false};  // begin_shutdown() ran: no new follower fetches
    std::unique_ptr<boost::asio::steady_timer> shrink_timer_;
    std::unique_ptr<boost::asio::steady_timer> checkpoint_timer_;
    std::unique_ptr<boost::asio::steady_timer> expiry_timer_;  // producer.id.expiration.check.interval.ms
    std::unique_ptr<boost::asio::steady_timer> retention_timer_;  // log.retention.check.interval.ms
    std::unique_ptr<boost::asio::steady_timer> flush_timer_;      // log.flush.scheduler.interval.ms
    std::unique_ptr<boost::asio::steady_timer> start_offset_checkpoint_timer_;
    std::unique_ptr<boost::asio::steady_timer> recovery_point_checkpoint_timer_;

    mutable std::shared_mutex mutex_;  // guards partitions_, topic_min_isr_, topic_log_
    std::map<key, std::shared_ptr<partition>> partitions_;
    std::map<std::string, int32_t> topic_min_isr_;
    std::map<std::string, topic_log_config> topic_log_;
    std::unique_ptr<log_cleaner_service> cleaner_;  // started by start(), stopped by stop()
};

}  // namespace broker
