#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "protocol/records/compression.h"
#include "storage/errc.h"
#include "storage/file_names.h"
#include "storage/log.h"
#include "storage/log_cleaner.h"
#include "tests/unit/storage/storage_test_util.h"

namespace storage {
namespace {

using namespace storage::test;

constexpr rec::compression codecs[] = {rec::compression::none, rec::compression::gzip,
                                       rec::compression::snappy, rec::compression::lz4,
                                       rec::compression::zstd};

struct update {
    std::string key;
    std::optional<std::string> value;  // nullopt: tombstone
};

std::vector<uint8_t> keyed_batch(const std::vector<update>& ups, rec::compression codec,
                                 int64_t ts0, int64_t producer_id = -1, int32_t seq = -1) {
    rec::record_batch_builder b;
    b.set_compression(codec);
    if (producer_id >= 0) b.set_producer(producer_id, 0, seq);
    int64_t ts = ts0;
    for (const auto& u : ups) {
        rec::record_input r;
        r.key = rec::as_bytes(u.key);
        if (u.value) r.value = rec::as_bytes(*u.value);
        r.timestamp = ts++;
        b.add(r);
    }
    return b.build();
}

// log::append rewrites offsets in place, so it takes a mutable buffer.
result<append_result> append_batch(log& l, std::vector<uint8_t> bytes) {
    return l.append(bytes, 0, 0);
}

struct record_at {
    int64_t offset;
    std::optional<std::string> key;
    std::optional<std::string> value;
};

// Every record of the log from its start, decompressed; fails the test on an invalid batch.
std::vector<record_at> all_records(const log& l, size_t* batch_count = nullptr) {
    std::vector<record_at> out;
    auto bytes = read_all(l, l.log_start_offset());
    int64_t prev_last = -1;
    size_t batches = 0;
    auto tail = rec::for_each_batch(bytes, [&](rec::batch_view b) {
        ++batches;
        EXPECT_FALSE(rec::validate_batch(b.bytes(), rec::validation_mode::stored));
        EXPECT_GT(b.base_offset(), prev_last);
        prev_last = b.last_offset();
        rec::batch_records recs(b);
        while (auto r = recs.next()) {
            record_at a{b.base_offset() + r->offset_delta, std::nullopt, std::nullopt};
            if (r->key) a.key = std::string(r->key->begin(), r->key->end());
            if (r->value) a.value = std::string(r->value->begin(), r->value->end());
            EXPECT_LE(a.offset, b.last_offset());
            out.push_back(std::move(a));
        }
        EXPECT_FALSE(recs.error()) << recs.error().message();
    });
    EXPECT_FALSE(tail);
    if (batch_count) *batch_count = batches;
    return out;
}

std::map<std::string, record_at> latest_per_key(const std::vector<record_at>& records) {
    std::map<std::string, record_at> m;
    for (const auto& r : records)
        if (r.key) m[*r.key] = r;
    return m;
}

// One full cleaner pass as the broker runs it: snapshot, clean, swap every group.
clean_result clean_once(log& l, int64_t& checkpoint, const cleaner_config& cfg, int64_t now_ms) {
    auto in = l.cleaning_snapshot();
    auto range = find_cleanable_range(in, checkpoint, now_ms, cfg);
    auto r = clean(in, range, cfg);
    EXPECT_TRUE(r) << r.error().message();
    if (!r) return {};
    for (const auto& g : r.value().groups) EXPECT_TRUE(l.replace_segments(g, now_ms));
    checkpoint = r.value().next_dirty_offset;
    return r.value();
}

size_t files_with(const fs::path& dir, std::string_view suffix) {
    size_t n = 0;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.path().filename().string().ends_with(suffix)) ++n;
    return n;
}

constexpr int64_t producer_id = 4242;

// 10,000 updates over 100 keys in batches of 10, codecs rotating over the five, every 97th
// update a tombstone, every 7th batch from an idempotent producer; update i lands at offset i.
struct updates_log {
    temp_dir t;
    log_config cfg;
    std::unique_ptr<log> l;
    std::map<std::string, record_at> expected;  // latest per key
    std::set<int64_t> tombstones;               // offsets of every tombstone written
    int32_t next_seq = 0;
    int64_t last_producer_offset = -1;

    explicit updates_log(int updates = 10000) {
        cfg.segment_bytes = 8 * 1024;
        cfg.index_interval_bytes = 128;  // cleaned segments get offset index entries too
        cfg.retention_ms = -1;
        cfg.compacted = true;
        l = log::open(t.path(), cfg).value();
        int64_t offset = 0;
        for (int b = 0; offset < updates; ++b) {
            std::vector<update> ups;
            for (int i = 0; i < 10; ++i, ++offset) {
                std::string key = "key-" + std::to_string((offset * 37 + offset / 100) % 100);
                update u{key, std::nullopt};
                if (offset % 97 != 0) {
                    u.value = "value-" + std::to_string(offset);
                } else {
                    tombstones.insert(offset);
                }
                expected[key] = record_at{offset, key, u.value};
                ups.push_back(u);
            }
            const bool idem = b % 7 == 0;
            auto bytes = keyed_batch(ups, codecs[b % 5], 1000 + offset - 10,
                                     idem ? producer_id : -1, idem ? next_seq : -1);
            if (idem) {
                next_seq += 10;
                last_producer_offset = offset - 1;
            }
            auto r = l->append(bytes, 0, 0);
            EXPECT_TRUE(r);
            EXPECT_EQ(r.value().last_offset, offset - 1);
        }
    }
};

void expect_latest_values(const log& l, const std::map<std::string, record_at>& expected,
                          const std::set<int64_t>& tombstones, bool tombstones_may_be_gone) {
    auto records = all_records(l);
    // Offsets unchanged: the record at offset o is update o.
    for (const auto& r : records) {
        if (r.value) {
            EXPECT_EQ(*r.value, "value-" + std::to_string(r.offset));
        } else {
            EXPECT_TRUE(tombstones.contains(r.offset)) << r.offset;
        }
    }
    auto latest = latest_per_key(records);
    for (const auto& [key, want] : expected) {
        auto it = latest.find(key);
        if (!want.value && tombstones_may_be_gone && it == latest.end()) continue;
        ASSERT_NE(it, latest.end()) << key;
        EXPECT_EQ(it->second.offset, want.offset) << key;
        EXPECT_EQ(it->second.value, want.value) << key;
    }
}

TEST(log_cleaner, ten_thousand_updates_over_100_keys_keep_the_latest_value_per_key) {
    updates_log u;
    auto before = all_records(*u.l);
    ASSERT_EQ(before.size(), 10000u);
    // Deletes of key-0..key-9 as the newest records of their keys, then updates of other keys
    // so the deletes land in a closed segment.
    {
        int64_t off = u.l->log_end_offset();
        std::vector<update> dels;
        for (int k = 0; k < 10; ++k, ++off) {
            std::string key = "key-" + std::to_string(k);
            dels.push_back({key, std::nullopt});
            u.expected[key] = record_at{off, key, std::nullopt};
            u.tombstones.insert(off);
        }
        ASSERT_TRUE(append_batch(*u.l, keyed_batch(dels, rec::compression::snappy, 500000)));
        for (int b = 0; b < 60; ++b) {
            std::vector<update> ups;
            for (int i = 0; i < 10; ++i, ++off) {
                std::string key = "key-" + std::to_string(50 + (b * 10 + i) % 50);
                ups.push_back({key, "value-" + std::to_string(off)});
                u.expected[key] = record_at{off, key, "value-" + std::to_string(off)};
            }
            ASSERT_TRUE(append_batch(*u.l, keyed_batch(ups, codecs[b % 5], 600000 + off)));
        }
        before = all_records(*u.l);
    }
    const int64_t end = u.l->log_end_offset();
    const auto producer_before = *u.l->producers().find(producer_id);
    const size_t segments_before = u.l->segment_count();

    cleaner_config cfg;  // delete.retention.ms 1 day: tombstones stay this time
    int64_t checkpoint = -1;
    auto res = clean_once(*u.l, checkpoint, cfg, 1'000'000);
    EXPECT_EQ(checkpoint, u.l->cleaning_snapshot().active_base_offset);
    EXPECT_GT(res.records_read, 9000);
    EXPECT_EQ(res.tombstones_removed, 0);
    EXPECT_FALSE(res.groups.empty());
    EXPECT_LE(u.l->segment_count(), segments_before);

    auto after = all_records(*u.l);
    EXPECT_LT(after.size(), 1000u);
    // The deletes are still there (delete.retention.ms not over).
    for (int k = 0; k < 10; ++k) {
        auto it = latest_per_key(after).find("key-" + std::to_string(k));
        ASSERT_NE(it, latest_per_key(after).end());
        EXPECT_FALSE(it->second.value);
    }
    expect_latest_values(*u.l, u.expected, u.tombstones, false);
    EXPECT_EQ(u.l->log_end_offset(), end);
    EXPECT_EQ(u.l->log_start_offset(), 0);
    EXPECT_EQ(files_with(u.t.path(), ".cleaned") + files_with(u.t.path(), ".swap") +
                  files_with(u.t.path(), ".deleted"),
              0u);
    // The cleaned segments came with their indexes, byte for byte what a rebuild makes.
    {
        std::map<std::string, std::vector<uint8_t>> written;
        const auto closed = u.l->cleaning_snapshot().segments;
        for (const auto& seg : closed)
            for (auto suffix : {index_suffix, time_index_suffix})
                written[segment_file(u.t.path(), seg.base_offset, suffix).string()] =
                    read_file(segment_file(u.t.path(), seg.base_offset, suffix));
        u.l.reset();
        for (const auto& [path, bytes] : written) fs::remove(path);
        u.l = log::open(u.t.path(), u.cfg, shutdown_state::clean).value();
        for (const auto& [path, bytes] : written) {
            EXPECT_EQ(read_file(path), bytes) << path;
            // Small cleaned segments may have no offset index entry; the time index always has
            // the segment's max timestamp.
            if (path.ends_with(".timeindex")) {
                EXPECT_FALSE(bytes.empty()) << path;
            }
        }
    }
    // Reads from inside a removed range start at the next kept batch.
    auto r = u.l->read(5, 1 << 20, INT64_MAX);
    ASSERT_TRUE(r);
    EXPECT_GE(r.value().first_batch_offset, 0);
    // ListOffsets by timestamp still answers (update o has timestamp 1000 + o).
    auto ts = u.l->offset_for_timestamp(1000 + 5000);
    ASSERT_TRUE(ts);
    EXPECT_GE(ts.value().offset, 5000);
    EXPECT_LT(ts.value().offset, end);
    // Appends continue at the same end offset.
    auto more = keyed_batch({{"key-11", "value-" + std::to_string(end)}}, rec::compression::lz4, 99999);
    ASSERT_EQ(u.l->append(more, 0, 0).value().first_offset, end);
    u.expected["key-11"] = record_at{end, "key-11", "value-" + std::to_string(end)};

    // Producer state survives a restart from the log alone: its last batch was kept (maybe
    // emptied). Snapshots removed so the state is rebuilt from the cleaned batch headers.
    u.l.reset();
    for (const auto& e : fs::directory_iterator(u.t.path()))
        if (e.path().extension() == ".snapshot") fs::remove(e.path());
    for (auto st : {shutdown_state::clean, shutdown_state::unclean}) {
        auto l = log::open(u.t.path(), u.cfg, st).value();
        expect_latest_values(*l, u.expected, u.tombstones, false);
        ASSERT_NE(l->producers().find(producer_id), nullptr);
        EXPECT_EQ(l->producers().find(producer_id)->last_seq(), producer_before.last_seq());
        EXPECT_EQ(l->producers().find(producer_id)->batches.back().last_offset,
                  u.last_producer_offset);
        // A retry of the producer's last batch is still recognised as a duplicate.
        EXPECT_EQ(l->log_end_offset(), end + 1);
    }

    // Tombstones go once they have been clean for delete.retention.ms (0 here) and the next
    // clean runs: more dirty data, then two passes.
    auto l = log::open(u.t.path(), u.cfg).value();
    int64_t off = l->log_end_offset();
    auto more_updates = [&] {
        for (int b = 0; b < 60; ++b) {
            std::vector<update> ups;
            for (int i = 0; i < 10; ++i, ++off) {
                std::string key = "key-" + std::to_string(20 + i * 3);
                ups.push_back({key, "value-" + std::to_string(off)});
                u.expected[key] = record_at{off, key, "value-" + std::to_string(off)};
            }
            ASSERT_TRUE(append_batch(*l, keyed_batch(ups, codecs[b % 5], 2000000 + off)));
        }
    };
    more_updates();
    cfg.delete_retention_ms = 0;
    auto res2 = clean_once(*l, checkpoint, cfg, 2'000'000);
    EXPECT_GE(res2.tombstones_removed, 10);
    for (int k = 0; k < 10; ++k)
        EXPECT_FALSE(latest_per_key(all_records(*l)).contains("key-" + std::to_string(k)));
    // Tombstones of the segment that was active at the first clean were dirty just now, so
    // they get their delete.retention.ms from this clean on: gone at the next one.
    more_updates();
    auto res3 = clean_once(*l, checkpoint, cfg, 3'000'000);
    EXPECT_FALSE(res3.groups.empty());
    // Segments shrunk by the first clean were merged into groups.
    EXPECT_LT(l->segment_count(), segments_before);
    auto final_records = all_records(*l);
    for (const auto& rr : final_records) EXPECT_TRUE(rr.value) << "tombstone at " << rr.offset;
    expect_latest_values(*l, u.expected, u.tombstones, true);
}

TEST(log_cleaner, a_crash_at_each_swap_step_recovers_to_a_valid_log) {
    // First a clean run to count the steps of a whole pass.
    int steps = 0;
    {
        updates_log u(3000);
        int64_t cp = -1;
        auto in = u.l->cleaning_snapshot();
        auto r = clean(in, find_cleanable_range(in, cp, 0, {}), {}).value();
        ASSERT_GE(r.groups.size(), 2u);
        for (const auto& g : r.groups)
            ASSERT_TRUE(u.l->replace_segments(g, 0, [&](swap_step) { ++steps; return true; }));
    }
    ASSERT_GT(steps, 6);
    // Stop after step k (k = 0: right after clean(), before any swap).
    for (int k = 0; k <= steps; ++k) {
        SCOPED_TRACE("crash after step " + std::to_string(k));
        updates_log u(3000);
        const auto before = all_records(*u.l);
        const int64_t end = u.l->log_end_offset();
        auto in = u.l->cleaning_snapshot();
        auto r = clean(in, find_cleanable_range(in, -1, 0, {}), {}).value();
        // clean() wrote each group's indexes next to its .log.cleaned.
        EXPECT_EQ(files_with(u.t.path(), ".log.cleaned"), r.groups.size());
        EXPECT_EQ(files_with(u.t.path(), ".timeindex.cleaned"), r.groups.size());
        EXPECT_EQ(files_with(u.t.path(), ".index.cleaned"), r.groups.size());
        int seen = 0;
        bool crashed = k == 0;
        for (const auto& g : r.groups) {
            if (crashed) break;
            auto res = u.l->replace_segments(g, 0, [&](swap_step) { return ++seen < k; });
            if (!res) crashed = true;
        }
        u.l.reset();  // the "crash": the object goes, files stay as they are
        auto l = log::open(u.t.path(), u.cfg, shutdown_state::unclean);
        ASSERT_TRUE(l) << l.error().message();
        EXPECT_EQ(files_with(u.t.path(), ".cleaned") + files_with(u.t.path(), ".swap") +
                      files_with(u.t.path(), ".deleted"),
                  0u);
        EXPECT_EQ(l.value()->log_end_offset(), end);
        EXPECT_EQ(l.value()->log_start_offset(), 0);
        expect_latest_values(*l.value(), u.expected, u.tombstones, false);
        auto after = all_records(*l.value());
        EXPECT_LE(after.size(), before.size());
        if (k == 0) {
            EXPECT_EQ(after.size(), before.size());
        }
        if (k == steps) {
            EXPECT_LT(after.size(), before.size() / 5);
        }
        // And the recovered log cleans to the same result.
        int64_t cp = -1;
        clean_once(*l.value(), cp, {}, 0);
        expect_latest_values(*l.value(), u.expected, u.tombstones, false);
        EXPECT_LT(all_records(*l.value()).size(), before.size() / 5);
    }
}

TEST(log_cleaner, a_full_offset_map_cleans_the_dirty_range_over_several_passes) {
    updates_log u(3000);
    cleaner_config small;
    small.dedupe_buffer_bytes = 1;  // full after the first key: one segment per pass
    const auto in = u.l->cleaning_snapshot();
    ASSERT_GE(in.segments.size(), 4u);
    int64_t cp = -1;
    clean_once(*u.l, cp, small, 0);
    EXPECT_EQ(cp, in.segments[1].base_offset);
    expect_latest_values(*u.l, u.expected, u.tombstones, false);
    int passes = 1;
    while (cp < in.active_base_offset && passes < 100) {
        clean_once(*u.l, cp, small, 0);
        ++passes;
    }
    EXPECT_EQ(cp, in.active_base_offset);
    EXPECT_EQ(passes, static_cast<int>(in.segments.size()));
    expect_latest_values(*u.l, u.expected, u.tombstones, false);
    // Every segment holds every key, so each pass superseded all older versions: a pass with a
    // full map from the log start finds one record per key in the cleaned part and keeps them.
    int64_t full = -1;
    auto res = clean_once(*u.l, full, {}, 0);
    EXPECT_EQ(res.records_kept, res.records_read);
    expect_latest_values(*u.l, u.expected, u.tombstones, false);
}

TEST(log_cleaner, never_touches_the_active_segment_and_respects_min_compaction_lag) {
    temp_dir t;
    log_config cfg;
    cfg.segment_bytes = 1 << 20;
    auto l = log::open(t.path(), cfg).value();
    for (int i = 0; i < 50; ++i)
        ASSERT_TRUE(append_batch(*l, keyed_batch({{"k", "value-" + std::to_string(i)}}, rec::compression::none, i)));
    int64_t cp = -1;
    auto res = clean_once(*l, cp, {}, 0);
    EXPECT_TRUE(res.groups.empty());
    EXPECT_EQ(all_records(*l).size(), 50u);  // all in the active segment

    // Two closed segments with timestamps 1000.. and 5000..; lag makes the second uncleanable.
    temp_dir t2;
    cfg.segment_bytes = keyed_batch({{"k", "value-00"}}, rec::compression::none, 0).size() * 10;
    l = log::open(t2.path(), cfg).value();
    for (int i = 0; i < 30; ++i) {
        const int64_t ts = (i < 10 ? 1000 : i < 20 ? 5000 : 9000) + i;
        // Same-size values, so exactly 10 batches fit a segment.
        std::string v = "value-" + std::to_string(i / 10) + std::to_string(i % 10);
        ASSERT_TRUE(append_batch(*l, keyed_batch({{"k", v}}, rec::compression::none, ts)));
    }
    ASSERT_EQ(l->segment_base_offsets(), (std::vector<int64_t>{0, 10, 20}));
    cleaner_config lag;
    lag.min_compaction_lag_ms = 3000;
    auto in = l->cleaning_snapshot();
    auto range = find_cleanable_range(in, -1, 7000, lag);
    EXPECT_EQ(range.first_dirty, 0);
    EXPECT_EQ(range.first_uncleanable, 10);
    EXPECT_NEAR(range.dirty_ratio(), 1.0, 1e-9);
    cp = -1;
    clean_once(*l, cp, lag, 7000);
    EXPECT_EQ(cp, 10);
    auto recs = all_records(*l);
    // Segment 0 kept only its last record (offset 9: superseded keys beyond the map are not
    // known yet), the other two untouched.
    ASSERT_EQ(recs.size(), 21u);
    EXPECT_EQ(recs[0].offset, 9);
    // A high watermark bound works the same way.
    auto bounded = l->cleaning_snapshot();
    bounded.upper_bound = 15;
    EXPECT_EQ(find_cleanable_range(bounded, -1, 7000, {}).first_uncleanable, 10);
    bounded.upper_bound = 20;
    EXPECT_EQ(find_cleanable_range(bounded, -1, 7000, {}).first_uncleanable, 20);
    auto r2 = find_cleanable_range(l->cleaning_snapshot(), cp, 7000, lag);
    EXPECT_EQ(r2.first_dirty, 10);
    EXPECT_GT(r2.clean_bytes, 0u);
}

TEST(log_cleaner, keyless_records_go_and_a_producers_last_batch_stays_empty) {
    temp_dir t;
    log_config cfg;
    auto one = keyed_batch({{"a", "1"}}, rec::compression::none, 0, 7, 0);
    auto two = keyed_batch({{"a", "2"}}, rec::compression::gzip, 1, 7, 1);
    rec::record_batch_builder kb;  // a keyless record
    rec::record_input kr;
    kr.value = rec::as_bytes("x");
    kb.add(kr);
    auto keyless = kb.build();
    // Segment 0 is exactly batches 0-2; 3-5 (zstd and two plain ones, smaller) fit the next.
    cfg.segment_bytes = one.size() + two.size() + keyless.size();
    auto l = log::open(t.path(), cfg).value();
    ASSERT_TRUE(l->append(one, 0, 0));      // 0
    ASSERT_TRUE(l->append(two, 0, 0));      // 1
    ASSERT_TRUE(l->append(keyless, 0, 0));  // 2
    ASSERT_TRUE(append_batch(*l, keyed_batch({{"a", "3"}}, rec::compression::zstd, 3)));  // 3
    ASSERT_TRUE(append_batch(*l, keyed_batch({{"b", "4"}}, rec::compression::none, 4)));  // 4
    ASSERT_TRUE(append_batch(*l, keyed_batch({{"c", "5"}}, rec::compression::none, 5)));  // 5
    ASSERT_TRUE(append_batch(*l, keyed_batch({{"d", "6"}}, rec::compression::none, 6)));  // 6 active
    ASSERT_EQ(l->segment_base_offsets(), (std::vector<int64_t>{0, 3, 6}));
    int64_t cp = -1;
    clean_once(*l, cp, {}, 0);
    size_t batches = 0;
    auto recs = all_records(*l, &batches);
    ASSERT_EQ(recs.size(), 4u);
    EXPECT_EQ(recs[0].offset, 3);
    EXPECT_EQ(recs[0].value, "3");
    // Batches left: 1 (producer 7's last, emptied), 2 (the cleaned segment's last, emptied:
    // it keeps the segment's end offset), 3, 4, 5 (an unchanged segment, not rewritten), 6.
    EXPECT_EQ(batches, 6u);
    auto bytes = read_all(*l, 0);
    auto views = split(bytes);
    ASSERT_EQ(views.size(), 6u);
    EXPECT_EQ(views[0].base_offset(), 1);
    EXPECT_EQ(views[0].records_count(), 0);
    EXPECT_EQ(views[0].producer_id(), 7);
    EXPECT_EQ(views[0].codec(), rec::compression::none);  // empty batches are bare headers
    EXPECT_EQ(views[0].size_bytes(), rec::batch_header_size);
    EXPECT_EQ(views[1].base_offset(), 2);
    EXPECT_EQ(views[1].records_count(), 0);
    l.reset();
    for (const auto& e : fs::directory_iterator(t.path()))
        if (e.path().extension() == ".snapshot") fs::remove(e.path());
    l = log::open(t.path(), cfg).value();
    ASSERT_NE(l->producers().find(7), nullptr);
    EXPECT_EQ(l->producers().find(7)->last_seq(), 1);
}

TEST(log_cleaner, a_corrupt_compressed_batch_fails_the_clean_and_changes_nothing) {
    temp_dir t;
    log_config cfg;
    auto b0 = keyed_batch({{"a", std::string(200, 'x')}, {"b", "2"}}, rec::compression::zstd, 0);
    cfg.segment_bytes = b0.size() * 2;
    auto l = log::open(t.path(), cfg).value();
    // Valid CRC over garbage: the corruption is found only by decompressing.
    for (size_t i = rec::batch_header_size + 4; i < b0.size(); ++i) b0[i] ^= 0x33;
    rec::mutable_batch_view(b0).set_log_append_time(5);  // recomputes the CRC
    ASSERT_TRUE(l->append(b0, 0, 0));
    for (int i = 0; i < 4; ++i)
        ASSERT_TRUE(append_batch(*l, keyed_batch({{"a", "v"}}, rec::compression::none, i)));
    auto before = read_all(*l, 0);
    auto in = l->cleaning_snapshot();
    auto r = clean(in, find_cleanable_range(in, -1, 0, {}), {});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), errc::corrupt_batch);
    EXPECT_EQ(files_with(t.path(), ".cleaned"), 0u);
    EXPECT_EQ(read_all(*l, 0), before);
}

TEST(log_cleaner, a_swap_of_segments_that_changed_meanwhile_is_refused) {
    updates_log u(2000);
    auto in = u.l->cleaning_snapshot();
    auto r = clean(in, find_cleanable_range(in, -1, 0, {}), {}).value();
    ASSERT_FALSE(r.groups.empty());
    // Retention deleted the first segments meanwhile.
    ASSERT_TRUE(u.l->delete_segments_below(in.segments[1].base_offset));
    EXPECT_EQ(u.l->replace_segments(r.groups[0], 0).error(), errc::invalid_argument);
    EXPECT_FALSE(fs::exists(r.groups[0].cleaned_file));
    EXPECT_EQ(files_with(u.t.path(), ".swap"), 0u);
}

TEST(log_cleaner, a_new_follower_copies_a_cleaned_leader_log_with_its_gaps) {
    updates_log leader(3000);
    int64_t cp = -1;
    clean_once(*leader.l, cp, {}, 0);
    temp_dir t;
    log_config cfg = leader.cfg;
    auto follower = log::open(t.path(), cfg).value();
    // Fetch-sized reads from the follower's log end, as the replica fetcher does.
    for (int round = 0; round < 1000 && follower->log_end_offset() < leader.l->log_end_offset(); ++round) {
        auto bytes = read_all(*leader.l, follower->log_end_offset(), 4096);
        ASSERT_FALSE(bytes.empty());
        auto r = follower->append_as_follower(bytes, 0);
        ASSERT_TRUE(r) << r.error().message() << " at " << follower->log_end_offset();
    }
    EXPECT_EQ(follower->log_end_offset(), leader.l->log_end_offset());
    EXPECT_EQ(read_all(*follower, 0), read_all(*leader.l, 0));
    expect_latest_values(*follower, leader.expected, leader.tombstones, false);
    // The producer state followed the kept headers.
    ASSERT_NE(follower->producers().find(producer_id), nullptr);
    EXPECT_EQ(follower->producers().find(producer_id)->batches.back().last_offset, leader.last_producer_offset);
}

TEST(log_cleaner, a_compacted_follower_accepts_offset_gaps) {
    temp_dir t;
    log_config cfg;
    auto l = log::open(t.path(), cfg).value();
    auto b = keyed_batch({{"k", "v"}}, rec::compression::none, 0);
    rec::mutable_batch_view(b).set_base_offset(5);
    EXPECT_EQ(l->append_as_follower(b, 0).error(), errc::offset_mismatch);
    cfg.compacted = true;
    l->set_config(cfg);
    auto r = l->append_as_follower(b, 0);
    ASSERT_TRUE(r);
    EXPECT_EQ(r.value().first_offset, 5);
    EXPECT_EQ(l->log_end_offset(), 6);
    auto b2 = keyed_batch({{"k", "w"}}, rec::compression::none, 0);
    rec::mutable_batch_view(b2).set_base_offset(9);
    auto b3 = keyed_batch({{"k", "x"}}, rec::compression::none, 0);
    rec::mutable_batch_view(b3).set_base_offset(9);  // not above the previous one
    EXPECT_EQ(l->append_as_follower(concat({b2, b3}), 0).error(), errc::offset_mismatch);
    ASSERT_TRUE(l->append_as_follower(b2, 0));
    EXPECT_EQ(l->log_end_offset(), 10);
}

}  // namespace
}  // namespace storage
