#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace protocol {

/// One API the broker serves, with the version range it ADVERTISES in ApiVersions. A generated
/// codec may accept more (ApiVersions decodes v3 so clients can be answered), never less: the
/// static_asserts in api_registry.cc keep this table inside the generated schemas' ranges.
struct api_info {
    int16_t key;
    std::string_view name;
    int16_t min_version;
    int16_t max_version;
    /// First flexible version (Kafka's, even when above max_version); -1 = never flexible.
    int16_t first_flexible;
};

/// The single table of advertised ranges (kafka-protocol.md §1, phase 1). Every broker advertises
/// the same ranges (KafkaJS reuses the seed broker's map). Sorted by key.
/// Produce starts at 0 although every client we serve sends v3+ with record batch v2: librdkafka
/// (up to 2.11.0) compresses with gzip, snappy or lz4 only against a broker whose Produce range
/// contains v0 (rdkafka_msgset_writer.c asks rd_kafka_broker_ApiVersion_supported(Produce, 0, 0)),
/// and otherwise sends those batches uncompressed. v0-v2 requests are decoded; their records must
/// be magic 2 (else UNSUPPORTED_FOR_MESSAGE_FORMAT per partition).
/// Keys 4-7 are the inter-broker (controller) APIs; ZooKeeper-era Kafka brokers list them in
/// ApiVersions too. Clients never send them, and none of the keys kafka-python infers its "broker
/// version" from (0, 1, 2, 3, 9, 29) changes, so adding them changes no client's choices.
/// ControlledShutdown starts at v1: v0's request header has no client id (not our header codec).
/// OffsetForLeaderEpoch (23) is what followers (KIP-101 truncation) and consumers since Kafka 2.1
/// (KIP-320, after a leader change) send; none of kafka-python's probe keys, so no inference moves.
/// InitProducerId (22) v0 is librdkafka's gate for idempotence (a broker without it is "< 0.11");
/// KafkaJS sends it to the controller, kafka-python never. v2+ is flexible and not served.
/// Consumer-group APIs (8-16, 42, 47; kafka-protocol.md §1, §4), all up to the last non-flexible
/// version: OffsetCommit 0-7 (kafka-python sends 2, KafkaJS 5, librdkafka 7). OffsetFetch starts at
/// 1: v0 read ZooKeeper offsets; KafkaJS needs >= 1, kafka-python sends 1, librdkafka picks 5
/// (kafka-python's probe for OffsetFetch v2 sits below Fetch v11, so it still infers 2.3).
/// FindCoordinator must include 0: librdkafka's BrokerGroupCoordinator and LZ4 feature gates test
/// v0 (kafka-python sends 0; v1+ is needed for transaction coordinators). JoinGroup 0-5: KafkaJS
/// and librdkafka pick 5 (null group instance id when static membership is not configured),
/// kafka-python sends 2. Heartbeat/LeaveGroup/SyncGroup 0-3 (LeaveGroup v3 is KafkaJS's batch of
/// members), DescribeGroups 0-4 and ListGroups 0-2 (librdkafka's legacy list_groups sends 0),
/// DeleteGroups 0-1, OffsetDelete 0 (never flexible: first_flexible -1).
/// Configs (brook-configs, kafka-configs, AdminClient): DescribeConfigs 0-2 (librdkafka and
/// kafka-python send 0-1), AlterConfigs 0-1, IncrementalAlterConfigs 0-1 (v1 flexible; Kafka 2.3+
/// tools and librdkafka 2.2+ use it for --add-config / --delete-config).
/// DeleteRecords (21) 0-1 (kafka-delete-records, AdminClient.deleteRecords; v2 is flexible). Not a
/// kafka-python probe key.
inline constexpr std::array<api_info, 29> api_table = {{
    {0, "Produce", 0, 7, 9},
    {1, "Fetch", 4, 11, 12},
    {2, "ListOffsets", 0, 3, 6},
    {3, "Metadata", 0, 6, 9},
    {4, "LeaderAndIsr", 0, 3, 4},
    {5, "StopReplica", 0, 1, 2},
    {6, "UpdateMetadata", 0, 5, 6},
    {7, "ControlledShutdown", 1, 2, 3},
    {8, "OffsetCommit", 0, 7, 8},
    {9, "OffsetFetch", 1, 5, 6},
    {10, "FindCoordinator", 0, 2, 3},
    {11, "JoinGroup", 0, 5, 6},
    {12, "Heartbeat", 0, 3, 4},
    {13, "LeaveGroup", 0, 3, 4},
    {14, "SyncGroup", 0, 3, 4},
    {15, "DescribeGroups", 0, 4, 5},
    {16, "ListGroups", 0, 2, 3},
    {18, "ApiVersions", 0, 2, 3},
    {19, "CreateTopics", 0, 4, 5},
    {20, "DeleteTopics", 0, 3, 4},
    {21, "DeleteRecords", 0, 1, 2},
    {22, "InitProducerId", 0, 1, 2},
    {23, "OffsetForLeaderEpoch", 0, 3, 4},
    {32, "DescribeConfigs", 0, 2, 4},
    {33, "AlterConfigs", 0, 1, 2},
    {37, "CreatePartitions", 0, 1, 2},
    {42, "DeleteGroups", 0, 1, 2},
    {44, "IncrementalAlterConfigs", 0, 1, 1},
    {47, "OffsetDelete", 0, 0, -1},
}};

inline constexpr int16_t api_versions_key = 18;

/// nullptr when we do not serve `key`.
const api_info* find_api(int16_t key);
std::span<const api_info> supported_apis();
/// True when `version` of `key` lies in the advertised range.
bool is_supported(int16_t key, int16_t version);
/// Flexible per Kafka's schema for a key we know (also above our advertised max, e.g. ApiVersions
/// v3); false for unknown keys.
bool is_flexible(int16_t key, int16_t version);
/// 2 for flexible (key, version), else 1.
int request_header_version(int16_t key, int16_t version);
/// 1 for flexible (key, version), else 0; ApiVersions is ALWAYS 0 so a client can read the error
/// code of a version it did not expect (ApiVersionsResponse.json).
int response_header_version(int16_t key, int16_t version);

}  // namespace protocol
