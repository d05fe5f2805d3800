// Every generated message round-trips at every version of its schema, plus byte-exact encodings
// written by hand from Kafka's protocol guide.
#include <gtest/gtest.h>

#include <cstdint>
#include <string_view>
#include <tuple>
#include <type_traits>

#include "protocol/decode.h"
#include "protocol/messages/all.h"
#include "protocol/messages/samples.h"
#include "protocol/request_header.h"

using namespace protocol;

namespace {

std::vector<uint8_t> bytes_of(std::initializer_list<int> v) {
    std::vector<uint8_t> out;
    for (int b : v) out.push_back(static_cast<uint8_t>(b));
    return out;
}

template <class Message>
std::vector<uint8_t> encode(const Message& m, int16_t version) {
    wire::writer w;
    m.encode(w, version);
    return w.to_bytes();
}

template <class Message>
void round_trip_every_version(std::string_view api, int16_t lo, int16_t hi) {
    for (int16_t v = lo; v <= hi; ++v) {
        SCOPED_TRACE(::testing::Message() << api << " " << typeid(Message).name() << " v" << v);
        Message m;
        samples::fill_sample(m, v, 7);
        auto bytes = encode(m, v);
        // The sample must really differ from a default message at this version (else the test
        // would prove nothing), except for bodies that are empty at this version.
        auto default_bytes = encode(Message{}, v);
        if (!default_bytes.empty()) {
            EXPECT_NE(bytes, default_bytes);
        }

        auto decoded = decode_message<Message>(bytes, v);
        ASSERT_TRUE(decoded) << decoded.error().message();
        EXPECT_TRUE(decoded.value() == m);
        EXPECT_EQ(encode(decoded.value(), v), bytes);

        // Every strict prefix is malformed.
        for (size_t n = 0; n < bytes.size(); ++n) {
            auto cut = decode_message<Message>(std::span<const uint8_t>(bytes.data(), n), v);
            EXPECT_FALSE(cut) << "prefix of " << n << " of " << bytes.size() << " bytes decoded";
        }
        // One extra byte is reported as trailing.
        auto longer = bytes;
        longer.push_back(0);
        auto extra = decode_message<Message>(longer, v);
        ASSERT_FALSE(extra);
        EXPECT_EQ(extra.error(), make_error_code(errc::trailing_bytes));

        // A default message also round-trips.
        auto d = decode_message<Message>(default_bytes, v);
        ASSERT_TRUE(d);
        EXPECT_TRUE(d.value() == Message{});
    }
    // Versions outside the schema are rejected on decode.
    Message m;
    auto bytes = encode(m, lo);
    EXPECT_FALSE(decode_message<Message>(bytes, static_cast<int16_t>(hi + 1)));
    if (lo > 0) {
        EXPECT_FALSE(decode_message<Message>(bytes, static_cast<int16_t>(lo - 1)));
    }
}

template <class... Apis>
void round_trip_all(std::tuple<Apis...>*) {
    (round_trip_every_version<typename Apis::request>(Apis::name, Apis::min_version, Apis::max_version), ...);
    (round_trip_every_version<typename Apis::response>(Apis::name, Apis::min_version, Apis::max_version), ...);
}

}  // namespace

TEST(messages, every_message_round_trips_at_every_version) {
    round_trip_all(static_cast<all_apis*>(nullptr));
}

TEST(messages, descriptors_match_the_schemas) {
    EXPECT_EQ(produce_api::key, 0);
    EXPECT_EQ(produce_api::min_version, 0);
    EXPECT_EQ(produce_api::max_version, 7);
    EXPECT_EQ(produce_api::first_flexible, 9);
    EXPECT_EQ(fetch_api::key, 1);
    EXPECT_EQ(fetch_api::min_version, 4);
    EXPECT_EQ(fetch_api::max_version, 11);
    EXPECT_EQ(fetch_api::first_flexible, 12);
    EXPECT_EQ(list_offsets_api::key, 2);
    EXPECT_EQ(metadata_api::key, 3);
    EXPECT_EQ(metadata_api::max_version, 6);
    EXPECT_EQ(api_versions_api::key, 18);
    EXPECT_EQ(api_versions_api::max_version, 3);
    EXPECT_EQ(api_versions_api::first_flexible, 3);
    EXPECT_EQ(create_topics_api::key, 19);
    EXPECT_EQ(create_topics_api::first_flexible, 5);
    EXPECT_EQ(delete_topics_api::key, 20);
    EXPECT_EQ(delete_topics_api::name, "DeleteTopics");
    EXPECT_EQ(leader_and_isr_api::key, 4);
    EXPECT_EQ(leader_and_isr_api::name, "LeaderAndIsr");
    EXPECT_EQ(leader_and_isr_api::min_version, 0);
    EXPECT_EQ(leader_and_isr_api::max_version, 3);
    EXPECT_EQ(leader_and_isr_api::first_flexible, 4);
    EXPECT_EQ(stop_replica_api::key, 5);
    EXPECT_EQ(stop_replica_api::name, "StopReplica");
    EXPECT_EQ(stop_replica_api::max_version, 1);
    EXPECT_EQ(stop_replica_api::first_flexible, 2);
    EXPECT_EQ(update_metadata_api::key, 6);
    EXPECT_EQ(update_metadata_api::name, "UpdateMetadata");
    EXPECT_EQ(update_metadata_api::max_version, 5);
    EXPECT_EQ(update_metadata_api::first_flexible, 6);
    EXPECT_EQ(controlled_shutdown_api::key, 7);
    EXPECT_EQ(controlled_shutdown_api::name, "ControlledShutdown");
    EXPECT_EQ(controlled_shutdown_api::min_version, 1);  // v0 has a header without client id
    EXPECT_EQ(controlled_shutdown_api::max_version, 2);
    EXPECT_EQ(controlled_shutdown_api::first_flexible, 3);
    EXPECT_EQ(create_partitions_api::key, 37);
    EXPECT_EQ(create_partitions_api::name, "CreatePartitions");
    EXPECT_EQ(create_partitions_api::max_version, 1);
    EXPECT_EQ(create_partitions_api::first_flexible, 2);
    EXPECT_EQ(offset_for_leader_epoch_api::key, 23);
    EXPECT_EQ(offset_for_leader_epoch_api::name, "OffsetForLeaderEpoch");
    EXPECT_EQ(offset_for_leader_epoch_api::min_version, 0);
    EXPECT_EQ(offset_for_leader_epoch_api::max_version, 3);
    EXPECT_EQ(offset_for_leader_epoch_api::first_flexible, 4);
    EXPECT_EQ(offset_for_leader_epoch_request::api_key, 23);
    EXPECT_EQ(offset_for_leader_epoch_response::api_key, 23);
    EXPECT_EQ(init_producer_id_api::key, 22);
    EXPECT_EQ(init_producer_id_api::name, "InitProducerId");
    EXPECT_EQ(init_producer_id_api::min_version, 0);
    EXPECT_EQ(init_producer_id_api::max_version, 1);
    EXPECT_EQ(init_producer_id_api::first_flexible, 2);
    EXPECT_EQ(init_producer_id_request::api_key, 22);
    EXPECT_EQ(init_producer_id_response::api_key, 22);
    EXPECT_EQ(offset_commit_api::key, 8);
    EXPECT_EQ(offset_commit_api::max_version, 7);
    EXPECT_EQ(offset_commit_api::first_flexible, 8);
    EXPECT_EQ(offset_fetch_api::key, 9);
    EXPECT_EQ(offset_fetch_api::min_version, 0);  // the schema has v0; the registry advertises 1-5
    EXPECT_EQ(offset_fetch_api::max_version, 5);
    EXPECT_EQ(offset_fetch_api::first_flexible, 6);
    EXPECT_EQ(find_coordinator_api::key, 10);
    EXPECT_EQ(find_coordinator_api::max_version, 2);
    EXPECT_EQ(find_coordinator_api::first_flexible, 3);
    EXPECT_EQ(join_group_api::key, 11);
    EXPECT_EQ(join_group_api::name, "JoinGroup");
    EXPECT_EQ(join_group_api::max_version, 5);
    EXPECT_EQ(join_group_api::first_flexible, 6);
    EXPECT_EQ(heartbeat_api::key, 12);
    EXPECT_EQ(heartbeat_api::first_flexible, 4);
    EXPECT_EQ(leave_group_api::key, 13);
    EXPECT_EQ(leave_group_api::max_version, 3);
    EXPECT_EQ(sync_group_api::key, 14);
    EXPECT_EQ(sync_group_api::max_version, 3);
    EXPECT_EQ(describe_groups_api::key, 15);
    EXPECT_EQ(describe_groups_api::max_version, 4);
    EXPECT_EQ(describe_groups_api::first_flexible, 5);
    EXPECT_EQ(list_groups_api::key, 16);
    EXPECT_EQ(list_groups_api::max_version, 2);
    EXPECT_EQ(list_groups_api::first_flexible, 3);
    EXPECT_EQ(delete_groups_api::key, 42);
    EXPECT_EQ(delete_groups_api::max_version, 1);
    EXPECT_EQ(delete_groups_api::first_flexible, 2);
    EXPECT_EQ(offset_delete_api::key, 47);
    EXPECT_EQ(offset_delete_api::min_version, 0);
    EXPECT_EQ(offset_delete_api::max_version, 0);
    EXPECT_EQ(offset_delete_api::first_flexible, -1);
    EXPECT_EQ(join_group_request::api_key, 11);
    EXPECT_EQ(offset_delete_response::api_key, 47);
    EXPECT_EQ(std::tuple_size_v<all_apis>, 29u);
}

TEST(messages, schema_defaults_become_initialisers) {
    fetch_request f;
    EXPECT_EQ(f.max_bytes, 0x7fffffff);
    EXPECT_EQ(f.session_epoch, -1);
    EXPECT_EQ(f.rack_id, "");
    fetch_request::fetch_topic::fetch_partition p;
    EXPECT_EQ(p.current_leader_epoch, -1);
    EXPECT_EQ(p.log_start_offset, -1);
    fetch_response::fetchable_topic_response::partition_data pd;
    EXPECT_EQ(pd.preferred_read_replica, -1);
    EXPECT_TRUE(pd.records.is_null());
    ASSERT_TRUE(pd.aborted_transactions.has_value());  // nullable array, default empty
    EXPECT_TRUE(pd.aborted_transactions->empty());
    metadata_request mr;
    EXPECT_TRUE(mr.allow_auto_topic_creation);
    metadata_response mresp;
    EXPECT_EQ(mresp.controller_id, -1);
    EXPECT_EQ(mresp.cluster_id, std::nullopt);
    produce_request pr;
    EXPECT_EQ(pr.transactional_id, std::nullopt);
    api_versions_response av;
    EXPECT_EQ(av.finalized_features_epoch, -1);
    list_offsets_request::list_offsets_topic::list_offsets_partition lp;
    EXPECT_EQ(lp.max_num_offsets, 1);
    create_topics_request ct;
    EXPECT_EQ(ct.timeout_ms, 60000);
    EXPECT_FALSE(ct.validate_only);
    leader_and_isr_request lai;
    EXPECT_EQ(lai.broker_epoch, -1);
    EXPECT_FALSE(leader_and_isr_request::leader_and_isr_partition_state{}.is_new);
    EXPECT_EQ(update_metadata_request{}.broker_epoch, -1);
    EXPECT_EQ(update_metadata_request::update_metadata_broker{}.rack, "");  // nullable, default ""
    EXPECT_EQ(stop_replica_request{}.broker_epoch, -1);
    EXPECT_EQ(controlled_shutdown_request{}.broker_epoch, -1);
    // Null assignments = "the controller places the new partitions" (an empty list would not).
    EXPECT_EQ(create_partitions_request::create_partitions_topic{}.assignments, std::nullopt);
    EXPECT_EQ(create_partitions_response::create_partitions_topic_result{}.error_message, std::nullopt);
}

TEST(messages, fields_absent_in_a_version_are_skipped_not_rejected) {
    metadata_response m;
    m.cluster_id = "abc";  // v2+
    m.controller_id = 5;   // v1+
    auto v0 = encode(m, 0);
    EXPECT_EQ(v0, bytes_of({0, 0, 0, 0, 0, 0, 0, 0}));  // brokers [], topics []
    auto back = decode_message<metadata_response>(v0, 0);
    ASSERT_TRUE(back);
    EXPECT_EQ(back.value().cluster_id, std::nullopt);
    EXPECT_EQ(back.value().controller_id, -1);
}

TEST(messages, api_versions_v0_request_frame_known_bytes) {
    request_header h{18, 0, 1, std::string("kcat")};
    wire::writer w;
    w.write_int32(0);
    encode_request_header(w, h);
    api_versions_request{}.encode(w, 0);
    w.patch_int32(0, static_cast<int32_t>(w.size() - 4));
    EXPECT_EQ(w.to_bytes(), bytes_of({0, 0, 0, 14, 0, 18, 0, 0, 0, 0, 0, 1, 0, 4, 'k', 'c', 'a', 't'}));
}

TEST(messages, api_versions_v0_response_known_bytes) {
    api_versions_response r;
    r.api_keys = {{0, 3, 7, {}}, {18, 0, 2, {}}};
    r.throttle_time_ms = 99;  // not in v0
    auto b = encode(r, 0);
    EXPECT_EQ(b, bytes_of({0, 0, 0, 0, 0, 2, 0, 0, 0, 3, 0, 7, 0, 18, 0, 0, 0, 2}));
    auto unsupported = bytes_of({0, 35, 0, 0, 0, 1, 0, 18, 0, 0, 0, 2});
    auto d = decode_message<api_versions_response>(unsupported, 0);
    ASSERT_TRUE(d);
    EXPECT_EQ(d.value().error_code, 35);
    ASSERT_EQ(d.value().api_keys.size(), 1u);
    EXPECT_EQ(d.value().api_keys[0].max_version, 2);
}

TEST(messages, api_versions_v1_response_adds_throttle) {
    api_versions_response r;
    r.api_keys = {{18, 0, 2, {}}};
    r.throttle_time_ms = 0x01020304;
    EXPECT_EQ(encode(r, 1), bytes_of({0, 0, 0, 0, 0, 1, 0, 18, 0, 0, 0, 2, 1, 2, 3, 4}));
}

TEST(messages, api_versions_v3_request_is_compact_with_tags) {
    api_versions_request r;
    r.client_software_name = "kcat";
    r.client_software_version = "1.7.1";
    auto b = encode(r, 3);
    EXPECT_EQ(b, bytes_of({5, 'k', 'c', 'a', 't', 6, '1', '.', '7', '.', '1', 0}));
    // The same request with an unknown tagged field (tag 7, 2 bytes) round-trips byte for byte.
    auto tagged = bytes_of({5, 'k', 'c', 'a', 't', 6, '1', '.', '7', '.', '1', 1, 7, 2, 0xbe, 0xef});
    auto d = decode_message<api_versions_request>(tagged, 3);
    ASSERT_TRUE(d);
    EXPECT_EQ(d.value().client_software_name, "kcat");
    ASSERT_EQ(d.value().unknown_tags.count(7), 1u);
    EXPECT_EQ(d.value().unknown_tags.at(7), bytes_of({0xbe, 0xef}));
    EXPECT_EQ(encode(d.value(), 3), tagged);
}

TEST(messages, api_versions_v3_response_tagged_fields_known_bytes_and_round_trip) {
    api_versions_response r;
    r.api_keys = {{18, 0, 3, {}}};
    r.throttle_time_ms = 0;
    r.finalized_features_epoch = 5;  // tag 1
    r.supported_features = {{"f", 1, 2, {}}};  // tag 0
    auto b = encode(r, 3);
    EXPECT_EQ(b, bytes_of({0, 0,                       // error_code
                           2, 0, 18, 0, 0, 0, 3, 0,    // compact array of 1, entry, entry tags
                           0, 0, 0, 0,                 // throttle
                           2,                          // 2 tagged fields
                           0, 8, 2, 2, 'f', 0, 1, 0, 2, 0,  // tag 0: [{f,1,2}]
                           1, 8, 0, 0, 0, 0, 0, 0, 0, 5}));  // tag 1: epoch 5
    auto d = decode_message<api_versions_response>(b, 3);
    ASSERT_TRUE(d);
    EXPECT_TRUE(d.value() == r);
    EXPECT_EQ(d.value().finalized_features_epoch, 5);
    ASSERT_EQ(d.value().supported_features.size(), 1u);
    EXPECT_EQ(d.value().supported_features[0].name, "f");

    // Defaults are not written: only the empty tag section remains.
    api_versions_response plain;
    EXPECT_EQ(encode(plain, 3), bytes_of({0, 0, 1, 0, 0, 0, 0, 0}));

    // Unknown tags mixed with known ones are kept and re-emitted in tag order.
    api_versions_response mixed = r;
    mixed.unknown_tags[9] = {0x01};
    auto mb = encode(mixed, 3);
    auto md = decode_message<api_versions_response>(mb, 3);
    ASSERT_TRUE(md);
    EXPECT_TRUE(md.value() == mixed);
    EXPECT_EQ(mb.back(), 0x01);
}

TEST(messages, api_versions_v3_tagged_field_with_trailing_bytes_is_malformed) {
    // tag 1 (int64) declared with 9 bytes
    auto bad = bytes_of({0, 0, 1, 0, 0, 0, 0, 1, 1, 9, 0, 0, 0, 0, 0, 0, 0, 5, 0});
    EXPECT_FALSE(decode_message<api_versions_response>(bad, 3));
}

TEST(messages, metadata_requests_known_bytes) {
    metadata_request m;
    m.topics = std::vector<metadata_request::metadata_request_topic>{{"a", {}}, {"bc", {}}};
    EXPECT_EQ(encode(m, 0), bytes_of({0, 0, 0, 2, 0, 1, 'a', 0, 2, 'b', 'c'}));
    metadata_request all;
    all.topics = std::nullopt;
    EXPECT_EQ(encode(all, 1), bytes_of({0xff, 0xff, 0xff, 0xff}));
    EXPECT_EQ(encode(all, 4), bytes_of({0xff, 0xff, 0xff, 0xff, 1}));
    // v0 cannot carry null: decoding a -1 count at v0 fails, at v1 gives null.
    auto null_topics = bytes_of({0xff, 0xff, 0xff, 0xff});
    EXPECT_FALSE(decode_message<metadata_request>(null_topics, 0));
    auto v1 = decode_message<metadata_request>(null_topics, 1);
    ASSERT_TRUE(v1);
    EXPECT_EQ(v1.value().topics, std::nullopt);
}

TEST(messages, produce_v3_request_known_bytes_and_zero_copy_records) {
    produce_request p;
    p.acks = -1;
    p.timeout_ms = 30000;
    produce_request::topic_produce_data t;
    t.name = "t";
    produce_request::topic_produce_data::partition_produce_data part;
    part.index = 2;
    part.records = record_set::owned(bytes_of({0xde, 0xad, 0xbe}));
    t.partition_data.push_back(part);
    p.topic_data.push_back(t);
    auto b = encode(p, 3);
    EXPECT_EQ(b, bytes_of({0xff, 0xff,              // transactional_id null
                           0xff, 0xff,              // acks -1
                           0, 0, 0x75, 0x30,        // timeout 30000
                           0, 0, 0, 1, 0, 1, 't',   // [topic "t"
                           0, 0, 0, 1, 0, 0, 0, 2,  //  [partition 2
                           0, 0, 0, 3, 0xde, 0xad, 0xbe}));
    auto owner = std::make_shared<std::vector<uint8_t>>(b);
    auto d = decode_message<produce_request>(*owner, 3, owner);
    ASSERT_TRUE(d);
    const auto& rs = d.value().topic_data[0].partition_data[0].records;
    EXPECT_EQ(rs.memory().data(), owner->data() + owner->size() - 3);  // a view, not a copy
    EXPECT_EQ(rs.owner(), owner);
}

TEST(messages, list_offsets_v0_has_old_style_offsets_v1_does_not) {
    list_offsets_response r;
    list_offsets_response::list_offsets_topic_response t;
    t.name = "x";
    list_offsets_response::list_offsets_topic_response::list_offsets_partition_response p;
    p.partition_index = 0;
    p.old_style_offsets = {42};
    p.offset = 42;
    p.timestamp = -1;
    t.partitions.push_back(p);
    r.topics.push_back(t);
    EXPECT_EQ(encode(r, 0), bytes_of({0, 0, 0, 1, 0, 1, 'x', 0, 0, 0, 1, 0, 0, 0, 0, 0, 0,
                                      0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 42}));
    EXPECT_EQ(encode(r, 1), bytes_of({0, 0, 0, 1, 0, 1, 'x', 0, 0, 0, 1, 0, 0, 0, 0, 0, 0,
                                      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                      0, 0, 0, 0, 0, 0, 0, 42}));
}

TEST(messages, fetch_response_with_file_backed_records_keeps_them_external) {
    fetch_response r;
    fetch_response::fetchable_topic_response t;
    t.topic = "t";
    fetch_response::fetchable_topic_response::partition_data p;
    record_set rs;
    rs.append_file_slice({0, 0, 4096, nullptr});  // fd 0 is never read by the writer
    p.records = rs;
    t.partitions.push_back(p);
    r.responses.push_back(t);
    wire::writer w;
    r.encode(w, 11);
    auto pieces = w.pieces();
    ASSERT_EQ(pieces.size(), 2u);
    EXPECT_EQ(pieces[1].kind, wire::writer::piece::file);
    EXPECT_EQ(pieces[1].size, 4096u);
    EXPECT_EQ(w.size(), pieces[0].size + 4096u);
}

// ---- Inter-broker APIs and CreatePartitions: byte layouts written by hand from Kafka's protocol
// guide (the BNF of each version), at the lowest version we serve and at the version where the
// layout changes shape.

namespace {

// int32 / int64 big-endian, and a classic string, as byte lists for readable expectations.
std::vector<int> i32(int32_t v) {
    auto u = static_cast<uint32_t>(v);
    return {static_cast<int>(u >> 24), static_cast<int>((u >> 16) & 0xff), static_cast<int>((u >> 8) & 0xff),
            static_cast<int>(u & 0xff)};
}
std::vector<int> i64(int64_t v) {
    auto hi = i32(static_cast<int32_t>(static_cast<uint64_t>(v) >> 32));
    auto lo = i32(static_cast<int32_t>(static_cast<uint64_t>(v) & 0xffffffffu));
    hi.insert(hi.end(), lo.begin(), lo.end());
    return hi;
}
std::vector<int> str(std::string_view s) {
    std::vector<int> out = {static_cast<int>(s.size() >> 8), static_cast<int>(s.size() & 0xff)};
    for (char c : s) out.push_back(static_cast<unsigned char>(c));
    return out;
}
std::vector<uint8_t> cat(std::initializer_list<std::vector<int>> parts) {
    std::vector<uint8_t> out;
    for (const auto& p : parts) {
        for (int b : p) out.push_back(static_cast<uint8_t>(b));
    }
    return out;
}

template <class Message>
void expect_layout(const Message& m, int16_t version, const std::vector<uint8_t>& want) {
    SCOPED_TRACE(::testing::Message() << typeid(Message).name() << " v" << version);
    EXPECT_EQ(encode(m, version), want);
    auto d = decode_message<Message>(want, version);
    ASSERT_TRUE(d) << d.error().message();
    EXPECT_EQ(encode(d.value(), version), want);
}

leader_and_isr_request::leader_and_isr_partition_state lai_state() {
    leader_and_isr_request::leader_and_isr_partition_state p;
    p.topic_name = "t";
    p.partition_index = 5;
    p.controller_epoch = 2;
    p.leader = 1;
    p.leader_epoch = 3;
    p.isr = {1, 2};
    p.zk_version = 4;
    p.replicas = {1, 2};
    p.adding_replicas = {7};
    p.removing_replicas = {8};
    p.is_new = true;
    return p;
}

}  // namespace

TEST(messages, common_structs_are_one_type_shared_by_every_field_that_names_them) {
    using lai = leader_and_isr_request;
    static_assert(std::is_same_v<decltype(lai::ungrouped_partition_states)::value_type,
                                 lai::leader_and_isr_partition_state>);
    static_assert(std::is_same_v<decltype(lai::leader_and_isr_topic_state::partition_states)::value_type,
                                 lai::leader_and_isr_partition_state>);
    using um = update_metadata_request;
    static_assert(std::is_same_v<decltype(um::ungrouped_partition_states)::value_type,
                                 um::update_metadata_partition_state>);
    static_assert(std::is_same_v<decltype(um::update_metadata_topic_state::partition_states)::value_type,
                                 um::update_metadata_partition_state>);
}

TEST(messages, leader_and_isr_v0_request_known_bytes) {
    leader_and_isr_request r;
    r.controller_id = 1;
    r.controller_epoch = 2;
    r.broker_epoch = 99;                    // v2+: not written
    r.ungrouped_partition_states = {lai_state()};  // is_new (v1+), adding/removing (v3+) not written
    r.topic_states.push_back({"x", {lai_state()}, {}});  // v2+: not written
    r.live_leaders.push_back({1, "h", 9092, {}});
    auto want = cat({i32(1), i32(2),
                     i32(1),                                   // [ungrouped_partition_states]
                     str("t"), i32(5), i32(2), i32(1), i32(3),  // topic partition ctrl_epoch leader leader_epoch
                     i32(2), i32(1), i32(2),                   // isr [1, 2]
                     i32(4),                                   // zk_version
                     i32(2), i32(1), i32(2),                   // replicas [1, 2]
                     i32(1), i32(1), str("h"), i32(9092)});    // [live_leaders]
    EXPECT_EQ(encode(r, 0), want);
    auto d = decode_message<leader_and_isr_request>(want, 0);
    ASSERT_TRUE(d);
    ASSERT_EQ(d.value().ungrouped_partition_states.size(), 1u);
    const auto& p = d.value().ungrouped_partition_states[0];
    EXPECT_EQ(p.topic_name, "t");
    EXPECT_EQ(p.isr, (std::vector<int32_t>{1, 2}));
    EXPECT_FALSE(p.is_new);
    EXPECT_EQ(d.value().broker_epoch, -1);
    EXPECT_TRUE(d.value().topic_states.empty());
    EXPECT_EQ(d.value().live_leaders[0].port, 9092);
}

TEST(messages, leader_and_isr_v1_adds_is_new_v3_groups_by_topic_with_reassignment_lists) {
    leader_and_isr_request r;
    r.controller_id = 1;
    r.controller_epoch = 2;
    r.ungrouped_partition_states = {lai_state()};
    expect_layout(r, 1,
                  cat({i32(1), i32(2), i32(1), str("t"), i32(5), i32(2), i32(1), i32(3), i32(2), i32(1), i32(2),
                       i32(4), i32(2), i32(1), i32(2), {1},  // is_new
                       i32(0)}));                            // [live_leaders] empty

    leader_and_isr_request g;
    g.controller_id = 1;
    g.controller_epoch = 2;
    g.broker_epoch = 0x100000002;
    g.topic_states.push_back({"t", {lai_state()}, {}});  // the state's own topic_name is v0-1 only
    expect_layout(g, 3,
                  cat({i32(1), i32(2), i64(0x100000002),
                       i32(1), str("t"),                               // [topic_states] topic_name
                       i32(1), i32(5), i32(2), i32(1), i32(3),         //   [partition_states] (no topic)
                       i32(2), i32(1), i32(2), i32(4), i32(2), i32(1), i32(2),
                       i32(1), i32(7), i32(1), i32(8),                 //   adding [7], removing [8]
                       {1},                                            //   is_new
                       i32(0)}));
}

TEST(messages, leader_and_isr_v0_response_known_bytes) {
    leader_and_isr_response r;
    r.partition_errors.push_back({"t", 5, 6, {}});
    expect_layout(r, 0, cat({{0, 0}, i32(1), str("t"), i32(5), {0, 6}}));
}

TEST(messages, update_metadata_v0_request_known_bytes) {
    update_metadata_request r;
    r.controller_id = 1;
    r.controller_epoch = 2;
    update_metadata_request::update_metadata_partition_state p;
    p.topic_name = "t";
    p.partition_index = 0;
    p.controller_epoch = 2;
    p.leader = 1;
    p.leader_epoch = 3;
    p.isr = {1};
    p.zk_version = 4;
    p.replicas = {1};
    p.offline_replicas = {9};  // v4+
    r.ungrouped_partition_states = {p};
    update_metadata_request::update_metadata_broker b;
    b.id = 1;
    b.v0_host = "h";
    b.v0_port = 9092;
    b.endpoints.push_back({9093, "e", "PLAINTEXT", 0, {}});  // v1+
    b.rack = "r";                                          // v2+
    r.live_brokers = {b};
    expect_layout(r, 0,
                  cat({i32(1), i32(2),
                       i32(1), str("t"), i32(0), i32(2), i32(1), i32(3), i32(1), i32(1), i32(4), i32(1), i32(1),
                       i32(1), i32(1), str("h"), i32(9092)}));  // [live_brokers] id v0_host v0_port

    // v1: endpoints replace host/port; v2: + rack; v3: endpoints gain the listener name.
    r.ungrouped_partition_states.clear();
    expect_layout(r, 1, cat({i32(1), i32(2), i32(0), i32(1), i32(1), i32(1), i32(9093), str("e"), {0, 0}}));
    expect_layout(r, 2, cat({i32(1), i32(2), i32(0), i32(1), i32(1), i32(1), i32(9093), str("e"), {0, 0},
                             str("r")}));
    expect_layout(r, 3, cat({i32(1), i32(2), i32(0), i32(1), i32(1), i32(1), i32(9093), str("e"),
                             str("PLAINTEXT"), {0, 0}, str("r")}));
}

TEST(messages, update_metadata_v5_groups_by_topic_and_carries_offline_replicas) {
    update_metadata_request r;
    r.controller_id = 1;
    r.controller_epoch = 2;
    r.broker_epoch = 7;
    update_metadata_request::update_metadata_partition_state p;
    p.topic_name = "ignored";  // v0-4 only
    p.partition_index = 0;
    p.controller_epoch = 2;
    p.leader = -1;
    p.leader_epoch = 3;
    p.isr = {};
    p.zk_version = 4;
    p.replicas = {1};
    p.offline_replicas = {1};
    r.topic_states.push_back({"t", {p}, {}});
    update_metadata_request::update_metadata_broker b;
    b.id = 2;
    b.endpoints.push_back({9092, "h", "PLAINTEXT", 0, {}});
    b.rack = std::nullopt;
    r.live_brokers = {b};
    expect_layout(r, 5,
                  cat({i32(1), i32(2), i64(7),
                       i32(1), str("t"), i32(1),                          // [topic_states] name [partition_states]
                       i32(0), i32(2), i32(-1), i32(3), i32(0), i32(4), i32(1), i32(1), i32(1), i32(1),
                       i32(1), i32(2), i32(1), i32(9092), str("h"), str("PLAINTEXT"), {0, 0},
                       {0xff, 0xff}}));                                   // rack null
}

TEST(messages, update_metadata_v0_response_known_bytes) {
    update_metadata_response r;
    r.error_code = 11;  // STALE_CONTROLLER_EPOCH
    expect_layout(r, 0, cat({{0, 11}}));
}

TEST(messages, stop_replica_v0_and_v1_known_bytes) {
    stop_replica_request r;
    r.controller_id = 1;
    r.controller_epoch = 2;
    r.broker_epoch = 3;  // v1+
    r.delete_partitions = true;
    r.ungrouped_partitions.push_back({"t", 4, {}});      // v0 only
    r.topics.push_back({"u", {0, 1}, {}});               // v1+
    expect_layout(r, 0, cat({i32(1), i32(2), {1}, i32(1), str("t"), i32(4)}));
    expect_layout(r, 1, cat({i32(1), i32(2), i64(3), {1}, i32(1), str("u"), i32(2), i32(0), i32(1)}));

    stop_replica_response resp;
    resp.partition_errors.push_back({"t", 4, 0, {}});
    expect_layout(resp, 0, cat({{0, 0}, i32(1), str("t"), i32(4), {0, 0}}));
}

TEST(messages, controlled_shutdown_v1_and_v2_known_bytes) {
    controlled_shutdown_request r;
    r.broker_id = 3;
    r.broker_epoch = 0x1234;  // v2+
    expect_layout(r, 1, cat({i32(3)}));
    expect_layout(r, 2, cat({i32(3), i64(0x1234)}));
    // Kafka's v0 (header without client id) is not ours to decode.
    EXPECT_FALSE(decode_message<controlled_shutdown_request>(cat({i32(3)}), 0));

    controlled_shutdown_response resp;
    resp.remaining_partitions.push_back({"t", 1, {}});
    expect_layout(resp, 1, cat({{0, 0}, i32(1), str("t"), i32(1)}));
}

TEST(messages, create_partitions_v0_known_bytes) {
    create_partitions_request r;
    create_partitions_request::create_partitions_topic t;
    t.name = "t";
    t.count = 4;  // assignments null: the controller places them
    r.topics.push_back(t);
    t.name = "u";
    t.count = 3;
    t.assignments = std::vector<create_partitions_request::create_partitions_topic::create_partitions_assignment>{
        {{1, 2}, {}}};
    r.topics.push_back(t);
    r.timeout_ms = 5000;
    r.validate_only = true;
    expect_layout(r, 0,
                  cat({i32(2), str("t"), i32(4), i32(-1),                      // null assignments
                       str("u"), i32(3), i32(1), i32(2), i32(1), i32(2),       // [[1, 2]]
                       i32(5000), {1}}));
    auto d = decode_message<create_partitions_request>(encode(r, 0), 0);
    ASSERT_TRUE(d);
    EXPECT_EQ(d.value().topics[0].assignments, std::nullopt);
    ASSERT_TRUE(d.value().topics[1].assignments.has_value());
    EXPECT_EQ((*d.value().topics[1].assignments)[0].broker_ids, (std::vector<int32_t>{1, 2}));

    create_partitions_response resp;
    resp.throttle_time_ms = 0;
    resp.results.push_back({"t", 37, std::string("bad"), {}});  // INVALID_PARTITIONS
    resp.results.push_back({"u", 0, std::nullopt, {}});
    expect_layout(resp, 0, cat({i32(0), i32(2), str("t"), {0, 37}, str("bad"), str("u"), {0, 0}, {0xff, 0xff}}));
}

// ---- OffsetForLeaderEpoch (key 23): literal bytes written from Kafka's layout
// (OffsetForLeaderEpochRequest.json / Response.json; all fields big-endian, strings int16-length).

namespace {

offset_for_leader_epoch_request ofle_request() {
    offset_for_leader_epoch_request r;
    r.replica_id = 2;  // v3+: a follower on broker 2
    offset_for_leader_epoch_request::offset_for_leader_topic t;
    t.topic = "ab";
    offset_for_leader_epoch_request::offset_for_leader_topic::offset_for_leader_partition p;
    p.partition = 1;
    p.current_leader_epoch = 7;  // v2+
    p.leader_epoch = 5;
    t.partitions.push_back(p);
    p.partition = 0x0102;
    p.current_leader_epoch = -1;
    p.leader_epoch = 0x7f;
    t.partitions.push_back(p);
    r.topics.push_back(t);
    return r;
}

}  // namespace

TEST(messages, offset_for_leader_epoch_request_v0_v1_known_bytes) {
    auto want = bytes_of({0, 0, 0, 1,                    // topics: 1
                          0, 2, 'a', 'b',                //   topic "ab"
                          0, 0, 0, 2,                    //   partitions: 2
                          0, 0, 0, 1, 0, 0, 0, 5,        //     partition 1, leader_epoch 5
                          0, 0, 1, 2, 0, 0, 0, 0x7f});   //     partition 258, leader_epoch 127
    // replica_id (v3+) and current_leader_epoch (v2+) are not on the wire; v1 is v0.
    expect_layout(ofle_request(), 0, want);
    expect_layout(ofle_request(), 1, want);
    auto d = decode_message<offset_for_leader_epoch_request>(want, 0);
    ASSERT_TRUE(d);
    EXPECT_EQ(d.value().replica_id, -2);  // absent below v3: Kafka's DEBUGGING_REPLICA_ID
    ASSERT_EQ(d.value().topics.size(), 1u);
    ASSERT_EQ(d.value().topics[0].partitions.size(), 2u);
    EXPECT_EQ(d.value().topics[0].partitions[0].current_leader_epoch, -1);  // absent below v2
    EXPECT_EQ(d.value().topics[0].partitions[1].partition, 258);
    EXPECT_EQ(d.value().topics[0].partitions[1].leader_epoch, 127);
}

TEST(messages, offset_for_leader_epoch_request_v2_and_v3_known_bytes) {
    auto topics = bytes_of({0, 0, 0, 1, 0, 2, 'a', 'b', 0, 0, 0, 2,
                            0, 0, 0, 1, 0, 0, 0, 7, 0, 0, 0, 5,                  // partition 1, current 7, epoch 5
                            0, 0, 1, 2, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0x7f});  // partition 258, current -1, epoch 127
    expect_layout(ofle_request(), 2, topics);
    std::vector<uint8_t> v3 = {0, 0, 0, 2};  // replica_id 2 comes first
    v3.insert(v3.end(), topics.begin(), topics.end());
    expect_layout(ofle_request(), 3, v3);

    // A consumer (Kafka's forConsumer) sends replica_id -1 at v3.
    offset_for_leader_epoch_request consumer;
    consumer.replica_id = -1;
    EXPECT_EQ(encode(consumer, 3), bytes_of({0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}));
    auto d = decode_message<offset_for_leader_epoch_request>(v3, 3);
    ASSERT_TRUE(d);
    EXPECT_EQ(d.value().replica_id, 2);
    EXPECT_EQ(d.value().topics[0].partitions[0].current_leader_epoch, 7);
    // Flexible v4 is not ours: rejected, not misread as v3.
    EXPECT_FALSE(decode_message<offset_for_leader_epoch_request>(v3, 4));
}

TEST(messages, offset_for_leader_epoch_response_known_bytes) {
    offset_for_leader_epoch_response r;
    r.throttle_time_ms = 0x0a0b;  // v2+
    offset_for_leader_epoch_response::offset_for_leader_topic_result t;
    t.topic = "ab";
    offset_for_leader_epoch_response::offset_for_leader_topic_result::offset_for_leader_partition_result p;
    p.error_code = 0;
    p.partition = 1;
    p.leader_epoch = 4;  // v1+
    p.end_offset = 0x0102030405LL;
    t.partitions.push_back(p);
    p.error_code = 74;  // FENCED_LEADER_EPOCH: leader_epoch and end_offset stay undefined
    p.partition = 2;
    p.leader_epoch = -1;
    p.end_offset = -1;
    t.partitions.push_back(p);
    r.topics.push_back(t);

    expect_layout(r, 2, bytes_of({0, 0, 0x0a, 0x0b,                      // throttle_time_ms
                                  0, 0, 0, 1, 0, 2, 'a', 'b',             // [topic "ab"
                                  0, 0, 0, 2,                             //  partitions: 2
                                  0, 0, 0, 0, 0, 1, 0, 0, 0, 4,           //  error 0, partition 1, epoch 4
                                  0, 0, 0, 1, 2, 3, 4, 5,                 //  end_offset 0x0102030405
                                  0, 74, 0, 0, 0, 2,                      //  error 74, partition 2
                                  0xff, 0xff, 0xff, 0xff,                 //  epoch -1
                                  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}));  // end_offset -1
    // v3 is v2.
    EXPECT_EQ(encode(r, 3), encode(r, 2));
    // v1: no throttle time; v0: no leader epoch either.
    expect_layout(r, 1, bytes_of({0, 0, 0, 1, 0, 2, 'a', 'b', 0, 0, 0, 2,
                                  0, 0, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 1, 2, 3, 4, 5,
                                  0, 74, 0, 0, 0, 2, 0xff, 0xff, 0xff, 0xff,
                                  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}));
    auto v0 = bytes_of({0, 0, 0, 1, 0, 2, 'a', 'b', 0, 0, 0, 2,
                        0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 2, 3, 4, 5,
                        0, 74, 0, 0, 0, 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff});
    expect_layout(r, 0, v0);
    auto d = decode_message<offset_for_leader_epoch_response>(v0, 0);
    ASSERT_TRUE(d);
    EXPECT_EQ(d.value().throttle_time_ms, 0);
    EXPECT_EQ(d.value().topics[0].partitions[0].leader_epoch, -1);  // absent at v0: UNDEFINED_EPOCH
    EXPECT_EQ(d.value().topics[0].partitions[0].end_offset, 0x0102030405LL);
}

TEST(messages, offset_for_leader_epoch_defaults) {
    EXPECT_EQ(offset_for_leader_epoch_request{}.replica_id, -2);
    EXPECT_EQ(offset_for_leader_epoch_request::offset_for_leader_topic::offset_for_leader_partition{}
                  .current_leader_epoch,
              -1);
    offset_for_leader_epoch_response::offset_for_leader_topic_result::offset_for_leader_partition_result p;
    EXPECT_EQ(p.leader_epoch, -1);  // UNDEFINED_EPOCH
    EXPECT_EQ(p.end_offset, -1);    // UNDEFINED_EPOCH_OFFSET
}

// ---- InitProducerId (key 22): literal bytes from Kafka's layout (InitProducerIdRequest.json /
// Response.json, non-flexible v0-1: int16-length strings, -1 length for null).

TEST(messages, init_producer_id_request_v0_v1_known_bytes) {
    // Idempotent producer (librdkafka, KafkaJS): null transactional id.
    init_producer_id_request idem;
    idem.transaction_timeout_ms = 60000;  // 0x0000ea60
    auto want = bytes_of({0xff, 0xff,               // transactional_id: null (length -1)
                          0x00, 0x00, 0xea, 0x60}); // transaction_timeout_ms 60000
    expect_layout(idem, 0, want);
    expect_layout(idem, 1, want);  // v1 is v0
    auto d = decode_message<init_producer_id_request>(want, 1);
    ASSERT_TRUE(d);
    EXPECT_EQ(d.value().transactional_id, std::nullopt);
    EXPECT_EQ(d.value().transaction_timeout_ms, 60000);

    // Transactional producer: the id as an int16-length string.
    init_producer_id_request txn;
    txn.transactional_id = "tx-1";
    txn.transaction_timeout_ms = 0x01020304;
    auto t = bytes_of({0x00, 0x04, 't', 'x', '-', '1', 0x01, 0x02, 0x03, 0x04});
    expect_layout(txn, 0, t);
    expect_layout(txn, 1, t);
    auto dt = decode_message<init_producer_id_request>(t, 0);
    ASSERT_TRUE(dt);
    EXPECT_EQ(dt.value().transactional_id, std::optional<std::string>("tx-1"));

    // An empty id is not null: length 0.
    init_producer_id_request empty;
    empty.transactional_id = "";
    EXPECT_EQ(encode(empty, 0), bytes_of({0, 0, 0, 0, 0, 0}));

    // Flexible v2 (compact strings, tagged fields) is not ours: rejected, not misread as v1.
    EXPECT_FALSE(decode_message<init_producer_id_request>(want, 2));
}

TEST(messages, init_producer_id_response_v0_v1_known_bytes) {
    init_producer_id_response r;
    r.throttle_time_ms = 0x0a0b;
    r.error_code = 0;
    r.producer_id = 0x0102030405LL;
    r.producer_epoch = 0;
    auto ok = bytes_of({0, 0, 0x0a, 0x0b,                  // throttle_time_ms
                        0, 0,                              // error_code NONE
                        0, 0, 0, 0x01, 0x02, 0x03, 0x04, 0x05,  // producer_id
                        0, 0});                            // producer_epoch 0
    expect_layout(r, 0, ok);
    expect_layout(r, 1, ok);

    // An error leaves id and epoch at their defaults (-1): COORDINATOR_NOT_AVAILABLE (15).
    init_producer_id_response err;
    err.error_code = 15;
    auto e = bytes_of({0, 0, 0, 0, 0, 15,
                       0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                       0xff, 0xff});
    expect_layout(err, 1, e);
    auto d = decode_message<init_producer_id_response>(ok, 0);
    ASSERT_TRUE(d);
    EXPECT_EQ(d.value().producer_id, 0x0102030405LL);
    EXPECT_EQ(d.value().producer_epoch, 0);
    EXPECT_EQ(d.value().throttle_time_ms, 0x0a0b);
    EXPECT_FALSE(decode_message<init_producer_id_response>(ok, 2));
}

TEST(messages, init_producer_id_defaults) {
    init_producer_id_request req;
    EXPECT_EQ(req.transactional_id, std::nullopt);  // default: an idempotent producer
    EXPECT_EQ(req.transaction_timeout_ms, 0);
    init_producer_id_response resp;
    EXPECT_EQ(resp.producer_id, -1);
    EXPECT_EQ(resp.producer_epoch, -1);
    EXPECT_EQ(resp.error_code, 0);
}

// ---- Consumer-group APIs (keys 8-16, 42, 47): literal bytes written from Kafka 2.8's layouts
// (non-flexible: int16-length strings with -1 for null, int32-length bytes, int32 array counts).

TEST(messages, find_coordinator_v0_request_and_v1_response_known_bytes) {
    find_coordinator_request req;
    req.key = "grp";
    req.key_type = 1;  // v1+: absent (dropped) at v0
    expect_layout(req, 0, bytes_of({0, 3, 'g', 'r', 'p'}));
    expect_layout(req, 1, bytes_of({0, 3, 'g', 'r', 'p', 1}));
    auto d = decode_message<find_coordinator_request>(bytes_of({0, 3, 'g', 'r', 'p'}), 0);
    ASSERT_TRUE(d);
    EXPECT_EQ(d.value().key, "grp");
    EXPECT_EQ(d.value().key_type, 0);  // v0 only knows group coordinators

    find_coordinator_response resp;
    resp.error_message = std::nullopt;  // the default is "" (Kafka's schema sets none)
    resp.node_id = 2;
    resp.host = "b1";
    resp.port = 9092;  // 0x2384
    expect_layout(resp, 1, bytes_of({0, 0, 0, 0,                // throttle_time_ms
                                     0, 0,                      // error_code
                                     0xff, 0xff,                // error_message null
                                     0, 0, 0, 2,                // node_id
                                     0, 2, 'b', '1',            // host
                                     0, 0, 0x23, 0x84}));       // port
    EXPECT_EQ(encode(resp, 2), encode(resp, 1));
    expect_layout(resp, 0, bytes_of({0, 0, 0, 0, 0, 2, 0, 2, 'b', '1', 0, 0, 0x23, 0x84}));
    find_coordinator_response err;
    err.error_code = 15;  // COORDINATOR_NOT_AVAILABLE
    err.error_message = "x";
    err.node_id = -1;
    err.port = -1;
    expect_layout(err, 1, bytes_of({0, 0, 0, 0, 0, 15, 0, 1, 'x', 0xff, 0xff, 0xff, 0xff, 0, 0,
                                    0xff, 0xff, 0xff, 0xff}));
}

namespace {
join_group_request join_request() {
    join_group_request j;
    j.group_id = "g";
    j.session_timeout_ms = 10000;      // 0x2710
    j.rebalance_timeout_ms = 300000;   // 0x000493e0, v1+
    j.member_id = "";
    j.protocol_type = "consumer";
    j.protocols.push_back({"range", bytes_of({1, 2}), {}});
    return j;
}
}  // namespace

TEST(messages, join_group_v0_and_v5_requests_known_bytes) {
    auto j = join_request();
    auto protocols = bytes_of({0, 8, 'c', 'o', 'n', 's', 'u', 'm', 'e', 'r',  // protocol_type
                               0, 0, 0, 1,                                    // protocols: 1
                               0, 5, 'r', 'a', 'n', 'g', 'e',                 //  name
                               0, 0, 0, 2, 1, 2});                            //  metadata
    // v0: no rebalance timeout (the coordinator uses the session timeout instead).
    std::vector<uint8_t> v0 = bytes_of({0, 1, 'g', 0, 0, 0x27, 0x10, 0, 0});
    v0.insert(v0.end(), protocols.begin(), protocols.end());
    expect_layout(j, 0, v0);
    auto d0 = decode_message<join_group_request>(v0, 0);
    ASSERT_TRUE(d0);
    EXPECT_EQ(d0.value().rebalance_timeout_ms, -1);  // absent
    ASSERT_EQ(d0.value().protocols.size(), 1u);
    EXPECT_EQ(d0.value().protocols[0].metadata, bytes_of({1, 2}));

    // v1-v4: rebalance timeout after the session timeout.
    std::vector<uint8_t> v1 = bytes_of({0, 1, 'g', 0, 0, 0x27, 0x10, 0, 0x04, 0x93, 0xe0, 0, 0});
    v1.insert(v1.end(), protocols.begin(), protocols.end());
    for (int16_t v = 1; v <= 4; ++v) expect_layout(j, v, v1);

    // v5: a null group instance id (what KafkaJS and librdkafka send without static membership)
    // between the member id and the protocol type.
    std::vector<uint8_t> v5 = bytes_of({0, 1, 'g', 0, 0, 0x27, 0x10, 0, 0x04, 0x93, 0xe0, 0, 0,
                                        0xff, 0xff});
    v5.insert(v5.end(), protocols.begin(), protocols.end());
    expect_layout(j, 5, v5);
    auto d5 = decode_message<join_group_request>(v5, 5);
    ASSERT_TRUE(d5);
    EXPECT_EQ(d5.value().group_instance_id, std::nullopt);
    EXPECT_EQ(d5.value().rebalance_timeout_ms, 300000);
    EXPECT_FALSE(decode_message<join_group_request>(v5, 6));  // flexible: not ours
}

TEST(messages, join_group_v2_response_with_members_known_bytes) {
    join_group_response r;
    r.generation_id = 3;
    r.protocol_name = "range";
    r.leader = "m1";
    r.member_id = "m1";
    r.members.push_back({"m1", std::nullopt, bytes_of({0xaa}), {}});
    r.members.push_back({"m2", std::string("i2"), {}, {}});  // instance id: v5+ only
    expect_layout(r, 2, bytes_of({0, 0, 0, 0,                        // throttle_time_ms
                                  0, 0,                              // error_code
                                  0, 0, 0, 3,                        // generation_id
                                  0, 5, 'r', 'a', 'n', 'g', 'e',     // protocol_name
                                  0, 2, 'm', '1',                    // leader
                                  0, 2, 'm', '1',                    // member_id
                                  0, 0, 0, 2,                        // members: 2
                                  0, 2, 'm', '1', 0, 0, 0, 1, 0xaa,  //  m1, metadata [aa]
                                  0, 2, 'm', '2', 0, 0, 0, 0}));     //  m2, metadata []
    // v5 adds each member's (nullable) group instance id between member id and metadata.
    EXPECT_EQ(encode(r, 5), bytes_of({0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 5, 'r', 'a', 'n', 'g', 'e',
                                      0, 2, 'm', '1', 0, 2, 'm', '1', 0, 0, 0, 2,
                                      0, 2, 'm', '1', 0xff, 0xff, 0, 0, 0, 1, 0xaa,
                                      0, 2, 'm', '2', 0, 2, 'i', '2', 0, 0, 0, 0}));
    // v0-v1: no throttle time.
    auto v0 = encode(r, 0);
    EXPECT_EQ(std::vector<uint8_t>(v0.begin(), v0.begin() + 6), bytes_of({0, 0, 0, 0, 0, 3}));
    EXPECT_EQ(v0.size(), encode(r, 2).size() - 4);
}

TEST(messages, sync_group_v1_request_with_assignments_known_bytes) {
    sync_group_request s;
    s.group_id = "g";
    s.generation_id = 3;
    s.member_id = "m1";
    s.group_instance_id = "i1";  // v3+: dropped at v1
    s.assignments.push_back({"m1", bytes_of({1, 2, 3}), {}});
    s.assignments.push_back({"m2", {}, {}});
    expect_layout(s, 1, bytes_of({0, 1, 'g',                          // group_id
                                  0, 0, 0, 3,                         // generation_id
                                  0, 2, 'm', '1',                     // member_id
                                  0, 0, 0, 2,                         // assignments: 2
                                  0, 2, 'm', '1', 0, 0, 0, 3, 1, 2, 3,
                                  0, 2, 'm', '2', 0, 0, 0, 0}));
    EXPECT_EQ(encode(s, 0), encode(s, 1));
    // v3: the instance id follows the member id.
    expect_layout(s, 3, bytes_of({0, 1, 'g', 0, 0, 0, 3, 0, 2, 'm', '1', 0, 2, 'i', '1',
                                  0, 0, 0, 2, 0, 2, 'm', '1', 0, 0, 0, 3, 1, 2, 3,
                                  0, 2, 'm', '2', 0, 0, 0, 0}));
    sync_group_response r;
    r.throttle_time_ms = 1;
    r.error_code = 27;  // REBALANCE_IN_PROGRESS
    expect_layout(r, 1, bytes_of({0, 0, 0, 1, 0, 27, 0, 0, 0, 0}));
    expect_layout(r, 0, bytes_of({0, 27, 0, 0, 0, 0}));
}

TEST(messages, offset_commit_v1_v2_v7_requests_known_bytes) {
    offset_commit_request c;
    c.group_id = "g";
    c.generation_id = 3;
    c.member_id = "m1";
    c.retention_time_ms = -1;
    offset_commit_request::offset_commit_request_topic t;
    t.name = "t";
    offset_commit_request::offset_commit_request_topic::offset_commit_request_partition p;
    p.partition_index = 0;
    p.committed_offset = 42;
    p.committed_leader_epoch = 5;  // v6+
    p.commit_timestamp = 0x0102;   // v1 only
    p.committed_metadata = "";
    t.partitions.push_back(p);
    c.topics.push_back(t);

    // v2 (kafka-python): retention time after the member id, no per-partition timestamp.
    auto v2 = bytes_of({0, 1, 'g',                                      // group_id
                        0, 0, 0, 3,                                     // generation_id
                        0, 2, 'm', '1',                                 // member_id
                        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // retention_time_ms -1
                        0, 0, 0, 1, 0, 1, 't',                          // [topic "t"
                        0, 0, 0, 1, 0, 0, 0, 0,                         //  [partition 0
                        0, 0, 0, 0, 0, 0, 0, 42,                        //   offset 42
                        0, 0});                                         //   metadata ""
    expect_layout(c, 2, v2);
    EXPECT_EQ(encode(c, 3), v2);
    EXPECT_EQ(encode(c, 4), v2);
    // v1: no retention time, a commit timestamp per partition before the metadata.
    expect_layout(c, 1, bytes_of({0, 1, 'g', 0, 0, 0, 3, 0, 2, 'm', '1',
                                  0, 0, 0, 1, 0, 1, 't', 0, 0, 0, 1, 0, 0, 0, 0,
                                  0, 0, 0, 0, 0, 0, 0, 42,
                                  0, 0, 0, 0, 0, 0, 0x01, 0x02,   // commit_timestamp
                                  0, 0}));
    // v0: group id and topics only.
    expect_layout(c, 0, bytes_of({0, 1, 'g', 0, 0, 0, 1, 0, 1, 't', 0, 0, 0, 1, 0, 0, 0, 0,
                                  0, 0, 0, 0, 0, 0, 0, 42, 0, 0}));

    // v7 (librdkafka): null instance id after the member id, no retention, leader epoch after the
    // offset, null metadata.
    c.topics[0].partitions[0].committed_metadata = std::nullopt;
    expect_layout(c, 7, bytes_of({0, 1, 'g', 0, 0, 0, 3, 0, 2, 'm', '1',
                                  0xff, 0xff,                     // group_instance_id null
                                  0, 0, 0, 1, 0, 1, 't', 0, 0, 0, 1, 0, 0, 0, 0,
                                  0, 0, 0, 0, 0, 0, 0, 42,
                                  0, 0, 0, 5,                     // committed_leader_epoch
                                  0xff, 0xff}));                  // metadata null
    auto d = decode_message<offset_commit_request>(encode(c, 7), 7);
    ASSERT_TRUE(d);
    EXPECT_EQ(d.value().retention_time_ms, -1);  // absent at v7
    EXPECT_EQ(d.value().topics[0].partitions[0].commit_timestamp, -1);
    EXPECT_EQ(d.value().topics[0].partitions[0].committed_metadata, std::nullopt);

    offset_commit_response r;
    r.throttle_time_ms = 2;
    r.topics.push_back({"t", {{0, 22, {}}}, {}});  // ILLEGAL_GENERATION
    expect_layout(r, 3, bytes_of({0, 0, 0, 2, 0, 0, 0, 1, 0, 1, 't', 0, 0, 0, 1, 0, 0, 0, 0, 0, 22}));
    expect_layout(r, 2, bytes_of({0, 0, 0, 1, 0, 1, 't', 0, 0, 0, 1, 0, 0, 0, 0, 0, 22}));
}

TEST(messages, offset_fetch_v1_request_and_v5_response_known_bytes) {
    offset_fetch_request f;
    f.group_id = "g";
    f.topics = std::vector<offset_fetch_request::offset_fetch_request_topic>{{"t", {0, 1}, {}}};
    auto v1 = bytes_of({0, 1, 'g', 0, 0, 0, 1, 0, 1, 't', 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1});
    expect_layout(f, 1, v1);
    for (int16_t v = 0; v <= 5; ++v) EXPECT_EQ(encode(f, v), v1);
    // v2+: null topics = every partition the group committed; not valid before v2.
    offset_fetch_request all;
    all.group_id = "g";
    all.topics = std::nullopt;
    auto null_topics = bytes_of({0, 1, 'g', 0xff, 0xff, 0xff, 0xff});
    expect_layout(all, 2, null_topics);
    EXPECT_FALSE(decode_message<offset_fetch_request>(null_topics, 1));
    auto dn = decode_message<offset_fetch_request>(null_topics, 5);
    ASSERT_TRUE(dn);
    EXPECT_EQ(dn.value().topics, std::nullopt);

    offset_fetch_response r;
    offset_fetch_response::offset_fetch_response_topic t;
    t.name = "t";
    t.partitions.push_back({0, 42, 5, std::string(""), 0, {}});
    t.partitions.push_back({1, -1, -1, std::string(""), 0, {}});  // nothing committed
    r.topics.push_back(t);
    auto partitions_v5 = bytes_of({0, 0, 0, 1, 0, 1, 't', 0, 0, 0, 2,
                                   0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 42,  // partition 0, offset 42
                                   0, 0, 0, 5, 0, 0, 0, 0,               // epoch 5, metadata "", error 0
                                   0, 0, 0, 1,                           // partition 1
                                   0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                   0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0});
    std::vector<uint8_t> v5 = bytes_of({0, 0, 0, 0});  // throttle_time_ms
    v5.insert(v5.end(), partitions_v5.begin(), partitions_v5.end());
    v5.push_back(0);  // top-level error_code, after the topics
    v5.push_back(0);
    expect_layout(r, 5, v5);

    // Group-level error (v2+): COORDINATOR_LOAD_IN_PROGRESS, no topics.
    offset_fetch_response err;
    err.error_code = 14;
    expect_layout(err, 5, bytes_of({0, 0, 0, 0, 0, 0, 0, 0, 0, 14}));
    expect_layout(err, 2, bytes_of({0, 0, 0, 0, 0, 14}));        // no throttle before v3
    expect_layout(err, 1, bytes_of({0, 0, 0, 0}));               // no top-level error before v2
    auto d = decode_message<offset_fetch_response>(v5, 5);
    ASSERT_TRUE(d);
    EXPECT_EQ(d.value().topics[0].partitions[0].committed_leader_epoch, 5);
    EXPECT_EQ(d.value().topics[0].partitions[1].committed_offset, -1);
    // v4: no leader epoch.
    EXPECT_EQ(encode(r, 4).size(), v5.size() - 8);
}

TEST(messages, leave_group_v3_request_with_members_known_bytes) {
    leave_group_request l;
    l.group_id = "g";
    l.member_id = "m0";  // v0-v2 only
    l.members.push_back({"m1", std::nullopt, {}});
    l.members.push_back({"m2", std::string("i2"), {}});
    expect_layout(l, 3, bytes_of({0, 1, 'g', 0, 0, 0, 2,
                                  0, 2, 'm', '1', 0xff, 0xff,
                                  0, 2, 'm', '2', 0, 2, 'i', '2'}));
    expect_layout(l, 1, bytes_of({0, 1, 'g', 0, 2, 'm', '0'}));

    leave_group_response r;
    r.members.push_back({"m1", std::nullopt, 25, {}});  // UNKNOWN_MEMBER_ID
    expect_layout(r, 3, bytes_of({0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2, 'm', '1', 0xff, 0xff, 0, 25}));
    expect_layout(r, 1, bytes_of({0, 0, 0, 0, 0, 0}));
    expect_layout(r, 0, bytes_of({0, 0}));
}

TEST(messages, heartbeat_known_bytes) {
    heartbeat_request h;
    h.group_id = "g";
    h.generation_id = 1;
    h.member_id = "m";
    expect_layout(h, 1, bytes_of({0, 1, 'g', 0, 0, 0, 1, 0, 1, 'm'}));
    expect_layout(h, 3, bytes_of({0, 1, 'g', 0, 0, 0, 1, 0, 1, 'm', 0xff, 0xff}));
    heartbeat_response r;
    r.error_code = 27;
    expect_layout(r, 0, bytes_of({0, 27}));
    expect_layout(r, 3, bytes_of({0, 0, 0, 0, 0, 27}));
}

TEST(messages, describe_groups_v0_response_known_bytes) {
    describe_groups_response r;
    r.throttle_time_ms = 9;  // v1+: dropped
    describe_groups_response::described_group g;
    g.group_id = "g";
    g.group_state = "Stable";
    g.protocol_type = "consumer";
    g.protocol_data = "range";
    g.members.push_back({"m1", std::nullopt, "c", "/h", bytes_of({1}), bytes_of({2, 3}), {}});
    r.groups.push_back(g);
    auto v0 = bytes_of({0, 0, 0, 1,                                      // groups: 1
                        0, 0,                                            // error_code
                        0, 1, 'g',                                       // group_id
                        0, 6, 'S', 't', 'a', 'b', 'l', 'e',              // group_state
                        0, 8, 'c', 'o', 'n', 's', 'u', 'm', 'e', 'r',    // protocol_type
                        0, 5, 'r', 'a', 'n', 'g', 'e',                   // protocol_data
                        0, 0, 0, 1,                                      // members: 1
                        0, 2, 'm', '1',                                  //  member_id
                        0, 1, 'c',                                       //  client_id
                        0, 2, '/', 'h',                                  //  client_host
                        0, 0, 0, 1, 1,                                   //  member_metadata
                        0, 0, 0, 2, 2, 3});                              //  member_assignment
    expect_layout(r, 0, v0);
    // v3: throttle first, authorized operations (default INT32_MIN) after the members.
    auto v3 = bytes_of({0, 0, 0, 9});
    v3.insert(v3.end(), v0.begin(), v0.end());
    for (int b : {0x80, 0, 0, 0}) v3.push_back(static_cast<uint8_t>(b));
    expect_layout(r, 3, v3);

    describe_groups_request q;
    q.groups = {"a", "bc"};
    q.include_authorized_operations = true;
    expect_layout(q, 0, bytes_of({0, 0, 0, 2, 0, 1, 'a', 0, 2, 'b', 'c'}));
    expect_layout(q, 3, bytes_of({0, 0, 0, 2, 0, 1, 'a', 0, 2, 'b', 'c', 1}));
}

TEST(messages, list_groups_and_delete_groups_known_bytes) {
    list_groups_response r;
    r.throttle_time_ms = 1;
    r.groups.push_back({"g", "consumer", {}});
    r.groups.push_back({"o", "", {}});  // an offsets-only group
    auto groups = bytes_of({0, 0, 0, 2,
                            0, 1, 'g', 0, 8, 'c', 'o', 'n', 's', 'u', 'm', 'e', 'r',
                            0, 1, 'o', 0, 0});
    std::vector<uint8_t> v0 = {0, 0};  // error_code
    v0.insert(v0.end(), groups.begin(), groups.end());
    expect_layout(r, 0, v0);
    std::vector<uint8_t> v1 = {0, 0, 0, 1, 0, 0};
    v1.insert(v1.end(), groups.begin(), groups.end());
    expect_layout(r, 1, v1);
    expect_layout(r, 2, v1);
    EXPECT_TRUE(encode(list_groups_request{}, 0).empty());  // empty body in v0-v2

    delete_groups_request d;
    d.groups_names = {"g"};
    expect_layout(d, 1, bytes_of({0, 0, 0, 1, 0, 1, 'g'}));
    delete_groups_response dr;
    dr.results.push_back({"g", 68, {}});  // NON_EMPTY_GROUP
    expect_layout(dr, 0, bytes_of({0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 'g', 0, 68}));
}

TEST(messages, offset_delete_v0_known_bytes) {
    offset_delete_request q;
    q.group_id = "g";
    q.topics.push_back({"t", {{3, {}}}, {}});
    expect_layout(q, 0, bytes_of({0, 1, 'g', 0, 0, 0, 1, 0, 1, 't', 0, 0, 0, 1, 0, 0, 0, 3}));
    offset_delete_response r;
    r.topics.push_back({"t", {{3, 86, {}}}, {}});  // GROUP_SUBSCRIBED_TO_TOPIC
    expect_layout(r, 0, bytes_of({0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 't', 0, 0, 0, 1,
                                  0, 0, 0, 3, 0, 86}));
    EXPECT_FALSE(decode_message<offset_delete_request>(encode(q, 0), 1));  // v0 only
    EXPECT_EQ(offset_delete_api::first_flexible, -1);
}

TEST(messages, consumer_group_defaults) {
    offset_commit_request oc;
    EXPECT_EQ(oc.generation_id, -1);        // a "simple" commit outside group management
    EXPECT_EQ(oc.retention_time_ms, -1);    // the broker's retention
    EXPECT_EQ(oc.group_instance_id, std::nullopt);
    offset_commit_request::offset_commit_request_topic::offset_commit_request_partition ocp;
    EXPECT_EQ(ocp.committed_leader_epoch, -1);
    EXPECT_EQ(ocp.commit_timestamp, -1);
    EXPECT_EQ(ocp.committed_metadata, "");  // nullable without a schema default: "" as in Kafka
    offset_fetch_request of;
    ASSERT_TRUE(of.topics.has_value());     // nullable, but default empty (not "all")
    EXPECT_TRUE(of.topics->empty());
    EXPECT_EQ(offset_fetch_response{}.error_code, 0);
    EXPECT_EQ(offset_fetch_response::offset_fetch_response_topic::offset_fetch_response_partition{}
                  .committed_leader_epoch,
              -1);
    EXPECT_EQ(find_coordinator_request{}.key_type, 0);
    EXPECT_EQ(find_coordinator_response{}.error_message, "");  // set null explicitly for "no error"
    join_group_request jg;
    EXPECT_EQ(jg.rebalance_timeout_ms, -1);
    EXPECT_EQ(jg.group_instance_id, std::nullopt);
    EXPECT_EQ(join_group_response{}.generation_id, -1);
    EXPECT_EQ(join_group_response::join_group_response_member{}.group_instance_id, std::nullopt);
    EXPECT_EQ(heartbeat_request{}.group_instance_id, std::nullopt);
    EXPECT_EQ(sync_group_request{}.group_instance_id, std::nullopt);
    EXPECT_EQ(leave_group_request::member_identity{}.group_instance_id, std::nullopt);
    EXPECT_FALSE(describe_groups_request{}.include_authorized_operations);
    EXPECT_EQ(describe_groups_response::described_group{}.authorized_operations, INT32_MIN);
    EXPECT_EQ(describe_groups_response::described_group::described_group_member{}.group_instance_id,
              std::nullopt);
}

// ---- DeleteRecords (key 21): literal bytes from Kafka's layout (DeleteRecordsRequest.json /
// Response.json): v0 and v1 are the same; v2 (flexible) is not ours.

TEST(messages, delete_records_api_constants) {
    EXPECT_EQ(delete_records_api::key, 21);
    EXPECT_EQ(delete_records_api::name, "DeleteRecords");
    EXPECT_EQ(delete_records_api::min_version, 0);
    EXPECT_EQ(delete_records_api::max_version, 1);
    EXPECT_EQ(delete_records_api::first_flexible, 2);
    EXPECT_EQ(delete_records_request::api_key, 21);
    EXPECT_EQ(delete_records_response::api_key, 21);
}

TEST(messages, delete_records_request_known_bytes) {
    delete_records_request r;
    delete_records_request::delete_records_topic t;
    t.name = "ab";
    t.partitions.push_back({1, 0x0102030405LL});
    t.partitions.push_back({0x0102, -1});  // -1: up to the high watermark
    r.topics.push_back(t);
    r.timeout_ms = 30000;
    auto want = cat({i32(1), str("ab"),                 // [topics] name "ab"
                     i32(2), i32(1), i64(0x0102030405),  //   partition 1, offset
                     i32(258), i64(-1),                  //   partition 258, offset -1
                     i32(30000)});                       // timeout_ms
    expect_layout(r, 0, want);
    expect_layout(r, 1, want);
    auto d = decode_message<delete_records_request>(want, 1);
    ASSERT_TRUE(d);
    ASSERT_EQ(d.value().topics.size(), 1u);
    EXPECT_EQ(d.value().topics[0].name, "ab");
    EXPECT_EQ(d.value().topics[0].partitions[1].partition_index, 258);
    EXPECT_EQ(d.value().topics[0].partitions[1].offset, -1);
    EXPECT_EQ(d.value().timeout_ms, 30000);
    // Flexible v2 is not ours: rejected, not misread as v1.
    EXPECT_FALSE(decode_message<delete_records_request>(want, 2));
}

TEST(messages, delete_records_response_known_bytes) {
    delete_records_response r;
    r.throttle_time_ms = 7;
    delete_records_response::delete_records_topic_result t;
    t.name = "ab";
    t.partitions.push_back({1, 42, 0});
    t.partitions.push_back({2, -1, 1});  // OFFSET_OUT_OF_RANGE
    r.topics.push_back(t);
    auto want = cat({i32(7), i32(1), str("ab"), i32(2),
                     i32(1), i64(42), {0, 0},    // partition 1, low watermark 42, no error
                     i32(2), i64(-1), {0, 1}});  // partition 2, -1, error 1
    expect_layout(r, 0, want);
    expect_layout(r, 1, want);
}
