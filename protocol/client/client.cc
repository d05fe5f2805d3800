#include "protocol/client/client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <charconv>

#include "protocol/api_registry.h"
#include "protocol/errors.h"
#include "protocol/request_header.h"

namespace protocol::client {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

class category final : public std::error_category {
public:
    const char* name() const noexcept override { return "protocol.client"; }
    std::string message(int v) const override {
        switch (static_cast<errc>(v)) {
            case errc::bad_bootstrap: return "bad bootstrap server list";
            case errc::resolve_failed: return "host name did not resolve";
            case errc::connect_failed: return "connection refused or unreachable";
            case errc::timed_out: return "timed out";
            case errc::connection_closed: return "connection closed";
            case errc::io_error: return "socket error";
            case errc::frame_too_large: return "response frame too large or invalid";
            case errc::correlation_mismatch: return "response correlation id does not match the request";
            case errc::malformed_response: return "malformed response";
            case errc::no_common_version: return "no API version supported by both sides";
        }
        return "unknown client error " + std::to_string(v);
    }
};

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

}  // namespace

const std::error_category& error_category() {
    static const category c;
    return c;
}

result<std::vector<bootstrap>> parse_bootstrap(std::string_view text, std::string* error_text) {
    auto fail = [&](std::string why) -> result<std::vector<bootstrap>> {
        if (error_text) *error_text = std::move(why);
        return make_error_code(errc::bad_bootstrap);
    };
    std::vector<bootstrap> out;
    if (trim(text).empty()) return fail("the bootstrap server list is empty (expected host:port[,host:port])");
    size_t start = 0;
    while (start <= text.size()) {
        size_t comma = text.find(',', start);
        std::string_view entry = trim(text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
        start = comma == std::string_view::npos ? text.size() + 1 : comma + 1;
        if (entry.empty()) continue;  // Kafka's clients skip blank entries ("a:1,,b:2", "a:1,")
        std::string_view host, port;
        if (entry.front() == '[') {
            size_t close = entry.find(']');
            if (close == std::string_view::npos || close + 1 >= entry.size() || entry[close + 1] != ':') {
                return fail("'" + std::string(entry) + "' is not [ipv6]:port");
            }
            host = entry.substr(1, close - 1);
            port = entry.substr(close + 2);
        } else {
            size_t colon = entry.rfind(':');
            if (colon == std::string_view::npos) {
                return fail("'" + std::string(entry) + "' has no port (expected host:port)");
            }
            host = entry.substr(0, colon);
            port = entry.substr(colon + 1);
            if (host.find(':') != std::string_view::npos) {
                return fail("'" + std::string(entry) + "': write IPv6 addresses as [addr]:port");
            }
        }
        if (host.empty()) return fail("'" + std::string(entry) + "' has an empty host");
        unsigned value = 0;
        auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (port.empty() || ec != std::errc() || p != port.data() + port.size() || value == 0 || value > 65535) {
            return fail("'" + std::string(entry) + "' has an invalid port '" + std::string(port) + "' (1-65535)");
        }
        out.push_back({std::string(host), static_cast<uint16_t>(value)});
    }
    if (out.empty()) return fail("the bootstrap server list has no host:port");
    return out;
}

struct connection::impl {
    asio::io_context io;
    tcp::socket socket{io};

    // Runs the io_context until `done` or the timeout; on timeout the socket is closed, which
    // completes the pending operation with operation_aborted.
    std::error_code run(bool& done, std::chrono::milliseconds timeout) {
        io.restart();
        io.run_for(timeout);
        if (!done) {
            boost::system::error_code ignored;
            socket.close(ignored);
            io.restart();
            io.run();  // let the aborted handler run so nothing refers to freed state
            return make_error_code(errc::timed_out);
        }
        return {};
    }
};

namespace {
std::error_code map_io(const boost::system::error_code& ec) {
    if (ec == asio::error::eof || ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
        ec == asio::error::bad_descriptor) {
        return make_error_code(errc::connection_closed);
    }
    return make_error_code(errc::io_error);
}
}  // namespace

connection::connection(std::unique_ptr<impl> p, std::chrono::milliseconds timeout)
    : impl_(std::move(p)), timeout_(timeout) {}
connection::connection(connection&&) noexcept = default;
connection& connection::operator=(connection&&) noexcept = default;
connection::~connection() = default;

result<connection> connection::connect(const std::string& host, uint16_t port,
                                       std::chrono::milliseconds timeout) {
    auto p = std::make_unique<impl>();
    boost::system::error_code ec;
    tcp::resolver resolver(p->io);
    auto endpoints = resolver.resolve(host, std::to_string(port), ec);
    if (ec) return make_error_code(errc::resolve_failed);
    bool done = false;
    boost::system::error_code connect_ec;
    asio::async_connect(p->socket, endpoints, [&](const boost::system::error_code& e, const tcp::endpoint&) {
        connect_ec = e;
        done = true;
    });
    if (auto err = p->run(done, timeout)) return err;
    if (connect_ec) return make_error_code(errc::connect_failed);
    p->socket.set_option(tcp::no_delay(true), ec);
    return connection(std::move(p), timeout);
}

void connection::close() {
    if (!impl_) return;
    boost::system::error_code ignored;
    impl_->socket.close(ignored);
}

result<int32_t> connection::write_request(int16_t key, int16_t version, const wire::writer& body) {
    if (!impl_ || !impl_->socket.is_open()) return make_error_code(errc::connection_closed);
    request_header h;
    h.api_key = key;
    h.api_version = version;
    h.correlation_id = next_correlation_id_++;
    h.client_id = client_id_;
    wire::writer w;
    w.write_int32(0);  // size, patched below
    encode_request_header(w, h);
    std::vector<uint8_t> frame = w.to_bytes();
    std::vector<uint8_t> b = body.to_bytes();
    frame.insert(frame.end(), b.begin(), b.end());
    uint32_t size = static_cast<uint32_t>(frame.size() - 4);
    frame[0] = static_cast<uint8_t>(size >> 24);
    frame[1] = static_cast<uint8_t>(size >> 16);
    frame[2] = static_cast<uint8_t>(size >> 8);
    frame[3] = static_cast<uint8_t>(size);

    bool done = false;
    boost::system::error_code ec;
    asio::async_write(impl_->socket, asio::buffer(frame), [&](const boost::system::error_code& e, size_t) {
        ec = e;
        done = true;
    });
    if (auto err = impl_->run(done, timeout_)) return err;
    if (ec) return map_io(ec);
    return h.correlation_id;
}

result<void> connection::send_only(int16_t key, int16_t version, const wire::writer& body) {
    auto id = write_request(key, version, body);
    if (!id) return id.error();
    return boost::outcome_v2::success();
}

result<std::vector<uint8_t>> connection::round_trip(int16_t key, int16_t version, const wire::writer& body) {
    auto id = write_request(key, version, body);
    if (!id) return id.error();

    uint8_t size_bytes[4];
    bool done = false;
    boost::system::error_code ec;
    asio::async_read(impl_->socket, asio::buffer(size_bytes), [&](const boost::system::error_code& e, size_t) {
        ec = e;
        done = true;
    });
    if (auto err = impl_->run(done, timeout_)) return err;
    if (ec) return map_io(ec);
    int32_t size = static_cast<int32_t>((uint32_t{size_bytes[0]} << 24) | (uint32_t{size_bytes[1]} << 16) |
                                        (uint32_t{size_bytes[2]} << 8) | uint32_t{size_bytes[3]});
    if (size < 4 || size > max_response_bytes) {
        close();
        return make_error_code(errc::frame_too_large);
    }
    std::vector<uint8_t> payload(static_cast<size_t>(size));
    done = false;
    asio::async_read(impl_->socket, asio::buffer(payload), [&](const boost::system::error_code& e, size_t) {
        ec = e;
        done = true;
    });
    if (auto err = impl_->run(done, timeout_)) return err;
    if (ec) return map_io(ec);

    size_t header_size = 0;
    try {
        wire::reader r(payload);
        int32_t got = decode_response_header(r, response_header_version(key, version));
        if (got != id.value()) {
            close();  // the stream is out of step: nothing after this can be trusted
            return make_error_code(errc::correlation_mismatch);
        }
        header_size = r.position();
    } catch (const wire::decode_error&) {
        close();
        return make_error_code(errc::malformed_response);
    }
    payload.erase(payload.begin(), payload.begin() + static_cast<std::ptrdiff_t>(header_size));
    return payload;
}

result<api_versions_response> connection::negotiate() {
    auto record = [&](const api_versions_response& resp) {
        ranges_.clear();
        for (const auto& k : resp.api_keys) ranges_[k.api_key] = {k.min_version, k.max_version};
    };
    auto v2 = send<api_versions_api>(api_versions_request{}, 2);
    if (v2 && v2.value().error_code == to_wire(error_code::none)) {
        record(v2.value());
        return v2;
    }
    // A broker that does not know v2 answers in v0 format with UNSUPPORTED_VERSION; v2 decoding
    // may then fail (the throttle field is missing). Both cases fall back to v0.
    if (!v2 && v2.error() != make_error_code(errc::malformed_response)) return v2.error();
    auto v0 = send<api_versions_api>(api_versions_request{}, 0);
    if (!v0) return v0.error();
    if (v0.value().error_code != to_wire(error_code::none)) return make_error_code(errc::no_common_version);
    record(v0.value());
    return v0;
}

std::optional<std::pair<int16_t, int16_t>> connection::broker_range(int16_t key) const {
    auto it = ranges_.find(key);
    if (it == ranges_.end()) return std::nullopt;
    return it->second;
}

}  // namespace protocol::client
