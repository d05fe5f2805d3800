#include "protocol/records/record_batch_builder.h"

#include <algorithm>
#include <system_error>

#include "protocol/records/byte_order.h"
#include "protocol/records/compression.h"
#include "protocol/records/crc32c.h"

namespace protocol::records {

using namespace detail;

record_batch_builder::record_batch_builder(int64_t base_offset) : base_offset_(base_offset) {}

record_batch_builder& record_batch_builder::set_producer(int64_t id, int16_t epoch,
                                                         int32_t base_sequence) {
    producer_id_ = id;
    producer_epoch_ = epoch;
    base_sequence_ = base_sequence;
    return *this;
}
record_batch_builder& record_batch_builder::set_partition_leader_epoch(int32_t epoch) {
    leader_epoch_ = epoch;
    return *this;
}
record_batch_builder& record_batch_builder::set_transactional(bool on) {
    attributes_ = static_cast<int16_t>(on ? attributes_ | 0x10 : attributes_ & ~0x10);
    return *this;
}
record_batch_builder& record_batch_builder::set_control(bool on) {
    attributes_ = static_cast<int16_t>(on ? attributes_ | 0x20 : attributes_ & ~0x20);
    return *this;
}
record_batch_builder& record_batch_builder::set_codec_bits(compression c) {
    attributes_ = static_cast<int16_t>((attributes_ & ~0x07) | static_cast<int16_t>(c));
    return *this;
}

record_batch_builder& record_batch_builder::set_compression(compression c, int level) {
    set_codec_bits(c);
    codec_ = c;
    level_ = level;
    return *this;
}

namespace {

void put_varlong(std::vector<uint8_t>& out, int64_t v) {
    uint8_t tmp[10];
    size_t n = write_varlong(tmp, v);
    out.insert(out.end(), tmp, tmp + n);
}

void put_bytes(std::vector<uint8_t>& out, const std::optional<bytes_view>& b) {
    if (!b) {
        put_varlong(out, -1);
        return;
    }
    put_varlong(out, static_cast<int64_t>(b->size()));
    out.insert(out.end(), b->begin(), b->end());
}

}  // namespace

record_batch_builder& record_batch_builder::add(const record_input& r) {
    if (count_ == 0) first_timestamp_ = r.timestamp;
    max_timestamp_ = std::max(max_timestamp_, r.timestamp);
    std::vector<uint8_t> body;
    body.push_back(0);  // record attributes: unused
    put_varlong(body, r.timestamp - first_timestamp_);
    put_varlong(body, static_cast<int64_t>(count_));
    put_bytes(body, r.key);
    put_bytes(body, r.value);
    put_varlong(body, static_cast<int64_t>(r.headers.size()));
    for (const auto& h : r.headers) {
        put_bytes(body, as_bytes(h.key));
        put_bytes(body, h.value);
    }
    put_varlong(records_, static_cast<int64_t>(body.size()));
    records_.insert(records_.end(), body.begin(), body.end());
    ++count_;
    return *this;
}

std::vector<uint8_t> record_batch_builder::build() const {
    std::vector<uint8_t> compressed;
    if (codec_ != compression::none) {
        if (auto ec = compress(codec_, records_, compressed, level_)) throw std::system_error(ec);
    }
    const std::vector<uint8_t>& records = codec_ != compression::none ? compressed : records_;
    std::vector<uint8_t> out(batch_header_size + records.size());
    uint8_t* p = out.data();
    store_be64(p + 0, static_cast<uint64_t>(base_offset_));
    store_be32(p + 8, static_cast<uint32_t>(out.size() - batch_log_overhead));
    store_be32(p + 12, static_cast<uint32_t>(leader_epoch_));
    p[16] = static_cast<uint8_t>(current_magic);
    store_be16(p + 21, static_cast<uint16_t>(attributes_));
    store_be32(p + 23, static_cast<uint32_t>(count_ == 0 ? -1 : static_cast<int32_t>(count_) - 1));
    store_be64(p + 27, static_cast<uint64_t>(count_ == 0 ? -1 : first_timestamp_));
    store_be64(p + 35, static_cast<uint64_t>(count_ == 0 ? -1 : max_timestamp_));
    store_be64(p + 43, static_cast<uint64_t>(producer_id_));
    store_be16(p + 51, static_cast<uint16_t>(producer_epoch_));
    store_be32(p + 53, static_cast<uint32_t>(base_sequence_));
    store_be32(p + 57, static_cast<uint32_t>(count_));
    std::copy(records.begin(), records.end(), out.begin() + batch_header_size);
    store_be32(p + crc_offset,
               crc32c(std::span<const uint8_t>(out).subspan(crc_covered_from)));
    return out;
}

record_reader::record_reader(batch_view batch)
    : p_(batch.bytes().data() + batch_header_size),
      end_(batch.bytes().data() + std::min(batch.bytes().size(), batch.size_bytes())),
      remaining_(batch.records_count()) {
    if (batch.codec() != compression::none) {
        error_ = batch_error::bad_compression;
        remaining_ = 0;
    } else if (batch.bytes().size() < batch.size_bytes()) {
        error_ = batch_error::truncated;
        remaining_ = 0;
    }
}

record_reader::record_reader(bytes_view records, int32_t count)
    : p_(records.data()), end_(records.data() + records.size()), remaining_(count) {}

std::optional<record_view> record_reader::next() {
    if (remaining_ <= 0 || error_) return std::nullopt;
    auto fail = [this]() -> std::optional<record_view> {
        error_ = batch_error::bad_records;
        remaining_ = 0;
        return std::nullopt;
    };
    const uint8_t* len_begin = p_;
    auto len = read_varint(p_, end_);
    if (!len || *len <= 0 || *len > end_ - p_) return fail();
    const uint8_t* rec_end = p_ + *len;
    const uint8_t* p = p_;
    const uint8_t* rec_begin = len_begin;
    p_ = rec_end;
    --remaining_;

    auto read_bytes = [&](std::optional<bytes_view>& out) -> bool {
        auto n = read_varint(p, rec_end);
        if (!n || *n < -1 || *n > rec_end - p) return false;
        if (*n == -1) {
            out.reset();
        } else {
            out = bytes_view(p, static_cast<size_t>(*n));
            p += *n;
        }
        return true;
    };

    record_view r;
    r.raw = bytes_view(rec_begin, static_cast<size_t>(rec_end - rec_begin));
    if (p >= rec_end) return fail();
    r.attributes = static_cast<int8_t>(*p++);
    auto ts = read_varlong(p, rec_end);
    auto od = read_varint(p, rec_end);
    if (!ts || !od) return fail();
    r.timestamp_delta = *ts;
    r.offset_delta = *od;
    if (!read_bytes(r.key) || !read_bytes(r.value)) return fail();
    auto hc = read_varint(p, rec_end);
    if (!hc || *hc < 0 || *hc > rec_end - p) return fail();
    r.headers.reserve(static_cast<size_t>(*hc));
    for (int32_t i = 0; i < *hc; ++i) {
        std::optional<bytes_view> k;
        header_view h;
        if (!read_bytes(k) || !k || !read_bytes(h.value)) return fail();
        h.key = std::string_view(reinterpret_cast<const char*>(k->data()), k->size());
        r.headers.push_back(h);
    }
    if (p != rec_end) return fail();
    return r;
}

namespace {

record_reader decode_into(batch_view batch, size_t max, std::vector<uint8_t>& buffer,
                          std::error_code& error) {
    if (batch.bytes().size() < batch.size_bytes()) {
        error = batch_error::truncated;
        return record_reader(bytes_view{}, 0);
    }
    bytes_view section = batch.bytes().subspan(batch_header_size,
                                               batch.size_bytes() - batch_header_size);
    if (batch.codec() == compression::none) return record_reader(section, batch.records_count());
    error = decompress(batch.codec(), section, buffer, max);
    if (error) return record_reader(bytes_view{}, 0);
    return record_reader(bytes_view(buffer), batch.records_count());
}

}  // namespace

batch_records::batch_records(batch_view batch, size_t max_decompressed)
    : reader_(decode_into(batch, max_decompressed, buffer_, error_)) {}

std::error_code rebuild_batch(batch_view original, std::span<const bytes_view> kept,
                              std::vector<uint8_t>& out) {
    std::vector<uint8_t> records;
    for (const auto& r : kept) records.insert(records.end(), r.begin(), r.end());
    std::vector<uint8_t> compressed;
    // An empty batch is a bare header with codec none, as Kafka writes it (writeEmptyHeader):
    // clients (librdkafka) do not expect a compressed empty records section.
    const compression codec = kept.empty() ? compression::none : original.codec();
    if (codec != compression::none) {
        if (auto ec = compress(codec, records, compressed)) return ec;
        records.swap(compressed);
    }
    out.resize(batch_header_size + records.size());
    std::copy(original.bytes().begin(), original.bytes().begin() + batch_header_size, out.begin());
    uint8_t* p = out.data();
    store_be16(p + 21, static_cast<uint16_t>((original.attributes() & ~0x07) | static_cast<int16_t>(codec)));
    store_be32(p + 8, static_cast<uint32_t>(out.size() - batch_log_overhead));
    store_be32(p + 57, static_cast<uint32_t>(kept.size()));
    std::copy(records.begin(), records.end(), out.begin() + batch_header_size);
    store_be32(p + crc_offset, crc32c(std::span<const uint8_t>(out).subspan(crc_covered_from)));
    return {};
}

}  // namespace protocol::records
