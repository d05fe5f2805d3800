#pragma once

#include "tools/common/args.h"
#include "tools/common/cli_result.h"

#include <optional>
#include <span>
#include <string>
#include <vector>

namespace tools {

enum class configs_entity { topics, brokers };

/// brook-configs' validated command line (the topic and broker parts of Kafka 2.8's
/// kafka-configs.sh). Plain value, produced once on the main thread.
struct configs_options {
    std::vector<endpoint> bootstrap;
    configs_entity entity = configs_entity::topics;
    std::optional<std::string> entity_name;  ///< none: every entity (describe) / --entity-default
    bool entity_default = false;              ///< brokers: the cluster-wide default
    bool describe = false;                    ///< else alter
    bool all = false;                         ///< --describe --all: every config, not only overrides
    std::vector<config_entry> add;            ///< --add-config, in order given
    std::vector<std::string> remove;          ///< --delete-config
    /// The arguments as given (Kafka quotes them in "Error while executing config command").
    std::string args_text;
};

struct configs_command_line {
    bool help = false;
    configs_options options;
};

std::string configs_usage();

/// Parses and validates argv (args[0] is the program name), with kafka-configs' checks.
cli_result<configs_command_line> parse_configs_args(std::span<const char* const> args);

/// --add-config "k1=v1,k2=[a,b]": commas inside square brackets belong to the value, the
/// brackets are dropped (Kafka's parseConfigsToBeAdded).
cli_result<std::vector<config_entry>> parse_add_config(std::string_view text);

}  // namespace tools
