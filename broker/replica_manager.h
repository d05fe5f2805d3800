#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <utility>

#include "broker/config.h"
#include "broker/partition.h"
#include "protocol/errors.h"

namespace storage {
class log_manager;
}

namespace broker {

/// The only gateway from request handlers to partition logs (as in Kafka's ReplicaManager).
/// Owned by the application. Lookups (`get`) run on any io thread under a shared lock; `apply`
/// runs on the metadata strand whenever ZooKeeper's view of the cluster changes.
class replica_manager {
public:
    replica_manager(storage::log_manager& logs, const config& cfg);
    replica_manager(const replica_manager&) = delete;
    replica_manager& operator=(const replica_manager&) = delete;

    /// The partition if this broker hosts a replica of it, else null.
    std::shared_ptr<partition> get(const std::string& topic, int32_t index) const;

    /// LeaderAndIsr for one partition (the controller's decision): opens or creates the log if
    /// this broker is a replica, then takes the leader or follower role at the given leader epoch.
    /// A leader epoch older than the one already applied is refused (STALE_CONTROLLER_EPOCH, as
    /// Kafka answers a stale request); the same epoch again is accepted (controller resends).
    protocol::error_code become_leader_or_follower(const std::string& topic, int32_t index,
                                                   const std::vector<int32_t>& replicas, int32_t leader,
                                                   int32_t leader_epoch);

    /// StopReplica: the replica leaves this broker; with `delete_log` its directory is deleted.
    /// Unknown partitions are fine (deletion is idempotent: the controller may resend).
    protocol::error_code stop_replica(const std::string& topic, int32_t index, bool delete_log);

    /// Partitions on disk that no LeaderAndIsr has claimed (reported after start-up, never deleted).
    std::vector<std::pair<std::string, int32_t>> unclaimed_logs() const;

    size_t partition_count() const;

private:
    using key = std::pair<std::string, int32_t>;

    storage::log_manager& logs_;
    const config& cfg_;

    mutable std::shared_mutex mutex_;  // guards partitions_
    std::map<key, std::shared_ptr<partition>> partitions_;
};

}  // namespace broker
