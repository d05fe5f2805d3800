#include "tools/common/record_decoder.h"

#include "protocol/records/record_batch_builder.h"

#include <zlib.h>

#include <cstring>

namespace tools {

namespace pr = protocol::records;

namespace {

cli_result<std::vector<uint8_t>> gunzip(std::span<const uint8_t> in) {
    z_stream zs{};
    // 16 + MAX_WBITS: expect a gzip header and trailer.
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return make_cli_error("Error: zlib init failed");
    std::vector<uint8_t> out;
    out.resize(std::max<size_t>(in.size() * 4, 4096));
    zs.next_in = const_cast<Bytef*>(in.data());
    zs.avail_in = static_cast<uInt>(in.size());
    int rc = Z_OK;
    while (true) {
        if (zs.total_out >= out.size()) out.resize(out.size() * 2);
        zs.next_out = out.data() + zs.total_out;
        zs.avail_out = static_cast<uInt>(out.size() - zs.total_out);
        rc = inflate(&zs, Z_NO_FLUSH);
        if (rc == Z_STREAM_END) break;
        if (rc != Z_OK && rc != Z_BUF_ERROR) break;
        if (rc == Z_BUF_ERROR && zs.avail_in == 0) break;
    }
    out.resize(zs.total_out);
    inflateEnd(&zs);
    if (rc != Z_STREAM_END) return make_cli_error("Error: corrupt gzip-compressed record batch");
    return out;
}

std::optional<std::string> text(const std::optional<pr::bytes_view>& b) {
    if (!b) return std::nullopt;
    return std::string(reinterpret_cast<const char*>(b->data()), b->size());
}

}  // namespace

std::vector<uint8_t> gzip_compress(std::span<const uint8_t> data) {
    z_stream zs{};
    deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
    std::vector<uint8_t> out(deflateBound(&zs, static_cast<uLong>(data.size())) + 32);
    zs.next_in = const_cast<Bytef*>(data.data());
    zs.avail_in = static_cast<uInt>(data.size());
    zs.next_out = out.data();
    zs.avail_out = static_cast<uInt>(out.size());
    deflate(&zs, Z_FINISH);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
}

cli_result<decoded_records> decode_records(std::span<const uint8_t> bytes, int64_t from_offset) {
    decoded_records out;
    out.next_offset = from_offset;
    pr::batch_iterator it(bytes);
    while (auto batch = it.next()) {
        if (batch->magic() != pr::current_magic) {
            return make_cli_error("Error: record batch magic " + std::to_string(batch->magic()) +
                                  " is not supported (only v2)");
        }
        if (auto ec = pr::validate_batch(batch->bytes(), pr::validation_mode::stored)) {
            return make_cli_error("Error: corrupt record batch at offset " +
                                  std::to_string(batch->base_offset()) + ": " + ec.message());
        }
        out.next_offset = std::max(out.next_offset, batch->last_offset() + 1);
        if (batch->is_control()) continue;
        std::vector<uint8_t> inflated;
        std::optional<pr::batch_view> view = *batch;
        if (batch->codec() == pr::compression::gzip) {
            auto body = gunzip(batch->bytes().subspan(pr::batch_header_size));
            if (!body) return body.error();
            inflated.assign(batch->bytes().begin(), batch->bytes().begin() + pr::batch_header_size);
            inflated.insert(inflated.end(), body.value().begin(), body.value().end());
            // Same header, uncompressed: clear the codec bits and fix batch_length for the reader.
            inflated[22] = static_cast<uint8_t>(inflated[22] & ~0x07);
            auto length = static_cast<uint32_t>(inflated.size() - pr::batch_log_overhead);
            for (int i = 0; i < 4; ++i) inflated[8 + static_cast<size_t>(i)] = static_cast<uint8_t>(length >> (24 - 8 * i));
            view.emplace(std::span<const uint8_t>(inflated));
        } else if (batch->codec() != pr::compression::none) {
            static constexpr const char* names[] = {"none", "gzip", "snappy", "lz4", "zstd"};
            auto c = static_cast<size_t>(batch->codec());
            return make_cli_error(std::string("Error: record batches compressed with ") +
                                  (c < 5 ? names[c] : "an unknown codec") +
                                  " are not supported (only none and gzip)");
        }
        pr::record_reader reader(*view);
        while (auto r = reader.next()) {
            int64_t offset = batch->base_offset() + r->offset_delta;
            if (offset < from_offset) continue;
            consumed_record rec;
            rec.offset = offset;
            rec.ts_type = batch->ts_type();
            rec.timestamp = rec.ts_type == pr::timestamp_type::log_append_time
                                ? batch->max_timestamp()
                                : batch->first_timestamp() + r->timestamp_delta;
            rec.key = text(r->key);
            rec.value = text(r->value);
            for (const auto& h : r->headers) rec.headers.emplace_back(std::string(h.key), text(h.value));
            out.records.push_back(std::move(rec));
        }
        if (reader.error()) {
            return make_cli_error("Error: corrupt records in the batch at offset " +
                                  std::to_string(batch->base_offset()) + ": " + reader.error().message());
        }
    }
    return out;
}

}  // namespace tools
