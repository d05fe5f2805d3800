#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <system_error>
#include <type_traits>
#include <vector>

#include "protocol/records/record_batch.h"

namespace protocol::records {

/// Why compress/decompress failed. Values start at 1: 0 is success.
enum class compression_error {
    unsupported_codec = 1,  // codec bits not one of none/gzip/snappy/lz4/zstd
    corrupt,                // the bytes are not a valid stream of that codec
    too_large,              // the output would exceed the caller's max_output bound
    truncated,              // the stream ends before its end marker
    internal,               // the codec library failed on valid input (out of memory)
};

const std::error_category& compression_error_category() noexcept;
inline std::error_code make_error_code(compression_error e) noexcept {
    return {static_cast<int>(e), compression_error_category()};
}

/// Default bound on one batch's decompressed records: Kafka has no explicit limit, but a batch
/// larger than this would not fit any sane message.max.bytes after decompression either.
inline constexpr size_t default_max_decompressed = 256u << 20;

/// Compresses `in` in the Kafka v2 wire format of `codec`:
///   gzip   RFC 1952 gzip member (zlib deflate with gzip wrapper), as Java's GZIPOutputStream
///   snappy xerial framing, as Kafka's Java client and broker write it:
///          "\x82SNAPPY\0" | int32 version=1 | int32 compatible=1 | (int32 BE len | raw block)*
///   lz4    one standard LZ4 frame (lz4frame API; Kafka v2 batches use the real frame format)
///   zstd   one zstd frame
/// `level` < 0 picks the codec's default. codec none copies. Errors only for unsupported codecs
/// or library failures.
std::error_code compress(compression codec, std::span<const uint8_t> in, std::vector<uint8_t>& out,
                         int level = -1);

/// Decompresses one records section. Accepts both xerial-framed and raw snappy (librdkafka
/// writes raw snappy for v2 batches), gzip with or without several members, lz4 frames with or
/// without content size, zstd frames with or without content size (streaming). Never writes
/// more than max_output bytes: a bigger result is compression_error::too_large, garbage is
/// corrupt/truncated; never a crash.
std::error_code decompress(compression codec, std::span<const uint8_t> in, std::vector<uint8_t>& out,
                           size_t max_output = default_max_decompressed);

}  // namespace protocol::records

template <>
struct std::is_error_code_enum<protocol::records::compression_error> : std::true_type {};
