#pragma once
// Topic-level configs: the one list of the topic configs Brook honours (Kafka's names, value rules
// and broker-level defaults), used by CreateTopics and AlterConfigs to validate, by DescribeConfigs
// to report, and by LeaderAndIsr and the config change listener to turn /config/topics/<t> into
// typed settings. Pure functions over the broker's static config; any thread.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker/config.h"

namespace broker {

/// Kafka's ConfigSource numbers (DescribeConfigs v1+).
enum class config_source : int8_t {
    unknown = 0,
    topic = 1,          // TOPIC_CONFIG: a /config/topics/<t> override
    static_broker = 4,  // STATIC_BROKER_CONFIG: set in server.properties
    default_value = 5,  // DEFAULT_CONFIG
};

/// Kafka's resource types in the config APIs.
inline constexpr int8_t resource_topic = 2;
inline constexpr int8_t resource_broker = 4;

/// The typed settings of one topic's overrides; unset fields fall back to the broker's.
struct topic_log_config {
    std::optional<uint64_t> segment_bytes;
    std::optional<int64_t> retention_ms;
    std::optional<int64_t> retention_bytes;
    std::optional<std::string> cleanup_policy;
    std::optional<uint32_t> max_message_bytes;
    // Compaction (cleanup.policy contains compact); unset: the broker's log.cleaner.* values.
    std::optional<int64_t> delete_retention_ms;
    std::optional<double> min_cleanable_dirty_ratio;
    std::optional<int64_t> min_compaction_lag_ms;
    std::optional<int64_t> segment_ms;
    std::optional<uint32_t> segment_index_bytes;
    std::optional<uint32_t> index_interval_bytes;
    std::optional<int64_t> flush_messages;
    std::optional<int64_t> flush_ms;
    bool operator==(const topic_log_config&) const = default;
};

struct topic_overrides {
    topic_log_config log;
    std::optional<int32_t> min_insync_replicas;
};

/// Checks one name=value pair: nullopt when Brook accepts it, else the message for
/// INVALID_CONFIG (unknown names, Kafka configs Brook does not implement, bad values).
std::optional<std::string> validate_topic_config(std::string_view name, std::string_view value);
/// The first problem among `configs`, if any.
std::optional<std::string> validate_topic_configs(const std::map<std::string, std::string>& configs);

/// Typed overrides from a /config/topics/<t> map. Values another tool wrote that do not pass
/// validate_topic_config are left out (with a warning naming the topic), never fatal.
topic_overrides parse_topic_overrides(const std::string& topic, const std::map<std::string, std::string>& configs);

/// True for list-valued configs (IncrementalAlterConfigs APPEND / SUBTRACT apply to them).
bool is_list_config(std::string_view name);

struct config_synonym {
    std::string name;
    std::optional<std::string> value;
    config_source source;
};

struct described_config {
    std::string name;
    std::optional<std::string> value;
    config_source source = config_source::default_value;
    bool read_only = false;
    bool sensitive = false;
    std::vector<config_synonym> synonyms;  // highest precedence first
};

/// Every topic config Brook honours with the value in effect for a topic with `overrides`.
std::vector<described_config> describe_topic_configs(const config& cfg,
                                                     const std::map<std::string, std::string>& overrides);
/// The broker's own settings: every key set in its properties (read-only: Brook has no dynamic
/// broker configs) plus the defaults topic configs fall back to.
std::vector<described_config> describe_broker_configs(const config& cfg);

}  // namespace broker
