// Issue 3 acceptance: brokers on a 3-node ZooKeeper ensemble (three local QuorumPeerMain
// servers, every broker given all three in zookeeper.connect). Stop one ZooKeeper node (the
// quorum leader, the harder case), then kill -9 a broker: failover still happens.
#include <thread>

#include "tests/integration/failover_fixture.h"
#include "tests/support/zookeeper_ensemble.h"

namespace integration {
namespace {

using namespace std::chrono_literals;
using namespace test_support;

TEST(zookeeper_ensemble_test, failover_still_happens_with_one_zookeeper_node_stopped) {
    zookeeper_ensemble zk;
    const std::string chroot = "/brook-ensemble-failover";
    std::map<int, std::unique_ptr<broker_process>> brokers;
    for (int id = 1; id <= 3; ++id) {
        broker_options o;
        o.broker_id = id;
        o.zookeeper_connect = zk.connect_string() + chroot;
        o.session_timeout_ms = test_session_timeout_ms;
        o.properties["auto.leader.rebalance.enable"] = "false";
        brokers[id] = std::make_unique<broker_process>(o);
    }
    auto ports = [&] {
        std::map<int, std::uint16_t> out;
        for (auto& [id, b] : brokers) {
            if (b->running()) out[id] = b->port();
        }
        return out;
    };
    auto reader = zk.reader();
    // A broker process is up before its znode is: create the RF-3 topic only once all three are
    // registered, or the controller rightly refuses it with INVALID_REPLICATION_FACTOR.
    wait_for_view(reader, chroot, {}, [](const cluster_view& v) { return v.brokers.size() == 3; }, 30s,
                  "3 registered brokers");
    ASSERT_FALSE(::testing::Test::HasFailure());
    auto r = run_command({brook_topics_binary(), "--bootstrap-server", brokers[1]->bootstrap(), "--create", "--topic",
                          "ens", "--partitions", "3", "--replication-factor", "3"});
    ASSERT_EQ(r.exit_code(), 0) << r.describe();
    auto before = wait_for_view(reader, chroot, {"ens"},
                                [](const cluster_view& v) { return v.brokers.size() == 3 && v.all_led_by_live_brokers("ens"); },
                                30s, "3 brokers and led partitions");
    ASSERT_FALSE(::testing::Test::HasFailure());

    auto leader = zk.leader();
    ASSERT_TRUE(leader.has_value()) << zk.log_tails();
    zk.stop(*leader);
    ASSERT_TRUE(zk.wait_until_serving(30s)) << zk.log_tails();
    // Brokers ride out the ZooKeeper leader change (sessions move to the remaining nodes); wait
    // until all three are registered on the new quorum before the real test.
    auto steady = wait_for_view(reader, chroot, {"ens"},
                                [](const cluster_view& v) {
                                    return v.brokers.size() == 3 && v.controller > 0 && v.all_led_by_live_brokers("ens");
                                },
                                30s, "a steady cluster on two ZooKeeper nodes");
    ASSERT_FALSE(::testing::Test::HasFailure());
    for (auto& [id, b] : brokers) EXPECT_TRUE(b->running()) << "broker " << id << " died when ZooKeeper lost a node";

    // Kill the controller: exercises controller failover and partition failover together.
    int victim = steady.controller;
    auto killed_at = std::chrono::steady_clock::now();
    brokers[victim]->kill();
    auto after = wait_for_view(reader, chroot, {"ens"},
                               [&](const cluster_view& v) {
                                   return v.controller > 0 && v.controller != victim && !v.has_broker(victim) &&
                                          v.all_led_by_live_brokers("ens") && v.led_by(victim).empty();
                               },
                               std::chrono::milliseconds(test_session_timeout_ms) + 15s, "failover on two ZooKeeper nodes");
    ASSERT_FALSE(::testing::Test::HasFailure());
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - killed_at).count();
    std::cerr << "[ ensemble failover ] ZooKeeper node " << (*leader + 1) << " stopped; kill -9 of controller " << victim
              << " -> controller " << after.controller << ", all partitions led, after " << ms << " ms\n";
    EXPECT_EQ(after.controller_epoch, steady.controller_epoch + 1);
    for (const auto& p : after.topic_partitions("ens")) {
        const auto* old = steady.partition("ens", p.partition);
        if (old->leader == victim) {
            EXPECT_GT(p.leader_epoch, old->leader_epoch);
        }
    }
    EXPECT_TRUE(wait_metadata_matches(reader, chroot, "ens", ports()));
    std::string bootstrap;
    for (auto& [id, port] : ports()) bootstrap += (bootstrap.empty() ? "" : ",") + ("127.0.0.1:" + std::to_string(port));
    EXPECT_TRUE(produce_and_consume(bootstrap, "ens", 3, 20, "two-zk-nodes"));

    // The stopped node comes back and catches up.
    zk.start(*leader);
    EXPECT_TRUE(zk_reader(zk.connect_string(*leader)).exists(chroot + "/brokers/topics/ens"));
    if (::testing::Test::HasFailure()) {
        for (auto& [id, b] : brokers) std::cerr << "---- broker " << id << " ----\n" << b->log_tail(40);
        std::cerr << zk.log_tails(20) << reader.dump(chroot);
    }
    (void)before;
}

}  // namespace
}  // namespace integration
