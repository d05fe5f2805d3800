#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace protocol {

/// A byte range of an open file, sent to a socket with sendfile. `keepalive` holds whatever keeps
/// `fd` open (typically the log segment) until the response has been written.
struct file_slice {
    int fd = -1;
    uint64_t offset = 0;
    uint32_t size = 0;
    std::shared_ptr<const void> keepalive;
};

/// The value of every `records` field (Produce / Fetch): the bytes of zero or more record batches,
/// or null. Content is memory() followed by every file slice, in order. Copies are cheap (they
/// share the owner); the memory view is valid as long as the owner lives. Immutable after
/// construction apart from append_file_slice, so it may be read from any thread.
class record_set {
public:
    record_set() = default;  // null

    /// Zero copy: `bytes` must stay valid while `owner` (or, if empty, the caller) keeps them alive.
    static record_set view(std::span<const uint8_t> bytes, std::shared_ptr<const void> owner = {});
    static record_set owned(std::vector<uint8_t> bytes);

    /// For fetch responses built from log segments. Makes a null set non-null.
    void append_file_slice(file_slice slice);

    bool is_null() const { return null_; }
    size_t size() const;
    std::span<const uint8_t> memory() const { return memory_; }
    const std::shared_ptr<const void>& owner() const { return owner_; }
    const std::vector<file_slice>& file_slices() const { return slices_; }

    /// Materialises the whole content; file slices are read with pread. For tests and clients,
    /// never for the broker's data path. An unreadable slice aborts (it is a broken invariant: the
    /// slice was built from a file we hold open).
    std::vector<uint8_t> to_bytes() const;

    /// Null equals only null; otherwise the contents are compared byte by byte.
    bool operator==(const record_set& other) const;

private:
    bool null_ = true;
    std::span<const uint8_t> memory_;
    std::shared_ptr<const void> owner_;
    std::vector<file_slice> slices_;
};

}  // namespace protocol
