#include "coordination/config_change_listener.h"
#include "coordination/fake_zk.h"
#include "coordination/topic_store.h"

#include "tests/unit/coordination/coord_test_util.h"

#include <gtest/gtest.h>

using namespace coordination;
using coord_test::run_until;

namespace {

struct config_change_fixture : ::testing::Test {
    ~config_change_fixture() override {
        if (listener) listener->stop();
        coord_test::drain(io);
    }
    boost::asio::io_context io;
    std::shared_ptr<fake_zk_server> server = fake_zk_server::make();
    fake_zk zk{server, io.get_executor()};
    fake_zk writer_zk{server, io.get_executor()};  // another broker changing configs
    coord_test::sync_zk writer{io, writer_zk};
    topic_store store{writer_zk};
    std::vector<znodes::config_entity> seen;
    int64_t now = 0;  // 0: the real clock
    std::shared_ptr<config_change_listener> listener;

    void start(std::chrono::milliseconds expiry = std::chrono::minutes(15)) {
        listener = config_change_listener::make(
            zk, [this](const znodes::config_entity& e) { seen.push_back(e); }, expiry,
            [this] { return now != 0 ? now : std::chrono::duration_cast<std::chrono::milliseconds>(
                                                 std::chrono::system_clock::now().time_since_epoch())
                                                 .count(); });
        listener->start();
    }
    std::error_code change(const std::string& topic, std::map<std::string, std::string> cfg,
                           int32_t expected_version = -1) {
        std::optional<std::error_code> out;
        store.change_config(topic, cfg, [&](std::error_code ec) { out = ec; }, expected_version);
        EXPECT_TRUE(run_until(io, [&] { return out.has_value(); }));
        return *out;
    }
    void make_topic(const std::string& t) {
        std::optional<std::error_code> out;
        store.create_topic(topic_assignment{t, {{0, {1}}}}, {}, [&](std::error_code ec) { out = ec; });
        ASSERT_TRUE(run_until(io, [&] { return out.has_value(); }));
        ASSERT_FALSE(*out);
    }
    size_t notifications() const {
        size_t n = 0;
        for (const auto& p : server->all_paths()) {
            if (p.starts_with("/config/changes/config_change_")) ++n;
        }
        return n;
    }
};

TEST_F(config_change_fixture, hands_each_change_over_once_in_sequence_order) {
    make_topic("a");
    make_topic("b");
    ASSERT_FALSE(change("a", {{"retention.ms", "1000"}}));  // before start: processed at start
    start();
    ASSERT_TRUE(run_until(io, [&] { return seen.size() == 1; }));
    EXPECT_EQ(seen[0], (znodes::config_entity{"topics", "a"}));
    EXPECT_EQ(listener->last_processed(), 0);

    ASSERT_FALSE(change("b", {{"retention.ms", "2000"}}));
    ASSERT_FALSE(change("a", {{"retention.ms", "3000"}}));
    ASSERT_TRUE(run_until(io, [&] { return seen.size() == 3; }));
    EXPECT_EQ(seen[1].name, "b");
    EXPECT_EQ(seen[2].name, "a");
    EXPECT_EQ(listener->last_processed(), 2);
    // Nothing is handed over twice, even when the watch fires for an unrelated child.
    ASSERT_FALSE(writer.create("/config/changes/not_a_change"));
    coord_test::drain(io);
    run_until(io, [] { return false; }, std::chrono::milliseconds(100));
    EXPECT_EQ(seen.size(), 3u);
    // Notifications younger than the expiry stay for brokers that start later.
    EXPECT_EQ(notifications(), 3u);
}

TEST_F(config_change_fixture, malformed_notification_is_skipped_not_fatal) {
    make_topic("a");
    ASSERT_FALSE(writer.create_all("/config/changes"));
    ASSERT_FALSE(writer.create("/config/changes/config_change_", "{not json", create_mode::persistent_sequential));
    ASSERT_FALSE(change("a", {{"retention.ms", "1000"}}));
    start();
    ASSERT_TRUE(run_until(io, [&] { return listener->last_processed() == 1; }));
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0].name, "a");
}

TEST_F(config_change_fixture, deletes_notifications_older_than_the_expiry) {
    make_topic("a");
    ASSERT_FALSE(change("a", {{"retention.ms", "1000"}}));
    ASSERT_FALSE(change("a", {{"retention.ms", "2000"}}));
    ASSERT_EQ(notifications(), 2u);
    // The listener's clock is an hour ahead of the znodes' ctimes: both have expired.
    now = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
              .count() + 3600 * 1000;
    start(std::chrono::minutes(15));
    ASSERT_TRUE(run_until(io, [&] { return notifications() == 0; }));
    EXPECT_EQ(seen.size(), 2u);  // still handed over before being deleted
}

TEST_F(config_change_fixture, new_session_lists_again_without_repeats) {
    make_topic("a");
    start();
    ASSERT_FALSE(change("a", {{"retention.ms", "1000"}}));
    ASSERT_TRUE(run_until(io, [&] { return seen.size() == 1; }));
    zk.expire();
    ASSERT_FALSE(change("a", {{"retention.ms", "2000"}}));  // made while the watch is gone
    coord_test::drain(io);
    EXPECT_EQ(seen.size(), 1u);
    zk.reconnect();
    ASSERT_TRUE(run_until(io, [&] { return seen.size() == 2; }));
    EXPECT_EQ(listener->last_processed(), 1);
    ASSERT_FALSE(change("a", {{"retention.ms", "3000"}}));  // the new session set a watch again
    ASSERT_TRUE(run_until(io, [&] { return seen.size() == 3; }));
}

TEST_F(config_change_fixture, change_config_is_conditional_and_needs_the_topic) {
    EXPECT_EQ(change("missing", {{"retention.ms", "1"}}), errc::unknown_topic);
    make_topic("a");
    std::optional<result<topic_store::versioned_config>> got;
    store.get_config_versioned("a", [&](result<topic_store::versioned_config> r) { got = r; });
    ASSERT_TRUE(run_until(io, [&] { return got.has_value(); }));
    ASSERT_TRUE(got->has_value());
    const int32_t v0 = got->value().version;  // create_topic wrote an empty config
    EXPECT_TRUE(got->value().configs.empty());

    ASSERT_FALSE(change("a", {{"retention.ms", "1000"}}, v0));
    EXPECT_EQ(*server->node_data("/config/topics/a"), R"({"version":1,"config":{"retention.ms":"1000"}})");
    // A writer that read before that change loses: nothing written, no notification made.
    const size_t before = notifications();
    EXPECT_EQ(change("a", {{"retention.ms", "5"}}, v0), zk_errc::bad_version);
    EXPECT_EQ(*server->node_data("/config/topics/a"), R"({"version":1,"config":{"retention.ms":"1000"}})");
    EXPECT_EQ(notifications(), before);

    got.reset();
    store.get_config_versioned("a", [&](result<topic_store::versioned_config> r) { got = r; });
    ASSERT_TRUE(run_until(io, [&] { return got.has_value(); }));
    EXPECT_EQ(got->value().version, v0 + 1);
    EXPECT_EQ(got->value().configs.at("retention.ms"), "1000");

    got.reset();
    store.get_config_versioned("missing", [&](result<topic_store::versioned_config> r) { got = r; });
    ASSERT_TRUE(run_until(io, [&] { return got.has_value(); }));
    EXPECT_EQ(got->error(), errc::unknown_topic);
}

TEST(znodes_config_change, both_versions_decode_and_bad_ones_are_refused) {
    EXPECT_EQ(znodes::encode_config_change({"topics", "t"}), R"({"version":2,"entity_path":"topics/t"})");
    EXPECT_EQ(znodes::decode_config_change(R"({"version":2,"entity_path":"topics/t"})").value(),
              (znodes::config_entity{"topics", "t"}));
    EXPECT_EQ(znodes::decode_config_change(R"({"version":1,"entity_type":"topics","entity_name":"t"})").value(),
              (znodes::config_entity{"topics", "t"}));
    EXPECT_EQ(znodes::decode_config_change(R"({"version":2,"entity_path":"users/u/clients/c"})").value(),
              (znodes::config_entity{"users", "u/clients/c"}));
    for (const char* bad : {"", "{", "[]", R"({"entity_path":"topics/t"})", R"({"version":3,"entity_path":"topics/t"})",
                            R"({"version":2,"entity_path":"topics"})", R"({"version":2,"entity_path":"/t"})",
                            R"({"version":2,"entity_path":"topics/"})", R"({"version":1,"entity_type":"topics"})",
                            R"({"version":2,"entity_path":7})"}) {
        EXPECT_EQ(znodes::decode_config_change(bad).error(), errc::malformed_znode) << bad;
    }
}

}  // namespace
