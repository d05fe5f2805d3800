#pragma once
// Replica placement for new topics and added partitions: Kafka's AdminUtils.assignReplicasToBrokers,
// rack-unaware and rack-aware. Pure functions, any thread.

#include "coordination/errc.h"
#include "coordination/znodes.h"

#include <cstdint>
#include <map>
#include <vector>

namespace coordination {

/// Kafka's RackAwareMode: enforced fails when only some brokers have a rack; safe then ignores racks;
/// disabled always ignores them (kafka-topics --disable-rack-aware).
enum class rack_aware_mode { enforced, safe, disabled };

struct assignment_options {
    /// Index into the sorted broker list of partition 0's leader, and the initial follower shift.
    /// -1 picks both at random (Kafka's default); a fixed value makes placement deterministic.
    int32_t fixed_start_index = -1;
    /// First partition id to assign (for adding partitions to an existing topic); -1 means 0.
    int32_t start_partition_id = -1;
    /// Only used by the broker_info overload.
    rack_aware_mode rack_mode = rack_aware_mode::enforced;
};

/// Spreads leaders round-robin over the brokers starting at a start index, and places followers
/// at a shift that grows by one every time the leaders wrap around, so that replicas of partitions
/// with the same leader land on different brokers. The broker list is sorted first; no partition
/// gets the same broker twice.
/// Errors: errc::invalid_partitions (< 1), errc::invalid_replication_factor (< 1 or > brokers).
result<std::map<int32_t, std::vector<int32_t>>> assign_replicas_to_brokers(
    std::vector<int32_t> brokers, int32_t partitions, int32_t replication_factor,
    const assignment_options& options = {});

/// The entry point with racks (what topic creation and add_partitions use): when every broker has one (and the mode allows), Kafka's
/// assignReplicasToBrokersRackAware: brokers are ordered by alternating racks (rack names sorted,
/// ids sorted within a rack), leaders go round-robin over that list, and each further replica
/// skips brokers whose rack (or the broker itself) already holds one while another rack (broker)
/// has none. No broker has a rack: the rack-unaware placement above.
/// Errors: as above, plus errc::missing_rack_information when only some brokers have a rack and
/// the mode is enforced.
result<std::map<int32_t, std::vector<int32_t>>> assign_replicas(
    const std::vector<broker_info>& brokers, int32_t partitions, int32_t replication_factor,
    const assignment_options& options = {});

/// Brokers ordered rack by rack in turn (Kafka's getRackAlternatedBrokerList): racks sorted by name,
/// each rack's brokers by id. {0:r1,1:r3,2:r3,3:r2,4:r2,5:r1} -> 0,3,1,5,4,2.
std::vector<int32_t> rack_alternated_broker_list(const std::map<int32_t, std::string>& broker_racks);

}  // namespace coordination
