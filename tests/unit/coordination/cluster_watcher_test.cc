#include "coordination/broker_registry.h"
#include "coordination/cluster_id.h"
#include "coordination/cluster_watcher.h"
#include "coordination/controller.h"
#include "coordination/controller_election.h"
#include "coordination/fake_zk.h"
#include "coordination/topic_store.h"

#include "tests/unit/coordination/coord_test_util.h"

#include <gtest/gtest.h>

using namespace coordination;
using coord_test::run_until;

namespace {

struct watcher_fixture : ::testing::Test {
    ~watcher_fixture() override {
        if (w) w->stop();
        coord_test::drain(io);
    }
    boost::asio::io_context io;
    std::shared_ptr<fake_zk_server> server = fake_zk_server::make();
    fake_zk admin{server, io.get_executor()};
    fake_zk watch_zk{server, io.get_executor()};
    coord_test::sync_zk s{io, admin};
    std::shared_ptr<cluster_watcher> w = cluster_watcher::make(watch_zk);
    std::vector<std::shared_ptr<const cluster_snapshot>> seen;

    void start() {
        w->on_update([this](std::shared_ptr<const cluster_snapshot> snap) { seen.push_back(snap); });
        w->start();
        ASSERT_TRUE(run_until(io, [&] { return !seen.empty(); }));
    }
    bool wait(const std::function<bool(const cluster_snapshot&)>& pred) {
        return run_until(io, [&] { return pred(*w->current()); });
    }
};

TEST_F(watcher_fixture, initial_snapshot_holds_everything_already_there) {
    ASSERT_FALSE(s.create_all("/cluster/id", znodes::encode_cluster_id("abcdefghijklmnopqrstuv")));
    ASSERT_FALSE(s.create_all("/brokers/ids/1", znodes::encode_broker({1, "h1", 9092, "r1"}, 1)));
    ASSERT_FALSE(s.create("/controller", znodes::encode_controller(1, 1)));
    ASSERT_FALSE(s.create_all("/brokers/topics/t", znodes::encode_topic_assignment({"t", {{0, {1}}, {1, {1}}}})));
    ASSERT_FALSE(s.create_all("/brokers/topics/t/partitions/0/state", znodes::encode_partition_state({1, 0, {1}, 1, 0})));
    start();
    coord_test::drain(io);
    ASSERT_EQ(seen.size(), 1u) << "initial reads must be coalesced into one snapshot";
    const auto& snap = *w->current();
    EXPECT_EQ(snap.cluster_id, "abcdefghijklmnopqrstuv");
    EXPECT_EQ(snap.controller_id, 1);
    ASSERT_EQ(snap.brokers.size(), 1u);
    EXPECT_EQ(snap.brokers.at(1).rack, "r1");
    ASSERT_EQ(snap.topics.at("t").partitions.size(), 2u);
    EXPECT_EQ(snap.topics.at("t").partitions.at(0).state->leader, 1);
    EXPECT_FALSE(snap.topics.at("t").partitions.at(1).state);
    // Partition 1's state appears later: seen through the exists watch.
    ASSERT_FALSE(s.create_all("/brokers/topics/t/partitions/1/state", znodes::encode_partition_state({1, 0, {1}, 1, 0})));
    ASSERT_TRUE(wait([](const cluster_snapshot& c) { return c.topics.at("t").partitions.at(1).state.has_value(); }));
}

TEST_F(watcher_fixture, follows_brokers_controller_and_cluster_id) {
    start();
    EXPECT_EQ(w->current()->controller_id, -1);
    EXPECT_TRUE(w->current()->cluster_id.empty());
    fake_zk b2zk{server, io.get_executor()};
    auto reg = broker_registry::make(b2zk, {2, "h2", 9093, std::nullopt});
    reg->start([](std::error_code) {});
    ASSERT_TRUE(wait([](const cluster_snapshot& c) { return c.brokers.count(2) == 1; }));
    EXPECT_EQ(w->current()->brokers.at(2).port, 9093);
    int32_t cid = -2;
    auto el = controller_election::make(b2zk, 2, [&](int32_t id, int32_t, bool) { cid = id; });
    el->start();
    ASSERT_TRUE(wait([](const cluster_snapshot& c) { return c.controller_id == 2; }));
    std::optional<result<std::string>> id;
    get_or_create_cluster_id(admin, [&](result<std::string> r) { id = r; });
    ASSERT_TRUE(wait([&](const cluster_snapshot& c) { return id && c.cluster_id == id->value(); }));
    // Broker data changes are seen too (the broker re-registered with a new port).
    ASSERT_FALSE(s.set("/brokers/ids/2", znodes::encode_broker({2, "h2", 9999, std::nullopt}, 2)));
    ASSERT_TRUE(wait([](const cluster_snapshot& c) { return c.brokers.at(2).port == 9999; }));
    b2zk.expire();
    ASSERT_TRUE(wait([](const cluster_snapshot& c) { return c.brokers.empty() && c.controller_id == -1; }));
    coord_test::drain(io);  // before b2zk goes out of scope
}

TEST_F(watcher_fixture, sees_topics_states_and_deletion_end_to_end) {
    fake_zk ctl_zk{server, io.get_executor()};
    auto reg = broker_registry::make(ctl_zk, {1, "h", 1, std::nullopt});
    reg->start([](std::error_code) {});
    auto ctl = controller::make(ctl_zk, 1, {.controller_epoch = 1});
    ctl->start();
    start();
    topic_store store{admin};
    store.create_topic({"orders", {{0, {1}}, {1, {1}}, {2, {1}}}}, {}, [](std::error_code) {});
    ASSERT_TRUE(wait([](const cluster_snapshot& c) {
        auto t = c.topics.find("orders");
        if (t == c.topics.end() || t->second.partitions.size() != 3) return false;
        for (const auto& [p, pm] : t->second.partitions)
            if (!pm.state || pm.state->leader != 1) return false;
        return true;
    }));
    // Leader change written by someone (e.g. ISR shrink) is picked up.
    ASSERT_FALSE(s.set("/brokers/topics/orders/partitions/2/state", znodes::encode_partition_state({1, 4, {1}, 1, 0})));
    ASSERT_TRUE(wait([](const cluster_snapshot& c) { return c.topics.at("orders").partitions.at(2).state->leader_epoch == 4; }));
    // Partitions added to the topic are picked up.
    ASSERT_FALSE(s.set("/brokers/topics/orders", znodes::encode_topic_assignment({"orders", {{0, {1}}, {1, {1}}, {2, {1}}, {3, {1}}}})));
    ASSERT_TRUE(wait([](const cluster_snapshot& c) {
        auto& ps = c.topics.at("orders").partitions;
        return ps.size() == 4 && ps.at(3).state.has_value();
    }));
    store.request_delete_topic("orders", [](std::error_code) {});
    ASSERT_TRUE(wait([](const cluster_snapshot& c) { return c.topics.empty(); }));
    ASSERT_TRUE(run_until(io, [&] { return !server->node_exists("/admin/delete_topics/orders"); }));
    EXPECT_FALSE(server->node_exists("/config/topics/orders"));
    ctl->stop();
    coord_test::drain(io);  // before ctl_zk goes out of scope
}

TEST_F(watcher_fixture, new_session_resyncs_everything) {
    ASSERT_FALSE(s.create_all("/brokers/topics/a", znodes::encode_topic_assignment({"a", {{0, {1}}}})));
    start();
    ASSERT_TRUE(wait([](const cluster_snapshot& c) { return c.topics.count("a"); }));
    watch_zk.expire();
    // While our session is dead, the world changes; our watches are gone.
    ASSERT_FALSE(s.create_all("/brokers/topics/b", znodes::encode_topic_assignment({"b", {{0, {1}}}})));
    coord_test::drain(io);
    EXPECT_EQ(w->current()->topics.count("b"), 0u);
    watch_zk.reconnect();
    ASSERT_TRUE(wait([](const cluster_snapshot& c) { return c.topics.count("b") == 1 && c.topics.count("a") == 1; }));
}

TEST_F(watcher_fixture, snapshots_are_immutable) {
    start();
    auto first = w->current();
    ASSERT_FALSE(s.create_all("/brokers/topics/x", znodes::encode_topic_assignment({"x", {{0, {1}}}})));
    ASSERT_TRUE(wait([](const cluster_snapshot& c) { return c.topics.count("x"); }));
    EXPECT_EQ(first->topics.count("x"), 0u);
    EXPECT_NE(first, w->current());
}

}  // namespace
