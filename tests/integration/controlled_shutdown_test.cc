// Issue 3 acceptance: SIGTERM to a broker leading partitions makes it ask the controller
// (ControlledShutdown) to move its leaderships away BEFORE it deregisters and exits; a producer
// with retries sees no error it does not retry.
//
// "Before" is checked with ZooKeeper's own ordering, not with timing: every partition state the
// controller rewrote to move a leadership has a modification zxid (mzxid) lower than the zxid
// of the child change that removed /brokers/ids/<id> (the parent's pzxid). Without controlled
// shutdown the controller only reacts to that deletion, so the order is the other way round.
#include <signal.h>

#include <atomic>
#include <thread>

#include "tests/integration/failover_fixture.h"

namespace integration {
namespace {

using namespace std::chrono_literals;
using test_support::cluster_view;

using controlled_shutdown_test = failover_test;


TEST_F(controlled_shutdown_test, sigterm_moves_leaderships_before_deregistering_and_producer_sees_no_error) {
    start_brokers(3, {{"auto.leader.rebalance.enable", "false"}});
    auto before = create_and_wait("cs", 6, 3);
    ASSERT_FALSE(HasFailure());
    // The busiest leader that is not the controller (the controller case is the next test).
    int victim = -1, most = 0;
    for (auto [id, n] : before.leader_counts()) {
        if (id != before.controller && n > most) most = n, victim = id;
    }
    ASSERT_GE(most, 1) << before.describe();

    std::atomic<bool> stop{false};
    produce_outcome during;
    std::thread producer([&] {
        during = produce_until(live_bootstrap(), "cs", stop, 10ms, {{"acks", "all"}, {"message.timeout.ms", "60000"}}, 60s);
    });
    std::this_thread::sleep_for(1s);
    auto t0 = std::chrono::steady_clock::now();
    auto status = by_id(victim).stop(30s);  // SIGTERM; a test failure unless exit code 0
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
    EXPECT_TRUE(status.success()) << status.to_string();
    auto after = view({"cs"});
    std::cerr << "[ controlled shutdown ] broker " << victim << " led " << most << " partitions, exited after "
              << took.count() << " ms\n";

    EXPECT_FALSE(after.has_broker(victim)) << "a clean exit deregisters at once";
    for (const auto& old : before.topic_partitions("cs")) {
        if (old.leader != victim) continue;
        const auto* now = after.partition("cs", old.partition);
        ASSERT_NE(now, nullptr);
        std::string where = "cs-" + std::to_string(old.partition);
        EXPECT_NE(now->leader, victim) << where;
        EXPECT_GE(now->leader, 0) << where;
        EXPECT_NE(std::find(old.isr.begin(), old.isr.end(), now->leader), old.isr.end()) << where;
        EXPECT_GT(now->leader_epoch, old.leader_epoch) << where;
        EXPECT_LT(now->mzxid, after.ids_pzxid)
            << where << ": leadership moved only after broker " << victim
            << " deregistered (no controlled shutdown); state mzxid " << now->mzxid << ", /brokers/ids pzxid "
            << after.ids_pzxid;
    }
    EXPECT_TRUE(wait_metadata_matches(reader(), chroot(), "cs", live_ports()));

    std::this_thread::sleep_for(2s);
    stop = true;
    producer.join();
    EXPECT_TRUE(during.errors.empty()) << during.errors.size() << " errors the producer did not retry, first: "
                                       << during.errors.front();
    std::size_t delivered = 0;
    for (const auto& r : during.delivered) delivered += r.offset >= 0;
    EXPECT_EQ(delivered, during.delivered.size());
    EXPECT_TRUE(produce_and_consume(live_bootstrap(), "cs", 6, 20, "after-shutdown"));
}

TEST_F(controlled_shutdown_test, sigterm_of_the_controller_moves_its_leaderships_and_hands_over_control) {
    start_brokers(3, {{"auto.leader.rebalance.enable", "false"}});
    auto before = create_and_wait("csc", 6, 3);
    ASSERT_FALSE(HasFailure());
    int victim = before.controller;
    ASSERT_GT(victim, 0);
    auto led = before.led_by(victim);
    ASSERT_FALSE(led.empty()) << "the controller leads nothing:\n" << before.describe();

    auto status = by_id(victim).stop(30s);
    EXPECT_TRUE(status.success()) << status.to_string();
    auto after = wait_for({"csc"}, [&](const cluster_view& v) { return v.controller > 0 && v.controller != victim; },
                          10s, "a new controller");
    EXPECT_EQ(after.controller_epoch, before.controller_epoch + 1);
    for (const auto& old : led) {
        const auto* now = after.partition("csc", old.partition);
        ASSERT_NE(now, nullptr);
        EXPECT_NE(now->leader, victim);
        EXPECT_GE(now->leader, 0);
        EXPECT_LT(now->mzxid, after.ids_pzxid) << "csc-" << old.partition << " moved after deregistration";
    }
    EXPECT_TRUE(wait_metadata_matches(reader(), chroot(), "csc", live_ports()));
    EXPECT_TRUE(produce_and_consume(live_bootstrap(), "csc", 6, 20, "after-controller-shutdown"));
}

}  // namespace
}  // namespace integration
