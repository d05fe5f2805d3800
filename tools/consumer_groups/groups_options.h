#pragma once

#include "tools/common/args.h"
#include "tools/common/cli_result.h"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace tools {

enum class groups_action { list, describe, remove, reset_offsets };
enum class describe_view { offsets, members, state };
enum class reset_scenario { to_earliest, to_latest, to_offset, to_datetime, shift_by, to_current };

/// One --topic of --reset-offsets: "T" (all partitions) or "T:P,P".
struct topic_scope {
    std::string topic;
    std::vector<int32_t> partitions;  ///< empty: every partition of the topic

    friend bool operator==(const topic_scope&, const topic_scope&) = default;
};

/// brook-consumer-groups' validated command line (flags of Kafka 2.8's kafka-consumer-groups.sh).
/// Plain value, produced once on the main thread.
struct groups_options {
    std::vector<endpoint> bootstrap;
    groups_action action = groups_action::list;
    std::vector<std::string> groups;
    bool all_groups = false;
    describe_view view = describe_view::offsets;
    bool verbose = false;
    std::vector<topic_scope> topics;
    bool all_topics = false;
    reset_scenario scenario = reset_scenario::to_earliest;
    int64_t scenario_value = 0;  ///< --to-offset N, --shift-by N, --to-datetime as epoch ms
    bool execute = false;        ///< --execute; default (and --dry-run) only prints the plan
    int64_t timeout_ms = 5000;   ///< --timeout
};

struct groups_command_line {
    bool help = false;
    groups_options options;
};

std::string groups_usage();

/// Parses and validates argv (args[0] is the program name), with kafka-consumer-groups' checks.
cli_result<groups_command_line> parse_groups_args(std::span<const char* const> args);

/// Kafka's Utils.getDateTime for --to-datetime: "yyyy-MM-dd'T'HH:mm:ss.SSS" followed by "Z",
/// "+hh:mm", "-hh:mm", "+hhmm" or "+hh"; no zone means UTC. Epoch milliseconds, or nullopt.
std::optional<int64_t> parse_datetime(std::string_view text);

/// "T" or "T:0,1,2" (partitions non-negative integers).
cli_result<topic_scope> parse_topic_scope(std::string_view text);

}  // namespace tools
