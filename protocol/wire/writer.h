#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/record_set.h"

namespace protocol::wire {

/// Builds one outgoing Kafka message (header + body, optionally the int32 size prefix) as a list
/// of pieces so record data is never copied: bytes written by the encoders go to the writer's own
/// buffer; record sets become external pieces (memory views kept alive by their owner, or file
/// slices to be sent with sendfile). Owned by the connection that will send it; not thread-safe.
/// Encodings are the same as wire::reader's (see reader.h).
///
/// Turning a writer into socket writes (what broker/net does):
///   for each piece p in pieces():
///     memory -> push asio::buffer(p.data, p.size) onto a gather list (std::vector<const_buffer>)
///     file   -> first async_write the gather list (if non-empty) and clear it, then send
///               [p.file_offset, p.file_offset + p.size) of p.fd with ::sendfile(socket, p.fd, &off, n)
///               in a loop, waiting for writability (socket.async_wait(wait_write)) on EAGAIN
///   finally async_write whatever is left in the gather list.
/// Pointers in memory pieces stay valid while the writer lives and is not written to again;
/// file descriptors and external memory are kept alive by the writer (it holds their owners).
class writer {
public:
    struct piece {
        enum kind_t : uint8_t { memory, file };
        kind_t kind = memory;
        const uint8_t* data = nullptr;  // memory only
        size_t size = 0;
        int fd = -1;               // file only
        uint64_t file_offset = 0;  // file only
    };

    /// Memory views of at most this many bytes are copied into the buffer: below ~1 KiB a copy is
    /// cheaper than one more iovec entry and one more refcount.
    static constexpr size_t inline_copy_threshold = 1024;

    writer() = default;
    writer(const writer&) = delete;
    writer& operator=(const writer&) = delete;
    writer(writer&&) = default;
    writer& operator=(writer&&) = default;

    void write_int8(int8_t v);
    void write_int16(int16_t v);
    void write_int32(int32_t v);
    void write_int64(int64_t v);
    void write_uint16(uint16_t v);
    void write_uint32(uint32_t v);
    void write_float64(double v);
    void write_bool(bool v) { write_int8(v ? 1 : 0); }
    void write_uvarint(uint32_t v);
    void write_varint(int32_t v);
    void write_varlong(int64_t v);

    void write_string(std::string_view s);
    void write_nullable_string(const std::optional<std::string>& s);
    void write_compact_string(std::string_view s);
    void write_compact_nullable_string(const std::optional<std::string>& s);

    void write_bytes(std::span<const uint8_t> b);
    void write_nullable_bytes(const std::optional<std::vector<uint8_t>>& b);
    void write_compact_bytes(std::span<const uint8_t> b);
    void write_compact_nullable_bytes(const std::optional<std::vector<uint8_t>>& b);

    void write_uuid(const std::array<uint8_t, 16>& id) { write_raw(id); }

    /// Array count: int32 (-1 = null) or uvarint(n + 1) (0 = null) when flexible.
    void write_array_count(bool flexible, int32_t count_or_minus_one);

    /// A `records` field: length prefix (int32 or uvarint(n+1); null = -1 / 0) then the content.
    void write_records(const record_set& rs, bool flexible);
    /// Appends the content of rs without a length prefix: small memory views are copied, larger
    /// ones and all file slices become external pieces (file bytes are never read here).
    void write_record_set(const record_set& rs);

    void write_raw(std::span<const uint8_t> bytes);

    /// Total bytes, external pieces included.
    size_t size() const { return buf_.size() + external_bytes_; }
    /// Overwrites 4 bytes at absolute position pos (as counted by size()) that were written into
    /// the writer's own buffer, e.g. a length prefix reserved before the body.
    void patch_int32(size_t pos, int32_t v);

    std::vector<piece> pieces() const;
    bool has_external_pieces() const { return !externals_.empty(); }
    /// Materialises everything (file slices read with pread). Tests and the blocking client only.
    std::vector<uint8_t> to_bytes() const;

private:
    struct external {
        size_t at;  // position in buf_ before which the piece goes
        piece p;
    };

    std::vector<uint8_t> buf_;
    std::vector<external> externals_;
    std::vector<std::shared_ptr<const void>> keepalive_;
    size_t external_bytes_ = 0;
};

}  // namespace protocol::wire
