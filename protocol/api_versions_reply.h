#pragma once

#include <cstdint>

#include "protocol/errors.h"
#include "protocol/messages/api_versions.h"
#include "protocol/wire/writer.h"

namespace protocol {

/// The ApiVersions response built from api_table (the one place ranges live), with `ec`.
api_versions_response advertised_api_versions(error_code ec = error_code::none);

/// Encodes the body answering an ApiVersions request of `request_version` and returns the version
/// it was encoded with. A version we advertise gets a normal answer; any other version gets what
/// Kafka sends (RequestContext / ApiVersionsRequest.getErrorResponse): a v0-format body with
/// UNSUPPORTED_VERSION and the full list, so librdkafka (which sends v3 first) and KafkaJS retry
/// with a version we serve. Never close the connection instead: librdkafka would then fall back
/// to 0.10 features. The response header is always v0 for ApiVersions.
int16_t encode_api_versions_reply(wire::writer& w, int16_t request_version);

}  // namespace protocol
