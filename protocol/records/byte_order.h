#pragma once

// Big-endian loads/stores and zig-zag varints, the two encodings record batches use.
// Header-only and allocation-free: the produce path calls these once per batch header field.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>

namespace protocol::records::detail {

inline uint16_t load_be16(const uint8_t* p) {
    uint16_t v;
    std::memcpy(&v, p, 2);
    return __builtin_bswap16(v);
}
inline uint32_t load_be32(const uint8_t* p) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return __builtin_bswap32(v);
}
inline uint64_t load_be64(const uint8_t* p) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return __builtin_bswap64(v);
}
inline void store_be16(uint8_t* p, uint16_t v) {
    v = __builtin_bswap16(v);
    std::memcpy(p, &v, 2);
}
inline void store_be32(uint8_t* p, uint32_t v) {
    v = __builtin_bswap32(v);
    std::memcpy(p, &v, 4);
}
inline void store_be64(uint8_t* p, uint64_t v) {
    v = __builtin_bswap64(v);
    std::memcpy(p, &v, 8);
}

/// Reads a zig-zag varlong (protobuf style, at most 10 bytes) from [*p, end); advances *p.
/// nullopt if the input ends first or the encoding is longer than 10 bytes.
inline std::optional<int64_t> read_varlong(const uint8_t*& p, const uint8_t* end) {
    uint64_t raw = 0;
    for (int shift = 0; shift < 70 && p < end; shift += 7) {
        uint8_t b = *p++;
        raw |= static_cast<uint64_t>(b & 0x7f) << shift;
        if ((b & 0x80) == 0) return static_cast<int64_t>((raw >> 1) ^ (~(raw & 1) + 1));
    }
    return std::nullopt;
}

/// Reads a zig-zag varint (at most 5 bytes, must fit int32).
inline std::optional<int32_t> read_varint(const uint8_t*& p, const uint8_t* end) {
    const uint8_t* start = p;
    auto v = read_varlong(p, end);
    if (!v || p - start > 5 || *v < INT32_MIN || *v > INT32_MAX) return std::nullopt;
    return static_cast<int32_t>(*v);
}

/// Writes a zig-zag varlong into out (needs up to 10 bytes); returns bytes written.
inline size_t write_varlong(uint8_t* out, int64_t v) {
    uint64_t raw = (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
    size_t n = 0;
    while (raw >= 0x80) {
        out[n++] = static_cast<uint8_t>(raw | 0x80);
        raw >>= 7;
    }
    out[n++] = static_cast<uint8_t>(raw);
    return n;
}

}  // namespace protocol::records::detail
