#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "protocol/tagged_fields.h"
#include "protocol/wire/reader.h"
#include "protocol/wire/writer.h"

namespace protocol {

/// Kafka request header (after the int32 frame size), big-endian:
///   v1: int16 api_key | int16 api_version | int32 correlation_id | NULLABLE_STRING client_id
///   v2: v1 + tagged-field section (client_id keeps its int16 length even in v2)
/// Response header: v0 = int32 correlation_id; v1 = v0 + tagged-field section.
struct request_header {
    int16_t api_key = 0;
    int16_t api_version = 0;
    int32_t correlation_id = 0;
    std::optional<std::string> client_id;
    tagged_fields unknown_tags;  // v2 only

    bool operator==(const request_header&) const = default;
};

/// Reads the v1 fields, then the tagged-field section when (api_key, api_version) is flexible per
/// the registry. For an unknown key no tags are read (we cannot know the header version), so the
/// broker can still answer with an error. Throws wire::decode_error on truncated input.
request_header decode_request_header(wire::reader& r);
/// Writes v1 or v2 per the registry (v2 for flexible known versions).
void encode_request_header(wire::writer& w, const request_header& h);
/// header_version 0 or 1 (registry: response_header_version).
void encode_response_header(wire::writer& w, int32_t correlation_id, int header_version);
/// Reads a response header of the given version; returns the correlation id.
int32_t decode_response_header(wire::reader& r, int header_version);

}  // namespace protocol
