// Idempotent producers through the dispatcher: InitProducerId hands out distinct ids at epoch 0
// (from the block claimed in the in-memory ZooKeeper), a replayed batch is answered with its first
// offset and appended once, a sequence gap and an older epoch are refused, and a transactional
// id is refused (no transaction coordinator yet).
#include "protocol/messages/init_producer_id.h"
#include "protocol/messages/produce.h"
#include "protocol/records/record_batch_builder.h"
#include "tests/unit/broker/broker_test_util.h"

namespace {

using broker_test::broker_fixture;
namespace records = protocol::records;

constexpr int16_t none = 0;
constexpr int16_t out_of_order_sequence_number = 45;
constexpr int16_t invalid_producer_epoch = 47;
constexpr int16_t transactional_id_authorization_failed = 53;

std::vector<uint8_t> idempotent_batch(int64_t pid, int16_t epoch, int32_t first_seq, int n) {
    records::record_batch_builder b;
    b.set_producer(pid, epoch, first_seq);
    std::vector<std::string> values;
    for (int i = 0; i < n; ++i) values.push_back("v" + std::to_string(first_seq + i));
    for (int i = 0; i < n; ++i) {
        records::record_input r;
        r.value = records::as_bytes(values[static_cast<size_t>(i)]);
        r.timestamp = 1000 + i;
        b.add(r);
    }
    return b.build();
}

class idempotent_produce_test : public broker_fixture {
protected:
    void SetUp() override { publish_led_topic("t", 1); }

    protocol::init_producer_id_response init(int16_t version, std::optional<std::string> txn = std::nullopt) {
        protocol::init_producer_id_request req;
        req.transactional_id = std::move(txn);
        req.transaction_timeout_ms = 60000;
        auto r = send(req, version);
        return broker_test::decode_response<protocol::init_producer_id_response>(r, version);
    }
    std::pair<int16_t, int64_t> produce(const std::vector<uint8_t>& batch) {
        protocol::produce_request req;
        req.acks = -1;
        req.timeout_ms = 1000;
        auto& t = req.topic_data.emplace_back();
        t.name = "t";
        auto& p = t.partition_data.emplace_back();
        p.index = 0;
        p.records = protocol::record_set::owned(batch);
        auto r = send(req, 7);
        auto resp = broker_test::decode_response<protocol::produce_response>(r, 7);
        const auto& pr = resp.responses.at(0).partition_responses.at(0);
        return {pr.error_code, pr.base_offset};
    }
};

TEST_F(idempotent_produce_test, init_producer_id_hands_out_distinct_ids_at_epoch_0) {
    std::set<int64_t> ids;
    for (int16_t v : {0, 1}) {
        for (int i = 0; i < 5; ++i) {
            auto r = init(v);
            EXPECT_EQ(r.error_code, none);
            EXPECT_EQ(r.producer_epoch, 0);
            EXPECT_GE(r.producer_id, 0);
            ids.insert(r.producer_id);
        }
    }
    EXPECT_EQ(ids.size(), 10u);
    auto txn = init(1, "orders-txn");
    EXPECT_EQ(txn.error_code, transactional_id_authorization_failed);
    EXPECT_EQ(txn.producer_id, -1);
}

TEST_F(idempotent_produce_test, a_replayed_batch_gets_its_first_offset_and_is_stored_once) {
    const int64_t pid = init(1).producer_id;
    auto first = idempotent_batch(pid, 0, 0, 10);
    EXPECT_EQ(produce(first), (std::pair<int16_t, int64_t>{none, 0}));
    EXPECT_EQ(produce(idempotent_batch(pid, 0, 10, 5)), (std::pair<int16_t, int64_t>{none, 10}));
    EXPECT_EQ(log_end("t", 0), 15);
    // The retry of the first batch (a lost response): same answer, nothing appended.
    EXPECT_EQ(produce(first), (std::pair<int16_t, int64_t>{none, 0}));
    EXPECT_EQ(log_end("t", 0), 15);
    EXPECT_EQ(metrics_.duplicate_batches.load(), 1u);
    // A gap in the sequence.
    EXPECT_EQ(produce(idempotent_batch(pid, 0, 20, 1)).first, out_of_order_sequence_number);
    EXPECT_EQ(log_end("t", 0), 15);
    // librdkafka bumps its own epoch and restarts at sequence 0: accepted.
    EXPECT_EQ(produce(idempotent_batch(pid, 1, 0, 2)), (std::pair<int16_t, int64_t>{none, 15}));
    // The old epoch is fenced now.
    EXPECT_EQ(produce(idempotent_batch(pid, 0, 15, 1)).first, invalid_producer_epoch);
    // A new epoch must start at sequence 0.
    EXPECT_EQ(produce(idempotent_batch(pid, 2, 5, 1)).first, out_of_order_sequence_number);
    EXPECT_EQ(log_end("t", 0), 17);
}

}  // namespace
