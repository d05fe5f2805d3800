#include "broker/topic_config.h"

#include <algorithm>
#include <charconv>
#include <functional>
#include <limits>

#include <spdlog/spdlog.h>

namespace broker {
namespace {

enum class kind { boolean, integer, list, choice, ratio };

/// One topic config Brook honours. `broker_keys` are the server.properties settings it falls back
/// to, highest precedence first (Kafka's synonyms); `default_key`/`default_text` the synonym Kafka
/// reports as DEFAULT_CONFIG; `effective` the broker's value in effect, as text.
struct definition {
    std::string_view name;
    kind type;
    int64_t min = std::numeric_limits<int64_t>::min();
    int64_t max = std::numeric_limits<int64_t>::max();
    std::vector<std::string_view> allowed;  // list / choice values
    std::string_view why_only;              // choice: why only `allowed` (the INVALID_CONFIG message)
    std::vector<std::string_view> broker_keys;
    std::string_view default_key;
    std::string_view default_text;
    std::function<std::string(const config&)> effective;
};

constexpr int64_t int32_max = std::numeric_limits<int32_t>::max();
constexpr int64_t int64_max = std::numeric_limits<int64_t>::max();

/// Shortest text that reads back as the same double ("0.5"), as Java prints it.
std::string format_double(double d) {
    char buf[64];
    auto [p, ec] = std::to_chars(buf, buf + sizeof buf, d);
    std::string s(buf, ec == std::errc{} ? p : buf);
    if (s.find_first_of(".e") == std::string::npos) s += ".0";
    return s;
}

const std::vector<definition>& definitions() {
    static const std::vector<definition> defs = {
        {"cleanup.policy", kind::list, 0, 0, {"compact", "delete"}, {}, {"log.cleanup.policy"}, "log.cleanup.policy",
         "delete", [](const config& c) { return c.log_cleanup_policy; }},
        {"compression.type", kind::choice, 0, 0, {"producer"},
         "Brook stores batches as the producer compressed them, so compression.type can only be 'producer'", {}, {},
         {}, [](const config&) { return std::string("producer"); }},
        {"delete.retention.ms", kind::integer, 0, int64_max, {}, {}, {"log.cleaner.delete.retention.ms"},
         "log.cleaner.delete.retention.ms", "86400000",
         [](const config& c) { return std::to_string(c.log_cleaner_delete_retention_ms); }},
        {"flush.messages", kind::integer, 1, std::numeric_limits<int64_t>::max(), {}, {},
         {"log.flush.interval.messages"}, "log.flush.interval.messages", "9223372036854775807",
         [](const config& c) { return std::to_string(c.log_flush_interval_messages); }},
        {"flush.ms", kind::integer, 0, std::numeric_limits<int64_t>::max(), {}, {}, {"log.flush.interval.ms"},
         "log.flush.interval.ms", "9223372036854775807",
         [](const config& c) { return std::to_string(c.log_flush_interval_ms); }},
        {"index.interval.bytes", kind::integer, 0, int32_max, {}, {}, {"log.index.interval.bytes"},
         "log.index.interval.bytes", "4096", [](const config& c) { return std::to_string(c.log_index_interval_bytes); }},
        {"max.message.bytes", kind::integer, 0, int32_max, {}, {}, {"message.max.bytes"}, "message.max.bytes",
         "1048588", [](const config& c) { return std::to_string(c.message_max_bytes); }},
        {"message.timestamp.type", kind::choice, 0, 0, {"CreateTime"},
         "Brook keeps the producer's timestamps, so message.timestamp.type can only be 'CreateTime'", {}, {}, {},
         [](const config&) { return std::string("CreateTime"); }},
        {"min.cleanable.dirty.ratio", kind::ratio, 0, 1, {}, {}, {"log.cleaner.min.cleanable.ratio"},
         "log.cleaner.min.cleanable.ratio", "0.5",
         [](const config& c) { return format_double(c.log_cleaner_min_cleanable_ratio); }},
        {"min.compaction.lag.ms", kind::integer, 0, int64_max, {}, {}, {"log.cleaner.min.compaction.lag.ms"},
         "log.cleaner.min.compaction.lag.ms", "0",
         [](const config& c) { return std::to_string(c.log_cleaner_min_compaction_lag_ms); }},
        {"min.insync.replicas", kind::integer, 1, int32_max, {}, {}, {"min.insync.replicas"}, "min.insync.replicas",
         "1", [](const config& c) { return std::to_string(c.min_insync_replicas); }},
        {"retention.bytes", kind::integer, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(), {},
         {}, {"log.retention.bytes"}, "log.retention.bytes", "-1",
         [](const config& c) { return std::to_string(c.log_retention_bytes); }},
        {"retention.ms", kind::integer, -1, std::numeric_limits<int64_t>::max(), {}, {},
         {"log.retention.ms", "log.retention.minutes", "log.retention.hours"}, "log.retention.hours", "168",
         [](const config& c) { return std::to_string(c.log_retention_ms); }},
        // Kafka's floor is 14 bytes; below 1 KiB every batch would be a segment of its own.
        {"segment.bytes", kind::integer, 1024, int32_max, {}, {}, {"log.segment.bytes"}, "log.segment.bytes",
         "1073741824", [](const config& c) { return std::to_string(c.log_segment_bytes); }},
        {"segment.index.bytes", kind::integer, 4, int32_max, {}, {}, {"log.index.size.max.bytes"},
         "log.index.size.max.bytes", "10485760",
         [](const config& c) { return std::to_string(c.log_index_size_max_bytes); }},
        {"segment.ms", kind::integer, 1, std::numeric_limits<int64_t>::max(), {}, {}, {"log.roll.ms", "log.roll.hours"},
         "log.roll.hours", "168", [](const config& c) { return std::to_string(c.log_roll_ms); }},
        {"unclean.leader.election.enable", kind::boolean, 0, 0, {}, {}, {"unclean.leader.election.enable"},
         "unclean.leader.election.enable", "false",
         [](const config& c) { return std::string(c.unclean_leader_election_enable ? "true" : "false"); }},
    };
    return defs;
}

/// Kafka topic configs Brook does not implement (yet): rejected by name, not as unknown.
constexpr std::string_view kafka_only[] = {
    "file.delete.delay.ms",
    "follower.replication.throttled.replicas",
    "leader.replication.throttled.replicas",
    "max.compaction.lag.ms",
    "message.downconversion.enable",
    "message.format.version",
    "message.timestamp.difference.max.ms",
    "preallocate",
    "segment.jitter.ms",
};

const definition* find(std::string_view name) {
    for (const auto& d : definitions()) {
        if (d.name == name) return &d;
    }
    return nullptr;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

std::optional<int64_t> parse_integer(std::string_view s) {
    s = trim(s);
    int64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
    return v;
}

std::optional<bool> parse_boolean(std::string_view s) {
    std::string lower(trim(s));
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char ch) { return std::tolower(ch); });
    if (lower == "true") return true;
    if (lower == "false") return false;
    return std::nullopt;
}

std::optional<double> parse_ratio(std::string_view s) {
    s = trim(s);
    double v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
    return v;
}

std::vector<std::string_view> split_list(std::string_view s) {
    std::vector<std::string_view> out;
    while (true) {
        auto comma = s.find(',');
        out.push_back(trim(s.substr(0, comma)));
        if (comma == std::string_view::npos) break;
        s.remove_prefix(comma + 1);
    }
    return out;
}

std::string joined(const std::vector<std::string_view>& v) {
    std::string out;
    for (auto s : v) out += (out.empty() ? "" : ", ") + std::string(s);
    return out;
}

std::optional<std::string> check(const definition& d, std::string_view value) {
    auto bad = [&](const std::string& expected) {
        return "Invalid value " + std::string(value) + " for configuration " + std::string(d.name) + ": " + expected;
    };
    switch (d.type) {
        case kind::boolean:
            if (!parse_boolean(value)) return bad("Expected value to be either true or false");
            return std::nullopt;
        case kind::integer: {
            // Kafka's INT configs are those whose range fits 32 bits.
            const bool int32 = d.max <= int32_max;
            auto v = parse_integer(value);
            if (!v || (int32 && (*v > int32_max || *v < std::numeric_limits<int32_t>::min()))) {
                return bad(int32 ? "Not a number of type INT" : "Not a number of type LONG");
            }
            if (*v < d.min) return bad("Value must be at least " + std::to_string(d.min));
            if (*v > d.max) return bad("Value must be no more than " + std::to_string(d.max));
            return std::nullopt;
        }
        case kind::list: {
            auto items = split_list(value);
            for (auto item : items) {
                if (std::find(d.allowed.begin(), d.allowed.end(), item) == d.allowed.end()) {
                    return bad("String must be one of: " + joined(d.allowed));
                }
            }
            return std::nullopt;
        }
        case kind::ratio: {
            auto v = parse_ratio(value);
            if (!v) return bad("Not a number of type DOUBLE");
            if (*v < static_cast<double>(d.min)) return bad("Value must be at least " + std::to_string(d.min));
            if (*v > static_cast<double>(d.max)) return bad("Value must be no more than " + std::to_string(d.max));
            return std::nullopt;
        }
        case kind::choice:
            if (std::find(d.allowed.begin(), d.allowed.end(), trim(value)) == d.allowed.end()) {
                return bad(std::string(d.why_only));
            }
            return std::nullopt;
    }
    return std::nullopt;
}

}  // namespace

std::optional<std::string> validate_topic_config(std::string_view name, std::string_view value) {
    if (const definition* d = find(name)) return check(*d, value);
    if (std::find(std::begin(kafka_only), std::end(kafka_only), name) != std::end(kafka_only)) {
        return "Topic config " + std::string(name) + " is a Kafka setting Brook does not support yet";
    }
    return "Unknown topic config name: " + std::string(name);
}

std::optional<std::string> validate_topic_configs(const std::map<std::string, std::string>& configs) {
    for (const auto& [name, value] : configs) {
        if (auto problem = validate_topic_config(name, value)) return problem;
    }
    return std::nullopt;
}

bool is_list_config(std::string_view name) {
    const definition* d = find(name);
    return d != nullptr && d->type == kind::list;
}

topic_overrides parse_topic_overrides(const std::string& topic, const std::map<std::string, std::string>& configs) {
    topic_overrides out;
    for (const auto& [name, value] : configs) {
        if (auto problem = validate_topic_config(name, value)) {
            spdlog::warn("topic {}: ignoring config {}={}: {}", topic, name, value, *problem);
            continue;
        }
        auto number = [&] { return *parse_integer(value); };
        if (name == "segment.bytes") {
            out.log.segment_bytes = static_cast<uint64_t>(number());
        } else if (name == "retention.ms") {
            out.log.retention_ms = number();
        } else if (name == "retention.bytes") {
            out.log.retention_bytes = number();
        } else if (name == "cleanup.policy") {
            std::string policy;
            for (auto item : split_list(value)) policy += (policy.empty() ? "" : ",") + std::string(item);
            out.log.cleanup_policy = policy;
        } else if (name == "segment.ms") {
            out.log.segment_ms = number();
        } else if (name == "segment.index.bytes") {
            out.log.segment_index_bytes = static_cast<uint32_t>(number());
        } else if (name == "index.interval.bytes") {
            out.log.index_interval_bytes = static_cast<uint32_t>(number());
        } else if (name == "flush.messages") {
            out.log.flush_messages = number();
        } else if (name == "flush.ms") {
            out.log.flush_ms = number();
        } else if (name == "max.message.bytes") {
            out.log.max_message_bytes = static_cast<uint32_t>(number());
        } else if (name == "min.insync.replicas") {
            out.min_insync_replicas = static_cast<int32_t>(number());
        } else if (name == "delete.retention.ms") {
            out.log.delete_retention_ms = number();
        } else if (name == "min.compaction.lag.ms") {
            out.log.min_compaction_lag_ms = number();
        } else if (name == "min.cleanable.dirty.ratio") {
            out.log.min_cleanable_dirty_ratio = *parse_ratio(value);
        }
        // unclean.leader.election.enable is the controller's (it reads the znode itself);
        // compression.type and message.timestamp.type only have the behaviour Brook always has.
    }
    return out;
}

std::vector<described_config> describe_topic_configs(const config& cfg,
                                                     const std::map<std::string, std::string>& overrides) {
    std::vector<described_config> out;
    for (const auto& d : definitions()) {
        described_config c;
        c.name = std::string(d.name);
        auto o = overrides.find(c.name);
        if (o != overrides.end()) {
            c.value = o->second;
            c.source = config_source::topic;
            c.synonyms.push_back({c.name, o->second, config_source::topic});
        }
        bool set_on_broker = false;
        for (auto key : d.broker_keys) {
            if (auto p = cfg.properties.find(std::string(key)); p != cfg.properties.end()) {
                c.synonyms.push_back({std::string(key), p->second, config_source::static_broker});
                set_on_broker = true;
            }
        }
        if (!d.default_key.empty()) {
            c.synonyms.push_back({std::string(d.default_key), std::string(d.default_text), config_source::default_value});
        }
        if (!c.value) {
            c.value = d.effective(cfg);
            c.source = set_on_broker ? config_source::static_broker : config_source::default_value;
        }
        out.push_back(std::move(c));
    }
    return out;
}

std::vector<described_config> describe_broker_configs(const config& cfg) {
    std::map<std::string, described_config> by_name;
    for (const auto& [key, value] : cfg.properties) {
        described_config c;
        c.name = key;
        c.value = value;
        c.source = config_source::static_broker;
        c.read_only = true;
        c.synonyms.push_back({key, value, config_source::static_broker});
        by_name[key] = std::move(c);
    }
    // The broker settings topic configs fall back to, with their values in effect.
    for (const auto& d : definitions()) {
        if (d.broker_keys.empty()) continue;
        std::string key(d.broker_keys.front());
        if (by_name.contains(key)) continue;
        described_config c;
        c.name = key;
        c.value = d.effective(cfg);
        c.source = config_source::default_value;
        c.read_only = true;
        by_name[key] = std::move(c);
    }
    std::vector<described_config> out;
    for (auto& [_, c] : by_name) out.push_back(std::move(c));
    return out;
}

}  // namespace broker
