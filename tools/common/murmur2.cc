#include "tools/common/murmur2.h"

#include <cassert>

namespace tools {

int32_t murmur2(std::span<const uint8_t> data) {
    // Utils.java: m and r are MurmurHash2's mixing constants; 4-byte blocks are read
    // little-endian; Java's >>> is a logical shift, hence the unsigned arithmetic.
    constexpr uint32_t seed = 0x9747b28c;
    constexpr uint32_t m = 0x5bd1e995;
    constexpr int r = 24;
    const auto length = static_cast<uint32_t>(data.size());
    uint32_t h = seed ^ length;
    const size_t blocks = data.size() / 4;
    for (size_t i = 0; i < blocks; ++i) {
        const uint8_t* p = data.data() + i * 4;
        uint32_t k = uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 |
                     uint32_t{p[3]} << 24;
        k *= m;
        k ^= k >> r;
        k *= m;
        h *= m;
        h ^= k;
    }
    const uint8_t* tail = data.data() + blocks * 4;
    switch (data.size() % 4) {
        case 3: h ^= uint32_t{tail[2]} << 16; [[fallthrough]];
        case 2: h ^= uint32_t{tail[1]} << 8; [[fallthrough]];
        case 1:
            h ^= uint32_t{tail[0]};
            h *= m;
    }
    h ^= h >> 13;
    h *= m;
    h ^= h >> 15;
    return static_cast<int32_t>(h);
}

int32_t partition_for_key(std::span<const uint8_t> key, int32_t num_partitions) {
    assert(num_partitions > 0);
    return to_positive(murmur2(key)) % num_partitions;
}

}  // namespace tools
