// Produce and Fetch through the dispatcher into real logs on a temp dir: offsets, error codes,
// the bytes that come back, and the long-poll wait/wakeup.
#include "protocol/messages/fetch.h"
#include "protocol/messages/produce.h"
#include "tests/unit/broker/broker_test_util.h"

namespace {

using broker::dispatch_result;
using broker_test::broker_fixture;
using broker_test::make_batch;
using broker_test::reply;
namespace records = protocol::records;

constexpr int16_t none = 0;
constexpr int16_t offset_out_of_range = 1;
constexpr int16_t corrupt_message = 2;
constexpr int16_t unknown_topic_or_partition = 3;
constexpr int16_t message_too_large = 10;
constexpr int16_t invalid_required_acks = 21;

protocol::produce_request produce_req(const std::string& topic, int32_t partition, const std::vector<uint8_t>& batch,
                                      int16_t acks = 1) {
    protocol::produce_request req;
    req.acks = acks;
    req.timeout_ms = 1000;
    auto& t = req.topic_data.emplace_back();
    t.name = topic;
    auto& p = t.partition_data.emplace_back();
    p.index = partition;
    p.records = protocol::record_set::owned(batch);
    return req;
}

protocol::fetch_request fetch_req(const std::string& topic, int32_t partition, int64_t offset, int32_t max_wait_ms = 0,
                                  int32_t min_bytes = 0) {
    protocol::fetch_request req;
    req.replica_id = -1;
    req.max_wait_ms = max_wait_ms;
    req.min_bytes = min_bytes;
    req.max_bytes = 1 << 20;
    auto& t = req.topics.emplace_back();
    t.topic = topic;
    auto& p = t.partitions.emplace_back();
    p.partition = partition;
    p.fetch_offset = offset;
    p.partition_max_bytes = 1 << 20;
    return req;
}

/// What the log stores for a produced batch: the client's bytes with base_offset and
/// partition_leader_epoch rewritten (both outside the CRC).
std::vector<uint8_t> as_stored(std::vector<uint8_t> batch, int64_t base_offset, int32_t leader_epoch) {
    records::mutable_batch_view v(batch);
    v.set_base_offset(base_offset);
    v.set_partition_leader_epoch(leader_epoch);
    return batch;
}

const protocol::produce_response::topic_produce_response::partition_produce_response& only_partition(
    const protocol::produce_response& r) {
    EXPECT_EQ(r.responses.size(), 1u);
    EXPECT_EQ(r.responses.at(0).partition_responses.size(), 1u);
    return r.responses.at(0).partition_responses.at(0);
}

const protocol::fetch_response::fetchable_topic_response::partition_data& only_partition(
    const protocol::fetch_response& r) {
    EXPECT_EQ(r.responses.size(), 1u);
    EXPECT_EQ(r.responses.at(0).partitions.size(), 1u);
    return r.responses.at(0).partitions.at(0);
}

class produce_fetch_test : public broker_fixture {
protected:
    void SetUp() override { publish_led_topic("t", 2); }

    protocol::produce_response produce(int16_t version, const protocol::produce_request& req) {
        auto r = send(req, version);
        return broker_test::decode_response<protocol::produce_response>(r, version);
    }
    protocol::fetch_response fetch(int16_t version, const protocol::fetch_request& req, reply* raw = nullptr) {
        auto r = send(req, version);
        if (raw) *raw = r;
        return broker_test::decode_response<protocol::fetch_response>(r, version);
    }
};

TEST_F(produce_fetch_test, produce_v3_and_v7_assign_consecutive_offsets) {
    auto b1 = make_batch(3);
    auto b2 = make_batch(2);
    auto r1 = produce(3, produce_req("t", 0, b1));
    const auto& p1 = only_partition(r1);
    EXPECT_EQ(r1.responses[0].name, "t");
    EXPECT_EQ(p1.index, 0);
    EXPECT_EQ(p1.error_code, none);
    EXPECT_EQ(p1.base_offset, 0);
    EXPECT_EQ(log_end("t", 0), 3);

    auto r2 = produce(7, produce_req("t", 0, b2));
    const auto& p2 = only_partition(r2);
    EXPECT_EQ(p2.error_code, none);
    EXPECT_EQ(p2.base_offset, 3);
    EXPECT_EQ(p2.log_start_offset, 0);  // v5+ field
    EXPECT_EQ(p2.log_append_time_ms, -1);
    EXPECT_EQ(log_end("t", 0), 5);
    // The other partition is untouched.
    EXPECT_EQ(log_end("t", 1), 0);
    EXPECT_EQ(metrics_.produced_batches.load(), 2u);
}

TEST_F(produce_fetch_test, produce_v0_to_v2_store_record_batch_v2) {
    // Advertised for librdkafka's compression gate (api_registry.h); the body is v3's without the
    // transactional id, the answer has no throttle time (v0) and no log append time (v0-v1).
    for (int16_t version : {int16_t{0}, int16_t{1}, int16_t{2}}) {
        const int64_t before = log_end("t", 0);
        auto r = produce(version, produce_req("t", 0, make_batch(2)));
        const auto& p = only_partition(r);
        EXPECT_EQ(p.error_code, none) << version;
        EXPECT_EQ(p.base_offset, before) << version;
        EXPECT_EQ(log_end("t", 0), before + 2) << version;
    }
}

TEST_F(produce_fetch_test, message_set_v0_and_v1_are_refused_as_unsupported_format) {
    constexpr int16_t unsupported_for_message_format = 43;
    for (uint8_t magic : {uint8_t{0}, uint8_t{1}}) {
        // A MessageSet entry: offset (8), size (4), crc (4), magic (1), attributes, ... — the magic
        // sits at byte 16 in every format, which is what the broker looks at.
        std::vector<uint8_t> legacy(40, 0);
        legacy[11] = 28;
        legacy[16] = magic;
        for (int16_t version : {int16_t{2}, int16_t{7}}) {
            auto r = produce(version, produce_req("t", 0, legacy));
            EXPECT_EQ(only_partition(r).error_code, unsupported_for_message_format) << int(magic) << " v" << version;
            EXPECT_EQ(only_partition(r).base_offset, -1);
        }
    }
    EXPECT_EQ(log_end("t", 0), 0);
    // The connection still serves a good batch.
    EXPECT_EQ(only_partition(produce(2, produce_req("t", 0, make_batch(1)))).error_code, none);
}

TEST_F(produce_fetch_test, acks_zero_appends_without_response) {
    auto req = produce_req("t", 0, make_batch(4), 0);
    auto r = send(req, 5);
    EXPECT_EQ(r.result, dispatch_result::no_response);
    EXPECT_EQ(log_end("t", 0), 4);
}

TEST_F(produce_fetch_test, acks_all_is_accepted) {
    auto r = produce(7, produce_req("t", 1, make_batch(1), -1));
    EXPECT_EQ(only_partition(r).error_code, none);
    EXPECT_EQ(log_end("t", 1), 1);
}

TEST_F(produce_fetch_test, invalid_acks_is_refused_and_nothing_appended) {
    for (int16_t acks : {int16_t{5}, int16_t{2}, int16_t{-2}}) {
        auto r = produce(7, produce_req("t", 0, make_batch(2), acks));
        const auto& p = only_partition(r);
        EXPECT_EQ(p.error_code, invalid_required_acks) << acks;
        EXPECT_EQ(p.base_offset, -1);
    }
    EXPECT_EQ(log_end("t", 0), 0);
}

TEST_F(produce_fetch_test, unknown_topic_or_partition) {
    auto r1 = produce(7, produce_req("t", 7, make_batch(1)));
    EXPECT_EQ(only_partition(r1).error_code, unknown_topic_or_partition);
    auto r2 = produce(3, produce_req("nope", 0, make_batch(1)));
    EXPECT_EQ(only_partition(r2).error_code, unknown_topic_or_partition);
    EXPECT_EQ(r2.responses[0].name, "nope");
}

TEST_F(produce_fetch_test, corrupt_crc_is_corrupt_message) {
    auto b = make_batch(3);
    b.back() ^= 0x01;  // inside the CRC-covered records
    auto r = produce(7, produce_req("t", 0, b));
    const auto& p = only_partition(r);
    EXPECT_EQ(p.error_code, corrupt_message);
    EXPECT_EQ(p.base_offset, -1);
    EXPECT_EQ(log_end("t", 0), 0);
}

TEST_F(produce_fetch_test, null_or_empty_records_are_corrupt_message) {
    auto req = produce_req("t", 0, {});
    req.topic_data[0].partition_data[0].records = protocol::record_set();  // null
    EXPECT_EQ(only_partition(produce(7, req)).error_code, corrupt_message);
    auto empty = produce_req("t", 0, {});
    EXPECT_EQ(only_partition(produce(7, empty)).error_code, corrupt_message);
    EXPECT_EQ(log_end("t", 0), 0);
}

TEST_F(produce_fetch_test, batch_above_message_max_bytes_is_refused_and_not_appended) {
    auto big = make_batch(2, 1000, 300);
    cfg_.message_max_bytes = static_cast<int32_t>(big.size()) - 1;
    auto r = produce(7, produce_req("t", 0, big));
    const auto& p = only_partition(r);
    EXPECT_EQ(p.error_code, message_too_large);
    EXPECT_EQ(p.base_offset, -1);
    EXPECT_EQ(log_end("t", 0), 0);
    // Exactly at the limit it is accepted: the limit counts the whole batch.
    cfg_.message_max_bytes = static_cast<int32_t>(big.size());
    EXPECT_EQ(only_partition(produce(7, produce_req("t", 0, big))).error_code, none);
    EXPECT_EQ(log_end("t", 0), 2);
}

TEST_F(produce_fetch_test, several_partitions_in_one_request) {
    auto req = produce_req("t", 0, make_batch(2));
    auto& p1 = req.topic_data[0].partition_data.emplace_back();
    p1.index = 1;
    p1.records = protocol::record_set::owned(make_batch(5));
    auto& p9 = req.topic_data[0].partition_data.emplace_back();
    p9.index = 9;
    p9.records = protocol::record_set::owned(make_batch(1));
    auto r = produce(7, req);
    ASSERT_EQ(r.responses.size(), 1u);
    ASSERT_EQ(r.responses[0].partition_responses.size(), 3u);
    EXPECT_EQ(r.responses[0].partition_responses[0].error_code, none);
    EXPECT_EQ(r.responses[0].partition_responses[1].index, 1);
    EXPECT_EQ(r.responses[0].partition_responses[1].error_code, none);
    EXPECT_EQ(r.responses[0].partition_responses[2].index, 9);
    EXPECT_EQ(r.responses[0].partition_responses[2].error_code, unknown_topic_or_partition);
    EXPECT_EQ(log_end("t", 0), 2);
    EXPECT_EQ(log_end("t", 1), 5);
}

TEST_F(produce_fetch_test, fetch_v4_and_v11_return_the_produced_batches) {
    auto b1 = make_batch(3);
    auto b2 = make_batch(2, 5000);
    ASSERT_EQ(only_partition(produce(7, produce_req("t", 0, b1))).base_offset, 0);
    ASSERT_EQ(only_partition(produce(7, produce_req("t", 0, b2))).base_offset, 3);
    std::vector<uint8_t> expected = as_stored(b1, 0, 0);
    auto stored2 = as_stored(b2, 3, 0);
    expected.insert(expected.end(), stored2.begin(), stored2.end());

    for (int16_t v : {int16_t{4}, int16_t{11}}) {
        auto resp = fetch(v, fetch_req("t", 0, 0));
        const auto& p = only_partition(resp);
        EXPECT_EQ(resp.responses[0].topic, "t");
        EXPECT_EQ(p.partition_index, 0);
        EXPECT_EQ(p.error_code, none) << "v" << v;
        EXPECT_EQ(p.high_watermark, 5) << "v" << v;
        EXPECT_EQ(p.last_stable_offset, 5) << "v" << v;
        EXPECT_EQ(p.records.to_bytes(), expected) << "v" << v;
        if (v >= 5) {
            EXPECT_EQ(p.log_start_offset, 0);
        }
        if (v >= 11) {
            EXPECT_EQ(p.preferred_read_replica, -1);
        }
        ASSERT_TRUE(p.aborted_transactions.has_value());
        EXPECT_TRUE(p.aborted_transactions->empty());
        EXPECT_EQ(resp.error_code, 0);
    }

    // From the middle of the second batch: that whole batch comes back (Kafka returns whole batches).
    auto mid = fetch(11, fetch_req("t", 0, 4));
    EXPECT_EQ(only_partition(mid).records.to_bytes(), stored2);
    // The batch read back is intact: CRC verifies and the offsets are the assigned ones.
    auto bytes = only_partition(mid).records.to_bytes();
    EXPECT_FALSE(records::validate_batch(bytes));
    EXPECT_EQ(records::batch_view(bytes).base_offset(), 3);
    EXPECT_EQ(records::batch_view(bytes).records_count(), 2);
}

TEST_F(produce_fetch_test, fetch_at_log_end_is_empty_and_beyond_is_out_of_range) {
    produce(7, produce_req("t", 0, make_batch(2)));
    auto at_end = fetch(11, fetch_req("t", 0, 2));
    EXPECT_EQ(only_partition(at_end).error_code, none);
    EXPECT_EQ(only_partition(at_end).records.size(), 0u);
    EXPECT_EQ(only_partition(at_end).high_watermark, 2);

    auto beyond = fetch(11, fetch_req("t", 0, 3));
    EXPECT_EQ(only_partition(beyond).error_code, offset_out_of_range);
    EXPECT_EQ(only_partition(beyond).records.size(), 0u);
    auto negative = fetch(4, fetch_req("t", 0, -1));
    EXPECT_EQ(only_partition(negative).error_code, offset_out_of_range);
}

TEST_F(produce_fetch_test, fetch_unknown_partition) {
    auto resp = fetch(11, fetch_req("t", 5, 0));
    EXPECT_EQ(only_partition(resp).error_code, unknown_topic_or_partition);
    EXPECT_EQ(only_partition(resp).high_watermark, -1);
}

TEST_F(produce_fetch_test, fetch_max_bytes_returns_at_least_one_batch) {
    auto b1 = make_batch(2, 1000, 200);
    auto b2 = make_batch(2, 2000, 200);
    produce(7, produce_req("t", 0, b1));
    produce(7, produce_req("t", 0, b2));
    auto req = fetch_req("t", 0, 0);
    req.topics[0].partitions[0].partition_max_bytes = 10;  // smaller than one batch (KIP-74)
    auto resp = fetch(11, req);
    EXPECT_EQ(only_partition(resp).records.to_bytes(), as_stored(b1, 0, 0));
}

TEST_F(produce_fetch_test, transactional_produce_is_refused) {
    auto req = produce_req("t", 0, make_batch(1));
    req.transactional_id = "tx-1";
    auto r = produce(7, req);
    EXPECT_EQ(only_partition(r).error_code, 53);  // TRANSACTIONAL_ID_AUTHORIZATION_FAILED
    EXPECT_EQ(log_end("t", 0), 0);
}

TEST_F(produce_fetch_test, response_max_bytes_spreads_over_partitions) {
    auto b0 = make_batch(1, 1000, 500);
    auto b1 = make_batch(1, 1000, 500);
    produce(7, produce_req("t", 0, b0));
    produce(7, produce_req("t", 1, b1));
    protocol::fetch_request req = fetch_req("t", 0, 0);
    auto& p1 = req.topics[0].partitions.emplace_back();
    p1.partition = 1;
    p1.fetch_offset = 0;
    p1.partition_max_bytes = 1 << 20;
    req.max_bytes = 100;  // below one batch: the first partition still gets its batch (KIP-74)
    auto resp = fetch(11, req);
    ASSERT_EQ(resp.responses.at(0).partitions.size(), 2u);
    const auto& first = resp.responses[0].partitions[0];
    const auto& second = resp.responses[0].partitions[1];
    EXPECT_EQ(first.records.to_bytes(), as_stored(b0, 0, 0));
    EXPECT_EQ(second.partition_index, 1);
    EXPECT_EQ(second.error_code, none);
    EXPECT_EQ(second.records.size(), 0u);
    EXPECT_EQ(second.high_watermark, 1);  // offsets are still reported
    // With room for both, both come back.
    req.max_bytes = 1 << 20;
    auto both = fetch(11, req);
    EXPECT_EQ(both.responses[0].partitions[1].records.to_bytes(), as_stored(b1, 0, 0));
}

TEST_F(produce_fetch_test, long_poll_times_out_after_max_wait_without_records) {
    produce(7, produce_req("t", 0, make_batch(1)));
    reply raw;
    auto resp = fetch(11, fetch_req("t", 0, 1, 500, 1), &raw);
    EXPECT_GE(raw.elapsed.count(), 480);
    EXPECT_LT(raw.elapsed.count(), 2000);
    EXPECT_EQ(only_partition(resp).error_code, none);
    EXPECT_EQ(only_partition(resp).records.size(), 0u);
    EXPECT_EQ(only_partition(resp).high_watermark, 1);
}

TEST_F(produce_fetch_test, long_poll_is_woken_by_a_produce) {
    auto batch = make_batch(2);
    auto fetch_frame = broker_test::encode_frame(fetch_req("t", 0, 0, 3000, 1), 11, 21);
    auto produce_frame = broker_test::encode_frame(produce_req("t", 0, batch), 7, 22);
    reply fetched, produced;
    spawn(fetch_frame, fetched);
    // The produce arrives on another coroutine 100 ms later.
    boost::asio::steady_timer later(io_, std::chrono::milliseconds(100));
    later.async_wait([&](boost::system::error_code) { spawn(produce_frame, produced); });
    run();
    ASSERT_TRUE(fetched.done);
    ASSERT_TRUE(produced.done);
    EXPECT_GE(fetched.elapsed.count(), 90);
    EXPECT_LT(fetched.elapsed.count(), 1500) << "the fetch waited for its deadline instead of being woken";
    auto resp = broker_test::decode_response<protocol::fetch_response>(fetched, 11, 21);
    EXPECT_EQ(only_partition(resp).error_code, none);
    EXPECT_EQ(only_partition(resp).high_watermark, 2);
    EXPECT_EQ(only_partition(resp).records.to_bytes(), as_stored(batch, 0, 0));
    auto presp = broker_test::decode_response<protocol::produce_response>(produced, 7, 22);
    EXPECT_EQ(only_partition(presp).base_offset, 0);
}

TEST_F(produce_fetch_test, long_poll_with_data_available_returns_at_once) {
    produce(7, produce_req("t", 0, make_batch(1)));
    reply raw;
    auto resp = fetch(11, fetch_req("t", 0, 0, 3000, 1), &raw);
    EXPECT_LT(raw.elapsed.count(), 1000);
    EXPECT_GT(only_partition(resp).records.size(), 0u);
}

TEST_F(produce_fetch_test, long_poll_on_an_unknown_partition_does_not_wait) {
    reply raw;
    auto resp = fetch(11, fetch_req("t", 9, 0, 3000, 1), &raw);
    EXPECT_LT(raw.elapsed.count(), 1000);
    EXPECT_EQ(only_partition(resp).error_code, unknown_topic_or_partition);
}

}  // namespace
