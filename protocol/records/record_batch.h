#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <system_error>
#include <type_traits>

namespace protocol::records {

/// Record batch v2 (magic 2), all integers big-endian (Kafka DefaultRecordBatch.java):
///
///   offset size field                  notes
///   0      8    base_offset            client sends 0, broker overwrites (outside the CRC)
///   8      4    batch_length           bytes after this field = batch size - 12
///   12     4    partition_leader_epoch broker overwrites (outside the CRC)
///   16     1    magic                  2
///   17     4    crc                    CRC-32C over bytes [21, end)
///   21     2    attributes             bits 0-2 codec, 3 timestamp type (1 = LogAppendTime),
///                                      4 transactional, 5 control
///   23     4    last_offset_delta      records_count - 1 for client batches
///   27     8    first_timestamp
///   35     8    max_timestamp
///   43     8    producer_id            -1 when not idempotent
///   51     2    producer_epoch         -1 when not idempotent
///   53     4    base_sequence          -1 when not idempotent
///   57     4    records_count
///   61     ...  records                one compressed blob when codec != none
inline constexpr size_t batch_header_size = 61;
/// base_offset + batch_length: the part of the header not counted by batch_length.
inline constexpr size_t batch_log_overhead = 12;
inline constexpr size_t crc_offset = 17;
inline constexpr size_t crc_covered_from = 21;
inline constexpr int8_t current_magic = 2;

enum class compression : uint8_t { none = 0, gzip = 1, snappy = 2, lz4 = 3, zstd = 4 };
enum class timestamp_type : uint8_t { create_time = 0, log_append_time = 1 };

/// Why a batch (or a buffer of batches) was rejected. Values start at 1: 0 is success.
enum class batch_error {
    truncated = 1,     // buffer ends before the header or before batch_length says
    bad_length,        // batch_length smaller than the header
    bad_magic,         // magic != 2
    bad_crc,           // CRC-32C mismatch
    bad_record_count,  // records_count < 0, or last_offset_delta + 1 != records_count (client)
    bad_records,       // uncompressed records do not exactly fill the batch
    bad_compression,   // codec bits 5-7 (undefined codecs)
};

const std::error_category& batch_error_category() noexcept;
inline std::error_code make_error_code(batch_error e) noexcept {
    return {static_cast<int>(e), batch_error_category()};
}

/// Read-only view of one batch's header over bytes owned by someone else (a produce request
/// buffer, a segment read). The span must hold at least the 61-byte header (asserted); it may
/// hold the whole batch. Trivially copyable; same thread rules as the bytes it views.
class batch_view {
public:
    explicit batch_view(std::span<const uint8_t> bytes);

    int64_t base_offset() const;
    int32_t batch_length() const;
    /// Whole batch size on disk / on the wire: batch_length + 12.
    size_t size_bytes() const { return static_cast<size_t>(batch_length()) + batch_log_overhead; }
    int32_t partition_leader_epoch() const;
    int8_t magic() const;
    uint32_t crc() const;
    int16_t attributes() const;
    compression codec() const { return static_cast<compression>(attributes() & 0x07); }
    timestamp_type ts_type() const {
        return (attributes() & 0x08) ? timestamp_type::log_append_time : timestamp_type::create_time;
    }
    bool is_transactional() const { return (attributes() & 0x10) != 0; }
    bool is_control() const { return (attributes() & 0x20) != 0; }
    int32_t last_offset_delta() const;
    int64_t first_timestamp() const;
    int64_t max_timestamp() const;
    int64_t producer_id() const;
    int16_t producer_epoch() const;
    int32_t base_sequence() const;
    int32_t records_count() const;
    int64_t last_offset() const { return base_offset() + last_offset_delta(); }

    /// Whole batch size read from the first 12 bytes alone (base_offset + batch_length), for
    /// callers that have not read the full header yet. May be < 61 for garbage input.
    static int64_t size_from_prefix(const uint8_t* first_12_bytes);

    /// The bytes this view was made from (whole batch when made by batch_iterator).
    std::span<const uint8_t> bytes() const { return bytes_; }
    /// CRC-32C over [21, size_bytes()); requires the whole batch in bytes().
    uint32_t compute_crc() const;

protected:
    std::span<const uint8_t> bytes_;
};

/// Writable view for the in-place rewrites a broker does on append. Same ownership rules as
/// batch_view; the caller must hold the only reference to the bytes while writing.
class mutable_batch_view : public batch_view {
public:
    explicit mutable_batch_view(std::span<uint8_t> bytes);

    /// Both fields lie outside the CRC-covered range, so the CRC stays valid.
    void set_base_offset(int64_t offset);
    void set_partition_leader_epoch(int32_t epoch);
    /// LogAppendTime topics: sets attribute bit 3 and max_timestamp, then recomputes the CRC
    /// (one extra CRC pass; requires the whole batch in the span).
    void set_log_append_time(int64_t now_ms);

    std::span<uint8_t> mutable_bytes() const { return mutable_; }

private:
    std::span<uint8_t> mutable_;
};

enum class validation_mode {
    /// Produce requests: also requires records_count > 0 and last_offset_delta + 1 == count.
    client,
    /// Stored batches (recovery, replication): compaction may leave records_count smaller than
    /// last_offset_delta + 1, so only records_count >= 0 is required.
    stored,
};

/// Validates the batch starting at bytes[0] (bytes may continue past it): sizes, magic, CRC,
/// counts, and for uncompressed batches that the record lengths exactly fill the batch (a varint
/// walk, no allocation). Compressed batches are checked at header level only.
std::error_code validate_batch(std::span<const uint8_t> bytes,
                               validation_mode mode = validation_mode::client);

/// Splits a buffer of concatenated batches by their length fields only (no CRC: callers
/// validate what they need). Stops at the end of the buffer or at the first batch that is cut
/// off or has an impossible length; tail_error() then says why and position() where.
/// Used by recovery (torn tail of a segment) and by fetch (partial batch at the end of a read).
class batch_iterator {
public:
    explicit batch_iterator(std::span<const uint8_t> buffer) : buffer_(buffer) {}

    /// The next whole batch (view spans exactly size_bytes()), or nullopt when done.
    std::optional<batch_view> next();
    /// Bytes covered by the whole batches returned so far.
    size_t position() const { return position_; }
    /// True when every byte of the buffer belonged to a whole batch.
    bool at_end() const { return position_ == buffer_.size(); }
    /// Empty at a clean end; batch_error::truncated / bad_length when a tail was left over.
    std::error_code tail_error() const { return tail_error_; }

private:
    std::span<const uint8_t> buffer_;
    size_t position_ = 0;
    std::error_code tail_error_;
};

/// Calls fn(batch_view) for each whole batch; returns the tail error (empty if the buffer ends
/// exactly at a batch boundary).
template <class Fn>
std::error_code for_each_batch(std::span<const uint8_t> buffer, Fn&& fn) {
    batch_iterator it(buffer);
    while (auto b = it.next()) fn(*b);
    return it.tail_error();
}

}  // namespace protocol::records

template <>
struct std::is_error_code_enum<protocol::records::batch_error> : std::true_type {};
