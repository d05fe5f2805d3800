// Issue 3 acceptance: `brook-topics --alter --topic T --partitions N` grows a topic (CreatePartitions);
// a decrease fails with a clear message and exit code 1. `--describe` shows Leader/Replicas/Isr
// like kafka-topics, and `--under-replicated-partitions` / `--unavailable-partitions` list exactly
// the partitions Kafka's TopicCommand would (ISR smaller than the replica set; no live leader).
#include <regex>
#include <set>
#include <thread>

#include "tests/integration/failover_fixture.h"

namespace integration {
namespace {

using namespace std::chrono_literals;
using test_support::cluster_view;

using topics_alter_test = failover_test;

std::string csv(const std::vector<int>& v) {
    std::string s;
    for (int x : v) s += (s.empty() ? "" : ",") + std::to_string(x);
    return s;
}

/// (topic, partition) of every partition line in --describe output.
std::set<std::pair<std::string, int>> partition_lines(const std::string& out) {
    static const std::regex line(R"(Topic: (\S+)\tPartition: (\d+)\t)");
    std::set<std::pair<std::string, int>> found;
    for (const auto& l : lines(out)) {
        std::smatch m;
        if (std::regex_search(l, m, line)) found.insert({m[1].str(), std::stoi(m[2].str())});
    }
    return found;
}

TEST_F(topics_alter_test, alter_partitions_grows_a_topic_and_refuses_to_shrink_it) {
    start_brokers(3);
    auto before = create_and_wait("grow", 2, 3);
    ASSERT_FALSE(HasFailure());

    auto r = topics({"--alter", "--topic", "grow", "--partitions", "5"});
    ASSERT_EQ(r.exit_code(), 0) << r.describe();
    auto v = wait_for({"grow"},
                      [](const cluster_view& c) {
                          return c.topics.count("grow") && c.topics.at("grow") == 5 && c.all_led_by_live_brokers("grow");
                      },
                      30s, "5 led partitions of grow");
    ASSERT_FALSE(HasFailure());
    for (int p = 0; p < 2; ++p) {
        EXPECT_EQ(v.partition("grow", p)->replicas, before.partition("grow", p)->replicas)
            << "existing partitions keep their replicas";
    }
    for (int p = 2; p < 5; ++p) {
        auto reps = v.partition("grow", p)->replicas;
        EXPECT_EQ(reps.size(), 3u) << "new partitions get the topic's replication factor";
        EXPECT_EQ(std::set<int>(reps.begin(), reps.end()).size(), reps.size()) << "replicas on distinct brokers";
    }
    EXPECT_TRUE(wait_metadata_matches(reader(), chroot(), "grow", live_ports()));
    auto d = topics({"--describe", "--topic", "grow"});
    EXPECT_NE(d.out.find("PartitionCount: 5"), std::string::npos) << d.describe();
    EXPECT_EQ(partition_lines(d.out).size(), 5u) << d.out;
    EXPECT_TRUE(produce_and_consume(live_bootstrap(), "grow", 5, 20, "grown"));

    // Shrinking and "growing" to the same count are refused; nothing changes.
    for (const std::string n : {"3", "5"}) {
        auto bad = topics({"--alter", "--topic", "grow", "--partitions", n});
        EXPECT_EQ(bad.exit_code(), 1) << "--partitions " << n << ": " << bad.describe();
        EXPECT_NE(bad.err.find("INVALID_PARTITIONS"), std::string::npos) << bad.describe();
        EXPECT_NE(bad.err.find("5"), std::string::npos) << "the message names the current count: " << bad.err;
        EXPECT_TRUE(bad.out.empty()) << bad.out;
    }
    EXPECT_EQ(view({"grow"}).topics.at("grow"), 5);

    auto missing = topics({"--alter", "--topic", "no-such-topic", "--partitions", "4"});
    EXPECT_EQ(missing.exit_code(), 1) << missing.describe();
    EXPECT_NE(missing.err.find("no-such-topic"), std::string::npos) << missing.describe();
}

TEST_F(topics_alter_test, describe_shows_leader_replicas_isr_and_filters_under_replicated_and_unavailable) {
    start_brokers(3, {{"auto.leader.rebalance.enable", "false"}});
    ASSERT_NO_FATAL_FAILURE(create_and_wait("rf3", 3, 3));
    ASSERT_NO_FATAL_FAILURE(create_and_wait("rf1", 3, 1));
    ASSERT_FALSE(HasFailure());
    for (const char* filter : {"--under-replicated-partitions", "--unavailable-partitions"}) {
        auto r = topics({"--describe", filter});
        EXPECT_EQ(r.exit_code(), 0) << r.describe();
        EXPECT_TRUE(partition_lines(r.out).empty()) << filter << " on a healthy cluster:\n" << r.out;
    }

    // Kill a broker that is not the controller.
    auto v0 = view();
    int victim = v0.controller == 3 ? 2 : 3;
    by_id(victim).kill();
    auto v = wait_for({},
                      [&](const cluster_view& c) {
                          if (c.has_broker(victim) || !c.all_led_by_live_brokers("rf3")) return false;
                          for (const auto& p : c.topic_partitions("rf3")) {
                              if (std::count(p.isr.begin(), p.isr.end(), victim)) return false;
                          }
                          return true;
                      },
                      std::chrono::milliseconds(test_session_timeout_ms) + 15s, "rf3 failed over");
    ASSERT_FALSE(HasFailure());
    EXPECT_TRUE(wait_metadata_matches(reader(), chroot(), "rf3", live_ports()));

    std::set<std::pair<std::string, int>> under, unavailable;
    for (const auto& [key, p] : v.partitions) {
        if (p.isr.size() < p.replicas.size()) under.insert(key);
        if (p.leader < 0 || !v.has_broker(p.leader)) unavailable.insert(key);
    }
    ASSERT_EQ(under.size(), 3u) << v.describe();        // every rf3 partition lost a replica
    ASSERT_EQ(unavailable.size(), 1u) << v.describe();  // the rf1 partition on the victim

    auto u = topics({"--describe", "--under-replicated-partitions"});
    EXPECT_EQ(u.exit_code(), 0) << u.describe();
    EXPECT_EQ(partition_lines(u.out), under) << u.out;
    auto n = topics({"--describe", "--unavailable-partitions"});
    EXPECT_EQ(n.exit_code(), 0) << n.describe();
    EXPECT_EQ(partition_lines(n.out), unavailable) << n.out;
    auto only = topics({"--describe", "--topic", "rf1", "--under-replicated-partitions"});
    EXPECT_TRUE(partition_lines(only.out).empty()) << only.out;

    // Full --describe: one kafka-topics line per partition with ZooKeeper's leader, replicas, ISR.
    auto d = topics({"--describe", "--topic", "rf3"});
    ASSERT_EQ(d.exit_code(), 0) << d.describe();
    for (const auto& p : v.topic_partitions("rf3")) {
        std::string expected = "\tTopic: rf3\tPartition: " + std::to_string(p.partition) +
                               "\tLeader: " + std::to_string(p.leader) + "\tReplicas: " + csv(p.replicas) +
                               "\tIsr: " + csv(p.isr);
        EXPECT_NE(d.out.find(expected), std::string::npos) << "missing '" << expected << "' in\n" << d.out;
    }
}

}  // namespace
}  // namespace integration
