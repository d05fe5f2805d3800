#include "protocol/records/record_batch.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "protocol/records/byte_order.h"
#include "protocol/records/crc32c.h"

// Always on, also in release builds: a view over fewer than 61 bytes is a caller bug.
#define BROOK_RECORDS_ASSERT(cond, msg)                                                       \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            std::fprintf(stderr, "%s:%d: assertion failed: %s: %s\n", __FILE__, __LINE__, #cond, \
                         msg);                                                                \
            std::abort();                                                                     \
        }                                                                                     \
    } while (0)

namespace protocol::records {

using namespace detail;

namespace {

struct batch_error_category_impl final : std::error_category {
    const char* name() const noexcept override { return "protocol.records.batch"; }
    std::string message(int ev) const override {
        switch (static_cast<batch_error>(ev)) {
            case batch_error::truncated: return "record batch truncated";
            case batch_error::bad_length: return "record batch length smaller than its header";
            case batch_error::bad_magic: return "record batch magic is not 2";
            case batch_error::bad_crc: return "record batch CRC-32C mismatch";
            case batch_error::bad_record_count: return "record batch record count inconsistent";
            case batch_error::bad_records: return "records do not fill the record batch";
            case batch_error::bad_compression: return "record batch uses an unknown codec";
        }
        return "unknown record batch error";
    }
};

}  // namespace

const std::error_category& batch_error_category() noexcept {
    static const batch_error_category_impl cat;
    return cat;
}

batch_view::batch_view(std::span<const uint8_t> bytes) : bytes_(bytes) {
    BROOK_RECORDS_ASSERT(bytes.size() >= batch_header_size, "batch_view needs 61 header bytes");
}

int64_t batch_view::base_offset() const { return static_cast<int64_t>(load_be64(&bytes_[0])); }
int32_t batch_view::batch_length() const { return static_cast<int32_t>(load_be32(&bytes_[8])); }
int32_t batch_view::partition_leader_epoch() const {
    return static_cast<int32_t>(load_be32(&bytes_[12]));
}
int8_t batch_view::magic() const { return static_cast<int8_t>(bytes_[16]); }
uint32_t batch_view::crc() const { return load_be32(&bytes_[17]); }
int16_t batch_view::attributes() const { return static_cast<int16_t>(load_be16(&bytes_[21])); }
int32_t batch_view::last_offset_delta() const {
    return static_cast<int32_t>(load_be32(&bytes_[23]));
}
int64_t batch_view::first_timestamp() const { return static_cast<int64_t>(load_be64(&bytes_[27])); }
int64_t batch_view::max_timestamp() const { return static_cast<int64_t>(load_be64(&bytes_[35])); }
int64_t batch_view::producer_id() const { return static_cast<int64_t>(load_be64(&bytes_[43])); }
int16_t batch_view::producer_epoch() const { return static_cast<int16_t>(load_be16(&bytes_[51])); }
int32_t batch_view::base_sequence() const { return static_cast<int32_t>(load_be32(&bytes_[53])); }
int32_t batch_view::records_count() const { return static_cast<int32_t>(load_be32(&bytes_[57])); }

int64_t batch_view::size_from_prefix(const uint8_t* p) {
    return static_cast<int64_t>(static_cast<int32_t>(load_be32(p + 8))) +
           static_cast<int64_t>(batch_log_overhead);
}

uint32_t batch_view::compute_crc() const {
    BROOK_RECORDS_ASSERT(bytes_.size() >= size_bytes(), "compute_crc needs the whole batch");
    return crc32c(bytes_.subspan(crc_covered_from, size_bytes() - crc_covered_from));
}

mutable_batch_view::mutable_batch_view(std::span<uint8_t> bytes)
    : batch_view(std::span<const uint8_t>(bytes)), mutable_(bytes) {}

void mutable_batch_view::set_base_offset(int64_t offset) {
    store_be64(&mutable_[0], static_cast<uint64_t>(offset));
}
void mutable_batch_view::set_partition_leader_epoch(int32_t epoch) {
    store_be32(&mutable_[12], static_cast<uint32_t>(epoch));
}
void mutable_batch_view::set_log_append_time(int64_t now_ms) {
    store_be16(&mutable_[21], static_cast<uint16_t>(attributes() | 0x08));
    store_be64(&mutable_[35], static_cast<uint64_t>(now_ms));
    store_be32(&mutable_[crc_offset], compute_crc());
}

namespace {

// Walks the records of an uncompressed batch: each record starts with its zig-zag varint
// length, and `count` records must end exactly at the end of the batch.
bool records_fill_batch(const uint8_t* p, const uint8_t* end, int32_t count) {
    for (int32_t i = 0; i < count; ++i) {
        auto len = read_varint(p, end);
        if (!len || *len <= 0 || *len > end - p) return false;
        p += *len;
    }
    return p == end;
}

}  // namespace

std::error_code validate_batch(std::span<const uint8_t> bytes, validation_mode mode) {
    if (bytes.size() < batch_log_overhead) return batch_error::truncated;
    const auto length = static_cast<int32_t>(load_be32(&bytes[8]));
    if (length < static_cast<int32_t>(batch_header_size - batch_log_overhead)) {
        return batch_error::bad_length;
    }
    const size_t size = static_cast<size_t>(length) + batch_log_overhead;
    if (bytes.size() < size) return batch_error::truncated;
    batch_view b(bytes.first(size));
    if (b.magic() != current_magic) return batch_error::bad_magic;
    if (b.compute_crc() != b.crc()) return batch_error::bad_crc;
    const int32_t count = b.records_count();
    if (count < 0) return batch_error::bad_record_count;
    if (mode == validation_mode::client &&
        (count == 0 || static_cast<int64_t>(b.last_offset_delta()) + 1 != count)) {
        return batch_error::bad_record_count;
    }
    if (b.last_offset_delta() < 0) return batch_error::bad_record_count;
    if (static_cast<uint8_t>(b.codec()) > static_cast<uint8_t>(compression::zstd)) {
        return batch_error::bad_compression;
    }
    if (b.codec() == compression::none &&
        !records_fill_batch(bytes.data() + batch_header_size, bytes.data() + size, count)) {
        return batch_error::bad_records;
    }
    return {};
}

std::optional<batch_view> batch_iterator::next() {
    if (tail_error_ || position_ == buffer_.size()) return std::nullopt;
    auto rest = buffer_.subspan(position_);
    if (rest.size() < batch_log_overhead) {
        tail_error_ = batch_error::truncated;
        return std::nullopt;
    }
    const auto length = static_cast<int32_t>(load_be32(&rest[8]));
    if (length < static_cast<int32_t>(batch_header_size - batch_log_overhead)) {
        tail_error_ = batch_error::bad_length;
        return std::nullopt;
    }
    const size_t size = static_cast<size_t>(length) + batch_log_overhead;
    if (rest.size() < size) {
        tail_error_ = batch_error::truncated;
        return std::nullopt;
    }
    position_ += size;
    return batch_view(rest.first(size));
}

}  // namespace protocol::records
