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
/// Keys 4-7 are the inter-broker (controller) APIs; ZooKeeper-era Kafka brokers list them in
/// ApiVersions too. Clients never send them, and none of the keys kafka-python infers its "broker
/// version" from (0, 1, 2, 3, 9, 29) changes, so adding them changes no client's choices.
/// ControlledShutdown starts at v1: v0's request header has no client id (not our header codec).
/// OffsetForLeaderEpoch (23) is what followers (KIP-101 truncation) and consumers since Kafka 2.1
/// (KIP-320, after a leader change) send; none of kafka-python's probe keys, so no inference moves.
/// InitProducerId (22) v0 is librdkafka's gate for idempotence (a broker without it is "< 0.11");
/// KafkaJS sends it to the controller, kafka-python never. v2+ is flexible and not served.
inline constexpr std::array<api_info, 14> api_table = {{
    {0, "Produce", 3, 7, 9},
    {1, "Fetch", 4, 11, 12},
    {2, "ListOffsets", 0, 3, 6},
    {3, "Metadata", 0, 6, 9},
    {4, "LeaderAndIsr", 0, 3, 4},
    {5, "StopReplica", 0, 1, 2},
    {6, "UpdateMetadata", 0, 5, 6},
    {7, "ControlledShutdown", 1, 2, 3},
    {18, "ApiVersions", 0, 2, 3},
    {19, "CreateTopics", 0, 4, 5},
    {20, "DeleteTopics", 0, 3, 4},
    {22, "InitProducerId", 0, 1, 2},
    {23, "OffsetForLeaderEpoch", 0, 3, 4},
    {37, "CreatePartitions", 0, 1, 2},
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
