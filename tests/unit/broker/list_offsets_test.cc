// ListOffsets v0-v3 through the dispatcher: latest (-1), earliest (-2) and by timestamp.
#include "protocol/messages/list_offsets.h"
#include "protocol/messages/produce.h"
#include "storage/log.h"
#include "tests/unit/broker/broker_test_util.h"

namespace {

using broker_test::broker_fixture;
using broker_test::make_batch;

constexpr int64_t latest = -1;
constexpr int64_t earliest = -2;

class list_offsets_test : public broker_fixture {
protected:
    void SetUp() override {
        // Tiny segments: every batch gets its own segment, so lookups cross segments and
        // retention can move the log start.
        cfg_.log_segment_bytes = 100;
        publish_led_topic("t", 2);
        // Partition 0: offsets 0-2 at 1000..1002, offsets 3-4 at 2000..2001.
        append("t", 0, make_batch(3, 1000));
        append("t", 0, make_batch(2, 2000));
    }

    void append(const std::string& topic, int32_t p, const std::vector<uint8_t>& batch) {
        protocol::produce_request req;
        req.acks = 1;
        auto& t = req.topic_data.emplace_back();
        t.name = topic;
        auto& pd = t.partition_data.emplace_back();
        pd.index = p;
        pd.records = protocol::record_set::owned(batch);
        auto resp = broker_test::decode_response<protocol::produce_response>(send(req, 7), 7);
        ASSERT_EQ(resp.responses.at(0).partition_responses.at(0).error_code, 0);
    }

    protocol::list_offsets_response::list_offsets_topic_response::list_offsets_partition_response query(
        int16_t version, int64_t timestamp, int32_t partition = 0, const std::string& topic = "t") {
        protocol::list_offsets_request req;
        req.replica_id = -1;
        auto& t = req.topics.emplace_back();
        t.name = topic;
        auto& p = t.partitions.emplace_back();
        p.partition_index = partition;
        p.timestamp = timestamp;
        p.max_num_offsets = 1;
        auto resp = broker_test::decode_response<protocol::list_offsets_response>(send(req, version), version);
        EXPECT_EQ(resp.topics.size(), 1u);
        EXPECT_EQ(resp.topics.at(0).name, topic);
        EXPECT_EQ(resp.topics.at(0).partitions.size(), 1u);
        EXPECT_EQ(resp.topics.at(0).partitions.at(0).partition_index, partition);
        return resp.topics.at(0).partitions.at(0);
    }
};

TEST_F(list_offsets_test, v0_latest_and_earliest_as_old_style_offsets) {
    auto l = query(0, latest);
    EXPECT_EQ(l.error_code, 0);
    EXPECT_EQ(l.old_style_offsets, std::vector<int64_t>{5});
    auto e = query(0, earliest);
    EXPECT_EQ(e.error_code, 0);
    EXPECT_EQ(e.old_style_offsets, std::vector<int64_t>{0});
}

TEST_F(list_offsets_test, v1_v2_v3_latest_and_earliest) {
    for (int16_t v = 1; v <= 3; ++v) {
        auto l = query(v, latest);
        EXPECT_EQ(l.error_code, 0) << "v" << v;
        EXPECT_EQ(l.offset, 5) << "v" << v;
        EXPECT_EQ(l.timestamp, -1) << "v" << v;
        auto e = query(v, earliest);
        EXPECT_EQ(e.error_code, 0) << "v" << v;
        EXPECT_EQ(e.offset, 0) << "v" << v;
    }
}

TEST_F(list_offsets_test, by_timestamp) {
    for (int16_t v = 1; v <= 2; ++v) {
        auto exact = query(v, 1001);
        EXPECT_EQ(exact.error_code, 0);
        EXPECT_EQ(exact.offset, 1) << "v" << v;  // inside the first batch: records are walked
        EXPECT_EQ(exact.timestamp, 1001);
        EXPECT_EQ(query(v, 0).offset, 0);
        auto later = query(v, 1500);
        EXPECT_EQ(later.offset, 3) << "v" << v;  // first record at or after 1500 ...
        EXPECT_EQ(later.timestamp, 2000) << "v" << v;  // ... answered with its own timestamp, as Kafka does
        EXPECT_EQ(query(v, 2001).offset, 4);
        auto after = query(v, 5000);
        EXPECT_EQ(after.error_code, 0);
        EXPECT_EQ(after.offset, -1);
        EXPECT_EQ(after.timestamp, -1);
    }
}

TEST_F(list_offsets_test, empty_partition) {
    EXPECT_EQ(query(1, latest, 1).offset, 0);
    EXPECT_EQ(query(1, earliest, 1).offset, 0);
    EXPECT_EQ(query(1, 1000, 1).offset, -1);
}

TEST_F(list_offsets_test, earliest_follows_the_log_start_after_retention) {
    append("t", 1, make_batch(2, 1000));
    append("t", 1, make_batch(2, 1100));
    append("t", 1, make_batch(2, 1200));  // active segment: kept
    auto* log = logs_->get("t", 1);
    ASSERT_NE(log, nullptr);
    auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    auto deleted = log->delete_old_segments(now);  // timestamps from 1970: past 7-day retention
    ASSERT_TRUE(deleted.has_value());
    ASSERT_EQ(deleted.value(), 2u);
    EXPECT_EQ(query(1, earliest, 1).offset, 4);
    EXPECT_EQ(query(0, earliest, 1).old_style_offsets, std::vector<int64_t>{4});
    EXPECT_EQ(query(1, latest, 1).offset, 6);
    // A timestamp before the log start finds the first remaining record.
    EXPECT_EQ(query(1, 1000, 1).offset, 4);
}

TEST_F(list_offsets_test, unknown_partition) {
    EXPECT_EQ(query(1, latest, 9).error_code, 3);
    EXPECT_EQ(query(1, latest, 9).offset, -1);
    EXPECT_EQ(query(0, latest, 0, "missing").error_code, 3);
}

}  // namespace
