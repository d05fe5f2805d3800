// producer_state_manager on its own: the five sequence rules of a leader append, the 5-batch
// window, wrap-around, expiry, and the snapshot format and files.
#include "storage/producer_state.h"

#include <gtest/gtest.h>

#include <climits>

#include "storage/errc.h"
#include "tests/unit/storage/storage_test_util.h"

namespace storage {
namespace {

using namespace storage::test;
using headers = std::vector<producer_batch_header>;

// A batch of n records of producer pid at offsets [first, first + n).
producer_batch_header hdr(int64_t pid, int16_t epoch, int32_t seq, int64_t first, int n = 1,
                          int64_t ts = 1000) {
    return {pid, epoch, seq, first, first + n - 1, ts, false};
}

// Checks b alone and, when accepted, applies it as the log does after the write.
result<std::optional<duplicate_batch>> append(producer_state_manager& m,
                                              const producer_batch_header& b) {
    const headers one{b};
    auto r = m.check(one);
    if (r && !r.value()) m.update(b);
    return r;
}

bool accepted(const result<std::optional<duplicate_batch>>& r) { return r && !r.value(); }

TEST(producer_sequence, last_and_next_sequence_wrap_at_int32_max) {
    EXPECT_EQ(last_sequence(0, 0), 0);
    EXPECT_EQ(last_sequence(10, 4), 14);
    EXPECT_EQ(last_sequence(INT32_MAX, 0), INT32_MAX);
    EXPECT_EQ(last_sequence(INT32_MAX, 1), 0);
    EXPECT_EQ(last_sequence(INT32_MAX - 1, 3), 1);
    EXPECT_EQ(next_sequence(7), 8);
    EXPECT_EQ(next_sequence(INT32_MAX), 0);
}

TEST(producer_state, rule5_unknown_producer_accepts_any_sequence_and_epoch) {
    producer_state_manager m("");
    EXPECT_TRUE(accepted(append(m, hdr(7, 3, 42, 0, 2))));
    const producer_entry* e = m.find(7);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->epoch, 3);
    EXPECT_EQ(e->batches, (std::vector<producer_batch>{{42, 43, 0, 1, 1000}}));
    EXPECT_EQ(e->last_timestamp, 1000);
    EXPECT_EQ(m.find(8), nullptr);
}

TEST(producer_state, rule4_same_epoch_must_continue_the_last_sequence) {
    producer_state_manager m("");
    ASSERT_TRUE(accepted(append(m, hdr(1, 0, 0, 0, 3))));  // seq 0..2
    EXPECT_EQ(append(m, hdr(1, 0, 4, 3)).error(),
              errc::out_of_order_sequence);  // gap
    EXPECT_EQ(append(m, hdr(1, 0, 2, 3)).error(),
              errc::out_of_order_sequence);  // overlap
    EXPECT_EQ(append(m, hdr(1, 0, 1, 3, 2)).error(),
              errc::out_of_order_sequence);  // overlap
    EXPECT_TRUE(accepted(append(m, hdr(1, 0, 3, 3, 2))));
    EXPECT_EQ(m.find(1)->last_seq(), 4);
    // Other producers have their own sequences.
    EXPECT_TRUE(accepted(append(m, hdr(2, 0, 0, 5))));
    EXPECT_TRUE(accepted(append(m, hdr(1, 0, 5, 6))));
}

TEST(producer_state, rule1_older_epoch_is_invalid_producer_epoch_before_anything_else) {
    producer_state_manager m("");
    ASSERT_TRUE(accepted(append(m, hdr(1, 5, 0, 0))));
    // Even a batch that would be in sequence, or a duplicate of a cached batch, is fenced.
    EXPECT_EQ(append(m, hdr(1, 4, 1, 1)).error(), errc::invalid_producer_epoch);
    EXPECT_EQ(append(m, hdr(1, 4, 0, 1)).error(), errc::invalid_producer_epoch);
    EXPECT_EQ(m.find(1)->epoch, 5);
}

TEST(producer_state, rule3_newer_epoch_must_start_at_zero_and_replaces_the_batches) {
    producer_state_manager m("");
    ASSERT_TRUE(accepted(append(m, hdr(1, 0, 0, 0))));
    ASSERT_TRUE(accepted(append(m, hdr(1, 0, 1, 1))));
    EXPECT_EQ(append(m, hdr(1, 1, 2, 2)).error(), errc::out_of_order_sequence);
    EXPECT_EQ(append(m, hdr(1, 1, 5, 2)).error(), errc::out_of_order_sequence);
    // librdkafka bumps its own epoch and restarts at 0: an epoch nobody handed out is fine.
    ASSERT_TRUE(accepted(append(m, hdr(1, 3, 0, 2, 2))));
    EXPECT_EQ(m.find(1)->epoch, 3);
    EXPECT_EQ(m.find(1)->batches, (std::vector<producer_batch>{{0, 1, 2, 3, 1000}}));
    // The old epoch's batches are no duplicates any more: epoch 0 is now fenced.
    EXPECT_EQ(append(m, hdr(1, 0, 1, 4)).error(), errc::invalid_producer_epoch);
}

TEST(producer_state, rule2_retry_of_any_of_the_last_five_batches_is_a_duplicate) {
    producer_state_manager m("");
    for (int i = 0; i < 6; ++i) {
        // Batches of 2 records: seqs 2i..2i+1 at offsets 10i..10i+1 (other producers between).
        ASSERT_TRUE(accepted(append(m, hdr(1, 2, 2 * i, 10 * i, 2, 100 + i))));
    }
    ASSERT_EQ(m.find(1)->batches.size(), producer_batches_retained);
    const producer_state_manager before = m;
    for (int i = 1; i < 6; ++i) {
        auto r = append(m, hdr(1, 2, 2 * i, 999, 2));
        ASSERT_TRUE(r);
        ASSERT_TRUE(r.value()) << i;
        EXPECT_EQ(r.value()->first_offset, 10 * i);
        EXPECT_EQ(r.value()->last_offset, 10 * i + 1);
        EXPECT_EQ(r.value()->max_timestamp, 100 + i);
    }
    EXPECT_EQ(m.entries(), before.entries());  // a duplicate changes nothing
    // The 6th-oldest batch fell out of the window: its retry is just out of order now.
    EXPECT_EQ(append(m, hdr(1, 2, 0, 999, 2)).error(), errc::out_of_order_sequence);
    // Same first sequence but another length is no duplicate either.
    EXPECT_EQ(append(m, hdr(1, 2, 10, 999, 1)).error(), errc::out_of_order_sequence);
}

TEST(producer_state, duplicate_inside_a_longer_append_is_out_of_order) {
    producer_state_manager m("");
    ASSERT_TRUE(accepted(append(m, hdr(1, 0, 0, 0))));
    const headers two{hdr(1, 0, 0, 1), hdr(-1, -1, -1, 2)};
    EXPECT_EQ(m.check(two).error(), errc::out_of_order_sequence);
}

TEST(producer_state, batches_of_one_append_are_checked_against_each_other_without_changing_state) {
    producer_state_manager m("");
    ASSERT_TRUE(accepted(append(m, hdr(1, 0, 0, 0))));
    const headers ok{hdr(1, 0, 1, 1, 2), hdr(2, 0, 9, 3), hdr(1, 0, 3, 4)};
    ASSERT_TRUE(accepted(m.check(ok)));
    EXPECT_EQ(m.find(1)->last_seq(), 0);  // check alone changes nothing
    EXPECT_EQ(m.find(2), nullptr);
    const headers gap{hdr(1, 0, 1, 1), hdr(1, 0, 3, 2)};
    EXPECT_EQ(m.check(gap).error(), errc::out_of_order_sequence);
    // A producer unknown before the append is known to its later batches (rule 5, then 4).
    const headers fresh{hdr(3, 0, 7, 1), hdr(3, 0, 9, 2)};
    EXPECT_EQ(m.check(fresh).error(), errc::out_of_order_sequence);
    // A new epoch followed by an older one within one append.
    const headers fenced{hdr(1, 1, 0, 1), hdr(1, 0, 1, 2)};
    EXPECT_EQ(m.check(fenced).error(), errc::invalid_producer_epoch);
}

TEST(producer_state, wrap_around_from_int32_max_to_zero) {
    producer_state_manager m("");
    ASSERT_TRUE(accepted(append(m, hdr(1, 0, INT32_MAX - 1, 0, 2))));  // ..INT32_MAX
    EXPECT_EQ(m.find(1)->last_seq(), INT32_MAX);
    EXPECT_EQ(append(m, hdr(1, 0, INT32_MAX, 2)).error(), errc::out_of_order_sequence);
    ASSERT_TRUE(accepted(append(m, hdr(1, 0, 0, 2, 3))));
    // A batch crossing the wrap: INT32_MAX, 0, 1.
    producer_state_manager w("");
    ASSERT_TRUE(accepted(append(w, hdr(1, 0, INT32_MAX, 0, 3))));
    EXPECT_EQ(w.find(1)->last_seq(), 1);
    auto dup = append(w, hdr(1, 0, INT32_MAX, 9, 3));
    ASSERT_TRUE(dup && dup.value());
    EXPECT_EQ(dup.value()->first_offset, 0);
    EXPECT_TRUE(accepted(append(w, hdr(1, 0, 2, 3))));
}

TEST(producer_state, untracked_batches_are_ignored) {
    producer_state_manager m("");
    ASSERT_TRUE(accepted(append(m, hdr(1, 0, 0, 0))));
    producer_batch_header control = hdr(1, 0, 50, 1);
    control.is_control = true;
    const headers mixed{hdr(-1, -1, -1, 1, 3), control};
    EXPECT_TRUE(accepted(m.check(mixed)));
    for (const auto& h : mixed) m.update(h);
    EXPECT_EQ(m.size(), 1u);
    EXPECT_EQ(m.find(1)->batches.size(), 1u);
}

TEST(producer_state, producer_id_without_sequence_is_corrupt) {
    producer_state_manager m("");
    EXPECT_EQ(append(m, hdr(1, 0, -1, 0)).error(), errc::corrupt_batch);
}

TEST(producer_state, update_follows_headers_without_checks) {
    producer_state_manager m("");
    m.update(hdr(1, 4, 10, 0));
    m.update(hdr(1, 2, 99,
                 1));  // older epoch and a gap: a follower stores what the leader wrote
    EXPECT_EQ(m.find(1)->epoch, 2);
    EXPECT_EQ(m.find(1)->batches, (std::vector<producer_batch>{{99, 99, 1, 1, 1000}}));
}

TEST(producer_state, expire_removes_producers_idle_for_the_expiration) {
    producer_state_manager m("");
    m.update(hdr(1, 0, 0, 0, 1, 1000));
    m.update(hdr(2, 0, 0, 1, 1, 5000));
    m.update(hdr(3, 0, 0, 2, 1, INT64_MIN));  // nonsense timestamps must not overflow
    EXPECT_EQ(m.expire(1999, 1000),
              1u);  // 3 only: 999 ms < 1000 ms for producer 1
    EXPECT_EQ(m.find(3), nullptr);
    EXPECT_EQ(m.expire(2000, 1000),
              1u);  // idle exactly the expiration: gone (Kafka's >=)
    EXPECT_EQ(m.find(1), nullptr);
    EXPECT_NE(m.find(2), nullptr);
    // The latest batch's timestamp counts, even if an older batch had a larger one.
    m.update(hdr(2, 0, 1, 3, 1, 100));
    EXPECT_EQ(m.expire(2000, 1000), 1u);
    EXPECT_EQ(m.size(), 0u);
}

TEST(producer_state, reapply_expiry_repeats_the_last_cut) {
    producer_state_manager m("");
    m.reapply_expiry();  // no expiry yet: nothing happens
    m.update(hdr(1, 0, 0, 0, 1, 1000));
    EXPECT_EQ(m.size(), 1u);
    EXPECT_EQ(m.expire(10000, 1000), 1u);
    m.update(hdr(1, 0, 1, 1, 1, 1000));  // as a replay would bring it back
    m.update(hdr(2, 0, 0, 2, 1, 9500));
    m.reapply_expiry();
    EXPECT_EQ(m.find(1), nullptr);
    EXPECT_NE(m.find(2), nullptr);
}

producer_map sample_state() {
    producer_state_manager m("");
    for (int i = 0; i < 7; ++i) m.update(hdr(5, 1, 3 * i, 10 * i, 3, 100 * i));
    m.update(hdr(0, 0, INT32_MAX, 100, 2, -1));
    m.update(hdr(INT64_MAX, INT16_MAX, 0, 102, 1, 77));
    return m.entries();
}

TEST(producer_snapshot, encode_decode_round_trip) {
    const producer_map state = sample_state();
    const auto bytes = encode_producer_snapshot(state, 103);
    // Header 18 + 3 producers of 19 + (5 + 1 + 1) batches of 32.
    EXPECT_EQ(bytes.size(), 18u + 3 * 19 + 7 * 32);
    auto back = decode_producer_snapshot(bytes, 103);
    ASSERT_TRUE(back);
    EXPECT_EQ(back.value(), state);
    auto empty = decode_producer_snapshot(encode_producer_snapshot({}, 0), 0);
    ASSERT_TRUE(empty);
    EXPECT_TRUE(empty.value().empty());
}

TEST(producer_snapshot, corrupt_bytes_are_rejected) {
    const auto good = encode_producer_snapshot(sample_state(), 103);
    EXPECT_EQ(decode_producer_snapshot(good, 104).error(),
              errc::corrupt_checkpoint);  // other name
    for (size_t i = 0; i < good.size(); ++i) {
        auto bad = good;
        bad[i] ^= 0x01;
        EXPECT_FALSE(decode_producer_snapshot(bad, 103)) << "flipped byte " << i;
    }
    for (size_t n : {size_t{0}, size_t{5}, size_t{17}, good.size() - 1}) {
        EXPECT_FALSE(decode_producer_snapshot(std::span(good).first(n), 103)) << "cut at " << n;
    }
    auto longer = good;
    longer.push_back(0);
    EXPECT_FALSE(decode_producer_snapshot(longer, 103));
    // Batches at or past the snapshot's own offset cannot be in it.
    EXPECT_FALSE(decode_producer_snapshot(encode_producer_snapshot(sample_state(), 102), 102));
}

TEST(producer_snapshot, files_keep_the_newest_three_and_reload) {
    temp_dir t;
    producer_state_manager m(t.path());
    ASSERT_TRUE(m.scan_snapshots());
    m.update(hdr(1, 0, 0, 0));
    for (int64_t o : {1, 5, 9, 20}) ASSERT_TRUE(m.take_snapshot(o));
    EXPECT_EQ(m.snapshot_offsets(), (std::set<int64_t>{5, 9, 20}));
    EXPECT_FALSE(fs::exists(t.path() / "00000000000000000001.snapshot"));
    EXPECT_TRUE(fs::exists(t.path() / "00000000000000000020.snapshot"));
    EXPECT_FALSE(fs::exists(t.path() / "00000000000000000020.snapshot.tmp"));

    // A leftover tmp from a crash mid-write is removed; other files are left alone.
    write_text(t.path() / "00000000000000000030.snapshot.tmp", "partial");
    write_text(t.path() / "00000000000000000000.log", "");
    producer_state_manager again(t.path());
    ASSERT_TRUE(again.scan_snapshots());
    EXPECT_EQ(again.snapshot_offsets(), (std::set<int64_t>{5, 9, 20}));
    EXPECT_FALSE(fs::exists(t.path() / "00000000000000000030.snapshot.tmp"));
    EXPECT_TRUE(fs::exists(t.path() / "00000000000000000000.log"));

    auto loaded = again.load_latest_snapshot(19);  // 20 is above: 9 is the newest usable
    ASSERT_TRUE(loaded);
    EXPECT_EQ(loaded.value(), 9);
    EXPECT_EQ(again.entries(), m.entries());
    ASSERT_TRUE(again.delete_snapshots_outside(6, 10));
    EXPECT_EQ(again.snapshot_offsets(), (std::set<int64_t>{9}));
    EXPECT_FALSE(fs::exists(t.path() / "00000000000000000005.snapshot"));
    ASSERT_TRUE(again.delete_all_snapshots());
    EXPECT_TRUE(again.snapshot_offsets().empty());
    EXPECT_FALSE(fs::exists(t.path() / "00000000000000000009.snapshot"));
}

TEST(producer_snapshot, corrupt_newest_is_deleted_and_the_next_older_loaded) {
    temp_dir t;
    producer_state_manager m(t.path());
    m.update(hdr(1, 0, 0, 0));
    ASSERT_TRUE(m.take_snapshot(1));
    const producer_map at1 = m.entries();
    m.update(hdr(1, 0, 1, 1));
    ASSERT_TRUE(m.take_snapshot(2));
    flip_byte(t.path() / "00000000000000000002.snapshot", 20);

    producer_state_manager r(t.path());
    ASSERT_TRUE(r.scan_snapshots());
    auto loaded = r.load_latest_snapshot(100);
    ASSERT_TRUE(loaded);
    EXPECT_EQ(loaded.value(), 1);
    EXPECT_EQ(r.entries(), at1);
    EXPECT_FALSE(fs::exists(t.path() / "00000000000000000002.snapshot"));

    // Every snapshot corrupt: none left, empty state (the log then replays from its start).
    truncate_file(t.path() / "00000000000000000001.snapshot", 10);
    producer_state_manager none(t.path());
    ASSERT_TRUE(none.scan_snapshots());
    none.update(hdr(9, 0, 0, 0));
    auto nothing = none.load_latest_snapshot(100);
    ASSERT_TRUE(nothing);
    EXPECT_FALSE(nothing.value());
    EXPECT_EQ(none.size(), 0u);
    EXPECT_TRUE(none.snapshot_offsets().empty());
}

}  // namespace
}  // namespace storage
