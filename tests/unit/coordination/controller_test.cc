#include "coordination/broker_registry.h"
#include "coordination/controller.h"
#include "coordination/fake_zk.h"
#include "coordination/topic_store.h"

#include "tests/unit/coordination/coord_test_util.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

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
    std::vector<std::vector<partition_change>> rounds;       // one entry per on_partitions_changed
    std::vector<std::string> events;                         // "changes:N" / "brokers:+a,b/-c" in order
    std::vector<std::pair<std::vector<int32_t>, std::vector<int32_t>>> broker_changes;
    int loaded = 0;
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
        ctl->on_partitions_changed([this](std::vector<partition_change> changes) {
            events.push_back("changes:" + std::to_string(changes.size()));
            for (const auto& c : changes) written.emplace_back(c.topic, c.partition, c.state);
            rounds.push_back(std::move(changes));
        });
        ctl->on_brokers_changed([this](std::vector<int32_t> added, std::vector<int32_t> removed) {
            events.push_back(fmt::format("brokers:+{}/-{}", fmt::join(added, ","), fmt::join(removed, ",")));
            broker_changes.emplace_back(std::move(added), std::move(removed));
        });
        ctl->on_loaded([this] { ++loaded; });
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
    // Writes a partition state directly (as a leader changing its ISR would, or before the
    // controller starts).
    void put_state(const std::string& t, int32_t p, const partition_state& st) {
        coord_test::sync_zk s{io, ctl_zk};
        auto path = znodes::partition_state_path(t, p);
        if (s.exists(path)) {
            ASSERT_FALSE(s.set(path, znodes::encode_partition_state(st)));
        } else {
            ASSERT_FALSE(s.create_all(path, znodes::encode_partition_state(st)));
        }
    }
    int led_by(const std::string& t, int32_t partitions, int32_t broker) {
        int n = 0;
        for (int32_t p = 0; p < partitions; ++p) n += zk_state(t, p) && zk_state(t, p)->leader == broker;
        return n;
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

TEST_F(controller_fixture, topic_config_enables_unclean_election_for_that_topic_only) {
    add_broker(1);
    add_broker(2);
    start();  // broker default: no unclean elections
    bool done = false;
    store.create_topic({"dirty", {{0, {1, 2}}}}, {{"unclean.leader.election.enable", "true"}},
                       [&](std::error_code ec) { done = !ec; });
    ASSERT_TRUE(run_until(io, [&] { return done; }));
    create_topic("clean", {{0, {1, 2}}});
    ASSERT_TRUE(run_until(io, [&] { return zk_state("dirty", 0).has_value() && zk_state("clean", 0).has_value(); }));
    coord_test::sync_zk s{io, ctl_zk};
    ASSERT_FALSE(s.set("/brokers/topics/dirty/partitions/0/state", znodes::encode_partition_state({1, 1, {1}, 5, 0}), 0));
    ASSERT_FALSE(s.set("/brokers/topics/clean/partitions/0/state", znodes::encode_partition_state({1, 1, {1}, 5, 0}), 0));
    kill_broker(1);
    ASSERT_TRUE(run_until(io, [&] { return zk_state("dirty", 0)->leader == 2 && zk_state("clean", 0)->leader == -1; }));
    EXPECT_EQ(zk_state("dirty", 0)->isr, std::vector<int32_t>{2});
    EXPECT_EQ(zk_state("clean", 0)->isr, std::vector<int32_t>{1});
}

TEST_F(controller_fixture, enabling_unclean_election_at_runtime_elects_offline_partitions_at_once) {
    add_broker(1);
    add_broker(2);
    start();  // broker default: no unclean elections
    create_topic("t", {{0, {1, 2}}, {1, {2, 1}}});
    ASSERT_TRUE(run_until(io, [&] { return zk_state("t", 0).has_value() && zk_state("t", 1).has_value(); }));
    coord_test::sync_zk s{io, ctl_zk};
    ASSERT_FALSE(s.set("/brokers/topics/t/partitions/0/state", znodes::encode_partition_state({1, 1, {1}, 5, 0}), 0));
    kill_broker(1);
    ASSERT_TRUE(run_until(io, [&] { return zk_state("t", 0)->leader == -1; }));
    const int32_t offline_epoch = zk_state("t", 0)->leader_epoch;
    // A config change that does not allow unclean elections changes nothing.
    bool changed = false;
    store.change_config("t", {{"retention.ms", "1000"}}, [&](std::error_code ec) { changed = !ec; });
    ASSERT_TRUE(run_until(io, [&] { return changed; }));
    ctl->topic_config_changed("t");
    run_until(io, [] { return false; }, std::chrono::milliseconds(200));
    EXPECT_EQ(zk_state("t", 0)->leader, -1);
    // Now it does: the offline partition gets its live out-of-sync replica without any broker change.
    changed = false;
    store.change_config("t", {{"unclean.leader.election.enable", "true"}}, [&](std::error_code ec) { changed = !ec; });
    ASSERT_TRUE(run_until(io, [&] { return changed; }));
    ctl->topic_config_changed("t");
    ASSERT_TRUE(run_until(io, [&] { return zk_state("t", 0)->leader == 2; }));
    EXPECT_EQ(zk_state("t", 0)->isr, std::vector<int32_t>{2});
    EXPECT_EQ(zk_state("t", 0)->leader_epoch, offline_epoch + 1);
    EXPECT_EQ(zk_state("t", 1)->leader, 2);  // the healthy partition is untouched
    // Unknown topics are ignored.
    ctl->topic_config_changed("nope");
    coord_test::drain(io);
}

TEST_F(controller_fixture, deletes_topic_znodes_config_and_request) {
    add_broker(1);
    start();
    create_topic("gone", {{0, {1}}, {1, {1}}});
    ASSERT_TRUE(run_until(io, [&] { return zk_state("gone", 1).has_value(); }));
    std::string deleted;
    std::map<int32_t, std::vector<int32_t>> deleted_replicas;
    ctl->on_topic_deleted([&](const std::string& t, const std::map<int32_t, std::vector<int32_t>>& r) {
        deleted = t;
        deleted_replicas = r;
    });
    bool requested = false;
    store.request_delete_topic("gone", [&](std::error_code ec) { requested = !ec; });
    ASSERT_TRUE(run_until(io, [&] { return deleted == "gone"; }));
    EXPECT_TRUE(requested);
    EXPECT_EQ(deleted_replicas, (std::map<int32_t, std::vector<int32_t>>{{0, {1}}, {1, {1}}}));
    EXPECT_FALSE(ctl->context().topics.count("gone"));
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

TEST_F(controller_fixture, broker_loss_is_written_in_batched_multis_and_reported_once) {
    add_broker(1);
    add_broker(2);
    add_broker(3);
    start({.max_ops_per_multi = 4});  // 30 partitions -> 8 multis in flight together
    std::map<int32_t, std::vector<int32_t>> parts;
    for (int32_t p = 0; p < 30; ++p) parts[p] = {1 + p % 3, 1 + (p + 1) % 3, 1 + (p + 2) % 3};
    create_topic("t", parts);
    ASSERT_TRUE(run_until(io, [&] { return written.size() == 30; }));
    EXPECT_EQ(rounds.size(), 1u);  // the topic's 30 new partitions: one round
    for (const auto& c : rounds[0]) EXPECT_TRUE(c.is_new);
    EXPECT_EQ(led_by("t", 30, 1), 10);
    rounds.clear();
    events.clear();
    kill_broker(1);
    ASSERT_TRUE(run_until(io, [&] { return !broker_changes.empty(); }));
    // Every partition changed (10 elections, 20 ISR shrinks), in one callback, before the broker one.
    ASSERT_EQ(rounds.size(), 1u);
    EXPECT_EQ(rounds[0].size(), 30u);
    EXPECT_EQ(events, (std::vector<std::string>{"changes:30", "brokers:+/-1"}));
    EXPECT_EQ(led_by("t", 30, 1), 0);
    for (const auto& c : rounds[0]) {
        EXPECT_FALSE(c.is_new);
        EXPECT_EQ(c.state, *zk_state("t", c.partition));  // zk_version included
        EXPECT_EQ(c.replicas, parts[c.partition]);
        EXPECT_EQ(c.state.leader_epoch, 1);
        EXPECT_EQ(std::count(c.state.isr.begin(), c.state.isr.end(), 1), 0);
    }
    EXPECT_EQ(ctl->context().topics.at("t").at(0).state, zk_state("t", 0));
}

TEST_F(controller_fixture, context_has_endpoints_epoch_assignment_and_loads_once) {
    add_broker(1);
    add_broker(2);
    create_topic("t", {{0, {1, 2}}});
    start({.controller_epoch = 7});
    ASSERT_TRUE(run_until(io, [&] { return loaded == 1; }));
    const auto& ctx = ctl->context();
    EXPECT_TRUE(ctx.loaded);
    EXPECT_EQ(ctx.controller_id, 1);
    EXPECT_EQ(ctx.controller_epoch, 7);
    ASSERT_EQ(ctx.live_brokers.size(), 2u);
    EXPECT_EQ(ctx.live_brokers.at(2), (broker_info{2, "h", 9002, std::nullopt}));
    EXPECT_EQ(ctx.topics.at("t").at(0).replicas, (std::vector<int32_t>{1, 2}));
    // States written during start-up are reported before on_loaded.
    ASSERT_TRUE(ctx.topics.at("t").at(0).state.has_value());
    EXPECT_EQ(written.size(), 1u);
    create_topic("u", {{0, {2}}});
    ASSERT_TRUE(run_until(io, [&] { return written.size() == 2; }));
    EXPECT_EQ(loaded, 1);
}

TEST_F(controller_fixture, returning_broker_is_reported_with_its_replicas_and_stays_out_of_the_isr) {
    add_broker(1);
    add_broker(2);
    add_broker(3);
    start();
    create_topic("t", {{0, {2, 1, 3}}, {1, {1, 2, 3}}, {2, {1, 3}}});
    ASSERT_TRUE(run_until(io, [&] { return written.size() == 3; }));
    kill_broker(2);
    ASSERT_TRUE(run_until(io, [&] { return broker_changes.size() == 1; }));
    EXPECT_EQ(zk_state("t", 0)->leader, 1);
    auto before0 = *zk_state("t", 0), before1 = *zk_state("t", 1);
    rounds.clear();
    add_broker(2);
    ASSERT_TRUE(run_until(io, [&] { return broker_changes.size() == 2; }));
    EXPECT_EQ(broker_changes[1], (std::pair<std::vector<int32_t>, std::vector<int32_t>>{{2}, {}}));
    EXPECT_TRUE(rounds.empty());  // nothing to write: it returns as a follower
    EXPECT_EQ(*zk_state("t", 0), before0);
    EXPECT_EQ(*zk_state("t", 1), before1);
    auto mine = ctl->replicas_on(2);
    ASSERT_EQ(mine.size(), 2u);
    EXPECT_EQ(mine[0].partition, 0);
    EXPECT_EQ(mine[0].state, before0);
    EXPECT_EQ(mine[1].partition, 1);
    EXPECT_EQ(ctl->live_brokers().count(2), 1u);
}

TEST_F(controller_fixture, broker_restarted_between_reads_loses_its_leaderships_and_is_reported_both_ways) {
    add_broker(1);
    add_broker(2);
    start();
    create_topic("t", {{0, {2, 1}}});
    ASSERT_TRUE(run_until(io, [&] { return written.size() == 1; }));
    // Same id, new znode (new session) in one transaction: the children watch sees no id change.
    fake_zk other{server, io.get_executor()};
    std::optional<std::error_code> done;
    other.multi({zk_op::remove("/brokers/ids/2"),
                 zk_op::create("/brokers/ids/2", znodes::encode_broker({2, "h2", 9200, std::nullopt}, 0),
                               create_mode::ephemeral)},
                [&](std::error_code ec, std::vector<zk_op_result>) { done = ec; });
    ASSERT_TRUE(run_until(io, [&] { return broker_changes.size() == 1; }));
    EXPECT_FALSE(*done);
    EXPECT_EQ(broker_changes[0], (std::pair<std::vector<int32_t>, std::vector<int32_t>>{{2}, {2}}));
    EXPECT_EQ(zk_state("t", 0)->leader, 1);
    EXPECT_EQ(zk_state("t", 0)->isr, std::vector<int32_t>{1});
    EXPECT_EQ(ctl->live_brokers().at(2).port, 9200);  // endpoints re-read
    other.close();
}

TEST_F(controller_fixture, controlled_shutdown_moves_leaders_shrinks_isrs_and_answers_what_could_not_move) {
    add_broker(1);
    add_broker(2);
    add_broker(3);
    start();
    create_topic("t", {{0, {1, 2, 3}}, {1, {2, 1, 3}}, {2, {1}}, {3, {3, 1, 2}}});
    ASSERT_TRUE(run_until(io, [&] { return written.size() == 4; }));
    rounds.clear();
    std::optional<std::pair<std::error_code, std::vector<partition_key>>> answer;
    ctl->controlled_shutdown(1, [&](std::error_code ec, std::vector<partition_key> remaining) {
        answer.emplace(ec, std::move(remaining));
    });
    ASSERT_TRUE(run_until(io, [&] { return answer.has_value(); }));
    EXPECT_FALSE(answer->first);
    EXPECT_EQ(answer->second, (std::vector<partition_key>{{"t", 2}}));  // RF 1 cannot move
    ASSERT_EQ(rounds.size(), 1u);
    EXPECT_EQ(rounds[0].size(), 3u);
    EXPECT_EQ(*zk_state("t", 0), (partition_state{2, 1, {2, 3}, 5, 1}));
    EXPECT_EQ(*zk_state("t", 1), (partition_state{2, 1, {2, 3}, 5, 1}));
    EXPECT_EQ(zk_state("t", 2)->leader, 1);
    EXPECT_EQ(*zk_state("t", 3), (partition_state{3, 1, {3, 2}, 5, 1}));
    EXPECT_TRUE(ctl->context().shutting_down.count(1));
    // A broker in controlled shutdown is never elected: broker 2 dies, 3 leads.
    kill_broker(2);
    ASSERT_TRUE(run_until(io, [&] { return zk_state("t", 0)->leader == 3; }));
    // Once it deregisters the mark goes; its RF-1 partition goes offline.
    kill_broker(1);
    ASSERT_TRUE(run_until(io, [&] { return zk_state("t", 2)->leader == -1; }));
    EXPECT_FALSE(ctl->context().shutting_down.count(1));

    std::optional<std::error_code> unknown;
    ctl->controlled_shutdown(42, [&](std::error_code ec, std::vector<partition_key>) { unknown = ec; });
    ASSERT_TRUE(run_until(io, [&] { return unknown.has_value(); }));
    EXPECT_EQ(*unknown, errc::broker_not_available);
}

TEST_F(controller_fixture, preferred_election_on_demand_through_the_admin_znode_and_the_method) {
    add_broker(1);
    add_broker(2);
    add_broker(3);
    create_topic("t", {{0, {1, 2}}, {1, {1, 2}}, {2, {3, 2}}, {3, {1, 3}}});
    // As after broker 1 came back and caught up: 2 (or 3) leads, 1 is in the ISR again.
    put_state("t", 0, {2, 3, {2, 1}, 4, 0});
    put_state("t", 1, {2, 3, {2, 1}, 4, 0});
    put_state("t", 2, {3, 0, {3, 2}, 4, 0});
    put_state("t", 3, {3, 2, {3}, 4, 0});
    start({.auto_leader_rebalance = false});
    ASSERT_TRUE(run_until(io, [&] { return loaded == 1; }));
    coord_test::sync_zk s{io, ctl_zk};
    ASSERT_FALSE(s.create("/admin/preferred_replica_election",
                          R"({"version":1,"partitions":[{"topic":"t","partition":0}]})"));
    ASSERT_TRUE(run_until(io, [&] { return !s.exists("/admin/preferred_replica_election"); }));
    EXPECT_EQ(*zk_state("t", 0), (partition_state{1, 4, {2, 1}, 5, 1}));
    EXPECT_EQ(zk_state("t", 1)->leader, 2);  // not requested

    std::optional<std::map<partition_key, std::error_code>> res;
    ctl->elect_preferred_leaders({{"t", 1}, {"t", 2}, {"t", 3}, {"t", 9}, {"nope", 0}},
                                 [&](std::map<partition_key, std::error_code> r) { res = std::move(r); });
    ASSERT_TRUE(run_until(io, [&] { return res.has_value(); }));
    EXPECT_FALSE(res->at({"t", 1}));
    EXPECT_EQ(res->at({"t", 2}), errc::election_not_needed);
    EXPECT_EQ(res->at({"t", 3}), errc::preferred_leader_not_available);  // 1 is not in the ISR
    EXPECT_EQ(res->at({"t", 9}), errc::unknown_topic_or_partition);
    EXPECT_EQ(res->at({"nope", 0}), errc::unknown_topic_or_partition);
    EXPECT_EQ(zk_state("t", 1)->leader, 1);
    EXPECT_EQ(zk_state("t", 3)->leader, 3);

    // A second request znode is handled too.
    ASSERT_FALSE(s.create("/admin/preferred_replica_election", R"({"version":1,"partitions":[{"topic":"t","partition":1}]})"));
    ASSERT_TRUE(run_until(io, [&] { return !s.exists("/admin/preferred_replica_election"); }));
}

TEST_F(controller_fixture, preferred_election_retries_after_a_stale_cached_state) {
    add_broker(1);
    add_broker(2);
    create_topic("t", {{0, {1, 2}}});
    put_state("t", 0, {2, 3, {2, 1}, 4, 0});
    start({.auto_leader_rebalance = false});
    ASSERT_TRUE(run_until(io, [&] { return loaded == 1; }));
    put_state("t", 0, {2, 3, {2, 1}, 4, 0});  // rewritten behind the controller's back: version 1
    std::optional<std::map<partition_key, std::error_code>> res;
    ctl->elect_preferred_leaders({{"t", 0}}, [&](std::map<partition_key, std::error_code> r) { res = std::move(r); });
    ASSERT_TRUE(run_until(io, [&] { return res.has_value(); }));
    EXPECT_FALSE(res->at({"t", 0}));
    EXPECT_EQ(*zk_state("t", 0), (partition_state{1, 4, {2, 1}, 5, 2}));
}

TEST_F(controller_fixture, automatic_rebalance_elects_preferred_leaders_of_imbalanced_brokers) {
    add_broker(1);
    add_broker(2);
    create_topic("t", {{0, {1, 2}}, {1, {1, 2}}, {2, {2, 1}}});
    put_state("t", 0, {2, 1, {2, 1}, 4, 0});
    put_state("t", 1, {2, 1, {2, 1}, 4, 0});
    put_state("t", 2, {2, 1, {2, 1}, 4, 0});
    start({.leader_imbalance_check_interval = std::chrono::milliseconds(30)});
    ASSERT_TRUE(run_until(io, [&] { return zk_state("t", 0)->leader == 1 && zk_state("t", 1)->leader == 1; }));
    EXPECT_EQ(zk_state("t", 2)->leader, 2);
    EXPECT_EQ(zk_state("t", 0)->leader_epoch, 2);
}

TEST_F(controller_fixture, no_automatic_rebalance_at_or_below_the_threshold) {
    add_broker(1);
    add_broker(2);
    std::map<int32_t, std::vector<int32_t>> parts;
    for (int32_t p = 0; p < 20; ++p) parts[p] = {1, 2};
    create_topic("t", parts);
    for (int32_t p = 0; p < 20; ++p) put_state("t", p, {p < 2 ? 2 : 1, 1, {1, 2}, 4, 0});  // 2 of 20 = 10%
    start({.leader_imbalance_check_interval = std::chrono::milliseconds(10)});
    ASSERT_TRUE(run_until(io, [&] { return loaded == 1; }));
    EXPECT_FALSE(run_until(io, [&] { return led_by("t", 20, 1) == 20; }, std::chrono::milliseconds(200)));
    EXPECT_EQ(led_by("t", 20, 2), 2);
}

TEST_F(controller_fixture, no_automatic_rebalance_when_disabled) {
    add_broker(1);
    add_broker(2);
    create_topic("t", {{0, {1, 2}}});
    put_state("t", 0, {2, 1, {2, 1}, 4, 0});
    start({.auto_leader_rebalance = false, .leader_imbalance_check_interval = std::chrono::milliseconds(10)});
    ASSERT_TRUE(run_until(io, [&] { return loaded == 1; }));
    EXPECT_FALSE(run_until(io, [&] { return zk_state("t", 0)->leader == 1; }, std::chrono::milliseconds(200)));
    ctl->check_leader_imbalance();  // the timer's work, on demand
    EXPECT_TRUE(run_until(io, [&] { return zk_state("t", 0)->leader == 1; }));
}

TEST_F(controller_fixture, write_conflict_rereads_and_decides_again) {
    add_broker(1);
    add_broker(2);
    add_broker(3);
    start();
    create_topic("t", {{0, {1, 2, 3}}, {1, {1, 2, 3}}});
    ASSERT_TRUE(run_until(io, [&] { return written.size() == 2; }));
    put_state("t", 1, {1, 0, {1, 3}, 5, 0});  // the leader shrank the ISR: the cached version is stale
    kill_broker(1);
    ASSERT_TRUE(run_until(io, [&] { return zk_state("t", 0)->leader == 2 && zk_state("t", 1)->leader == 3; }));
    EXPECT_EQ(zk_state("t", 1)->isr, std::vector<int32_t>{3});
    EXPECT_EQ(zk_state("t", 1)->leader_epoch, 1);
}

TEST_F(controller_fixture, added_partitions_are_initialised_as_new) {
    add_broker(1);
    add_broker(2);
    add_broker(3);
    start();
    create_topic("t", {{0, {2, 3}}, {1, {3, 1}}});
    ASSERT_TRUE(run_until(io, [&] { return written.size() == 2; }));
    rounds.clear();
    std::optional<result<topic_assignment>> grown;
    store.add_partitions("t", 5, [&](result<topic_assignment> r) { grown = std::move(r); });
    ASSERT_TRUE(run_until(io, [&] { return grown.has_value(); }));
    ASSERT_TRUE(*grown) << grown->error().message();
    // Kafka: start index = position of the first broker >= partition 0's leader (2), RF 2.
    EXPECT_EQ(grown->value().partitions,
              (std::map<int32_t, std::vector<int32_t>>{{0, {2, 3}}, {1, {3, 1}}, {2, {1, 3}}, {3, {2, 3}}, {4, {3, 1}}}));
    ASSERT_TRUE(run_until(io, [&] { return written.size() == 5; }));
    ASSERT_EQ(rounds.size(), 1u);
    for (const auto& c : rounds[0]) {
        EXPECT_TRUE(c.is_new);
        EXPECT_GE(c.partition, 2);
    }
    EXPECT_EQ(ctl->context().topics.at("t").size(), 5u);
    EXPECT_EQ(zk_state("t", 4)->leader, 3);
}

TEST_F(controller_fixture, add_partitions_rejects_decrease_unknown_topic_and_bad_manual_assignment) {
    add_broker(1);
    add_broker(2);
    create_topic("t", {{0, {1, 2}}, {1, {2, 1}}});
    auto add = [&](const std::string& topic, int32_t n, add_partitions_options o = {}) {
        std::optional<result<topic_assignment>> out;
        store.add_partitions(topic, n, [&](result<topic_assignment> r) { out = std::move(r); }, o);
        EXPECT_TRUE(run_until(io, [&] { return out.has_value(); }));
        return *out;
    };
    EXPECT_EQ(add("t", 2).error(), errc::partition_count_not_increased);
    EXPECT_EQ(add("t", 1).error(), errc::partition_count_not_increased);
    EXPECT_EQ(make_error_code(errc::partition_count_not_increased).message(),
              "the number of partitions for a topic can only be increased");
    EXPECT_EQ(add("nope", 3).error(), errc::unknown_topic);
    EXPECT_EQ(add("t", 3, {.assignment = {{1, 7}}}).error(), errc::invalid_replica_assignment);   // broker 7
    EXPECT_EQ(add("t", 3, {.assignment = {{1, 1}}}).error(), errc::invalid_replica_assignment);   // duplicate
    EXPECT_EQ(add("t", 3, {.assignment = {{1}}}).error(), errc::invalid_replica_assignment);      // size
    EXPECT_EQ(add("t", 4, {.assignment = {{1, 2}}}).error(), errc::invalid_replica_assignment);   // count
    auto v = add("t", 3, {.assignment = {{2, 1}}, .validate_only = true});
    ASSERT_TRUE(v);
    EXPECT_EQ(v.value().partitions.at(2), (std::vector<int32_t>{2, 1}));
    coord_test::sync_zk s{io, ctl_zk};
    EXPECT_EQ(znodes::decode_topic_assignment("t", s.get("/brokers/topics/t").second).value().partitions.size(), 2u);
    auto m = add("t", 3, {.assignment = {{2, 1}}});
    ASSERT_TRUE(m);
    EXPECT_EQ(znodes::decode_topic_assignment("t", s.get("/brokers/topics/t").second).value().partitions.at(2),
              (std::vector<int32_t>{2, 1}));
    ASSERT_FALSE(s.create_all("/admin/delete_topics/t"));
    EXPECT_EQ(add("t", 4).error(), errc::topic_marked_for_deletion);
}

}  // namespace
