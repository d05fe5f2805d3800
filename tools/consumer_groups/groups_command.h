#pragma once

#include "tools/consumer_groups/groups_admin.h"
#include "tools/consumer_groups/groups_options.h"

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace tools {

/// One row of --describe (offsets view): Kafka's PartitionAssignmentState. nullopt prints "-".
struct offset_row {
    std::string group;
    std::optional<std::string> topic;
    std::optional<int32_t> partition;
    std::optional<int64_t> current_offset;
    std::optional<int64_t> log_end_offset;
    std::optional<int64_t> lag;
    std::optional<std::string> consumer_id;
    std::optional<std::string> host;
    std::optional<std::string> client_id;
};

/// kafka-consumer-groups 2.8 offsets table: "\n" + header + rows, columns left-aligned and padded
/// as ConsumerGroupCommand.printOffsets does: GROUP, TOPIC, CONSUMER-ID and HOST as wide as
/// their longest value (at least 15), PARTITION 10, CURRENT-OFFSET / LOG-END-OFFSET / LAG 15,
/// CLIENT-ID unpadded; one space between columns.
std::string format_offsets(const std::vector<offset_row>& rows);

/// Rows for one group: members with partitions first (most partitions first, each member's
/// partitions by partition id), then committed partitions no member owns with "-" for the
/// member columns (sorted by topic and partition), as collectGroupsOffsets builds them.
std::vector<offset_row> offset_rows(const group_description& group,
                                    const std::map<topic_partition, int64_t>& committed,
                                    const std::map<topic_partition, int64_t>& log_end);

/// --describe --members table (printMembers), with ASSIGNMENT when verbose.
std::string format_members(const group_description& group, bool verbose);
/// --describe --state table (printStates).
std::string format_state(const group_description& group);
/// --reset-offsets plan table (printOffsetsToReset): "\n" + header + rows, fixed widths 30/30/10/15.
std::string format_reset_plan(const std::map<std::string, std::map<topic_partition, int64_t>>& plan);

/// Kafka's checkOffsetsRange: below the log start -> log start, above the log end -> log end.
int64_t clamp_offset(int64_t offset, std::optional<int64_t> log_start, std::optional<int64_t> log_end);

/// Computes --reset-offsets' new offsets for one (inactive) group.
cli_result<std::map<topic_partition, int64_t>> plan_reset(const groups_options& options,
                                                          const std::string& group,
                                                          groups_admin& admin);

/// Runs one action; results to `out`, errors and Kafka's notices to `err`. Returns the exit code.
int run_groups_command(const groups_options& options, groups_admin& admin, std::ostream& out,
                       std::ostream& err);

}  // namespace tools
