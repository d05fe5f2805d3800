#pragma once

#include <cstddef>
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "protocol/record_set.h"
#include "protocol/wire/decode_error.h"

namespace protocol::wire {

/// Big-endian cursor over one Kafka message (request or response body, headers included).
/// Owned by whoever decodes; not thread-safe. It never owns the bytes: `owner` (optional) is copied
/// into every record_set it decodes so those views keep the frame buffer alive.
/// Every length or count is checked against remaining() before anything is allocated, so a garbage
/// int32 count cannot make us allocate gigabytes.
///
/// Encodings (Kafka's protocol guide, Type.java):
///   INT8..INT64, UINT16, UINT32, FLOAT64  fixed width, big-endian
///   UNSIGNED_VARINT  7 bits per byte, low groups first, high bit = more (at most 5 bytes for 32 bit)
///   VARINT/VARLONG   zig-zag of the signed value, then as unsigned varint
///   STRING           int16 length + UTF-8;      NULLABLE_STRING: length -1 = null
///   COMPACT_STRING   uvarint(length + 1);       0 = null (COMPACT_NULLABLE_STRING)
///   BYTES            int32 length + bytes;      NULLABLE_BYTES: -1 = null
///   COMPACT_BYTES    uvarint(length + 1);       0 = null
///   ARRAY            int32 count (-1 = null);   COMPACT_ARRAY: uvarint(count + 1), 0 = null
class reader {
public:
    explicit reader(std::span<const uint8_t> bytes, std::shared_ptr<const void> owner = {})
        : data_(bytes), owner_(std::move(owner)) {}

    int8_t read_int8();
    int16_t read_int16();
    int32_t read_int32();
    int64_t read_int64();
    uint16_t read_uint16();
    uint32_t read_uint32();
    double read_float64();
    bool read_bool();
    uint32_t read_uvarint();
    int32_t read_varint();
    int64_t read_varlong();

    std::string read_string();
    std::optional<std::string> read_nullable_string();
    std::string read_compact_string();
    std::optional<std::string> read_compact_nullable_string();

    std::vector<uint8_t> read_bytes();
    std::optional<std::vector<uint8_t>> read_nullable_bytes();
    std::vector<uint8_t> read_compact_bytes();
    std::optional<std::vector<uint8_t>> read_compact_nullable_bytes();

    /// `records` field: NULLABLE_BYTES (flexible = false) or COMPACT_NULLABLE_BYTES. The result is a
    /// view into this reader's buffer (no copy), kept alive by the owner given at construction.
    record_set read_records(bool flexible);

    std::array<uint8_t, 16> read_uuid();

    /// Array count: int32 (flexible = false) or uvarint(n+1). -1 / 0 mean null and are returned as
    /// -1. A count larger than remaining() / min_element_size throws.
    int32_t read_array_count(bool flexible, size_t min_element_size = 1);

    /// A view of the next n bytes, no copy.
    std::span<const uint8_t> read_raw(size_t n);

    size_t remaining() const { return data_.size() - pos_; }
    size_t position() const { return pos_; }
    const std::shared_ptr<const void>& owner() const { return owner_; }

private:
    const uint8_t* take(size_t n);
    size_t checked_length(int64_t n);

    std::span<const uint8_t> data_;
    size_t pos_ = 0;
    std::shared_ptr<const void> owner_;
};

}  // namespace protocol::wire
