// Issue 3 acceptance: 3 brokers, one controller in /controller; kill -9 the controller and
// another broker becomes controller with /controller_epoch + 1 within
// zookeeper.session.timeout.ms + 2 s; every live broker's Metadata names the new controller.
#include <thread>

#include "tests/integration/failover_fixture.h"

namespace integration {
namespace {

using namespace std::chrono_literals;
using test_support::cluster_view;

using controller_failover_test = failover_test;

TEST_F(controller_failover_test, kill_9_of_the_controller_elects_another_within_session_timeout_plus_2s) {
    start_brokers(3);
    auto before = wait_for({}, [](const cluster_view& v) { return v.brokers.size() == 3 && v.controller > 0; }, 15s,
                           "3 registered brokers and a controller");
    ASSERT_FALSE(HasFailure());
    const int old_controller = before.controller;
    const int old_epoch = before.controller_epoch;
    ASSERT_GE(old_epoch, 1);
    EXPECT_TRUE(wait_metadata_matches(reader(), chroot(), "", live_ports()));

    auto killed_at = std::chrono::steady_clock::now();
    by_id(old_controller).kill();
    const auto bound = std::chrono::milliseconds(test_session_timeout_ms) + 2s;
    cluster_view after;
    std::chrono::steady_clock::duration took{};
    while (true) {
        after = view();
        took = std::chrono::steady_clock::now() - killed_at;
        if (after.controller > 0 && after.controller != old_controller) break;
        if (took > bound + 5s) break;  // keep looking a little longer, to report how late it was
        std::this_thread::sleep_for(50ms);
    }
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(took).count();
    ASSERT_GT(after.controller, 0) << "no controller " << ms << " ms after the kill:\n" << after.describe();
    ASSERT_NE(after.controller, old_controller) << after.describe();
    EXPECT_LE(took, bound) << "controller failover took " << ms << " ms";
    EXPECT_EQ(after.controller_epoch, old_epoch + 1) << after.describe();
    EXPECT_FALSE(after.has_broker(old_controller));
    std::cerr << "[ controller failover ] kill -9 of broker " << old_controller << " -> broker "
              << after.controller << " controller (epoch " << after.controller_epoch << ") after " << ms
              << " ms (session timeout " << test_session_timeout_ms << " ms)\n";

    // Both survivors serve Metadata that names the new controller and only live brokers.
    auto ports = live_ports();
    ASSERT_EQ(ports.size(), 2u);
    EXPECT_TRUE(wait_metadata_matches(reader(), chroot(), "", ports));

    // The new controller does its job: a topic created now gets leaders on live brokers only.
    auto v = create_and_wait("after-failover", 4, 2);
    for (const auto& p : v.topic_partitions("after-failover")) {
        EXPECT_NE(p.leader, old_controller);
        for (int r : p.replicas) EXPECT_NE(r, old_controller) << "replica placed on a dead broker";
    }
}

TEST_F(controller_failover_test, only_one_controller_and_epoch_grows_by_one_per_failover) {
    start_brokers(3);
    auto v = wait_for({}, [](const cluster_view& c) { return c.brokers.size() == 3 && c.controller > 0; }, 15s,
                      "a controller");
    ASSERT_FALSE(HasFailure());
    int epoch = v.controller_epoch;
    // Two successive failovers: 3 -> 2 -> 1 brokers.
    for (int round = 0; round < 2; ++round) {
        int old = v.controller;
        by_id(old).kill();
        v = wait_for({}, [&](const cluster_view& c) { return c.controller > 0 && c.controller != old; },
                     std::chrono::milliseconds(test_session_timeout_ms) + 10s, "a new controller");
        ASSERT_FALSE(HasFailure());
        EXPECT_EQ(v.controller_epoch, epoch + 1) << v.describe();
        epoch = v.controller_epoch;
        // The ephemeral /controller belongs to a live session (not a dead broker's).
        EXPECT_NE(v.controller_owner, 0);
        EXPECT_TRUE(v.has_broker(v.controller));
    }
    // Stable afterwards: nobody keeps re-electing.
    std::this_thread::sleep_for(2s);
    auto later = view();
    EXPECT_EQ(later.controller, v.controller);
    EXPECT_EQ(later.controller_epoch, epoch);
}

}  // namespace
}  // namespace integration
