// DeleteRecords (issue 6): a raw DeleteRecords v1 to the leader of an RF-3 partition moves its log
// start inside a segment on every replica (the answer waits for the ISR's low watermark);
// librdkafka reading from below it gets OFFSET_OUT_OF_RANGE and resets to the new start; the
// error paths answer Kafka's codes; the start survives a kill -9 of a follower (the
// log-start-offset checkpoint timer) and a restart of the whole cluster.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "protocol/client/client.h"
#include "protocol/errors.h"
#include "protocol/messages/delete_records.h"
#include "protocol/messages/list_offsets.h"
#include "tests/integration/replication_fixture.h"
#include "tests/support/process.h"

#ifndef BROOK_DELETE_RECORDS_BINARY
#define BROOK_DELETE_RECORDS_BINARY "brook-delete-records"
#endif

namespace integration {
namespace {

using namespace std::chrono_literals;
namespace client = protocol::client;

using delete_records_test = replication_test;

struct delete_answer {
    std::int16_t error = -100;
    std::int64_t low_watermark = -100;
};

delete_answer delete_records(std::uint16_t port, const std::string& topic, std::int64_t offset) {
    auto conn = client::connection::connect("127.0.0.1", port, 20s);
    if (!conn) return {};
    protocol::delete_records_request req;
    auto& t = req.topics.emplace_back();
    t.name = topic;
    t.partitions.push_back({0, offset});
    req.timeout_ms = 15000;
    auto resp = conn.value().send<protocol::delete_records_api>(req, 1);
    if (!resp || resp.value().topics.size() != 1 || resp.value().topics[0].partitions.size() != 1) return {};
    const auto& p = resp.value().topics[0].partitions[0];
    return {p.error_code, p.low_watermark};
}

/// ListOffsets v1 earliest (-2) from broker `port`; -100 on a transport error, -(code) on a Kafka one.
std::int64_t earliest_offset(std::uint16_t port, const std::string& topic) {
    auto conn = client::connection::connect("127.0.0.1", port, 10s);
    if (!conn) return -100;
    protocol::list_offsets_request req;
    req.replica_id = -1;
    auto& t = req.topics.emplace_back();
    t.name = topic;
    auto& p = t.partitions.emplace_back();
    p.partition_index = 0;
    p.timestamp = -2;
    auto resp = conn.value().send<protocol::list_offsets_api>(req, 1);
    if (!resp) return -100;
    const auto& pr = resp.value().topics.at(0).partitions.at(0);
    return pr.error_code != 0 ? -pr.error_code : pr.offset;
}

/// The value for topic-0 in a broker's log-start-offset-checkpoint, -1 if absent.
std::int64_t checkpointed_start(const std::string& log_dir, const std::string& topic) {
    std::ifstream in(std::filesystem::path(log_dir) / "log-start-offset-checkpoint");
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string t;
        int p = -1;
        std::int64_t offset = -1;
        if (fields >> t >> p >> offset && t == topic && p == 0) return offset;
    }
    return -1;
}

TEST_F(delete_records_test, log_start_moves_on_every_replica_and_survives_kill_and_restart) {
    start_cluster(3, {{"log.flush.start.offset.checkpoint.interval.ms", "200"}});
    const std::string topic = "trimmed";
    create_replicated_topic(topic, 1, 3, {});
    keyed_producer producer(live_bootstrap(), {{"acks", "all"}, {"linger.ms", "0"}});
    constexpr int total = 100;
    for (int i = 0; i < total; ++i) producer.send(topic, "k", "value " + std::to_string(i), 0);
    ASSERT_TRUE(producer.flush(60s)) << producer.summary();
    ASSERT_EQ(producer.acknowledged(), static_cast<std::size_t>(total)) << producer.summary();
    auto view = wait_for_isr(topic, 0, {1, 2, 3}, -2, 30s);
    const int leader = view.partitions.at({topic, 0}).leader;
    const int follower = followers(view.partitions.at({topic, 0})).front();

    // Error paths first: nothing moves.
    EXPECT_EQ(delete_records(by_id(follower).port(), topic, 10).error,
              protocol::to_wire(protocol::error_code::not_leader_or_follower));
    EXPECT_EQ(delete_records(by_id(leader).port(), topic, total + 1).error,
              protocol::to_wire(protocol::error_code::offset_out_of_range));
    EXPECT_EQ(delete_records(by_id(leader).port(), "no-such-topic", 0).error,
              protocol::to_wire(protocol::error_code::unknown_topic_or_partition));
    EXPECT_EQ(earliest_offset(by_id(leader).port(), topic), 0);

    // 40 is inside the only segment. The answer comes once every ISR follower has it too.
    auto moved = delete_records(by_id(leader).port(), topic, 40);
    EXPECT_EQ(moved.error, 0);
    EXPECT_EQ(moved.low_watermark, 40);
    EXPECT_EQ(earliest_offset(by_id(leader).port(), topic), 40);
    EXPECT_EQ(segment_file_count(by_id(leader).log_dir(), topic, 0), 1);

    // A reader from 0 is below the start: OFFSET_OUT_OF_RANGE, reset to the earliest offset.
    auto reset = consume(live_bootstrap(), topic, {{0, 0}}, total - 40, 20s, 300ms, {{"auto.offset.reset", "earliest"}});
    ASSERT_EQ(reset.records.size(), static_cast<std::size_t>(total - 40));
    EXPECT_EQ(reset.records.front().offset, 40);
    EXPECT_EQ(reset.records.back().offset, total - 1);

    // Every replica checkpoints it on the timer, so a follower killed now keeps it.
    EXPECT_TRUE(wait_until(
        [&] {
            for (int id = 1; id <= 3; ++id) {
                if (checkpointed_start(by_id(id).log_dir(), topic) != 40) return false;
            }
            return true;
        },
        10s))
        << "log-start-offset-checkpoint on broker " << leader << ": "
        << checkpointed_start(by_id(leader).log_dir(), topic);
    by_id(follower).kill();
    by_id(follower).start();
    wait_for_isr(topic, 0, {1, 2, 3}, -2, 60s);

    // The whole cluster restarts cleanly; whoever leads answers the same start.
    for (int id = 1; id <= 3; ++id) by_id(id).stop();
    for (int id = 1; id <= 3; ++id) by_id(id).start();
    view = wait_for_isr(topic, 0, {1, 2, 3}, -2, 60s);
    const int new_leader = view.partitions.at({topic, 0}).leader;
    EXPECT_TRUE(wait_until([&] { return earliest_offset(by_id(new_leader).port(), topic) == 40; }, 20s))
        << "earliest on broker " << new_leader << ": " << earliest_offset(by_id(new_leader).port(), topic);
    for (int id = 1; id <= 3; ++id) {
        EXPECT_EQ(checkpointed_start(by_id(id).log_dir(), topic), 40) << "broker " << id;
    }
    EXPECT_EQ(latest_offset(live_bootstrap(), topic, 0), total);
}

TEST_F(delete_records_test, follower_behind_the_new_log_start_restarts_its_log_there_and_rejoins) {
    start_cluster(3, {{"replica.lag.time.max.ms", "2000"}, {"log.flush.start.offset.checkpoint.interval.ms", "200"}});
    const std::string topic = "left-behind";
    auto view = create_replicated_topic(topic, 1, 3, {});
    const int leader = view.partitions.at({topic, 0}).leader;
    const int away = followers(view.partitions.at({topic, 0})).front();
    std::vector<int> rest;
    for (int id = 1; id <= 3; ++id) {
        if (id != away) rest.push_back(id);
    }
    keyed_producer producer(live_bootstrap(), {{"acks", "all"}, {"linger.ms", "0"}});
    for (int i = 0; i < 100; ++i) producer.send(topic, "k", "before " + std::to_string(i), 0);
    ASSERT_TRUE(producer.flush(60s)) << producer.summary();

    by_id(away).stop();
    wait_for_isr(topic, 0, rest, leader, 30s);
    for (int i = 0; i < 50; ++i) producer.send(topic, "k", "while away " + std::to_string(i), 0);
    ASSERT_TRUE(producer.flush(60s)) << producer.summary();
    ASSERT_EQ(producer.acknowledged(), 150u) << producer.summary();
    // Past everything the stopped follower has (its log ends at 100).
    auto moved = delete_records(by_id(leader).port(), topic, -1);
    ASSERT_EQ(moved.error, 0);
    EXPECT_EQ(moved.low_watermark, 150);

    by_id(away).start();
    wait_for_isr(topic, 0, {1, 2, 3}, leader, 60s);
    for (int i = 0; i < 10; ++i) producer.send(topic, "k", "after " + std::to_string(i), 0);
    ASSERT_TRUE(producer.flush(60s)) << producer.summary();
    std::map<int, std::int64_t> ends;
    EXPECT_TRUE(wait_until(
        [&] {
            ends = disk_log_ends(topic, 0, {1, 2, 3});
            return std::all_of(ends.begin(), ends.end(), [](const auto& kv) { return kv.second == 160; });
        },
        20s))
        << describe_partition(topic, 0);
    // Its log restarted at the leader's start: nothing below 150 is on its disk.
    auto batches = read_disk_batches(by_id(away).log_dir(), topic, 0);
    ASSERT_FALSE(batches.empty());
    EXPECT_EQ(batches.front().base_offset, 150);
    EXPECT_TRUE(wait_until([&] { return checkpointed_start(by_id(away).log_dir(), topic) == 150; }, 10s))
        << checkpointed_start(by_id(away).log_dir(), topic);
}

TEST_F(delete_records_test, brook_delete_records_prints_kafkas_output) {
    start_cluster(1);
    const std::string topic = "tool";
    create_replicated_topic(topic, 2, 1, {});
    keyed_producer producer(live_bootstrap(), {{"acks", "all"}, {"linger.ms", "0"}});
    for (int i = 0; i < 10; ++i) producer.send(topic, "k", "v" + std::to_string(i), 0);
    ASSERT_TRUE(producer.flush(60s)) << producer.summary();

    const auto file = std::filesystem::path(by_id(1).log_dir()).parent_path() / "offsets.json";
    std::ofstream(file) << R"({"partitions": [{"topic": "tool", "partition": 0, "offset": 7},
                                             {"topic": "tool", "partition": 1, "offset": 5},
                                             {"topic": "gone", "partition": 0, "offset": 1}], "version": 1})";
    const char* env = std::getenv("BROOK_DELETE_RECORDS_BINARY");
    const std::string binary = env != nullptr && *env != '\0' ? env : BROOK_DELETE_RECORDS_BINARY;
    auto r = test_support::run_command({binary, "--bootstrap-server", live_bootstrap(), "--offset-json-file", file.string()},
                                       60s);
    EXPECT_EQ(r.exit_code(), 0) << r.describe();
    EXPECT_EQ(r.out,
              "Executing records delete operation\n"
              "Records delete operation completed:\n"
              "partition: gone-0\terror: org.apache.kafka.common.errors.UnknownTopicOrPartitionException: "
              "This server does not host this topic-partition.\n"
              "partition: tool-0\tlow_watermark: 7\n"
              "partition: tool-1\terror: org.apache.kafka.common.errors.OffsetOutOfRangeException: "
              "The requested offset is not within the range of offsets maintained by the server.\n");
    EXPECT_EQ(earliest_offset(by_id(1).port(), topic), 7);
}

}  // namespace
}  // namespace integration
