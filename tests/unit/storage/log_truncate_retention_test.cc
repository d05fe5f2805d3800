#include <gtest/gtest.h>

#include "storage/errc.h"
#include "storage/file_names.h"
#include "storage/log.h"
#include "tests/unit/storage/storage_test_util.h"

namespace storage {
namespace {

using namespace storage::test;

// 10 batches of 3 records (offsets 3i..3i+2, timestamps 1000*i...), 4 batches per segment.
struct filled {
    temp_dir t;
    log_config cfg;
    std::unique_ptr<log> l;
    std::vector<std::vector<uint8_t>> batches;

    filled() {
        cfg.segment_bytes = make_batch(3).size() * 4;
        cfg.index_interval_bytes = 1;
        cfg.retention_ms = -1;
        l = log::open(t.path(), cfg).value();
        for (int i = 0; i < 10; ++i) {
            auto b = make_batch(3, 1000 * i);
            EXPECT_TRUE(l->append(b, 1, 0));
            batches.push_back(std::move(b));
        }
    }
    std::vector<uint8_t> first(size_t n) const {
        std::vector<uint8_t> out;
        for (size_t i = 0; i < n; ++i) out.insert(out.end(), batches[i].begin(), batches[i].end());
        return out;
    }
};

TEST(log_truncate, cut_inside_a_batch_removes_that_whole_batch) {
    filled f;
    ASSERT_EQ(f.l->segment_base_offsets(), (std::vector<int64_t>{0, 12, 24}));
    ASSERT_TRUE(f.l->truncate_to(16));  // inside batch 5 (offsets 15..17)
    EXPECT_EQ(f.l->log_end_offset(), 15);
    EXPECT_EQ(f.l->segment_base_offsets(), (std::vector<int64_t>{0, 12}));
    EXPECT_FALSE(fs::exists(f.t.path() / "00000000000000000024.log"));
    EXPECT_EQ(read_all(*f.l, 0), f.first(5));
    auto b = make_batch(2);
    auto r = f.l->append(b, 2, 0);
    ASSERT_TRUE(r);
    EXPECT_EQ(r.value().first_offset, 15);
    EXPECT_EQ(f.l->offset_for_timestamp(4001).value().offset, 13);
}

TEST(log_truncate, state_survives_reopen_after_truncation) {
    filled f;
    ASSERT_TRUE(f.l->truncate_to(12));
    EXPECT_EQ(f.l->log_end_offset(), 12);
    f.l->close();
    for (auto st : {shutdown_state::clean, shutdown_state::unclean}) {
        auto l = log::open(f.t.path(), f.cfg, st).value();
        EXPECT_EQ(l->log_end_offset(), 12);
        EXPECT_EQ(read_all(*l, 0), f.first(4));
    }
}

TEST(log_truncate, beyond_end_is_a_no_op_and_below_start_restarts_the_log) {
    filled f;
    ASSERT_TRUE(f.l->truncate_to(100));
    EXPECT_EQ(f.l->log_end_offset(), 30);
    ASSERT_TRUE(f.l->truncate_to(0));
    EXPECT_EQ(f.l->log_start_offset(), 0);
    EXPECT_EQ(f.l->log_end_offset(), 0);
    EXPECT_EQ(f.l->segment_count(), 1u);
    EXPECT_EQ(f.l->size_bytes(), 0);
}

TEST(log_retention, by_size_keeps_the_newest_segments) {
    filled f;
    auto cfg = f.cfg;
    cfg.retention_bytes = static_cast<int64_t>(f.batches[0].size() * 5);
    f.l->set_config(cfg);
    auto n = f.l->delete_old_segments(0);
    ASSERT_TRUE(n);
    // 10 equal batches, limit 5: without segment 0 (4 batches) 6 remain >= 5, so it goes;
    // without segment 12 as well only 2 would remain, so that one stays.
    EXPECT_EQ(n.value(), 1u);
    EXPECT_EQ(f.l->log_start_offset(), 12);
    EXPECT_FALSE(fs::exists(f.t.path() / "00000000000000000000.log"));
    EXPECT_FALSE(fs::exists(f.t.path() / "00000000000000000000.index"));
    EXPECT_EQ(f.l->read(0, 100, INT64_MAX).error(), errc::offset_out_of_range);
    EXPECT_EQ(read_all(*f.l, 12).size(), f.batches[0].size() * 6);
}

TEST(log_retention, by_time_never_deletes_the_active_segment) {
    filled f;
    auto cfg = f.cfg;
    cfg.retention_ms = 1000;
    f.l->set_config(cfg);
    // segment 0 holds timestamps up to 3002, segment 12 up to 7002.
    EXPECT_EQ(f.l->delete_old_segments(4002).value(), 0u);
    EXPECT_EQ(f.l->delete_old_segments(4003).value(), 1u);
    EXPECT_EQ(f.l->delete_old_segments(1'000'000).value(), 1u);
    EXPECT_EQ(f.l->segment_base_offsets(), (std::vector<int64_t>{24}));
    EXPECT_EQ(f.l->log_start_offset(), 24);
    f.l->close();
    auto l = log::open(f.t.path(), f.cfg).value();
    EXPECT_EQ(l->log_start_offset(), 24);
    EXPECT_EQ(l->log_end_offset(), 30);
}

TEST(log_retention, never_deletes_above_the_upper_bound) {
    filled f;
    auto cfg = f.cfg;
    cfg.retention_ms = 1000;
    f.l->set_config(cfg);
    // Segments 0..11, 12..23, 24..: with the high watermark at 20 only the first may go.
    EXPECT_EQ(f.l->delete_old_segments(1'000'000, 20).value(), 1u);
    EXPECT_EQ(f.l->log_start_offset(), 12);
    EXPECT_EQ(f.l->delete_old_segments(1'000'000, 23).value(), 0u);
    EXPECT_EQ(f.l->delete_old_segments(1'000'000, 24).value(), 1u);
    EXPECT_EQ(f.l->log_start_offset(), 24);
}

TEST(log_retention, slices_of_deleted_segments_stay_readable) {
    filled f;
    auto r = f.l->read(0, 1 << 20, INT64_MAX).value();
    auto cfg = f.cfg;
    cfg.retention_bytes = 0;
    f.l->set_config(cfg);
    EXPECT_EQ(f.l->delete_old_segments(0).value(), 2u);
    EXPECT_EQ(read_slices(r).value(), f.first(10));
}

}  // namespace
}  // namespace storage
