#include "protocol/records/compression.h"

#include <lz4frame.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>

#include "protocol/records/byte_order.h"

namespace protocol::records {

using namespace detail;

namespace {

class compression_category_impl final : public std::error_category {
public:
    const char* name() const noexcept override { return "compression"; }
    std::string message(int ev) const override {
        switch (static_cast<compression_error>(ev)) {
            case compression_error::unsupported_codec: return "unsupported compression codec";
            case compression_error::corrupt: return "corrupt compressed data";
            case compression_error::too_large: return "decompressed data exceeds the size limit";
            case compression_error::truncated: return "compressed data ends before its end marker";
            case compression_error::internal: return "compression library failure";
        }
        return "unknown compression error";
    }
};

// xerial snappy-java framing (SnappyOutputStream): 8-byte magic, int32 version, int32
// min-compatible version, then blocks of [int32 BE compressed length | raw snappy block].
constexpr uint8_t xerial_magic[8] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
constexpr size_t xerial_header_size = 16;
// snappy-java's default block size: each block is compressed independently.
constexpr size_t xerial_block_size = 32 * 1024;
// Output grows in steps of this much while streaming (gzip/lz4/zstd), so a small stream never
// allocates the whole max_output bound.
constexpr size_t stream_chunk = 64 * 1024;

std::error_code gzip_compress(std::span<const uint8_t> in, std::vector<uint8_t>& out, int level) {
    z_stream zs{};
    // windowBits 15 + 16: write a gzip (RFC 1952) wrapper instead of zlib's.
    if (deflateInit2(&zs, level < 0 ? Z_DEFAULT_COMPRESSION : level, Z_DEFLATED, 15 + 16, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK)
        return compression_error::internal;
    out.resize(deflateBound(&zs, static_cast<uLong>(in.size())) + 32);
    zs.next_in = const_cast<Bytef*>(in.data());
    zs.avail_in = static_cast<uInt>(in.size());
    zs.next_out = out.data();
    zs.avail_out = static_cast<uInt>(out.size());
    int rc = deflate(&zs, Z_FINISH);
    size_t produced = zs.total_out;
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) return compression_error::internal;
    out.resize(produced);
    return {};
}

std::error_code gzip_decompress(std::span<const uint8_t> in, std::vector<uint8_t>& out,
                                size_t max_output) {
    z_stream zs{};
    if (inflateInit2(&zs, 15 + 16) != Z_OK) return compression_error::internal;
    std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&zs, inflateEnd);
    out.clear();
    zs.next_in = const_cast<Bytef*>(in.data());
    zs.avail_in = static_cast<uInt>(in.size());
    size_t written = 0;
    for (;;) {
        if (written == out.size()) {
            if (out.size() >= max_output) {
                // Full to the bound: fine only if the stream ends exactly here.
                uint8_t probe;
                zs.next_out = &probe;
                zs.avail_out = 1;
                int rc = inflate(&zs, Z_NO_FLUSH);
                if (rc == Z_STREAM_END && zs.avail_out == 1 && zs.avail_in == 0) break;
                return zs.avail_out == 0 ? compression_error::too_large
                                         : compression_error::corrupt;
            }
            out.resize(std::min(max_output, out.size() + std::max(stream_chunk, out.size())));
        }
        zs.next_out = out.data() + written;
        zs.avail_out = static_cast<uInt>(out.size() - written);
        int rc = inflate(&zs, Z_NO_FLUSH);
        written = out.size() - zs.avail_out;
        if (rc == Z_STREAM_END) {
            // Concatenated gzip members decode as one stream (as GZIPInputStream does).
            if (zs.avail_in == 0) break;
            if (inflateReset(&zs) != Z_OK) return compression_error::internal;
            continue;
        }
        if (rc == Z_BUF_ERROR && zs.avail_in == 0) return compression_error::truncated;
        if (rc != Z_OK && rc != Z_BUF_ERROR) return compression_error::corrupt;
    }
    out.resize(written);
    return {};
}

std::error_code snappy_compress(std::span<const uint8_t> in, std::vector<uint8_t>& out) {
    out.assign(xerial_magic, xerial_magic + sizeof xerial_magic);
    out.resize(xerial_header_size);
    store_be32(out.data() + 8, 1);
    store_be32(out.data() + 12, 1);
    for (size_t pos = 0; pos < in.size(); pos += xerial_block_size) {
        size_t n = std::min(xerial_block_size, in.size() - pos);
        size_t at = out.size();
        out.resize(at + 4 + snappy::MaxCompressedLength(n));
        size_t clen = 0;
        snappy::RawCompress(reinterpret_cast<const char*>(in.data() + pos), n,
                            reinterpret_cast<char*>(out.data() + at + 4), &clen);
        store_be32(out.data() + at, static_cast<uint32_t>(clen));
        out.resize(at + 4 + clen);
    }
    return {};
}

// Appends one raw snappy block's output to out, keeping out.size() <= max_output.
std::error_code snappy_block(const uint8_t* p, size_t n, std::vector<uint8_t>& out,
                             size_t max_output) {
    size_t len = 0;
    if (!snappy::GetUncompressedLength(reinterpret_cast<const char*>(p), n, &len))
        return compression_error::corrupt;
    if (len > max_output - out.size()) return compression_error::too_large;
    size_t at = out.size();
    out.resize(at + len);
    if (!snappy::RawUncompress(reinterpret_cast<const char*>(p), n,
                               reinterpret_cast<char*>(out.data() + at)))
        return compression_error::corrupt;
    return {};
}

std::error_code snappy_decompress(std::span<const uint8_t> in, std::vector<uint8_t>& out,
                                  size_t max_output) {
    out.clear();
    if (in.size() < xerial_header_size ||
        std::memcmp(in.data(), xerial_magic, sizeof xerial_magic) != 0)
        return snappy_block(in.data(), in.size(), out, max_output);  // raw (librdkafka)
    size_t pos = xerial_header_size;
    while (pos < in.size()) {
        if (in.size() - pos < 4) return compression_error::truncated;
        size_t n = load_be32(in.data() + pos);
        pos += 4;
        if (n > in.size() - pos) return compression_error::truncated;
        if (auto ec = snappy_block(in.data() + pos, n, out, max_output)) return ec;
        pos += n;
    }
    return {};
}

std::error_code lz4_compress(std::span<const uint8_t> in, std::vector<uint8_t>& out, int level) {
    LZ4F_preferences_t prefs{};
    prefs.compressionLevel = level < 0 ? 0 : level;
    prefs.frameInfo.contentSize = in.size();
    // As for zstd: 4 bytes so any reader detects a corrupted frame.
    prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
    out.resize(LZ4F_compressFrameBound(in.size(), &prefs));
    size_t n = LZ4F_compressFrame(out.data(), out.size(), in.data(), in.size(), &prefs);
    if (LZ4F_isError(n)) return compression_error::internal;
    out.resize(n);
    return {};
}

std::error_code lz4_decompress(std::span<const uint8_t> in, std::vector<uint8_t>& out,
                               size_t max_output) {
    LZ4F_dctx* raw = nullptr;
    if (LZ4F_isError(LZ4F_createDecompressionContext(&raw, LZ4F_VERSION)))
        return compression_error::internal;
    std::unique_ptr<LZ4F_dctx, LZ4F_errorCode_t (*)(LZ4F_dctx*)> ctx(raw,
                                                                     LZ4F_freeDecompressionContext);
    out.clear();
    size_t written = 0, pos = 0;
    size_t hint = 1;  // LZ4F_decompress returns 0 exactly when a frame is complete
    while (pos < in.size()) {
        if (written == out.size()) {
            if (out.size() >= max_output) return compression_error::too_large;
            out.resize(std::min(max_output, out.size() + std::max(stream_chunk, out.size())));
        }
        size_t dst_size = out.size() - written;
        size_t src_size = in.size() - pos;
        hint = LZ4F_decompress(ctx.get(), out.data() + written, &dst_size, in.data() + pos,
                               &src_size, nullptr);
        if (LZ4F_isError(hint)) return compression_error::corrupt;
        written += dst_size;
        pos += src_size;
        if (src_size == 0 && dst_size == 0 && written < out.size()) break;  // no progress
    }
    // Input used up: the last frame must have ended, possibly with output still buffered.
    while (hint != 0) {
        if (written == out.size()) {
            if (out.size() >= max_output) return compression_error::too_large;
            out.resize(std::min(max_output, out.size() + std::max(stream_chunk, out.size())));
        }
        size_t dst_size = out.size() - written;
        size_t src_size = 0;
        hint = LZ4F_decompress(ctx.get(), out.data() + written, &dst_size, nullptr, &src_size,
                               nullptr);
        if (LZ4F_isError(hint)) return compression_error::corrupt;
        written += dst_size;
        if (dst_size == 0 && hint != 0) return compression_error::truncated;
    }
    out.resize(written);
    return {};
}

std::error_code zstd_compress(std::span<const uint8_t> in, std::vector<uint8_t>& out, int level) {
    std::unique_ptr<ZSTD_CCtx, size_t (*)(ZSTD_CCtx*)> cctx(ZSTD_createCCtx(), ZSTD_freeCCtx);
    if (!cctx) return compression_error::internal;
    // A content checksum costs 4 bytes and lets every reader detect a corrupted frame.
    if (ZSTD_isError(ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_compressionLevel,
                                            level < 0 ? ZSTD_CLEVEL_DEFAULT : level)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_checksumFlag, 1)))
        return compression_error::internal;
    out.resize(ZSTD_compressBound(in.size()));
    size_t n = ZSTD_compress2(cctx.get(), out.data(), out.size(), in.data(), in.size());
    if (ZSTD_isError(n)) return compression_error::internal;
    out.resize(n);
    return {};
}

std::error_code zstd_decompress(std::span<const uint8_t> in, std::vector<uint8_t>& out,
                                size_t max_output) {
    std::unique_ptr<ZSTD_DStream, size_t (*)(ZSTD_DStream*)> ds(ZSTD_createDStream(),
                                                                ZSTD_freeDStream);
    if (!ds || ZSTD_isError(ZSTD_initDStream(ds.get()))) return compression_error::internal;
    out.clear();
    ZSTD_inBuffer ib{in.data(), in.size(), 0};
    size_t written = 0;
    size_t hint = 1;  // 0 exactly when a frame is complete and flushed
    for (;;) {
        if (written == out.size()) {
            if (out.size() >= max_output) {
                if (hint == 0 && ib.pos == ib.size) break;
                return compression_error::too_large;
            }
            out.resize(std::min(max_output, out.size() + std::max(stream_chunk, out.size())));
        }
        ZSTD_outBuffer ob{out.data() + written, out.size() - written, 0};
        size_t before_in = ib.pos;
        hint = ZSTD_decompressStream(ds.get(), &ob, &ib);
        if (ZSTD_isError(hint)) return compression_error::corrupt;
        written += ob.pos;
        if (hint == 0 && ib.pos == ib.size) break;
        if (ob.pos < ob.size && ib.pos == ib.size && ib.pos == before_in && ob.pos == 0)
            return compression_error::truncated;
        if (ob.pos < ob.size && ib.pos == ib.size && hint != 0) {
            // All input consumed with room left: the frame is incomplete.
            return compression_error::truncated;
        }
    }
    out.resize(written);
    return {};
}

}  // namespace

const std::error_category& compression_error_category() noexcept {
    static const compression_category_impl c;
    return c;
}

std::error_code compress(compression codec, std::span<const uint8_t> in, std::vector<uint8_t>& out,
                         int level) {
    switch (codec) {
        case compression::none: out.assign(in.begin(), in.end()); return {};
        case compression::gzip: return gzip_compress(in, out, level);
        case compression::snappy: return snappy_compress(in, out);
        case compression::lz4: return lz4_compress(in, out, level);
        case compression::zstd: return zstd_compress(in, out, level);
    }
    return compression_error::unsupported_codec;
}

std::error_code decompress(compression codec, std::span<const uint8_t> in, std::vector<uint8_t>& out,
                           size_t max_output) {
    switch (codec) {
        case compression::none:
            if (in.size() > max_output) return compression_error::too_large;
            out.assign(in.begin(), in.end());
            return {};
        case compression::gzip: return gzip_decompress(in, out, max_output);
        case compression::snappy: return snappy_decompress(in, out, max_output);
        case compression::lz4: return lz4_decompress(in, out, max_output);
        case compression::zstd: return zstd_decompress(in, out, max_output);
    }
    return compression_error::unsupported_codec;
}

}  // namespace protocol::records
