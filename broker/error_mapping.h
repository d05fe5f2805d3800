#pragma once

#include <system_error>

#include "protocol/errors.h"

namespace broker {

/// The one place where internal error codes (storage::errc, coordination::errc) become Kafka error
/// codes for responses. Unknown categories map to UNKNOWN_SERVER_ERROR.
protocol::error_code to_kafka_error(const std::error_code& ec);

}  // namespace broker
