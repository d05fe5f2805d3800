#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <utility>

#include "broker/config.h"
#include "broker/partition.h"

namespace storage {
class log_manager;
}
namespace coordination {
struct cluster_snapshot;
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

    /// Brings local replicas in line with the cluster metadata: opens or creates the log of every
    /// partition assigned to this broker, sets leader/follower role and leader epoch from the
    /// partition state, and deletes the logs of topics that were deleted. Logs found on disk for
    /// topics ZooKeeper never knew are kept (and reported) rather than destroyed.
    void apply(const coordination::cluster_snapshot& snapshot);

    size_t partition_count() const;

private:
    using key = std::pair<std::string, int32_t>;

    storage::log_manager& logs_;
    const config& cfg_;

    mutable std::shared_mutex mutex_;  // guards partitions_
    std::map<key, std::shared_ptr<partition>> partitions_;
    bool first_snapshot_ = true;
};

}  // namespace broker
