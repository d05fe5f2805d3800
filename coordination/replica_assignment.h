#pragma once
// Replica placement for new topics: Kafka's rack-unaware AdminUtils.assignReplicasToBrokers.
// Pure function, any thread.

#include "coordination/errc.h"

#include <cstdint>
#include <map>
#include <vector>

namespace coordination {

struct assignment_options {
    /// Index into the sorted broker list of partition 0's leader, and the initial follower shift.
    /// -1 picks both at random (Kafka's default); a fixed value makes placement deterministic.
    int32_t fixed_start_index = -1;
    /// First partition id to assign (for adding partitions to an existing topic); -1 means 0.
    int32_t start_partition_id = -1;
};

/// Spreads leaders round-robin over the brokers starting at a start index, and places followers
/// at a shift that grows by one every time the leaders wrap around, so that replicas of partitions
/// with the same leader land on different brokers. The broker list is sorted first; no partition
/// gets the same broker twice.
/// Errors: errc::invalid_partitions (< 1), errc::invalid_replication_factor (< 1 or > brokers).
result<std::map<int32_t, std::vector<int32_t>>> assign_replicas_to_brokers(
    std::vector<int32_t> brokers, int32_t partitions, int32_t replication_factor,
    const assignment_options& options = {});

}  // namespace coordination
