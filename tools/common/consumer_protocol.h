#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace tools {

/// A topic partition, ordered by topic then partition.
struct topic_partition {
    std::string topic;
    int32_t partition = 0;

    friend auto operator<=>(const topic_partition&, const topic_partition&) = default;
    friend bool operator==(const topic_partition&, const topic_partition&) = default;
};

/// "topic-partition", as Kafka's TopicPartition.toString prints it.
std::string to_string(const topic_partition& tp);

/// The "consumer" protocol's JoinGroup metadata (Kafka ConsumerProtocol, version 0), big-endian:
///   int16 version | int32 topic count | [int16 len | topic bytes]* | int32 user_data len (-1 null) | bytes
/// Versions 1+ append owned partitions / generation; decode reads version 0's fields of any
/// version and ignores the rest, as the Java client does.
struct consumer_subscription {
    std::vector<std::string> topics;
    std::optional<std::vector<uint8_t>> user_data;

    friend bool operator==(const consumer_subscription&, const consumer_subscription&) = default;
};

/// The SyncGroup assignment bytes (ConsumerProtocol version 0):
///   int16 version | int32 topic count | [int16 len | topic | int32 n | int32 partition * n]* |
///   int32 user_data len (-1 null) | bytes
struct consumer_assignment {
    std::vector<topic_partition> partitions;  ///< grouped by topic in encoding order
    std::optional<std::vector<uint8_t>> user_data;

    friend bool operator==(const consumer_assignment&, const consumer_assignment&) = default;
};

std::vector<uint8_t> encode_subscription(const consumer_subscription& s);
/// nullopt for bytes that are not a subscription (truncated, negative lengths).
std::optional<consumer_subscription> decode_subscription(std::span<const uint8_t> bytes);

/// Partitions of the same topic are written together, topics in order of first appearance.
std::vector<uint8_t> encode_assignment(const consumer_assignment& a);
/// Empty bytes decode to an empty assignment (what the coordinator gives a member the leader
/// left out); malformed bytes give nullopt.
std::optional<consumer_assignment> decode_assignment(std::span<const uint8_t> bytes);

}  // namespace tools
