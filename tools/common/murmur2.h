#pragma once

#include <cstdint>
#include <span>

namespace tools {

/// Kafka's Utils.murmur2: 32-bit MurmurHash2 with seed 0x9747b28c over the key bytes, as the
/// Java client's default partitioner computes it (signed 32-bit result, like Java's int).
int32_t murmur2(std::span<const uint8_t> data);

/// Kafka's Utils.toPositive: clears the sign bit (not abs(): Integer.MIN_VALUE maps to 0).
constexpr int32_t to_positive(int32_t x) { return x & 0x7fffffff; }

/// The Java client's DefaultPartitioner for a keyed record:
/// toPositive(murmur2(key)) % num_partitions. num_partitions must be > 0.
int32_t partition_for_key(std::span<const uint8_t> key, int32_t num_partitions);

}  // namespace tools
