// request_dispatcher: header decoding, API/version checks, the ApiVersions special cases, and
// closing the connection on anything it cannot answer.
#include "broker/handlers/handlers.h"
#include "protocol/api_registry.h"
#include "protocol/messages/api_versions.h"
#include "protocol/messages/metadata.h"
#include "protocol/messages/produce.h"
#include "tests/unit/broker/broker_test_util.h"

namespace {

using broker::dispatch_result;
using broker_test::broker_fixture;
using broker_test::reply;

class dispatch_test : public broker_fixture {
protected:
    dispatch_test() { publish({}); }  // a started broker: metadata received, so requests do not wait for it
};

void expect_registry_ranges(const protocol::api_versions_response& resp) {
    auto apis = protocol::supported_apis();
    ASSERT_EQ(resp.api_keys.size(), apis.size());
    for (size_t i = 0; i < apis.size(); ++i) {
        EXPECT_EQ(resp.api_keys[i].api_key, apis[i].key);
        EXPECT_EQ(resp.api_keys[i].min_version, apis[i].min_version) << apis[i].name;
        EXPECT_EQ(resp.api_keys[i].max_version, apis[i].max_version) << apis[i].name;
    }
    // Spot checks independent of the table: what the clients negotiate against.
    auto find = [&](int16_t key) -> const protocol::api_versions_response::api_version* {
        for (const auto& a : resp.api_keys) {
            if (a.api_key == key) return &a;
        }
        return nullptr;
    };
    ASSERT_NE(find(18), nullptr);
    EXPECT_EQ(find(18)->min_version, 0);
    ASSERT_NE(find(0), nullptr);
    EXPECT_EQ(find(0)->min_version, 0);
    EXPECT_EQ(find(0)->max_version, 7);
    ASSERT_NE(find(1), nullptr);
    EXPECT_EQ(find(1)->max_version, 11);
    ASSERT_NE(find(10), nullptr);  // FindCoordinator from v0: librdkafka's group and LZ4 gates
    EXPECT_EQ(find(10)->min_version, 0);
    ASSERT_NE(find(21), nullptr);  // DeleteRecords 0-1 (v2 is flexible, not served)
    EXPECT_EQ(find(21)->max_version, 1);
    EXPECT_EQ(find(25), nullptr);  // AddOffsetsToTxn: no transactions
}

TEST_F(dispatch_test, api_versions_v0_to_v2_return_the_registry_ranges) {
    for (int16_t v = 0; v <= 2; ++v) {
        protocol::api_versions_request req;
        auto r = send(req, v, 100 + v);
        ASSERT_EQ(r.result, dispatch_result::respond) << "v" << v;
        auto resp = broker_test::decode_response<protocol::api_versions_response>(r, v, 100 + v);
        EXPECT_EQ(resp.error_code, 0) << "v" << v;
        EXPECT_EQ(resp.throttle_time_ms, 0);
        expect_registry_ranges(resp);
    }
}

TEST_F(dispatch_test, api_versions_v3_gets_a_v0_body_with_unsupported_version) {
    protocol::api_versions_request req;
    req.client_software_name = "librdkafka";
    req.client_software_version = "2.0.2";
    auto frame = broker_test::encode_frame(req, 3, 555);
    auto r = dispatch(frame);
    ASSERT_EQ(r.result, dispatch_result::respond);
    // Response header v0 (never flexible for ApiVersions) and a v0 body.
    auto resp = broker_test::decode_response<protocol::api_versions_response>(r, 0, 555, 0);
    EXPECT_EQ(resp.error_code, 35);
    expect_registry_ranges(resp);
}

TEST_F(dispatch_test, api_versions_above_v3_with_an_unknown_body_still_gets_the_v0_answer) {
    // A future client: flexible header (v2) and a body we cannot know; it is not parsed.
    protocol::wire::writer w;
    protocol::request_header h;
    h.api_key = 18;
    h.api_version = 9;
    h.correlation_id = 77;
    h.client_id = "future";
    protocol::encode_request_header(w, h);
    w.write_int32(0x7fffffff);
    w.write_int8(-3);
    auto r = dispatch(w.to_bytes());
    ASSERT_EQ(r.result, dispatch_result::respond);
    auto resp = broker_test::decode_response<protocol::api_versions_response>(r, 0, 77, 0);
    EXPECT_EQ(resp.error_code, 35);
    expect_registry_ranges(resp);
}

TEST_F(dispatch_test, unknown_api_key_closes) {
    // A well-formed v1 header for api key 99 (and for OffsetCommit, which Kafka has but we do not serve).
    for (int16_t key : {int16_t{99}, int16_t{8}, int16_t{-1}}) {
        protocol::wire::writer w;
        protocol::request_header h;
        h.api_key = key;
        h.api_version = 0;
        h.correlation_id = 1;
        h.client_id = "x";
        protocol::encode_request_header(w, h);
        auto r = dispatch(w.to_bytes());
        EXPECT_EQ(r.result, dispatch_result::close) << key;
    }
}

TEST_F(dispatch_test, unsupported_versions_close) {
    protocol::metadata_request req;
    // Metadata v99, Produce v8 and Fetch v3 / v12 (outside our ranges): header only, no body needed to decide.
    for (auto [key, version] : {std::pair<int16_t, int16_t>{3, 99}, {3, 7}, {0, 8}, {1, 3}, {1, 12}}) {
        protocol::wire::writer w;
        protocol::request_header h;
        h.api_key = key;
        h.api_version = version;
        h.correlation_id = 1;
        h.client_id = "x";
        protocol::encode_request_header(w, h);
        w.write_int32(-1);
        auto r = dispatch(w.to_bytes());
        EXPECT_EQ(r.result, dispatch_result::close) << key << " v" << version;
    }
    // The same request at a supported version is answered (so the above really is the version).
    auto ok = send(req, 1);
    EXPECT_EQ(ok.result, dispatch_result::respond);
}

TEST_F(dispatch_test, garbage_header_closes) {
    EXPECT_EQ(dispatch({}).result, dispatch_result::close);
    EXPECT_EQ(dispatch({0x00, 0x03, 0x00}).result, dispatch_result::close);
    // Metadata v1 header whose client_id claims 200 bytes but the frame ends.
    EXPECT_EQ(dispatch({0x00, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x09, 0x00, 0xc8, 'a'}).result,
              dispatch_result::close);
}

TEST_F(dispatch_test, truncated_body_closes) {
    protocol::metadata_request req;
    req.topics = std::vector<protocol::metadata_request::metadata_request_topic>(3);
    (*req.topics)[0].name = "a";
    (*req.topics)[1].name = "b";
    (*req.topics)[2].name = "c";
    auto frame = broker_test::encode_frame(req, 1);
    ASSERT_EQ(send(req, 1).result, dispatch_result::respond);
    frame.resize(frame.size() - 2);
    EXPECT_EQ(dispatch(frame).result, dispatch_result::close);
}

TEST_F(dispatch_test, correlation_id_is_echoed_and_flexible_header_parsed) {
    publish_led_topic("t", 1);
    protocol::metadata_request req;
    req.topics = std::nullopt;
    auto r = send(req, 6, 0x12345678);
    auto resp = broker_test::decode_response<protocol::metadata_response>(r, 6, 0x12345678);
    ASSERT_EQ(resp.topics.size(), 1u);
}

}  // namespace

// An advertised API without a handler would make the dispatcher close the connection: every
// client that trusts ApiVersions (all of them) would see a dead broker instead of an answer.
TEST(dispatch_registry, every_advertised_api_has_a_handler) {
    using broker::handlers;
    for (const auto& api : protocol::supported_apis()) {
        EXPECT_NE(handlers::find(api.key), nullptr) << api.name << " (key " << api.key << ")";
    }
}
