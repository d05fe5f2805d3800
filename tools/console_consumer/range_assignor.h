#pragma once

#include "tools/common/consumer_protocol.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace tools {

/// Kafka's RangeAssignor ("range"): per topic, the members subscribed to it sorted by member id
/// get consecutive ranges of partitions; the first (partitions % members) members get one more.
/// `subscriptions`: member id -> topics; `partition_counts`: topic -> partition count (topics
/// missing there get nothing). Every member appears in the result, possibly with nothing.
std::map<std::string, std::vector<topic_partition>> range_assign(
    const std::map<std::string, std::vector<std::string>>& subscriptions,
    const std::map<std::string, int32_t>& partition_counts);

}  // namespace tools
