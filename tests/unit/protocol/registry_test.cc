#include <gtest/gtest.h>

#include <set>

#include "protocol/api_registry.h"
#include "protocol/api_versions_reply.h"
#include "protocol/decode.h"
#include "protocol/errors.h"
#include "protocol/frame.h"
#include "protocol/request_header.h"

using namespace protocol;

namespace {
std::vector<uint8_t> bytes_of(std::initializer_list<int> v) {
    std::vector<uint8_t> out;
    for (int b : v) out.push_back(static_cast<uint8_t>(b));
    return out;
}
}  // namespace

TEST(api_registry, advertised_ranges_are_the_phase_one_table) {
    struct expect {
        int16_t key, lo, hi;
        std::string_view name;
    };
    std::vector<expect> want = {{0, 0, 7, "Produce"},         {1, 4, 11, "Fetch"},
                                {2, 0, 3, "ListOffsets"},     {3, 0, 6, "Metadata"},
                                {4, 0, 3, "LeaderAndIsr"},    {5, 0, 1, "StopReplica"},
                                {6, 0, 5, "UpdateMetadata"},  {7, 1, 2, "ControlledShutdown"},
                                {8, 0, 7, "OffsetCommit"},    {9, 1, 5, "OffsetFetch"},
                                {10, 0, 2, "FindCoordinator"}, {11, 0, 5, "JoinGroup"},
                                {12, 0, 3, "Heartbeat"},      {13, 0, 3, "LeaveGroup"},
                                {14, 0, 3, "SyncGroup"},      {15, 0, 4, "DescribeGroups"},
                                {16, 0, 2, "ListGroups"},
                                {18, 0, 2, "ApiVersions"},    {19, 0, 4, "CreateTopics"},
                                {20, 0, 3, "DeleteTopics"},   {21, 0, 1, "DeleteRecords"},
                                {22, 0, 1, "InitProducerId"},
                                {23, 0, 3, "OffsetForLeaderEpoch"}, {32, 0, 2, "DescribeConfigs"},
                                {33, 0, 1, "AlterConfigs"},   {37, 0, 1, "CreatePartitions"},
                                {42, 0, 1, "DeleteGroups"},   {44, 0, 1, "IncrementalAlterConfigs"},
                                {47, 0, 0, "OffsetDelete"}};
    ASSERT_EQ(supported_apis().size(), want.size());
    for (const auto& w : want) {
        const api_info* a = find_api(w.key);
        ASSERT_NE(a, nullptr) << w.key;
        EXPECT_EQ(a->min_version, w.lo) << w.name;
        EXPECT_EQ(a->max_version, w.hi) << w.name;
        EXPECT_EQ(a->name, w.name);
        EXPECT_TRUE(is_supported(w.key, w.lo));
        EXPECT_TRUE(is_supported(w.key, w.hi));
        EXPECT_FALSE(is_supported(w.key, static_cast<int16_t>(w.hi + 1)));
        EXPECT_FALSE(is_supported(w.key, static_cast<int16_t>(w.lo - 1)));
    }
    EXPECT_FALSE(is_supported(9, 0));   // OffsetFetch v0 (ZooKeeper offsets): schema only
    EXPECT_TRUE(is_supported(10, 0));   // FindCoordinator v0: librdkafka's feature gates
    EXPECT_EQ(find_api(17), nullptr);   // SaslHandshake
    EXPECT_EQ(find_api(-1), nullptr);
    EXPECT_EQ(find_api(1000), nullptr);
    EXPECT_FALSE(is_supported(18, 3));  // decodable, not advertised
    EXPECT_FALSE(is_supported(7, 0));   // ControlledShutdown v0: header without client id
    EXPECT_EQ(find_api(25), nullptr);   // AddOffsetsToTxn: no transactions
    EXPECT_EQ(find_api(24), nullptr);
    EXPECT_EQ(find_api(36), nullptr);
    EXPECT_EQ(find_api(38), nullptr);
}

TEST(api_registry, kafka_python_version_probes_are_unchanged) {
    // kafka-python 2.0.2 infers a broker version from these keys only (kafka-protocol.md §2); with
    // Fetch 4-11, Produce 0-7, no DescribeAcls it must keep inferring 2.3 (Produce v7, Fetch v4).
    EXPECT_EQ(find_api(29), nullptr);     // DescribeAcls v2 -> 2.5
    EXPECT_FALSE(is_supported(0, 8));     // Produce v8 -> 2.4
    EXPECT_TRUE(is_supported(1, 11));     // Fetch v11 -> 2.3
    EXPECT_FALSE(is_supported(2, 5));
    // OffsetFetch v2 (-> 0.10.2) is now advertised, but the walk stops at Fetch v11 first.
    EXPECT_TRUE(is_supported(9, 2));
}

TEST(api_registry, flexible_versions_and_header_versions) {
    EXPECT_FALSE(is_flexible(18, 2));
    EXPECT_TRUE(is_flexible(18, 3));
    EXPECT_FALSE(is_flexible(0, 7));
    EXPECT_TRUE(is_flexible(0, 9));
    EXPECT_FALSE(is_flexible(1, 11));
    EXPECT_TRUE(is_flexible(1, 12));
    EXPECT_FALSE(is_flexible(999, 50));  // unknown key: never flexible
    EXPECT_FALSE(is_flexible(4, 3));
    EXPECT_TRUE(is_flexible(4, 4));
    EXPECT_FALSE(is_flexible(5, 1));
    EXPECT_TRUE(is_flexible(5, 2));
    EXPECT_FALSE(is_flexible(6, 5));
    EXPECT_TRUE(is_flexible(6, 6));
    EXPECT_FALSE(is_flexible(7, 2));
    EXPECT_TRUE(is_flexible(7, 3));
    EXPECT_FALSE(is_flexible(37, 1));
    EXPECT_TRUE(is_flexible(37, 2));
    EXPECT_FALSE(is_flexible(21, 1));
    EXPECT_TRUE(is_flexible(21, 2));  // DeleteRecords v2: flexible, not advertised
    EXPECT_FALSE(is_supported(21, 2));
    EXPECT_FALSE(is_flexible(23, 3));
    EXPECT_TRUE(is_flexible(23, 4));  // Kafka's first flexible version, above what we serve
    EXPECT_EQ(request_header_version(23, 3), 1);
    EXPECT_EQ(response_header_version(23, 3), 0);
    EXPECT_FALSE(is_flexible(22, 1));
    EXPECT_TRUE(is_flexible(22, 2));  // InitProducerId v2 is flexible in Kafka; we serve 0-1
    EXPECT_EQ(request_header_version(22, 1), 1);
    EXPECT_EQ(response_header_version(22, 1), 0);
    EXPECT_EQ(request_header_version(22, 2), 2);
    // Consumer-group APIs: served below Kafka's first flexible version; OffsetDelete never flexible.
    for (auto [key, flex] : {std::pair<int16_t, int16_t>{8, 8}, {9, 6}, {10, 3}, {11, 6}, {12, 4},
                             {13, 4}, {14, 4}, {15, 5}, {16, 3}, {42, 2}}) {
        EXPECT_FALSE(is_flexible(key, static_cast<int16_t>(flex - 1))) << key;
        EXPECT_TRUE(is_flexible(key, flex)) << key;
        EXPECT_EQ(request_header_version(key, static_cast<int16_t>(flex - 1)), 1) << key;
        EXPECT_EQ(response_header_version(key, static_cast<int16_t>(flex - 1)), 0) << key;
    }
    EXPECT_FALSE(is_flexible(47, 0));
    EXPECT_FALSE(is_flexible(47, 100));
    EXPECT_EQ(find_api(47)->first_flexible, -1);
    EXPECT_EQ(request_header_version(4, 3), 1);
    EXPECT_EQ(response_header_version(6, 5), 0);

    EXPECT_EQ(request_header_version(3, 6), 1);
    EXPECT_EQ(request_header_version(18, 3), 2);
    EXPECT_EQ(request_header_version(3, 9), 2);
    EXPECT_EQ(response_header_version(3, 6), 0);
    EXPECT_EQ(response_header_version(3, 9), 1);
    // ApiVersions responses always use header v0, even for v3.
    EXPECT_EQ(response_header_version(18, 3), 0);
    EXPECT_EQ(response_header_version(18, 0), 0);
}

TEST(request_header, decode_v1_without_tags) {
    auto b = bytes_of({0, 3, 0, 1, 0, 0, 0, 7, 0, 2, 'c', 'l', 0xaa});
    wire::reader r(b);
    auto h = decode_request_header(r);
    EXPECT_EQ(h.api_key, 3);
    EXPECT_EQ(h.api_version, 1);
    EXPECT_EQ(h.correlation_id, 7);
    EXPECT_EQ(h.client_id, std::optional<std::string>("cl"));
    EXPECT_EQ(r.remaining(), 1u);  // the body byte is untouched
}

TEST(request_header, decode_v2_reads_the_tag_section) {
    // ApiVersions v3 from librdkafka: header v2 (client id keeps its int16 length), one tag.
    auto b = bytes_of({0, 18, 0, 3, 0, 0, 0, 1, 0xff, 0xff, 1, 4, 1, 0x55, 0xbb});
    wire::reader r(b);
    auto h = decode_request_header(r);
    EXPECT_EQ(h.api_key, 18);
    EXPECT_EQ(h.api_version, 3);
    EXPECT_EQ(h.client_id, std::nullopt);
    ASSERT_EQ(h.unknown_tags.size(), 1u);
    EXPECT_EQ(h.unknown_tags.at(4), bytes_of({0x55}));
    EXPECT_EQ(r.remaining(), 1u);

    wire::writer w;
    encode_request_header(w, h);
    EXPECT_EQ(w.to_bytes(), std::vector<uint8_t>(b.begin(), b.end() - 1));
}

TEST(request_header, unknown_key_reads_no_tags) {
    auto b = bytes_of({0x03, 0xe7, 0, 9, 0, 0, 0, 2, 0, 0, 0});
    wire::reader r(b);
    auto h = decode_request_header(r);
    EXPECT_EQ(h.api_key, 999);
    EXPECT_EQ(h.client_id, std::optional<std::string>(""));
    EXPECT_EQ(r.remaining(), 1u);
}

TEST(request_header, truncated_header_throws) {
    auto b = bytes_of({0, 3, 0, 1, 0, 0});
    wire::reader r(b);
    EXPECT_THROW(decode_request_header(r), wire::decode_error);
}

TEST(request_header, response_headers_v0_and_v1) {
    wire::writer w;
    encode_response_header(w, 0x01020304, 0);
    encode_response_header(w, 5, 1);
    auto b = w.to_bytes();
    EXPECT_EQ(b, bytes_of({1, 2, 3, 4, 0, 0, 0, 5, 0}));
    wire::reader r(b);
    EXPECT_EQ(decode_response_header(r, 0), 0x01020304);
    EXPECT_EQ(decode_response_header(r, 1), 5);
    EXPECT_EQ(r.remaining(), 0u);
}

TEST(frame, splitter_cases) {
    EXPECT_EQ(split_frame({}).kind, frame_status::need_more);
    auto three = bytes_of({0, 0, 0});
    EXPECT_EQ(split_frame(three).kind, frame_status::need_more);
    auto partial = bytes_of({0, 0, 0, 3, 1, 2});
    auto st = split_frame(partial);
    EXPECT_EQ(st.kind, frame_status::need_more);
    EXPECT_EQ(st.size, 3);
    auto whole = bytes_of({0, 0, 0, 3, 1, 2, 3, 9, 9});  // plus the start of the next frame
    st = split_frame(whole);
    EXPECT_EQ(st.kind, frame_status::frame);
    EXPECT_EQ(st.size, 3);
    EXPECT_EQ(st.total(), 7u);
    auto empty = bytes_of({0, 0, 0, 0});
    EXPECT_EQ(split_frame(empty).kind, frame_status::frame);
    auto neg = bytes_of({0xff, 0xff, 0xff, 0xfe});
    EXPECT_EQ(split_frame(neg).kind, frame_status::bad_size);
    auto big = bytes_of({0, 0, 0x10, 1});  // 4097
    st = split_frame(big, 4096);
    EXPECT_EQ(st.kind, frame_status::too_large);
    EXPECT_EQ(st.size, 4097);
    auto at_max = bytes_of({0, 0, 0, 2, 1, 2});
    EXPECT_EQ(split_frame(at_max, 2).kind, frame_status::frame);
    EXPECT_EQ(split_frame(at_max, 1).kind, frame_status::too_large);
}

TEST(errors, wire_values_and_names) {
    EXPECT_EQ(to_wire(error_code::unknown_server_error), -1);
    EXPECT_EQ(to_wire(error_code::none), 0);
    EXPECT_EQ(to_wire(error_code::not_leader_or_follower), 6);
    EXPECT_EQ(to_wire(error_code::unsupported_version), 35);
    EXPECT_EQ(to_wire(error_code::topic_already_exists), 36);
    EXPECT_EQ(to_wire(error_code::not_controller), 41);
    EXPECT_EQ(to_wire(error_code::kafka_storage_error), 56);
    EXPECT_EQ(to_wire(error_code::unknown_producer_id), 59);
    EXPECT_EQ(to_wire(error_code::topic_deletion_disabled), 73);
    EXPECT_EQ(to_wire(error_code::unsupported_compression_type), 76);
    EXPECT_EQ(to_wire(error_code::member_id_required), 79);
    EXPECT_EQ(to_wire(error_code::invalid_record), 87);
    EXPECT_EQ(to_wire(error_code::producer_fenced), 90);
    EXPECT_EQ(error_name(error_code::topic_already_exists), "TOPIC_ALREADY_EXISTS");
    EXPECT_EQ(error_name(error_code::none), "NONE");
    EXPECT_EQ(error_name(error_code::unknown_server_error), "UNKNOWN_SERVER_ERROR");
    EXPECT_EQ(error_name(from_wire(6)), "NOT_LEADER_OR_FOLLOWER");
    EXPECT_EQ(error_name(from_wire(3000)), "UNKNOWN_ERROR_CODE");
    // Every code from -1 to 106 has a name.
    for (int v = -1; v <= 106; ++v) {
        EXPECT_NE(error_name(from_wire(static_cast<int16_t>(v))), "UNKNOWN_ERROR_CODE") << v;
    }
}

TEST(api_versions_reply, advertised_versions_get_a_normal_answer) {
    for (int16_t v = 0; v <= 2; ++v) {
        wire::writer w;
        EXPECT_EQ(encode_api_versions_reply(w, v), v);
        auto b = w.to_bytes();
        auto d = decode_message<api_versions_response>(b, v);
        ASSERT_TRUE(d);
        EXPECT_EQ(d.value().error_code, 0);
        ASSERT_EQ(d.value().api_keys.size(), api_table.size());
        for (size_t i = 0; i < api_table.size(); ++i) {
            EXPECT_EQ(d.value().api_keys[i].api_key, api_table[i].key);
            EXPECT_EQ(d.value().api_keys[i].min_version, api_table[i].min_version);
            EXPECT_EQ(d.value().api_keys[i].max_version, api_table[i].max_version);
        }
        EXPECT_EQ(d.value().api_keys[7].api_key, 7);  // ControlledShutdown 1-2
        EXPECT_EQ(d.value().api_keys[7].min_version, 1);
        EXPECT_EQ(d.value().api_keys[8].api_key, 8);  // OffsetCommit 0-7
        EXPECT_EQ(d.value().api_keys[8].max_version, 7);
        EXPECT_EQ(d.value().api_keys[9].api_key, 9);  // OffsetFetch 1-5
        EXPECT_EQ(d.value().api_keys[9].min_version, 1);
        EXPECT_EQ(d.value().api_keys[9].max_version, 5);
        EXPECT_EQ(d.value().api_keys[16].api_key, 16);  // ListGroups 0-2
        EXPECT_EQ(d.value().api_keys[17].api_key, 18);
        EXPECT_EQ(d.value().api_keys[17].max_version, 2);
        EXPECT_EQ(d.value().api_keys[20].api_key, 21);  // DeleteRecords 0-1 (v2 flexible, not served)
        EXPECT_EQ(d.value().api_keys[20].min_version, 0);
        EXPECT_EQ(d.value().api_keys[20].max_version, 1);
        EXPECT_EQ(d.value().api_keys[21].api_key, 22);  // InitProducerId 0-1, between 21 and 23
        EXPECT_EQ(d.value().api_keys[21].min_version, 0);
        EXPECT_EQ(d.value().api_keys[21].max_version, 1);
        EXPECT_EQ(d.value().api_keys[22].api_key, 23);  // OffsetForLeaderEpoch 0-3, between 22 and 37
        EXPECT_EQ(d.value().api_keys[22].min_version, 0);
        EXPECT_EQ(d.value().api_keys[22].max_version, 3);
        EXPECT_EQ(d.value().api_keys[23].api_key, 32);  // DescribeConfigs 0-2
        EXPECT_EQ(d.value().api_keys[23].max_version, 2);
        EXPECT_EQ(d.value().api_keys[24].api_key, 33);  // AlterConfigs 0-1
        EXPECT_EQ(d.value().api_keys[25].api_key, 37);
        EXPECT_EQ(d.value().api_keys[26].api_key, 42);  // DeleteGroups 0-1
        EXPECT_EQ(d.value().api_keys[27].api_key, 44);  // IncrementalAlterConfigs 0-1
        EXPECT_EQ(d.value().api_keys[27].max_version, 1);
        EXPECT_EQ(d.value().api_keys[28].api_key, 47);  // OffsetDelete 0
        EXPECT_EQ(d.value().api_keys[28].max_version, 0);
    }
}

TEST(api_versions_reply, unadvertised_version_gets_v0_body_with_unsupported_version) {
    for (int16_t v : {int16_t{3}, int16_t{4}, int16_t{-1}}) {
        wire::writer w;
        EXPECT_EQ(encode_api_versions_reply(w, v), 0);
        auto b = w.to_bytes();
        ASSERT_GE(b.size(), 6u);
        EXPECT_EQ(b[0], 0);
        EXPECT_EQ(b[1], 35);
        EXPECT_EQ(b[5], api_table.size());  // int32 count, classic (not compact) array
        auto d = decode_message<api_versions_response>(b, 0);
        ASSERT_TRUE(d);
        EXPECT_EQ(d.value().api_keys.size(), api_table.size());
    }
}
