#pragma once

#include <stdexcept>
#include <string>

namespace protocol::wire {

/// Thrown by wire::reader (and generated decoders) on truncated or invalid input. It never crosses
/// a library API: entry points (request decoding, the client) catch it and return an error value.
class decode_error : public std::runtime_error {
public:
    explicit decode_error(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace protocol::wire
