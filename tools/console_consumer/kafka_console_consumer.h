#pragma once

#include "tools/common/broker_pool.h"
#include "tools/common/cluster_ops.h"
#include "tools/console_consumer/consumer_options.h"

#include <atomic>
#include <chrono>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>

namespace tools {

/// The console consumer over the Kafka protocol. Without --group it reads the topic's partitions
/// (or the one --partition) from --offset / --from-beginning / the end; with --group it is a
/// real group member: FindCoordinator, JoinGroup (protocol "consumer"/"range", MEMBER_ID_REQUIRED
/// handled), range assignment when leader, SyncGroup, OffsetFetch (auto.offset.reset via
/// ListOffsets), Heartbeat every heartbeat.interval.ms (rejoin on REBALANCE_IN_PROGRESS), auto
/// commit every auto.commit.interval.ms and at exit, LeaveGroup at exit. Fetch v4+ long polls the
/// leaders (500 ms). Blocking; one thread; `stop` may be set from a signal handler.
class kafka_console_consumer {
public:
    kafka_console_consumer(const consumer_options& options, const std::atomic<bool>& stop);

    /// Consumes until --max-messages, --timeout-ms without messages, or `stop`. Records go to
    /// `out`; failures to `err`. Returns the exit code.
    int run(std::ostream& out, std::ostream& err);
    int64_t processed() const { return processed_; }

private:
    struct position {
        int64_t offset = -1;  ///< -1: to be resolved by the reset policy
    };
    cli_result<void> assign_without_group();
    cli_result<void> join_group();
    cli_result<void> resolve_positions();
    cli_result<void> fetch_once(std::ostream& out);
    cli_result<void> heartbeat_if_due();
    cli_result<void> commit();
    void leave();
    cli_result<coordinator_ref> coordinator();

    const consumer_options& o_;
    const std::atomic<bool>& stop_;
    broker_pool pool_;
    std::map<topic_partition, position> positions_;
    std::map<topic_partition, int64_t> committed_;  ///< last offsets committed (to skip no-op commits)
    std::optional<coordinator_ref> coordinator_;
    std::string member_id_;
    int32_t generation_ = -1;
    bool rejoin_needed_ = false;
    std::chrono::steady_clock::time_point next_heartbeat_{};
    std::chrono::steady_clock::time_point next_commit_{};
    int64_t processed_ = 0;
};

}  // namespace tools
