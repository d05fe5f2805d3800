#include <gtest/gtest.h>

#include "storage/errc.h"
#include "storage/file_names.h"
#include "storage/log.h"
#include "tests/unit/storage/storage_test_util.h"

namespace storage {
namespace {

using namespace storage::test;

std::vector<uint8_t> file_bytes(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// Writes `count` batches of 1..3 records into a fresh log and closes it; returns the stored
// bytes (offsets assigned) of every batch.
std::vector<std::vector<uint8_t>> fill(const fs::path& dir, const log_config& cfg, int count) {
    auto l = log::open(dir, cfg).value();
    std::vector<std::vector<uint8_t>> batches;
    for (int i = 0; i < count; ++i) {
        auto b = make_batch(1 + i % 3, 10 * i, "r", 40);
        EXPECT_TRUE(l->append(b, 3, 0));
        batches.push_back(std::move(b));
    }
    l->close();
    return batches;
}

std::vector<uint8_t> join(const std::vector<std::vector<uint8_t>>& parts, size_t n) {
    std::vector<uint8_t> out;
    for (size_t i = 0; i < n; ++i) out.insert(out.end(), parts[i].begin(), parts[i].end());
    return out;
}

int64_t end_after(const std::vector<std::vector<uint8_t>>& parts, size_t n) {
    return n == 0 ? 0 : rec::batch_view(parts[n - 1]).last_offset() + 1;
}

TEST(log_recovery, truncated_mid_batch_ends_at_last_whole_batch_and_appends_continue) {
    temp_dir t;
    auto batches = fill(t.path(), {}, 5);
    const auto seg = t.path() / "00000000000000000000.log";
    truncate_file(seg, fs::file_size(seg) - 10);

    auto l = log::open(t.path(), {}).value();
    EXPECT_EQ(l->log_end_offset(), end_after(batches, 4));
    EXPECT_EQ(fs::file_size(seg), join(batches, 4).size());
    EXPECT_EQ(read_all(*l, 0), join(batches, 4));

    auto next = make_batch(2);
    auto r = l->append(next, 4, 0);
    ASSERT_TRUE(r);
    EXPECT_EQ(r.value().first_offset, end_after(batches, 4));
    EXPECT_EQ(read_all(*l, r.value().first_offset), next);
}

TEST(log_recovery, header_only_tail_is_truncated) {
    temp_dir t;
    auto batches = fill(t.path(), {}, 3);
    const auto seg = t.path() / "00000000000000000000.log";
    truncate_file(seg, join(batches, 2).size() + 7);  // not even a whole length field
    auto l = log::open(t.path(), {}).value();
    EXPECT_EQ(l->log_end_offset(), end_after(batches, 2));
    EXPECT_EQ(fs::file_size(seg), join(batches, 2).size());
}

TEST(log_recovery, flipped_byte_in_last_batch_truncates_there) {
    temp_dir t;
    auto batches = fill(t.path(), {}, 4);
    const auto seg = t.path() / "00000000000000000000.log";
    flip_byte(seg, fs::file_size(seg) - 3);
    auto l = log::open(t.path(), {}).value();
    EXPECT_EQ(l->log_end_offset(), end_after(batches, 3));
    EXPECT_EQ(read_all(*l, 0), join(batches, 3));
}

TEST(log_recovery, flipped_byte_in_middle_batch_drops_it_and_everything_after) {
    temp_dir t;
    auto batches = fill(t.path(), {}, 6);
    const auto seg = t.path() / "00000000000000000000.log";
    flip_byte(seg, join(batches, 2).size() + 70);  // inside batch 2's records
    auto l = log::open(t.path(), {}).value();
    EXPECT_EQ(l->log_end_offset(), end_after(batches, 2));
    EXPECT_EQ(read_all(*l, 0), join(batches, 2));
}

TEST(log_recovery, garbage_length_field_is_truncated_not_trusted) {
    temp_dir t;
    auto batches = fill(t.path(), {}, 3);
    const auto seg = t.path() / "00000000000000000000.log";
    auto bytes = file_bytes(seg);
    const size_t at = join(batches, 1).size() + 8;
    bytes[at] = 0x7f;  // batch 1 claims ~2 GiB
    write_file(seg, bytes);
    auto l = log::open(t.path(), {}).value();
    EXPECT_EQ(l->log_end_offset(), end_after(batches, 1));
}

TEST(log_recovery, clean_shutdown_skips_the_scan) {
    temp_dir t;
    auto batches = fill(t.path(), {}, 3);
    const auto seg = t.path() / "00000000000000000000.log";
    flip_byte(seg, fs::file_size(seg) - 3);  // CRC now wrong, headers intact
    {
        auto l = log::open(t.path(), {}, shutdown_state::clean).value();
        EXPECT_EQ(l->log_end_offset(), end_after(batches, 3));
    }
    auto l = log::open(t.path(), {}, shutdown_state::unclean).value();
    EXPECT_EQ(l->log_end_offset(), end_after(batches, 2));
}

TEST(log_recovery, clean_open_with_torn_tail_still_recovers) {
    temp_dir t;
    auto batches = fill(t.path(), {}, 3);
    const auto seg = t.path() / "00000000000000000000.log";
    truncate_file(seg, fs::file_size(seg) - 1);
    auto l = log::open(t.path(), {}, shutdown_state::clean).value();
    EXPECT_EQ(l->log_end_offset(), end_after(batches, 2));
}

TEST(log_recovery, torn_active_segment_keeps_the_earlier_segments) {
    temp_dir t;
    log_config cfg;
    cfg.segment_bytes = 700;
    auto batches = fill(t.path(), cfg, 12);
    auto l0 = log::open(t.path(), cfg).value();
    auto bases = l0->segment_base_offsets();
    l0->close();
    ASSERT_GE(bases.size(), 3u);
    const auto last = segment_file(t.path(), bases.back(), log_suffix);
    truncate_file(last, fs::file_size(last) - 1);
    auto l = log::open(t.path(), cfg).value();
    EXPECT_EQ(l->segment_base_offsets(), bases);
    EXPECT_EQ(l->log_end_offset(), end_after(batches, 11));
    EXPECT_EQ(read_all(*l, 0), join(batches, 11));
}

// Index files are caches: delete them or fill them with garbage, reopen, and both the files
// and every lookup must come back exactly as before.
class index_rebuild : public ::testing::TestWithParam<shutdown_state> {};

TEST_P(index_rebuild, missing_and_garbage_indexes_are_rebuilt_identically) {
    temp_dir t;
    log_config cfg;
    cfg.segment_bytes = 3000;
    cfg.index_interval_bytes = 150;
    auto batches = fill(t.path(), cfg, 60);
    std::vector<int64_t> bases;
    {
        auto l = log::open(t.path(), cfg, shutdown_state::clean).value();
        bases = l->segment_base_offsets();
    }
    ASSERT_GE(bases.size(), 3u);
    std::map<fs::path, std::vector<uint8_t>> originals;
    for (auto b : bases) {
        for (auto suffix : {index_suffix, time_index_suffix}) {
            auto p = segment_file(t.path(), b, suffix);
            originals[p] = file_bytes(p);
        }
    }
    ASSERT_GT(originals[segment_file(t.path(), bases[0], index_suffix)].size(), 16u);
    ASSERT_GT(originals[segment_file(t.path(), bases[0], time_index_suffix)].size(), 12u);

    // segment 0: both deleted; segment 1: odd size; segment 2 (active): entry past the log end.
    fs::remove(segment_file(t.path(), bases[0], index_suffix));
    fs::remove(segment_file(t.path(), bases[0], time_index_suffix));
    write_file(segment_file(t.path(), bases[1], index_suffix), {1, 2, 3});
    write_file(segment_file(t.path(), bases[1], time_index_suffix), std::vector<uint8_t>(25, 0xee));
    {
        auto idx = originals[segment_file(t.path(), bases[2], index_suffix)];
        std::vector<uint8_t> bad = idx;
        bad.insert(bad.end(), {0, 0, 0x10, 0, 0, 0x10, 0, 0});  // rel 1M at position 1M
        write_file(segment_file(t.path(), bases[2], index_suffix), bad);
    }

    auto l = log::open(t.path(), cfg, GetParam()).value();
    EXPECT_EQ(l->segment_base_offsets(), bases);
    EXPECT_EQ(l->log_end_offset(), end_after(batches, batches.size()));
    l->close();
    for (const auto& [p, bytes] : originals) EXPECT_EQ(file_bytes(p), bytes) << p;

    l = log::open(t.path(), cfg, GetParam()).value();
    // Every offset still finds its containing batch.
    std::vector<size_t> batch_of_offset;
    for (size_t i = 0; i < batches.size(); ++i) {
        for (int k = 0; k < rec::batch_view(batches[i]).records_count(); ++k) {
            batch_of_offset.push_back(i);
        }
    }
    for (size_t off = 0; off < batch_of_offset.size(); ++off) {
        auto r = l->read(static_cast<int64_t>(off), 1, INT64_MAX);
        ASSERT_TRUE(r);
        EXPECT_EQ(read_slices(r.value()).value(), batches[batch_of_offset[off]]) << off;
    }
}

TEST_P(index_rebuild, index_entry_not_on_a_batch_boundary_is_rebuilt) {
    temp_dir t;
    log_config cfg;
    cfg.index_interval_bytes = 150;
    auto batches = fill(t.path(), cfg, 20);
    const auto idx = t.path() / "00000000000000000000.index";
    auto original = file_bytes(idx);
    ASSERT_GE(original.size(), 16u);
    auto bad = original;
    bad[bad.size() - 1] ^= 0x01;  // last entry's position now points into a batch
    write_file(idx, bad);
    auto l = log::open(t.path(), cfg, GetParam()).value();
    EXPECT_EQ(l->log_end_offset(), end_after(batches, batches.size()));
    EXPECT_EQ(read_all(*l, 0), join(batches, batches.size()));
    l->close();
    EXPECT_EQ(file_bytes(idx), original);
}

INSTANTIATE_TEST_SUITE_P(both, index_rebuild,
                         ::testing::Values(shutdown_state::clean, shutdown_state::unclean));

}  // namespace
}  // namespace storage
