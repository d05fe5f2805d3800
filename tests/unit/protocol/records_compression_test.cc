#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "protocol/records/compression.h"
#include "protocol/records/record_batch.h"
#include "protocol/records/record_batch_builder.h"

namespace protocol::records {
namespace {

constexpr compression all_codecs[] = {compression::none, compression::gzip, compression::snappy,
                                      compression::lz4, compression::zstd};

std::vector<uint8_t> sample(size_t n) {
    std::vector<uint8_t> v(n);
    uint32_t x = 12345;
    for (size_t i = 0; i < n; ++i) {
        // Half compressible text, half pseudo-random, so every codec has real work to do.
        x = x * 1103515245 + 12345;
        v[i] = (i / 512) % 2 ? static_cast<uint8_t>(x >> 16) : static_cast<uint8_t>('a' + i % 7);
    }
    return v;
}

std::vector<uint8_t> from_hex(std::string_view hex) {
    std::vector<uint8_t> out;
    for (size_t i = 0; i + 1 < hex.size(); i += 2)
        out.push_back(static_cast<uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
    return out;
}

// Batches written by librdkafka 2.0.2 (kcat -z <codec> -K:, three records k1 -> "hello "*20,
// k2 -> "brook "*15, k1 -> "world "*10, linger 300 ms), copied from the .log files Brook stored.
// The snappy batches are raw snappy blocks, as librdkafka writes them for v2 batches; the
// snappy producer split its three records over two batches.
const char* const librdkafka_gzip =
    "00000000000000000000007c0000000002e294551b000100000002000001a2424228a7000001a2424228a7ffff"
    "ffffffffffffffffffffffff000000031f8b08000000000000036b6262606060c936fcc098919a9393af407f92"
    "e118230303134bb6d116c6a4a2fcfc6c055a900c1d404b5880feac28cf2fca4951208f640000dcb344482e0100"
    "00";
const char* const librdkafka_snappy_1 =
    "00000000000000000000004c00000000025e74011e000200000000000001a242422c95000001a242422c95ffff"
    "ffffffffffffffffffffffff0000000183013c8202000000046b31f00168656c6c6f20fe0600c606000000";
const char* const librdkafka_snappy_2 =
    "00000000000000010000006000000000029fb33e9f000200000001000001a242422c95000001a242422c95ffff"
    "ffffffffffffffffffffffff00000002ab013cc601000000046b32b40162726f6f6b20fe06004e06003c008801"
    "000002046b3178776f726c6420d606000000";
const char* const librdkafka_lz4 =
    "0000000000000000000000860000000002705b7cd8000300000002000001a2424230a1000001a2424230a1ffff"
    "ffffffffffffffffffffffff0000000304224d1860408246000000ff018202000000046b31f00168656c6c6f20"
    "06005fff0200c601000002046b32b40162726f6f6b20060041ff01008801000004046b3178776f726c64200600"
    "1f50726c64200000000000";
const char* const librdkafka_zstd =
    "0000000000000000000000780000000002edf8d23b000400000002000001a24242349b000001a24242349bffff"
    "ffffffffffffffffffffffff0000000328b52ffd0058f5010024038202000000046b31f00168656c6c6f2000c6"
    "01000002046b32b40162726f6f6b20008801000004046b3178776f726c64200003401006ce01262f6909";

std::string repeat(const std::string& s, int n) {
    std::string out;
    for (int i = 0; i < n; ++i) out += s;
    return out;
}

TEST(records_compression, decodes_batches_written_by_librdkafka) {
    const std::vector<std::pair<std::string, std::string>> want = {
        {"k1", repeat("hello ", 20)}, {"k2", repeat("brook ", 15)}, {"k1", repeat("world ", 10)}};
    struct sample_batches {
        compression codec;
        std::vector<const char*> hex;
    };
    const sample_batches samples[] = {
        {compression::gzip, {librdkafka_gzip}},
        {compression::snappy, {librdkafka_snappy_1, librdkafka_snappy_2}},
        {compression::lz4, {librdkafka_lz4}},
        {compression::zstd, {librdkafka_zstd}},
    };
    for (const auto& s : samples) {
        std::vector<std::pair<std::string, std::string>> got;
        for (const char* hex : s.hex) {
            auto bytes = from_hex(hex);
            ASSERT_FALSE(validate_batch(bytes, validation_mode::stored)) << int(s.codec);
            batch_view v(bytes);
            EXPECT_EQ(v.codec(), s.codec);
            batch_records recs(v);
            int32_t n = 0;
            while (auto r = recs.next()) {
                EXPECT_EQ(r->offset_delta, n++);
                got.emplace_back(std::string(r->key->begin(), r->key->end()),
                                 std::string(r->value->begin(), r->value->end()));
            }
            EXPECT_FALSE(recs.error()) << int(s.codec) << ": " << recs.error().message();
            EXPECT_EQ(n, v.records_count());
            // Rebuilding with every record re-encodes with our compressor; still the same records.
            std::vector<bytes_view> all;
            batch_records again(v);
            while (auto r = again.next()) all.push_back(r->raw);
            std::vector<uint8_t> rebuilt;
            ASSERT_FALSE(rebuild_batch(v, all, rebuilt));
            batch_records back{batch_view(rebuilt)};
            int32_t m = 0;
            while (back.next()) ++m;
            EXPECT_FALSE(back.error());
            EXPECT_EQ(m, n);
        }
        EXPECT_EQ(got, want) << int(s.codec);
    }
}

TEST(records_compression, round_trips_every_codec_at_several_sizes) {
    for (auto codec : all_codecs) {
        // 0, one byte, and sizes crossing the xerial 32 KiB block and the 64 KiB stream chunk.
        for (size_t n : {size_t{0}, size_t{1}, size_t{1000}, size_t{40000}, size_t{300000}}) {
            auto in = sample(n);
            std::vector<uint8_t> packed, unpacked;
            ASSERT_FALSE(compress(codec, in, packed)) << int(codec) << " n=" << n;
            if (codec != compression::none && n == 300000) {
                EXPECT_LT(packed.size(), n);
            }
            ASSERT_FALSE(decompress(codec, packed, unpacked)) << int(codec) << " n=" << n;
            EXPECT_EQ(unpacked, in) << int(codec) << " n=" << n;
        }
    }
}

TEST(records_compression, snappy_writes_xerial_framing_and_reads_raw_blocks) {
    auto in = sample(70000);
    std::vector<uint8_t> framed, out;
    ASSERT_FALSE(compress(compression::snappy, in, framed));
    const uint8_t magic[] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1};
    ASSERT_GE(framed.size(), sizeof magic);
    EXPECT_TRUE(std::equal(magic, magic + sizeof magic, framed.begin()));
    // Raw snappy block of "hello hello hello": what librdkafka writes for v2 batches.
    // varint length 17, literal "hello " (tag 0x14), copy-1 offset 6 len 11 (tag 0x1d 0x06).
    auto raw = from_hex("1114" "68656c6c6f20" "1d06");
    ASSERT_FALSE(decompress(compression::snappy, raw, out));
    EXPECT_EQ(std::string(out.begin(), out.end()), "hello hello hello");
}

TEST(records_compression, output_is_bounded_so_a_bomb_is_an_error_not_a_crash) {
    std::vector<uint8_t> zeros(4 << 20, 0);
    for (auto codec : all_codecs) {
        std::vector<uint8_t> packed, out;
        ASSERT_FALSE(compress(codec, zeros, packed));
        EXPECT_EQ(decompress(codec, packed, out, 1 << 20), compression_error::too_large)
            << int(codec);
        EXPECT_LE(out.size(), size_t{1} << 20);
        // Exactly at the bound is fine.
        EXPECT_FALSE(decompress(codec, packed, out, zeros.size())) << int(codec);
        EXPECT_EQ(out.size(), zeros.size());
    }
}

TEST(records_compression, garbage_and_truncated_input_give_errors) {
    auto in = sample(50000);
    for (auto codec : all_codecs) {
        if (codec == compression::none) continue;
        std::vector<uint8_t> packed, out;
        ASSERT_FALSE(compress(codec, in, packed));
        std::vector<uint8_t> cut(packed.begin(), packed.begin() + packed.size() / 2);
        EXPECT_TRUE(decompress(codec, cut, out)) << "truncated " << int(codec);
        std::vector<uint8_t> garbage(1000);
        for (size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<uint8_t>(i * 37 + 11);
        EXPECT_TRUE(decompress(codec, garbage, out)) << "garbage " << int(codec);
        EXPECT_TRUE(decompress(codec, {}, out)) << "empty " << int(codec);
        auto flipped = packed;
        flipped[flipped.size() / 2] ^= 0xff;
        flipped[flipped.size() / 3] ^= 0x55;
        // A flipped byte may still decode (no checksum in raw deflate/snappy blocks), but must
        // never crash or exceed the bound; gzip, lz4 and zstd carry checksums and must fail.
        auto ec = decompress(codec, flipped, out, 100000);
        if (codec == compression::gzip || codec == compression::lz4 || codec == compression::zstd) {
            EXPECT_TRUE(ec) << "flipped " << int(codec);
        }
        EXPECT_LE(out.size(), 100000u);
    }
    std::vector<uint8_t> out;
    EXPECT_EQ(decompress(static_cast<compression>(6), sample(10), out),
              compression_error::unsupported_codec);
}

std::vector<uint8_t> keyed_batch(compression codec, int n) {
    record_batch_builder b(500);
    b.set_producer(77, 3, 10).set_partition_leader_epoch(4).set_compression(codec);
    for (int i = 0; i < n; ++i) {
        std::string k = "key-" + std::to_string(i % 5), v = "value-" + std::to_string(i);
        record_input r;
        r.key = as_bytes(k);
        if (i != 2) r.value = as_bytes(v);  // record 2 is a tombstone
        r.timestamp = 1000 + i;
        if (i == 1) r.headers.push_back({"h", as_bytes("hv")});
        b.add(r);
    }
    return b.build();
}

TEST(records_compression, builder_compresses_and_batch_records_reads_every_codec) {
    for (auto codec : all_codecs) {
        auto bytes = keyed_batch(codec, 20);
        batch_view v(bytes);
        ASSERT_FALSE(validate_batch(bytes)) << int(codec);
        EXPECT_EQ(v.codec(), codec);
        EXPECT_EQ(v.base_offset(), 500);
        EXPECT_EQ(v.records_count(), 20);
        EXPECT_EQ(v.producer_id(), 77);
        batch_records recs(v);
        int i = 0;
        while (auto r = recs.next()) {
            EXPECT_EQ(r->offset_delta, i);
            EXPECT_EQ(r->timestamp_delta, i);
            std::string k(r->key->begin(), r->key->end());
            EXPECT_EQ(k, "key-" + std::to_string(i % 5));
            if (i == 2) {
                EXPECT_FALSE(r->value);
            } else {
                std::string val(r->value->begin(), r->value->end());
                EXPECT_EQ(val, "value-" + std::to_string(i));
            }
            EXPECT_EQ(r->headers.size(), i == 1 ? 1u : 0u);
            ++i;
        }
        EXPECT_FALSE(recs.error()) << recs.error().message();
        EXPECT_EQ(i, 20);
    }
}

TEST(records_compression, rebuild_keeps_offsets_producer_fields_and_codec) {
    for (auto codec : all_codecs) {
        auto bytes = keyed_batch(codec, 10);
        batch_view v(bytes);
        std::vector<bytes_view> kept;
        std::vector<int32_t> kept_deltas;
        batch_records recs(v);
        while (auto r = recs.next())
            if (r->offset_delta % 3 == 0) {
                kept.push_back(r->raw);
                kept_deltas.push_back(r->offset_delta);
            }
        ASSERT_FALSE(recs.error());
        std::vector<uint8_t> out;
        ASSERT_FALSE(rebuild_batch(v, kept, out));
        ASSERT_FALSE(validate_batch(out, validation_mode::stored)) << int(codec);
        batch_view nv(out);
        EXPECT_EQ(nv.base_offset(), v.base_offset());
        EXPECT_EQ(nv.last_offset_delta(), 9);
        EXPECT_EQ(nv.records_count(), 4);
        EXPECT_EQ(nv.codec(), codec);
        EXPECT_EQ(nv.producer_id(), 77);
        EXPECT_EQ(nv.producer_epoch(), 3);
        EXPECT_EQ(nv.base_sequence(), 10);
        EXPECT_EQ(nv.partition_leader_epoch(), 4);
        EXPECT_EQ(nv.first_timestamp(), v.first_timestamp());
        EXPECT_EQ(nv.max_timestamp(), v.max_timestamp());
        batch_records again(nv);
        std::vector<int32_t> deltas;
        while (auto r = again.next()) deltas.push_back(r->offset_delta);
        EXPECT_FALSE(again.error());
        EXPECT_EQ(deltas, kept_deltas);
        // Empty rebuild: the header-only batch compaction keeps for producer state.
        ASSERT_FALSE(rebuild_batch(v, {}, out));
        EXPECT_FALSE(validate_batch(out, validation_mode::stored));
        EXPECT_EQ(batch_view(out).records_count(), 0);
        EXPECT_EQ(batch_view(out).last_offset(), v.last_offset());
        EXPECT_EQ(batch_view(out).codec(), compression::none);
        EXPECT_EQ(out.size(), batch_header_size);
        EXPECT_EQ(batch_view(out).producer_id(), 77);
    }
}

TEST(records_compression, batch_records_reports_a_corrupt_compressed_section) {
    auto bytes = keyed_batch(compression::zstd, 10);
    for (size_t i = batch_header_size + 4; i < bytes.size(); ++i) bytes[i] ^= 0x5a;
    batch_records recs{batch_view(bytes)};
    EXPECT_FALSE(recs.next());
    EXPECT_TRUE(recs.error());
}

}  // namespace
}  // namespace protocol::records
