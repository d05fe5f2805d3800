#include "protocol/records/crc32c.h"

#include <array>
#include <cstring>

namespace protocol::records {

namespace {

constexpr uint32_t poly = 0x82F63B78u;  // Castagnoli, bit-reversed

// tables[k][b]: CRC of byte b followed by k zero bytes; slicing-by-8 folds 8 bytes per step.
constexpr std::array<std::array<uint32_t, 256>, 8> make_tables() {
    std::array<std::array<uint32_t, 256>, 8> t{};
    for (uint32_t i = 0; i < 256; ++i) {
        uint32_t c = i;
        for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ poly : c >> 1;
        t[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; ++i) {
        for (size_t k = 1; k < 8; ++k) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xff];
    }
    return t;
}

constexpr auto tables = make_tables();

// Evaluated during static initialisation, possibly before libgcc's own CPU probe has run.
const bool hardware = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("sse4.2") != 0;
}();

}  // namespace

namespace detail {

uint32_t crc32c_table(std::span<const uint8_t> data, uint32_t crc) {
    uint32_t c = ~crc;
    const uint8_t* p = data.data();
    size_t n = data.size();
    while (n >= 8) {
        uint32_t lo;
        uint32_t hi;
        std::memcpy(&lo, p, 4);  // little-endian host assumed (x86-64 only target)
        std::memcpy(&hi, p + 4, 4);
        lo ^= c;
        c = tables[7][lo & 0xff] ^ tables[6][(lo >> 8) & 0xff] ^ tables[5][(lo >> 16) & 0xff] ^
            tables[4][lo >> 24] ^ tables[3][hi & 0xff] ^ tables[2][(hi >> 8) & 0xff] ^
            tables[1][(hi >> 16) & 0xff] ^ tables[0][hi >> 24];
        p += 8;
        n -= 8;
    }
    while (n--) c = (c >> 8) ^ tables[0][(c ^ *p++) & 0xff];
    return ~c;
}

__attribute__((target("sse4.2"))) uint32_t crc32c_sse42(std::span<const uint8_t> data,
                                                         uint32_t crc) {
    uint64_t c = ~crc;
    const uint8_t* p = data.data();
    size_t n = data.size();
    while (n >= 8) {
        uint64_t v;
        std::memcpy(&v, p, 8);
        c = __builtin_ia32_crc32di(c, v);
        p += 8;
        n -= 8;
    }
    uint32_t c32 = static_cast<uint32_t>(c);
    while (n--) c32 = __builtin_ia32_crc32qi(c32, *p++);
    return ~c32;
}

bool crc32c_hardware_available() { return hardware; }

}  // namespace detail

uint32_t crc32c(std::span<const uint8_t> data, uint32_t crc) {
    return hardware ? detail::crc32c_sse42(data, crc) : detail::crc32c_table(data, crc);
}

}  // namespace protocol::records
