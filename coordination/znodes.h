#pragma once
// Every znode path and JSON encoding Brook uses, in one place, byte-compatible with Kafka 2.x
// (core/src/main/scala/kafka/zk/ZkData.scala). All paths are relative to the cluster's chroot.
// Decoders never throw: malformed JSON or missing fields come back as errc::malformed_znode.

#include "coordination/errc.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace coordination {

struct broker_info {
    int32_t id = -1;
    std::string host;
    int32_t port = -1;
    std::optional<std::string> rack;
    friend bool operator==(const broker_info&, const broker_info&) = default;
};

/// Leader and ISR of one partition, as stored in .../partitions/<p>/state. zk_version is the
/// znode's data version (not part of the JSON): the controller's conditional sets use it.
struct partition_state {
    int32_t leader = -1;
    int32_t leader_epoch = 0;
    std::vector<int32_t> isr;
    int32_t controller_epoch = 0;
    int32_t zk_version = -1;
    friend bool operator==(const partition_state&, const partition_state&) = default;
};

/// One partition of one topic; ordered so it can key maps and sets.
struct partition_key {
    std::string topic;
    int32_t partition = 0;
    friend auto operator<=>(const partition_key&, const partition_key&) = default;
    friend bool operator==(const partition_key&, const partition_key&) = default;
};

/// Replica assignment of a topic: partition -> replicas, the first one being the preferred leader.
struct topic_assignment {
    std::string name;
    std::map<int32_t, std::vector<int32_t>> partitions;
    friend bool operator==(const topic_assignment&, const topic_assignment&) = default;
};

/// A block of producer ids claimed by one broker, both ends inclusive (Kafka's ProducerIdsBlock,
/// "block_start and block_end are both inclusive"). The latest claimed block lives in
/// /latest_producer_id_block; the next claimer starts at block_end + 1.
struct producer_id_block {
    int32_t broker = -1;
    int64_t block_start = 0;
    int64_t block_end = -1;
    friend bool operator==(const producer_id_block&, const producer_id_block&) = default;
};

namespace znodes {

// Paths.
inline constexpr std::string_view cluster_path = "/cluster";
inline constexpr std::string_view cluster_id_path = "/cluster/id";
inline constexpr std::string_view brokers_path = "/brokers";
inline constexpr std::string_view broker_ids_path = "/brokers/ids";
inline constexpr std::string_view topics_path = "/brokers/topics";
inline constexpr std::string_view controller_path = "/controller";
inline constexpr std::string_view controller_epoch_path = "/controller_epoch";
inline constexpr std::string_view config_path = "/config";
inline constexpr std::string_view config_topics_path = "/config/topics";
inline constexpr std::string_view config_brokers_path = "/config/brokers";
inline constexpr std::string_view config_changes_path = "/config/changes";
inline constexpr std::string_view admin_path = "/admin";
inline constexpr std::string_view delete_topics_path = "/admin/delete_topics";
inline constexpr std::string_view preferred_replica_election_path = "/admin/preferred_replica_election";
inline constexpr std::string_view isr_change_notification_path = "/isr_change_notification";
inline constexpr std::string_view producer_id_block_path = "/latest_producer_id_block";

std::string broker_path(int32_t id);
std::string topic_path(std::string_view topic);
std::string topic_partitions_path(std::string_view topic);
std::string partition_path(std::string_view topic, int32_t partition);
std::string partition_state_path(std::string_view topic, int32_t partition);
std::string config_topic_path(std::string_view topic);
std::string delete_topic_path(std::string_view topic);
/// Prefix of the sequential /config/changes/config_change_<10 digits> notifications.
inline constexpr std::string_view config_change_prefix = "config_change_";

/// Persistent paths every broker makes sure exist at startup (Kafka's ZkData.PersistentZkPaths,
/// without the old consumer, seqid and log-dir-event paths Brook never uses). Created empty:
/// /latest_producer_id_block with no data means "no block claimed yet", as in Kafka.
const std::vector<std::string>& persistent_paths();

// /cluster/id: {"version":"1","id":"<22-char base64url uuid>"}
std::string encode_cluster_id(std::string_view id);
result<std::string> decode_cluster_id(std::string_view data);
/// A random 16-byte uuid as unpadded base64url (22 characters), as Kafka's Uuid.randomUuid.
std::string generate_cluster_id();

// /brokers/ids/<id>: {"version":5,"host":h,"port":p,"endpoints":["PLAINTEXT://h:p"],
//   "listener_security_protocol_map":{"PLAINTEXT":"PLAINTEXT"},"rack":null|"r","jmx_port":-1,
//   "timestamp":"<ms>"}
std::string encode_broker(const broker_info& b, int64_t timestamp_ms);
/// Host and port come from "host"/"port" or, when host is null (no PLAINTEXT listener), from the
/// first endpoint.
result<broker_info> decode_broker(int32_t id, std::string_view data);

// /controller: {"version":1,"brokerid":N,"timestamp":"<ms>"}
std::string encode_controller(int32_t broker_id, int64_t timestamp_ms);
result<int32_t> decode_controller(std::string_view data);

// /controller_epoch: the epoch as decimal text, e.g. "7".
std::string encode_controller_epoch(int32_t epoch);
result<int32_t> decode_controller_epoch(std::string_view data);

// /brokers/topics/<t>: {"version":2,"partitions":{"0":[1,2,3]},"adding_replicas":{},
//   "removing_replicas":{}}. Older version 1 (no adding/removing) decodes too.
std::string encode_topic_assignment(const topic_assignment& t);
result<topic_assignment> decode_topic_assignment(std::string_view topic, std::string_view data);

// /brokers/topics/<t>/partitions/<p>/state:
//   {"controller_epoch":E,"leader":L,"version":1,"leader_epoch":LE,"isr":[...]}
std::string encode_partition_state(const partition_state& s);
result<partition_state> decode_partition_state(std::string_view data, int32_t zk_version);

// /admin/preferred_replica_election: {"version":1,"partitions":[{"topic":"t","partition":0}]}
std::string encode_preferred_replica_election(const std::vector<partition_key>& partitions);
result<std::vector<partition_key>> decode_preferred_replica_election(std::string_view data);

// /config/topics/<t>: {"version":1,"config":{"k":"v"}}
std::string encode_topic_config(const std::map<std::string, std::string>& config);
result<std::map<std::string, std::string>> decode_topic_config(std::string_view data);

// /config/changes/config_change_<seq>: {"version":2,"entity_path":"topics/<t>"} (Kafka's
//   ConfigEntityChangeNotificationSequenceZNode). Version 1, {"version":1,"entity_type":"topics",
//   "entity_name":"<t>"}, written by Kafka before 2.0, decodes too.
struct config_entity {
    std::string type;  // "topics", "brokers", ...
    std::string name;
    friend bool operator==(const config_entity&, const config_entity&) = default;
};
std::string encode_config_change(const config_entity& e);
result<config_entity> decode_config_change(std::string_view data);

// /latest_producer_id_block: {"version":1,"broker":B,"block_start":"<first>","block_end":"<last>"}
//   The ids are JSON strings of decimal longs (Kafka's ProducerIdBlockZNode), so readers that parse
//   numbers as doubles cannot round them. Decoding is as strict as Kafka's: "broker" an int32,
//   both ends strings of int64; additionally 0 <= block_start <= block_end. Empty data (the node
//   as created by persistent_paths()) is malformed here; the caller treats it as "no block yet".
std::string encode_producer_id_block(const producer_id_block& b);
result<producer_id_block> decode_producer_id_block(std::string_view data);

/// Kafka's topic name rule: 1..249 chars of [a-zA-Z0-9._-], not "." or "..".
bool valid_topic_name(std::string_view topic);

/// Current wall-clock time in ms, the "timestamp" of broker and controller znodes.
int64_t now_ms();

}  // namespace znodes
}  // namespace coordination
