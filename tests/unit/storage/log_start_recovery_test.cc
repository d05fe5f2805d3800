// Log start offset inside a segment (DeleteRecords), recovery from the recovery point, the
// flush policy and rolls by index size.
#include <gtest/gtest.h>

#include "storage/errc.h"
#include "storage/file_names.h"
#include "storage/log.h"
#include "storage/log_manager.h"
#include "tests/unit/storage/storage_test_util.h"

namespace storage {
namespace {

using namespace storage::test;

// Appends `count` batches of 2 records each (offsets 2i, 2i+1), timestamps growing.
void fill(log& l, int count, int64_t ts0 = 1000) {
    for (int i = 0; i < count; ++i) {
        auto b = make_batch(2, ts0 + 10 * i, "r", 40);
        ASSERT_TRUE(l.append(b, 1, 0));
    }
}

log_config small_segments() {
    log_config cfg;
    cfg.segment_bytes = 400;  // a few batches per segment
    return cfg;
}

TEST(log_start_offset, moves_inside_a_segment_and_reads_below_it_are_out_of_range) {
    temp_dir t;
    auto l = log::open(t.path(), {}).value();
    fill(*l, 5);  // offsets 0..9, one segment
    ASSERT_EQ(l->segment_count(), 1u);
    auto moved = l->increment_log_start_offset(3);
    ASSERT_TRUE(moved);
    EXPECT_TRUE(moved.value());
    EXPECT_EQ(l->log_start_offset(), 3);
    EXPECT_EQ(l->read(2, 1 << 20, INT64_MAX).error(), make_error_code(errc::offset_out_of_range));
    auto r = l->read(3, 1 << 20, INT64_MAX);
    ASSERT_TRUE(r);
    EXPECT_EQ(r.value().first_batch_offset, 2);  // the batch containing 3
    // Never backwards, never past the end.
    EXPECT_FALSE(l->increment_log_start_offset(1).value());
    EXPECT_EQ(l->log_start_offset(), 3);
    EXPECT_EQ(l->increment_log_start_offset(11).error(), make_error_code(errc::offset_out_of_range));
    EXPECT_TRUE(l->increment_log_start_offset(10).value());
    EXPECT_EQ(l->log_start_offset(), 10);
    EXPECT_EQ(l->read(9, 1 << 20, INT64_MAX).error(), make_error_code(errc::offset_out_of_range));
    EXPECT_TRUE(l->read(10, 1 << 20, INT64_MAX));
}

TEST(log_start_offset, segments_entirely_below_go_and_the_epoch_cache_follows) {
    temp_dir t;
    auto l = log::open(t.path(), small_segments()).value();
    fill(*l, 12);
    const auto bases = l->segment_base_offsets();
    ASSERT_GE(bases.size(), 3u);
    ASSERT_EQ(l->leader_epochs().entries().front().start_offset, 0);
    const int64_t inside = bases[2] + 1;
    ASSERT_TRUE(l->increment_log_start_offset(inside));
    EXPECT_EQ(l->segment_base_offsets().front(), bases[2]);
    EXPECT_FALSE(fs::exists(segment_file(t.path(), bases[0], log_suffix)));
    EXPECT_FALSE(fs::exists(segment_file(t.path(), bases[1], log_suffix)));
    EXPECT_EQ(l->log_start_offset(), inside);
    EXPECT_EQ(l->leader_epochs().entries().front().start_offset, inside);
    // Retention moving by whole segments keeps a start that is already further.
    EXPECT_EQ(l->delete_segments_below(inside).value(), 0u);
    EXPECT_EQ(l->log_start_offset(), inside);
}

TEST(log_start_offset, checkpointed_start_is_restored_and_clamped_at_open) {
    temp_dir t;
    {
        auto l = log::open(t.path(), small_segments()).value();
        fill(*l, 12);
        l->close();
    }
    int64_t end = 0;
    {
        log_checkpoints cp;
        cp.log_start_offset = 5;
        auto l = log::open(t.path(), small_segments(), shutdown_state::clean, 0, cp).value();
        EXPECT_EQ(l->log_start_offset(), 5);
        EXPECT_EQ(l->read(4, 1 << 20, INT64_MAX).error(), make_error_code(errc::offset_out_of_range));
        end = l->log_end_offset();
        // Segments wholly below the restored start go at the next retention pass, even with
        // retention.ms / retention.bytes off.
        const auto before = l->segment_base_offsets();
        log_config off = small_segments();
        off.retention_ms = -1;
        l->set_config(off);
        const size_t expected = static_cast<size_t>(std::count_if(
            before.begin() + 1, before.end(), [](int64_t b) { return b <= 5; }));
        EXPECT_EQ(l->delete_old_segments(0).value(), expected);
        EXPECT_EQ(l->log_start_offset(), 5);
        l->close();
    }
    log_checkpoints past_end;
    past_end.log_start_offset = end + 100;
    auto l = log::open(t.path(), small_segments(), shutdown_state::clean, 0, past_end).value();
    EXPECT_EQ(l->log_start_offset(), end);
    log_checkpoints below;
    below.log_start_offset = 0;
    l->close();
    l = log::open(t.path(), small_segments(), shutdown_state::clean, 0, below).value();
    EXPECT_EQ(l->log_start_offset(), l->segment_base_offsets().front());
}

TEST(log_start_offset, truncation_at_or_below_the_start_restarts_the_log_there) {
    temp_dir t;
    auto l = log::open(t.path(), {}).value();
    fill(*l, 5);
    ASSERT_TRUE(l->increment_log_start_offset(6));
    ASSERT_TRUE(l->truncate_to(4));
    EXPECT_EQ(l->log_start_offset(), 4);
    EXPECT_EQ(l->log_end_offset(), 4);
}

// ---- recovery point ----------------------------------------------------------------------

struct three_segments {
    temp_dir t;
    std::vector<int64_t> bases;
    int64_t end = 0;
    three_segments() {
        auto l = log::open(t.path(), small_segments()).value();
        fill(*l, 12);
        bases = l->segment_base_offsets();
        end = l->log_end_offset();
        l->close();
    }
    // A payload byte of the first batch of segment i: the CRC fails, headers stay intact.
    void corrupt(size_t i) const { flip_byte(segment_file(t.path(), bases[i], log_suffix), 70); }
};

TEST(log_recovery_point, corrupt_closed_segment_above_the_recovery_point_is_cut_there) {
    three_segments s;
    ASSERT_GE(s.bases.size(), 3u);
    s.corrupt(1);
    log_checkpoints cp;
    cp.recovery_point = s.bases[0] + 1;  // inside segment 0: it is re-validated too
    auto l = log::open(s.t.path(), small_segments(), shutdown_state::unclean, 0, cp).value();
    EXPECT_EQ(l->recovered_segment_count(), 2u);  // the corrupt one, and there it stopped
    EXPECT_EQ(l->log_end_offset(), s.bases[1]);
    EXPECT_EQ(l->segment_base_offsets(), (std::vector<int64_t>{s.bases[0], s.bases[1]}));
    for (size_t i = 2; i < s.bases.size(); ++i) {
        EXPECT_FALSE(fs::exists(segment_file(s.t.path(), s.bases[i], log_suffix)));
    }
    EXPECT_EQ(l->read(s.bases[1], 1 << 20, INT64_MAX).value().size_bytes, 0u);
    // Not fsynced since: the next crash re-validates from the same point.
    EXPECT_EQ(l->recovery_point(), s.bases[0] + 1);
    // Appends continue from the cut.
    auto b = make_batch(1);
    EXPECT_EQ(l->append(b, 1, 0).value().first_offset, s.bases[1]);
}

TEST(log_recovery_point, segments_below_the_recovery_point_are_not_rescanned) {
    three_segments s;
    s.corrupt(0);
    log_checkpoints cp;
    cp.recovery_point = s.bases[1];  // segment 0 ends at it: fsynced
    auto l = log::open(s.t.path(), small_segments(), shutdown_state::unclean, 0, cp).value();
    EXPECT_EQ(l->recovered_segment_count(), s.bases.size() - 1);
    EXPECT_EQ(l->log_end_offset(), s.end);  // the corruption was not looked for
}

TEST(log_recovery_point, clean_open_rescans_nothing_and_unknown_point_rescans_everything) {
    three_segments s;
    s.corrupt(0);
    {
        auto l = log::open(s.t.path(), small_segments(), shutdown_state::clean).value();
        EXPECT_EQ(l->recovered_segment_count(), 0u);
        EXPECT_EQ(l->log_end_offset(), s.end);
        EXPECT_EQ(l->recovery_point(), s.end);
        l->close();
    }
    auto l = log::open(s.t.path(), small_segments(), shutdown_state::unclean).value();
    EXPECT_EQ(l->recovered_segment_count(), 1u);
    EXPECT_EQ(l->log_end_offset(), 0);
    EXPECT_EQ(l->segment_count(), 1u);
}

TEST(log_recovery_point, flush_moves_it_to_the_log_end) {
    temp_dir t;
    auto l = log::open(t.path(), {}).value();
    EXPECT_EQ(l->recovery_point(), 0);
    fill(*l, 3);
    EXPECT_EQ(l->recovery_point(), 0);
    ASSERT_TRUE(l->flush());
    EXPECT_EQ(l->recovery_point(), 6);
    ASSERT_TRUE(l->truncate_to(2));
    EXPECT_EQ(l->recovery_point(), 2);
}

// ---- flush policy --------------------------------------------------------------------------

TEST(log_flush, flush_messages_flushes_once_the_count_is_reached) {
    temp_dir t;
    log_config cfg;
    cfg.flush_messages = 5;
    auto l = log::open(t.path(), cfg).value();
    fill(*l, 2);  // 4 messages
    EXPECT_EQ(l->recovery_point(), 0);
    fill(*l, 1);  // 6
    EXPECT_EQ(l->recovery_point(), 6);
    fill(*l, 2);  // 4 more since the flush
    EXPECT_EQ(l->recovery_point(), 6);
}

TEST(log_flush, flush_ms_flushes_when_due_and_only_with_new_data) {
    temp_dir t;
    log_config cfg;
    cfg.flush_ms = 100;
    auto l = log::open(t.path(), cfg, shutdown_state::unclean, 1000).value();
    fill(*l, 1);
    EXPECT_FALSE(l->flush_if_due(1099).value());
    EXPECT_EQ(l->recovery_point(), 0);
    EXPECT_TRUE(l->flush_if_due(1100).value());
    EXPECT_EQ(l->recovery_point(), 2);
    EXPECT_FALSE(l->flush_if_due(1300).value());  // nothing new
    log_config off;
    l->set_config(off);
    fill(*l, 1);
    EXPECT_FALSE(l->flush_if_due(INT64_MAX / 2).value());
    EXPECT_EQ(l->recovery_point(), 2);
}

// ---- roll by index size ----------------------------------------------------------------------

TEST(log_roll, offset_index_full_rolls) {
    temp_dir t;
    log_config cfg;
    cfg.index_interval_bytes = 0;  // an entry per batch after the first
    cfg.max_index_bytes = 24;      // 3 offset entries, 2 time entries
    auto l = log::open(t.path(), cfg).value();
    for (int i = 0; i < 10; ++i) {
        auto b = make_batch(1, 1000);  // same timestamp: the time index keeps one entry
        ASSERT_TRUE(l->append(b, 1, 0));
    }
    EXPECT_EQ(l->segment_base_offsets(), (std::vector<int64_t>{0, 4, 8}));
}

TEST(log_roll, time_index_full_rolls) {
    temp_dir t;
    log_config cfg;
    cfg.index_interval_bytes = 0;
    cfg.max_index_bytes = 24;
    auto l = log::open(t.path(), cfg).value();
    for (int i = 0; i < 10; ++i) {
        auto b = make_batch(1, 1000 + i);  // a time entry with every offset entry
        ASSERT_TRUE(l->append(b, 1, 0));
    }
    EXPECT_EQ(l->segment_base_offsets(), (std::vector<int64_t>{0, 3, 6, 9}));
}

}  // namespace
}  // namespace storage

// ---- log_manager: log-start-offset and recovery-point checkpoints ----------------------------

namespace storage {
namespace {

using namespace storage::test;

TEST(log_manager_checkpoints, log_start_survives_a_crash_through_the_checkpoint) {
    temp_dir t;
    const auto live = t.path() / "live";
    const auto crashed = t.path() / "crashed";
    auto m = log_manager::open({live}, {}).value();
    log* l = m->get_or_create("t", 0, {}).value();
    fill(*l, 5);
    ASSERT_TRUE(l->increment_log_start_offset(3));
    ASSERT_TRUE(l->flush());
    ASSERT_TRUE(m->checkpoint_log_start_offsets());
    ASSERT_TRUE(m->checkpoint_recovery_points());
    EXPECT_EQ(read_text(live / "log-start-offset-checkpoint"), "0\n1\nt 0 3\n");
    EXPECT_EQ(read_text(live / "recovery-point-offset-checkpoint"), "0\n1\nt 0 10\n");
    copy_dir(live, crashed);  // no clean-shutdown marker: an unclean start
    ASSERT_TRUE(m->shutdown());
    EXPECT_EQ(m->checkpoint_log_start_offsets().error(), make_error_code(errc::log_closed));

    auto after_crash = log_manager::open({crashed}, {}).value();
    log* c = after_crash->get("t", 0);
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->log_start_offset(), 3);
    // The active segment is always re-validated; the recovery point (10, the end) spares no
    // closed segment here because there is none.
    EXPECT_EQ(c->recovered_segment_count(), 1u);
    EXPECT_EQ(c->recovery_point(), 10);  // the checkpointed one
    EXPECT_EQ(c->read(2, 1 << 20, INT64_MAX).error(), make_error_code(errc::offset_out_of_range));

    auto after_clean = log_manager::open({live}, {}).value();
    EXPECT_EQ(after_clean->get("t", 0)->log_start_offset(), 3);
    EXPECT_EQ(after_clean->get("t", 0)->recovered_segment_count(), 0u);
}

TEST(log_manager_checkpoints, shutdown_writes_both_checkpoints_after_its_flush) {
    temp_dir t;
    {
        auto m = log_manager::open({t.path()}, {}).value();
        log* l = m->get_or_create("a.b-c", 2, {}).value();
        fill(*l, 2);
        ASSERT_TRUE(l->increment_log_start_offset(1));
        ASSERT_TRUE(m->shutdown());
    }
    EXPECT_EQ(read_text(t.path() / "log-start-offset-checkpoint"), "0\n1\na.b-c 2 1\n");
    EXPECT_EQ(read_text(t.path() / "recovery-point-offset-checkpoint"), "0\n1\na.b-c 2 4\n");
}

TEST(log_manager_checkpoints, malformed_checkpoint_fails_the_open) {
    temp_dir t;
    write_text(t.path() / "log-start-offset-checkpoint", "0\n2\nt 0 3\n");
    EXPECT_EQ(log_manager::open({t.path()}, {}).error(), make_error_code(errc::corrupt_checkpoint));
}

}  // namespace
}  // namespace storage

namespace storage {
namespace {

using namespace storage::test;

TEST(log_start_offset, truncate_fully_and_start_at_restarts_empty_above_the_end) {
    temp_dir t;
    {
        auto l = log::open(t.path(), small_segments()).value();
        fill(*l, 6);
        ASSERT_TRUE(l->truncate_fully_and_start_at(50));
        EXPECT_EQ(l->log_start_offset(), 50);
        EXPECT_EQ(l->log_end_offset(), 50);
        EXPECT_EQ(l->segment_base_offsets(), (std::vector<int64_t>{50}));
        EXPECT_TRUE(l->leader_epochs().entries().empty());
        EXPECT_EQ(l->read(49, 1 << 20, INT64_MAX).error(), make_error_code(errc::offset_out_of_range));
        auto b = make_batch(1);
        EXPECT_EQ(l->append(b, 4, 0).value().first_offset, 50);
        l->close();
    }
    auto l = log::open(t.path(), small_segments()).value();
    EXPECT_EQ(l->log_start_offset(), 50);
    EXPECT_EQ(l->log_end_offset(), 51);
    EXPECT_EQ(l->leader_epochs().entries().front().epoch, 4);
}

}  // namespace
}  // namespace storage

namespace storage {
namespace {

using namespace storage::test;

TEST(log_recovery_point, flushing_closed_segments_moves_it_to_the_active_base_only) {
    temp_dir t;
    auto l = log::open(t.path(), small_segments()).value();
    fill(*l, 12);
    const auto bases = l->segment_base_offsets();
    ASSERT_GE(bases.size(), 3u);
    EXPECT_EQ(l->recovery_point(), 0);
    EXPECT_TRUE(l->flush_closed_segments().value());
    EXPECT_EQ(l->recovery_point(), bases.back());
    EXPECT_FALSE(l->flush_closed_segments().value());  // nothing new closed
    ASSERT_TRUE(l->flush());
    EXPECT_EQ(l->recovery_point(), l->log_end_offset());
    EXPECT_FALSE(l->flush_closed_segments().value());  // never backwards
    EXPECT_EQ(l->recovery_point(), l->log_end_offset());
}

}  // namespace
}  // namespace storage
