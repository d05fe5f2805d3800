// Acceptance item 7 of issue 2: malformed and unsupported requests on raw TCP sockets never take
// the broker down: after each one a well-behaved client still gets metadata, the process is alive,
// and the broker log says what it rejected.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <random>

#include "tests/integration/cluster_fixture.h"
#include "tests/integration/rdkafka_client.h"

namespace integration {
namespace {

/// A blocking loopback TCP connection with deadline-bounded reads.
class raw_connection {
public:
    explicit raw_connection(std::uint16_t port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    }
    ~raw_connection() { ::close(fd_); }
    bool connected() const { return connected_; }

    bool send(const std::string& bytes) {
        return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
    }

    /// Reads exactly n bytes; false on close, error or timeout.
    bool read_exact(std::size_t n, std::string& out, std::chrono::milliseconds timeout) {
        out.clear();
        auto deadline = std::chrono::steady_clock::now() + timeout;
        char buf[4096];
        while (out.size() < n) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) return false;
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
            ssize_t got = ::recv(fd_, buf, std::min(sizeof buf, n - out.size()), 0);
            if (got <= 0) return false;
            out.append(buf, static_cast<std::size_t>(got));
        }
        return true;
    }

    /// One response frame (without its size prefix), or nullopt if the broker closed the
    /// connection / sent nothing within the timeout. `closed` says which.
    std::optional<std::string> read_frame(std::chrono::milliseconds timeout, bool* closed) {
        std::string size_bytes, body;
        *closed = false;
        if (!read_exact(4, size_bytes, timeout)) {
            *closed = peer_closed();
            return std::nullopt;
        }
        std::uint32_t size;
        std::memcpy(&size, size_bytes.data(), 4);
        size = ntohl(size);
        if (size > (64u << 20) || !read_exact(size, body, timeout)) return std::nullopt;
        return body;
    }

    /// True if the peer has closed (EOF or reset), waiting up to 5 s for it.
    bool peer_closed(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        char buf[4096];
        while (std::chrono::steady_clock::now() < deadline) {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 100) <= 0) continue;
            ssize_t got = ::recv(fd_, buf, sizeof buf, 0);
            if (got <= 0) return true;  // EOF or ECONNRESET
        }
        return false;
    }

private:
    int fd_ = -1;
    bool connected_ = false;
};

void put16(std::string& s, std::int16_t v) {
    auto u = htons(static_cast<std::uint16_t>(v));
    s.append(reinterpret_cast<const char*>(&u), 2);
}
void put32(std::string& s, std::int32_t v) {
    auto u = htonl(static_cast<std::uint32_t>(v));
    s.append(reinterpret_cast<const char*>(&u), 4);
}
std::int16_t get16(const std::string& s, std::size_t at) {
    std::uint16_t u;
    std::memcpy(&u, s.data() + at, 2);
    return static_cast<std::int16_t>(ntohs(u));
}
std::int32_t get32(const std::string& s, std::size_t at) {
    std::uint32_t u;
    std::memcpy(&u, s.data() + at, 4);
    return static_cast<std::int32_t>(ntohl(u));
}

// Request header v1: api_key int16, api_version int16, correlation_id int32,
// client_id nullable string (int16 length + bytes); then `body`; all behind an int32 size.
std::string request(std::int16_t key, std::int16_t version, std::int32_t correlation,
                    const std::string& body, bool flexible_header = false) {
    std::string r;
    put16(r, key);
    put16(r, version);
    put32(r, correlation);
    put16(r, 10);
    r += "brook-test";
    if (flexible_header) r.push_back('\0');  // header v2: empty tagged fields
    r += body;
    std::string framed;
    put32(framed, static_cast<std::int32_t>(r.size()));
    return framed + r;
}

class bad_input_test : public cluster_test {
protected:
    // The broker survived and still serves a normal client.
    void expect_healthy(const std::string& after) {
        EXPECT_TRUE(broker().running()) << "broker died after " << after;
        std::string err = metadata_probe(broker().bootstrap());
        EXPECT_EQ(err, "") << "librdkafka metadata failed after " << after;
        auto k = kcat({"-L", "-m", "10"}, {}, std::chrono::seconds(30));
        EXPECT_EQ(k.exit_code(), 0) << "kcat -L after " << after << ": " << k.describe();
    }
    // Something was logged since `before` bytes of log (the broker says what it rejected).
    void expect_logged_since(std::size_t before, const std::string& what) {
        EXPECT_TRUE(wait_until([&] { return broker().log().size() > before; }, std::chrono::seconds(5)))
            << "broker log says nothing about " << what;
    }
};

TEST_F(bad_input_test, broker_survives_malformed_and_unsupported_requests) {
    start_broker(1, {}, {"socket.request.max.bytes=1048576"});
    auto& b = broker();
    bool closed = false;

    {  // (a) frame larger than socket.request.max.bytes: the broker must not try to buffer it.
        auto before = b.log().size();
        raw_connection c(b.port());
        ASSERT_TRUE(c.connected());
        std::string frame;
        put32(frame, 1048576 + 1);
        frame += std::string(1024, 'x');
        c.send(frame);
        EXPECT_TRUE(c.peer_closed()) << "oversized frame: connection left open";
        expect_logged_since(before, "oversized frame");
        expect_healthy("oversized frame");
    }
    {  // (a') negative size field
        raw_connection c(b.port());
        std::string frame;
        put32(frame, -1);
        c.send(frame + "abcd");
        EXPECT_TRUE(c.peer_closed()) << "negative frame size: connection left open";
        expect_healthy("negative frame size");
    }
    {  // (b) unknown api key 999: Kafka closes the connection; an error response is acceptable.
        auto before = b.log().size();
        raw_connection c(b.port());
        c.send(request(999, 0, 4242, ""));
        auto frame = c.read_frame(std::chrono::seconds(5), &closed);
        if (frame) {
            ASSERT_GE(frame->size(), 4u);
            EXPECT_EQ(get32(*frame, 0), 4242) << "response to api key 999 with wrong correlation id";
        } else {
            EXPECT_TRUE(closed || c.peer_closed()) << "api key 999: neither answered nor closed";
        }
        expect_logged_since(before, "api key 999");
        EXPECT_NE(b.log().find("999", before), std::string::npos) << "log does not name api key 999";
        expect_healthy("api key 999");
    }
    {  // (c) Metadata (key 3) version 99: UNSUPPORTED_VERSION (35) answer or a close.
        auto before = b.log().size();
        raw_connection c(b.port());
        c.send(request(3, 99, 77, std::string(4, '\0')));
        auto frame = c.read_frame(std::chrono::seconds(5), &closed);
        if (frame) {
            ASSERT_GE(frame->size(), 4u);
            EXPECT_EQ(get32(*frame, 0), 77);
            EXPECT_NE(frame->find(std::string("\0\x23", 2)), std::string::npos)
                << "answer to Metadata v99 carries no error 35";
        } else {
            EXPECT_TRUE(closed || c.peer_closed()) << "Metadata v99: neither answered nor closed";
        }
        expect_logged_since(before, "Metadata v99");
        expect_healthy("Metadata v99");
    }
    {  // (d) ApiVersions v3 from a newer client: a v0-format body {error 35, ranges}, connection open.
        raw_connection c(b.port());
        // Body v3: client_software_name, client_software_version (compact strings), tagged fields.
        std::string body;
        body.push_back(static_cast<char>(10 + 1));
        body += "brook-test";
        body.push_back(static_cast<char>(3 + 1));
        body += "1.0";
        body.push_back('\0');
        c.send(request(18, 3, 9001, body, /*flexible_header=*/true));
        auto frame = c.read_frame(std::chrono::seconds(5), &closed);
        ASSERT_TRUE(frame.has_value()) << "no answer to ApiVersions v3 (closed=" << closed << ")";
        // Response header v0 (correlation id only, never tagged fields for ApiVersions), then
        // error_code int16, api_keys int32 count + {api_key, min, max} int16 triples.
        ASSERT_GE(frame->size(), 10u);
        EXPECT_EQ(get32(*frame, 0), 9001);
        ASSERT_EQ(get16(*frame, 4), 35) << "ApiVersions v3 must get UNSUPPORTED_VERSION in v0 format";
        std::int32_t count = get32(*frame, 6);
        ASSERT_GE(count, 1);
        ASSERT_GE(frame->size(), 10u + 6u * static_cast<std::size_t>(count));
        std::map<int, std::pair<int, int>> ranges;
        for (int i = 0; i < count; ++i) {
            std::size_t at = 10 + 6 * static_cast<std::size_t>(i);
            ranges[get16(*frame, at)] = {get16(*frame, at + 2), get16(*frame, at + 4)};
        }
        ASSERT_TRUE(ranges.count(18)) << "ApiVersions itself missing from the ranges";
        EXPECT_EQ(ranges[18].first, 0);
        EXPECT_LT(ranges[18].second, 3);
        for (int key : {0, 1, 3}) EXPECT_TRUE(ranges.count(key)) << "api " << key << " not advertised";

        // The connection stays usable: the client retries with v0 on the same socket.
        c.send(request(18, 0, 9002, ""));
        auto retry = c.read_frame(std::chrono::seconds(5), &closed);
        ASSERT_TRUE(retry.has_value()) << "connection closed after ApiVersions v3";
        EXPECT_EQ(get32(*retry, 0), 9002);
        EXPECT_EQ(get16(*retry, 4), 0);
        expect_healthy("ApiVersions v3");
    }
    {  // (e) garbage: random bytes behind a plausible size, then an HTTP request line.
        auto before = b.log().size();
        std::mt19937 rng(12345);
        for (int round = 0; round < 5; ++round) {
            raw_connection c(b.port());
            std::string junk;
            put32(junk, 64);
            for (int i = 0; i < 64; ++i) junk.push_back(static_cast<char>(rng()));
            c.send(junk);
            c.peer_closed(std::chrono::milliseconds(500));  // closing or answering are both fine
        }
        {
            raw_connection c(b.port());
            c.send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");  // size field 0x47455420: too big
            EXPECT_TRUE(c.peer_closed()) << "HTTP request: connection left open";
        }
        expect_logged_since(before, "garbage");
        expect_healthy("garbage");
    }
    {  // Half a frame, then the client goes away: nothing to answer, nothing must break.
        raw_connection c(b.port());
        std::string half;
        put32(half, 100);
        c.send(half + "abc");
    }
    expect_healthy("truncated frame");
    auto s = b.stop();
    EXPECT_TRUE(s.success()) << s.to_string();
}

}  // namespace
}  // namespace integration
