#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <system_error>
#include <vector>

#include "protocol/records/compression.h"
#include "protocol/records/record_batch.h"

namespace protocol::records {

using bytes_view = std::span<const uint8_t>;

inline bytes_view as_bytes(std::string_view s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

struct header_input {
    std::string_view key;
    std::optional<bytes_view> value;
};

/// One record to add to a batch. The spans need only live until add() returns.
struct record_input {
    std::optional<bytes_view> key;
    std::optional<bytes_view> value;
    std::vector<header_input> headers;
    int64_t timestamp = 0;
};

/// Builds one uncompressed v2 batch (Record layout: Kafka DefaultRecord.java:
/// length varint | attributes int8 | timestamp_delta varlong | offset_delta varint |
/// key_len varint (-1 = null) | key | value_len varint (-1 = null) | value |
/// header_count varint | [key_len varint | key | value_len varint | value]*; all varints zig-zag).
/// Producer id/epoch/sequence default to -1 (not idempotent). For tests and tools: it copies.
/// Single owner, one thread.
class record_batch_builder {
public:
    explicit record_batch_builder(int64_t base_offset = 0);

    record_batch_builder& set_producer(int64_t id, int16_t epoch, int32_t base_sequence);
    record_batch_builder& set_partition_leader_epoch(int32_t epoch);
    record_batch_builder& set_transactional(bool on);
    record_batch_builder& set_control(bool on);
    /// Writes a codec into the attribute bits without compressing: only for tests that need a
    /// header-level "compressed" batch.
    record_batch_builder& set_codec_bits(compression c);
    /// build() compresses the records section with this codec (and sets the codec bits).
    record_batch_builder& set_compression(compression c, int level = -1);

    /// Appends a record with offset_delta = number of records added so far.
    record_batch_builder& add(const record_input& r);
    size_t record_count() const { return count_; }

    /// The finished batch with CRC. The builder can keep adding and build again. Throws
    /// std::system_error only if the codec library fails (out of memory).
    std::vector<uint8_t> build() const;

private:
    int64_t base_offset_;
    int32_t leader_epoch_ = -1;
    int64_t producer_id_ = -1;
    int16_t producer_epoch_ = -1;
    int32_t base_sequence_ = -1;
    int16_t attributes_ = 0;
    int64_t first_timestamp_ = 0;
    int64_t max_timestamp_ = -1;
    size_t count_ = 0;
    compression codec_ = compression::none;
    int level_ = -1;
    std::vector<uint8_t> records_;  // encoded records, appended to the header by build()
};

struct header_view {
    std::string_view key;
    std::optional<bytes_view> value;
};

/// One record; views point into the (decompressed) records bytes.
struct record_view {
    /// The whole encoded record, length varint included: copying it verbatim into a batch with
    /// the same base offset and first timestamp keeps its offset and timestamp.
    bytes_view raw;
    int8_t attributes = 0;
    int64_t timestamp_delta = 0;
    int32_t offset_delta = 0;
    std::optional<bytes_view> key;
    std::optional<bytes_view> value;
    std::vector<header_view> headers;
};

/// Iterates the records of one uncompressed batch (views over the caller's bytes, which must
/// outlive the reader). For tests and tools; the broker never parses records on the hot path.
/// One thread.
class record_reader {
public:
    explicit record_reader(batch_view batch);
    /// Over an already decompressed records section holding `count` records.
    record_reader(bytes_view records, int32_t count);

    /// Next record, nullopt at the end or on malformed input (then error() says why; also
    /// set when the batch is compressed: this reader does not decompress).
    std::optional<record_view> next();
    std::error_code error() const { return error_; }

private:
    const uint8_t* p_;
    const uint8_t* end_;
    int32_t remaining_;
    std::error_code error_;
};

/// Records of one batch of any codec: decompresses the records section once into its own
/// buffer (bounded by max_decompressed), then iterates like record_reader. Views returned by
/// next() live as long as this object. One thread.
class batch_records {
public:
    explicit batch_records(batch_view batch,
                           size_t max_decompressed = default_max_decompressed);
    batch_records(const batch_records&) = delete;
    batch_records& operator=(const batch_records&) = delete;

    std::optional<record_view> next() { return reader_.next(); }
    /// Decompression error (compression_error), or a malformed record (batch_error).
    std::error_code error() const { return error_ ? error_ : reader_.error(); }

private:
    std::vector<uint8_t> buffer_;
    std::error_code error_;
    record_reader reader_;
};

/// Rewrites `original` keeping only `kept` (raw record bytes taken from this batch's records, in
/// order): every header field is copied (base offset, last offset delta, partition leader
/// epoch, attributes including codec and timestamp type, first/max timestamps, producer id,
/// epoch, base sequence), records_count becomes kept.size(), the records are compressed again
/// with the original codec and the CRC recomputed. This is what compaction writes: offsets and
/// producer state stay what they were. kept may be empty (an empty batch Kafka keeps for the
/// producer state of its last batch): then the result is a bare 61-byte header with codec none,
/// as Kafka writes empty batches.
std::error_code rebuild_batch(batch_view original, std::span<const bytes_view> kept,
                              std::vector<uint8_t>& out);

}  // namespace protocol::records
