// zk_session and the components on top of it against a real ZooKeeper server (Debian package,
// started by test_support::zookeeper_server; the test fails, never skips, if it cannot start).
// Each test works under its own chroot on one server shared by the suite.

#include "coordination/broker_registry.h"
#include "coordination/cluster_id.h"
#include "coordination/cluster_watcher.h"
#include "coordination/controller.h"
#include "coordination/controller_election.h"
#include "coordination/producer_id_manager.h"
#include "coordination/topic_store.h"
#include "coordination/zk_session.h"
#include "coordination/zk_util.h"

#include "tests/support/zookeeper_server.h"
#include "tests/unit/coordination/coord_test_util.h"

#include <boost/asio/executor_work_guard.hpp>

#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <numeric>
#include <set>

using namespace coordination;
using coord_test::run_until;
using namespace std::chrono_literals;

namespace {

constexpr int session_timeout_ms = 6000;

class zk_session_real : public ::testing::Test {
  protected:
    static void SetUpTestSuite() { zk_server = new test_support::zookeeper_server(); }
    static void TearDownTestSuite() {
        delete zk_server;
        zk_server = nullptr;
    }
    // Shutdown order the broker must follow too: close the sessions (pending requests complete
    // with `closing`), run what they posted while components and sessions are alive, then destroy.
    ~zk_session_real() override {
        for (auto& s : sessions) s->close();
        coord_test::drain(io);
    }

    zk_session* connect(const std::string& chroot) {
        auto r = zk_session::connect(zk_server->connect_string() + chroot, session_timeout_ms, io.get_executor(), 15s);
        EXPECT_TRUE(r) << r.error().message();
        if (!r) return nullptr;
        sessions.push_back(std::move(r.value()));
        return sessions.back().get();
    }
    bool wait(const std::function<bool()>& pred, std::chrono::milliseconds limit = 15s) {
        return run_until(io, pred, limit);
    }

    static test_support::zookeeper_server* zk_server;
    boost::asio::io_context io;
    // Keeps run_one_for() blocking while requests are out on the ZooKeeper threads.
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard{io.get_executor()};
    std::vector<std::unique_ptr<zk_session>> sessions;
};

test_support::zookeeper_server* zk_session_real::zk_server = nullptr;

TEST_F(zk_session_real, chroot_is_created_and_nothing_is_written_outside_it) {
    auto s = connect("/brook/cluster-a");
    ASSERT_TRUE(s);
    EXPECT_EQ(s->chroot(), "/brook/cluster-a");
    EXPECT_TRUE(zk_server->exists("/brook/cluster-a"));
    std::optional<result<std::string>> id;
    get_or_create_cluster_id(*s, [&](result<std::string> r) { id = r; });
    auto reg = broker_registry::make(*s, {1, "127.0.0.1", 9092, std::nullopt});
    std::optional<std::error_code> registered;
    reg->start([&](std::error_code ec) { registered = ec; });
    ASSERT_TRUE(wait([&] { return id && registered; }));
    ASSERT_TRUE(*id) << id->error().message();
    EXPECT_FALSE(*registered) << registered->message();
    EXPECT_EQ(zk_server->children("/"), (std::vector<std::string>{"brook", "zookeeper"})) << zk_server->dump();
    EXPECT_EQ(zk_server->children("/brook"), std::vector<std::string>{"cluster-a"});
    EXPECT_EQ(zk_server->get("/brook/cluster-a/cluster/id"), znodes::encode_cluster_id(id->value()));
    EXPECT_TRUE(zk_server->exists("/brook/cluster-a/brokers/ids/1"));
    // Paths reported back by the server are relative to the chroot.
    std::optional<std::string> created;
    s->create("/seq-", "", create_mode::persistent_sequential, [&](std::error_code, std::string p) { created = p; });
    ASSERT_TRUE(wait([&] { return created.has_value(); }));
    EXPECT_EQ(created->rfind("/seq-", 0), 0u) << *created;
    // A second connect with an existing chroot is fine.
    auto again = connect("/brook/cluster-a");
    ASSERT_TRUE(again);
    EXPECT_EQ(again->get_sync("/cluster/id").value(), znodes::encode_cluster_id(id->value()));
}

TEST_F(zk_session_real, ephemeral_broker_node_goes_when_session_closes) {
    auto s = connect("/reg");
    ASSERT_TRUE(s);
    EXPECT_NE(s->session_id(), 0);
    auto reg = broker_registry::make(*s, {7, "127.0.0.1", 9097, "rack-1"});
    std::optional<std::error_code> ec;
    reg->start([&](std::error_code e) { ec = e; });
    ASSERT_TRUE(wait([&] { return ec.has_value(); }));
    ASSERT_FALSE(*ec) << ec->message();
    EXPECT_EQ(zk_server->ephemeral_owner("/reg/brokers/ids/7"), s->session_id());
    auto b = znodes::decode_broker(7, zk_server->get("/reg/brokers/ids/7"));
    ASSERT_TRUE(b);
    EXPECT_EQ(b.value().rack, "rack-1");

    // Same id from another session: refused while the first is alive.
    auto other = connect("/reg");
    ASSERT_TRUE(other);
    auto dup = broker_registry::make(*other, {7, "127.0.0.1", 9098, std::nullopt});
    ec.reset();
    dup->start([&](std::error_code e) { ec = e; });
    ASSERT_TRUE(wait([&] { return ec.has_value(); }));
    EXPECT_EQ(*ec, errc::broker_already_registered);

    s->close();
    EXPECT_FALSE(zk_server->exists("/reg/brokers/ids/7"));
    ec.reset();
    dup->start([&](std::error_code e) { ec = e; });
    ASSERT_TRUE(wait([&] { return ec.has_value(); }));
    EXPECT_FALSE(*ec);
}

TEST_F(zk_session_real, reconnect_opens_a_new_session_and_registry_re_registers) {
    auto s = connect("/recon");
    ASSERT_TRUE(s);
    auto reg = broker_registry::make(*s, {1, "h", 1, std::nullopt});
    std::optional<std::error_code> first, again;
    reg->start([&](std::error_code e) { first = e; });
    reg->on_reregistered([&](std::error_code e) { again = e; });
    ASSERT_TRUE(wait([&] { return first.has_value(); }));
    int64_t old = s->session_id();
    ASSERT_FALSE(s->reconnect(15s));
    EXPECT_NE(s->session_id(), old);
    ASSERT_TRUE(wait([&] { return again.has_value(); }));
    EXPECT_FALSE(*again);
    EXPECT_EQ(zk_server->ephemeral_owner("/recon/brokers/ids/1"), s->session_id());
}

TEST_F(zk_session_real, watches_versions_and_multi_behave_like_zookeeper) {
    auto s = connect("/ops");
    ASSERT_TRUE(s);
    coord_test::sync_zk z{io, *s};
    ASSERT_FALSE(z.create("/n", "a"));
    EXPECT_EQ(z.create("/n"), zk_errc::node_exists);
    EXPECT_EQ(z.create("/missing/child"), zk_errc::no_node);
    std::optional<watch_event> ev;
    std::optional<std::string> data;
    s->get("/n", [&](const watch_event& e) { ev = e; }, [&](std::error_code, std::string d, zk_stat) { data = d; });
    ASSERT_TRUE(wait([&] { return data.has_value(); }));
    EXPECT_EQ(*data, "a");
    EXPECT_EQ(z.set("/n", "b", 5), zk_errc::bad_version);
    EXPECT_FALSE(z.set("/n", "b", 0));
    ASSERT_TRUE(wait([&] { return ev.has_value(); }));
    EXPECT_EQ(ev->type, watch_event_type::changed);
    EXPECT_EQ(ev->path, "/n");

    std::optional<std::error_code> mec;
    std::vector<zk_op_result> res;
    s->multi({zk_op::create("/m", "x"), zk_op::check("/n", 0)}, [&](std::error_code e, std::vector<zk_op_result> r) {
        mec = e;
        res = r;
    });
    ASSERT_TRUE(wait([&] { return mec.has_value(); }));
    EXPECT_EQ(*mec, zk_errc::bad_version);
    EXPECT_FALSE(z.exists("/m"));
    mec.reset();
    s->multi({zk_op::create("/m", "x"), zk_op::set("/n", "c", 1)}, [&](std::error_code e, std::vector<zk_op_result> r) {
        mec = e;
        res = r;
    });
    ASSERT_TRUE(wait([&] { return mec.has_value(); }));
    EXPECT_FALSE(*mec) << mec->message();
    ASSERT_EQ(res.size(), 2u);
    EXPECT_EQ(res[0].path, "/m");
    EXPECT_EQ(res[1].stat.version, 2);
    EXPECT_EQ(zk_server->get("/ops/n"), "c");
}

TEST_F(zk_session_real, election_with_two_sessions_and_failover) {
    auto a = connect("/elect");
    auto b = connect("/elect");
    ASSERT_TRUE(a && b);
    struct seen { int32_t id = -2, epoch = -1; bool me = false; };
    seen sa, sb;
    auto ea = controller_election::make(*a, 1, [&](int32_t id, int32_t ep, bool me) { sa = {id, ep, me}; });
    auto eb = controller_election::make(*b, 2, [&](int32_t id, int32_t ep, bool me) { sb = {id, ep, me}; });
    ea->start();
    eb->start();
    ASSERT_TRUE(wait([&] { return sa.id > 0 && sb.id > 0; }));
    EXPECT_NE(sa.me, sb.me);
    EXPECT_EQ(sa.id, sb.id);
    EXPECT_EQ(sa.epoch, 1);
    EXPECT_EQ(zk_server->get("/elect/controller_epoch"), "1");
    auto& winner = sa.me ? a : b;
    seen& loser = sa.me ? sb : sa;
    int32_t loser_id = sa.me ? 2 : 1;
    winner->close();  // its /controller goes with the session
    ASSERT_TRUE(wait([&] { return loser.me; }));
    EXPECT_EQ(loser.id, loser_id);
    EXPECT_EQ(loser.epoch, 2);
    EXPECT_EQ(zk_server->get("/elect/controller_epoch"), "2");
}

TEST_F(zk_session_real, watcher_sees_topic_from_topic_store_and_state_from_controller) {
    auto broker = connect("/meta");
    auto admin = connect("/meta");
    ASSERT_TRUE(broker && admin);
    auto reg = broker_registry::make(*broker, {1, "127.0.0.1", 9092, std::nullopt});
    reg->start([](std::error_code) {});
    int32_t epoch = 0;
    bool me = false;
    auto el = controller_election::make(*broker, 1, [&](int32_t, int32_t ep, bool m) { epoch = ep; me = m; });
    el->start();
    ASSERT_TRUE(wait([&] { return me; }));
    auto ctl = controller::make(*broker, 1, {.controller_epoch = epoch, .epoch_zk_version = el->epoch_zk_version()});
    ctl->start();
    auto w = cluster_watcher::make(*broker);
    w->start();
    ASSERT_TRUE(wait([&] { return w->current()->brokers.count(1) && w->current()->controller_id == 1; }));

    topic_store store{*admin};
    std::optional<std::error_code> created;
    store.create_topic({"events", {{0, {1}}, {1, {1}}}}, {{"retention.ms", "60000"}},
                       [&](std::error_code ec) { created = ec; });
    ASSERT_TRUE(wait([&] { return created.has_value(); }));
    ASSERT_FALSE(*created) << created->message();
    ASSERT_TRUE(wait([&] {
        auto snap = w->current();
        auto t = snap->topics.find("events");
        return t != snap->topics.end() && t->second.partitions.size() == 2 &&
               t->second.partitions.at(0).state && t->second.partitions.at(1).state;
    })) << zk_server->dump("/meta");
    auto st = *w->current()->topics.at("events").partitions.at(1).state;
    EXPECT_EQ(st.leader, 1);
    EXPECT_EQ(st.isr, std::vector<int32_t>{1});
    EXPECT_EQ(st.controller_epoch, epoch);
    EXPECT_EQ(zk_server->get("/meta/brokers/topics/events/partitions/0/state"),
              znodes::encode_partition_state({1, 0, {1}, epoch, 0}));
    EXPECT_EQ(zk_server->get("/meta/config/topics/events"), R"({"version":1,"config":{"retention.ms":"60000"}})");

    std::optional<std::error_code> deleted;
    store.request_delete_topic("events", [&](std::error_code ec) { deleted = ec; });
    ASSERT_TRUE(wait([&] { return deleted && w->current()->topics.empty(); }));
    ASSERT_TRUE(wait([&] { return !broker->exists_sync("/admin/delete_topics/events").value(); }));
    EXPECT_FALSE(zk_server->exists("/meta/brokers/topics/events"));
    EXPECT_FALSE(zk_server->exists("/meta/config/topics/events"));
    ctl->stop();
    w->stop();
}

TEST_F(zk_session_real, thousand_partitions_get_states_with_requests_in_flight_together) {
    auto broker = connect("/scale");
    ASSERT_TRUE(broker);
    auto reg = broker_registry::make(*broker, {1, "127.0.0.1", 9092, std::nullopt});
    reg->start([](std::error_code) {});
    auto ctl = controller::make(*broker, 1, {.controller_epoch = 1});
    ctl->start();
    auto w = cluster_watcher::make(*broker);
    w->start();
    ASSERT_TRUE(wait([&] { return w->current()->brokers.count(1) == 1; }));
    auto snapshots_before = w->updates();
    topic_assignment t{"big", {}};
    for (int32_t p = 0; p < 1000; ++p) t.partitions[p] = {1};
    auto start = std::chrono::steady_clock::now();
    topic_store store{*broker};
    store.create_topic(t, {}, [](std::error_code) {});
    ASSERT_TRUE(wait([&] {
        auto snap = w->current();
        auto it = snap->topics.find("big");
        if (it == snap->topics.end() || it->second.partitions.size() != 1000) return false;
        for (const auto& [p, pm] : it->second.partitions)
            if (!pm.state) return false;
        return true;
    }, 60s));
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
    std::printf("1000 partition states written by the controller and seen by the watcher in %lld ms, %llu snapshots\n",
                static_cast<long long>(ms), static_cast<unsigned long long>(w->updates() - snapshots_before));
    ctl->stop();
    w->stop();
}

// Issue 3's failover figure: a broker leading a third of 1,000 RF-3 partitions loses its session;
// the controller re-elects every leader and shrinks every ISR in batched, epoch-fenced multis.
TEST_F(zk_session_real, broker_loss_reelects_a_third_of_thousand_partitions_in_batched_multis) {
    auto ctl_session = connect("/failover");
    ASSERT_TRUE(ctl_session);
    std::map<int32_t, zk_session*> brokers;
    std::vector<std::shared_ptr<broker_registry>> regs;
    for (int32_t id : {1, 2, 3}) {
        brokers[id] = connect("/failover");
        ASSERT_TRUE(brokers[id]);
        regs.push_back(broker_registry::make(*brokers[id], {id, "127.0.0.1", 9090 + id, std::nullopt}));
        regs.back()->start([](std::error_code) {});
    }
    int32_t epoch = 0;
    bool me = false;
    auto el = controller_election::make(*ctl_session, 100, [&](int32_t, int32_t ep, bool m) { epoch = ep; me = m; });
    el->start();
    ASSERT_TRUE(wait([&] { return me; }));
    auto ctl = controller::make(*ctl_session, 100, {.controller_epoch = epoch, .epoch_zk_version = el->epoch_zk_version()});
    std::vector<size_t> rounds;
    std::optional<std::chrono::steady_clock::time_point> brokers_changed_at;
    std::vector<int32_t> removed;
    ctl->on_partitions_changed([&](std::vector<partition_change> c) { rounds.push_back(c.size()); });
    ctl->on_brokers_changed([&](std::vector<int32_t>, std::vector<int32_t> r) {
        removed = r;
        brokers_changed_at = std::chrono::steady_clock::now();
    });
    ctl->start();
    ASSERT_TRUE(wait([&] { return ctl->context().loaded && ctl->live_brokers().size() == 3; }));

    auto placed = assign_replicas_to_brokers({1, 2, 3}, 1000, 3, {.fixed_start_index = 0});
    ASSERT_TRUE(placed);
    topic_store store{*ctl_session};
    store.create_topic({"big", placed.value()}, {}, [](std::error_code) {});
    auto all_have_state = [&] {
        auto t = ctl->context().topics.find("big");
        if (t == ctl->context().topics.end() || t->second.size() != 1000) return false;
        return std::all_of(t->second.begin(), t->second.end(), [](const auto& kv) { return kv.second.state.has_value(); });
    };
    ASSERT_TRUE(wait(all_have_state, 60s));
    int led_by_1 = 0;
    for (const auto& [p, info] : ctl->context().topics.at("big")) led_by_1 += info.state->leader == 1;
    EXPECT_GE(led_by_1, 330);
    rounds.clear();

    auto killed = std::chrono::steady_clock::now();
    brokers[1]->close();  // the session ends now: its ephemeral /brokers/ids/1 goes at once
    ASSERT_TRUE(wait([&] { return brokers_changed_at.has_value(); }, 60s));
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(*brokers_changed_at - killed).count();
    std::printf("broker 1 (leader of %d of 1000 RF-3 partitions) gone -> all re-elected and written in %lld ms, "
                "%zu on_partitions_changed call(s) with %zu changes\n",
                led_by_1, static_cast<long long>(ms), rounds.size(),
                std::accumulate(rounds.begin(), rounds.end(), size_t{0}));
    EXPECT_EQ(removed, std::vector<int32_t>{1});
    ASSERT_EQ(rounds.size(), 1u);
    EXPECT_EQ(rounds[0], 1000u);  // 1/3 elections + 2/3 ISR shrinks, all in one round
    for (const auto& [p, info] : ctl->context().topics.at("big")) {
        ASSERT_NE(info.state->leader, 1) << p;
        ASSERT_NE(info.state->leader, -1) << p;
        ASSERT_EQ(std::count(info.state->isr.begin(), info.state->isr.end(), 1), 0) << p;
    }
    // What ZooKeeper holds is what the controller reported.
    for (int32_t p : {0, 1, 2, 499, 999}) {
        auto st = ctl->state("big", p);
        EXPECT_EQ(zk_server->get("/failover/brokers/topics/big/partitions/" + std::to_string(p) + "/state"),
                  znodes::encode_partition_state(*st));
    }
    ctl->stop();
    el->stop([](std::error_code) {});
}

TEST_F(zk_session_real, two_brokers_producer_id_managers_hand_out_unique_ids) {
    auto a = connect("/pids");
    auto b = connect("/pids");
    ASSERT_TRUE(a && b);
    // As a broker starts: the persistent paths, /latest_producer_id_block empty (Kafka's layout).
    std::optional<std::error_code> paths;
    ensure_paths(*a, znodes::persistent_paths(), [&](std::error_code ec) { paths = ec; });
    ASSERT_TRUE(wait([&] { return paths.has_value(); }));
    ASSERT_FALSE(*paths) << paths->message();
    EXPECT_EQ(zk_server->get("/pids/latest_producer_id_block"), "");

    // 25-id blocks so 500 ids each take 20 claims per broker, racing on the znode version.
    constexpr int per_broker = 500;
    constexpr int64_t block = 25;
    auto ma = producer_id_manager::make(*a, 1, block);
    auto mb = producer_id_manager::make(*b, 2, block);
    std::vector<std::optional<result<int64_t>>> ra(per_broker), rb(per_broker);
    for (int burst = 0; burst < per_broker; burst += 50) {
        for (int i = burst; i < burst + 50; ++i) {
            ma->next_id([&ra, i](result<int64_t> r) { ra[i] = std::move(r); });
            mb->next_id([&rb, i](result<int64_t> r) { rb[i] = std::move(r); });
        }
        ASSERT_TRUE(wait([&] {
            for (int i = 0; i < burst + 50; ++i) {
                if (!ra[i] || !rb[i]) return false;
            }
            return true;
        }));
    }
    std::map<int64_t, int32_t> owner;  // id -> broker
    for (int i = 0; i < per_broker; ++i) {
        ASSERT_TRUE(*ra[i]) << ra[i]->error().message();
        ASSERT_TRUE(*rb[i]) << rb[i]->error().message();
        EXPECT_TRUE(owner.emplace(ra[i]->value(), 1).second) << ra[i]->value();
        EXPECT_TRUE(owner.emplace(rb[i]->value(), 2).second) << rb[i]->value();
    }
    EXPECT_EQ(owner.size(), size_t{2 * per_broker});
    std::map<int64_t, std::set<int32_t>> block_owners;
    for (auto [id, broker] : owner) block_owners[id / block].insert(broker);
    for (const auto& [k, brokers] : block_owners) EXPECT_EQ(brokers.size(), 1u) << "block " << k;
    auto latest = znodes::decode_producer_id_block(zk_server->get("/pids/latest_producer_id_block"));
    ASSERT_TRUE(latest);
    EXPECT_GE(latest.value().block_end, owner.rbegin()->first);
    EXPECT_EQ((latest.value().block_end + 1) % block, 0);

    // A restarted broker 1 (new session, new manager) starts above every id handed out.
    ma->stop();
    a->close();
    coord_test::drain(io);
    auto a2 = connect("/pids");
    ASSERT_TRUE(a2);
    auto ma2 = producer_id_manager::make(*a2, 1, block);
    std::optional<result<int64_t>> first;
    ma2->next_id([&](result<int64_t> r) { first = std::move(r); });
    ASSERT_TRUE(wait([&] { return first.has_value(); }));
    ASSERT_TRUE(*first) << first->error().message();
    EXPECT_GT(first->value(), owner.rbegin()->first);
    ma2->stop();
    mb->stop();
}

TEST_F(zk_session_real, connect_to_a_dead_port_times_out_cleanly) {
    auto r = zk_session::connect("127.0.0.1:1", session_timeout_ms, io.get_executor(), 1500ms);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), errc::connect_timeout);
}

}  // namespace
