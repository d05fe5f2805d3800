#include "broker/request_dispatcher.h"

#include <spdlog/spdlog.h>

#include "broker/handlers/handlers.h"
#include "protocol/api_registry.h"
#include "protocol/request_header.h"
#include "protocol/wire/decode_error.h"
#include "protocol/wire/reader.h"

namespace broker {
namespace asio = boost::asio;

namespace {
constexpr int16_t api_versions_key = 18;
constexpr int16_t join_group_key = 11;
// A client that connects in the moment between the listener opening and the controller's first
// UpdateMetadata waits at most this long before being answered from an empty cache.
constexpr std::chrono::milliseconds metadata_wait{15000};

// LeaderAndIsr, StopReplica, UpdateMetadata, ControlledShutdown: the controller's own requests,
// which bring the metadata and so must never wait for it.
bool is_inter_broker(int16_t key) { return key >= 4 && key <= 7; }
}

asio::awaitable<dispatch_result> request_dispatcher::dispatch(std::span<uint8_t> frame, const std::string& peer,
                                                              protocol::wire::writer& out) {
    protocol::wire::reader in(frame);
    protocol::request_header header;
    try {
        header = protocol::decode_request_header(in);
    } catch (const protocol::wire::decode_error& e) {
        spdlog::warn("malformed request header from {}: {}", peer, e.what());
        co_return dispatch_result::close;
    }

    const auto* api = protocol::find_api(header.api_key);
    auto handler = handlers::find(header.api_key);
    if (api == nullptr || handler == nullptr) {
        // Kafka cannot answer an API it does not know (there is no response schema to use).
        spdlog::warn("unknown api key {} (version {}) from {} (client {}); closing", header.api_key,
                     header.api_version, peer, header.client_id.value_or(""));
        co_return dispatch_result::close;
    }
    if (header.api_version < api->min_version || header.api_version > api->max_version) {
        if (header.api_key == api_versions_key) {
            // KIP-511: an ApiVersions request newer than ours gets a v0 body with
            // UNSUPPORTED_VERSION and our ranges, so the client retries with a version we know.
            // The body (possibly in a newer format) is not parsed.
            protocol::encode_response_header(out, header.correlation_id, 0);
            handlers::write_api_versions_unsupported(out);
            co_return dispatch_result::respond;
        }
        spdlog::warn("unsupported version {} of {} from {} (client {}); supported {}-{}; closing",
                     header.api_version, api->name, peer, header.client_id.value_or(""), api->min_version,
                     api->max_version);
        co_return dispatch_result::close;
    }

    if (!is_inter_broker(header.api_key) && header.api_key != api_versions_key) {
        co_await handlers_.await_metadata(metadata_wait);
    }
    protocol::encode_response_header(out, header.correlation_id,
                                     protocol::response_header_version(header.api_key, header.api_version));
    // JoinGroup records the member's host; "host:port" -> host (IPv6 keeps its colons). Only
    // for that API: produce and fetch pay nothing for it.
    if (header.api_key == join_group_key) set_current_client_host(peer.substr(0, peer.rfind(':')));
    try {
        co_return co_await (handlers_.*handler)(header, in, out);
    } catch (const protocol::wire::decode_error& e) {
        spdlog::warn("malformed {} v{} request from {} (client {}): {}; closing", api->name, header.api_version,
                     peer, header.client_id.value_or(""), e.what());
        co_return dispatch_result::close;
    }
}

}  // namespace broker
