// Replication support in log: append_as_follower, leader epochs recorded by both appends, and
// the epoch cache following truncation, retention and recovery.
#include <gtest/gtest.h>

#include "storage/errc.h"
#include "storage/file_names.h"
#include "storage/log.h"
#include "tests/unit/storage/storage_test_util.h"

namespace storage {
namespace {

using namespace storage::test;
using entries = std::vector<epoch_entry>;

std::unique_ptr<log> open_log(const fs::path& dir, log_config cfg = {},
                              shutdown_state st = shutdown_state::unclean) {
    auto r = log::open(dir, cfg, st, 0);
    EXPECT_TRUE(r) << (r ? "" : r.error().message());
    return r ? std::move(r).value() : nullptr;
}

// Leader append; bytes are rewritten in place (offsets, epoch) as stored.
append_result lead(log& l, std::vector<uint8_t>& bytes, int32_t epoch) {
    auto r = l.append(bytes, epoch, 0);
    EXPECT_TRUE(r) << (r ? "" : r.error().message());
    return r ? r.value() : append_result{};
}
append_result lead(log& l, std::vector<uint8_t>&& bytes, int32_t epoch) {
    return lead(l, bytes, epoch);
}

append_result follow(log& l, const std::vector<uint8_t>& bytes, int64_t now = 0) {
    auto r = l.append_as_follower(bytes, now);
    EXPECT_TRUE(r) << (r ? "" : r.error().message());
    return r ? r.value() : append_result{};
}

fs::path first_segment(const fs::path& dir) { return dir / "00000000000000000000.log"; }

// A leader log in <tmp>/leader with batches of 3, 2, 4 records in epoch 1 (offsets 0..8),
// then 1 and 5 records in epoch 3 (offsets 9..14).
struct leader_fixture {
    temp_dir t;
    std::unique_ptr<log> leader = open_log(t.path() / "leader");
    std::vector<std::vector<uint8_t>> batches;  // as stored, offsets and epochs set

    leader_fixture() {
        int i = 0;
        for (auto [n, epoch] : {std::pair{3, 1}, {2, 1}, {4, 1}, {1, 3}, {5, 3}}) {
            auto b = make_batch(n, 1000 * ++i);
            lead(*leader, b, epoch);
            batches.push_back(std::move(b));
        }
    }
    std::vector<uint8_t> range(size_t from, size_t to) const {
        std::vector<uint8_t> out;
        for (size_t i = from; i < to; ++i) out.insert(out.end(), batches[i].begin(), batches[i].end());
        return out;
    }
    std::vector<uint8_t> all() const { return range(0, batches.size()); }
};

TEST(log_follower, stores_the_leaders_bytes_unchanged_and_records_their_epochs) {
    leader_fixture f;
    EXPECT_EQ(f.leader->leader_epochs().entries(), (entries{{1, 0}, {3, 9}}));
    auto follower = open_log(f.t.path() / "follower");
    const auto input = f.all();
    auto r = follow(*follower, input);
    EXPECT_EQ(r.first_offset, 0);
    EXPECT_EQ(r.last_offset, 14);
    EXPECT_EQ(r.record_count, 15);
    EXPECT_EQ(r.size_bytes, input.size());
    EXPECT_EQ(r.max_timestamp, 5004);
    EXPECT_EQ(r.offset_of_max_timestamp, 14);
    EXPECT_EQ(follower->log_end_offset(), 15);
    EXPECT_EQ(read_file(first_segment(f.t.path() / "follower")), input);
    EXPECT_EQ(read_file(first_segment(f.t.path() / "follower")),
              read_file(first_segment(f.t.path() / "leader")));
    EXPECT_EQ(follower->leader_epochs().entries(), (entries{{1, 0}, {3, 9}}));
    EXPECT_EQ(read_text(f.t.path() / "follower" / "leader-epoch-checkpoint"), "0\n2\n1 0\n3 9\n");
    // The stored batches answer reads and timestamp lookups like the leader's.
    EXPECT_EQ(read_all(*follower, 6), f.range(2, 5));
    EXPECT_EQ(follower->offset_for_timestamp(4000).value(), (timestamp_offset{4000, 9}));
}

TEST(log_follower, skips_batches_it_already_has) {
    leader_fixture f;
    auto follower = open_log(f.t.path() / "follower");
    follow(*follower, f.range(0, 2));
    ASSERT_EQ(follower->log_end_offset(), 5);
    auto r = follow(*follower, f.all());
    EXPECT_EQ(r.first_offset, 5);
    EXPECT_EQ(r.last_offset, 14);
    EXPECT_EQ(r.record_count, 10);
    EXPECT_EQ(r.size_bytes, f.range(2, 5).size());
    EXPECT_EQ(read_file(first_segment(f.t.path() / "follower")), f.all());

    auto again = follow(*follower, f.all());
    EXPECT_EQ(again.first_offset, -1);
    EXPECT_EQ(again.record_count, 0);
    EXPECT_EQ(again.size_bytes, 0u);
    EXPECT_EQ(read_file(first_segment(f.t.path() / "follower")), f.all());
    EXPECT_EQ(follow(*follower, {}).first_offset, -1);  // empty input
    EXPECT_EQ(follower->log_end_offset(), 15);
}

TEST(log_follower, gap_or_overlap_at_the_log_end_is_offset_mismatch) {
    leader_fixture f;
    auto follower = open_log(f.t.path() / "follower");
    // Gap: the log is empty, the input starts at offset 3.
    auto gap = follower->append_as_follower(f.range(1, 3), 0);
    ASSERT_FALSE(gap);
    EXPECT_EQ(gap.error(), errc::offset_mismatch);

    // Overlap: the log ends at 5, the input has a batch holding 3..7.
    follow(*follower, f.range(0, 2));
    auto b = make_batch(5, 0);
    rec::mutable_batch_view(b).set_base_offset(3);
    auto overlap = follower->append_as_follower(b, 0);
    ASSERT_FALSE(overlap);
    EXPECT_EQ(overlap.error(), errc::offset_mismatch);

    // Not contiguous inside the input: 5..8 then 14..18 (batches 2 and 4).
    auto holes = concat({f.batches[2], f.batches[4]});
    EXPECT_EQ(follower->append_as_follower(holes, 0).error(), errc::offset_mismatch);
    // Going backwards inside the input.
    auto back = concat({f.batches[2], f.batches[1]});
    EXPECT_EQ(follower->append_as_follower(back, 0).error(), errc::offset_mismatch);

    EXPECT_EQ(follower->log_end_offset(), 5);
    EXPECT_EQ(read_file(first_segment(f.t.path() / "follower")), f.range(0, 2));
    EXPECT_EQ(follower->leader_epochs().entries(), (entries{{1, 0}}));
}

TEST(log_follower, a_partial_batch_at_the_end_is_ignored) {
    leader_fixture f;
    auto follower = open_log(f.t.path() / "follower");
    auto cut = f.all();
    cut.resize(cut.size() - 10);  // KIP-74: the response ends inside the last batch
    auto r = follow(*follower, cut);
    EXPECT_EQ(r.last_offset, 9);
    EXPECT_EQ(follower->log_end_offset(), 10);
    EXPECT_EQ(read_file(first_segment(f.t.path() / "follower")), f.range(0, 4));

    // Only a partial batch, or only its first bytes: nothing to append.
    auto only_part = f.batches[4];
    only_part.resize(only_part.size() / 2);
    EXPECT_EQ(follow(*follower, only_part).record_count, 0);
    only_part.resize(5);
    EXPECT_EQ(follow(*follower, only_part).record_count, 0);

    follow(*follower, f.batches[4]);
    EXPECT_EQ(read_file(first_segment(f.t.path() / "follower")), f.all());
}

TEST(log_follower, invalid_batches_are_rejected_with_nothing_written) {
    leader_fixture f;
    auto follower = open_log(f.t.path() / "follower");
    follow(*follower, f.range(0, 1));
    const auto size_before = fs::file_size(first_segment(f.t.path() / "follower"));

    auto bad_crc = f.all();
    bad_crc[bad_crc.size() - 3] ^= 0x01;  // in the records of the last batch
    auto r = follower->append_as_follower(bad_crc, 0);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), errc::corrupt_batch);

    // A length field shorter than any batch header is corruption, not a cut-off batch.
    auto bad_length = concat({f.range(1, 2), std::vector<uint8_t>(12, 0)});
    EXPECT_EQ(follower->append_as_follower(bad_length, 0).error(), errc::corrupt_batch);

    EXPECT_EQ(follower->log_end_offset(), 3);
    EXPECT_EQ(fs::file_size(first_segment(f.t.path() / "follower")), size_before);
    EXPECT_EQ(follower->leader_epochs().entries(), (entries{{1, 0}}));
}

TEST(log_follower, batches_larger_than_max_batch_bytes_are_accepted) {
    leader_fixture f;
    log_config cfg;
    cfg.max_batch_bytes = 64;  // smaller than any of the leader's batches
    auto follower = open_log(f.t.path() / "follower", cfg);
    follow(*follower, f.all());
    EXPECT_EQ(follower->log_end_offset(), 15);
}

TEST(log_follower, rolls_and_indexes_exactly_like_the_leader) {
    temp_dir t;
    log_config cfg;
    cfg.segment_bytes = make_batch(2).size() * 3;
    cfg.index_interval_bytes = 100;
    auto leader = open_log(t.path() / "leader", cfg);
    auto follower = open_log(t.path() / "follower", cfg);
    for (int i = 0; i < 12; ++i) lead(*leader, make_batch(1 + i % 3, 100 * i), 2 + i / 5);
    // One fetch per batch (max_bytes 1 returns exactly one, KIP-74) so both logs see the same
    // append sizes and roll at the same batches.
    while (follower->log_end_offset() < leader->log_end_offset()) {
        follow(*follower, read_all(*leader, follower->log_end_offset(), 1));
    }
    ASSERT_GT(leader->segment_count(), 2u);
    EXPECT_EQ(follower->segment_base_offsets(), leader->segment_base_offsets());
    ASSERT_TRUE(leader->flush());
    ASSERT_TRUE(follower->flush());
    for (int64_t base : leader->segment_base_offsets()) {
        for (auto suffix : {log_suffix, index_suffix, time_index_suffix}) {
            const auto name = segment_file("", base, suffix);
            EXPECT_EQ(read_file(t.path() / "follower" / name), read_file(t.path() / "leader" / name))
                << name;
        }
    }
    EXPECT_EQ(follower->leader_epochs().entries(), leader->leader_epochs().entries());
    // Records per batch 1, 2, 3, 1, 2 | 3, 1, 2, 3, 1 | 2, 3: epoch 3 from 9, epoch 4 from 19.
    EXPECT_EQ(leader->leader_epochs().entries(), (entries{{2, 0}, {3, 9}, {4, 19}}));
}

TEST(log_follower, follower_fed_with_leader_reads_ends_byte_identical) {
    temp_dir t;
    log_config cfg;
    cfg.segment_bytes = 2000;
    auto leader = open_log(t.path() / "leader", cfg);
    auto follower = open_log(t.path() / "follower", cfg);
    uint32_t fetch_bytes = 150;
    for (int round = 0; round < 6; ++round) {
        for (int i = 0; i < 7; ++i) lead(*leader, make_batch(1 + (i * 5 + round) % 4, i), round);
        // Fetch responses: whole batches up to fetch_bytes, then the next batch cut short at
        // the byte limit as a broker's fetch may return (KIP-74), both from the follower's end.
        while (follower->log_end_offset() < leader->log_end_offset()) {
            auto bytes = read_all(*leader, follower->log_end_offset());
            const size_t first = rec::batch_view(bytes).size_bytes();
            bytes.resize(std::min(bytes.size(), std::max<size_t>(first, fetch_bytes)));
            follow(*follower, bytes);
        }
        fetch_bytes += 37;
    }
    EXPECT_EQ(follower->log_end_offset(), leader->log_end_offset());
    EXPECT_EQ(read_all(*follower, 0), read_all(*leader, 0));
    EXPECT_EQ(follower->leader_epochs().entries(), leader->leader_epochs().entries());
    EXPECT_EQ(leader->leader_epochs().entries().size(), 6u);
}

TEST(log_follower, truncate_then_follow_a_different_tail) {
    leader_fixture f;  // the old leader: epoch 1 to offset 8, epoch 3 from 9
    auto follower = open_log(f.t.path() / "follower");
    follow(*follower, f.range(0, 3));
    // The follower became leader in epoch 2 and wrote 9..13 nobody else has.
    lead(*follower, make_batch(5, 0, "divergent"), 2);
    EXPECT_EQ(follower->leader_epochs().entries(), (entries{{1, 0}, {2, 9}}));
    // OffsetForLeaderEpoch(2) at the current leader: epoch 1 ends at 9.
    auto [epoch, end] = f.leader->leader_epochs().end_offset_for(2, f.leader->log_end_offset());
    EXPECT_EQ(epoch, 1);
    EXPECT_EQ(end, 9);
    ASSERT_TRUE(follower->truncate_to(end));
    EXPECT_EQ(follower->log_end_offset(), 9);
    EXPECT_EQ(follower->leader_epochs().entries(), (entries{{1, 0}}));
    follow(*follower, read_all(*f.leader, follower->log_end_offset()));
    EXPECT_EQ(read_all(*follower, 0), f.all());
    EXPECT_EQ(follower->leader_epochs().entries(), f.leader->leader_epochs().entries());
}

TEST(log_follower, recovery_drops_epochs_past_the_recovered_end) {
    leader_fixture f;
    const auto dir = f.t.path() / "follower";
    {
        auto follower = open_log(dir);
        follow(*follower, f.all());
        ASSERT_TRUE(follower->flush());
    }
    // A crash tore the last batch (offsets 10..14, epoch 3) and the one before it (9, epoch 3).
    truncate_file(first_segment(dir), f.range(0, 3).size() + f.batches[3].size() / 2);
    {
        auto follower = open_log(dir, {}, shutdown_state::unclean);
        EXPECT_EQ(follower->log_end_offset(), 9);
        EXPECT_EQ(follower->leader_epochs().entries(), (entries{{1, 0}}));
        EXPECT_EQ(read_text(dir / "leader-epoch-checkpoint"), "0\n1\n1 0\n");
        follow(*follower, read_all(*f.leader, 9));
        EXPECT_EQ(follower->leader_epochs().entries(), (entries{{1, 0}, {3, 9}}));
    }
    // A clean reopen keeps everything.
    auto follower = open_log(dir, {}, shutdown_state::clean);
    EXPECT_EQ(follower->log_end_offset(), 15);
    EXPECT_EQ(follower->leader_epochs().entries(), (entries{{1, 0}, {3, 9}}));
    EXPECT_EQ(read_all(*follower, 0), f.all());
}

TEST(log_follower, closed_log_refuses) {
    leader_fixture f;
    auto follower = open_log(f.t.path() / "follower");
    follower->close();
    EXPECT_EQ(follower->append_as_follower(f.all(), 0).error(), errc::log_closed);
    EXPECT_EQ(follower->assign_epoch(1, 0).error(), errc::log_closed);
}

// ---- leader epochs on the leader path ----

TEST(log_epochs, append_records_each_newer_epoch_at_its_first_offset) {
    temp_dir t;
    auto l = open_log(t.path());
    EXPECT_FALSE(l->leader_epochs().latest_epoch());
    lead(*l, make_batch(3), -1);  // no epoch known: nothing recorded
    EXPECT_TRUE(l->leader_epochs().entries().empty());
    EXPECT_FALSE(fs::exists(t.path() / "leader-epoch-checkpoint"));
    lead(*l, make_batch(2), 0);
    lead(*l, make_batch(2), 0);
    lead(*l, make_batch(4), 2);
    lead(*l, make_batch(1), 1);  // stale epoch: written, but the cache never goes back
    lead(*l, make_batch(1), 2);
    EXPECT_EQ(l->leader_epochs().entries(), (entries{{0, 3}, {2, 7}}));
    EXPECT_EQ(read_text(t.path() / "leader-epoch-checkpoint"), "0\n2\n0 3\n2 7\n");
    EXPECT_EQ(l->leader_epochs().end_offset_for(0, l->log_end_offset()), std::make_pair(0, int64_t{7}));
    EXPECT_EQ(l->leader_epochs().end_offset_for(2, l->log_end_offset()), std::make_pair(2, int64_t{13}));
}

TEST(log_epochs, rejected_append_records_no_epoch) {
    temp_dir t;
    auto l = open_log(t.path());
    lead(*l, make_batch(2), 1);
    auto bad = make_batch(3);
    bad[bad.size() - 1] ^= 0x10;
    EXPECT_EQ(l->append(bad, 2, 0).error(), errc::corrupt_batch);
    EXPECT_EQ(l->leader_epochs().entries(), (entries{{1, 0}}));
}

TEST(log_epochs, assign_epoch_at_become_leader) {
    temp_dir t;
    auto l = open_log(t.path());
    lead(*l, make_batch(4), 1);
    ASSERT_TRUE(l->assign_epoch(3, l->log_end_offset()));
    EXPECT_EQ(l->leader_epochs().entries(), (entries{{1, 0}, {3, 4}}));
    // Epoch 1 now ends where epoch 3 began, before anything is written in 3.
    EXPECT_EQ(l->leader_epochs().end_offset_for(1, 4), std::make_pair(1, int64_t{4}));
    lead(*l, make_batch(2), 3);
    EXPECT_EQ(l->leader_epochs().entries(), (entries{{1, 0}, {3, 4}}));
    EXPECT_EQ(l->assign_epoch(4, l->log_end_offset() + 1).error(), errc::invalid_argument);
    EXPECT_EQ(l->leader_epochs().entries(), (entries{{1, 0}, {3, 4}}));
}

TEST(log_epochs, truncate_at_or_past_the_end_drops_an_epoch_that_wrote_nothing) {
    temp_dir t;
    auto l = open_log(t.path());
    lead(*l, make_batch(4), 1);
    ASSERT_TRUE(l->assign_epoch(2, 4));  // was leader at 4, wrote nothing
    ASSERT_TRUE(l->truncate_to(100));    // no data changes...
    EXPECT_EQ(l->log_end_offset(), 4);
    EXPECT_EQ(l->leader_epochs().entries(), (entries{{1, 0}}));  // ...but the epoch goes
    ASSERT_TRUE(l->truncate_to(0));
    EXPECT_TRUE(l->leader_epochs().entries().empty());
    EXPECT_EQ(read_text(t.path() / "leader-epoch-checkpoint"), "0\n0\n");
}

TEST(log_epochs, retention_moves_the_first_epoch_up_to_the_new_log_start) {
    temp_dir t;
    log_config cfg;
    cfg.segment_bytes = make_batch(3).size() * 4;  // 4 batches of 3 records per segment
    cfg.retention_ms = -1;
    auto l = open_log(t.path(), cfg);
    for (int i = 0; i < 10; ++i) lead(*l, make_batch(3, 1000 * i), i < 2 ? 1 : i < 5 ? 2 : 3);
    ASSERT_EQ(l->segment_base_offsets(), (std::vector<int64_t>{0, 12, 24}));
    EXPECT_EQ(l->leader_epochs().entries(), (entries{{1, 0}, {2, 6}, {3, 15}}));
    cfg.retention_bytes = 0;
    l->set_config(cfg);
    ASSERT_EQ(l->delete_old_segments(0).value(), 2u);
    EXPECT_EQ(l->log_start_offset(), 24);
    EXPECT_EQ(l->leader_epochs().entries(), (entries{{3, 24}}));
    l->close();
    auto again = open_log(t.path(), cfg);
    EXPECT_EQ(again->leader_epochs().entries(), (entries{{3, 24}}));
}

TEST(log_start, delete_segments_below_removes_only_whole_segments_under_the_offset) {
    temp_dir t;
    log_config cfg;
    cfg.segment_bytes = make_batch(3).size() * 4;  // 4 batches of 3 records per segment
    cfg.retention_ms = -1;
    auto l = open_log(t.path(), cfg);
    for (int i = 0; i < 10; ++i) lead(*l, make_batch(3, 1000 * i), i < 2 ? 1 : i < 5 ? 2 : 3);
    ASSERT_EQ(l->segment_base_offsets(), (std::vector<int64_t>{0, 12, 24}));
    EXPECT_EQ(l->delete_segments_below(11).value(), 0u);  // offset 11 is still in segment 0
    EXPECT_EQ(l->log_start_offset(), 0);
    EXPECT_EQ(l->delete_segments_below(12).value(), 1u);
    EXPECT_EQ(l->log_start_offset(), 12);
    EXPECT_EQ(l->leader_epochs().entries(), (entries{{2, 12}, {3, 15}}));
    EXPECT_FALSE(fs::exists(first_segment(t.path())));
    // Never the active segment, even for an offset past the end.
    EXPECT_EQ(l->delete_segments_below(1000).value(), 1u);
    EXPECT_EQ(l->segment_base_offsets(), (std::vector<int64_t>{24}));
    EXPECT_EQ(l->log_end_offset(), 30);
    l->close();
    auto again = open_log(t.path(), cfg);
    EXPECT_EQ(again->log_start_offset(), 24);
    EXPECT_EQ(again->log_end_offset(), 30);
}

TEST(log_epochs, open_cuts_a_stale_checkpoint_to_the_log) {
    temp_dir t;
    log_config cfg;
    cfg.segment_bytes = make_batch(3).size() * 2;
    {
        auto l = open_log(t.path(), cfg);
        for (int i = 0; i < 6; ++i) lead(*l, make_batch(3), 1 + i);
    }
    // As if retention deleted the first segment and the process died before the checkpoint
    // was rewritten, and the checkpoint already had an epoch past the end.
    fs::remove(t.path() / "00000000000000000000.log");
    write_text(t.path() / "leader-epoch-checkpoint", "0\n7\n1 0\n2 3\n3 6\n4 9\n5 12\n6 15\n9 18\n");
    auto l = open_log(t.path(), cfg);
    EXPECT_EQ(l->log_start_offset(), 6);
    EXPECT_EQ(l->log_end_offset(), 18);
    EXPECT_EQ(l->leader_epochs().entries(), (entries{{3, 6}, {4, 9}, {5, 12}, {6, 15}}));
    EXPECT_EQ(read_text(t.path() / "leader-epoch-checkpoint"), "0\n4\n3 6\n4 9\n5 12\n6 15\n");
}

TEST(log_epochs, malformed_checkpoint_fails_the_open) {
    temp_dir t;
    { open_log(t.path()); }
    write_text(t.path() / "leader-epoch-checkpoint", "0\n2\n1 0\n");
    auto r = log::open(t.path(), {});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), errc::corrupt_checkpoint);
}

TEST(log_epochs, remove_deletes_the_checkpoint_with_the_dir) {
    temp_dir t;
    auto l = open_log(t.path() / "t-0");
    lead(*l, make_batch(1), 5);
    ASSERT_TRUE(fs::exists(t.path() / "t-0" / "leader-epoch-checkpoint"));
    ASSERT_TRUE(l->remove());
    EXPECT_FALSE(fs::exists(t.path() / "t-0"));
}

}  // namespace
}  // namespace storage
