#pragma once

#include "tools/common/cli_result.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tools {

/// Kafka's config resource types and sources (DescribeConfigs).
inline constexpr int8_t topic_resource = 2;
inline constexpr int8_t broker_resource = 4;

struct config_synonym_entry {
    std::string name;
    std::optional<std::string> value;
    int8_t source = 0;
};

/// One config as DescribeConfigs (v1+, with synonyms) reports it.
struct config_item {
    std::string name;
    std::optional<std::string> value;
    int8_t source = 0;
    bool read_only = false;
    bool sensitive = false;
    std::vector<config_synonym_entry> synonyms;
};

/// A resource's answer: a Kafka error code (0: none) with the broker's message, or its configs.
struct resource_configs {
    int16_t error_code = 0;
    std::string error_message;
    std::vector<config_item> configs;
};

/// One change of IncrementalAlterConfigs (operation 0 set, 1 delete).
struct config_change {
    std::string name;
    int8_t operation = 0;
    std::optional<std::string> value;
};

struct alter_outcome {
    int16_t error_code = 0;
    std::string error_message;
};

/// The operations behind brook-configs. The real one (kafka_configs_admin) speaks the Kafka
/// protocol; tests substitute a fake. Transport failures are cli_errors; Kafka errors are values.
class configs_admin {
public:
    virtual ~configs_admin() = default;
    virtual cli_result<resource_configs> describe(int8_t type, const std::string& name) = 0;
    virtual cli_result<alter_outcome> alter(int8_t type, const std::string& name,
                                            const std::vector<config_change>& changes) = 0;
    /// Every topic (Metadata), sorted; for --describe without --entity-name.
    virtual cli_result<std::vector<std::string>> topics() = 0;
    /// Every broker id (Metadata), sorted.
    virtual cli_result<std::vector<int32_t>> brokers() = 0;
};

}  // namespace tools
