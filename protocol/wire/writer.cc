#include "protocol/wire/writer.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace protocol::wire {

namespace {
template <class U>
void store_be(std::vector<uint8_t>& buf, U v) {
    uint8_t tmp[sizeof(U)];
    for (size_t i = 0; i < sizeof(U); ++i) {
        tmp[sizeof(U) - 1 - i] = static_cast<uint8_t>(v & 0xff);
        v = static_cast<U>(v >> 8);
    }
    buf.insert(buf.end(), tmp, tmp + sizeof(U));
}

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "protocol::wire::writer: %s\n", what);
    std::abort();
}
}  // namespace

void writer::write_int8(int8_t v) { buf_.push_back(static_cast<uint8_t>(v)); }
void writer::write_int16(int16_t v) { store_be(buf_, static_cast<uint16_t>(v)); }
void writer::write_int32(int32_t v) { store_be(buf_, static_cast<uint32_t>(v)); }
void writer::write_int64(int64_t v) { store_be(buf_, static_cast<uint64_t>(v)); }
void writer::write_uint16(uint16_t v) { store_be(buf_, v); }
void writer::write_uint32(uint32_t v) { store_be(buf_, v); }

void writer::write_float64(double v) {
    uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    store_be(buf_, bits);
}

void writer::write_uvarint(uint32_t v) {
    while (v >= 0x80) {
        buf_.push_back(static_cast<uint8_t>(v | 0x80));
        v >>= 7;
    }
    buf_.push_back(static_cast<uint8_t>(v));
}

void writer::write_varint(int32_t v) {
    write_uvarint((static_cast<uint32_t>(v) << 1) ^ static_cast<uint32_t>(v >> 31));
}

void writer::write_varlong(int64_t v) {
    uint64_t u = (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
    while (u >= 0x80) {
        buf_.push_back(static_cast<uint8_t>(u | 0x80));
        u >>= 7;
    }
    buf_.push_back(static_cast<uint8_t>(u));
}

void writer::write_string(std::string_view s) {
    if (s.size() > 0x7fff) fail("string longer than 32767 bytes");
    write_int16(static_cast<int16_t>(s.size()));
    write_raw({reinterpret_cast<const uint8_t*>(s.data()), s.size()});
}

void writer::write_nullable_string(const std::optional<std::string>& s) {
    if (!s) {
        write_int16(-1);
    } else {
        write_string(*s);
    }
}

void writer::write_compact_string(std::string_view s) {
    write_uvarint(static_cast<uint32_t>(s.size() + 1));
    write_raw({reinterpret_cast<const uint8_t*>(s.data()), s.size()});
}

void writer::write_compact_nullable_string(const std::optional<std::string>& s) {
    if (!s) {
        write_uvarint(0);
    } else {
        write_compact_string(*s);
    }
}

void writer::write_bytes(std::span<const uint8_t> b) {
    write_int32(static_cast<int32_t>(b.size()));
    write_raw(b);
}

void writer::write_nullable_bytes(const std::optional<std::vector<uint8_t>>& b) {
    if (!b) {
        write_int32(-1);
    } else {
        write_bytes(*b);
    }
}

void writer::write_compact_bytes(std::span<const uint8_t> b) {
    write_uvarint(static_cast<uint32_t>(b.size() + 1));
    write_raw(b);
}

void writer::write_compact_nullable_bytes(const std::optional<std::vector<uint8_t>>& b) {
    if (!b) {
        write_uvarint(0);
    } else {
        write_compact_bytes(*b);
    }
}

void writer::write_array_count(bool flexible, int32_t n) {
    if (flexible) {
        write_uvarint(static_cast<uint32_t>(n + 1));
    } else {
        write_int32(n);
    }
}

void writer::write_records(const record_set& rs, bool flexible) {
    if (rs.is_null()) {
        write_array_count(flexible, -1);
        return;
    }
    write_array_count(flexible, static_cast<int32_t>(rs.size()));
    write_record_set(rs);
}

void writer::write_record_set(const record_set& rs) {
    auto mem = rs.memory();
    if (!mem.empty()) {
        if (mem.size() <= inline_copy_threshold || !rs.owner()) {
            // Without an owner nothing would keep the bytes alive after this call returns.
            write_raw(mem);
        } else {
            piece p;
            p.kind = piece::memory;
            p.data = mem.data();
            p.size = mem.size();
            externals_.push_back({buf_.size(), p});
            keepalive_.push_back(rs.owner());
            external_bytes_ += mem.size();
        }
    }
    for (const auto& s : rs.file_slices()) {
        if (s.size == 0) continue;
        piece p;
        p.kind = piece::file;
        p.size = s.size;
        p.fd = s.fd;
        p.file_offset = s.offset;
        externals_.push_back({buf_.size(), p});
        if (s.keepalive) keepalive_.push_back(s.keepalive);
        external_bytes_ += s.size;
    }
}

void writer::write_raw(std::span<const uint8_t> bytes) {
    buf_.insert(buf_.end(), bytes.begin(), bytes.end());
}

void writer::patch_int32(size_t pos, int32_t v) {
    // Map the absolute position onto the owned buffer by removing the external bytes before it.
    size_t skip = 0;
    for (const auto& e : externals_) {
        size_t abs_start = e.at + skip;
        if (abs_start > pos) break;
        if (pos < abs_start + e.p.size) fail("patch_int32 inside an external piece");
        skip += e.p.size;
    }
    size_t at = pos - skip;
    if (at + 4 > buf_.size()) fail("patch_int32 past the end of the owned buffer");
    for (const auto& e : externals_) {
        if (e.at > at && e.at < at + 4) fail("patch_int32 across an external piece");
    }
    uint32_t u = static_cast<uint32_t>(v);
    buf_[at] = static_cast<uint8_t>(u >> 24);
    buf_[at + 1] = static_cast<uint8_t>(u >> 16);
    buf_[at + 2] = static_cast<uint8_t>(u >> 8);
    buf_[at + 3] = static_cast<uint8_t>(u);
}

std::vector<writer::piece> writer::pieces() const {
    std::vector<piece> out;
    out.reserve(externals_.size() * 2 + 1);
    size_t from = 0;
    auto own = [&](size_t to) {
        if (to > from) {
            piece p;
            p.kind = piece::memory;
            p.data = buf_.data() + from;
            p.size = to - from;
            out.push_back(p);
        }
        from = to;
    };
    for (const auto& e : externals_) {
        own(e.at);
        out.push_back(e.p);
    }
    own(buf_.size());
    return out;
}

std::vector<uint8_t> writer::to_bytes() const {
    std::vector<uint8_t> out;
    out.reserve(size());
    for (const auto& p : pieces()) {
        if (p.kind == piece::memory) {
            out.insert(out.end(), p.data, p.data + p.size);
            continue;
        }
        size_t at = out.size();
        out.resize(at + p.size);
        size_t done = 0;
        while (done < p.size) {
            ssize_t n = ::pread(p.fd, out.data() + at + done, p.size - done,
                                static_cast<off_t>(p.file_offset + done));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) fail("pread of a file piece failed");
            done += static_cast<size_t>(n);
        }
    }
    return out;
}

}  // namespace protocol::wire
