#pragma once

#include "tools/common/args.h"
#include "tools/common/cli_result.h"
#include "tools/topics/topic_description.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tools {

/// One topic in a Metadata answer: its description plus the topic-level Kafka error code.
struct metadata_topic {
    int16_t error_code = 0;
    topic_description description;
};

/// What brook-topics needs from a Metadata response.
struct cluster_metadata {
    int32_t controller_id = -1;
    /// Ids of the live brokers (Metadata's broker list), for --unavailable-partitions.
    std::vector<int32_t> brokers;
    std::vector<metadata_topic> topics;
};

/// A topic to create; -1 leaves partitions / replication factor to the broker's defaults.
struct new_topic {
    std::string name;
    int32_t partitions = -1;
    int16_t replication_factor = -1;
    std::vector<config_entry> configs;
};

/// A CreatePartitions entry: grow `name` to `count` partitions, replicas placed by the controller.
struct partition_increase {
    std::string name;
    int32_t count = 0;

    friend bool operator==(const partition_increase&, const partition_increase&) = default;
};

/// Per-topic outcome of CreateTopics / DeleteTopics / CreatePartitions.
struct topic_result {
    std::string name;
    int16_t error_code = 0;
    std::optional<std::string> error_message;
};

/// The admin operations behind brook-topics. The real implementation (kafka_topics_admin) speaks
/// the Kafka protocol to a cluster; tests substitute a fake. Transport failures (unreachable
/// broker, timeout, unsupported versions) are cli_errors; Kafka error codes come back as values
/// in the results. Used from one thread.
class topics_admin {
public:
    virtual ~topics_admin() = default;

    /// Metadata for all topics and the live brokers.
    virtual cli_result<cluster_metadata> all_topics() = 0;
    virtual cli_result<topic_result> create_topic(const new_topic& topic) = 0;
    virtual cli_result<std::vector<topic_result>> delete_topics(
        const std::vector<std::string>& names) = 0;
    /// CreatePartitions for all of `increases` in one request; one result per topic.
    virtual cli_result<std::vector<topic_result>> create_partitions(
        const std::vector<partition_increase>& increases) = 0;
};

}  // namespace tools
