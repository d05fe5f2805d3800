// replica_manager::apply: logs follow the cluster metadata (created, kept, deleted) and partition
// roles follow the partition state; handlers see the result.
#include "protocol/messages/fetch.h"
#include "protocol/messages/list_offsets.h"
#include "protocol/messages/produce.h"
#include "tests/unit/broker/broker_test_util.h"

namespace {

using broker_test::broker_fixture;
using broker_test::make_batch;
using broker_test::partition_spec;
using broker_test::reply;

constexpr int16_t unknown_topic_or_partition = 3;
constexpr int16_t not_leader_or_follower = 6;

class replica_manager_test : public broker_fixture {
protected:
    std::filesystem::path log_dir(const std::string& topic, int32_t p) const {
        return dir_.path() / (topic + "-" + std::to_string(p));
    }

    protocol::produce_response::topic_produce_response::partition_produce_response produce(
        const std::string& topic, int32_t p, const std::vector<uint8_t>& batch) {
        protocol::produce_request req;
        req.acks = 1;
        auto& t = req.topic_data.emplace_back();
        t.name = topic;
        auto& pd = t.partition_data.emplace_back();
        pd.index = p;
        pd.records = protocol::record_set::owned(batch);
        auto resp = broker_test::decode_response<protocol::produce_response>(send(req, 7), 7);
        return resp.responses.at(0).partition_responses.at(0);
    }

    static protocol::fetch_request fetch_req(const std::string& topic, int32_t p, int64_t offset,
                                             int32_t max_wait_ms = 0, int32_t min_bytes = 0) {
        protocol::fetch_request req;
        req.replica_id = -1;
        req.max_wait_ms = max_wait_ms;
        req.min_bytes = min_bytes;
        auto& t = req.topics.emplace_back();
        t.topic = topic;
        auto& fp = t.partitions.emplace_back();
        fp.partition = p;
        fp.fetch_offset = offset;
        fp.partition_max_bytes = 1 << 20;
        return req;
    }

    protocol::fetch_response::fetchable_topic_response::partition_data fetch(const std::string& topic, int32_t p,
                                                                             int64_t offset) {
        auto resp = broker_test::decode_response<protocol::fetch_response>(send(fetch_req(topic, p, offset), 11), 11);
        return resp.responses.at(0).partitions.at(0);
    }

    int16_t list_latest_error(const std::string& topic, int32_t p) {
        protocol::list_offsets_request req;
        req.replica_id = -1;
        auto& t = req.topics.emplace_back();
        t.name = topic;
        auto& lp = t.partitions.emplace_back();
        lp.partition_index = p;
        lp.timestamp = -1;
        auto resp = broker_test::decode_response<protocol::list_offsets_response>(send(req, 1), 1);
        return resp.topics.at(0).partitions.at(0).error_code;
    }
};

TEST_F(replica_manager_test, apply_opens_logs_for_hosted_replicas_only) {
    publish({{"t", {partition_spec{{1}}, partition_spec{{2, 1}, 2}, partition_spec{{2, 3}, 2}}}}, {1, 2, 3});
    EXPECT_EQ(replicas_->partition_count(), 2u);
    ASSERT_NE(replicas_->get("t", 0), nullptr);
    ASSERT_NE(replicas_->get("t", 1), nullptr);
    EXPECT_EQ(replicas_->get("t", 2), nullptr);
    EXPECT_EQ(replicas_->get("other", 0), nullptr);
    EXPECT_TRUE(std::filesystem::is_directory(log_dir("t", 0)));
    EXPECT_TRUE(std::filesystem::is_directory(log_dir("t", 1)));
    EXPECT_FALSE(std::filesystem::exists(log_dir("t", 2)));
    EXPECT_TRUE(replicas_->get("t", 0)->is_leader());
    EXPECT_FALSE(replicas_->get("t", 1)->is_leader());
    EXPECT_EQ(replicas_->get("t", 0)->topic(), "t");
    EXPECT_EQ(replicas_->get("t", 1)->index(), 1);
}

TEST_F(replica_manager_test, reapplying_the_same_snapshot_keeps_the_same_partition_and_data) {
    publish_led_topic("t", 1);
    auto before = replicas_->get("t", 0);
    ASSERT_EQ(produce("t", 0, make_batch(3)).error_code, 0);
    publish_led_topic("t", 1);
    EXPECT_EQ(replicas_->get("t", 0), before);
    EXPECT_EQ(log_end("t", 0), 3);
}

TEST_F(replica_manager_test, removed_topic_loses_its_log_directory) {
    publish({{"gone", {partition_spec{}, partition_spec{}}}, {"kept", {partition_spec{}}}});
    ASSERT_EQ(produce("gone", 0, make_batch(2)).error_code, 0);
    ASSERT_EQ(produce("kept", 0, make_batch(2)).error_code, 0);
    auto held = replicas_->get("gone", 0);  // as a handler in flight might hold it
    ASSERT_TRUE(std::filesystem::is_directory(log_dir("gone", 0)));

    publish({{"kept", {partition_spec{}}}});
    EXPECT_EQ(replicas_->get("gone", 0), nullptr);
    EXPECT_EQ(replicas_->get("gone", 1), nullptr);
    EXPECT_FALSE(std::filesystem::exists(log_dir("gone", 0)));
    EXPECT_FALSE(std::filesystem::exists(log_dir("gone", 1)));
    EXPECT_EQ(logs_->get("gone", 0), nullptr);
    EXPECT_EQ(replicas_->partition_count(), 1u);
    // The other topic is untouched.
    EXPECT_TRUE(std::filesystem::is_directory(log_dir("kept", 0)));
    EXPECT_EQ(log_end("kept", 0), 2);
    // Handlers see the topic as unknown.
    EXPECT_EQ(produce("gone", 0, make_batch(1)).error_code, unknown_topic_or_partition);
    EXPECT_EQ(fetch("gone", 0, 0).error_code, unknown_topic_or_partition);
    // A partition object still held after deletion is detached, never touches the freed log.
    ASSERT_NE(held, nullptr);
    auto batch = make_batch(1);
    EXPECT_EQ(held->append(batch, 1 << 20, 1).error, protocol::error_code::unknown_topic_or_partition);
    EXPECT_EQ(held->read(0, 100, broker::reader_kind::consumer).error, protocol::error_code::unknown_topic_or_partition);
    EXPECT_FALSE(held->is_leader());
    EXPECT_EQ(held->high_watermark(), -1);

    // Re-created under the same name: a new, empty log.
    publish({{"gone", {partition_spec{}}}, {"kept", {partition_spec{}}}});
    ASSERT_NE(replicas_->get("gone", 0), nullptr);
    EXPECT_EQ(log_end("gone", 0), 0);
    EXPECT_EQ(produce("gone", 0, make_batch(1)).base_offset, 0);
}

TEST_F(replica_manager_test, partition_reassigned_away_is_dropped) {
    publish({{"t", {partition_spec{{1}}, partition_spec{{1}}}}}, {1, 2});
    ASSERT_TRUE(std::filesystem::is_directory(log_dir("t", 1)));
    publish({{"t", {partition_spec{{1}}, partition_spec{{2}, 2}}}}, {1, 2});
    EXPECT_NE(replicas_->get("t", 0), nullptr);
    EXPECT_EQ(replicas_->get("t", 1), nullptr);
    EXPECT_FALSE(std::filesystem::exists(log_dir("t", 1)));
    EXPECT_TRUE(std::filesystem::is_directory(log_dir("t", 0)));
}

TEST_F(replica_manager_test, unknown_logs_on_disk_are_kept_at_first_snapshot) {
    storage::log_config lc;
    ASSERT_TRUE(logs_->get_or_create("orphan", 0, lc).has_value());
    ASSERT_TRUE(std::filesystem::is_directory(log_dir("orphan", 0)));
    publish_led_topic("t", 1);
    EXPECT_TRUE(std::filesystem::is_directory(log_dir("orphan", 0)));
    EXPECT_NE(logs_->get("orphan", 0), nullptr);
    EXPECT_EQ(replicas_->get("orphan", 0), nullptr);
}

TEST_F(replica_manager_test, role_follows_partition_state) {
    // Broker 2 leads, we follow.
    publish({{"t", {partition_spec{{2, 1}, 2, 3}}}}, {1, 2});
    auto part = replicas_->get("t", 0);
    ASSERT_NE(part, nullptr);
    EXPECT_FALSE(part->is_leader());
    EXPECT_EQ(part->leader_epoch(), 3);
    EXPECT_EQ(produce("t", 0, make_batch(1)).error_code, not_leader_or_follower);
    EXPECT_EQ(fetch("t", 0, 0).error_code, not_leader_or_follower);
    EXPECT_EQ(list_latest_error("t", 0), not_leader_or_follower);
    EXPECT_EQ(log_end("t", 0), 0);

    // Leadership moves to us at epoch 5: produce works and batches carry the epoch.
    publish({{"t", {partition_spec{{2, 1}, 1, 5}}}}, {1, 2});
    EXPECT_EQ(replicas_->get("t", 0), part);
    EXPECT_TRUE(part->is_leader());
    EXPECT_EQ(part->leader_epoch(), 5);
    auto r = produce("t", 0, make_batch(2));
    EXPECT_EQ(r.error_code, 0);
    EXPECT_EQ(r.base_offset, 0);
    // Broker 2 is in the ISR and has not fetched: nothing is committed, consumers see nothing.
    EXPECT_EQ(part->high_watermark(), 0);
    EXPECT_TRUE(fetch("t", 0, 0).records.to_bytes().empty());
    // Its fetch from offset 2 says it has both records: the high watermark moves to 2.
    replicas_->follower_fetched(part, 2, 2);
    EXPECT_EQ(part->high_watermark(), 2);
    auto f = fetch("t", 0, 0);
    EXPECT_EQ(f.error_code, 0);
    auto bytes = f.records.to_bytes();
    ASSERT_FALSE(bytes.empty());
    EXPECT_EQ(protocol::records::batch_view(bytes).partition_leader_epoch(), 5);
    EXPECT_EQ(list_latest_error("t", 0), 0);

    // And away again; the data stays.
    publish({{"t", {partition_spec{{2, 1}, 2, 6}}}}, {1, 2});
    EXPECT_FALSE(part->is_leader());
    EXPECT_EQ(produce("t", 0, make_batch(1)).error_code, not_leader_or_follower);
    EXPECT_EQ(part->log_end_offset(), 2);
    EXPECT_TRUE(std::filesystem::is_directory(log_dir("t", 0)));
}

TEST_F(replica_manager_test, no_partition_state_means_follower) {
    publish({{"t", {partition_spec{{1}, std::nullopt}}}});
    auto part = replicas_->get("t", 0);
    ASSERT_NE(part, nullptr);
    EXPECT_FALSE(part->is_leader());
    EXPECT_EQ(produce("t", 0, make_batch(1)).error_code, not_leader_or_follower);
}

TEST_F(replica_manager_test, parked_fetch_is_woken_by_losing_leadership) {
    publish({{"t", {partition_spec{{1, 2}, 1, 0}}}}, {1, 2});
    auto frame = broker_test::encode_frame(fetch_req("t", 0, 0, 3000, 1), 11);
    reply r;
    spawn(frame, r);
    boost::asio::steady_timer later(io_, std::chrono::milliseconds(100));
    later.async_wait([&](boost::system::error_code) { publish({{"t", {partition_spec{{1, 2}, 2, 1}}}}, {1, 2}); });
    run();
    ASSERT_TRUE(r.done);
    EXPECT_LT(r.elapsed.count(), 1500);
    auto resp = broker_test::decode_response<protocol::fetch_response>(r, 11);
    EXPECT_EQ(resp.responses.at(0).partitions.at(0).error_code, not_leader_or_follower);
}

TEST_F(replica_manager_test, parked_fetch_is_woken_by_topic_deletion) {
    publish_led_topic("t", 1);
    auto frame = broker_test::encode_frame(fetch_req("t", 0, 0, 3000, 1), 11);
    reply r;
    spawn(frame, r);
    boost::asio::steady_timer later(io_, std::chrono::milliseconds(100));
    later.async_wait([&](boost::system::error_code) { publish({}); });
    run();
    ASSERT_TRUE(r.done);
    EXPECT_LT(r.elapsed.count(), 1500);
    auto resp = broker_test::decode_response<protocol::fetch_response>(r, 11);
    EXPECT_EQ(resp.responses.at(0).partitions.at(0).error_code, unknown_topic_or_partition);
    EXPECT_FALSE(std::filesystem::exists(log_dir("t", 0)));
}

TEST_F(replica_manager_test, data_survives_a_restart) {
    publish_led_topic("t", 1);
    ASSERT_EQ(produce("t", 0, make_batch(4)).error_code, 0);
    // New log manager and replica manager on the same directory, as after a broker restart.
    handlers_.reset();
    dispatcher_.reset();
    replicas_.reset();
    ASSERT_TRUE(logs_->shutdown().has_value());
    logs_.reset();
    open_logs();
    handlers_ = std::make_unique<broker::handlers>(
        broker::handler_context{cfg_, metadata_, *replicas_, *topics_, metrics_});
    dispatcher_ = std::make_unique<broker::request_dispatcher>(*handlers_);
    publish_led_topic("t", 1);
    EXPECT_EQ(log_end("t", 0), 4);
    EXPECT_EQ(produce("t", 0, make_batch(1)).base_offset, 4);
}

}  // namespace

namespace {
// Retention on the leader: closed segments past the topic's retention.ms go (never the active
// one, never above the high watermark), the topic's segment.bytes sizes the log, and a
// compacted topic keeps everything.
TEST_F(replica_manager_test, retention_deletes_old_segments_of_delete_topics_only) {
    broker::replica_manager::topic_log_config deleting;
    deleting.segment_bytes = 1024;
    deleting.retention_ms = 1000;
    replicas_->set_topic_log_config("short", deleting);
    broker::replica_manager::topic_log_config compacted = deleting;
    compacted.cleanup_policy = "compact";
    replicas_->set_topic_log_config("kept", compacted);
    publish({{"short", {partition_spec{{1}}}}, {"kept", {partition_spec{{1}}}}}, {1});
    for (int i = 0; i < 20; ++i) {
        ASSERT_EQ(produce("short", 0, make_batch(4, 1000, 100)).error_code, 0);
        ASSERT_EQ(produce("kept", 0, make_batch(4, 1000, 100)).error_code, 0);
    }
    auto part = replicas_->get("short", 0);
    const int64_t end = part->log_end_offset();
    EXPECT_GT(replicas_->enforce_retention(1'000'000), 0u);  // timestamps of 1970 + 1 s: expired
    EXPECT_GT(part->log_start_offset(), 0);
    EXPECT_EQ(part->log_end_offset(), end);
    EXPECT_EQ(replicas_->get("kept", 0)->log_start_offset(), 0);
    // Below the log start a consumer gets OFFSET_OUT_OF_RANGE (1).
    EXPECT_EQ(fetch("short", 0, 0).error_code, 1);
    EXPECT_EQ(fetch("short", 0, part->log_start_offset()).error_code, 0);
}
}  // namespace
