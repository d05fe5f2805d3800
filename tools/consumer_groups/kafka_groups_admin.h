#pragma once

#include "tools/common/broker_pool.h"
#include "tools/consumer_groups/groups_admin.h"

namespace tools {

/// groups_admin over the Kafka protocol, as Kafka's admin client does it: ListGroups on every
/// broker of Metadata; DescribeGroups, OffsetFetch (v2+: all partitions), OffsetCommit
/// (generation -1, member "") and DeleteGroups on the group's coordinator (FindCoordinator key
/// type 0); ListOffsets on the partition leaders. Blocking; one thread.
class kafka_groups_admin : public groups_admin {
public:
    kafka_groups_admin(std::vector<endpoint> bootstrap, std::chrono::milliseconds timeout);

    cli_result<std::vector<std::pair<std::string, std::string>>> list_groups() override;
    cli_result<group_description> describe_group(const std::string& group) override;
    cli_result<std::map<topic_partition, int64_t>> committed_offsets(const std::string& group) override;
    cli_result<std::map<topic_partition, int64_t>> list_offsets(const std::vector<topic_partition>& partitions,
                                                                int64_t timestamp) override;
    cli_result<std::vector<int32_t>> partitions_of(const std::string& topic) override;
    cli_result<std::map<topic_partition, int16_t>> commit_offsets(
        const std::string& group, const std::map<topic_partition, int64_t>& offsets) override;
    cli_result<std::map<std::string, int16_t>> delete_groups(const std::vector<std::string>& groups) override;

private:
    broker_pool pool_;
};

}  // namespace tools
