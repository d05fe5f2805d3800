#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace protocol::records {

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of record batch v2.
/// `crc` is the value returned for the preceding bytes, so crc32c(b, crc32c(a)) == crc32c(a ++ b).
/// Uses the SSE4.2 crc32 instruction when the CPU has it (checked once at startup), else a
/// slicing-by-8 table. Pure function, any thread.
uint32_t crc32c(std::span<const uint8_t> data, uint32_t crc = 0);

namespace detail {
// Both implementations, exposed so tests can check each against the same vectors.
uint32_t crc32c_table(std::span<const uint8_t> data, uint32_t crc);
uint32_t crc32c_sse42(std::span<const uint8_t> data, uint32_t crc);
bool crc32c_hardware_available();
}  // namespace detail

}  // namespace protocol::records
