#include "tests/integration/broker_metadata.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <sstream>
#include <stdexcept>

namespace integration {
namespace {

void put16(std::string& b, std::int16_t v) {
    auto u = htons(static_cast<std::uint16_t>(v));
    b.append(reinterpret_cast<const char*>(&u), 2);
}
void put32(std::string& b, std::int32_t v) {
    auto u = htonl(static_cast<std::uint32_t>(v));
    b.append(reinterpret_cast<const char*>(&u), 4);
}
void put_string(std::string& b, const std::string& s) {
    put16(b, static_cast<std::int16_t>(s.size()));
    b += s;
}

// Big-endian reader over a response body; throws std::runtime_error past the end.
struct reader {
    const std::string& buf;
    std::size_t pos = 0;
    void need(std::size_t n) {
        if (pos + n > buf.size()) throw std::runtime_error("truncated Metadata response at byte " + std::to_string(pos));
    }
    std::int16_t i16() {
        need(2);
        std::uint16_t v;
        std::memcpy(&v, buf.data() + pos, 2);
        pos += 2;
        return static_cast<std::int16_t>(ntohs(v));
    }
    std::int32_t i32() {
        need(4);
        std::uint32_t v;
        std::memcpy(&v, buf.data() + pos, 4);
        pos += 4;
        return static_cast<std::int32_t>(ntohl(v));
    }
    bool boolean() {
        need(1);
        return buf[pos++] != 0;
    }
    std::string string() {  // nullable: -1 reads as ""
        auto n = i16();
        if (n < 0) return {};
        need(static_cast<std::size_t>(n));
        std::string s = buf.substr(pos, static_cast<std::size_t>(n));
        pos += static_cast<std::size_t>(n);
        return s;
    }
    std::vector<int> int_array() {
        auto n = i32();
        std::vector<int> out;
        for (std::int32_t i = 0; i < n; ++i) out.push_back(i32());
        return out;
    }
};

std::string join(const std::vector<int>& v) {
    std::string s;
    for (int x : v) s += (s.empty() ? "" : ",") + std::to_string(x);
    return s;
}

bool read_exact(int fd, std::size_t n, std::string& out, std::chrono::steady_clock::time_point deadline) {
    out.clear();
    char buf[65536];
    while (out.size() < n) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
        ssize_t got = ::recv(fd, buf, std::min(sizeof buf, n - out.size()), 0);
        if (got <= 0) return false;
        out.append(buf, static_cast<std::size_t>(got));
    }
    return true;
}

}  // namespace

std::vector<int> broker_metadata::broker_ids() const {
    std::vector<int> ids;
    for (const auto& b : brokers) ids.push_back(b.id);
    return ids;
}

int broker_metadata::leader(const std::string& topic, int p) const {
    auto t = topics.find(topic);
    if (t == topics.end()) return -2;
    auto it = t->second.partitions.find(p);
    return it == t->second.partitions.end() ? -2 : it->second.leader;
}

std::string broker_metadata::describe() const {
    std::ostringstream s;
    if (!ok()) s << "error: " << error << "\n";
    s << "brokers [" << join(broker_ids()) << "] controller " << controller << "\n";
    for (const auto& [name, t] : topics) {
        s << "  topic " << name << " error " << t.error << "\n";
        for (const auto& [p, part] : t.partitions) {
            s << "    " << p << " leader " << part.leader << " replicas [" << join(part.replicas)
              << "] isr [" << join(part.isr) << "] error " << part.error << "\n";
        }
    }
    return s.str();
}

broker_metadata fetch_metadata(std::uint16_t port, const std::vector<std::string>& topics,
                               std::chrono::milliseconds timeout) {
    broker_metadata md;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    // Request header v1: api_key 3, api_version 1, correlation_id, client_id; body: topics
    // array (null = all topics in v1+).
    std::string body;
    put16(body, 3);
    put16(body, 1);
    put32(body, 4242);
    put_string(body, "brook-it-metadata");
    if (topics.empty()) {
        put32(body, -1);
    } else {
        put32(body, static_cast<std::int32_t>(topics.size()));
        for (const auto& t : topics) put_string(body, t);
    }
    std::string frame;
    put32(frame, static_cast<std::int32_t>(body.size()));
    frame += body;

    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        md.error = "connect to 127.0.0.1:" + std::to_string(port) + ": " + std::strerror(errno);
        ::close(fd);
        return md;
    }
    std::string size_bytes, resp;
    if (::send(fd, frame.data(), frame.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(frame.size())) {
        md.error = "send failed";
    } else if (!read_exact(fd, 4, size_bytes, deadline)) {
        md.error = "no response (closed or timed out)";
    } else {
        std::uint32_t size;
        std::memcpy(&size, size_bytes.data(), 4);
        size = ntohl(size);
        if (size > (256u << 20) || !read_exact(fd, size, resp, deadline)) md.error = "truncated response";
    }
    ::close(fd);
    if (!md.ok()) return md;
    // Response v1: correlation_id, brokers [node_id, host, port, rack], controller_id,
    // topics [error_code, name, is_internal, partitions [error_code, index, leader,
    // replicas [int32], isr [int32]]].
    try {
        reader r{resp};
        if (r.i32() != 4242) throw std::runtime_error("wrong correlation id");
        auto nb = r.i32();
        for (std::int32_t i = 0; i < nb; ++i) {
            broker_metadata::broker b;
            b.id = r.i32();
            b.host = r.string();
            b.port = r.i32();
            r.string();  // rack
            md.brokers.push_back(b);
        }
        std::sort(md.brokers.begin(), md.brokers.end(), [](const auto& x, const auto& y) { return x.id < y.id; });
        md.controller = r.i32();
        auto nt = r.i32();
        for (std::int32_t i = 0; i < nt; ++i) {
            broker_metadata::topic t;
            t.error = r.i16();
            std::string name = r.string();
            r.boolean();  // is_internal
            auto np = r.i32();
            for (std::int32_t j = 0; j < np; ++j) {
                broker_metadata::partition p;
                p.error = r.i16();
                int index = r.i32();
                p.leader = r.i32();
                p.replicas = r.int_array();
                p.isr = r.int_array();
                t.partitions[index] = std::move(p);
            }
            md.topics[name] = std::move(t);
        }
    } catch (const std::exception& e) {
        md.error = e.what();
    }
    return md;
}

}  // namespace integration
