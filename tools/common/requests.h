#pragma once

#include <optional>
#include <string>
#include <vector>

#include "protocol/messages/metadata.h"

namespace tools {

/// A Metadata request (v1+ semantics): `topics` nullopt asks for every topic, a list for those.
protocol::metadata_request metadata_request_for(std::optional<std::vector<std::string>> topics,
                                                bool allow_auto_topic_creation);

}  // namespace tools
