#pragma once

#include <system_error>

#include <boost/outcome.hpp>

namespace protocol {

template <class T>
using result = boost::outcome_v2::std_result<T>;

/// Failures of the protocol library's own APIs (not Kafka error codes: see errors.h).
enum class errc {
    malformed_message = 1,  // truncated or invalid bytes (a wire::decode_error at an entry point)
    unsupported_version,    // a version outside what the codec or the peer supports
    trailing_bytes,         // a message decoded but bytes were left over
};

const std::error_category& error_category();
inline std::error_code make_error_code(errc e) { return {static_cast<int>(e), error_category()}; }

}  // namespace protocol

template <>
struct std::is_error_code_enum<protocol::errc> : std::true_type {};
