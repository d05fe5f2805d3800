#include "coordination/znodes.h"

#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include <charconv>
#include <chrono>
#include <random>

namespace coordination::znodes {
namespace {

using ordered = nlohmann::ordered_json;
using json = nlohmann::json;

// Parses or returns nullopt; nlohmann's non-throwing parse gives a discarded value on error.
std::optional<json> parse(std::string_view data) {
    json j = json::parse(data.begin(), data.end(), nullptr, false);
    if (j.is_discarded() || !j.is_object()) return std::nullopt;
    return j;
}

std::optional<int32_t> get_i32(const json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_number_integer()) return std::nullopt;
    auto v = it->get<int64_t>();
    if (v < INT32_MIN || v > INT32_MAX) return std::nullopt;
    return static_cast<int32_t>(v);
}

std::optional<int32_t> parse_i32(std::string_view s) {
    int32_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || p != s.data() + s.size() || s.empty()) return std::nullopt;
    return v;
}

std::optional<int64_t> parse_i64(std::string_view s) {
    int64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || p != s.data() + s.size() || s.empty()) return std::nullopt;
    return v;
}

std::optional<std::vector<int32_t>> get_i32_array(const json& j) {
    if (!j.is_array()) return std::nullopt;
    std::vector<int32_t> out;
    for (const auto& e : j) {
        if (!e.is_number_integer()) return std::nullopt;
        out.push_back(e.get<int32_t>());
    }
    return out;
}

}  // namespace

std::string broker_path(int32_t id) { return fmt::format("{}/{}", broker_ids_path, id); }
std::string topic_path(std::string_view topic) { return fmt::format("{}/{}", topics_path, topic); }
std::string topic_partitions_path(std::string_view topic) { return topic_path(topic) + "/partitions"; }
std::string partition_path(std::string_view topic, int32_t p) {
    return fmt::format("{}/{}", topic_partitions_path(topic), p);
}
std::string partition_state_path(std::string_view topic, int32_t p) { return partition_path(topic, p) + "/state"; }
std::string config_topic_path(std::string_view topic) { return fmt::format("{}/{}", config_topics_path, topic); }
std::string delete_topic_path(std::string_view topic) { return fmt::format("{}/{}", delete_topics_path, topic); }

const std::vector<std::string>& persistent_paths() {
    static const std::vector<std::string> paths = {
        std::string(cluster_path),        std::string(broker_ids_path),     std::string(topics_path),
        std::string(config_changes_path), std::string(config_topics_path),  std::string(config_brokers_path),
        std::string(delete_topics_path),  std::string(isr_change_notification_path),
        std::string(producer_id_block_path),
    };
    return paths;
}

std::string encode_cluster_id(std::string_view id) {
    ordered j;
    j["version"] = "1";
    j["id"] = id;
    return j.dump();
}

result<std::string> decode_cluster_id(std::string_view data) {
    auto j = parse(data);
    if (!j) return errc::malformed_znode;
    auto it = j->find("id");
    if (it == j->end() || !it->is_string() || it->get<std::string>().empty()) return errc::malformed_znode;
    return it->get<std::string>();
}

std::string generate_cluster_id() {
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::random_device rd;
    std::array<uint8_t, 16> b;
    for (auto& x : b) x = static_cast<uint8_t>(rd());
    b[6] = (b[6] & 0x0f) | 0x40;  // version 4, as java.util.UUID.randomUUID
    b[8] = (b[8] & 0x3f) | 0x80;
    std::string out;
    // 16 bytes = 5 full 3-byte groups (20 chars) + 1 byte (2 chars), no padding: 22 chars.
    size_t i = 0;
    for (; i + 3 <= b.size(); i += 3) {
        uint32_t v = (b[i] << 16) | (b[i + 1] << 8) | b[i + 2];
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += alphabet[(v >> 6) & 63];
        out += alphabet[v & 63];
    }
    uint32_t v = b[i] << 16;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    return out;
}

std::string encode_broker(const broker_info& b, int64_t timestamp_ms) {
    ordered j;
    j["version"] = 5;
    j["host"] = b.host;
    j["port"] = b.port;
    j["endpoints"] = ordered::array({fmt::format("PLAINTEXT://{}:{}", b.host, b.port)});
    j["listener_security_protocol_map"] = ordered{{"PLAINTEXT", "PLAINTEXT"}};
    j["rack"] = b.rack ? ordered(*b.rack) : ordered(nullptr);
    j["jmx_port"] = -1;
    j["timestamp"] = std::to_string(timestamp_ms);
    return j.dump();
}

result<broker_info> decode_broker(int32_t id, std::string_view data) {
    auto j = parse(data);
    if (!j) return errc::malformed_znode;
    broker_info b;
    b.id = id;
    auto host = j->find("host");
    auto port = get_i32(*j, "port");
    if (host != j->end() && host->is_string() && port && *port > 0) {
        b.host = host->get<std::string>();
        b.port = *port;
    } else {
        // No PLAINTEXT listener: take the first endpoint "NAME://host:port" (host may be [v6]).
        auto eps = j->find("endpoints");
        if (eps == j->end() || !eps->is_array() || eps->empty() || !(*eps)[0].is_string()) {
            return errc::malformed_znode;
        }
        std::string ep = (*eps)[0].get<std::string>();
        auto scheme = ep.find("://");
        auto colon = ep.rfind(':');
        if (scheme == std::string::npos || colon == std::string::npos || colon < scheme + 3) {
            return errc::malformed_znode;
        }
        auto p = parse_i32(std::string_view(ep).substr(colon + 1));
        if (!p) return errc::malformed_znode;
        b.host = ep.substr(scheme + 3, colon - scheme - 3);
        b.port = *p;
    }
    auto rack = j->find("rack");
    if (rack != j->end() && rack->is_string()) b.rack = rack->get<std::string>();
    return b;
}

std::string encode_controller(int32_t broker_id, int64_t timestamp_ms) {
    ordered j;
    j["version"] = 1;
    j["brokerid"] = broker_id;
    j["timestamp"] = std::to_string(timestamp_ms);
    return j.dump();
}

result<int32_t> decode_controller(std::string_view data) {
    auto j = parse(data);
    if (!j) {
        // Kafka 0.8 wrote the bare broker id; KafkaZkClient still accepts it.
        if (auto v = parse_i32(data)) return *v;
        return errc::malformed_znode;
    }
    auto id = get_i32(*j, "brokerid");
    if (!id) return errc::malformed_znode;
    return *id;
}

std::string encode_controller_epoch(int32_t epoch) { return std::to_string(epoch); }

result<int32_t> decode_controller_epoch(std::string_view data) {
    auto v = parse_i32(data);
    if (!v || *v < 0) return errc::malformed_znode;
    return *v;
}

std::string encode_topic_assignment(const topic_assignment& t) {
    ordered parts = ordered::object();
    for (const auto& [p, replicas] : t.partitions) parts[std::to_string(p)] = replicas;
    ordered j;
    j["version"] = 2;
    j["partitions"] = parts;
    j["adding_replicas"] = ordered::object();
    j["removing_replicas"] = ordered::object();
    return j.dump();
}

result<topic_assignment> decode_topic_assignment(std::string_view topic, std::string_view data) {
    auto j = parse(data);
    if (!j) return errc::malformed_znode;
    auto parts = j->find("partitions");
    if (parts == j->end() || !parts->is_object()) return errc::malformed_znode;
    topic_assignment t;
    t.name = topic;
    for (auto it = parts->begin(); it != parts->end(); ++it) {
        auto p = parse_i32(it.key());
        auto replicas = get_i32_array(it.value());
        if (!p || *p < 0 || !replicas) return errc::malformed_znode;
        t.partitions[*p] = std::move(*replicas);
    }
    return t;
}

std::string encode_preferred_replica_election(const std::vector<partition_key>& partitions) {
    ordered j;
    j["version"] = 1;
    j["partitions"] = ordered::array();
    for (const auto& p : partitions) {
        ordered e;
        e["topic"] = p.topic;
        e["partition"] = p.partition;
        j["partitions"].push_back(std::move(e));
    }
    return j.dump();
}

result<std::vector<partition_key>> decode_preferred_replica_election(std::string_view data) {
    auto j = parse(data);
    if (!j) return errc::malformed_znode;
    auto parts = j->find("partitions");
    if (parts == j->end() || !parts->is_array()) return errc::malformed_znode;
    std::vector<partition_key> out;
    for (const auto& e : *parts) {
        if (!e.is_object()) return errc::malformed_znode;
        auto t = e.find("topic");
        auto p = get_i32(e, "partition");
        if (t == e.end() || !t->is_string() || !p || *p < 0) return errc::malformed_znode;
        out.push_back({t->get<std::string>(), *p});
    }
    return out;
}

std::string encode_partition_state(const partition_state& s) {
    ordered j;
    j["controller_epoch"] = s.controller_epoch;
    j["leader"] = s.leader;
    j["version"] = 1;
    j["leader_epoch"] = s.leader_epoch;
    j["isr"] = s.isr;
    return j.dump();
}

result<partition_state> decode_partition_state(std::string_view data, int32_t zk_version) {
    auto j = parse(data);
    if (!j) return errc::malformed_znode;
    auto leader = get_i32(*j, "leader");
    auto leader_epoch = get_i32(*j, "leader_epoch");
    auto controller_epoch = get_i32(*j, "controller_epoch");
    auto isr_it = j->find("isr");
    if (!leader || !leader_epoch || !controller_epoch || isr_it == j->end()) return errc::malformed_znode;
    auto isr = get_i32_array(*isr_it);
    if (!isr) return errc::malformed_znode;
    partition_state s;
    s.leader = *leader;
    s.leader_epoch = *leader_epoch;
    s.controller_epoch = *controller_epoch;
    s.isr = std::move(*isr);
    s.zk_version = zk_version;
    return s;
}

std::string encode_topic_config(const std::map<std::string, std::string>& config) {
    ordered j;
    j["version"] = 1;
    j["config"] = ordered::object();
    for (const auto& [k, v] : config) j["config"][k] = v;
    return j.dump();
}

result<std::map<std::string, std::string>> decode_topic_config(std::string_view data) {
    auto j = parse(data);
    if (!j) return errc::malformed_znode;
    auto cfg = j->find("config");
    if (cfg == j->end() || !cfg->is_object()) return errc::malformed_znode;
    std::map<std::string, std::string> out;
    for (auto it = cfg->begin(); it != cfg->end(); ++it) {
        if (!it.value().is_string()) return errc::malformed_znode;
        out[it.key()] = it.value().get<std::string>();
    }
    return out;
}

std::string encode_config_change(const config_entity& e) {
    ordered j;
    j["version"] = 2;
    j["entity_path"] = e.type + "/" + e.name;
    return j.dump();
}

result<config_entity> decode_config_change(std::string_view data) {
    auto j = parse(data);
    if (!j) return errc::malformed_znode;
    auto version = j->find("version");
    if (version == j->end() || !version->is_number_integer()) return errc::malformed_znode;
    auto str = [&](const char* key) -> std::optional<std::string> {
        auto it = j->find(key);
        if (it == j->end() || !it->is_string()) return std::nullopt;
        return it->get<std::string>();
    };
    if (version->get<int>() == 1) {
        auto type = str("entity_type");
        auto name = str("entity_name");
        if (!type || !name || type->empty() || name->empty()) return errc::malformed_znode;
        return config_entity{*type, *name};
    }
    if (version->get<int>() != 2) return errc::malformed_znode;
    auto path = str("entity_path");
    if (!path) return errc::malformed_znode;
    // "topics/<t>"; user and client quota paths have more slashes ("users/u/clients/c"): the
    // type is the first component, the name the rest.
    auto slash = path->find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == path->size()) return errc::malformed_znode;
    return config_entity{path->substr(0, slash), path->substr(slash + 1)};
}

std::string encode_producer_id_block(const producer_id_block& b) {
    ordered j;
    j["version"] = 1;
    j["broker"] = b.broker;
    j["block_start"] = std::to_string(b.block_start);
    j["block_end"] = std::to_string(b.block_end);
    return j.dump();
}

result<producer_id_block> decode_producer_id_block(std::string_view data) {
    auto j = parse(data);
    if (!j) return errc::malformed_znode;
    auto broker = get_i32(*j, "broker");
    auto start = j->find("block_start");
    auto end = j->find("block_end");
    if (!broker || start == j->end() || end == j->end() || !start->is_string() || !end->is_string()) {
        return errc::malformed_znode;
    }
    auto first = parse_i64(start->get<std::string>());
    auto last = parse_i64(end->get<std::string>());
    if (!first || !last || *first < 0 || *last < *first) return errc::malformed_znode;
    return producer_id_block{*broker, *first, *last};
}

bool valid_topic_name(std::string_view topic) {
    if (topic.empty() || topic.size() > 249 || topic == "." || topic == "..") return false;
    for (char c : topic) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                  c == '_' || c == '-';
        if (!ok) return false;
    }
    return true;
}

int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace coordination::znodes
