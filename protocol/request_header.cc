#include "protocol/request_header.h"

#include "protocol/api_registry.h"

namespace protocol {

request_header decode_request_header(wire::reader& r) {
    request_header h;
    h.api_key = r.read_int16();
    h.api_version = r.read_int16();
    h.correlation_id = r.read_int32();
    h.client_id = r.read_nullable_string();
    if (request_header_version(h.api_key, h.api_version) >= 2) {
        wire::read_unknown_tags(r, h.unknown_tags);
    }
    return h;
}

void encode_request_header(wire::writer& w, const request_header& h) {
    w.write_int16(h.api_key);
    w.write_int16(h.api_version);
    w.write_int32(h.correlation_id);
    w.write_nullable_string(h.client_id);
    if (request_header_version(h.api_key, h.api_version) >= 2) {
        wire::write_unknown_tags(w, h.unknown_tags);
    }
}

void encode_response_header(wire::writer& w, int32_t correlation_id, int header_version) {
    w.write_int32(correlation_id);
    if (header_version >= 1) w.write_uvarint(0);  // empty tagged-field section
}

int32_t decode_response_header(wire::reader& r, int header_version) {
    int32_t id = r.read_int32();
    if (header_version >= 1) {
        tagged_fields ignored;
        wire::read_unknown_tags(r, ignored);
    }
    return id;
}

}  // namespace protocol
