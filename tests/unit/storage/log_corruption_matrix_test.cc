// Corruption matrix (issue 6): each kind of damage a crash or a bad disk leaves in the active
// segment or in an index, opened with shutdown_state::unclean, must recover to the last valid
// batch. Every case is compared with a log freshly built from exactly the batches that should
// survive: same end offset, same bytes at every offset (each returned batch passes its CRC), same
// offset_for_timestamp answers, appends continuing identically, and after close byte-identical
// .log/.index/.timeindex files (a rebuilt index equals the one appends write).
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>

#include "storage/file_names.h"
#include "storage/log.h"
#include "tests/unit/storage/storage_test_util.h"

namespace storage {
namespace {

using namespace storage::test;

constexpr int batch_count = 14;
constexpr int records_per_batch = 3;

log_config matrix_config() {
    log_config cfg;
    cfg.segment_bytes = 1200;        // ~5 batches per segment: 3 segments
    cfg.index_interval_bytes = 150;  // an index entry every ~batch
    return cfg;
}

/// Batch i: 3 records, timestamps that go up and down across batches so the time index and
/// offset_for_timestamp have work to do.
std::vector<uint8_t> batch(int i) {
    const int64_t ts0 = 10'000 + (i % 4 == 3 ? -500 : 100 * i);
    return make_batch(records_per_batch, ts0, "b" + std::to_string(i), 48);
}

std::unique_ptr<log> open_or_fail(const fs::path& dir, shutdown_state st) {
    auto r = log::open(dir, matrix_config(), st, 0);
    EXPECT_TRUE(r) << (r ? "" : r.error().message());
    return r ? std::move(r).value() : nullptr;
}

/// Writes batches [0, n) one append each and closes the log (every file complete on disk).
void build(const fs::path& dir, int n) {
    auto l = open_or_fail(dir, shutdown_state::unclean);
    for (int i = 0; i < n; ++i) {
        auto b = batch(i);
        ASSERT_TRUE(l->append(b, 1, 0));
    }
    l->close();
}

/// Where the batches of the active (last) segment are in its .log.
struct active_layout {
    int64_t base = 0;
    int first_batch = 0;  // index of its first batch
    std::vector<std::pair<uint64_t, uint64_t>> batches;  // (position, size)
    fs::path log, index, timeindex;
};

active_layout layout_of(const fs::path& dir) {
    active_layout a;
    auto l = open_or_fail(dir, shutdown_state::clean);
    const auto bases = l->segment_base_offsets();
    EXPECT_GE(bases.size(), 3u);
    a.base = bases.back();
    l->close();
    a.first_batch = static_cast<int>(a.base / records_per_batch);
    a.log = segment_file(dir, a.base, log_suffix);
    a.index = segment_file(dir, a.base, index_suffix);
    a.timeindex = segment_file(dir, a.base, time_index_suffix);
    auto bytes = read_file(a.log);
    uint64_t pos = 0;
    for (auto v : split(bytes)) {
        a.batches.emplace_back(pos, v.size_bytes());
        pos += v.size_bytes();
    }
    return a;
}

fs::path sealed_file(const fs::path& dir, std::string_view suffix) { return segment_file(dir, 0, suffix); }

struct corruption_case {
    const char* name;
    /// Damages the closed log in dir; returns how many leading batches stay valid.
    std::function<int(const fs::path& dir, const active_layout& a)> damage;
    /// Recovery empties the active segment: it stays (empty, at the log end, as after a roll)
    /// where the fresh log has none, so segment layout and files differ; data must not.
    bool empties_active_segment = false;
};

void write_be64(const fs::path& p, uint64_t position, uint64_t v) {
    auto bytes = read_file(p);
    for (int i = 0; i < 8; ++i) bytes[position + i] = static_cast<uint8_t>(v >> (56 - 8 * i));
    write_file(p, bytes);
}
void write_be32(const fs::path& p, uint64_t position, uint32_t v) {
    auto bytes = read_file(p);
    for (int i = 0; i < 4; ++i) bytes[position + i] = static_cast<uint8_t>(v >> (24 - 8 * i));
    write_file(p, bytes);
}

const corruption_case cases[] = {
    {"crc_mismatch_in_batch_body",
     [](const fs::path&, const active_layout& a) {
         flip_byte(a.log, a.batches[1].first + 90);  // inside the second active batch's records
         return a.first_batch + 1;
     }},
    {"truncated_final_batch",
     [](const fs::path&, const active_layout& a) {
         truncate_file(a.log, fs::file_size(a.log) - 20);
         return batch_count - 1;
     }},
    {"truncated_final_batch_header",
     [](const fs::path&, const active_layout& a) {
         truncate_file(a.log, a.batches.back().first + 30);
         return batch_count - 1;
     }},
    {"truncated_active_index_mid_entry",
     [](const fs::path&, const active_layout& a) {
         truncate_file(a.index, fs::file_size(a.index) - 3);
         return batch_count;
     }},
    {"truncated_active_index_whole_entry",
     [](const fs::path&, const active_layout& a) {
         truncate_file(a.index, fs::file_size(a.index) - 8);
         return batch_count;
     }},
    {"truncated_sealed_index",
     [](const fs::path& dir, const active_layout&) {
         auto p = sealed_file(dir, index_suffix);
         truncate_file(p, fs::file_size(p) - 8);
         return batch_count;
     }},
    {"truncated_sealed_index_mid_entry",
     [](const fs::path& dir, const active_layout&) {
         auto p = sealed_file(dir, index_suffix);
         truncate_file(p, fs::file_size(p) - 5);
         return batch_count;
     }},
    {"truncated_active_timeindex",
     [](const fs::path&, const active_layout& a) {
         truncate_file(a.timeindex, fs::file_size(a.timeindex) - 12);
         return batch_count;
     }},
    {"truncated_sealed_timeindex",
     [](const fs::path& dir, const active_layout&) {
         auto p = sealed_file(dir, time_index_suffix);
         truncate_file(p, fs::file_size(p) - 12);
         return batch_count;
     }},
    {"truncated_sealed_timeindex_mid_entry",
     [](const fs::path& dir, const active_layout&) {
         auto p = sealed_file(dir, time_index_suffix);
         truncate_file(p, fs::file_size(p) - 7);
         return batch_count;
     }},
    {"missing_active_timeindex",
     [](const fs::path&, const active_layout& a) {
         fs::remove(a.timeindex);
         return batch_count;
     }},
    {"missing_sealed_timeindex",
     [](const fs::path& dir, const active_layout&) {
         fs::remove(sealed_file(dir, time_index_suffix));
         return batch_count;
     }},
    {"missing_active_index",
     [](const fs::path&, const active_layout& a) {
         fs::remove(a.index);
         return batch_count;
     }},
    {"missing_sealed_index",
     [](const fs::path& dir, const active_layout&) {
         fs::remove(sealed_file(dir, index_suffix));
         return batch_count;
     }},
    {"garbage_appended_to_log",
     [](const fs::path&, const active_layout& a) {
         auto bytes = read_file(a.log);
         for (int i = 0; i < 300; ++i) bytes.push_back(static_cast<uint8_t>(i * 37 + 11));
         write_file(a.log, bytes);
         return batch_count;
     }},
    {"zeros_appended_to_log",
     [](const fs::path&, const active_layout& a) {
         auto bytes = read_file(a.log);
         bytes.resize(bytes.size() + 4096, 0);  // a preallocated or torn page
         write_file(a.log, bytes);
         return batch_count;
     }},
    {"batch_length_field_too_large",
     [](const fs::path&, const active_layout& a) {
         write_be32(a.log, a.batches[2].first + 8, 0x7fff0000);
         return a.first_batch + 2;
     }},
    {"batch_length_field_slightly_off",
     [](const fs::path&, const active_layout& a) {
         // Still inside the file: the batch then fails its CRC (and the next "batch" is garbage).
         write_be32(a.log, a.batches[1].first + 8, static_cast<uint32_t>(a.batches[1].second - 12 + 5));
         return a.first_batch + 1;
     }},
    {"batch_length_field_below_header",
     [](const fs::path&, const active_layout& a) {
         write_be32(a.log, a.batches[2].first + 8, 10);
         return a.first_batch + 2;
     }},
    {"offsets_non_monotonic",
     [](const fs::path&, const active_layout& a) {
         // base_offset is outside the CRC: the batch still passes validation, the order does not.
         write_be64(a.log, a.batches[2].first, static_cast<uint64_t>(a.base));
         return a.first_batch + 2;
     }},
    {"offset_below_segment_base",
     [](const fs::path&, const active_layout& a) {
         write_be64(a.log, a.batches[0].first, 0);
         return a.first_batch;
     },
     true},
};

class corruption_matrix : public ::testing::TestWithParam<corruption_case> {};

void expect_same_log(const log& got, const log& want, const std::string& when, bool same_layout) {
    SCOPED_TRACE(when);
    ASSERT_EQ(got.log_end_offset(), want.log_end_offset());
    ASSERT_EQ(got.log_start_offset(), want.log_start_offset());
    EXPECT_EQ(got.size_bytes(), want.size_bytes());
    if (same_layout) {
        EXPECT_EQ(got.segment_base_offsets(), want.segment_base_offsets());
    }
    for (int64_t o = got.log_start_offset(); o < got.log_end_offset(); ++o) {
        auto g = read_all(got, o), w = read_all(want, o);
        ASSERT_EQ(g, w) << "read at offset " << o;
        ASSERT_FALSE(g.empty());
        rec::batch_iterator it(g);
        while (auto b = it.next()) {
            ASSERT_FALSE(rec::validate_batch(b->bytes(), rec::validation_mode::stored)) << "offset " << o;
        }
        ASSERT_TRUE(it.at_end());
        // Small reads (one batch) go through the index lookup of every segment.
        ASSERT_EQ(read_all(got, o, 1), read_all(want, o, 1)) << "one-batch read at offset " << o;
    }
    for (int64_t ts = 9'000; ts <= 12'000; ts += 50) {
        auto g = got.offset_for_timestamp(ts), w = want.offset_for_timestamp(ts);
        ASSERT_TRUE(g && w);
        ASSERT_EQ(g.value(), w.value()) << "offset_for_timestamp(" << ts << ")";
    }
}

void expect_same_files(const fs::path& got, const fs::path& want) {
    for (const auto& e : fs::directory_iterator(want)) {
        const auto name = e.path().filename();
        const auto ext = name.extension();
        if (ext != ".log" && ext != ".index" && ext != ".timeindex") continue;
        ASSERT_TRUE(fs::exists(got / name)) << name;
        EXPECT_EQ(read_file(got / name), read_file(e.path())) << name;
    }
}

TEST_P(corruption_matrix, recovers_to_the_last_valid_batch) {
    const auto& c = GetParam();
    temp_dir t;
    const auto damaged = t.path() / "damaged-0";
    const auto fresh = t.path() / "fresh-0";
    build(damaged, batch_count);
    const auto a = layout_of(damaged);
    ASSERT_GE(a.batches.size(), 3u) << "the active segment needs a few batches for the cases";
    const int valid = c.damage(damaged, a);
    build(fresh, valid);

    auto got = open_or_fail(damaged, shutdown_state::unclean);
    auto want = open_or_fail(fresh, shutdown_state::clean);
    ASSERT_TRUE(got && want);
    EXPECT_EQ(got->log_end_offset(), int64_t{valid} * records_per_batch);
    const bool same_layout = !c.empties_active_segment;
    if (c.empties_active_segment) {
        EXPECT_EQ(got->segment_base_offsets().back(), a.base);
        EXPECT_EQ(fs::file_size(a.log), 0u);
    }
    expect_same_log(*got, *want, "after recovery", same_layout);

    // Appends continue from the recovered end, exactly as on the fresh log.
    for (int i = valid; i < valid + 3; ++i) {
        auto g = batch(100 + i), w = batch(100 + i);
        auto rg = got->append(g, 2, 0);
        auto rw = want->append(w, 2, 0);
        ASSERT_TRUE(rg && rw);
        EXPECT_EQ(rg.value().first_offset, rw.value().first_offset);
    }
    expect_same_log(*got, *want, "after appends", same_layout);
    got->close();
    want->close();
    if (same_layout) expect_same_files(damaged, fresh);

    // And the recovered files open cleanly as a log equal to the fresh one.
    auto again = open_or_fail(damaged, shutdown_state::clean);
    auto want_again = open_or_fail(fresh, shutdown_state::clean);
    ASSERT_TRUE(again && want_again);
    expect_same_log(*again, *want_again, "after a clean reopen", same_layout);
}

INSTANTIATE_TEST_SUITE_P(cases, corruption_matrix, ::testing::ValuesIn(cases),
                         [](const ::testing::TestParamInfo<corruption_case>& p) {
                             return std::string(p.param.name);
                         });

}  // namespace
}  // namespace storage
