// brook-dump-log against segments, indexes, snapshots and checkpoints written by storage::log in
// a temp dir (the same code the broker writes with), and against damaged copies of them.
#include "tools/dump_log/dump_log.h"
#include "tools/dump_log/dump_log_options.h"

#include "protocol/records/record_batch_builder.h"
#include "storage/file_names.h"
#include "storage/log.h"
#include "storage/offset_checkpoint.h"
#include "tests/unit/storage/storage_test_util.h"

#include <gtest/gtest.h>

#include <random>
#include <sstream>

namespace tools {
namespace {

namespace rec = protocol::records;
namespace fs = std::filesystem;
using storage::test::temp_dir;

struct dump_output {
    int rc;
    std::string out;
    std::string err;
};

dump_output dump(std::vector<std::string> files, dump_log_options o = {}) {
    o.files = std::move(files);
    std::ostringstream out, err;
    int rc = run_dump_log(o, out, err);
    return {rc, out.str(), err.str()};
}

dump_log_options deep(bool data) {
    dump_log_options o;
    o.deep_iteration = true;
    o.print_data_log = data;
    return o;
}

std::vector<uint8_t> keyed_batch(int n, int64_t ts0, const std::string& tag) {
    rec::record_batch_builder b;
    std::vector<std::string> keys, values;
    for (int i = 0; i < n; ++i) {
        keys.push_back("k" + std::to_string(i));
        values.push_back(tag + std::to_string(i));
    }
    for (int i = 0; i < n; ++i) {
        rec::record_input r;
        r.key = rec::as_bytes(keys[i]);
        r.value = rec::as_bytes(values[i]);
        r.timestamp = ts0 + i;
        if (i == 0) r.headers = {{"h1", rec::as_bytes("x")}, {"h2", std::nullopt}};
        b.add(r);
    }
    return b.build();
}

/// A log of 3 batches (2 + 1 + 3 records) in one segment, closed so every file is on disk.
struct small_log {
    temp_dir t;
    fs::path dir = t.path() / "orders-0";
    std::vector<std::vector<uint8_t>> batches;  // as stored (offsets and epochs rewritten)

    explicit small_log(uint32_t index_interval = 4096) {
        storage::log_config cfg;
        cfg.index_interval_bytes = index_interval;
        auto l = storage::log::open(dir, cfg).value();
        for (auto b : {keyed_batch(2, 1000, "a"), keyed_batch(1, 2000, "b"), keyed_batch(3, 3000, "c")}) {
            EXPECT_TRUE(l->append(b, 4, 0));
            batches.push_back(b);
        }
        l->close();
    }
    fs::path file(std::string_view suffix) const { return storage::segment_file(dir, 0, suffix); }
};

std::string batch_line(const std::vector<uint8_t>& bytes, uint64_t position) {
    rec::batch_view b(bytes);
    std::ostringstream s;
    s << "baseOffset: " << b.base_offset() << " lastOffset: " << b.last_offset() << " count: "
      << b.records_count() << " baseSequence: -1 lastSequence: -1 producerId: -1 producerEpoch: -1"
      << " partitionLeaderEpoch: 4 isTransactional: false isControl: false position: " << position
      << " CreateTime: " << b.max_timestamp() << " size: " << bytes.size()
      << " magic: 2 compresscodec: NONE crc: " << b.crc() << " isvalid: true\n";
    return s.str();
}

TEST(dump_log, log_batch_lines_in_kafka_format) {
    small_log l;
    auto r = dump({l.file(".log").string()});
    EXPECT_EQ(r.rc, 0) << r.err;
    EXPECT_EQ(r.err, "");
    const auto& b = l.batches;
    EXPECT_EQ(r.out, "Dumping " + l.file(".log").string() + "\nStarting offset: 0\n" + batch_line(b[0], 0) +
                         batch_line(b[1], b[0].size()) + batch_line(b[2], b[0].size() + b[1].size()));
}

TEST(dump_log, deep_iteration_and_print_data_log_record_lines) {
    small_log l;
    auto shallow = dump({l.file(".log").string()}, deep(false));
    ASSERT_EQ(shallow.rc, 0) << shallow.err;
    EXPECT_NE(shallow.out.find(batch_line(l.batches[0], 0) +
                               "| offset: 0 CreateTime: 1000 keySize: 2 valueSize: 2 sequence: -1 headerKeys: [h1,h2]\n"
                               "| offset: 1 CreateTime: 1001 keySize: 2 valueSize: 2 sequence: -1 headerKeys: []\n"),
              std::string::npos)
        << shallow.out;
    EXPECT_EQ(shallow.out.find("payload"), std::string::npos);

    auto data = dump({l.file(".log").string()}, deep(true));
    ASSERT_EQ(data.rc, 0) << data.err;
    EXPECT_NE(data.out.find("| offset: 0 CreateTime: 1000 keySize: 2 valueSize: 2 sequence: -1 "
                            "headerKeys: [h1,h2] key: k0 payload: a0\n"),
              std::string::npos)
        << data.out;
    EXPECT_NE(data.out.find("| offset: 5 CreateTime: 3002 keySize: 2 valueSize: 2 sequence: -1 "
                            "headerKeys: [] key: k2 payload: c2\n"),
              std::string::npos)
        << data.out;
}

TEST(dump_log, print_data_log_flag_implies_deep_iteration) {
    const char* argv[] = {"brook-dump-log", "--print-data-log", "--files", "a.log,b.index", "c.timeindex"};
    auto cl = parse_dump_log_args(argv);
    ASSERT_TRUE(cl) << cl.error().message;
    EXPECT_TRUE(cl.value().options.deep_iteration);
    EXPECT_TRUE(cl.value().options.print_data_log);
    EXPECT_EQ(cl.value().options.files, (std::vector<std::string>{"a.log", "b.index", "c.timeindex"}));
}

TEST(dump_log, command_line_errors) {
    const char* none[] = {"brook-dump-log", "--deep-iteration"};
    auto r = parse_dump_log_args(none);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "Error: Missing required argument \"[files]\"");
    EXPECT_EQ(r.error().exit_code, 1);
    const char* bad_max[] = {"brook-dump-log", "--max-bytes", "0", "a.log"};
    auto m = parse_dump_log_args(bad_max);
    ASSERT_FALSE(m);
    EXPECT_EQ(m.error().message.rfind("Error: --max-bytes must be a positive integer", 0), 0u) << m.error().message;
    const char* unknown[] = {"brook-dump-log", "--bogus", "a.log"};
    auto u = parse_dump_log_args(unknown);
    ASSERT_FALSE(u);
    EXPECT_EQ(u.error().message.rfind("Error: ", 0), 0u);
    const char* help[] = {"brook-dump-log", "--help"};
    ASSERT_TRUE(parse_dump_log_args(help));
    EXPECT_TRUE(parse_dump_log_args(help).value().help);
}

TEST(dump_log, max_bytes_reads_only_whole_batches_within_the_limit) {
    small_log l;
    dump_log_options o;
    o.max_bytes = static_cast<int64_t>(l.batches[0].size() + l.batches[1].size() + 10);
    auto r = dump({l.file(".log").string()}, o);
    EXPECT_EQ(r.rc, 0) << r.err;
    EXPECT_EQ(r.out, "Dumping " + l.file(".log").string() + "\nStarting offset: 0\n" +
                         batch_line(l.batches[0], 0) + batch_line(l.batches[1], l.batches[0].size()));
}

TEST(dump_log, flipped_byte_reports_position_and_crc_and_exits_1) {
    small_log l;
    const uint64_t second = l.batches[0].size();
    storage::test::flip_byte(l.file(".log"), second + 70);  // inside the second batch's records
    auto r = dump({l.file(".log").string()}, deep(true));
    EXPECT_EQ(r.rc, 1);
    EXPECT_NE(r.err.find("invalid batch at position " + std::to_string(second) +
                         ": record batch CRC-32C mismatch (baseOffset 2)"),
              std::string::npos)
        << r.err;
    // The damaged batch is still listed (isvalid: false), its records are not; the next one is.
    EXPECT_NE(r.out.find("position: " + std::to_string(second) + " CreateTime: 2000"), std::string::npos);
    EXPECT_NE(r.out.find("isvalid: false"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("payload: b0"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("payload: c2"), std::string::npos) << r.out;
}

TEST(dump_log, truncated_and_garbage_tails_are_reported) {
    small_log l;
    const auto size = fs::file_size(l.file(".log"));
    storage::test::truncate_file(l.file(".log"), size - 5);
    auto t = dump({l.file(".log").string()});
    EXPECT_EQ(t.rc, 1);
    const uint64_t third = l.batches[0].size() + l.batches[1].size();
    EXPECT_NE(t.out.find("Found " + std::to_string(size - 5 - third) + " invalid bytes at the end of " +
                         l.file(".log").filename().string()),
              std::string::npos)
        << t.out;
    EXPECT_NE(t.err.find("invalid batch at position " + std::to_string(third) + ": record batch truncated"),
              std::string::npos)
        << t.err;

    small_log g;
    auto bytes = storage::test::read_file(g.file(".log"));
    const auto good = bytes.size();
    bytes.insert(bytes.end(), {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3});
    storage::test::write_file(g.file(".log"), bytes);
    auto r = dump({g.file(".log").string()});
    EXPECT_EQ(r.rc, 1);
    EXPECT_NE(r.err.find("invalid batch at position " + std::to_string(good) +
                         ": record batch length smaller than its header (batch length 3)"),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.out.find("Found 15 invalid bytes"), std::string::npos) << r.out;
}

TEST(dump_log, non_monotonic_offsets_are_an_error) {
    small_log l;
    // Rewrite the third batch's base offset (outside the CRC) to 0: offsets go backwards.
    auto bytes = storage::test::read_file(l.file(".log"));
    const size_t third = l.batches[0].size() + l.batches[1].size();
    std::fill(bytes.begin() + static_cast<ptrdiff_t>(third), bytes.begin() + static_cast<ptrdiff_t>(third + 8), 0);
    storage::test::write_file(l.file(".log"), bytes);
    auto r = dump({l.file(".log").string()});
    EXPECT_EQ(r.rc, 1);
    EXPECT_NE(r.err.find("invalid batch at position " + std::to_string(third) +
                         ": base offset 0 is not above the previous batch's last offset 2"),
              std::string::npos)
        << r.err;
}

TEST(dump_log, offset_and_time_index_entries_verified_against_the_log) {
    small_log l(1);  // an entry after every batch but the first
    const auto p1 = l.batches[0].size(), p2 = p1 + l.batches[1].size();
    auto idx = dump({l.file(".index").string()});
    EXPECT_EQ(idx.rc, 0) << idx.err;
    EXPECT_EQ(idx.out, "Dumping " + l.file(".index").string() + "\noffset: 2 position: " + std::to_string(p1) +
                           "\noffset: 5 position: " + std::to_string(p2) + "\n");
    auto ts = dump({l.file(".timeindex").string()});
    EXPECT_EQ(ts.rc, 0) << ts.err;
    EXPECT_EQ(ts.out, "Dumping " + l.file(".timeindex").string() +
                          "\ntimestamp: 2000 offset: 2\ntimestamp: 3002 offset: 5\n");

    dump_log_options verify;
    verify.verify_index_only = true;
    auto v = dump({l.file(".index").string(), l.file(".timeindex").string()}, verify);
    EXPECT_EQ(v.rc, 0) << v.err;
    EXPECT_EQ(v.out, "Dumping " + l.file(".index").string() + "\nDumping " + l.file(".timeindex").string() + "\n");

    dump_log_options sanity;
    sanity.index_sanity_check = true;
    auto s = dump({l.file(".index").string()}, sanity);
    EXPECT_EQ(s.rc, 0);
    EXPECT_NE(s.out.find(l.file(".index").string() + " passed sanity check."), std::string::npos);
}

TEST(dump_log, index_pointing_at_the_wrong_batch_is_a_mismatch) {
    small_log l(1);
    // Entry 0 is (rel 2, position p1); make its offset 3 (rel is bytes 0-3, big-endian).
    auto bytes = storage::test::read_file(l.file(".index"));
    bytes[3] = 3;
    storage::test::write_file(l.file(".index"), bytes);
    dump_log_options verify;
    verify.verify_index_only = true;
    auto r = dump({l.file(".index").string()}, verify);
    EXPECT_EQ(r.rc, 1);
    EXPECT_NE(r.err.find("Mismatches in :"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("  Index offset: 3, log offset: 2\n"), std::string::npos) << r.err;

    storage::test::truncate_file(l.file(".index"), 12);
    dump_log_options sanity;
    sanity.index_sanity_check = true;
    auto s = dump({l.file(".index").string()}, sanity);
    EXPECT_EQ(s.rc, 1);
    EXPECT_NE(s.err.find("failed sanity check: size 12 is not a multiple of 8"), std::string::npos) << s.err;
}

TEST(dump_log, time_index_with_a_wrong_timestamp_is_reported) {
    small_log l(1);
    auto bytes = storage::test::read_file(l.file(".timeindex"));
    bytes[7] ^= 1;  // first entry's timestamp 2000 -> 2001
    storage::test::write_file(l.file(".timeindex"), bytes);
    dump_log_options verify;
    verify.verify_index_only = true;
    auto r = dump({l.file(".timeindex").string()}, verify);
    EXPECT_EQ(r.rc, 1);
    EXPECT_NE(r.err.find("Found timestamp mismatch in :"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("  Index timestamp: 2001, log timestamp: 2000\n"), std::string::npos) << r.err;
}

TEST(dump_log, producer_snapshot_entries) {
    temp_dir t;
    auto dir = t.path() / "p-0";
    {
        auto l = storage::log::open(dir, {}).value();
        auto a = storage::test::make_producer_batch(7, 2, 0, 3, 5000);
        auto b = storage::test::make_producer_batch(7, 2, 3, 2, 6000);
        auto c = storage::test::make_producer_batch(9, 0, 0, 1, 7000);
        ASSERT_TRUE(l->append(a, 0, 0));
        ASSERT_TRUE(l->append(b, 0, 0));
        ASSERT_TRUE(l->append(c, 0, 0));
        l->close();  // snapshot at the log end, 6
    }
    const auto snap = storage::segment_file(dir, 6, ".snapshot");
    auto r = dump({snap.string()});
    EXPECT_EQ(r.rc, 0) << r.err;
    EXPECT_EQ(r.out, "Dumping " + snap.string() +
                         "\nproducerId: 7 producerEpoch: 2 coordinatorEpoch: -1 currentTxnFirstOffset: None "
                         "firstSequence: 3 lastSequence: 4 lastOffset: 4 offsetDelta: 1 timestamp: 6001\n"
                         "producerId: 9 producerEpoch: 0 coordinatorEpoch: -1 currentTxnFirstOffset: None "
                         "firstSequence: 0 lastSequence: 0 lastOffset: 5 offsetDelta: 0 timestamp: 7000\n");
    storage::test::flip_byte(snap, 10);
    auto bad = dump({snap.string()});
    EXPECT_EQ(bad.rc, 1);
    EXPECT_NE(bad.err.find("not a valid producer snapshot at offset 6"), std::string::npos) << bad.err;
}

TEST(dump_log, leader_epoch_and_offset_checkpoints) {
    temp_dir t;
    auto dir = t.path() / "e-0";
    {
        auto l = storage::log::open(dir, {}).value();
        auto a = storage::test::make_batch(2), b = storage::test::make_batch(3);
        ASSERT_TRUE(l->append(a, 1, 0));
        ASSERT_TRUE(l->append(b, 3, 0));
        l->close();
    }
    auto epochs = dump({(dir / "leader-epoch-checkpoint").string()});
    EXPECT_EQ(epochs.rc, 0) << epochs.err;
    EXPECT_EQ(epochs.out, "Dumping " + (dir / "leader-epoch-checkpoint").string() +
                              "\nleaderEpoch: 1 startOffset: 0\nleaderEpoch: 3 startOffset: 2\n");

    const auto hw = t.path() / "replication-offset-checkpoint";
    ASSERT_TRUE(storage::write_offset_checkpoint(hw, {{{"e", 0}, 5}, {{"orders", 3}, 17}}));
    auto h = dump({hw.string()});
    EXPECT_EQ(h.rc, 0) << h.err;
    EXPECT_EQ(h.out, "Dumping " + hw.string() + "\ntopic: e partition: 0 offset: 5\ntopic: orders partition: 3 offset: 17\n");

    storage::test::write_text(hw, "0\n3\ne 0 5\n");
    auto bad = dump({hw.string()});
    EXPECT_EQ(bad.rc, 1);
    EXPECT_NE(bad.err.find("Error: cannot read " + hw.string()), std::string::npos) << bad.err;
}

TEST(dump_log, compressed_batches_print_their_records) {
    for (auto [codec, name] : {std::pair{rec::compression::gzip, "GZIP"}, {rec::compression::snappy, "SNAPPY"},
                               {rec::compression::lz4, "LZ4"}, {rec::compression::zstd, "ZSTD"}}) {
        temp_dir t;
        auto dir = t.path() / "z-0";
        {
            auto l = storage::log::open(dir, {}).value();
            rec::record_batch_builder b;
            b.set_compression(codec);
            for (const char* v : {"first", "second"}) {
                rec::record_input r;
                r.key = rec::as_bytes("k");
                r.value = rec::as_bytes(v);
                r.timestamp = 1000;
                b.add(r);
            }
            auto bytes = b.build();
            ASSERT_TRUE(l->append(bytes, 0, 0));
            l->close();
        }
        auto r = dump({storage::segment_file(dir, 0, ".log").string()}, deep(true));
        EXPECT_EQ(r.rc, 0) << r.err;
        EXPECT_NE(r.out.find(std::string("compresscodec: ") + name), std::string::npos) << r.out;
        EXPECT_NE(r.out.find("| offset: 0 CreateTime: 1000 keySize: 1 valueSize: 5 sequence: -1 headerKeys: [] key: k payload: first\n"),
                  std::string::npos)
            << r.out;
        EXPECT_NE(r.out.find("| offset: 1 CreateTime: 1000 keySize: 1 valueSize: 6"), std::string::npos) << r.out;
    }
}

TEST(dump_log, a_compressed_batch_that_does_not_decompress_gets_a_note) {
    temp_dir t;
    auto dir = t.path() / "z-0";
    {
        auto l = storage::log::open(dir, {}).value();
        rec::record_batch_builder b;
        b.set_codec_bits(rec::compression::zstd);  // plain records under zstd codec bits
        rec::record_input r;
        r.value = rec::as_bytes("opaque");
        b.add(r);
        auto bytes = b.build();
        ASSERT_TRUE(l->append(bytes, 0, 0));
        l->close();
    }
    auto r = dump({storage::segment_file(dir, 0, ".log").string()}, deep(true));
    EXPECT_NE(r.out.find("compresscodec: ZSTD"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("| records not shown: the ZSTD records section does not decompress"), std::string::npos)
        << r.out;
}

TEST(dump_log, missing_and_unknown_files) {
    temp_dir t;
    auto r = dump({(t.path() / "00000000000000000000.log").string(), (t.path() / "notes.txt").string()});
    EXPECT_EQ(r.rc, 1);
    EXPECT_NE(r.err.find("Error: cannot read " + (t.path() / "00000000000000000000.log").string() +
                         ": No such file or directory"),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("Ignoring unknown file " + (t.path() / "notes.txt").string()), std::string::npos);
    auto u = dump({(t.path() / "notes.txt").string()});
    EXPECT_EQ(u.rc, 0);
}

// Never a crash on bad input: random bytes and random single-byte damage of real files, for
// every kind of file (bounded: 150 files per kind, at most 4 KiB each).
TEST(dump_log, random_and_damaged_files_never_crash) {
    small_log l(1);
    std::mt19937 rng(6);
    const std::vector<std::string> suffixes = {".log", ".index", ".timeindex", ".snapshot"};
    const auto originals = std::vector<std::vector<uint8_t>>{
        storage::test::read_file(l.file(".log")), storage::test::read_file(l.file(".index")),
        storage::test::read_file(l.file(".timeindex"))};
    temp_dir t;
    for (size_t k = 0; k < suffixes.size(); ++k) {
        for (int i = 0; i < 150; ++i) {
            std::vector<uint8_t> bytes;
            if (k < originals.size() && i % 2 == 0) {
                bytes = originals[k];
                if (!bytes.empty()) bytes[rng() % bytes.size()] ^= static_cast<uint8_t>(1 + rng() % 255);
                if (i % 4 == 0 && !bytes.empty()) bytes.resize(rng() % bytes.size());
            } else {
                bytes.resize(rng() % 4096);
                for (auto& b : bytes) b = static_cast<uint8_t>(rng());
            }
            const auto dir = t.path() / ("d" + std::to_string(k) + "-" + std::to_string(i));
            fs::create_directories(dir);
            // The indexes are checked against a log: the real one.
            storage::test::write_file(storage::segment_file(dir, 0, ".log"), k == 0 ? bytes : originals[0]);
            const auto file = storage::segment_file(dir, 0, suffixes[k]);
            if (k != 0) storage::test::write_file(file, bytes);
            dump_log_options o = deep(true);
            auto r = dump({file.string()}, o);
            ASSERT_TRUE(r.rc == 0 || r.rc == 1) << file;
            if (r.rc == 1) {
                EXPECT_FALSE(r.err.empty()) << file;
            }
        }
    }
}

}  // namespace
}  // namespace tools
