#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace protocol {

/// Splits a byte stream into Kafka frames: `int32 size | size bytes of payload`. Stateless; the
/// connection calls it on the unconsumed bytes it has buffered.
struct frame_status {
    enum kind_t {
        need_more,  // fewer than 4 bytes, or the payload is not complete yet
        frame,      // a complete frame: payload is bytes[4, 4 + size)
        too_large,  // size > max_frame_size (socket.request.max.bytes): close the connection
        bad_size,   // negative size: close the connection
    };
    kind_t kind = need_more;
    int32_t size = 0;  // the declared payload size, once 4 bytes are there

    /// Bytes a complete frame occupies (prefix included); valid for kind == frame.
    size_t total() const { return 4 + static_cast<size_t>(size); }
};

/// Default socket.request.max.bytes (Kafka: 100 MiB).
inline constexpr int32_t default_max_frame_size = 104857600;

/// too_large / bad_size are reported as soon as the 4 size bytes are there, without waiting for
/// the payload.
frame_status split_frame(std::span<const uint8_t> bytes, int32_t max_frame_size = default_max_frame_size);

}  // namespace protocol
