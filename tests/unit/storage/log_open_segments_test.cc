// Bounded resources with many segments: sealed segments are parked (no fd, no index entries in
// memory) until read, at most max_open_sealed_segments stay open per log, slices keep their fd,
// and a log behaves exactly the same whatever the bound.
#include <sys/resource.h>
#include <unistd.h>

#include <set>

#include <gtest/gtest.h>

#include "storage/file_names.h"
#include "storage/log.h"
#include "tests/unit/storage/storage_test_util.h"

namespace storage {
namespace {

using namespace storage::test;

/// Open fds of this process whose file lies in dir.
size_t fds_in(const fs::path& dir) {
    size_t n = 0;
    const std::string prefix = fs::canonical(dir).string() + "/";
    for (const auto& e : fs::directory_iterator("/proc/self/fd")) {
        std::error_code ec;
        auto target = fs::read_symlink(e.path(), ec);
        if (!ec && target.string().rfind(prefix, 0) == 0) ++n;
    }
    return n;
}

log_config small_segments(uint32_t max_open = 2) {
    log_config cfg;
    cfg.segment_bytes = 600;  // ~3 batches per segment
    cfg.index_interval_bytes = 100;
    cfg.max_open_sealed_segments = max_open;
    return cfg;
}

std::vector<uint8_t> nth_batch(int i) { return make_batch(2, 5000 + 10 * i - (i % 3 == 2 ? 25 : 0), "s" + std::to_string(i), 60); }

std::unique_ptr<log> must_open(const fs::path& dir, const log_config& cfg,
                               shutdown_state st = shutdown_state::clean) {
    auto r = log::open(dir, cfg, st, 0);
    EXPECT_TRUE(r) << (r ? "" : r.error().message());
    return r ? std::move(r).value() : nullptr;
}

/// A closed log of n batches (2 records each) in dir.
void write_log(const fs::path& dir, int n, const log_config& cfg) {
    auto l = must_open(dir, cfg);
    for (int i = 0; i < n; ++i) {
        auto b = nth_batch(i);
        ASSERT_TRUE(l->append(b, 0, 0));
    }
    l->close();
}

TEST(log_open_segments, reopened_log_holds_only_the_active_segment_open) {
    temp_dir t;
    const auto dir = t.path() / "t-0";
    write_log(dir, 60, small_segments());
    for (auto st : {shutdown_state::clean, shutdown_state::unclean}) {
        auto l = must_open(dir, small_segments(), st);
        ASSERT_GE(l->segment_count(), 15u);
        EXPECT_EQ(l->open_sealed_segments(), 0u);
        EXPECT_EQ(fds_in(dir), 1u);  // the active .log; index fds are opened only to write
        l->close();
        EXPECT_EQ(fds_in(dir), 0u);
    }
}

TEST(log_open_segments, reads_reopen_old_segments_within_the_bound) {
    temp_dir t;
    const auto dir = t.path() / "t-0";
    write_log(dir, 60, small_segments());
    std::vector<std::vector<uint8_t>> expected;
    {
        auto l = must_open(dir, small_segments(1000));
        for (int64_t o = 0; o < l->log_end_offset(); ++o) expected.push_back(read_all(*l, o, 1));
    }
    for (uint32_t bound : {1u, 2u, 5u}) {
        SCOPED_TRACE(bound);
        auto l = must_open(dir, small_segments(bound));
        for (int64_t o = l->log_end_offset() - 1; o >= 0; o -= 3) {  // backwards: every read reopens
            ASSERT_EQ(read_all(*l, o, 1), expected[static_cast<size_t>(o)]) << o;
            ASSERT_LE(l->open_sealed_segments(), bound);
            ASSERT_LE(fds_in(dir), bound + 1);
        }
        for (int64_t o = 0; o < l->log_end_offset(); ++o) {
            ASSERT_EQ(read_all(*l, o, 1), expected[static_cast<size_t>(o)]) << o;
        }
        EXPECT_EQ(l->open_sealed_segments(), bound);
    }
}

TEST(log_open_segments, a_slice_keeps_its_fd_after_its_segment_is_parked) {
    temp_dir t;
    const auto dir = t.path() / "t-0";
    write_log(dir, 60, small_segments());
    auto l = must_open(dir, small_segments(1));
    auto first = l->read(0, 1, INT64_MAX);
    ASSERT_TRUE(first);
    const auto want = read_slices(first.value()).value();
    for (int64_t o = 10; o < 40; o += 2) ASSERT_TRUE(l->read(o, 1, INT64_MAX));  // parks segment 0
    EXPECT_LE(l->open_sealed_segments(), 1u);
    EXPECT_LE(fds_in(dir), 3u);  // active + one sealed + the slice's
    auto again = read_slices(first.value());
    ASSERT_TRUE(again);
    EXPECT_EQ(again.value(), want);
    first.value().slices.clear();
    EXPECT_LE(fds_in(dir), 2u);
}

TEST(log_open_segments, appends_and_rolls_keep_fds_bounded) {
    temp_dir t;
    const auto dir = t.path() / "t-0";
    auto l = must_open(dir, small_segments(2));
    for (int i = 0; i < 90; ++i) {
        auto b = nth_batch(i);
        ASSERT_TRUE(l->append(b, 0, 0));
        ASSERT_LE(fds_in(dir), 3u) << i;  // active .log + 2 sealed
    }
    EXPECT_GE(l->segment_count(), 20u);
    ASSERT_TRUE(l->flush());
    EXPECT_LE(fds_in(dir), 3u);
}

TEST(log_open_segments, index_removed_while_parked_is_rebuilt_on_reopen) {
    temp_dir t;
    const auto dir = t.path() / "t-0";
    write_log(dir, 30, small_segments());
    auto ref = must_open(t.path() / "t-0", small_segments(1000));
    std::vector<std::vector<uint8_t>> expected;
    for (int64_t o = 0; o < ref->log_end_offset(); ++o) expected.push_back(read_all(*ref, o, 1));
    const auto index_bytes = read_file(segment_file(dir, 0, index_suffix));
    const auto time_bytes = read_file(segment_file(dir, 0, time_index_suffix));
    ref->close();

    auto l = must_open(dir, small_segments(1));
    fs::remove(segment_file(dir, 0, index_suffix));
    truncate_file(segment_file(dir, 0, time_index_suffix), 5);
    for (int64_t o = 0; o < l->log_end_offset(); ++o) ASSERT_EQ(read_all(*l, o, 1), expected[static_cast<size_t>(o)]);
    EXPECT_EQ(read_file(segment_file(dir, 0, index_suffix)), index_bytes);
    EXPECT_EQ(read_file(segment_file(dir, 0, time_index_suffix)), time_bytes);
}

/// The same operations on two copies of one log, one with a bound of 1 and one that never
/// parks: every answer and, at the end, every file must be the same.
TEST(log_open_segments, behaviour_is_identical_whatever_the_bound) {
    temp_dir t;
    write_log(t.path() / "a-0", 60, small_segments());
    fs::copy(t.path() / "a-0", t.path() / "b-0", fs::copy_options::recursive);
    auto a = must_open(t.path() / "a-0", small_segments(1));
    auto b = must_open(t.path() / "b-0", small_segments(1000));
    auto same = [&](const char* step) {
        SCOPED_TRACE(step);
        ASSERT_EQ(a->log_end_offset(), b->log_end_offset());
        ASSERT_EQ(a->log_start_offset(), b->log_start_offset());
        ASSERT_EQ(a->segment_base_offsets(), b->segment_base_offsets());
        for (int64_t o = a->log_start_offset(); o < a->log_end_offset(); o += 5) {
            ASSERT_EQ(read_all(*a, o, 1), read_all(*b, o, 1)) << o;
            ASSERT_EQ(read_all(*a, o, 700), read_all(*b, o, 700)) << o;
        }
        for (int64_t ts = 4900; ts < 5700; ts += 7) {
            auto x = a->offset_for_timestamp(ts), y = b->offset_for_timestamp(ts);
            ASSERT_TRUE(x && y);
            ASSERT_EQ(x.value(), y.value()) << ts;
        }
    };
    same("opened");
    // Truncation into a parked segment makes it the active one again.
    ASSERT_EQ(a->open_sealed_segments(), 1u);
    ASSERT_TRUE(a->truncate_to(31));
    ASSERT_TRUE(b->truncate_to(31));
    same("truncated");
    for (int i = 0; i < 20; ++i) {
        auto x = nth_batch(200 + i), y = nth_batch(200 + i);
        ASSERT_TRUE(a->append(x, 1, 0));
        ASSERT_TRUE(b->append(y, 1, 0));
    }
    same("appended");
    ASSERT_TRUE(a->delete_segments_below(40));
    ASSERT_TRUE(b->delete_segments_below(40));
    same("retention");
    const int64_t end = a->log_end_offset();
    a->close();
    b->close();
    for (const auto& e : fs::directory_iterator(t.path() / "b-0")) {
        const auto name = e.path().filename();
        ASSERT_TRUE(fs::exists(t.path() / "a-0" / name)) << name;
        EXPECT_EQ(read_file(t.path() / "a-0" / name), read_file(e.path())) << name;
    }
    auto reopened = must_open(t.path() / "a-0", small_segments(1), shutdown_state::unclean);
    EXPECT_EQ(reopened->log_end_offset(), end);
    EXPECT_EQ(end, 30 + 40);  // the cut is at the start of the batch holding 31 (30-31)
}

/// Lowers RLIMIT_NOFILE so that exactly `free_slots` descriptors can still be opened; restores
/// it on destruction.
class fd_limit {
public:
    explicit fd_limit(size_t free_slots) {
        ::getrlimit(RLIMIT_NOFILE, &saved_);
        std::set<int> open;
        for (const auto& e : fs::directory_iterator("/proc/self/fd")) open.insert(std::stoi(e.path().filename()));
        rlim_t limit = 0;
        size_t free = 0;
        while (free < free_slots || open.contains(static_cast<int>(limit))) {
            if (!open.contains(static_cast<int>(limit))) ++free;
            ++limit;
        }
        rlimit lowered = saved_;
        lowered.rlim_cur = limit;
        ::setrlimit(RLIMIT_NOFILE, &lowered);
    }
    ~fd_limit() { ::setrlimit(RLIMIT_NOFILE, &saved_); }

private:
    rlimit saved_{};
};

// Thousands of partitions can run a broker out of fds: a log that cannot open its files is an
// io_error for that partition, not a crash of the process (it used to assert in close()).
TEST(log_open_segments, open_without_free_fds_is_an_io_error) {
    temp_dir t;
    for (size_t slots : {0u, 1u}) {
        SCOPED_TRACE(slots);
        std::error_code got;
        {
            fd_limit limit(slots);
            auto r = log::open(t.path() / ("t-" + std::to_string(slots)), small_segments());
            if (!r) got = r.error();
        }
        EXPECT_TRUE(got) << "open succeeded with " << slots << " free fds";
    }
    auto l = must_open(t.path() / "t-9", small_segments());  // with fds back, it works
    EXPECT_EQ(l->log_end_offset(), 0);
}

// A failed open must not write anything on its way out: the producer state was never loaded,
// and a snapshot of that empty state used to overwrite the valid one at the log end.
TEST(log_open_segments, failed_open_keeps_the_producer_snapshot) {
    temp_dir t;
    const auto dir = t.path() / "p-0";
    {
        auto l = must_open(dir, small_segments());
        for (int i = 0; i < 12; ++i) {
            auto b = make_producer_batch(40 + i % 3, 0, i / 3, 1, 5000 + i);
            ASSERT_TRUE(l->append(b, 0, 0));
        }
        EXPECT_EQ(l->producers().size(), 3u);
        l->close();  // snapshot at the log end, 12
    }
    const auto snapshot = segment_file(dir, 12, ".snapshot");
    const auto before = read_file(snapshot);
    const auto epochs = read_text(dir / "leader-epoch-checkpoint");
    write_text(dir / "leader-epoch-checkpoint", "0\n1\nnot a number\n");
    auto failed = log::open(dir, small_segments(), shutdown_state::clean, 0);
    ASSERT_FALSE(failed);
    EXPECT_EQ(read_file(snapshot), before);
    write_text(dir / "leader-epoch-checkpoint", epochs);
    auto l = must_open(dir, small_segments());
    EXPECT_EQ(l->producers().size(), 3u);
}

}  // namespace
}  // namespace storage
