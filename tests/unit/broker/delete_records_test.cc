// DeleteRecords v0-v1 through the dispatcher: the leader's log start moves (inside a segment),
// ListOffsets earliest and reads follow it, every error path, and the wait for ISR followers'
// log starts (the low watermark).
#include <boost/asio/post.hpp>

#include "protocol/messages/delete_records.h"
#include "protocol/messages/fetch.h"
#include "protocol/messages/list_offsets.h"
#include "protocol/messages/produce.h"
#include "tests/unit/broker/broker_test_util.h"

namespace {

using broker_test::broker_fixture;
using broker_test::make_batch;
using broker_test::partition_spec;
using protocol::error_code;
using protocol::to_wire;

using partition_result = protocol::delete_records_response::delete_records_topic_result::delete_records_partition_result;

class delete_records_test : public broker_fixture {
protected:
    void SetUp() override {
        publish({{"t", {partition_spec{}}},
                 {"f", {partition_spec{{2, 1}, 2, 0}}},    // led by broker 2: we follow
                 {"r", {partition_spec{{1, 2}, 1, 0}}}},  // we lead, broker 2 in the ISR
                {1, 2});
        append("t", make_batch(3));
        append("t", make_batch(2));  // offsets 0..4, one segment
    }

    void append(const std::string& topic, const std::vector<uint8_t>& batch) {
        protocol::produce_request req;
        req.acks = 1;
        auto& t = req.topic_data.emplace_back();
        t.name = topic;
        auto& pd = t.partition_data.emplace_back();
        pd.index = 0;
        pd.records = protocol::record_set::owned(batch);
        auto resp = broker_test::decode_response<protocol::produce_response>(send(req, 7), 7);
        ASSERT_EQ(resp.responses.at(0).partition_responses.at(0).error_code, 0);
    }

    protocol::delete_records_request request(const std::string& topic, int64_t offset, int32_t timeout_ms = 1000) {
        protocol::delete_records_request req;
        auto& t = req.topics.emplace_back();
        t.name = topic;
        t.partitions.push_back({0, offset});
        req.timeout_ms = timeout_ms;
        return req;
    }

    partition_result delete_records(const std::string& topic, int64_t offset, int16_t version = 1,
                                    int32_t timeout_ms = 1000) {
        auto resp = broker_test::decode_response<protocol::delete_records_response>(
            send(request(topic, offset, timeout_ms), version), version);
        EXPECT_EQ(resp.topics.size(), 1u);
        EXPECT_EQ(resp.topics.at(0).name, topic);
        EXPECT_EQ(resp.topics.at(0).partitions.size(), 1u);
        return resp.topics.at(0).partitions.at(0);
    }

    int64_t earliest(const std::string& topic) {
        protocol::list_offsets_request req;
        req.replica_id = -1;
        auto& t = req.topics.emplace_back();
        t.name = topic;
        auto& p = t.partitions.emplace_back();
        p.partition_index = 0;
        p.timestamp = -2;
        auto resp = broker_test::decode_response<protocol::list_offsets_response>(send(req, 1), 1);
        EXPECT_EQ(resp.topics.at(0).partitions.at(0).error_code, 0);
        return resp.topics.at(0).partitions.at(0).offset;
    }
};

TEST_F(delete_records_test, moves_the_log_start_inside_a_segment_at_both_versions) {
    auto r = delete_records("t", 2, 0);
    EXPECT_EQ(r.error_code, 0);
    EXPECT_EQ(r.low_watermark, 2);
    EXPECT_EQ(earliest("t"), 2);
    auto part = replicas_->get("t", 0);
    EXPECT_EQ(part->read(1, 1 << 20, broker::reader_kind::consumer).error, error_code::offset_out_of_range);
    EXPECT_EQ(part->read(2, 1 << 20, broker::reader_kind::consumer).error, error_code::none);
    r = delete_records("t", 4, 1);
    EXPECT_EQ(r.error_code, 0);
    EXPECT_EQ(r.low_watermark, 4);
    EXPECT_EQ(earliest("t"), 4);
}

TEST_F(delete_records_test, a_consumer_fetch_below_the_new_log_start_is_offset_out_of_range) {
    ASSERT_EQ(delete_records("t", 3).error_code, 0);
    auto fetch_at = [&](int64_t offset, int16_t version) {
        protocol::fetch_request req;
        req.replica_id = -1;
        req.max_bytes = 1 << 20;
        auto& t = req.topics.emplace_back();
        t.topic = "t";
        auto& p = t.partitions.emplace_back();
        p.partition = 0;
        p.fetch_offset = offset;
        p.partition_max_bytes = 1 << 20;
        auto resp = broker_test::decode_response<protocol::fetch_response>(send(req, version), version);
        return resp.responses.at(0).partitions.at(0);
    };
    for (int16_t version : {int16_t{4}, int16_t{11}}) {
        auto below = fetch_at(2, version);
        EXPECT_EQ(below.error_code, to_wire(error_code::offset_out_of_range)) << version;
        EXPECT_EQ(below.records.size(), 0u);
        auto at = fetch_at(3, version);
        EXPECT_EQ(at.error_code, 0) << version;
        EXPECT_GT(at.records.size(), 0u);
        if (version >= 5) {
            EXPECT_EQ(at.log_start_offset, 3);  // what lets a consumer reset to the earliest
        }
    }
}

TEST_F(delete_records_test, minus_one_means_the_high_watermark) {
    auto r = delete_records("t", -1);
    EXPECT_EQ(r.error_code, 0);
    EXPECT_EQ(r.low_watermark, 5);
    EXPECT_EQ(earliest("t"), 5);
}

TEST_F(delete_records_test, below_the_log_start_answers_the_start_unchanged) {
    ASSERT_EQ(delete_records("t", 3).low_watermark, 3);
    auto r = delete_records("t", 1);
    EXPECT_EQ(r.error_code, 0);
    EXPECT_EQ(r.low_watermark, 3);
    EXPECT_EQ(earliest("t"), 3);
}

TEST_F(delete_records_test, above_the_high_watermark_is_offset_out_of_range_and_changes_nothing) {
    auto r = delete_records("t", 6);
    EXPECT_EQ(r.error_code, to_wire(error_code::offset_out_of_range));
    EXPECT_EQ(r.low_watermark, -1);
    r = delete_records("t", -5);
    EXPECT_EQ(r.error_code, to_wire(error_code::offset_out_of_range));
    EXPECT_EQ(earliest("t"), 0);
}

TEST_F(delete_records_test, unknown_partition_and_not_leader) {
    EXPECT_EQ(delete_records("nope", 0).error_code, to_wire(error_code::unknown_topic_or_partition));
    EXPECT_EQ(delete_records("f", 0).error_code, to_wire(error_code::not_leader_or_follower));
}

TEST_F(delete_records_test, compact_only_topic_is_a_policy_violation) {
    broker::topic_log_config compact;
    compact.cleanup_policy = "compact";
    replicas_->set_topic_log_config("t", compact);
    EXPECT_EQ(delete_records("t", 2).error_code, to_wire(error_code::policy_violation));
    EXPECT_EQ(earliest("t"), 0);
    compact.cleanup_policy = "compact,delete";
    replicas_->set_topic_log_config("t", compact);
    EXPECT_EQ(delete_records("t", 2).error_code, 0);
}

TEST_F(delete_records_test, waits_for_isr_followers_log_start_and_times_out_without_it) {
    append("r", make_batch(4));
    auto part = replicas_->get("r", 0);
    replicas_->follower_fetched(part, 2, 4, 0);  // follower 2 has 0..3: high watermark 4
    ASSERT_EQ(part->high_watermark(), 4);

    auto r = delete_records("r", 3, 1, 100);
    EXPECT_EQ(r.error_code, to_wire(error_code::request_timed_out));
    EXPECT_EQ(r.low_watermark, 0);          // follower 2 still starts at 0
    EXPECT_EQ(part->log_start_offset(), 3);  // the leader's move stands

    // The follower reports its new start while the request waits.
    broker_test::reply pending;
    auto frame = broker_test::encode_frame(request("r", 3, 5000), 1);
    spawn(frame, pending);
    boost::asio::steady_timer later(io_, std::chrono::milliseconds(60));
    later.async_wait([&](const boost::system::error_code&) { replicas_->follower_fetched(part, 2, 4, 3); });
    run();
    ASSERT_TRUE(pending.done);
    auto resp = broker_test::decode_response<protocol::delete_records_response>(pending, 1);
    EXPECT_EQ(resp.topics.at(0).partitions.at(0).error_code, 0);
    EXPECT_EQ(resp.topics.at(0).partitions.at(0).low_watermark, 3);
    EXPECT_LT(pending.elapsed.count(), 4000);
}

TEST_F(delete_records_test, flexible_v2_is_not_served) {
    // Header only: the dispatcher decides by version before any body is read.
    protocol::wire::writer w;
    protocol::request_header h;
    h.api_key = 21;
    h.api_version = 2;
    h.correlation_id = 1;
    h.client_id = "x";
    protocol::encode_request_header(w, h);
    w.write_int32(-1);
    EXPECT_EQ(dispatch(w.to_bytes()).result, broker::dispatch_result::close);
    EXPECT_EQ(earliest("t"), 0);
}

}  // namespace
