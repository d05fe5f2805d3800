// Broker and topic settings of the log layer: roll by time and index size, index interval, the
// flush policy and checkpoint intervals (server.properties), their topic configs (validation,
// parsing) and how replica_manager::log_config_for maps both onto storage::log_config.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <limits>
#include <thread>
#include <variant>

#include "broker/clock.h"
#include "broker/config.h"
#include <boost/asio/executor_work_guard.hpp>
#include "broker/replica_manager.h"
#include "broker/topic_config.h"
#include "storage/log_manager.h"
#include "tests/unit/broker/broker_test_util.h"

namespace {

using props = std::map<std::string, std::string>;
constexpr int64_t long_max = std::numeric_limits<int64_t>::max();

broker::config parse(props p) {
    p["zookeeper.connect"] = "127.0.0.1:2181";
    auto r = broker::make_config(p);
    if (auto* e = std::get_if<broker::config_error>(&r)) {
        ADD_FAILURE() << e->message;
        return {};
    }
    return std::get<broker::config>(r);
}

std::string parse_error(props p) {
    p["zookeeper.connect"] = "127.0.0.1:2181";
    auto r = broker::make_config(p);
    auto* e = std::get_if<broker::config_error>(&r);
    return e ? e->message : "";
}

TEST(log_settings, broker_defaults_are_kafkas) {
    auto c = parse({});
    EXPECT_EQ(c.log_roll_ms, 168LL * 3600 * 1000);
    EXPECT_EQ(c.log_index_size_max_bytes, 10485760);
    EXPECT_EQ(c.log_index_interval_bytes, 4096u);
    EXPECT_EQ(c.log_flush_interval_messages, long_max);
    EXPECT_EQ(c.log_flush_interval_ms, long_max);
    EXPECT_EQ(c.log_flush_scheduler_interval_ms, long_max);
    EXPECT_EQ(c.log_flush_start_offset_checkpoint_interval_ms, 60000);
    EXPECT_EQ(c.log_flush_offset_checkpoint_interval_ms, 60000);
}

TEST(log_settings, broker_keys_are_read_with_kafkas_precedence) {
    EXPECT_EQ(parse({{"log.roll.hours", "2"}}).log_roll_ms, 2 * 3600 * 1000);
    EXPECT_EQ(parse({{"log.roll.hours", "2"}, {"log.roll.ms", "1234"}}).log_roll_ms, 1234);
    EXPECT_EQ(parse({{"log.index.size.max.bytes", "4096"}}).log_index_size_max_bytes, 4096);
    EXPECT_EQ(parse({{"log.flush.interval.messages", "10"}}).log_flush_interval_messages, 10);
    // log.flush.interval.ms falls back to log.flush.scheduler.interval.ms (Kafka's default).
    auto c = parse({{"log.flush.scheduler.interval.ms", "500"}});
    EXPECT_EQ(c.log_flush_scheduler_interval_ms, 500);
    EXPECT_EQ(c.log_flush_interval_ms, 500);
    EXPECT_EQ(parse({{"log.flush.scheduler.interval.ms", "500"}, {"log.flush.interval.ms", "2000"}})
                  .log_flush_interval_ms,
              2000);
    EXPECT_EQ(parse({{"log.flush.start.offset.checkpoint.interval.ms", "10"}})
                  .log_flush_start_offset_checkpoint_interval_ms,
              10);
    EXPECT_EQ(parse({{"log.flush.offset.checkpoint.interval.ms", "20"}}).log_flush_offset_checkpoint_interval_ms, 20);
}

TEST(log_settings, bad_broker_values_name_the_key) {
    for (const auto& [k, v] : props{{"log.roll.ms", "0"},
                                   {"log.roll.hours", "0"},
                                   {"log.index.size.max.bytes", "3"},
                                   {"log.flush.interval.messages", "0"},
                                   {"log.flush.interval.ms", "-1"},
                                   {"log.flush.scheduler.interval.ms", "x"}}) {
        EXPECT_NE(parse_error({{k, v}}).find(k), std::string::npos) << k;
    }
}

TEST(log_settings, topic_configs_are_validated_as_kafka_does) {
    EXPECT_FALSE(broker::validate_topic_config("segment.ms", "1"));
    EXPECT_TRUE(broker::validate_topic_config("segment.ms", "0"));
    EXPECT_FALSE(broker::validate_topic_config("segment.index.bytes", "4"));
    EXPECT_TRUE(broker::validate_topic_config("segment.index.bytes", "3"));
    EXPECT_FALSE(broker::validate_topic_config("index.interval.bytes", "0"));
    EXPECT_TRUE(broker::validate_topic_config("index.interval.bytes", "-1"));
    EXPECT_FALSE(broker::validate_topic_config("flush.messages", "1"));
    EXPECT_TRUE(broker::validate_topic_config("flush.messages", "0"));
    EXPECT_FALSE(broker::validate_topic_config("flush.ms", "0"));
    EXPECT_TRUE(broker::validate_topic_config("flush.ms", "-1"));
    EXPECT_TRUE(broker::validate_topic_config("flush.ms", "soon"));
}

TEST(log_settings, topic_overrides_are_typed) {
    auto o = broker::parse_topic_overrides("t", {{"segment.ms", "60000"},
                                                 {"segment.index.bytes", "4096"},
                                                 {"index.interval.bytes", "100"},
                                                 {"flush.messages", "7"},
                                                 {"flush.ms", "1000"}});
    EXPECT_EQ(o.log.segment_ms, 60000);
    EXPECT_EQ(o.log.segment_index_bytes, 4096u);
    EXPECT_EQ(o.log.index_interval_bytes, 100u);
    EXPECT_EQ(o.log.flush_messages, 7);
    EXPECT_EQ(o.log.flush_ms, 1000);
}

TEST(log_settings, topic_configs_are_described_with_their_broker_synonyms) {
    auto c = parse({{"log.roll.hours", "1"}});
    auto described = broker::describe_topic_configs(c, {{"flush.ms", "5"}});
    auto find = [&](const std::string& name) -> const broker::described_config* {
        for (const auto& d : described) {
            if (d.name == name) return &d;
        }
        return nullptr;
    };
    for (const char* name : {"segment.ms", "segment.index.bytes", "index.interval.bytes", "flush.messages", "flush.ms"}) {
        EXPECT_NE(find(name), nullptr) << name;
    }
    EXPECT_EQ(find("segment.ms")->value, "3600000");
    EXPECT_EQ(find("flush.ms")->value, "5");
    EXPECT_EQ(find("flush.ms")->source, broker::config_source::topic);
}

class log_config_mapping : public broker_test::broker_fixture {};

TEST_F(log_config_mapping, broker_settings_then_topic_overrides) {
    cfg_.log_roll_ms = 1000;
    cfg_.log_index_size_max_bytes = 800;
    cfg_.log_index_interval_bytes = 64;
    cfg_.log_flush_interval_messages = 9;
    cfg_.log_flush_interval_ms = 90;
    auto c = replicas_->log_config_for("t");
    EXPECT_EQ(c.segment_ms, 1000);
    EXPECT_EQ(c.max_index_bytes, 800u);
    EXPECT_EQ(c.index_interval_bytes, 64u);
    EXPECT_EQ(c.flush_messages, 9);
    EXPECT_EQ(c.flush_ms, 90);
    broker::topic_log_config t;
    t.segment_ms = 5;
    t.segment_index_bytes = 16;
    t.index_interval_bytes = 1;
    t.flush_messages = 2;
    t.flush_ms = 3;
    replicas_->set_topic_log_config("t", t);
    c = replicas_->log_config_for("t");
    EXPECT_EQ(c.segment_ms, 5);
    EXPECT_EQ(c.max_index_bytes, 16u);
    EXPECT_EQ(c.index_interval_bytes, 1u);
    EXPECT_EQ(c.flush_messages, 2);
    EXPECT_EQ(c.flush_ms, 3);
    EXPECT_EQ(replicas_->log_config_for("other").segment_ms, 1000);
}

TEST_F(log_config_mapping, topic_flush_messages_flushes_the_leaders_log) {
    broker::topic_log_config t;
    t.flush_messages = 3;
    replicas_->set_topic_log_config("t", t);
    publish_led_topic("t", 1);
    auto* log = logs_->get("t", 0);
    ASSERT_NE(log, nullptr);
    auto part = replicas_->get("t", 0);
    auto b = broker_test::make_batch(2);
    ASSERT_EQ(part->append(b, 1 << 20, 1).error, protocol::error_code::none);
    EXPECT_EQ(log->recovery_point(), 0);
    b = broker_test::make_batch(2);
    ASSERT_EQ(part->append(b, 1 << 20, 1).error, protocol::error_code::none);
    EXPECT_EQ(log->recovery_point(), 4);
}

TEST_F(log_config_mapping, flush_due_logs_flushes_by_topic_flush_ms) {
    broker::topic_log_config t;
    t.flush_ms = 50;
    replicas_->set_topic_log_config("t", t);
    publish({{"t", {broker_test::partition_spec{}}}, {"u", {broker_test::partition_spec{}}}});
    auto b = broker_test::make_batch(2);
    ASSERT_EQ(replicas_->get("t", 0)->append(b, 1 << 20, 1).error, protocol::error_code::none);
    b = broker_test::make_batch(2);
    ASSERT_EQ(replicas_->get("u", 0)->append(b, 1 << 20, 1).error, protocol::error_code::none);
    // "u" has the broker's default (off); "t" is due 50 ms after its log was opened.
    const int64_t far = broker::wall_clock_ms() + 3600 * 1000;
    EXPECT_EQ(replicas_->flush_due_logs(far), 1u);
    EXPECT_EQ(logs_->get("t", 0)->recovery_point(), 2);
    EXPECT_EQ(logs_->get("u", 0)->recovery_point(), 0);
}

TEST_F(log_config_mapping, replica_manager_timers_flush_and_write_both_checkpoints) {
    cfg_.log_flush_scheduler_interval_ms = 20;
    cfg_.log_flush_start_offset_checkpoint_interval_ms = 20;
    cfg_.log_flush_offset_checkpoint_interval_ms = 20;
    broker::topic_log_config t;
    t.flush_ms = 10;
    replicas_->set_topic_log_config("t", t);
    publish_led_topic("t", 1);
    auto part = replicas_->get("t", 0);
    auto b = broker_test::make_batch(2);
    ASSERT_EQ(part->append(b, 1 << 20, 1).error, protocol::error_code::none);
    int64_t low = -1;
    ASSERT_EQ(part->delete_records(1, low), protocol::error_code::none);

    boost::asio::io_context timers;
    auto work = boost::asio::make_work_guard(timers);
    std::thread runner([&] { timers.run(); });
    replicas_->start(timers.get_executor(), {});
    auto text = [&](const char* name) {
        std::ifstream in(dir_.path() / name);
        return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    };
    bool done = false;
    for (int i = 0; i < 100 && !done; ++i) {  // at most 5 s
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        done = logs_->get("t", 0)->recovery_point() == 2 && text("log-start-offset-checkpoint") == "0\n1\nt 0 1\n" &&
               text("recovery-point-offset-checkpoint") == "0\n1\nt 0 2\n";
    }
    replicas_->stop();
    work.reset();
    runner.join();
    EXPECT_TRUE(done) << "recovery point " << logs_->get("t", 0)->recovery_point() << ", starts: "
                      << text("log-start-offset-checkpoint") << ", recovery: " << text("recovery-point-offset-checkpoint");
}

}  // namespace
