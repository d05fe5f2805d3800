// The leader and follower sides of one partition's replication state, on a real log: high
// watermark = minimum log end offset over the ISR, acks=all completion and min.insync.replicas,
// ISR shrink/expand proposals (Kafka's Replica.updateFetchState rules), leader epoch fencing and
// OffsetForLeaderEpoch answers, and follower appends/truncation under an epoch.
#include "tests/unit/broker/broker_test_util.h"

#include "broker/partition.h"
#include "storage/log.h"

namespace {

using broker::leader_and_isr_state;
using broker::partition;
using broker::reader_kind;
using broker_test::make_batch;
using protocol::error_code;

constexpr int32_t me = 1;

class partition_replication_test : public ::testing::Test {
protected:
    void SetUp() override {
        auto l = storage::log::open(dir_.path() / "t-0", storage::log_config{});
        ASSERT_TRUE(l) << l.error().message();
        log_ = std::move(l.value());
        part_ = std::make_unique<partition>("t", 0, log_.get(), me, 0);
    }

    leader_and_isr_state state(int32_t leader, int32_t epoch, std::vector<int32_t> isr, int32_t zk_version = 0) {
        leader_and_isr_state s;
        s.leader = leader;
        s.leader_epoch = epoch;
        s.isr = std::move(isr);
        s.replicas = {1, 2, 3};
        s.zk_version = zk_version;
        return s;
    }
    broker::append_outcome append(int n, int16_t acks = -1) {
        auto b = make_batch(n);
        return part_->append(b, 1 << 20, acks);
    }
    size_t visible_bytes(reader_kind kind) {
        auto r = part_->read(0, 1 << 20, kind);
        EXPECT_EQ(r.error, error_code::none);
        return r.bytes;
    }

    broker_test::temp_dir dir_;
    std::unique_ptr<storage::log> log_;
    std::unique_ptr<partition> part_;
};

TEST_F(partition_replication_test, high_watermark_is_the_minimum_log_end_over_the_isr) {
    ASSERT_EQ(part_->apply(state(me, 0, {1, 2, 3}), 1000), partition::transition::leader);
    auto a = append(5);
    ASSERT_EQ(a.error, error_code::none);
    EXPECT_EQ(a.last_offset, 4);
    EXPECT_EQ(part_->high_watermark(), 0);
    EXPECT_EQ(part_->acks_all_status(5), std::nullopt);
    // Consumers see nothing above the high watermark; followers read to the log end.
    EXPECT_EQ(visible_bytes(reader_kind::consumer), 0u);
    EXPECT_GT(visible_bytes(reader_kind::follower), 0u);

    EXPECT_FALSE(part_->record_follower_fetch(2, 5, 1001));
    EXPECT_EQ(part_->high_watermark(), 0);  // follower 3 has not fetched: its position is unknown
    EXPECT_FALSE(part_->record_follower_fetch(3, 3, 1001));
    EXPECT_EQ(part_->high_watermark(), 3);
    EXPECT_EQ(part_->acks_all_status(5), std::nullopt);
    EXPECT_FALSE(part_->record_follower_fetch(3, 5, 1002));
    EXPECT_EQ(part_->high_watermark(), 5);
    EXPECT_EQ(part_->acks_all_status(5), error_code::none);
    EXPECT_GT(visible_bytes(reader_kind::consumer), 0u);
}

TEST_F(partition_replication_test, acks_all_needs_min_insync_replicas) {
    part_->set_min_insync_replicas(2);
    ASSERT_EQ(part_->apply(state(me, 0, {1}), 1000), partition::transition::leader);
    EXPECT_EQ(append(1, -1).error, error_code::not_enough_replicas);
    EXPECT_EQ(part_->log_end_offset(), 0);  // refused before the append
    auto a = append(1, 1);                 // acks=1 does not care
    EXPECT_EQ(a.error, error_code::none);
    EXPECT_EQ(part_->high_watermark(), 1);  // alone in the ISR: committed at once
    // The ISR shrinks below the minimum after an acks=all append was accepted.
    ASSERT_EQ(part_->apply(state(me, 1, {1, 2}), 2000), partition::transition::leader);
    auto b = append(1, -1);
    ASSERT_EQ(b.error, error_code::none);
    EXPECT_EQ(part_->acks_all_status(b.last_offset + 1), std::nullopt);
    auto shrink = part_->maybe_shrink_isr(2000 + 40000, 30000);
    ASSERT_TRUE(shrink);
    EXPECT_EQ(shrink->isr, std::vector<int32_t>{1});
    part_->isr_write_done(*shrink, 7);
    EXPECT_EQ(part_->isr(), std::vector<int32_t>{1});
    EXPECT_EQ(part_->acks_all_status(b.last_offset + 1), error_code::not_enough_replicas_after_append);
}

TEST_F(partition_replication_test, lagging_followers_leave_the_isr_and_return_when_caught_up) {
    ASSERT_EQ(part_->apply(state(me, 0, {1, 2, 3}, 4), 1000), partition::transition::leader);
    append(10, 1);
    // 2 keeps up, 3 never fetches.
    EXPECT_FALSE(part_->record_follower_fetch(2, 10, 20000));
    EXPECT_FALSE(part_->maybe_shrink_isr(25000, 30000));  // within the lag limit
    auto shrink = part_->maybe_shrink_isr(31001, 30000);
    ASSERT_TRUE(shrink);
    EXPECT_EQ(shrink->isr, (std::vector<int32_t>{1, 2}));
    EXPECT_EQ(shrink->zk_version, 4);
    EXPECT_EQ(shrink->leader, me);
    EXPECT_EQ(shrink->leader_epoch, 0);
    // One change in flight at a time.
    EXPECT_FALSE(part_->maybe_shrink_isr(31002, 30000));
    part_->isr_write_done(*shrink, 5);
    EXPECT_EQ(part_->isr(), (std::vector<int32_t>{1, 2}));
    EXPECT_EQ(part_->high_watermark(), 10);  // 3 no longer holds it back

    // 3 comes back behind the high watermark: not yet; at the high watermark: proposed.
    EXPECT_FALSE(part_->record_follower_fetch(3, 4, 32000));
    auto expand = part_->record_follower_fetch(3, 10, 32100);
    ASSERT_TRUE(expand);
    EXPECT_EQ(expand->isr, (std::vector<int32_t>{1, 2, 3}));
    EXPECT_EQ(expand->zk_version, 5);
    // A failed write (the controller wrote first) leaves the ISR as it was and allows a retry.
    part_->isr_write_done(*expand, std::nullopt);
    EXPECT_EQ(part_->isr(), (std::vector<int32_t>{1, 2}));
    auto again = part_->record_follower_fetch(3, 10, 32200);
    ASSERT_TRUE(again);
    part_->isr_write_done(*again, 6);
    EXPECT_EQ(part_->isr(), (std::vector<int32_t>{1, 2, 3}));
}

TEST_F(partition_replication_test, a_follower_behind_but_keeping_pace_stays_in_sync) {
    // Kafka's rule: fetching at (or past) the leader's end as of the previous fetch counts as
    // caught up at that previous fetch, so steady traffic does not shrink the ISR.
    ASSERT_EQ(part_->apply(state(me, 0, {1, 2}), 0), partition::transition::leader);
    int64_t now = 0;
    int64_t end = 0;
    for (int i = 0; i < 100; ++i) {
        append(1, 1);
        now += 1000;
        EXPECT_FALSE(part_->record_follower_fetch(2, end, now));  // one batch behind every time
        end = part_->log_end_offset();
    }
    EXPECT_FALSE(part_->maybe_shrink_isr(now + 1000, 30000));
}

TEST_F(partition_replication_test, leader_epochs_fence_readers_and_answer_offset_for_leader_epoch) {
    ASSERT_EQ(part_->apply(state(me, 3, {1}), 0), partition::transition::leader);
    append(4, 1);
    ASSERT_EQ(part_->apply(state(me, 5, {1}), 0), partition::transition::leader);
    append(2, 1);
    EXPECT_EQ(part_->read(0, 100, reader_kind::consumer, 4).error, error_code::fenced_leader_epoch);
    EXPECT_EQ(part_->read(0, 100, reader_kind::consumer, 6).error, error_code::unknown_leader_epoch);
    EXPECT_EQ(part_->read(0, 100, reader_kind::consumer, 5).error, error_code::none);

    int32_t epoch = 0;
    int64_t end = 0;
    ASSERT_EQ(part_->end_offset_for_epoch(3, -1, epoch, end), error_code::none);
    EXPECT_EQ(epoch, 3);
    EXPECT_EQ(end, 4);
    ASSERT_EQ(part_->end_offset_for_epoch(4, -1, epoch, end), error_code::none);
    EXPECT_EQ(epoch, 3);  // never led at 4: the largest epoch below it
    EXPECT_EQ(end, 4);
    ASSERT_EQ(part_->end_offset_for_epoch(5, -1, epoch, end), error_code::none);
    EXPECT_EQ(epoch, 5);
    EXPECT_EQ(end, 6);
    ASSERT_EQ(part_->end_offset_for_epoch(2, -1, epoch, end), error_code::none);
    EXPECT_EQ(epoch, -1);
    EXPECT_EQ(end, -1);
    EXPECT_EQ(part_->end_offset_for_epoch(5, 4, epoch, end), error_code::fenced_leader_epoch);
}

TEST_F(partition_replication_test, stale_epochs_are_refused_and_the_same_epoch_changes_nothing) {
    ASSERT_EQ(part_->apply(state(2, 4, {2, 1}), 0), partition::transition::follower);
    EXPECT_EQ(part_->apply(state(me, 3, {1}), 0), partition::transition::stale);
    EXPECT_EQ(part_->apply(state(me, 4, {1}), 0), partition::transition::unchanged);
    EXPECT_FALSE(part_->is_leader());
    EXPECT_EQ(append(1, 1).error, error_code::not_leader_or_follower);
}

TEST_F(partition_replication_test, follower_appends_leader_batches_only_under_its_epoch) {
    // Build the leader's bytes with a second log, as a fetch response would carry them.
    auto leader_log = storage::log::open(dir_.path() / "leader-0", storage::log_config{}).value();
    auto b1 = make_batch(3);
    ASSERT_TRUE(leader_log->append(b1, 7, 0));
    auto read = leader_log->read(0, 1 << 20, leader_log->log_end_offset());
    ASSERT_TRUE(read);
    auto bytes = storage::read_slices(read.value()).value();

    ASSERT_EQ(part_->apply(state(2, 7, {2, 1}), 0), partition::transition::follower);
    EXPECT_EQ(part_->append_as_follower(bytes, 2, -1, 6, 0), error_code::fenced_leader_epoch);
    EXPECT_EQ(part_->log_end_offset(), 0);
    EXPECT_EQ(part_->append_as_follower(bytes, 2, -1, 7, 0), error_code::none);
    EXPECT_EQ(part_->log_end_offset(), 3);
    EXPECT_EQ(part_->high_watermark(), 2);  // the leader's, as it said
    EXPECT_EQ(part_->latest_log_epoch(), 7);
    // Followers serve no clients.
    EXPECT_EQ(part_->read(0, 100, reader_kind::consumer).error, error_code::not_leader_or_follower);
    // Truncation under the epoch only.
    EXPECT_EQ(part_->truncate_as_follower(0, 6), error_code::fenced_leader_epoch);
    EXPECT_EQ(part_->truncate_as_follower(0, 7), error_code::none);
    EXPECT_EQ(part_->log_end_offset(), 0);
    EXPECT_EQ(part_->high_watermark(), 0);
    EXPECT_EQ(part_->latest_log_epoch(), -1);
}

TEST_F(partition_replication_test, follower_follows_the_leaders_log_start_inside_a_segment) {
    auto leader_log = storage::log::open(dir_.path() / "leader-0", storage::log_config{}).value();
    auto b1 = make_batch(5);
    ASSERT_TRUE(leader_log->append(b1, 7, 0));
    auto bytes = storage::read_slices(leader_log->read(0, 1 << 20, 5).value()).value();
    ASSERT_EQ(part_->apply(state(2, 7, {2, 1}), 0), partition::transition::follower);
    // The leader's log start 3 (DeleteRecords) is inside our only segment; capped at our high watermark.
    ASSERT_EQ(part_->append_as_follower(bytes, 2, 3, 7, 0), error_code::none);
    EXPECT_EQ(part_->log_start_offset(), 2);
    ASSERT_EQ(part_->append_as_follower({}, 5, 3, 7, 0), error_code::none);
    EXPECT_EQ(part_->log_start_offset(), 3);
    EXPECT_EQ(log_->segment_count(), 1u);
}

TEST_F(partition_replication_test, follower_behind_the_leaders_log_start_restarts_there) {
    ASSERT_EQ(part_->apply(state(2, 7, {2, 1}), 0), partition::transition::follower);
    EXPECT_EQ(part_->restart_as_follower_at(40, 6), error_code::fenced_leader_epoch);
    EXPECT_EQ(part_->restart_as_follower_at(40, 7), error_code::none);
    EXPECT_EQ(part_->log_start_offset(), 40);
    EXPECT_EQ(part_->log_end_offset(), 40);
    EXPECT_EQ(part_->high_watermark(), 40);
    // At or below our end it changes nothing.
    EXPECT_EQ(part_->restart_as_follower_at(10, 7), error_code::none);
    EXPECT_EQ(part_->log_start_offset(), 40);
}

}  // namespace
