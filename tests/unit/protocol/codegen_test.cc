// The generator's self-test: codegen/test_schemas/KitchenSink*.json use every feature the real
// schemas do not (uuid, float64, uint16, bytes, nullable struct, tagged struct, tagged nullable
// string, nullable array with a null default, arrays of strings). Its generated code is compiled
// into this test only, hence the .cc include.
#include <gtest/gtest.h>

#include "protocol/codegen_test/kitchen_sink.cc"
#include "protocol/codegen_test/samples.h"
#include "protocol/decode.h"

using namespace protocol;
using codegen_test::kitchen_sink_request;
using codegen_test::kitchen_sink_response;

namespace {
template <class M>
std::vector<uint8_t> encode(const M& m, int16_t v) {
    wire::writer w;
    m.encode(w, v);
    return w.to_bytes();
}
}  // namespace

TEST(codegen, kitchen_sink_round_trips_at_every_version) {
    for (int16_t v = 0; v <= 2; ++v) {
        SCOPED_TRACE(v);
        kitchen_sink_request m;
        codegen_test::samples::fill_sample(m, v, 11);
        auto b = encode(m, v);
        EXPECT_NE(b, encode(kitchen_sink_request{}, v));
        auto d = decode_message<kitchen_sink_request>(b, v);
        ASSERT_TRUE(d) << d.error().message();
        EXPECT_TRUE(d.value() == m);
        EXPECT_EQ(encode(d.value(), v), b);
        for (size_t n = 0; n < b.size(); ++n) {
            EXPECT_FALSE(decode_message<kitchen_sink_request>(std::span<const uint8_t>(b.data(), n), v)) << n;
        }
        kitchen_sink_response r;
        codegen_test::samples::fill_sample(r, v, 3);
        auto rb = encode(r, v);
        auto rd = decode_message<kitchen_sink_response>(rb, v);
        ASSERT_TRUE(rd);
        EXPECT_TRUE(rd.value() == r);
    }
}

TEST(codegen, defaults_of_the_less_common_types) {
    kitchen_sink_request m;
    EXPECT_EQ(m.ratio, 0.25);
    EXPECT_EQ(m.small, 7);
    EXPECT_EQ(m.numbers, std::nullopt);  // "default": "null"
    ASSERT_TRUE(m.child.has_value());    // nullable struct without a null default: empty struct
    EXPECT_EQ(m.child->label, std::optional<std::string>(""));
    EXPECT_TRUE(m.extra.flag);
    EXPECT_EQ(m.note, std::nullopt);
    EXPECT_EQ(m.id, (std::array<uint8_t, 16>{}));
}

TEST(codegen, v0_layout_of_uuid_float_uint16_bytes_struct_and_null_array) {
    kitchen_sink_request m;
    for (size_t i = 0; i < 16; ++i) m.id[i] = static_cast<uint8_t>(i);
    m.ratio = 1.0;
    m.small = 0xfffe;
    m.blob = {9};
    m.child = kitchen_sink_request::child_data{5, std::nullopt, {}};
    m.names = {"ignored in v0"};
    auto b = encode(m, 0);
    std::vector<uint8_t> want;
    for (int i = 0; i < 16; ++i) want.push_back(static_cast<uint8_t>(i));
    for (int x : {0x3f, 0xf0, 0, 0, 0, 0, 0, 0}) want.push_back(static_cast<uint8_t>(x));  // 1.0
    for (int x : {0xff, 0xfe}) want.push_back(static_cast<uint8_t>(x));                   // small
    for (int x : {0, 0, 0, 1, 9}) want.push_back(static_cast<uint8_t>(x));                 // blob
    for (int x : {0, 0, 0, 5, 0xff, 0xff}) want.push_back(static_cast<uint8_t>(x));        // child, no marker in v0
    for (int x : {0xff, 0xff, 0xff, 0xff}) want.push_back(static_cast<uint8_t>(x));        // numbers null
    for (int x : {0xff, 0xff, 0xff, 0xff}) want.push_back(static_cast<uint8_t>(x));        // payload null
    EXPECT_EQ(b, want);
}

TEST(codegen, nullable_struct_marker_from_v1_and_tagged_fields_in_v2) {
    kitchen_sink_request m;
    m.child = std::nullopt;
    auto v1 = encode(m, 1);
    auto d1 = decode_message<kitchen_sink_request>(v1, 1);
    ASSERT_TRUE(d1);
    EXPECT_EQ(d1.value().child, std::nullopt);
    // v0 cannot carry a null struct: it is written as a default struct and reads back as one.
    auto d0 = decode_message<kitchen_sink_request>(encode(m, 0), 0);
    ASSERT_TRUE(d0);
    EXPECT_TRUE(d0.value().child.has_value());

    kitchen_sink_request t;
    t.extra.flag = false;  // tag 0
    t.note = "n";          // tag 3
    auto v2 = encode(t, 2);
    // The section at the end: 2 fields; tag 0 = {flag=0, no tags}; tag 3 = compact "n".
    std::vector<uint8_t> tail = {2, 0, 2, 0, 0, 3, 2, 2, 'n'};
    ASSERT_GE(v2.size(), tail.size());
    EXPECT_EQ(std::vector<uint8_t>(v2.end() - static_cast<std::ptrdiff_t>(tail.size()), v2.end()), tail);
    auto d2 = decode_message<kitchen_sink_request>(v2, 2);
    ASSERT_TRUE(d2);
    EXPECT_FALSE(d2.value().extra.flag);
    EXPECT_EQ(d2.value().note, std::optional<std::string>("n"));
    // Neither tagged field exists before v2.
    auto d1b = decode_message<kitchen_sink_request>(encode(t, 1), 1);
    ASSERT_TRUE(d1b);
    EXPECT_TRUE(d1b.value().extra.flag);
    EXPECT_EQ(d1b.value().note, std::nullopt);
}
