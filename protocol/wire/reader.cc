#include "protocol/wire/reader.h"

#include <cstring>
#include <limits>

#include <fmt/format.h>

namespace protocol::wire {

const uint8_t* reader::take(size_t n) {
    if (n > remaining()) {
        throw decode_error(
          fmt::format("truncated input: need {} bytes at position {}, have {}", n, pos_, remaining()));
    }
    const uint8_t* p = data_.data() + pos_;
    pos_ += n;
    return p;
}

size_t reader::checked_length(int64_t n) {
    if (n < 0 || static_cast<uint64_t>(n) > remaining()) {
        throw decode_error(
          fmt::format("invalid length {} at position {} ({} bytes remain)", n, pos_, remaining()));
    }
    return static_cast<size_t>(n);
}

namespace {
template <class U>
U load_be(const uint8_t* p) {
    U v = 0;
    for (size_t i = 0; i < sizeof(U); ++i) v = static_cast<U>((v << 8) | p[i]);
    return v;
}
}  // namespace

int8_t reader::read_int8() { return static_cast<int8_t>(*take(1)); }
int16_t reader::read_int16() { return static_cast<int16_t>(load_be<uint16_t>(take(2))); }
int32_t reader::read_int32() { return static_cast<int32_t>(load_be<uint32_t>(take(4))); }
int64_t reader::read_int64() { return static_cast<int64_t>(load_be<uint64_t>(take(8))); }
uint16_t reader::read_uint16() { return load_be<uint16_t>(take(2)); }
uint32_t reader::read_uint32() { return load_be<uint32_t>(take(4)); }

double reader::read_float64() {
    uint64_t bits = load_be<uint64_t>(take(8));
    double d;
    std::memcpy(&d, &bits, sizeof d);
    return d;
}

bool reader::read_bool() { return *take(1) != 0; }

uint32_t reader::read_uvarint() {
    uint32_t value = 0;
    for (int shift = 0; shift <= 28; shift += 7) {
        uint8_t b = *take(1);
        if (shift == 28 && (b & 0xf0) != 0) throw decode_error("uvarint overflows 32 bits");
        value |= static_cast<uint32_t>(b & 0x7f) << shift;
        if ((b & 0x80) == 0) return value;
    }
    throw decode_error("uvarint longer than 5 bytes");
}

int32_t reader::read_varint() {
    uint32_t u = read_uvarint();
    return static_cast<int32_t>((u >> 1) ^ (~(u & 1) + 1));
}

int64_t reader::read_varlong() {
    uint64_t u = 0;
    for (int shift = 0; shift <= 63; shift += 7) {
        uint8_t b = *take(1);
        if (shift == 63 && (b & 0xfe) != 0) throw decode_error("varlong overflows 64 bits");
        u |= static_cast<uint64_t>(b & 0x7f) << shift;
        if ((b & 0x80) == 0) return static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1));
    }
    throw decode_error("varlong longer than 10 bytes");
}

std::string reader::read_string() {
    auto s = read_nullable_string();
    if (!s) throw decode_error("null in a non-nullable string");
    return std::move(*s);
}

std::optional<std::string> reader::read_nullable_string() {
    int16_t n = read_int16();
    if (n == -1) return std::nullopt;
    size_t len = checked_length(n);
    const uint8_t* p = take(len);
    return std::string(reinterpret_cast<const char*>(p), len);
}

std::string reader::read_compact_string() {
    auto s = read_compact_nullable_string();
    if (!s) throw decode_error("null in a non-nullable compact string");
    return std::move(*s);
}

std::optional<std::string> reader::read_compact_nullable_string() {
    uint32_t n = read_uvarint();
    if (n == 0) return std::nullopt;
    size_t len = checked_length(static_cast<int64_t>(n) - 1);
    const uint8_t* p = take(len);
    return std::string(reinterpret_cast<const char*>(p), len);
}

std::vector<uint8_t> reader::read_bytes() {
    auto b = read_nullable_bytes();
    if (!b) throw decode_error("null in non-nullable bytes");
    return std::move(*b);
}

std::optional<std::vector<uint8_t>> reader::read_nullable_bytes() {
    int32_t n = read_int32();
    if (n == -1) return std::nullopt;
    size_t len = checked_length(n);
    const uint8_t* p = take(len);
    return std::vector<uint8_t>(p, p + len);
}

std::vector<uint8_t> reader::read_compact_bytes() {
    auto b = read_compact_nullable_bytes();
    if (!b) throw decode_error("null in non-nullable compact bytes");
    return std::move(*b);
}

std::optional<std::vector<uint8_t>> reader::read_compact_nullable_bytes() {
    uint32_t n = read_uvarint();
    if (n == 0) return std::nullopt;
    size_t len = checked_length(static_cast<int64_t>(n) - 1);
    const uint8_t* p = take(len);
    return std::vector<uint8_t>(p, p + len);
}

record_set reader::read_records(bool flexible) {
    int64_t n;
    if (flexible) {
        n = static_cast<int64_t>(read_uvarint()) - 1;
    } else {
        n = read_int32();
    }
    if (n == -1) return record_set{};
    size_t len = checked_length(n);
    return record_set::view(std::span<const uint8_t>(take(len), len), owner_);
}

std::array<uint8_t, 16> reader::read_uuid() {
    std::array<uint8_t, 16> id;
    std::memcpy(id.data(), take(16), 16);
    return id;
}

int32_t reader::read_array_count(bool flexible, size_t min_element_size) {
    int64_t n = flexible ? static_cast<int64_t>(read_uvarint()) - 1 : read_int32();
    if (n == -1) return -1;
    if (n < 0) throw decode_error(fmt::format("negative array count {}", n));
    if (min_element_size == 0) min_element_size = 1;
    if (static_cast<uint64_t>(n) > remaining() / min_element_size) {
        throw decode_error(fmt::format("array count {} exceeds the {} bytes that remain", n, remaining()));
    }
    return static_cast<int32_t>(n);
}

std::span<const uint8_t> reader::read_raw(size_t n) { return {take(n), n}; }

}  // namespace protocol::wire
