#include "tools/common/record_decoder.h"

#include "protocol/records/record_batch_builder.h"

#include <cstring>

namespace tools {

namespace pr = protocol::records;

namespace {

std::string_view codec_name(pr::compression c) {
    switch (c) {
        case pr::compression::none: return "uncompressed";
        case pr::compression::gzip: return "gzip";
        case pr::compression::snappy: return "snappy";
        case pr::compression::lz4: return "lz4";
        case pr::compression::zstd: return "zstd";
    }
    return "unknown-codec";
}

std::optional<std::string> text(const std::optional<pr::bytes_view>& b) {
    if (!b) return std::nullopt;
    return std::string(reinterpret_cast<const char*>(b->data()), b->size());
}

}  // namespace

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
        // Any codec: the records section is decompressed once (bounded), then walked.
        pr::batch_records reader(*batch);
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
            return make_cli_error("Error: corrupt records in the " + std::string(codec_name(batch->codec())) +
                                  " batch at offset " +
                                  std::to_string(batch->base_offset()) + ": " + reader.error().message());
        }
    }
    return out;
}

}  // namespace tools
