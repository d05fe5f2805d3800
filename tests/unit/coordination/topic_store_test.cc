#include "coordination/cluster_id.h"
#include "coordination/fake_zk.h"
#include "coordination/topic_store.h"

#include "tests/unit/coordination/coord_test_util.h"

#include <gtest/gtest.h>

using namespace coordination;
using coord_test::run_until;

namespace {

struct topic_store_fixture : ::testing::Test {
    // Pending handlers hold components that refer to the clients: run them while all is alive.
    ~topic_store_fixture() override { coord_test::drain(io); }
    boost::asio::io_context io;
    std::shared_ptr<fake_zk_server> server = fake_zk_server::make();
    fake_zk zk{server, io.get_executor()};
    topic_store store{zk};

    std::error_code create(const topic_assignment& t, std::map<std::string, std::string> cfg = {}) {
        std::optional<std::error_code> out;
        store.create_topic(t, cfg, [&](std::error_code ec) { out = ec; });
        EXPECT_TRUE(run_until(io, [&] { return out.has_value(); }));
        return *out;
    }
    std::error_code request_delete(const std::string& t) {
        std::optional<std::error_code> out;
        store.request_delete_topic(t, [&](std::error_code ec) { out = ec; });
        EXPECT_TRUE(run_until(io, [&] { return out.has_value(); }));
        return *out;
    }
};

TEST_F(topic_store_fixture, create_writes_config_then_assignment) {
    topic_assignment t{"t1", {{0, {1}}, {1, {2}}}};
    EXPECT_FALSE(create(t, {{"retention.ms", "1000"}}));
    EXPECT_EQ(*server->node_data("/brokers/topics/t1"), znodes::encode_topic_assignment(t));
    EXPECT_EQ(*server->node_data("/config/topics/t1"), R"({"version":1,"config":{"retention.ms":"1000"}})");
    EXPECT_EQ(create(t), errc::topic_already_exists);

    std::optional<std::vector<std::string>> names;
    store.list_topics([&](std::error_code, std::vector<std::string> n) { names = n; });
    ASSERT_TRUE(run_until(io, [&] { return names.has_value(); }));
    EXPECT_EQ(*names, std::vector<std::string>{"t1"});

    std::optional<result<topic_assignment>> got;
    store.get_assignment("t1", [&](result<topic_assignment> r) { got = r; });
    ASSERT_TRUE(run_until(io, [&] { return got.has_value(); }));
    EXPECT_EQ(got->value(), t);
}

TEST_F(topic_store_fixture, list_is_empty_before_any_topic) {
    std::optional<std::error_code> ec;
    std::vector<std::string> names{"junk"};
    store.list_topics([&](std::error_code e, std::vector<std::string> n) { ec = e; names = n; });
    ASSERT_TRUE(run_until(io, [&] { return ec.has_value(); }));
    EXPECT_FALSE(*ec);
    EXPECT_TRUE(names.empty());
}

TEST_F(topic_store_fixture, delete_request_needs_a_known_topic) {
    EXPECT_EQ(request_delete("nope"), errc::unknown_topic);
    ASSERT_FALSE(create({"t", {{0, {1}}}}));
    EXPECT_FALSE(request_delete("t"));
    EXPECT_TRUE(server->node_exists("/admin/delete_topics/t"));
    EXPECT_FALSE(request_delete("t"));  // already pending is fine
    EXPECT_EQ(create({"t", {{0, {1}}}}), errc::topic_marked_for_deletion);
}

TEST_F(topic_store_fixture, empty_assignment_is_rejected) {
    EXPECT_EQ(create({"t", {}}), errc::invalid_partitions);
}

TEST_F(topic_store_fixture, isr_update_is_conditional_and_notifies_the_controller) {
    ASSERT_FALSE(create({"t", {{0, {1, 2}}}}));
    const auto path = znodes::partition_state_path("t", 0);
    std::optional<std::error_code> made;
    // The broker's start-up creates the notification parent (ensure_paths); here by hand.
    zk.create("/isr_change_notification", "", create_mode::persistent, [&](std::error_code, std::string) {});
    zk.create("/brokers/topics/t/partitions", "", create_mode::persistent, [&](std::error_code, std::string) {});
    zk.create("/brokers/topics/t/partitions/0", "", create_mode::persistent, [&](std::error_code, std::string) {});
    zk.create(path, znodes::encode_partition_state({1, 3, {1, 2}, 1, -1}), create_mode::persistent,
              [&](std::error_code ec, std::string) { made = ec; });
    ASSERT_TRUE(run_until(io, [&] { return made.has_value(); }));
    ASSERT_FALSE(*made);

    // The leader drops follower 2 at the version it knows (0).
    std::optional<result<int32_t>> out;
    store.update_isr({"t", 0}, {1, 3, {1}, 1, 0}, [&](result<int32_t> r) { out = r; });
    ASSERT_TRUE(run_until(io, [&] { return out.has_value(); }));
    ASSERT_TRUE(out->has_value());
    EXPECT_EQ(out->value(), 1);
    auto st = znodes::decode_partition_state(*server->node_data(path), 1).value();
    EXPECT_EQ(st.isr, std::vector<int32_t>{1});
    EXPECT_EQ(st.leader_epoch, 3);
    std::vector<std::string> notes;
    for (const auto& p : server->all_paths()) {
        if (p.rfind("/isr_change_notification/isr_change_", 0) == 0) notes.push_back(p);
    }
    ASSERT_EQ(notes.size(), 1u);
    EXPECT_EQ(znodes::decode_preferred_replica_election(*server->node_data(notes[0])).value(),
              (std::vector<partition_key>{{"t", 0}}));

    // A stale version (someone wrote in between) changes nothing and notifies no one.
    out.reset();
    store.update_isr({"t", 0}, {1, 3, {1, 2}, 1, 0}, [&](result<int32_t> r) { out = r; });
    ASSERT_TRUE(run_until(io, [&] { return out.has_value(); }));
    ASSERT_FALSE(out->has_value());
    EXPECT_EQ(out->error(), zk_errc::bad_version);
    EXPECT_EQ(znodes::decode_partition_state(*server->node_data(path), 1).value().isr, std::vector<int32_t>{1});
    size_t after = 0;
    for (const auto& p : server->all_paths()) after += p.rfind("/isr_change_notification/isr_change_", 0) == 0;
    EXPECT_EQ(after, 1u);
}

TEST(cluster_id, created_once_and_shared) {
    boost::asio::io_context io;
    auto server = fake_zk_server::make();
    fake_zk a{server, io.get_executor()}, b{server, io.get_executor()};
    std::optional<result<std::string>> ida, idb;
    get_or_create_cluster_id(a, [&](result<std::string> r) { ida = r; });
    get_or_create_cluster_id(b, [&](result<std::string> r) { idb = r; });
    ASSERT_TRUE(run_until(io, [&] { return ida && idb; }));
    ASSERT_TRUE(*ida);
    ASSERT_TRUE(*idb);
    EXPECT_EQ(ida->value(), idb->value());
    EXPECT_EQ(ida->value().size(), 22u);
    EXPECT_EQ(*server->node_data("/cluster/id"), znodes::encode_cluster_id(ida->value()));
}

TEST(cluster_id, malformed_node_is_reported) {
    boost::asio::io_context io;
    auto server = fake_zk_server::make();
    fake_zk a{server, io.get_executor()};
    coord_test::sync_zk s{io, a};
    ASSERT_FALSE(s.create_all("/cluster/id", "garbage"));
    std::optional<result<std::string>> id;
    get_or_create_cluster_id(a, [&](result<std::string> r) { id = r; });
    ASSERT_TRUE(run_until(io, [&] { return id.has_value(); }));
    EXPECT_EQ(id->error(), errc::malformed_znode);
}

}  // namespace
