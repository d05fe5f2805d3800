#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <boost/outcome.hpp>

#include "protocol/decode.h"
#include "protocol/messages/api_versions.h"
#include "protocol/wire/writer.h"

namespace protocol::client {

template <class T>
using result = boost::outcome_v2::std_result<T>;

/// Failures of the blocking client (Kafka error codes inside responses are NOT errors here: they
/// are returned to the caller in the decoded response).
enum class errc {
    bad_bootstrap = 1,    // "--bootstrap-server" text could not be parsed
    resolve_failed,       // host name did not resolve
    connect_failed,       // no address accepted the connection
    timed_out,            // connect or round trip exceeded the timeout
    connection_closed,    // the peer closed the connection (or it was closed locally)
    io_error,             // any other socket error
    frame_too_large,      // the response frame is larger than max_response_bytes or negative
    correlation_mismatch, // the response did not answer our request
    malformed_response,   // the response body could not be decoded
    no_common_version,    // the broker's range and ours do not overlap (or negotiate() not run)
};
const std::error_category& error_category();
inline std::error_code make_error_code(errc e) { return {static_cast<int>(e), error_category()}; }

/// One "host:port" of a bootstrap list.
struct bootstrap {
    std::string host;
    uint16_t port = 0;
    bool operator==(const bootstrap&) const = default;
};

/// Parses "h:p[,h:p...]" (spaces around entries allowed, IPv6 as "[::1]:9092"). Errors are
/// errc::bad_bootstrap; `error_text`, when given, receives a sentence naming the bad entry.
result<std::vector<bootstrap>> parse_bootstrap(std::string_view text, std::string* error_text = nullptr);

/// A blocking Kafka connection for tools and tests: one request at a time, each with the
/// connection's timeout. Owns its socket and a private io_context; use from one thread at a time.
/// Correlation ids start at 1 and increase by one per request.
class connection {
public:
    /// 100 MiB, the same as the broker's default socket.request.max.bytes.
    static constexpr int32_t max_response_bytes = 104857600;

    static result<connection> connect(const std::string& host, uint16_t port,
                                      std::chrono::milliseconds timeout);

    connection(connection&&) noexcept;
    connection& operator=(connection&&) noexcept;
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;
    ~connection();

    void set_client_id(std::optional<std::string> id) { client_id_ = std::move(id); }
    void set_timeout(std::chrono::milliseconds t) { timeout_ = t; }

    /// Sends header(key, version) + body and returns the response body (response header removed,
    /// correlation id checked).
    result<std::vector<uint8_t>> round_trip(int16_t key, int16_t version, const wire::writer& body);
    /// Sends a request that gets no response (Produce with acks = 0).
    result<void> send_only(int16_t key, int16_t version, const wire::writer& body);

    /// Typed request/response. Record sets in the response own their bytes (they view a buffer
    /// the response keeps alive).
    template <class Api>
    result<typename Api::response> send(const typename Api::request& req, int16_t version) {
        wire::writer body;
        req.encode(body, version);
        auto bytes = round_trip(Api::key, version, body);
        if (!bytes) return bytes.error();
        auto owner = std::make_shared<const std::vector<uint8_t>>(std::move(bytes.value()));
        auto decoded = decode_message<typename Api::response>(*owner, version, owner);
        if (!decoded) return make_error_code(errc::malformed_response);
        return std::move(decoded.value());
    }

    /// ApiVersions: tries v2, falls back to v0 when the broker answers UNSUPPORTED_VERSION (or in
    /// a format v2 cannot read), and records the broker's ranges. Returns the response used.
    result<api_versions_response> negotiate();

    /// The broker's advertised range for key, once negotiate() ran.
    std::optional<std::pair<int16_t, int16_t>> broker_range(int16_t key) const;

    /// Highest version in [Api::min_version, Api::max_version] ∩ the broker's range; -1 if none.
    template <class Api>
    int16_t pick_version() const {
        auto r = broker_range(Api::key);
        if (!r) return -1;
        int16_t hi = std::min<int16_t>(Api::max_version, r->second);
        int16_t lo = std::max<int16_t>(Api::min_version, r->first);
        return hi >= lo ? hi : int16_t{-1};
    }

    int32_t next_correlation_id() const { return next_correlation_id_; }
    void close();

private:
    struct impl;
    explicit connection(std::unique_ptr<impl> p, std::chrono::milliseconds timeout);
    result<int32_t> write_request(int16_t key, int16_t version, const wire::writer& body);

    std::unique_ptr<impl> impl_;
    std::chrono::milliseconds timeout_;
    std::optional<std::string> client_id_ = std::string("brook");
    int32_t next_correlation_id_ = 1;
    std::map<int16_t, std::pair<int16_t, int16_t>> ranges_;
};

}  // namespace protocol::client

template <>
struct std::is_error_code_enum<protocol::client::errc> : std::true_type {};
