// The network layer over real loopback sockets: broker::server + broker::connection in front of
// the in-process broker of broker_test_util.h. Checks framing (requests split across writes,
// frames larger than the initial read buffer), response order for pipelined requests, acks=0,
// sendfile-backed fetch responses, and that a bad frame closes only its own connection.
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "broker/net/server.h"
#include "protocol/messages/api_versions.h"
#include "protocol/messages/fetch.h"
#include "protocol/messages/metadata.h"
#include "protocol/messages/produce.h"
#include "tests/unit/broker/broker_test_util.h"

namespace broker_test {
namespace {
namespace asio = boost::asio;
using asio::ip::tcp;

/// A blocking client socket (its own io_context) speaking raw frames.
class raw_client {
public:
    explicit raw_client(uint16_t port) : socket_(io_) {
        socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    }
    void write(std::span<const uint8_t> bytes) { asio::write(socket_, asio::buffer(bytes.data(), bytes.size())); }

    template <class Request>
    std::vector<uint8_t> frame(const Request& req, int16_t version, int32_t correlation_id) {
        auto body = encode_frame(req, version, correlation_id);
        std::vector<uint8_t> out(4);
        uint32_t n = static_cast<uint32_t>(body.size());
        out[0] = static_cast<uint8_t>(n >> 24);
        out[1] = static_cast<uint8_t>(n >> 16);
        out[2] = static_cast<uint8_t>(n >> 8);
        out[3] = static_cast<uint8_t>(n);
        out.insert(out.end(), body.begin(), body.end());
        return out;
    }

    /// Reads one response frame (header + body), or nothing if the broker closed the connection.
    std::optional<std::vector<uint8_t>> read_frame() {
        uint8_t size_bytes[4];
        boost::system::error_code ec;
        asio::read(socket_, asio::buffer(size_bytes), ec);
        if (ec) {
            return std::nullopt;
        }
        uint32_t n = (uint32_t(size_bytes[0]) << 24) | (uint32_t(size_bytes[1]) << 16) |
                     (uint32_t(size_bytes[2]) << 8) | uint32_t(size_bytes[3]);
        std::vector<uint8_t> body(n);
        asio::read(socket_, asio::buffer(body), ec);
        if (ec) {
            return std::nullopt;
        }
        return body;
    }

private:
    asio::io_context io_;
    tcp::socket socket_;
};

int32_t correlation_of(const std::vector<uint8_t>& response) {
    protocol::wire::reader in(response);
    return in.read_int32();
}

class connection_test : public broker_fixture {
protected:
    connection_test() {
        publish({{"t", {partition_spec{}}}});
        cfg_.socket_request_max_bytes = 1 << 20;
        server_ = std::make_unique<broker::server>(io_, *dispatcher_, metrics_, cfg_.socket_request_max_bytes);
        auto r = server_->listen(broker::endpoint{"PLAINTEXT", "127.0.0.1", 0});
        EXPECT_TRUE(r) << "listen failed";
        work_.emplace(io_.get_executor());
        io_.restart();
        thread_ = std::thread([this] { io_.run(); });
    }
    ~connection_test() override {
        server_->stop();
        work_.reset();
        io_.stop();
        thread_.join();
    }
    uint16_t port() const { return server_->port(); }

    std::unique_ptr<broker::server> server_;
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
    std::thread thread_;
};

protocol::produce_request produce_of(const std::vector<uint8_t>& batch, int16_t acks = 1) {
    protocol::produce_request req;
    req.acks = acks;
    req.timeout_ms = 1000;
    auto& t = req.topic_data.emplace_back();
    t.name = "t";
    auto& p = t.partition_data.emplace_back();
    p.index = 0;
    p.records = protocol::record_set::owned(batch);
    return req;
}

template <class Response>
Response decode_body(const std::vector<uint8_t>& frame, int16_t version) {
    auto bytes = std::make_shared<const std::vector<uint8_t>>(frame);
    protocol::wire::reader in(*bytes, bytes);
    protocol::decode_response_header(in, protocol::response_header_version(Response::api_key, version));
    Response r;
    r.decode(in, version);
    EXPECT_EQ(in.remaining(), 0u);
    return r;
}

TEST_F(connection_test, pipelined_requests_are_answered_in_order) {
    raw_client c(port());
    std::vector<uint8_t> all;
    for (int32_t corr = 1; corr <= 30; ++corr) {
        std::vector<uint8_t> f;
        if (corr % 3 == 0) {
            f = c.frame(protocol::metadata_request{}, 1, corr);
        } else if (corr % 3 == 1) {
            f = c.frame(protocol::api_versions_request{}, 2, corr);
        } else {
            f = c.frame(produce_of(make_batch(5)), 7, corr);
        }
        all.insert(all.end(), f.begin(), f.end());
    }
    c.write(all);  // one write: 30 requests back to back
    for (int32_t corr = 1; corr <= 30; ++corr) {
        auto r = c.read_frame();
        ASSERT_TRUE(r) << "connection closed before response " << corr;
        EXPECT_EQ(correlation_of(*r), corr);
    }
    EXPECT_EQ(log_end("t", 0), 50);
}

TEST_F(connection_test, frames_split_across_writes_and_larger_than_the_read_buffer) {
    raw_client c(port());
    // ~300 KB: several times the initial 64 KiB read buffer.
    auto f = c.frame(produce_of(make_batch(3000, 1000, 100)), 7, 42);
    ASSERT_GT(f.size(), 256u * 1024);
    for (size_t at = 0; at < f.size(); at += 7919) {
        size_t n = std::min<size_t>(7919, f.size() - at);
        c.write(std::span<const uint8_t>(f.data() + at, n));
    }
    auto r = c.read_frame();
    ASSERT_TRUE(r);
    auto resp = decode_body<protocol::produce_response>(*r, 7);
    ASSERT_EQ(resp.responses.size(), 1u);
    EXPECT_EQ(resp.responses[0].partition_responses[0].error_code, 0);
    EXPECT_EQ(log_end("t", 0), 3000);
}

TEST_F(connection_test, acks_zero_gets_no_response_and_the_next_answer_is_the_next_request) {
    raw_client c(port());
    auto f1 = c.frame(produce_of(make_batch(2), 0), 7, 1);
    auto f2 = c.frame(protocol::api_versions_request{}, 0, 2);
    f1.insert(f1.end(), f2.begin(), f2.end());
    c.write(f1);
    auto r = c.read_frame();
    ASSERT_TRUE(r);
    EXPECT_EQ(correlation_of(*r), 2);
    EXPECT_EQ(log_end("t", 0), 2);
}

TEST_F(connection_test, fetch_sends_the_stored_batches_from_the_log_file) {
    raw_client c(port());
    auto batch = make_batch(100, 1000, 50);
    c.write(c.frame(produce_of(batch), 7, 1));
    ASSERT_TRUE(c.read_frame());

    protocol::fetch_request req;
    req.max_wait_ms = 0;
    req.max_bytes = 1 << 20;
    auto& t = req.topics.emplace_back();
    t.topic = "t";
    auto& p = t.partitions.emplace_back();
    p.partition = 0;
    p.fetch_offset = 0;
    p.partition_max_bytes = 1 << 20;
    c.write(c.frame(req, 11, 2));
    auto r = c.read_frame();
    ASSERT_TRUE(r);
    auto resp = decode_body<protocol::fetch_response>(*r, 11);
    ASSERT_EQ(resp.responses.size(), 1u);
    const auto& part = resp.responses[0].partitions[0];
    EXPECT_EQ(part.error_code, 0);
    EXPECT_EQ(part.high_watermark, 100);
    auto stored = part.records.to_bytes();
    ASSERT_EQ(stored.size(), batch.size());
    // Same records; only base offset (0 anyway) and leader epoch may differ, outside the CRC.
    EXPECT_TRUE(std::equal(stored.begin() + 17, stored.end(), batch.begin() + 17));
    // The counter moves right after sendfile returns, which may be just after the client has read.
    for (int i = 0; i < 200 && metrics_.bytes_sent_sendfile.load() == 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_GT(metrics_.bytes_sent_sendfile.load(), 0u);
}

TEST_F(connection_test, a_bad_frame_closes_only_its_own_connection) {
    raw_client good(port());
    raw_client oversized(port());
    raw_client garbage(port());
    const uint8_t too_big[] = {0x10, 0x00, 0x00, 0x00};  // 256 MiB > socket.request.max.bytes
    oversized.write(too_big);
    EXPECT_FALSE(oversized.read_frame());
    const uint8_t junk[] = {0x00, 0x00, 0x00, 0x06, 0x03, 0xe7, 0x00, 0x00, 0xff, 0xff};  // key 999
    garbage.write(junk);
    EXPECT_FALSE(garbage.read_frame());

    good.write(good.frame(protocol::api_versions_request{}, 2, 9));
    auto r = good.read_frame();
    ASSERT_TRUE(r);
    EXPECT_EQ(correlation_of(*r), 9);
    EXPECT_GE(metrics_.bad_requests.load(), 2u);
}

}  // namespace
}  // namespace broker_test
