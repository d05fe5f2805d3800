#include "tools/topics/topic_description.h"

#include <gtest/gtest.h>

namespace tools {
namespace {

TEST(format_describe, matches_kafka_topics_layout) {
    topic_description t;
    t.name = "orders";
    t.configs = {{"cleanup.policy", "compact"}, {"retention.ms", "1000"}};
    // Out of order on purpose: the output is sorted by partition id.
    t.partitions = {{1, 2, {2, 3, 1}, {2, 3}}, {0, 1, {1, 2, 3}, {1, 2, 3}}};
    EXPECT_EQ(format_describe(t),
              "Topic: orders\tTopicId: \tPartitionCount: 2\tReplicationFactor: 3\t"
              "Configs: cleanup.policy=compact,retention.ms=1000\n"
              "\tTopic: orders\tPartition: 0\tLeader: 1\tReplicas: 1,2,3\tIsr: 1,2,3\n"
              "\tTopic: orders\tPartition: 1\tLeader: 2\tReplicas: 2,3,1\tIsr: 2,3\n");
}

TEST(format_describe, leader_none_and_topic_id) {
    topic_description t;
    t.name = "t";
    t.topic_id = "AAAAAAAAAAAAAAAAAAAAAQ";
    t.partitions = {{0, -1, {4}, {}}};
    EXPECT_EQ(format_describe(t),
              "Topic: t\tTopicId: AAAAAAAAAAAAAAAAAAAAAQ\tPartitionCount: 1\tReplicationFactor: 1\t"
              "Configs: \n"
              "\tTopic: t\tPartition: 0\tLeader: none\tReplicas: 4\tIsr: \n");
}

TEST(format_describe, no_partitions) {
    topic_description t;
    t.name = "empty";
    EXPECT_EQ(format_describe(t),
              "Topic: empty\tTopicId: \tPartitionCount: 0\tReplicationFactor: 0\tConfigs: \n");
}

TEST(is_under_replicated, isr_smaller_than_replicas) {
    EXPECT_FALSE(is_under_replicated({0, 1, {1, 2, 3}, {3, 1, 2}}));
    EXPECT_TRUE(is_under_replicated({0, 1, {1, 2, 3}, {1, 2}}));
    EXPECT_TRUE(is_under_replicated({0, -1, {1}, {}}));
    EXPECT_FALSE(is_under_replicated({0, -1, {}, {}}));
}

TEST(is_unavailable, no_leader_or_leader_not_live) {
    const std::vector<int32_t> live{1, 3};
    EXPECT_FALSE(is_unavailable({0, 1, {1, 2}, {1, 2}}, live));
    EXPECT_TRUE(is_unavailable({0, -1, {1, 2}, {}}, live));
    EXPECT_TRUE(is_unavailable({0, 2, {1, 2}, {2}}, live));
    EXPECT_TRUE(is_unavailable({0, 1, {1}, {1}}, std::vector<int32_t>{}));
}

TEST(format_describe, reports_print_only_matching_partition_lines) {
    topic_description t;
    t.name = "orders";
    t.partitions = {{3, 2, {2, 3}, {2, 3}},    // healthy
                    {2, -1, {3, 1}, {}},       // no leader: unavailable and under-replicated
                    {1, 2, {2, 1}, {2}},       // under-replicated, leader live
                    {0, 4, {4, 1}, {4, 1}}};  // leader 4 is not a live broker
    const std::vector<int32_t> live{1, 2, 3};
    EXPECT_EQ(format_describe(t, describe_report::all, live), format_describe(t));
    EXPECT_EQ(format_describe(t, describe_report::under_replicated, live),
              "\tTopic: orders\tPartition: 1\tLeader: 2\tReplicas: 2,1\tIsr: 2\n"
              "\tTopic: orders\tPartition: 2\tLeader: none\tReplicas: 3,1\tIsr: \n");
    EXPECT_EQ(format_describe(t, describe_report::unavailable, live),
              "\tTopic: orders\tPartition: 0\tLeader: 4\tReplicas: 4,1\tIsr: 4,1\n"
              "\tTopic: orders\tPartition: 2\tLeader: none\tReplicas: 3,1\tIsr: \n");
    t.partitions = {{0, 1, {1}, {1}}};
    EXPECT_EQ(format_describe(t, describe_report::under_replicated, live), "");
    EXPECT_EQ(format_describe(t, describe_report::unavailable, live), "");
}

TEST(format_partition, one_kafka_topics_partition_line) {
    EXPECT_EQ(format_partition("t", {7, 3, {3, 1, 2}, {1, 3}}),
              "\tTopic: t\tPartition: 7\tLeader: 3\tReplicas: 3,1,2\tIsr: 1,3\n");
}

TEST(format_list, sorted_one_per_line_internal_kept) {
    EXPECT_EQ(format_list({"b", "__consumer_offsets", "a"}), "__consumer_offsets\na\nb\n");
    EXPECT_EQ(format_list({}), "");
}

TEST(topic_filter, no_pattern_matches_everything) {
    auto f = topic_filter::make(std::nullopt);
    ASSERT_TRUE(f);
    EXPECT_TRUE(f.value().matches("anything"));
}

TEST(topic_filter, whole_name_regex_with_commas_as_alternatives) {
    auto f = topic_filter::make(std::string("orders"));
    ASSERT_TRUE(f);
    EXPECT_TRUE(f.value().matches("orders"));
    EXPECT_FALSE(f.value().matches("orders2"));
    EXPECT_FALSE(f.value().matches("my-orders"));

    auto alt = topic_filter::make(std::string("a, b"));
    ASSERT_TRUE(alt);
    EXPECT_TRUE(alt.value().matches("a"));
    EXPECT_TRUE(alt.value().matches("b"));
    EXPECT_FALSE(alt.value().matches("c"));

    auto wild = topic_filter::make(std::string("'logs-.*'"));
    ASSERT_TRUE(wild);
    EXPECT_TRUE(wild.value().matches("logs-1"));
    EXPECT_FALSE(wild.value().matches("xlogs-1"));
}

TEST(topic_filter, invalid_regex_is_an_error) {
    auto f = topic_filter::make(std::string("a("));
    ASSERT_FALSE(f);
    EXPECT_EQ(f.error().message.rfind("Error: --topic", 0), 0u);
}

TEST(has_collision_chars, dot_or_underscore) {
    EXPECT_TRUE(has_collision_chars("a.b"));
    EXPECT_TRUE(has_collision_chars("a_b"));
    EXPECT_FALSE(has_collision_chars("a-b"));
}

}  // namespace
}  // namespace tools
