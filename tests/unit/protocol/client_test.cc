// The blocking client against a tiny in-process fake broker on 127.0.0.1 (an ephemeral port).
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <functional>
#include <mutex>
#include <thread>

#include "protocol/api_registry.h"
#include "protocol/client/client.h"
#include "protocol/errors.h"
#include "protocol/messages/all.h"
#include "protocol/request_header.h"

using namespace protocol;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// Answers each request frame with handler(header, body reader); an empty optional means "do not
// answer" (the connection then stays open until the client gives up). One connection at a time.
class fake_broker {
public:
    using handler = std::function<std::optional<std::vector<uint8_t>>(const request_header&, wire::reader&)>;

    explicit fake_broker(handler h) : handler_(std::move(h)), acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}) {
        port_ = acceptor_.local_endpoint().port();
        thread_ = std::thread([this] { serve(); });
    }
    ~fake_broker() {
        stop_ = true;
        boost::system::error_code ec;
        {
            std::lock_guard lock(mu_);
            if (socket_) socket_->shutdown(tcp::socket::shutdown_both, ec);
        }
        // close() does not wake a blocking accept() on Linux: connect once to release it.
        asio::io_context io;
        tcp::socket wake(io);
        wake.connect({asio::ip::make_address("127.0.0.1"), port_}, ec);
        thread_.join();
    }
    uint16_t port() const { return port_; }
    std::vector<int32_t> correlation_ids() {
        std::lock_guard lock(mu_);
        return ids_;
    }
    std::vector<std::pair<int16_t, int16_t>> requests() {
        std::lock_guard lock(mu_);
        return requests_;
    }
    std::vector<std::optional<std::string>> client_ids() {
        std::lock_guard lock(mu_);
        return client_ids_;
    }

private:
    void serve() {
        while (!stop_) {
            boost::system::error_code ec;
            auto s = std::make_shared<tcp::socket>(io_);
            acceptor_.accept(*s, ec);
            if (ec || stop_) return;
            {
                std::lock_guard lock(mu_);
                socket_ = s;
            }
            for (;;) {
                uint8_t size_bytes[4];
                asio::read(*s, asio::buffer(size_bytes), ec);
                if (ec) break;
                wire::reader sr(size_bytes);
                std::vector<uint8_t> frame(static_cast<size_t>(sr.read_int32()));
                asio::read(*s, asio::buffer(frame), ec);
                if (ec) break;
                wire::reader r(frame);
                request_header h = decode_request_header(r);
                {
                    std::lock_guard lock(mu_);
                    ids_.push_back(h.correlation_id);
                    requests_.emplace_back(h.api_key, h.api_version);
                    client_ids_.push_back(h.client_id);
                }
                auto body = handler_(h, r);
                if (!body) continue;
                wire::writer w;
                w.write_int32(0);
                encode_response_header(w, h.correlation_id, response_header_version(h.api_key, h.api_version));
                w.write_raw(*body);
                w.patch_int32(0, static_cast<int32_t>(w.size() - 4));
                asio::write(*s, asio::buffer(w.to_bytes()), ec);
                if (ec) break;
            }
        }
    }

    handler handler_;
    asio::io_context io_;
    tcp::acceptor acceptor_;
    uint16_t port_ = 0;
    std::thread thread_;
    std::atomic<bool> stop_{false};
    std::mutex mu_;
    std::shared_ptr<tcp::socket> socket_;
    std::vector<int32_t> ids_;
    std::vector<std::pair<int16_t, int16_t>> requests_;
    std::vector<std::optional<std::string>> client_ids_;
};

std::vector<uint8_t> api_versions_body(int16_t version, int16_t error) {
    api_versions_response resp;
    resp.error_code = error;
    for (const auto& a : supported_apis()) resp.api_keys.push_back({a.key, a.min_version, a.max_version, {}});
    wire::writer w;
    resp.encode(w, version);
    return w.to_bytes();
}

// A broker that serves ApiVersions 0-2 and Metadata.
std::optional<std::vector<uint8_t>> modern(const request_header& h, wire::reader& r) {
    if (h.api_key == api_versions_api::key) return api_versions_body(h.api_version, 0);
    if (h.api_key == metadata_api::key) {
        metadata_request req;
        req.decode(r, h.api_version);
        metadata_response resp;
        resp.brokers.push_back({1, "127.0.0.1", 9092, std::string("r1"), {}});
        resp.controller_id = 1;
        resp.cluster_id = "cluster-x";
        for (const auto& t : req.topics.value_or(std::vector<metadata_request::metadata_request_topic>{})) {
            metadata_response::metadata_response_topic topic;
            topic.name = t.name;
            topic.error_code = to_wire(error_code::unknown_topic_or_partition);
            resp.topics.push_back(topic);
        }
        wire::writer w;
        resp.encode(w, h.api_version);
        return w.to_bytes();
    }
    return std::nullopt;
}

constexpr auto timeout = std::chrono::milliseconds(3000);

}  // namespace

TEST(client, negotiate_records_ranges_and_picks_versions) {
    fake_broker broker(modern);
    auto conn = client::connection::connect("127.0.0.1", broker.port(), timeout);
    ASSERT_TRUE(conn) << conn.error().message();
    auto& c = conn.value();
    EXPECT_EQ(c.pick_version<produce_api>(), -1);  // nothing known yet
    auto resp = c.negotiate();
    ASSERT_TRUE(resp) << resp.error().message();
    EXPECT_EQ(resp.value().api_keys.size(), supported_apis().size());
    EXPECT_EQ(c.broker_range(0), (std::pair<int16_t, int16_t>{0, 7}));
    EXPECT_EQ(c.pick_version<produce_api>(), 7);
    EXPECT_EQ(c.pick_version<fetch_api>(), 11);
    EXPECT_EQ(c.pick_version<api_versions_api>(), 2);  // our codec goes to 3, broker to 2
    EXPECT_EQ(broker.requests(), (std::vector<std::pair<int16_t, int16_t>>{{18, 2}}));
}

TEST(client, negotiate_falls_back_to_v0_on_unsupported_version) {
    // An old broker: answers any ApiVersions > 0 in v0 format with UNSUPPORTED_VERSION.
    fake_broker broker([](const request_header& h, wire::reader&) -> std::optional<std::vector<uint8_t>> {
        if (h.api_key != api_versions_api::key) return std::nullopt;
        if (h.api_version > 0) return api_versions_body(0, to_wire(error_code::unsupported_version));
        api_versions_response resp;
        resp.api_keys = {{18, 0, 0, {}}, {3, 0, 1, {}}};
        wire::writer w;
        resp.encode(w, 0);
        return w.to_bytes();
    });
    auto conn = client::connection::connect("127.0.0.1", broker.port(), timeout);
    ASSERT_TRUE(conn);
    auto resp = conn.value().negotiate();
    ASSERT_TRUE(resp) << resp.error().message();
    EXPECT_EQ(broker.requests(), (std::vector<std::pair<int16_t, int16_t>>{{18, 2}, {18, 0}}));
    EXPECT_EQ(conn.value().pick_version<metadata_api>(), 1);
    EXPECT_EQ(conn.value().pick_version<produce_api>(), -1);  // broker does not serve it
}

TEST(client, typed_send_and_increasing_correlation_ids) {
    fake_broker broker(modern);
    auto conn = client::connection::connect("127.0.0.1", broker.port(), timeout);
    ASSERT_TRUE(conn);
    auto& c = conn.value();
    ASSERT_TRUE(c.negotiate());
    metadata_request req;
    req.topics = std::vector<metadata_request::metadata_request_topic>{{"nope", {}}};
    auto resp = c.send<metadata_api>(req, c.pick_version<metadata_api>());
    ASSERT_TRUE(resp) << resp.error().message();
    EXPECT_EQ(resp.value().cluster_id, std::optional<std::string>("cluster-x"));
    EXPECT_EQ(resp.value().controller_id, 1);
    ASSERT_EQ(resp.value().brokers.size(), 1u);
    EXPECT_EQ(resp.value().brokers[0].rack, std::optional<std::string>("r1"));
    ASSERT_EQ(resp.value().topics.size(), 1u);
    EXPECT_EQ(resp.value().topics[0].error_code, 3);
    auto v0 = c.send<metadata_api>(metadata_request{}, 0);
    ASSERT_TRUE(v0);
    EXPECT_EQ(v0.value().cluster_id, std::nullopt);  // not in v0
    EXPECT_EQ(broker.correlation_ids(), (std::vector<int32_t>{1, 2, 3}));
    EXPECT_EQ(c.next_correlation_id(), 4);
}

TEST(client, timeout_when_the_broker_does_not_answer) {
    fake_broker broker([](const request_header&, wire::reader&) { return std::optional<std::vector<uint8_t>>(); });
    auto conn = client::connection::connect("127.0.0.1", broker.port(), std::chrono::milliseconds(200));
    ASSERT_TRUE(conn);
    auto start = std::chrono::steady_clock::now();
    auto resp = conn.value().negotiate();
    auto took = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(resp);
    EXPECT_EQ(resp.error(), make_error_code(client::errc::timed_out));
    EXPECT_LT(took, std::chrono::seconds(2));
    // The connection is unusable afterwards, and says so.
    auto again = conn.value().negotiate();
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error(), make_error_code(client::errc::connection_closed));
}

TEST(client, wrong_correlation_id_is_an_error) {
    // A broker that answers with a wrong correlation id (the request's + 100).
    asio::io_context io;
    tcp::acceptor acc(io, {asio::ip::make_address("127.0.0.1"), 0});
    std::thread t([&] {
        tcp::socket s(io);
        acc.accept(s);
        uint8_t buf[256];
        boost::system::error_code ec;
        size_t n = s.read_some(asio::buffer(buf), ec);
        (void)n;
        wire::reader r(std::span<const uint8_t>(buf + 4, n - 4));
        auto h = decode_request_header(r);
        wire::writer w;
        w.write_int32(0);
        encode_response_header(w, h.correlation_id + 100, 0);
        w.write_raw(api_versions_body(2, 0));
        w.patch_int32(0, static_cast<int32_t>(w.size() - 4));
        asio::write(s, asio::buffer(w.to_bytes()), ec);
    });
    auto conn = client::connection::connect("127.0.0.1", acc.local_endpoint().port(), timeout);
    ASSERT_TRUE(conn);
    auto resp = conn.value().negotiate();
    t.join();
    ASSERT_FALSE(resp);
    EXPECT_EQ(resp.error(), make_error_code(client::errc::correlation_mismatch));
}

TEST(client, connect_refused) {
    uint16_t port;
    {
        asio::io_context io;
        tcp::acceptor acc(io, {asio::ip::make_address("127.0.0.1"), 0});
        port = acc.local_endpoint().port();
    }  // closed: nothing listens there now
    auto conn = client::connection::connect("127.0.0.1", port, timeout);
    ASSERT_FALSE(conn);
    EXPECT_EQ(conn.error(), make_error_code(client::errc::connect_failed));
}

TEST(client, parse_bootstrap) {
    auto one = client::parse_bootstrap("localhost:9092");
    ASSERT_TRUE(one);
    EXPECT_EQ(one.value(), (std::vector<client::bootstrap>{{"localhost", 9092}}));
    auto many = client::parse_bootstrap(" a:1 , b.example:65535,[::1]:9093");
    ASSERT_TRUE(many);
    EXPECT_EQ(many.value(),
              (std::vector<client::bootstrap>{{"a", 1}, {"b.example", 65535}, {"::1", 9093}}));
    auto blanks = client::parse_bootstrap("a:1,,b:2,");  // blank entries are skipped, as Kafka does
    ASSERT_TRUE(blanks);
    EXPECT_EQ(blanks.value(), (std::vector<client::bootstrap>{{"a", 1}, {"b", 2}}));
    for (std::string_view bad : {"", ",", " , ", "host", "host:", ":9092", "host:0", "host:65536", "host:9x",
                                 "::1:9092", "[::1]9092"}) {
        std::string why;
        auto r = client::parse_bootstrap(bad, &why);
        EXPECT_FALSE(r) << bad;
        if (!r) {
            EXPECT_EQ(r.error(), make_error_code(client::errc::bad_bootstrap));
        }
        EXPECT_FALSE(why.empty()) << bad;
    }
}

// What a controller -> broker sender needs from the blocking connection: its own client id in
// every request header, a per-request timeout it can change after connecting, and the typed
// inter-broker messages at the version negotiated from the broker's ApiVersions.
TEST(client, controller_style_sender_client_id_timeout_and_leader_and_isr) {
    std::atomic<bool> answer{true};
    fake_broker broker([&](const request_header& h, wire::reader& r) -> std::optional<std::vector<uint8_t>> {
        if (h.api_key == api_versions_api::key) return api_versions_body(h.api_version, 0);
        if (h.api_key == leader_and_isr_api::key && answer) {
            leader_and_isr_request req;
            req.decode(r, h.api_version);
            leader_and_isr_response resp;
            for (const auto& t : req.topic_states) {
                for (const auto& p : t.partition_states) {
                    resp.partition_errors.push_back({t.topic_name, p.partition_index, 0, {}});
                }
            }
            wire::writer w;
            resp.encode(w, h.api_version);
            return w.to_bytes();
        }
        return std::nullopt;
    });
    auto conn = client::connection::connect("127.0.0.1", broker.port(), timeout);
    ASSERT_TRUE(conn);
    auto& c = conn.value();
    c.set_client_id(std::string("controller-1"));
    ASSERT_TRUE(c.negotiate());
    EXPECT_EQ(c.pick_version<leader_and_isr_api>(), 3);
    EXPECT_EQ(c.pick_version<update_metadata_api>(), 5);
    EXPECT_EQ(c.pick_version<stop_replica_api>(), 1);
    EXPECT_EQ(c.pick_version<controlled_shutdown_api>(), 2);

    leader_and_isr_request req;
    req.controller_id = 1;
    req.controller_epoch = 4;
    leader_and_isr_request::leader_and_isr_partition_state p;
    p.partition_index = 2;
    p.leader = 1;
    p.isr = {1};
    p.replicas = {1};
    req.topic_states.push_back({"t", {p}, {}});
    auto resp = c.send<leader_and_isr_api>(req, 3);
    ASSERT_TRUE(resp) << resp.error().message();
    ASSERT_EQ(resp.value().partition_errors.size(), 1u);
    EXPECT_EQ(resp.value().partition_errors[0].topic_name, "t");
    EXPECT_EQ(resp.value().partition_errors[0].partition_index, 2);

    // A shorter timeout set after connecting applies to the next request.
    answer = false;
    c.set_timeout(std::chrono::milliseconds(200));
    auto start = std::chrono::steady_clock::now();
    auto late = c.send<leader_and_isr_api>(req, 3);
    auto took = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(late);
    EXPECT_EQ(late.error(), make_error_code(client::errc::timed_out));
    EXPECT_LT(took, std::chrono::seconds(2));

    auto ids = broker.client_ids();
    ASSERT_EQ(ids.size(), 3u);
    for (const auto& id : ids) EXPECT_EQ(id, std::optional<std::string>("controller-1"));
}
