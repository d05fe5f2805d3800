#include <gtest/gtest.h>

#include "storage/errc.h"
#include "storage/log.h"
#include "tests/unit/storage/storage_test_util.h"

namespace storage {
namespace {

using namespace storage::test;

// Offsets 0-2 at 1000..1002, 3-7 at 2000..2004, 8 at 1500 (out of order, as clients may send),
// 9-10 at 3000..3001.
void fill(log& l) {
    for (auto [n, ts] : {std::pair{3, 1000}, {5, 2000}, {1, 1500}, {2, 3000}}) {
        auto b = make_batch(n, ts);
        ASSERT_TRUE(l.append(b, 0, 0));
    }
}

void check(const log& l) {
    auto at = [&](int64_t ts) { return l.offset_for_timestamp(ts).value().offset; };
    EXPECT_EQ(at(0), 0);
    EXPECT_EQ(at(1000), 0);
    EXPECT_EQ(at(1001), 1);
    EXPECT_EQ(at(1002), 2);
    EXPECT_EQ(at(1003), 3);  // first offset with ts >= target, in offset order
    EXPECT_EQ(at(1500), 3);
    EXPECT_EQ(at(2002), 5);
    EXPECT_EQ(at(2004), 7);
    EXPECT_EQ(at(2005), 9);
    EXPECT_EQ(at(3001), 10);
    EXPECT_EQ(at(3002), -1);
    // The answer carries the found record's own timestamp, not the one asked for.
    EXPECT_EQ(l.offset_for_timestamp(1500).value(), (timestamp_offset{2000, 3}));
    EXPECT_EQ(l.offset_for_timestamp(3002).value(), (timestamp_offset{-1, -1}));
}

TEST(log_timestamp, offset_for_timestamp_in_one_segment) {
    temp_dir t;
    log_config cfg;
    cfg.index_interval_bytes = 1;  // an index entry for nearly every batch
    auto l = log::open(t.path(), cfg).value();
    fill(*l);
    check(*l);
}

TEST(log_timestamp, offset_for_timestamp_across_segments_and_after_reopen) {
    for (auto st : {shutdown_state::clean, shutdown_state::unclean}) {
        temp_dir t;
        log_config cfg;
        cfg.segment_bytes = 100;  // one batch per segment (batches are 71..111 bytes)
        cfg.index_interval_bytes = 1;
        {
            auto l = log::open(t.path(), cfg).value();
            fill(*l);
            EXPECT_EQ(l->segment_count(), 4u);
            check(*l);
        }
        auto l = log::open(t.path(), cfg, st).value();
        check(*l);
    }
}

TEST(log_timestamp, time_index_after_rebuild_gives_same_answers) {
    temp_dir t;
    log_config cfg;
    cfg.segment_bytes = 100;
    {
        auto l = log::open(t.path(), cfg).value();
        fill(*l);
    }
    for (const auto& e : fs::directory_iterator(t.path())) {
        if (e.path().extension() == ".timeindex") fs::remove(e.path());
    }
    auto l = log::open(t.path(), cfg, shutdown_state::clean).value();
    check(*l);
}

TEST(log_timestamp, compressed_batches_answer_the_exact_record) {
    for (auto codec : {rec::compression::gzip, rec::compression::snappy, rec::compression::lz4, rec::compression::zstd}) {
        temp_dir t;
        auto l = log::open(t.path(), {}).value();
        auto first = make_batch(2, 100);  // offsets 0-1, uncompressed
        ASSERT_TRUE(l->append(first, 0, 0));
        rec::record_batch_builder b;
        b.set_compression(codec);
        for (int i = 0; i < 5; ++i) b.add({.value = rec::as_bytes("z"), .timestamp = 200 + 10 * i});  // 2-6
        auto z = b.build();
        ASSERT_EQ(rec::batch_view(z).codec(), codec);
        ASSERT_TRUE(l->append(z, 0, 0));
        EXPECT_EQ(l->offset_for_timestamp(200).value(), (timestamp_offset{200, 2}));
        EXPECT_EQ(l->offset_for_timestamp(221).value(), (timestamp_offset{230, 5}));
        EXPECT_EQ(l->offset_for_timestamp(240).value(), (timestamp_offset{240, 6}));
        EXPECT_EQ(l->offset_for_timestamp(241).value(), (timestamp_offset{-1, -1}));
    }
}

TEST(log_timestamp, a_batch_whose_records_do_not_decompress_is_corrupt) {
    temp_dir t;
    auto l = log::open(t.path(), {}).value();
    // Codec bits say zstd but the records are plain: the header (and CRC) are valid, so append
    // takes it (compressed batches are checked header-only), and the lookup must not answer from it.
    rec::record_batch_builder b;
    b.set_codec_bits(rec::compression::zstd);
    for (int i = 0; i < 3; ++i) b.add({.value = rec::as_bytes("z"), .timestamp = 200 + i});
    auto z = b.build();
    ASSERT_TRUE(l->append(z, 0, 0));
    auto r = l->offset_for_timestamp(201);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), errc::corrupt_batch);
}

TEST(log_slices, slices_outlive_removal_of_the_log) {
    temp_dir t;
    auto l = log::open(t.path() / "p-0", {}).value();
    auto b = make_batch(4);
    ASSERT_TRUE(l->append(b, 0, 0));
    auto r = l->read(0, 1 << 20, INT64_MAX).value();
    ASSERT_TRUE(l->remove());
    EXPECT_FALSE(fs::exists(t.path() / "p-0"));
    EXPECT_EQ(read_slices(r).value(), b);
    EXPECT_EQ(l->read(0, 100, INT64_MAX).error(), errc::log_closed);
    EXPECT_EQ(l->append(b, 0, 0).error(), errc::log_closed);
}

TEST(log_slices, consecutive_batches_of_a_segment_share_one_slice) {
    temp_dir t;
    log_config cfg;
    auto one = make_batch(2);
    cfg.segment_bytes = one.size() * 3;
    auto l = log::open(t.path(), cfg).value();
    for (int i = 0; i < 5; ++i) {
        auto b = make_batch(2);
        ASSERT_TRUE(l->append(b, 0, 0));
    }
    auto r = l->read(0, 1 << 20, INT64_MAX).value();
    ASSERT_EQ(r.slices.size(), 2u);
    EXPECT_EQ(r.slices[0].size, one.size() * 3);
    EXPECT_EQ(r.slices[1].size, one.size() * 2);
    EXPECT_EQ(r.slices[1].position, 0u);
    EXPECT_EQ(r.size_bytes, one.size() * 5);
}

}  // namespace
}  // namespace storage
