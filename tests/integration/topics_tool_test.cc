// Acceptance item 6 of issue 2: brook-topics create/list/describe/delete against a live broker,
// with kafka-topics' exit codes and messages for the error cases.
#include "tests/integration/cluster_fixture.h"
#include "tests/integration/rdkafka_client.h"

namespace integration {
namespace {

using topics_tool_test = cluster_test;

TEST_F(topics_tool_test, create_list_describe_delete) {
    start_broker();
    ASSERT_NO_FATAL_FAILURE(create_topic("alpha", 3));
    ASSERT_NO_FATAL_FAILURE(create_topic("beta", 1));

    auto list = topics({"--list"});
    ASSERT_EQ(list.exit_code(), 0) << list.describe();
    auto names = lines(list.out);
    EXPECT_NE(std::find(names.begin(), names.end(), "alpha"), names.end()) << list.out;
    EXPECT_NE(std::find(names.begin(), names.end(), "beta"), names.end()) << list.out;

    auto d = topics({"--describe", "--topic", "alpha"});
    ASSERT_EQ(d.exit_code(), 0) << d.describe();
    auto dl = lines(d.out);
    ASSERT_EQ(dl.size(), 4u) << d.out;
    EXPECT_EQ(dl[0].rfind("Topic: alpha\t", 0), 0u) << dl[0];
    EXPECT_NE(dl[0].find("\tPartitionCount: 3\tReplicationFactor: 1\t"), std::string::npos) << dl[0];
    for (int p = 0; p < 3; ++p) {
        EXPECT_EQ(dl[1 + p], "\tTopic: alpha\tPartition: " + std::to_string(p) +
                                 "\tLeader: 1\tReplicas: 1\tIsr: 1")
            << d.out;
    }
    auto all = topics({"--describe"});
    ASSERT_EQ(all.exit_code(), 0) << all.describe();
    EXPECT_NE(all.out.find("Topic: beta\t"), std::string::npos) << all.out;
    EXPECT_TRUE(zk().exists(chroot() + "/brokers/topics/alpha"));

    std::string error;
    EXPECT_EQ(partition_count(broker().bootstrap(), "alpha", &error), 3) << error;

    auto del = topics({"--delete", "--topic", "alpha"});
    ASSERT_EQ(del.exit_code(), 0) << del.describe();
    EXPECT_TRUE(wait_until(
        [&] {
            auto l = lines(topics({"--list"}).out);
            return std::find(l.begin(), l.end(), "alpha") == l.end();
        },
        std::chrono::seconds(30)))
        << "alpha still listed after --delete";
    auto l = lines(topics({"--list"}).out);
    EXPECT_NE(std::find(l.begin(), l.end(), "beta"), l.end());
    EXPECT_TRUE(wait_until([&] { return !zk().exists(chroot() + "/brokers/topics/alpha"); },
                           std::chrono::seconds(30)));
}

TEST_F(topics_tool_test, errors_exit_1_with_a_message) {
    start_broker();
    ASSERT_NO_FATAL_FAILURE(create_topic("exists", 1));

    auto dup = topics({"--create", "--topic", "exists", "--partitions", "1", "--replication-factor", "1"});
    EXPECT_EQ(dup.exit_code(), 1) << dup.describe();
    EXPECT_NE(dup.err.find("exists"), std::string::npos) << dup.describe();

    auto unknown = topics({"--delete", "--topic", "no-such-topic"});
    EXPECT_EQ(unknown.exit_code(), 1) << unknown.describe();
    EXPECT_FALSE(unknown.err.empty());

    auto unknown_describe = topics({"--describe", "--topic", "no-such-topic"});
    EXPECT_EQ(unknown_describe.exit_code(), 1) << unknown_describe.describe();

    for (std::string bad : {"0", "-3", "abc"}) {
        auto r = topics({"--create", "--topic", "bad-" + bad, "--partitions", bad, "--replication-factor", "1"});
        EXPECT_EQ(r.exit_code(), 1) << "--partitions " << bad << ": " << r.describe();
        EXPECT_NE(r.err.find("partitions"), std::string::npos)
            << "--partitions " << bad << " message should name the flag: " << r.err;
        EXPECT_FALSE(zk().exists(chroot() + "/brokers/topics/bad-" + bad));
    }

    auto no_topic = topics({"--create", "--partitions", "1", "--replication-factor", "1"});
    EXPECT_EQ(no_topic.exit_code(), 1) << no_topic.describe();
    EXPECT_NE(no_topic.err.find("topic"), std::string::npos) << no_topic.err;

    auto no_topic_delete = topics({"--delete"});
    EXPECT_EQ(no_topic_delete.exit_code(), 1) << no_topic_delete.describe();

    // The failed calls left the existing topic alone.
    auto l = lines(topics({"--list"}).out);
    EXPECT_EQ(l, std::vector<std::string>{"exists"});
}

}  // namespace
}  // namespace integration
