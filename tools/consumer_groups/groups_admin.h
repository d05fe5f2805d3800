#pragma once

#include "tools/common/cli_result.h"
#include "tools/common/consumer_protocol.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace tools {

/// A group member as DescribeGroups reports it, its assignment decoded (ConsumerProtocol).
struct group_member {
    std::string member_id;
    std::string client_id;
    std::string host;
    std::vector<topic_partition> assignment;
};

/// A broker that coordinates a group.
struct coordinator_node {
    int32_t id = -1;
    std::string host;
    int32_t port = 0;
};

/// DescribeGroups' answer for one group. An unknown group is state "Dead" with no members
/// (Kafka's coordinator answers so), error_code 0.
struct group_description {
    int16_t error_code = 0;
    std::string group_id;
    std::string state;
    std::string protocol_type;
    std::string protocol;  ///< the assignor ("range"), empty when not Stable
    std::vector<group_member> members;
    coordinator_node coordinator;
};

/// ListOffsets special timestamps.
inline constexpr int64_t latest_timestamp = -1;
inline constexpr int64_t earliest_timestamp = -2;

/// The operations behind brook-consumer-groups. The real implementation (kafka_groups_admin)
/// speaks the Kafka protocol; tests substitute a fake. Transport failures are cli_errors; Kafka
/// error codes are values. One thread.
class groups_admin {
public:
    virtual ~groups_admin() = default;

    /// ListGroups on every broker: (group id, protocol type) pairs, any order, maybe duplicated.
    virtual cli_result<std::vector<std::pair<std::string, std::string>>> list_groups() = 0;
    virtual cli_result<group_description> describe_group(const std::string& group) = 0;
    /// Committed offsets of every partition the group has one for (OffsetFetch, all topics).
    virtual cli_result<std::map<topic_partition, int64_t>> committed_offsets(const std::string& group) = 0;
    /// ListOffsets on the leaders: timestamp latest/earliest or a time in ms; a partition whose
    /// offset is unknown (no leader, error, or -1 for a time after the last record) is absent.
    virtual cli_result<std::map<topic_partition, int64_t>> list_offsets(
        const std::vector<topic_partition>& partitions, int64_t timestamp) = 0;
    /// Partition ids of a topic (Metadata); an unknown topic is an error.
    virtual cli_result<std::vector<int32_t>> partitions_of(const std::string& topic) = 0;
    /// OffsetCommit as an admin (generation -1, member ""); error code per partition.
    virtual cli_result<std::map<topic_partition, int16_t>> commit_offsets(
        const std::string& group, const std::map<topic_partition, int64_t>& offsets) = 0;
    /// DeleteGroups on each group's coordinator; error code per group.
    virtual cli_result<std::map<std::string, int16_t>> delete_groups(const std::vector<std::string>& groups) = 0;
};

}  // namespace tools
