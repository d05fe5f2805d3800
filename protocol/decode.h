#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "protocol/errc.h"
#include "protocol/wire/decode_error.h"
#include "protocol/wire/reader.h"

namespace protocol {

/// The entry point that turns wire::decode_error into a value: decodes a whole message body of
/// `version` from `bytes` (which must contain exactly that body). Record sets in the result view
/// `bytes`, kept alive by `owner` when given.
template <class Message>
result<Message> decode_message(std::span<const uint8_t> bytes, int16_t version,
                               std::shared_ptr<const void> owner = {}) {
    Message m;
    wire::reader r(bytes, std::move(owner));
    try {
        m.decode(r, version);
    } catch (const wire::decode_error&) {
        return make_error_code(errc::malformed_message);
    }
    if (r.remaining() != 0) return make_error_code(errc::trailing_bytes);
    return m;
}

}  // namespace protocol
