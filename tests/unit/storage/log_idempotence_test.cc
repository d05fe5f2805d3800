// Idempotent producer state in log: sequence checks on leader appends, follower appends without
// checks, snapshots at roll and close, rebuild on open (clean, crash, corrupt snapshots),
// truncation, expiry and retention.
#include <gtest/gtest.h>

#include <map>

#include "storage/errc.h"
#include "storage/file_names.h"
#include "storage/log.h"
#include "tests/unit/storage/storage_test_util.h"

namespace storage {
namespace {

using namespace storage::test;

std::unique_ptr<log> open_log(const fs::path& dir, log_config cfg = {},
                              shutdown_state st = shutdown_state::unclean) {
    auto r = log::open(dir, cfg, st, 0);
    EXPECT_TRUE(r) << (r ? "" : r.error().message());
    return r ? std::move(r).value() : nullptr;
}

result<append_result> produce(log& l, int64_t pid, int16_t epoch, int32_t seq, int n = 1,
                              int64_t ts = 1000) {
    auto b = make_producer_batch(pid, epoch, seq, n, ts);
    return l.append(b, 0, 0);
}

// Appends and expects success; returns the first offset.
int64_t produce_ok(log& l, int64_t pid, int16_t epoch, int32_t seq, int n = 1, int64_t ts = 1000) {
    auto r = produce(l, pid, epoch, seq, n, ts);
    EXPECT_TRUE(r) << (r ? "" : r.error().message());
    EXPECT_FALSE(r && r.value().duplicate);
    return r ? r.value().first_offset : -1;
}

std::set<int64_t> snapshot_files(const fs::path& dir) {
    std::set<int64_t> out;
    for (const auto& e : fs::directory_iterator(dir)) {
        if (auto o = parse_segment_file(e.path().filename().string(), ".snapshot")) out.insert(*o);
    }
    return out;
}

void remove_snapshot_files(const fs::path& dir) {
    for (int64_t o : snapshot_files(dir)) fs::remove(segment_file(dir, o, ".snapshot"));
}

// Three producers interleaved with plain batches (over several segments with small_segments());
// producer 3 bumps its epoch every 5 rounds. A second call continues with round `from`.
void fill(log& l, int rounds, int from = 0) {
    for (int i = from; i < from + rounds; ++i) {
        produce_ok(l, 1, 0, 2 * i, 2, 1000 + i);
        auto plain = make_batch(1 + i % 3, 1000 + i);
        ASSERT_TRUE(l.append(plain, 0, 0));
        produce_ok(l, 2, 7, i, 1, 2000 + i);
        produce_ok(l, 3, static_cast<int16_t>(i / 5), i % 5, 1, 3000 + i);
    }
}

log_config small_segments() {
    log_config cfg;
    cfg.segment_bytes = 600;
    return cfg;
}

TEST(log_idempotence, leader_append_checks_sequences_and_answers_duplicates) {
    temp_dir t;
    auto l = open_log(t.path());
    EXPECT_EQ(produce_ok(*l, 1, 0, 0, 2, 500), 0);  // offsets 0..1
    auto plain = make_batch(3);
    ASSERT_TRUE(l->append(plain, 0, 0));  // 2..4, not tracked
    EXPECT_EQ(produce_ok(*l, 1, 0, 2), 5);
    const auto bytes = read_all(*l, 0);

    // Rule 2: the retry answers the original offsets and writes nothing.
    auto dup = produce(*l, 1, 0, 0, 2);
    ASSERT_TRUE(dup);
    EXPECT_TRUE(dup.value().duplicate);
    EXPECT_EQ(dup.value().first_offset, 0);
    EXPECT_EQ(dup.value().last_offset, 1);
    EXPECT_EQ(dup.value().max_timestamp, 501);
    EXPECT_EQ(dup.value().record_count, 0);
    EXPECT_EQ(dup.value().size_bytes, 0u);
    EXPECT_EQ(l->log_end_offset(), 6);
    EXPECT_EQ(read_all(*l, 0), bytes);

    // Rule 4: a gap.
    EXPECT_EQ(produce(*l, 1, 0, 4).error(), errc::out_of_order_sequence);
    // Rule 3: a new epoch must start at 0.
    EXPECT_EQ(produce(*l, 1, 1, 3).error(), errc::out_of_order_sequence);
    EXPECT_EQ(produce_ok(*l, 1, 1, 0), 6);
    // Rule 1: the old epoch is fenced now.
    EXPECT_EQ(produce(*l, 1, 0, 3).error(), errc::invalid_producer_epoch);
    // Rule 5: an unknown producer starts anywhere.
    EXPECT_EQ(produce_ok(*l, 2, 4, 1000), 7);
    EXPECT_EQ(l->log_end_offset(), 8);
    EXPECT_EQ(l->producers().size(), 2u);
    EXPECT_EQ(l->producers().find(1)->epoch, 1);
}

TEST(log_idempotence, multi_batch_append_is_all_or_nothing) {
    temp_dir t;
    auto l = open_log(t.path());
    produce_ok(*l, 1, 0, 0);
    const auto before = l->producers().entries();
    auto gap = concat({make_producer_batch(1, 0, 1), make_producer_batch(1, 0, 3)});
    EXPECT_EQ(l->append(gap, 0, 0).error(), errc::out_of_order_sequence);
    auto with_dup = concat({make_batch(1), make_producer_batch(1, 0, 0)});
    EXPECT_EQ(l->append(with_dup, 0, 0).error(), errc::out_of_order_sequence);
    EXPECT_EQ(l->log_end_offset(), 1);
    EXPECT_EQ(l->producers().entries(), before);

    auto two = concat({make_producer_batch(1, 0, 1, 2), make_producer_batch(1, 0, 3)});
    auto r = l->append(two, 0, 0);
    ASSERT_TRUE(r);
    EXPECT_EQ(r.value().first_offset, 1);
    EXPECT_EQ(r.value().last_offset, 3);
    EXPECT_EQ(
        l->producers().find(1)->batches,
        (std::vector<producer_batch>{{0, 0, 0, 0, 1000}, {1, 2, 1, 2, 1001}, {3, 3, 3, 3, 1000}}));
}

TEST(log_idempotence, duplicate_needs_the_same_epoch_and_range_within_the_last_five) {
    temp_dir t;
    auto l = open_log(t.path());
    for (int i = 0; i < 6; ++i) produce_ok(*l, 1, 0, i);
    for (int i = 1; i < 6; ++i) {
        auto r = produce(*l, 1, 0, i);
        ASSERT_TRUE(r);
        EXPECT_TRUE(r.value().duplicate);
        EXPECT_EQ(r.value().first_offset, i);
    }
    EXPECT_EQ(produce(*l, 1, 0, 0).error(), errc::out_of_order_sequence);
    EXPECT_EQ(l->log_end_offset(), 6);
}

TEST(log_idempotence, follower_appends_follow_headers_without_checks) {
    temp_dir t;
    auto leader = open_log(t.path() / "leader", small_segments());
    auto follower = open_log(t.path() / "follower", small_segments());
    fill(*leader, 8);
    while (follower->log_end_offset() < leader->log_end_offset()) {
        ASSERT_TRUE(
            follower->append_as_follower(read_all(*leader, follower->log_end_offset(), 1), 0));
    }
    EXPECT_EQ(follower->producers().entries(), leader->producers().entries());
    EXPECT_EQ(follower->producers().size(), 3u);

    // Batches a leader would refuse (older epoch, sequence gap) are stored and tracked as they are.
    const int64_t end = follower->log_end_offset();
    auto older = make_producer_batch(3, 0, 99);
    rec::mutable_batch_view(older).set_base_offset(end);
    auto gap = make_producer_batch(2, 7, 500);
    rec::mutable_batch_view(gap).set_base_offset(end + 1);
    auto r = follower->append_as_follower(concat({older, gap}), 0);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(follower->producers().find(3)->epoch, 0);
    EXPECT_EQ(follower->producers().find(3)->batches,
              (std::vector<producer_batch>{{99, 99, end, end, 1000}}));
    EXPECT_EQ(follower->producers().find(2)->last_seq(), 500);
}

TEST(log_idempotence, restart_after_close_rebuilds_identical_state) {
    for (auto st : {shutdown_state::clean, shutdown_state::unclean}) {
        temp_dir t;
        producer_map live;
        int64_t end = 0;
        {
            auto l = open_log(t.path(), small_segments());
            fill(*l, 10);
            ASSERT_GT(l->segment_count(), 3u);
            live = l->producers().entries();
            end = l->log_end_offset();
            l->close();
        }
        EXPECT_TRUE(snapshot_files(t.path()).contains(end));  // written by close()
        auto l = open_log(t.path(), small_segments(), st);
        EXPECT_EQ(l->producers().entries(), live);
        // And it still knows the retries.
        auto dup = produce(*l, 2, 7, 9);
        ASSERT_TRUE(dup);
        EXPECT_TRUE(dup.value().duplicate);
    }
}

TEST(log_idempotence, crash_without_close_rebuilds_identical_state) {
    temp_dir t;
    auto l = open_log(t.path() / "live", small_segments());
    fill(*l, 10);
    copy_dir(t.path() / "live", t.path() / "crashed");  // no close, no flush
    // Only roll snapshots exist: the crashed copy replays its active segment.
    EXPECT_FALSE(snapshot_files(t.path() / "crashed").contains(l->log_end_offset()));
    auto c = open_log(t.path() / "crashed", small_segments());
    EXPECT_EQ(c->log_end_offset(), l->log_end_offset());
    EXPECT_EQ(c->producers().entries(), l->producers().entries());
}

TEST(log_idempotence, without_any_snapshot_open_replays_from_the_log_start) {
    temp_dir t;
    producer_map live;
    {
        auto l = open_log(t.path(), small_segments());
        fill(*l, 10);
        live = l->producers().entries();
    }
    remove_snapshot_files(t.path());
    auto l = open_log(t.path(), small_segments());
    EXPECT_EQ(l->producers().entries(), live);
}

TEST(log_idempotence, replay_reads_headers_across_buffer_refills_and_large_batches) {
    temp_dir t;
    producer_map live;
    {
        auto l = open_log(t.path());  // one segment
        std::vector<int32_t> next(7, 0);
        for (int i = 0; i < 1500; ++i) {
            const int n = 1 + i % 3;
            produce_ok(*l, i % 7, 0, next[i % 7], n, i);
            next[i % 7] += n;
            if (i % 300 == 0) {  // batches larger than the 64 KiB read buffer
                auto big = make_batch(1, i, "big", 100 * 1024);
                ASSERT_TRUE(l->append(big, 0, 0));
            }
        }
        ASSERT_EQ(l->segment_count(), 1u);
        ASSERT_GT(l->size_bytes(), 8 * 64 * 1024);
        live = l->producers().entries();
    }
    remove_snapshot_files(t.path());
    auto l = open_log(t.path());
    EXPECT_EQ(l->producers().entries(), live);
}

TEST(log_idempotence, open_loads_the_newest_snapshot_and_replays_only_after_it) {
    temp_dir t;
    auto l = open_log(t.path() / "live", small_segments());
    fill(*l, 10);
    copy_dir(t.path() / "live", t.path() / "crashed");
    // Plant a producer in the newest snapshot (the active segment's base): it can only come from
    // there, and everything after the snapshot must still be replayed on top.
    const fs::path dir = t.path() / "crashed";
    ASSERT_FALSE(snapshot_files(dir).empty());
    const int64_t newest = *snapshot_files(dir).rbegin();
    EXPECT_EQ(newest, l->segment_base_offsets().back());
    auto state =
        decode_producer_snapshot(read_file(segment_file(dir, newest, ".snapshot")), newest);
    ASSERT_TRUE(state);
    producer_map planted = state.value();
    planted[424242] = producer_entry{0, {{0, 0, 0, 0, 5}}, 5};
    write_file(segment_file(dir, newest, ".snapshot"), encode_producer_snapshot(planted, newest));

    auto c = open_log(dir, small_segments());
    producer_map expected = l->producers().entries();
    expected[424242] = planted[424242];
    EXPECT_EQ(c->producers().entries(), expected);
}

TEST(log_idempotence, corrupt_snapshots_fall_back_to_older_ones_then_to_a_full_replay) {
    temp_dir t;
    producer_map live;
    {
        auto l = open_log(t.path(), small_segments());
        fill(*l, 10);
        live = l->producers().entries();
    }
    auto files = snapshot_files(t.path());
    ASSERT_EQ(files.size(), producer_snapshots_retained);
    const int64_t newest = *files.rbegin();
    flip_byte(segment_file(t.path(), newest, ".snapshot"), 25);
    {
        auto l = open_log(t.path(), small_segments());
        EXPECT_EQ(l->producers().entries(), live);
        EXPECT_FALSE(snapshot_files(t.path()).contains(newest));  // deleted, not trusted again
        l->close();  // writes a good one at the end again
    }
    for (int64_t o : snapshot_files(t.path())) {
        truncate_file(segment_file(t.path(), o, ".snapshot"), 7);
    }
    auto l = open_log(t.path(), small_segments());
    EXPECT_EQ(l->producers().entries(), live);
}

TEST(log_idempotence, snapshots_at_every_roll_and_close_keep_the_newest_three) {
    temp_dir t;
    auto l = open_log(t.path(), small_segments());
    fill(*l, 3);
    ASSERT_GE(l->segment_count(), 2u);
    std::set<int64_t> bases;
    for (int64_t b : l->segment_base_offsets()) {
        if (b > 0) bases.insert(b);
    }
    if (bases.size() > 3) bases.erase(bases.begin(), std::prev(bases.end(), 3));
    EXPECT_EQ(snapshot_files(t.path()), bases);
    fill(*l, 10, 3);
    const auto segs = l->segment_base_offsets();
    l->close();
    std::set<int64_t> expected{segs[segs.size() - 2], segs.back(), l->log_end_offset()};
    EXPECT_EQ(snapshot_files(t.path()), expected);
}

TEST(log_idempotence, truncation_restores_the_state_at_the_new_end) {
    temp_dir t;
    auto l = open_log(t.path(), small_segments());
    std::map<int64_t, producer_map> at;  // log end -> state
    at[0] = {};
    for (int i = 0; i < 30; ++i) {
        const int n = 1 + i % 2;  // producers 1 and 3 send 2 records per batch
        produce_ok(*l, i % 4, 0, (i / 4) * n, n, 1000 + i);
        at[l->log_end_offset()] = l->producers().entries();
    }
    ASSERT_GT(l->segment_count(), 4u);
    // One batch back (replay from the active segment's snapshot), then exactly at a snapshot, then
    // into the first segment, below every snapshot (replay from the log start).
    const auto bases = l->segment_base_offsets();
    const std::vector<int64_t> cuts{std::prev(at.end(), 2)->first, bases[bases.size() - 2],
                                    std::next(at.begin(), 3)->first};
    for (int64_t cut : cuts) {
        ASSERT_TRUE(l->truncate_to(cut));
        ASSERT_EQ(l->log_end_offset(), cut);
        EXPECT_EQ(l->producers().entries(), at[cut]) << cut;
        for (int64_t o : snapshot_files(t.path())) EXPECT_LE(o, cut);
    }
    // A retry of a batch that was cut off is new data now, not a duplicate.
    const int64_t end = l->log_end_offset();
    const int32_t next = l->producers().find(0)->last_seq() + 1;
    EXPECT_EQ(produce_ok(*l, 0, 0, next), end);
    const auto state = l->producers().entries();
    l.reset();
    auto again = open_log(t.path(), small_segments());
    EXPECT_EQ(again->producers().entries(), state);

    // Below the log start the log restarts empty: no state, no snapshot.
    ASSERT_TRUE(again->truncate_to(0));
    EXPECT_EQ(again->producers().size(), 0u);
    EXPECT_TRUE(snapshot_files(t.path()).empty());
}

TEST(log_idempotence, expire_producers_uses_the_config_and_truncation_does_not_revive_them) {
    temp_dir t;
    log_config cfg;
    cfg.producer_id_expiration_ms = 1000;
    auto l = open_log(t.path(), cfg);
    produce_ok(*l, 1, 0, 0, 1, 1000);
    produce_ok(*l, 2, 0, 0, 1, 5000);
    produce_ok(*l, 1, 0, 1, 1, 1500);
    auto plain = make_batch(1);
    ASSERT_TRUE(l->append(plain, 0, 0));
    EXPECT_EQ(l->expire_producers(2499), 0u);
    EXPECT_EQ(l->expire_producers(2500), 1u);
    EXPECT_EQ(l->producers().find(1), nullptr);
    // An expired producer is unknown: any sequence goes (rule 5).
    EXPECT_EQ(produce_ok(*l, 1, 0, 77, 1, 900), 4);
    ASSERT_TRUE(l->truncate_to(4));
    EXPECT_EQ(l->producers().find(1),
              nullptr);  // the replay brought it back, the cut again
    EXPECT_NE(l->producers().find(2), nullptr);
    l->close();
    EXPECT_EQ(l->expire_producers(1 << 30), 0u);
}

TEST(log_idempotence, retention_keeps_producer_state_and_a_snapshot_for_it) {
    temp_dir t;
    temp_dir crash;
    log_config cfg = small_segments();
    cfg.retention_bytes = 1300;
    producer_map live;
    {
        auto l = open_log(t.path(), cfg);
        produce_ok(*l, 100, 0, 0);  // only in the first segment
        fill(*l, 8);
        live = l->producers().entries();
    }
    // As after an upgrade: no snapshot at all, the open replays everything.
    remove_snapshot_files(t.path());
    {
        auto l = open_log(t.path(), cfg);
        ASSERT_EQ(l->producers().entries(), live);
        auto deleted = l->delete_old_segments(0);
        ASSERT_TRUE(deleted);
        ASSERT_GT(deleted.value(), 0u);
        EXPECT_GT(l->log_start_offset(), l->producers().find(100)->batches.back().last_offset);
        EXPECT_EQ(l->producers().entries(), live);
        // Nothing below the new start; one at the end so a crash right now keeps producer 100.
        EXPECT_EQ(snapshot_files(t.path()), (std::set<int64_t>{l->log_end_offset()}));
        copy_dir(t.path(), crash.path() / "p-0");
    }
    auto c = open_log(crash.path() / "p-0", cfg);
    EXPECT_EQ(c->producers().entries(), live);

    // With roll snapshots in place retention only drops the ones below the start.
    auto l = open_log(t.path(), cfg);
    fill(*l, 8, 8);
    ASSERT_TRUE(l->delete_old_segments(0));
    for (int64_t o : snapshot_files(t.path())) EXPECT_GE(o, l->log_start_offset());
    EXPECT_NE(l->producers().find(100), nullptr);
}

}  // namespace
}  // namespace storage
