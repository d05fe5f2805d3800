#include "coordination/broker_registry.h"
#include "coordination/controller.h"
#include "coordination/fake_zk.h"
#include "coordination/topic_store.h"

#include "tests/unit/coordination/coord_test_util.h"

#include <gtest/gtest.h>

using namespace coordination;
using coord_test::run_until;

namespace {

struct controller_fixture : ::testing::Test {
    ~controller_fixture() override {
        if (ctl) ctl->stop();
        coord_test::drain(io);
    }
    boost::asio::io_context io;
    std::shared_ptr<fake_zk_server> server = fake_zk_server::make();
    fake_zk ctl_zk{server, io.get_executor()};
    std::map<int32_t, std::unique_ptr<fake_zk>> broker_zk;
    std::shared_ptr<controller> ctl;
    std::vector<std::tuple<std::string, int32_t, partition_state>> written;
    topic_store store{ctl_zk};

    void add_broker(int32_t id) {
        auto zk = std::make_unique<fake_zk>(server, io.get_executor());
        auto r = broker_registry::make(*zk, {id, "h", 9000 + id, std::nullopt});
        bool done = false;
        r->start([&](std::error_code ec) { done = !ec; });
        ASSERT_TRUE(run_until(io, [&] { return done; }));
        broker_zk[id] = std::move(zk);
    }
    void kill_broker(int32_t id) { broker_zk.at(id)->expire(); }
    void start(controller_options o = {}) {
        o.controller_epoch = o.controller_epoch ? o.controller_epoch : 5;
        ctl = controller::make(ctl_zk, 1, o);
        ctl->on_state_written([this](const std::string& t, int32_t p, const partition_state& s) {
            written.emplace_back(t, p, s);
        });
        ctl->start();
        ASSERT_TRUE(run_until(io, [&] { return ctl->live_brokers().size() == broker_zk.size(); }));
    }
    void create_topic(const std::string& name, std::map<int32_t, std::vector<int32_t>> parts) {
        bool done = false;
        store.create_topic({name, parts}, {}, [&](std::error_code ec) { done = !ec; });
        ASSERT_TRUE(run_until(io, [&] { return done; }));
    }
    std::optional<partition_state> zk_state(const std::string& t, int32_t p) {
        auto stat = server->node_stat(znodes::partition_state_path(t, p));
        auto data = server->node_data(znodes::partition_state_path(t, p));
        if (!data) return std::nullopt;
        return znodes::decode_partition_state(*data, stat->version).value();
    }
};

TEST_F(controller_fixture, writes_initial_state_for_new_topic_with_live_replicas_only) {
    add_broker(1);
    add_broker(2);
    start();
    create_topic("t", {{0, {1, 2, 3}}, {1, {3, 2, 1}}, {2, {3}}});
    ASSERT_TRUE(run_until(io, [&] { return zk_state("t", 0) && zk_state("t", 1); }));
    EXPECT_EQ(*zk_state("t", 0), (partition_state{1, 0, {1, 2}, 5, 0}));
    EXPECT_EQ(*zk_state("t", 1), (partition_state{2, 0, {2, 1}, 5, 0}));
    EXPECT_FALSE(zk_state("t", 2));  // no live replica yet
    EXPECT_EQ(*server->node_data("/brokers/topics/t/partitions/0/state"),
              R"({"controller_epoch":5,"leader":1,"version":1,"leader_epoch":0,"isr":[1,2]})");
    // Broker 3 arrives: the waiting partition comes online.
    add_broker(3);
    ASSERT_TRUE(run_until(io, [&] { return written.size() == 3; }));
    EXPECT_EQ(zk_state("t", 2)->leader, 3);
    EXPECT_EQ(written.size(), 3u);
}

TEST_F(controller_fixture, existing_states_are_loaded_not_rewritten) {
    add_broker(1);
    create_topic("t", {{0, {1}}});
    coord_test::sync_zk s{io, ctl_zk};
    ASSERT_FALSE(s.create_all("/brokers/topics/t/partitions/0/state",
                              znodes::encode_partition_state({1, 9, {1}, 3, 0})));
    start();
    ASSERT_TRUE(run_until(io, [&] { return ctl->state("t", 0).has_value(); }));
    EXPECT_EQ(ctl->state("t", 0)->leader_epoch, 9);
    EXPECT_TRUE(written.empty());
}

TEST_F(controller_fixture, leader_failure_elects_next_isr_member) {
    add_broker(1);
    add_broker(2);
    add_broker(3);
    start();
    create_topic("t", {{0, {2, 3, 1}}});
    ASSERT_TRUE(run_until(io, [&] { return zk_state("t", 0).has_value(); }));
    kill_broker(2);
    ASSERT_TRUE(run_until(io, [&] { return zk_state("t", 0)->leader == 3; }));
    auto st = *zk_state("t", 0);
    EXPECT_EQ(st.leader_epoch, 1);
    EXPECT_EQ(st.isr, (std::vector<int32_t>{3, 1}));
    EXPECT_EQ(st.zk_version, 1);
    // A follower dying shrinks the ISR and bumps the leader epoch.
    kill_broker(1);
    ASSERT_TRUE(run_until(io, [&] { return zk_state("t", 0)->isr.size() == 1; }));
    EXPECT_EQ(zk_state("t", 0)->leader, 3);
    EXPECT_EQ(zk_state("t", 0)->leader_epoch, 2);
}

TEST_F(controller_fixture, no_live_isr_means_offline_unless_unclean) {
    add_broker(1);
    add_broker(2);
    start();
    create_topic("t", {{0, {1, 2}}});
    ASSERT_TRUE(run_until(io, [&] { return zk_state("t", 0).has_value(); }));
    // The leader shrank the ISR to itself (as a real leader would after follower lag).
    coord_test::sync_zk s{io, ctl_zk};
    ASSERT_FALSE(s.set("/brokers/topics/t/partitions/0/state", znodes::encode_partition_state({1, 1, {1}, 5, 0}), 0));
    kill_broker(1);
    ASSERT_TRUE(run_until(io, [&] { return zk_state("t", 0)->leader == -1; }));
    EXPECT_EQ(zk_state("t", 0)->isr, std::vector<int32_t>{1});  // last ISR kept for a clean return
    EXPECT_EQ(zk_state("t", 0)->leader_epoch, 2);
    // Broker 1 comes back: it is in the ISR, so it leads again.
    add_broker(1);
    ASSERT_TRUE(run_until(io, [&] { return zk_state("t", 0)->leader == 1; }));
    EXPECT_EQ(zk_state("t", 0)->leader_epoch, 3);
}

TEST_F(controller_fixture, unclean_election_picks_a_live_out_of_sync_replica) {
    add_broker(1);
    add_broker(2);
    start({.unclean_leader_election = true});
    create_topic("t", {{0, {1, 2}}});
    ASSERT_TRUE(run_until(io, [&] { return zk_state("t", 0).has_value(); }));
    coord_test::sync_zk s{io, ctl_zk};
    ASSERT_FALSE(s.set("/brokers/topics/t/partitions/0/state", znodes::encode_partition_state({1, 1, {1}, 5, 0}), 0));
    kill_broker(1);
    ASSERT_TRUE(run_until(io, [&] { return zk_state("t", 0)->leader == 2; }));
    EXPECT_EQ(zk_state("t", 0)->isr, std::vector<int32_t>{2});
}

TEST_F(controller_fixture, deletes_topic_znodes_config_and_request) {
    add_broker(1);
    start();
    create_topic("gone", {{0, {1}}, {1, {1}}});
    ASSERT_TRUE(run_until(io, [&] { return zk_state("gone", 1).has_value(); }));
    std::string deleted;
    ctl->on_topic_deleted([&](const std::string& t) { deleted = t; });
    bool requested = false;
    store.request_delete_topic("gone", [&](std::error_code ec) { requested = !ec; });
    ASSERT_TRUE(run_until(io, [&] { return deleted == "gone"; }));
    EXPECT_TRUE(requested);
    for (const auto& p : server->all_paths()) {
        EXPECT_EQ(p.find("gone"), std::string::npos) << p;
    }
    // The name can be used again.
    create_topic("gone", {{0, {1}}});
    ASSERT_TRUE(run_until(io, [&] { return zk_state("gone", 0).has_value(); }));
}

TEST_F(controller_fixture, stale_epoch_is_fenced) {
    add_broker(1);
    coord_test::sync_zk s{io, ctl_zk};
    ASSERT_FALSE(s.create("/controller_epoch", "5"));
    std::optional<std::error_code> fenced_ec;
    start({.controller_epoch = 5, .epoch_zk_version = 0});
    ctl->on_fenced([&](std::error_code ec) { fenced_ec = ec; });
    ASSERT_FALSE(s.set("/controller_epoch", "6"));  // a newer controller took over
    create_topic("t", {{0, {1}}});
    ASSERT_TRUE(run_until(io, [&] { return fenced_ec.has_value(); }));
    EXPECT_EQ(*fenced_ec, errc::not_controller);
    EXPECT_FALSE(zk_state("t", 0));
    EXPECT_FALSE(ctl->running());
}

}  // namespace
