#pragma once

#include "tools/common/args.h"
#include "tools/common/cli_result.h"

#include <cstdint>
#include <optional>
#include <regex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tools {

/// One partition as Metadata reports it. Plain value, built from a Metadata response.
struct partition_description {
    int32_t partition = 0;
    int32_t leader = -1;  ///< -1: no leader (printed "none")
    std::vector<int32_t> replicas;
    std::vector<int32_t> isr;
};

/// One topic as `--describe` prints it. Plain value.
struct topic_description {
    std::string name;
    std::string topic_id;  ///< blank when the broker's Metadata version has no topic ids
    bool internal = false;
    std::vector<partition_description> partitions;
    std::vector<config_entry> configs;  ///< non-default configs only, as kafka-topics shows
};

/// kafka-topics 2.8 --describe text for one topic: a header line and one line per partition
/// (sorted by partition id), each ending in '\n'. Header:
///   Topic: T<TAB>TopicId: ID<TAB>PartitionCount: N<TAB>ReplicationFactor: R<TAB>Configs: k=v,...
/// Partition:
///   <TAB>Topic: T<TAB>Partition: P<TAB>Leader: L|none<TAB>Replicas: a,b<TAB>Isr: a,b
/// The replication factor is the replica count of the lowest partition (0 without partitions),
/// as TopicCommand computes it.
std::string format_describe(const topic_description& topic);

/// What --describe prints: everything (topic headers and all partitions), or one of kafka-topics'
/// partition reports, which print only the matching partition lines and no topic headers.
enum class describe_report { all, under_replicated, unavailable };

/// kafka-topics' isUnderReplicated: the ISR is smaller than the replica set.
bool is_under_replicated(const partition_description& p);

/// kafka-topics' hasUnavailablePartitions: no leader, or a leader that is not a live broker.
bool is_unavailable(const partition_description& p, std::span<const int32_t> live_brokers);

/// One partition line of --describe (see format_describe), ending in '\n'.
std::string format_partition(const std::string& topic, const partition_description& p);

/// --describe text for one topic under `report`: with describe_report::all the same as
/// format_describe(topic); otherwise only the partition lines (sorted) the report selects, possibly
/// none. `live_brokers` is only read for describe_report::unavailable.
std::string format_describe(const topic_description& topic, describe_report report,
                            std::span<const int32_t> live_brokers);

/// kafka-topics --list text: names sorted, one per line.
std::string format_list(std::vector<std::string> names);

/// The `--topic` filter of list/describe/delete: kafka-topics' IncludeList, i.e. a Java regex
/// matched against the whole name, with ',' standing for '|', blanks and surrounding quotes
/// removed. Without a pattern everything matches. Copyable value, no shared state.
class topic_filter {
public:
    /// A bad regular expression is a command-line error.
    static cli_result<topic_filter> make(const std::optional<std::string>& pattern);

    bool matches(std::string_view name) const;

private:
    std::optional<std::regex> regex_;
};

/// Kafka's hasCollisionChars: names with '.' or '_' may collide in metric names.
bool has_collision_chars(std::string_view topic);

}  // namespace tools
