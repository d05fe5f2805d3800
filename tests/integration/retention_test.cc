// Retention (part of issue 6): a topic with retention.ms=1000 and small segments loses its old
// segments on every replica while a consumer at the head keeps reading everything, and a reader
// below the new log start is moved to it (OFFSET_OUT_OF_RANGE, auto.offset.reset). Three real
// brokers under the test's chroot, librdkafka clients.
#include <algorithm>
#include <filesystem>
#include <thread>

#include "tests/integration/replication_fixture.h"

namespace integration {
namespace {

using namespace std::chrono_literals;

using retention_test = replication_test;

TEST_F(retention_test, old_segments_go_on_every_replica_while_a_consumer_at_the_head_keeps_going) {
    start_cluster(3, {{"log.retention.check.interval.ms", "300"}});
    const std::string topic = "short-lived";
    create_replicated_topic(topic, 1, 3, {{"retention.ms", "1000"}, {"segment.bytes", "4096"}});
    partition_reader head(live_bootstrap(), topic, {{0, -2}});
    keyed_producer producer(live_bootstrap(), {{"acks", "all"}, {"linger.ms", "0"}});
    // Records of ~120 bytes: a 4 KiB segment every ~30, and the run outlasts retention.ms.
    constexpr int total = 3000;
    for (int i = 0; i < total; ++i) {
        producer.send(topic, "k" + std::to_string(i % 10), "value " + std::to_string(i), 0);
        if (i % 10 == 0) {
            producer.poll(20ms);
            head.read_for(0ms);
        }
    }
    ASSERT_TRUE(producer.flush(60s)) << producer.summary();
    ASSERT_EQ(producer.acknowledged(), static_cast<std::size_t>(total)) << producer.summary();
    EXPECT_EQ(head.read_until(total, 30s), static_cast<std::size_t>(total)) << "the consumer at the head fell behind";
    for (std::size_t i = 0; i < head.records().size(); ++i) {
        ASSERT_EQ(head.records()[i].offset, static_cast<std::int64_t>(i)) << "gap in what the head consumer read";
    }

    // Within a few retention rounds every replica keeps only the recent segments.
    std::map<int, int> files;
    const bool trimmed = wait_until(
        [&] {
            for (int id = 1; id <= 3; ++id) files[id] = segment_file_count(by_id(id).log_dir(), topic, 0);
            return std::all_of(files.begin(), files.end(), [](const auto& kv) { return kv.second > 0 && kv.second <= 3; });
        },
        20s);
    EXPECT_TRUE(trimmed) << "segments on brokers 1/2/3: " << files[1] << "/" << files[2] << "/" << files[3];

    // A new reader from the beginning starts at the new log start, not at 0.
    auto from_start = consume(live_bootstrap(), topic, {{0, -2}}, 1, 15s, 300ms);
    ASSERT_FALSE(from_start.records.empty());
    EXPECT_GT(from_start.records.front().offset, 0);
    // The end did not move: nothing acknowledged was lost from the tail.
    EXPECT_EQ(latest_offset(live_bootstrap(), topic, 0), total);
}

}  // namespace
}  // namespace integration
