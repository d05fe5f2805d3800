#include "storage/log.h"

#include <gtest/gtest.h>

#include "storage/errc.h"
#include "storage/file_names.h"
#include "tests/unit/storage/storage_test_util.h"

namespace storage {
namespace {

using namespace storage::test;

std::unique_ptr<log> open_log(const fs::path& dir, log_config cfg = {},
                              shutdown_state st = shutdown_state::unclean, int64_t now = 0) {
    auto r = log::open(dir, cfg, st, now);
    EXPECT_TRUE(r) << (r ? "" : r.error().message());
    return r ? std::move(r).value() : nullptr;
}

// Appends in place: bytes end up rewritten exactly as stored.
append_result must_append(log& l, std::vector<uint8_t>& bytes, int32_t epoch = 0, int64_t now = 0) {
    auto r = l.append(bytes, epoch, now);
    EXPECT_TRUE(r) << (r ? "" : r.error().message());
    return r ? r.value() : append_result{};
}
append_result must_append(log& l, std::vector<uint8_t>&& bytes, int32_t epoch = 0,
                          int64_t now = 0) {
    return must_append(l, bytes, epoch, now);
}

TEST(log, empty_log_starts_at_zero_with_first_segment_file) {
    temp_dir t;
    auto l = open_log(t.path() / "t-0");
    EXPECT_EQ(l->log_start_offset(), 0);
    EXPECT_EQ(l->log_end_offset(), 0);
    EXPECT_EQ(l->size_bytes(), 0);
    EXPECT_TRUE(fs::exists(t.path() / "t-0" / "00000000000000000000.log"));
    auto r = l->read(0, 1000, INT64_MAX);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r.value().slices.empty());
}

TEST(log, append_read_round_trip_returns_stored_bytes) {
    temp_dir t;
    auto l = open_log(t.path());
    auto a = make_batch(3), b = make_batch(2, 2000);
    auto ra = l->append(a, 7, 0);
    auto rb = l->append(b, 7, 0);
    ASSERT_TRUE(ra && rb);
    EXPECT_EQ(ra.value().first_offset, 0);
    EXPECT_EQ(ra.value().last_offset, 2);
    EXPECT_EQ(ra.value().log_append_time, -1);
    EXPECT_EQ(ra.value().max_timestamp, 1002);
    EXPECT_EQ(rb.value().first_offset, 3);
    EXPECT_EQ(rb.value().last_offset, 4);
    EXPECT_EQ(l->log_end_offset(), 5);
    EXPECT_EQ(l->size_bytes(), static_cast<int64_t>(a.size() + b.size()));
    // a and b were rewritten in place; the log holds exactly those bytes.
    EXPECT_EQ(read_all(*l, 0), concat({a, b}));
}

TEST(log, offsets_and_leader_epoch_are_rewritten_in_the_stored_bytes) {
    temp_dir t;
    auto l = open_log(t.path());
    must_append(*l, make_batch(4));
    auto buf = concat({make_batch(3), make_batch(2)});
    auto r = must_append(*l, buf, 9);
    EXPECT_EQ(r.first_offset, 4);
    EXPECT_EQ(r.last_offset, 8);
    EXPECT_EQ(r.record_count, 5);
    auto stored = read_all(*l, 4);
    auto batches = split(stored);
    ASSERT_EQ(batches.size(), 2u);
    EXPECT_EQ(batches[0].base_offset(), 4);
    EXPECT_EQ(batches[1].base_offset(), 7);
    for (auto& v : batches) {
        EXPECT_EQ(v.partition_leader_epoch(), 9);
        EXPECT_FALSE(rec::validate_batch(v.bytes()));
    }
    EXPECT_EQ(stored, buf);  // the caller's buffer was rewritten, not copied
}

TEST(log, read_from_mid_batch_returns_the_containing_batch) {
    temp_dir t;
    auto l = open_log(t.path());
    auto a = make_batch(3), b = make_batch(5), c = make_batch(2);
    must_append(*l, a);
    must_append(*l, b);
    must_append(*l, c);
    for (int64_t off = 3; off <= 7; ++off) {
        auto r = l->read(off, 1 << 20, INT64_MAX);
        ASSERT_TRUE(r);
        EXPECT_EQ(r.value().first_batch_offset, 3);
        EXPECT_EQ(read_slices(r.value()).value(), concat({b, c})) << off;
    }
    EXPECT_EQ(read_all(*l, 9), c);
}

TEST(log, max_offset_excludes_batches_ending_at_or_above_it) {
    temp_dir t;
    auto l = open_log(t.path());
    auto a = make_batch(3), b = make_batch(5), c = make_batch(2);
    must_append(*l, a);
    must_append(*l, b);
    must_append(*l, c);
    EXPECT_EQ(read_all(*l, 0, 1 << 20, 8), concat({a, b}));
    EXPECT_EQ(read_all(*l, 0, 1 << 20, 7), a);  // b ends at 7: not fully below the bound
    EXPECT_EQ(read_all(*l, 0, 1 << 20, 3), a);
    EXPECT_TRUE(read_all(*l, 0, 1 << 20, 2).empty());
    EXPECT_TRUE(read_all(*l, 3, 1 << 20, 3).empty());
}

TEST(log, max_bytes_returns_whole_batches_and_at_least_one_kip74) {
    temp_dir t;
    auto l = open_log(t.path());
    auto a = make_batch(3), b = make_batch(5), c = make_batch(2);
    must_append(*l, a);
    must_append(*l, b);
    must_append(*l, c);
    EXPECT_EQ(read_all(*l, 0, 1), a);
    EXPECT_EQ(read_all(*l, 0, static_cast<uint32_t>(a.size() + b.size() - 1)), a);
    EXPECT_EQ(read_all(*l, 0, static_cast<uint32_t>(a.size() + b.size())), concat({a, b}));
    auto big = make_batch(50, 0, "big", 1000);
    must_append(*l, big);
    EXPECT_EQ(read_all(*l, 10, 100), big);
}

TEST(log, out_of_range_offsets) {
    temp_dir t;
    auto l = open_log(t.path());
    must_append(*l, make_batch(3));
    auto past = l->read(4, 100, INT64_MAX);
    ASSERT_FALSE(past);
    EXPECT_EQ(past.error(), errc::offset_out_of_range);
    auto neg = l->read(-1, 100, INT64_MAX);
    ASSERT_FALSE(neg);
    EXPECT_EQ(neg.error(), errc::offset_out_of_range);
    auto at_end = l->read(3, 100, INT64_MAX);
    ASSERT_TRUE(at_end);
    EXPECT_TRUE(at_end.value().slices.empty());
}

TEST(log, append_is_all_or_nothing) {
    temp_dir t;
    auto l = open_log(t.path());
    must_append(*l, make_batch(2));
    const auto size_before = l->size_bytes();
    auto good = make_batch(3), bad = make_batch(3);
    bad[bad.size() - 2] ^= 1;
    auto buf = concat({good, bad});
    auto r = l->append(buf, 1, 0);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), errc::corrupt_batch);
    EXPECT_EQ(l->log_end_offset(), 2);
    EXPECT_EQ(l->size_bytes(), size_before);
    EXPECT_EQ(rec::batch_view(buf).base_offset(), 0);  // not rewritten either

    auto torn = make_batch(2);
    torn.pop_back();
    auto r2 = l->append(torn, 1, 0);
    ASSERT_FALSE(r2);
    EXPECT_EQ(r2.error(), errc::corrupt_batch);

    std::vector<uint8_t> empty;
    EXPECT_EQ(l->append(empty, 1, 0).error(), errc::corrupt_batch);
    EXPECT_EQ(l->log_end_offset(), 2);
    EXPECT_EQ(l->size_bytes(), size_before);
}

TEST(log, batch_over_max_batch_bytes_is_message_too_large) {
    temp_dir t;
    log_config cfg;
    cfg.max_batch_bytes = 500;
    auto l = open_log(t.path(), cfg);
    auto big = make_batch(10, 0, "v", 100);
    ASSERT_GT(big.size(), 500u);
    auto r = l->append(big, 0, 0);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), errc::message_too_large);
    EXPECT_EQ(l->log_end_offset(), 0);
    must_append(*l, make_batch(2));
}

TEST(log, rolls_by_segment_bytes_with_20_digit_names) {
    temp_dir t;
    log_config cfg;
    auto one = make_batch(3);
    cfg.segment_bytes = one.size() * 2 + 1;
    auto l = open_log(t.path(), cfg);
    std::vector<uint8_t> all;
    for (int i = 0; i < 5; ++i) {
        auto b = make_batch(3, 1000 * i);
        must_append(*l, b);
        all.insert(all.end(), b.begin(), b.end());
    }
    EXPECT_EQ(l->segment_base_offsets(), (std::vector<int64_t>{0, 6, 12}));
    for (auto name : {"00000000000000000000", "00000000000000000006", "00000000000000000012"}) {
        for (auto suffix : {".log", ".index", ".timeindex"}) {
            EXPECT_TRUE(fs::exists(t.path() / (std::string(name) + suffix))) << name << suffix;
        }
    }
    EXPECT_EQ(fs::file_size(t.path() / "00000000000000000006.log"), one.size() * 2);
    EXPECT_EQ(read_all(*l, 0), all);  // reads span segments
    EXPECT_EQ(read_all(*l, 7), std::vector<uint8_t>(all.begin() + 2 * one.size(), all.end()));
}

TEST(log, rolls_by_segment_ms) {
    temp_dir t;
    log_config cfg;
    cfg.segment_ms = 100;
    auto l = open_log(t.path(), cfg, shutdown_state::unclean, 0);
    must_append(*l, make_batch(1), 0, 10);
    must_append(*l, make_batch(1), 0, 99);
    EXPECT_EQ(l->segment_count(), 1u);
    must_append(*l, make_batch(1), 0, 150);
    EXPECT_EQ(l->segment_base_offsets(), (std::vector<int64_t>{0, 2}));
}

TEST(log, reopen_keeps_everything_clean_and_unclean) {
    for (auto st : {shutdown_state::clean, shutdown_state::unclean}) {
        temp_dir t;
        log_config cfg;
        cfg.segment_bytes = 600;
        cfg.index_interval_bytes = 100;
        std::vector<uint8_t> all;
        {
            auto l = open_log(t.path(), cfg);
            for (int i = 0; i < 20; ++i) {
                auto b = make_batch(1 + i % 3, 100 * i);
                must_append(*l, b);
                all.insert(all.end(), b.begin(), b.end());
            }
            ASSERT_TRUE(l->flush());
            l->close();
        }
        auto l = open_log(t.path(), cfg, st);
        EXPECT_EQ(l->log_end_offset(), 39);
        EXPECT_GE(l->segment_count(), 3u);
        EXPECT_EQ(read_all(*l, 0), all);
        auto r = must_append(*l, make_batch(2));
        EXPECT_EQ(r.first_offset, 39);
        EXPECT_EQ(l->log_end_offset(), 41);
    }
}

}  // namespace
}  // namespace storage
