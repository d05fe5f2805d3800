#include "coordination/fake_zk.h"

#include "tests/unit/coordination/coord_test_util.h"

#include <gtest/gtest.h>

using namespace coordination;
using coord_test::run_until;

namespace {

struct fake_zk_fixture : ::testing::Test {
    // Pending handlers hold components that refer to the clients: run them while all is alive.
    ~fake_zk_fixture() override { coord_test::drain(io); }
    boost::asio::io_context io;
    std::shared_ptr<fake_zk_server> server = fake_zk_server::make();
    fake_zk zk{server, io.get_executor()};
    coord_test::sync_zk s{io, zk};
};

TEST_F(fake_zk_fixture, create_needs_parent_and_rejects_duplicates) {
    EXPECT_EQ(s.create("/a/b"), zk_errc::no_node);
    EXPECT_FALSE(s.create("/a", "x"));
    EXPECT_EQ(s.create("/a"), zk_errc::node_exists);
    EXPECT_FALSE(s.create("/a/b", "y"));
    EXPECT_EQ(s.get("/a/b").second, "y");
    EXPECT_EQ(s.children("/"), std::vector<std::string>{"a"});
    EXPECT_EQ(s.create("bad"), zk_errc::bad_arguments);
}

TEST_F(fake_zk_fixture, versions_are_checked_on_set_remove_and_multi) {
    ASSERT_FALSE(s.create("/v", "0"));
    EXPECT_EQ(s.set("/v", "1", 5), zk_errc::bad_version);
    EXPECT_FALSE(s.set("/v", "1", 0));
    zk_stat st;
    EXPECT_EQ(s.get("/v", &st).second, "1");
    EXPECT_EQ(st.version, 1);
    EXPECT_EQ(s.remove("/v", 0), zk_errc::bad_version);
    EXPECT_FALSE(s.remove("/v", 1));
    EXPECT_FALSE(s.exists("/v"));
}

TEST_F(fake_zk_fixture, remove_refuses_non_empty_nodes) {
    ASSERT_FALSE(s.create_all("/p/c"));
    EXPECT_EQ(s.remove("/p"), zk_errc::not_empty);
    EXPECT_FALSE(s.remove("/p/c"));
    EXPECT_FALSE(s.remove("/p"));
}

TEST_F(fake_zk_fixture, sequential_nodes_get_ten_digit_suffix_from_parent_cversion) {
    ASSERT_FALSE(s.create("/q"));
    std::string p1, p2;
    EXPECT_FALSE(s.create("/q/item_", "", create_mode::persistent_sequential, &p1));
    EXPECT_FALSE(s.create("/q/item_", "", create_mode::persistent_sequential, &p2));
    EXPECT_EQ(p1, "/q/item_0000000000");
    EXPECT_EQ(p2, "/q/item_0000000001");
}

TEST_F(fake_zk_fixture, ephemerals_die_with_their_session_and_cannot_have_children) {
    fake_zk other{server, io.get_executor()};
    coord_test::sync_zk o{io, other};
    ASSERT_FALSE(o.create("/e", "", create_mode::ephemeral));
    EXPECT_EQ(o.create("/e/child"), zk_errc::no_children_for_ephemerals);
    EXPECT_EQ(server->node_stat("/e")->ephemeral_owner, other.session_id());
    other.expire();
    EXPECT_FALSE(server->node_exists("/e"));
    EXPECT_EQ(o.create("/x"), zk_errc::session_expired);
    EXPECT_TRUE(is_session_error(o.create("/x")));
    other.reconnect();
    EXPECT_FALSE(o.create("/x"));
}

TEST_F(fake_zk_fixture, watches_fire_once_with_the_right_type) {
    ASSERT_FALSE(s.create("/w", "a"));
    std::vector<watch_event> seen;
    zk.get("/w", [&](const watch_event& e) { seen.push_back(e); }, [](auto...) {});
    zk.get_children("/", [&](const watch_event& e) { seen.push_back(e); }, [](auto...) {});
    zk.exists("/later", [&](const watch_event& e) { seen.push_back(e); }, [](auto...) {});
    coord_test::drain(io);
    EXPECT_FALSE(s.set("/w", "b"));
    EXPECT_FALSE(s.set("/w", "c"));  // one-shot: no second event
    EXPECT_FALSE(s.create("/later"));
    coord_test::drain(io);
    ASSERT_EQ(seen.size(), 3u);
    EXPECT_EQ(seen[0].type, watch_event_type::changed);
    EXPECT_EQ(seen[0].path, "/w");
    EXPECT_EQ(seen[1].type, watch_event_type::created);  // exists-watch fires first: same op order
    EXPECT_EQ(seen[1].path, "/later");
    EXPECT_EQ(seen[2].type, watch_event_type::child);
    EXPECT_EQ(seen[2].path, "/");
    EXPECT_EQ(server->watch_count(), 0u);
}

TEST_F(fake_zk_fixture, get_on_missing_node_sets_no_watch) {
    zk.get("/nope", [](const watch_event&) {}, [](auto...) {});
    coord_test::drain(io);
    EXPECT_EQ(server->watch_count(), 0u);
}

TEST_F(fake_zk_fixture, multi_is_all_or_nothing) {
    ASSERT_FALSE(s.create("/m", "0"));
    std::optional<std::error_code> out;
    std::vector<zk_op_result> res;
    zk.multi({zk_op::create("/m1", "x"), zk_op::set("/m", "1", 7)},
             [&](std::error_code ec, std::vector<zk_op_result> r) { out = ec; res = r; });
    ASSERT_TRUE(run_until(io, [&] { return out.has_value(); }));
    EXPECT_EQ(*out, zk_errc::bad_version);
    EXPECT_EQ(res.at(1).ec, zk_errc::bad_version);
    EXPECT_FALSE(server->node_exists("/m1"));
    out.reset();
    zk.multi({zk_op::create("/m1", "x"), zk_op::set("/m", "1", 0), zk_op::check("/m", 1)},
             [&](std::error_code ec, std::vector<zk_op_result> r) { out = ec; res = r; });
    ASSERT_TRUE(run_until(io, [&] { return out.has_value(); }));
    EXPECT_FALSE(*out);
    EXPECT_EQ(res.at(0).path, "/m1");
    EXPECT_EQ(*server->node_data("/m"), "1");
}

TEST_F(fake_zk_fixture, session_listener_hears_expiry_and_new_session) {
    std::vector<session_event> events;
    zk.add_session_listener([&](const session_event& e) { events.push_back(e); });
    int64_t before = zk.session_id();
    zk.expire();
    zk.reconnect();
    coord_test::drain(io);
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0].state, session_state::expired);
    EXPECT_EQ(events[1].state, session_state::connected);
    EXPECT_NE(events[1].session_id, before);
}

TEST_F(fake_zk_fixture, injected_failure_hits_only_the_next_request) {
    zk.fail_next(zk_errc::connection_loss);
    EXPECT_EQ(s.create("/f"), zk_errc::connection_loss);
    EXPECT_FALSE(s.create("/f"));
}

}  // namespace
