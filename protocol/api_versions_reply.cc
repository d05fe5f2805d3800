#include "protocol/api_versions_reply.h"

#include "protocol/api_registry.h"

namespace protocol {

api_versions_response advertised_api_versions(error_code ec) {
    api_versions_response r;
    r.error_code = to_wire(ec);
    r.api_keys.reserve(api_table.size());
    for (const auto& a : api_table) r.api_keys.push_back({a.key, a.min_version, a.max_version, {}});
    return r;
}

int16_t encode_api_versions_reply(wire::writer& w, int16_t request_version) {
    if (is_supported(api_versions_key, request_version)) {
        advertised_api_versions().encode(w, request_version);
        return request_version;
    }
    advertised_api_versions(error_code::unsupported_version).encode(w, 0);
    return 0;
}

}  // namespace protocol
