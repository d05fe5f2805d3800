#pragma once

#include "tools/common/args.h"
#include "tools/common/cli_result.h"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace tools {

enum class topics_action { create, list, describe, alter, remove };

/// brook-topics' validated command line (flags of Kafka 2.8's kafka-topics.sh). Plain value;
/// produced once by parse_topics_args on the main thread.
struct topics_options {
    std::vector<endpoint> bootstrap;
    topics_action action = topics_action::list;
    /// For --create: a topic name. For the other actions a Java-style regular expression matched
    /// against whole names, ',' meaning '|', as kafka-topics does.
    std::optional<std::string> topic;
    /// --create: the new topic's partition count. --alter (required there): the count to grow to.
    std::optional<int32_t> partitions;
    std::optional<int16_t> replication_factor;
    std::vector<config_entry> configs;
    bool if_exists = false;
    bool if_not_exists = false;
    bool exclude_internal = false;
    /// --describe reports (at most one): print only the partitions whose ISR is smaller than their
    /// replica set, or only those without a live leader; no topic header lines either way.
    bool under_replicated_partitions = false;
    bool unavailable_partitions = false;
};

/// What the command line asks for: run an action, or print the usage text and exit 0.
struct topics_command_line {
    bool help = false;
    topics_options options;
};

/// Usage text for --help (also the first line of advice after an argument error).
std::string topics_usage();

/// Parses and validates argv (args[0] is the program name). Every rule kafka-topics enforces
/// before contacting a broker is checked here, so a rejected command line never opens a socket.
cli_result<topics_command_line> parse_topics_args(std::span<const char* const> args);

}  // namespace tools
