#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <limits>

#include "protocol/record_set.h"
#include "protocol/tagged_fields.h"
#include "protocol/wire/reader.h"
#include "protocol/wire/writer.h"

using protocol::record_set;
using protocol::wire::decode_error;
using protocol::wire::reader;
using protocol::wire::writer;

namespace {
std::vector<uint8_t> bytes_of(std::initializer_list<int> v) {
    std::vector<uint8_t> out;
    for (int b : v) out.push_back(static_cast<uint8_t>(b));
    return out;
}
}  // namespace

TEST(wire, fixed_width_integers_are_big_endian) {
    writer w;
    w.write_int8(-2);
    w.write_int16(0x1234);
    w.write_int32(-2);
    w.write_int64(0x0102030405060708LL);
    w.write_uint16(0xfffe);
    w.write_uint32(0x80000001u);
    w.write_bool(true);
    w.write_bool(false);
    auto b = w.to_bytes();
    EXPECT_EQ(b, bytes_of({0xfe, 0x12, 0x34, 0xff, 0xff, 0xff, 0xfe, 1, 2, 3, 4, 5, 6, 7, 8, 0xff, 0xfe,
                           0x80, 0, 0, 1, 1, 0}));
    reader r(b);
    EXPECT_EQ(r.read_int8(), -2);
    EXPECT_EQ(r.read_int16(), 0x1234);
    EXPECT_EQ(r.read_int32(), -2);
    EXPECT_EQ(r.read_int64(), 0x0102030405060708LL);
    EXPECT_EQ(r.read_uint16(), 0xfffe);
    EXPECT_EQ(r.read_uint32(), 0x80000001u);
    EXPECT_TRUE(r.read_bool());
    EXPECT_FALSE(r.read_bool());
    EXPECT_EQ(r.remaining(), 0u);
    EXPECT_EQ(r.position(), b.size());
}

TEST(wire, float64_round_trips_and_is_ieee_big_endian) {
    writer w;
    w.write_float64(1.0);
    w.write_float64(-0.15625);
    auto b = w.to_bytes();
    EXPECT_EQ(std::vector<uint8_t>(b.begin(), b.begin() + 8), bytes_of({0x3f, 0xf0, 0, 0, 0, 0, 0, 0}));
    reader r(b);
    EXPECT_EQ(r.read_float64(), 1.0);
    EXPECT_EQ(r.read_float64(), -0.15625);
}

TEST(wire, uvarint_known_encodings) {
    struct c {
        uint32_t v;
        std::vector<uint8_t> enc;
    };
    for (const auto& [v, enc] : std::vector<c>{{0, {0}},
                                                {1, {1}},
                                                {127, {0x7f}},
                                                {128, {0x80, 0x01}},
                                                {300, {0xac, 0x02}},
                                                {0xffffffffu, {0xff, 0xff, 0xff, 0xff, 0x0f}}}) {
        writer w;
        w.write_uvarint(v);
        EXPECT_EQ(w.to_bytes(), enc) << v;
        reader r(enc);
        EXPECT_EQ(r.read_uvarint(), v);
    }
}

TEST(wire, varint_zigzag_edges) {
    struct c {
        int32_t v;
        std::vector<uint8_t> enc;
    };
    for (const auto& [v, enc] : std::vector<c>{{0, {0}},
                                                {-1, {1}},
                                                {1, {2}},
                                                {-64, {0x7f}},
                                                {64, {0x80, 0x01}},
                                                {std::numeric_limits<int32_t>::max(), {0xfe, 0xff, 0xff, 0xff, 0x0f}},
                                                {std::numeric_limits<int32_t>::min(), {0xff, 0xff, 0xff, 0xff, 0x0f}}}) {
        writer w;
        w.write_varint(v);
        EXPECT_EQ(w.to_bytes(), enc) << v;
        reader r(enc);
        EXPECT_EQ(r.read_varint(), v);
    }
}

TEST(wire, varlong_zigzag_edges) {
    for (int64_t v : {int64_t{0}, int64_t{-1}, int64_t{1}, int64_t{1} << 40, -(int64_t{1} << 40),
                      std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min()}) {
        writer w;
        w.write_varlong(v);
        auto b = w.to_bytes();
        reader r(b);
        EXPECT_EQ(r.read_varlong(), v);
        EXPECT_EQ(r.remaining(), 0u);
    }
    writer w;
    w.write_varlong(std::numeric_limits<int64_t>::min());
    EXPECT_EQ(w.to_bytes(), bytes_of({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}));
    writer w2;
    w2.write_varlong(-1);
    EXPECT_EQ(w2.to_bytes(), bytes_of({0x01}));
}

TEST(wire, overlong_varints_are_rejected) {
    auto six = bytes_of({0x80, 0x80, 0x80, 0x80, 0x80, 0x01});
    reader r(six);
    EXPECT_THROW(r.read_uvarint(), decode_error);
    auto big = bytes_of({0xff, 0xff, 0xff, 0xff, 0x1f});  // 35 bits
    reader r2(big);
    EXPECT_THROW(r2.read_uvarint(), decode_error);
    auto eleven = std::vector<uint8_t>(10, 0x80);
    eleven.push_back(0);
    reader r3(eleven);
    EXPECT_THROW(r3.read_varlong(), decode_error);
}

TEST(wire, strings_classic_and_compact) {
    writer w;
    w.write_string("ab");
    w.write_nullable_string(std::nullopt);
    w.write_nullable_string(std::string(""));
    w.write_compact_string("xyz");
    w.write_compact_nullable_string(std::nullopt);
    w.write_compact_nullable_string(std::string("q"));
    auto b = w.to_bytes();
    EXPECT_EQ(b, bytes_of({0, 2, 'a', 'b', 0xff, 0xff, 0, 0, 4, 'x', 'y', 'z', 0, 2, 'q'}));
    reader r(b);
    EXPECT_EQ(r.read_string(), "ab");
    EXPECT_EQ(r.read_nullable_string(), std::nullopt);
    EXPECT_EQ(r.read_nullable_string(), std::optional<std::string>(""));
    EXPECT_EQ(r.read_compact_string(), "xyz");
    EXPECT_EQ(r.read_compact_nullable_string(), std::nullopt);
    EXPECT_EQ(r.read_compact_nullable_string(), std::optional<std::string>("q"));
}

TEST(wire, null_in_non_nullable_string_throws) {
    auto b = bytes_of({0xff, 0xff});
    reader r(b);
    EXPECT_THROW(r.read_string(), decode_error);
    auto c = bytes_of({0});
    reader r2(c);
    EXPECT_THROW(r2.read_compact_string(), decode_error);
}

TEST(wire, bytes_classic_and_compact) {
    writer w;
    std::vector<uint8_t> data = {9, 8};
    w.write_bytes(data);
    w.write_nullable_bytes(std::nullopt);
    w.write_compact_bytes(data);
    w.write_compact_nullable_bytes(std::nullopt);
    auto b = w.to_bytes();
    EXPECT_EQ(b, bytes_of({0, 0, 0, 2, 9, 8, 0xff, 0xff, 0xff, 0xff, 3, 9, 8, 0}));
    reader r(b);
    EXPECT_EQ(r.read_bytes(), data);
    EXPECT_EQ(r.read_nullable_bytes(), std::nullopt);
    EXPECT_EQ(r.read_compact_bytes(), data);
    EXPECT_EQ(r.read_compact_nullable_bytes(), std::nullopt);
}

TEST(wire, truncated_input_throws) {
    auto b = bytes_of({0, 0, 0});
    {
        reader r(b);
        EXPECT_THROW(r.read_int32(), decode_error);
    }
    {
        reader r(b);
        EXPECT_THROW(r.read_int64(), decode_error);
    }
    auto s = bytes_of({0, 5, 'a', 'b'});
    {
        reader r(s);
        EXPECT_THROW(r.read_string(), decode_error);
    }
    auto by = bytes_of({0, 0, 0, 9, 1});
    {
        reader r(by);
        EXPECT_THROW(r.read_bytes(), decode_error);
    }
    auto cv = bytes_of({0x80});
    {
        reader r(cv);
        EXPECT_THROW(r.read_uvarint(), decode_error);
    }
    auto raw = bytes_of({1, 2});
    {
        reader r(raw);
        EXPECT_THROW(r.read_raw(3), decode_error);
    }
}

TEST(wire, negative_lengths_other_than_minus_one_throw) {
    auto s = bytes_of({0xff, 0xfe});
    reader r(s);
    EXPECT_THROW(r.read_nullable_string(), decode_error);
    auto b = bytes_of({0xff, 0xff, 0xff, 0xfe});
    reader r2(b);
    EXPECT_THROW(r2.read_nullable_bytes(), decode_error);
}

TEST(wire, huge_array_count_is_rejected_before_allocation) {
    auto b = bytes_of({0x7f, 0xff, 0xff, 0xff, 1, 2, 3});
    reader r(b);
    EXPECT_THROW(r.read_array_count(false, 1), decode_error);
    auto c = bytes_of({0xff, 0xff, 0xff, 0xff, 0x07});  // compact: 2^31 - 2 elements
    reader r2(c);
    EXPECT_THROW(r2.read_array_count(true, 1), decode_error);
    // Elements of 4 bytes: 2 elements need 8 bytes, 7 remain.
    auto d = bytes_of({0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0});
    reader r3(d);
    EXPECT_THROW(r3.read_array_count(false, 4), decode_error);
}

TEST(wire, array_counts_null_and_values) {
    writer w;
    w.write_array_count(false, -1);
    w.write_array_count(false, 0);
    w.write_array_count(true, -1);
    w.write_array_count(true, 2);
    w.write_raw(bytes_of({1, 2}));
    auto b = w.to_bytes();
    EXPECT_EQ(b, bytes_of({0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 3, 1, 2}));
    reader r(b);
    EXPECT_EQ(r.read_array_count(false), -1);
    EXPECT_EQ(r.read_array_count(false), 0);
    EXPECT_EQ(r.read_array_count(true), -1);
    EXPECT_EQ(r.read_array_count(true), 2);
}

TEST(wire, uuid_round_trips) {
    std::array<uint8_t, 16> id{};
    for (size_t i = 0; i < 16; ++i) id[i] = static_cast<uint8_t>(i * 3);
    writer w;
    w.write_uuid(id);
    auto b = w.to_bytes();
    ASSERT_EQ(b.size(), 16u);
    reader r(b);
    EXPECT_EQ(r.read_uuid(), id);
}

TEST(wire, records_decode_as_zero_copy_view_of_the_buffer) {
    auto b = bytes_of({0, 0, 0, 3, 7, 8, 9, 0xff, 0xff, 0xff, 0xff, 4, 1, 2, 3, 0});
    auto owner = std::make_shared<int>(1);
    reader r(b, owner);
    record_set rs = r.read_records(false);
    ASSERT_FALSE(rs.is_null());
    EXPECT_EQ(rs.size(), 3u);
    EXPECT_EQ(rs.memory().data(), b.data() + 4);  // no copy
    EXPECT_EQ(rs.owner(), owner);
    EXPECT_TRUE(r.read_records(false).is_null());
    record_set compact = r.read_records(true);
    EXPECT_EQ(compact.to_bytes(), bytes_of({1, 2, 3}));
    EXPECT_TRUE(r.read_records(true).is_null());
}

TEST(wire, records_encode_with_length_prefix_and_null) {
    writer w;
    w.write_records(record_set::owned(bytes_of({5, 6})), false);
    w.write_records(record_set{}, false);
    w.write_records(record_set::owned(bytes_of({5, 6})), true);
    w.write_records(record_set{}, true);
    EXPECT_EQ(w.to_bytes(), bytes_of({0, 0, 0, 2, 5, 6, 0xff, 0xff, 0xff, 0xff, 3, 5, 6, 0}));
}

TEST(record_set, null_empty_and_equality) {
    record_set null;
    EXPECT_TRUE(null.is_null());
    EXPECT_EQ(null.size(), 0u);
    record_set empty = record_set::owned({});
    EXPECT_FALSE(empty.is_null());
    EXPECT_NE(null, empty);
    EXPECT_EQ(null, record_set{});
    auto a = record_set::owned(bytes_of({1, 2, 3}));
    std::vector<uint8_t> backing = bytes_of({1, 2, 3});
    auto b = record_set::view(backing);
    EXPECT_EQ(a, b);
    backing[2] = 4;
    EXPECT_NE(a, b);
}

namespace {
// A temp file holding `content`; the fd stays open for the test's lifetime.
struct temp_file {
    int fd = -1;
    explicit temp_file(const std::vector<uint8_t>& content) {
        char path[] = "/tmp/brook-wire-test-XXXXXX";
        fd = ::mkstemp(path);
        ::unlink(path);
        EXPECT_EQ(::write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
    }
    ~temp_file() { ::close(fd); }
};
}  // namespace

TEST(record_set, file_slices_are_read_with_pread) {
    std::vector<uint8_t> content;
    for (int i = 0; i < 100; ++i) content.push_back(static_cast<uint8_t>(i));
    temp_file f(content);
    record_set rs = record_set::owned(bytes_of({0xaa}));
    rs.append_file_slice({f.fd, 10, 5, nullptr});
    rs.append_file_slice({f.fd, 90, 3, nullptr});
    EXPECT_EQ(rs.size(), 9u);
    EXPECT_EQ(rs.to_bytes(), bytes_of({0xaa, 10, 11, 12, 13, 14, 90, 91, 92}));
    EXPECT_EQ(rs, record_set::owned(bytes_of({0xaa, 10, 11, 12, 13, 14, 90, 91, 92})));

    record_set only_file;
    EXPECT_TRUE(only_file.is_null());
    only_file.append_file_slice({f.fd, 0, 2, nullptr});
    EXPECT_FALSE(only_file.is_null());
}

TEST(writer, small_record_sets_are_copied_large_ones_and_files_stay_external) {
    std::vector<uint8_t> big(5000, 0x42);
    auto owner = std::make_shared<std::vector<uint8_t>>(big);
    std::vector<uint8_t> content(64, 0x17);
    temp_file f(content);

    writer w;
    w.write_int32(0);  // size placeholder
    w.write_record_set(record_set::owned(bytes_of({1, 2, 3})));  // copied
    auto large = record_set::view(std::span<const uint8_t>(*owner), owner);
    large.append_file_slice({f.fd, 8, 16, nullptr});
    w.write_records(large, false);
    w.write_int16(0x0102);
    w.patch_int32(0, static_cast<int32_t>(w.size() - 4));

    EXPECT_EQ(w.size(), 4u + 3u + 4u + 5000u + 16u + 2u);
    EXPECT_TRUE(w.has_external_pieces());
    auto pieces = w.pieces();
    ASSERT_EQ(pieces.size(), 4u);
    EXPECT_EQ(pieces[0].kind, writer::piece::memory);
    EXPECT_EQ(pieces[0].size, 4u + 3u + 4u);
    EXPECT_EQ(pieces[1].kind, writer::piece::memory);
    EXPECT_EQ(pieces[1].data, owner->data());  // not copied
    EXPECT_EQ(pieces[1].size, 5000u);
    EXPECT_EQ(pieces[2].kind, writer::piece::file);
    EXPECT_EQ(pieces[2].fd, f.fd);
    EXPECT_EQ(pieces[2].file_offset, 8u);
    EXPECT_EQ(pieces[2].size, 16u);
    EXPECT_EQ(pieces[3].size, 2u);

    auto all = w.to_bytes();
    ASSERT_EQ(all.size(), w.size());
    reader r(all);
    EXPECT_EQ(r.read_int32(), static_cast<int32_t>(all.size() - 4));
    EXPECT_EQ(r.read_raw(3)[2], 3);
    auto rs = r.read_records(false);
    EXPECT_EQ(rs.size(), 5016u);
    EXPECT_EQ(rs.memory()[4999], 0x42);
    EXPECT_EQ(rs.memory()[5000], 0x17);
    EXPECT_EQ(r.read_int16(), 0x0102);
}

TEST(writer, patch_after_an_external_piece_lands_in_the_owned_buffer) {
    std::vector<uint8_t> big(2000, 1);
    auto owner = std::make_shared<int>(0);
    writer w;
    w.write_record_set(record_set::view(big, owner));
    size_t at = w.size();
    w.write_int32(0);
    w.patch_int32(at, 0x01020304);
    auto b = w.to_bytes();
    EXPECT_EQ(std::vector<uint8_t>(b.end() - 4, b.end()), bytes_of({1, 2, 3, 4}));
}

TEST(writer, record_set_without_owner_is_copied) {
    std::vector<uint8_t> big(3000, 9);
    writer w;
    w.write_record_set(record_set::view(big));
    EXPECT_FALSE(w.has_external_pieces());
    big[0] = 0;  // the writer holds its own copy
    EXPECT_EQ(w.to_bytes()[0], 9);
}

TEST(tagged_fields, section_round_trip_and_order_check) {
    protocol::tagged_fields tags{{1, {0xaa}}, {300, {1, 2}}};
    writer w;
    protocol::wire::write_unknown_tags(w, tags);
    auto b = w.to_bytes();
    EXPECT_EQ(b, bytes_of({2, 1, 1, 0xaa, 0xac, 0x02, 2, 1, 2}));
    reader r(b);
    protocol::tagged_fields back;
    protocol::wire::read_unknown_tags(r, back);
    EXPECT_EQ(back, tags);
    auto bad = bytes_of({2, 5, 0, 5, 0});  // tag 5 twice
    reader r2(bad);
    EXPECT_THROW(protocol::wire::read_unknown_tags(r2, back), decode_error);
}
