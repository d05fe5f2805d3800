#pragma once

#include "protocol/client/client.h"
#include "protocol/messages/metadata.h"
#include "tools/common/args.h"
#include "tools/common/cli_result.h"

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tools {

/// "host:port", IPv6 hosts in brackets.
std::string to_string(const endpoint& e);

/// The connections a tool keeps to a cluster: one to the first reachable bootstrap server and one
/// per broker id it was asked for, resolved through the last Metadata answer (host/port of that
/// broker). Every connection is negotiated (ApiVersions) before use. Blocking; one thread.
class broker_pool {
public:
    struct timeouts {
        std::chrono::milliseconds connect{10'000};
        /// Applied to every request (the client's round-trip timeout).
        std::chrono::milliseconds request{30'000};
    };

    broker_pool(std::vector<endpoint> bootstrap, std::string client_id, timeouts t);

    /// The bootstrap connection (first reachable server), connected on first use.
    cli_result<protocol::client::connection*> any();
    /// Metadata v1+ from the bootstrap connection: `topics` nullopt = all topics. Remembers the
    /// broker list for broker().
    cli_result<protocol::metadata_response> metadata(std::optional<std::vector<std::string>> topics,
                                                     bool allow_auto_topic_creation);
    /// Connection to broker `node_id` (from the last Metadata answer; reads Metadata first if no
    /// answer names it).
    cli_result<protocol::client::connection*> broker(int32_t node_id);
    /// Connection to an explicit address (a FindCoordinator answer), cached by node id.
    cli_result<protocol::client::connection*> broker(int32_t node_id, const endpoint& where);
    /// Drops a broker's connection (after a transport failure or a leader change).
    void forget(int32_t node_id);
    /// Where a broker id lives, as of the last Metadata answer.
    std::optional<endpoint> address(int32_t node_id) const;
    /// Broker ids of the last Metadata answer.
    std::vector<int32_t> broker_ids() const;
    const std::string& client_id() const { return client_id_; }

private:
    cli_result<protocol::client::connection> open(const endpoint& where);

    std::vector<endpoint> bootstrap_;
    std::string client_id_;
    timeouts timeouts_;
    std::optional<protocol::client::connection> bootstrap_conn_;
    std::optional<endpoint> bootstrap_where_;
    std::map<int32_t, protocol::client::connection> brokers_;
    std::map<int32_t, endpoint> addresses_;
    std::vector<int32_t> metadata_ids_;
};

/// "Error: <api> request to <where> failed: <reason>".
cli_error request_failed(std::string_view api, const std::string& where, std::error_code ec);

}  // namespace tools
