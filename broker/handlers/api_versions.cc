#include "broker/handlers/handlers.h"
#include "protocol/api_registry.h"
#include "protocol/errors.h"
#include "protocol/messages/api_versions.h"

namespace broker {

namespace {
protocol::api_versions_response supported_ranges() {
    protocol::api_versions_response resp;
    for (const auto& api : protocol::supported_apis()) {
        protocol::api_versions_response::api_version v;
        v.api_key = api.key;
        v.min_version = api.min_version;
        v.max_version = api.max_version;
        resp.api_keys.push_back(v);
    }
    return resp;
}
}  // namespace

void handlers::write_api_versions_unsupported(protocol::wire::writer& out) {
    auto resp = supported_ranges();
    resp.error_code = static_cast<int16_t>(protocol::error_code::unsupported_version);
    resp.encode(out, 0);
}

boost::asio::awaitable<dispatch_result> handlers::api_versions(const protocol::request_header& h,
                                                               protocol::wire::reader& in,
                                                               protocol::wire::writer& out) {
    protocol::api_versions_request req;
    req.decode(in, h.api_version);
    auto resp = supported_ranges();
    resp.encode(out, h.api_version);
    co_return dispatch_result::respond;
}

}  // namespace broker
