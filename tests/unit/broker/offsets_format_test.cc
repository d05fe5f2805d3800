// The __consumer_offsets record formats (Kafka's OffsetCommitKey/Value and GroupMetadataKey/Value),
// and Java's String.hashCode / Kafka's partitionFor, which pick the coordinator partition.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "broker/group/group_coordinator.h"
#include "broker/group/offsets_format.h"
#include "protocol/wire/writer.h"

namespace {

using namespace broker::group;

using bytes = std::vector<uint8_t>;

decoded_record decode(const bytes& key, const bytes& value) {
    return decode_record(key, std::optional<std::span<const uint8_t>>(std::span<const uint8_t>(value)));
}

decoded_record decode_tombstone(const bytes& key) { return decode_record(key, std::nullopt); }

// A hand-built value: the writer gives Kafka's classic encodings (int16-length strings, -1 for
// null, int32-length bytes), big-endian.
struct value_builder {
    protocol::wire::writer w;
    value_builder& i16(int16_t v) {
        w.write_int16(v);
        return *this;
    }
    value_builder& i32(int32_t v) {
        w.write_int32(v);
        return *this;
    }
    value_builder& i64(int64_t v) {
        w.write_int64(v);
        return *this;
    }
    value_builder& str(const std::string& s) {
        w.write_string(s);
        return *this;
    }
    value_builder& null_str() {
        w.write_nullable_string(std::nullopt);
        return *this;
    }
    value_builder& blob(const bytes& b) {
        w.write_bytes(b);
        return *this;
    }
    bytes done() const { return w.to_bytes(); }
};

member_value sample_member(const std::string& id, std::optional<std::string> instance) {
    member_value m;
    m.member_id = id;
    m.group_instance_id = std::move(instance);
    m.client_id = "client-" + id;
    m.client_host = "/10.0.0.1";
    m.rebalance_timeout_ms = 300000;
    m.session_timeout_ms = 45000;
    m.subscription = {0, 1, 2, 3};
    m.assignment = {9, 8, 7};
    return m;
}

// ---- round trips ----------------------------------------------------------------------------

TEST(offsets_format, offset_key_and_v3_value_round_trip) {
    offset_key k{"my-group", "orders", 7};
    offset_value v;
    v.offset = 123456789012LL;
    v.leader_epoch = 5;
    v.metadata = "some metadata";
    v.commit_timestamp = 1700000000000LL;
    const bytes kb = encode_key(k);
    const bytes vb = encode_value(v);
    ASSERT_GE(vb.size(), 2u);
    EXPECT_EQ(vb[0], 0);
    EXPECT_EQ(vb[1], 3) << "no expire timestamp: value v3 (Kafka 2.1+ format)";
    auto rec = decode(kb, vb);
    auto* o = std::get_if<offset_record>(&rec);
    ASSERT_NE(o, nullptr);
    EXPECT_EQ(o->key, k);
    ASSERT_TRUE(o->value.has_value());
    EXPECT_EQ(*o->value, v);
}

TEST(offsets_format, offset_value_with_expire_timestamp_is_v1_and_round_trips) {
    offset_value v;
    v.offset = 42;
    v.leader_epoch = -1;  // v1 has no leader epoch
    v.metadata = "";
    v.commit_timestamp = 1000;
    v.expire_timestamp = 1000 + 86400000;
    const bytes vb = encode_value(v);
    // version(2) offset(8) metadata(2+0) commit(8) expire(8)
    ASSERT_EQ(vb.size(), 28u);
    EXPECT_EQ(vb[0], 0);
    EXPECT_EQ(vb[1], 1);
    auto rec = decode(encode_key(offset_key{"g", "t", 0}), vb);
    auto* o = std::get_if<offset_record>(&rec);
    ASSERT_NE(o, nullptr);
    ASSERT_TRUE(o->value.has_value());
    EXPECT_EQ(*o->value, v);
    EXPECT_EQ(o->value->expire_timestamp, std::optional<int64_t>(1000 + 86400000));
}

TEST(offsets_format, group_key_and_v3_value_with_members_round_trip) {
    group_key k{"the-group"};
    group_value v;
    v.protocol_type = "consumer";
    v.generation = 17;
    v.protocol = "range";
    v.leader = "m1";
    v.current_state_timestamp = 1700000000123LL;
    v.members.push_back(sample_member("m1", std::nullopt));
    v.members.push_back(sample_member("m2", std::string("instance-2")));
    v.members[1].subscription = {};
    v.members[1].assignment = {};
    const bytes kb = encode_key(k);
    ASSERT_GE(kb.size(), 2u);
    EXPECT_EQ(kb[1], 2) << "group metadata key is version 2";
    const bytes vb = encode_value(v);
    EXPECT_EQ(vb[1], 3);
    auto rec = decode(kb, vb);
    auto* g = std::get_if<group_record>(&rec);
    ASSERT_NE(g, nullptr);
    EXPECT_EQ(g->key, k);
    ASSERT_TRUE(g->value.has_value());
    EXPECT_EQ(*g->value, v);
}

TEST(offsets_format, empty_group_value_with_null_protocol_and_leader_round_trips) {
    group_value v;
    v.protocol_type = "";
    v.generation = 3;
    v.current_state_timestamp = -1;
    auto rec = decode(encode_key(group_key{"g"}), encode_value(v));
    auto* g = std::get_if<group_record>(&rec);
    ASSERT_NE(g, nullptr);
    ASSERT_TRUE(g->value.has_value());
    EXPECT_EQ(*g->value, v);
    EXPECT_FALSE(g->value->protocol.has_value());
    EXPECT_FALSE(g->value->leader.has_value());
    EXPECT_TRUE(g->value->members.empty());
}

// ---- known bytes ------------------------------------------------------------------------------

TEST(offsets_format, offset_key_known_bytes) {
    // OffsetCommitKey v1: int16 version 1, group "g" (int16 len 1 + 'g'), topic "t", int32 partition 0.
    const bytes expected = {0x00, 0x01, 0x00, 0x01, 'g', 0x00, 0x01, 't', 0x00, 0x00, 0x00, 0x00};
    EXPECT_EQ(encode_key(offset_key{"g", "t", 0}), expected);
}

TEST(offsets_format, offset_value_v3_known_bytes) {
    // v3: version 3, offset 5, leader epoch 2, metadata "m", commit timestamp 258 (0x102).
    offset_value v;
    v.offset = 5;
    v.leader_epoch = 2;
    v.metadata = "m";
    v.commit_timestamp = 258;
    const bytes expected = {0x00, 0x03,                                            // version
                            0, 0, 0, 0, 0, 0, 0, 5,                                // offset
                            0, 0, 0, 2,                                            // leader epoch
                            0x00, 0x01, 'm',                                       // metadata
                            0, 0, 0, 0, 0, 0, 0x01, 0x02};                         // commit ts
    EXPECT_EQ(encode_value(v), expected);
}

TEST(offsets_format, group_key_known_bytes) {
    const bytes expected = {0x00, 0x02, 0x00, 0x02, 'g', '1'};
    EXPECT_EQ(encode_key(group_key{"g1"}), expected);
}

TEST(offsets_format, offset_key_version_0_decodes) {
    const bytes key = value_builder{}.i16(0).str("grp").str("topic").i32(3).done();
    auto rec = decode_tombstone(key);
    auto* o = std::get_if<offset_record>(&rec);
    ASSERT_NE(o, nullptr);
    EXPECT_EQ(o->key, (offset_key{"grp", "topic", 3}));
    EXPECT_FALSE(o->value.has_value());
}

// ---- old versions written by older Kafka ----------------------------------------------------

TEST(offsets_format, offset_value_v0_decodes_without_epoch_or_expiry) {
    const bytes value = value_builder{}.i16(0).i64(77).str("meta").i64(5555).done();
    auto rec = decode(encode_key(offset_key{"g", "t", 1}), value);
    auto* o = std::get_if<offset_record>(&rec);
    ASSERT_NE(o, nullptr);
    ASSERT_TRUE(o->value.has_value());
    EXPECT_EQ(o->value->offset, 77);
    EXPECT_EQ(o->value->leader_epoch, -1);
    EXPECT_EQ(o->value->metadata, "meta");
    EXPECT_EQ(o->value->commit_timestamp, 5555);
    EXPECT_FALSE(o->value->expire_timestamp.has_value());
}

TEST(offsets_format, offset_value_v2_decodes) {
    const bytes value = value_builder{}.i16(2).i64(78).str("").i64(6666).done();
    auto rec = decode(encode_key(offset_key{"g", "t", 1}), value);
    auto* o = std::get_if<offset_record>(&rec);
    ASSERT_NE(o, nullptr);
    ASSERT_TRUE(o->value.has_value());
    EXPECT_EQ(o->value->offset, 78);
    EXPECT_EQ(o->value->leader_epoch, -1);
    EXPECT_EQ(o->value->commit_timestamp, 6666);
    EXPECT_FALSE(o->value->expire_timestamp.has_value());
}

TEST(offsets_format, group_value_v0_decodes_rebalance_timeout_from_session_timeout) {
    // v0: protocol_type, generation, protocol, leader, members[member_id, client_id, client_host,
    // session_timeout, subscription, assignment]
    const bytes value = value_builder{}
                          .i16(0)
                          .str("consumer")
                          .i32(4)
                          .str("range")
                          .str("m1")
                          .i32(1)
                          .str("m1")
                          .str("cid")
                          .str("/1.2.3.4")
                          .i32(10000)
                          .blob({1, 2})
                          .blob({3})
                          .done();
    auto rec = decode(encode_key(group_key{"g"}), value);
    auto* g = std::get_if<group_record>(&rec);
    ASSERT_NE(g, nullptr);
    ASSERT_TRUE(g->value.has_value());
    const group_value& v = *g->value;
    EXPECT_EQ(v.protocol_type, "consumer");
    EXPECT_EQ(v.generation, 4);
    EXPECT_EQ(v.protocol, std::optional<std::string>("range"));
    EXPECT_EQ(v.leader, std::optional<std::string>("m1"));
    EXPECT_EQ(v.current_state_timestamp, -1) << "no state timestamp before v2";
    ASSERT_EQ(v.members.size(), 1u);
    const member_value& m = v.members[0];
    EXPECT_EQ(m.member_id, "m1");
    EXPECT_FALSE(m.group_instance_id.has_value());
    EXPECT_EQ(m.client_id, "cid");
    EXPECT_EQ(m.client_host, "/1.2.3.4");
    EXPECT_EQ(m.session_timeout_ms, 10000);
    EXPECT_EQ(m.rebalance_timeout_ms, 10000) << "v0 has no rebalance timeout: Kafka uses the session timeout";
    EXPECT_EQ(m.subscription, (bytes{1, 2}));
    EXPECT_EQ(m.assignment, (bytes{3}));
}

TEST(offsets_format, group_value_v1_decodes_rebalance_timeout) {
    const bytes value = value_builder{}
                          .i16(1)
                          .str("consumer")
                          .i32(5)
                          .null_str()
                          .null_str()
                          .i32(1)
                          .str("m1")
                          .str("cid")
                          .str("/h")
                          .i32(60000)  // rebalance timeout
                          .i32(10000)  // session timeout
                          .blob({})
                          .blob({})
                          .done();
    auto rec = decode(encode_key(group_key{"g"}), value);
    auto* g = std::get_if<group_record>(&rec);
    ASSERT_NE(g, nullptr);
    ASSERT_TRUE(g->value.has_value());
    EXPECT_FALSE(g->value->protocol.has_value());
    EXPECT_FALSE(g->value->leader.has_value());
    EXPECT_EQ(g->value->current_state_timestamp, -1);
    ASSERT_EQ(g->value->members.size(), 1u);
    EXPECT_EQ(g->value->members[0].rebalance_timeout_ms, 60000);
    EXPECT_EQ(g->value->members[0].session_timeout_ms, 10000);
    EXPECT_FALSE(g->value->members[0].group_instance_id.has_value());
}

TEST(offsets_format, group_value_v2_decodes_state_timestamp_before_members) {
    const bytes value = value_builder{}
                          .i16(2)
                          .str("consumer")
                          .i32(6)
                          .str("roundrobin")
                          .str("m2")
                          .i64(123456)  // current_state_timestamp
                          .i32(2)
                          .str("m1")
                          .str("c1")
                          .str("/h1")
                          .i32(1000)
                          .i32(2000)
                          .blob({1})
                          .blob({2})
                          .str("m2")
                          .str("c2")
                          .str("/h2")
                          .i32(3000)
                          .i32(4000)
                          .blob({3})
                          .blob({4})
                          .done();
    auto rec = decode(encode_key(group_key{"g"}), value);
    auto* g = std::get_if<group_record>(&rec);
    ASSERT_NE(g, nullptr);
    ASSERT_TRUE(g->value.has_value());
    const group_value& v = *g->value;
    EXPECT_EQ(v.current_state_timestamp, 123456);
    EXPECT_EQ(v.protocol, std::optional<std::string>("roundrobin"));
    ASSERT_EQ(v.members.size(), 2u);
    EXPECT_EQ(v.members[1].member_id, "m2");
    EXPECT_EQ(v.members[1].client_host, "/h2");
    EXPECT_EQ(v.members[1].rebalance_timeout_ms, 3000);
    EXPECT_EQ(v.members[1].session_timeout_ms, 4000);
    EXPECT_EQ(v.members[1].assignment, (bytes{4}));
    EXPECT_FALSE(v.members[0].group_instance_id.has_value()) << "group_instance_id only from v3";
}

// ---- tombstones ------------------------------------------------------------------------------

TEST(offsets_format, null_value_is_a_tombstone) {
    auto o = decode_tombstone(encode_key(offset_key{"g", "t", 2}));
    ASSERT_TRUE(std::holds_alternative<offset_record>(o));
    EXPECT_EQ(std::get<offset_record>(o).key, (offset_key{"g", "t", 2}));
    EXPECT_FALSE(std::get<offset_record>(o).value.has_value());

    auto g = decode_tombstone(encode_key(group_key{"g"}));
    ASSERT_TRUE(std::holds_alternative<group_record>(g));
    EXPECT_EQ(std::get<group_record>(g).key.group, "g");
    EXPECT_FALSE(std::get<group_record>(g).value.has_value());
}

// ---- malformed input --------------------------------------------------------------------------

TEST(offsets_format, garbage_is_a_bad_record_never_an_exception) {
    const bytes good_offset_key = encode_key(offset_key{"g", "t", 0});
    const bytes good_group_key = encode_key(group_key{"g"});
    std::vector<std::pair<bytes, std::optional<bytes>>> cases = {
      {{}, std::nullopt},                                           // empty key
      {{0x00}, std::nullopt},                                       // half a version
      {{0x00, 0x05, 0x00, 0x00}, std::nullopt},                     // unknown key version
      {{0xFF, 0xFF}, std::nullopt},                                 // negative key version
      {{0x00, 0x01, 0x00, 0x05, 'g'}, std::nullopt},                // string longer than the key
      {{0x00, 0x01, 0xFF, 0xFF, 0x00, 0x01, 't', 0, 0, 0, 0}, std::nullopt},  // null group string
      {{0x00, 0x01, 0x00, 0x01, 'g', 0x00, 0x01, 't', 0x00}, std::nullopt},   // truncated partition
      {good_offset_key, bytes{}},                                   // empty value
      {good_offset_key, bytes{0x00, 0x09, 0, 0, 0, 0, 0, 0, 0, 0}}, // unknown value version
      {good_offset_key, bytes{0x00, 0x03, 0, 0, 0}},                // truncated v3 value
      {good_group_key, bytes{}},
      {good_group_key, bytes{0x00, 0x07}},                          // unknown group value version
      {good_group_key, value_builder{}.i16(3).str("consumer").i32(1).null_str().null_str().i64(0).i32(-5).done()},
      {good_group_key, value_builder{}.i16(3).str("consumer").i32(1).null_str().null_str().i64(0).i32(0x7FFFFFFF).done()},
      {good_group_key, value_builder{}.i16(3).str("consumer").i32(1).null_str().null_str().i64(0).i32(1).str("m").done()},
      {good_group_key, value_builder{}.i16(0).str("c").i32(1).str("p").str("l").i32(1).str("m").str("c").str("h")
                         .i32(1).i32(0x7FFFFFF0).done()},  // bytes length far past the end
    };
    for (size_t i = 0; i < cases.size(); ++i) {
        decoded_record rec;
        if (cases[i].second) {
            EXPECT_NO_THROW(rec = decode(cases[i].first, *cases[i].second)) << "case " << i;
        } else {
            EXPECT_NO_THROW(rec = decode_tombstone(cases[i].first)) << "case " << i;
        }
        ASSERT_TRUE(std::holds_alternative<bad_record>(rec)) << "case " << i;
        EXPECT_FALSE(std::get<bad_record>(rec).reason.empty()) << "case " << i;
    }
}

TEST(offsets_format, random_bytes_never_throw) {
    std::mt19937 rng(12345);
    std::uniform_int_distribution<int> byte(0, 255);
    std::uniform_int_distribution<int> len(0, 40);
    for (int i = 0; i < 20000; ++i) {
        bytes key(static_cast<size_t>(len(rng)));
        for (auto& b : key) b = static_cast<uint8_t>(byte(rng));
        if (key.size() >= 2 && i % 2 == 0) {
            key[0] = 0;
            key[1] = static_cast<uint8_t>(i % 3);  // a valid key version, so the value parser runs
        }
        bytes value(static_cast<size_t>(len(rng)));
        for (auto& b : value) b = static_cast<uint8_t>(byte(rng));
        if (value.size() >= 2) {
            value[0] = 0;
            value[1] = static_cast<uint8_t>(i % 4);
        }
        EXPECT_NO_THROW(decode(key, value));
        EXPECT_NO_THROW(decode_tombstone(key));
    }
}

// ---- Java's String.hashCode and the coordinator partition -------------------------------------

TEST(offsets_format, java_string_hash_matches_java) {
    EXPECT_EQ(java_string_hash(""), 0);
    EXPECT_EQ(java_string_hash("a"), 97);
    EXPECT_EQ(java_string_hash("hello"), 99162322);
    // "héllo" in UTF-16 is 104, 233 (é = U+00E9), 108, 108, 111:
    //   104; 104*31+233 = 3457; 3457*31+108 = 107275; 107275*31+108 = 3325633;
    //   3325633*31+111 = 103094734
    EXPECT_EQ(java_string_hash("h\xC3\xA9llo"), 103094734);
    // U+1F600 is the surrogate pair D83D DE00 in UTF-16: 0xD83D*31 + 0xDE00 = 55357*31 + 56832.
    EXPECT_EQ(java_string_hash("\xF0\x9F\x98\x80"), 1772899);
    // U+20AC (3-byte UTF-8) is one unit: 'x'*31 + 0x20AC = 120*31 + 8364.
    EXPECT_EQ(java_string_hash("x\xE2\x82\xAC"), 120 * 31 + 8364);
    // "polygenelubricants".hashCode() == Integer.MIN_VALUE in Java.
    EXPECT_EQ(java_string_hash("polygenelubricants"), std::numeric_limits<int32_t>::min());
    // Overflowing, negative: "my-group".hashCode() == -1906497762, "test-consumer-group" -1793216381.
    EXPECT_EQ(java_string_hash("my-group"), -1906497762);
    EXPECT_EQ(java_string_hash("test-consumer-group"), -1793216381);
    // A lone invalid byte counts as U+FFFD.
    EXPECT_EQ(java_string_hash("\xFF"), 0xFFFD);
}

TEST(offsets_format, partition_for_group_uses_kafka_utils_abs) {
    EXPECT_EQ(partition_for_group("", 50), 0);
    EXPECT_EQ(partition_for_group("a", 50), 97 % 50);
    EXPECT_EQ(partition_for_group("hello", 50), 99162322 % 50);
    EXPECT_EQ(partition_for_group("h\xC3\xA9llo", 50), 103094734 % 50);
    // Utils.abs(Integer.MIN_VALUE) is 0, not MIN_VALUE (Math.abs would give a negative partition).
    EXPECT_EQ(partition_for_group("polygenelubricants", 50), 0);
    EXPECT_EQ(partition_for_group("polygenelubricants", 7), 0);
    // Negative hashes: abs(-1906497762) % 50 = 12, abs(-1793216381) % 50 = 31.
    EXPECT_EQ(partition_for_group("my-group", 50), 12);
    EXPECT_EQ(partition_for_group("test-consumer-group", 50), 31);
    EXPECT_EQ(partition_for_group("my-group", 1), 0);
}

TEST(offsets_format, state_names_are_kafkas) {
    EXPECT_STREQ(state_name(group_state::empty), "Empty");
    EXPECT_STREQ(state_name(group_state::preparing_rebalance), "PreparingRebalance");
    EXPECT_STREQ(state_name(group_state::completing_rebalance), "CompletingRebalance");
    EXPECT_STREQ(state_name(group_state::stable), "Stable");
    EXPECT_STREQ(state_name(group_state::dead), "Dead");
}

}  // namespace
