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
