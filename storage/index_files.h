#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <vector>

#include "storage/result.h"

namespace storage {

/// Owns one file descriptor; closes it on destruction. Shared (std::shared_ptr) between a
/// segment and the file slices handed out by reads, so a fetch in flight can still sendfile()
/// from a segment that was closed or deleted meanwhile.
class file_handle {
public:
    explicit file_handle(int fd) : fd_(fd) {}
    ~file_handle();
    file_handle(const file_handle&) = delete;
    file_handle& operator=(const file_handle&) = delete;
    int fd() const { return fd_; }

private:
    int fd_;
};

/// Writes all of data at position (loops over short writes). errc::io_error style failures come
/// back as std::system_error codes from errno.
result<void> pwrite_all(int fd, std::span<const uint8_t> data, uint64_t position);
/// Reads up to out.size() bytes at position; returns how many were read (short only at EOF).
result<size_t> pread_full(int fd, std::span<uint8_t> out, uint64_t position);

/// Sparse offset index (Kafka OffsetIndex), file "<base>.index", 8-byte entries, big-endian:
///   0  4  relative offset  (last offset of the indexed batch - segment base offset)
///   4  4  file position    (byte position of that batch in the .log)
/// Entries strictly increase in both fields. An entry is written when more than
/// index_interval_bytes of batches were appended since the previous one, so lookups scan at
/// most ~4 KiB of batch headers. The file is a cache: a missing or inconsistent one is rebuilt
/// from the .log. Entries are also kept in memory (8 bytes each) for lookups.
/// Owned by one segment; same thread rules as the log.
class offset_index {
public:
    static constexpr size_t entry_size = 8;
    struct entry {
        int64_t offset;     // absolute
        uint32_t position;
    };

    offset_index(std::filesystem::path path, int64_t base_offset)
        : path_(std::move(path)), base_offset_(base_offset) {}
    ~offset_index() { release_fd(); }
    offset_index(const offset_index&) = delete;
    offset_index& operator=(const offset_index&) = delete;

    /// Loads the file; false (not an error) when it is missing or structurally inconsistent:
    /// size not a multiple of 8, non-increasing entries, or a position >= log_size.
    result<bool> load(uint64_t log_size);
    /// Empties the file and the entries (before a rebuild).
    result<void> reset();
    /// Drops entries at or after position (truncation of the .log).
    result<void> truncate_to_position(uint64_t position);

    /// Queues an entry; write_pending() stores all queued entries with one pwrite.
    void append(int64_t offset, uint32_t position);
    result<void> write_pending();
    result<void> flush();
    /// Closes the fd (inactive segments keep only the in-memory entries).
    void release_fd();
    /// Frees the in-memory entries of a parked segment (all written: written_ == size());
    /// load() brings them back.
    void unload() {
        std::vector<packed>().swap(entries_);  // `entries_ = {}` would keep the capacity
        written_ = 0;
    }

    /// Largest entry with offset <= target, if any.
    std::optional<entry> floor(int64_t target) const;
    std::optional<entry> last() const;
    size_t size() const { return entries_.size(); }
    const std::filesystem::path& path() const { return path_; }

private:
    struct packed {
        uint32_t rel;
        uint32_t pos;
    };
    result<int> fd();

    std::filesystem::path path_;
    int64_t base_offset_;
    std::vector<packed> entries_;
    size_t written_ = 0;  // entries_[0, written_) are on disk
    int fd_ = -1;
};

/// Time index (Kafka TimeIndex), file "<base>.timeindex", 12-byte entries, big-endian:
///   0  8  timestamp        largest batch max_timestamp seen so far in the segment
///   8  4  relative offset  last offset of the batch that holds that timestamp - base offset
/// Timestamps strictly increase (an entry is added only when the maximum grew); offsets never
/// decrease. Written next to offset index entries and once more when the segment rolls or closes,
/// so its last entry is the segment's max timestamp. Same cache and thread rules as offset_index.
class time_index {
public:
    static constexpr size_t entry_size = 12;
    struct entry {
        int64_t timestamp;
        int64_t offset;  // absolute
    };

    time_index(std::filesystem::path path, int64_t base_offset)
        : path_(std::move(path)), base_offset_(base_offset) {}
    ~time_index() { release_fd(); }
    time_index(const time_index&) = delete;
    time_index& operator=(const time_index&) = delete;

    /// False when missing or inconsistent (size % 12, non-increasing timestamps, decreasing or
    /// negative offsets, or an offset >= end_offset).
    result<bool> load(int64_t end_offset);
    result<void> reset();
    /// Drops entries with offset >= end_offset.
    result<void> truncate_to_offset(int64_t end_offset);

    /// Queues (timestamp, offset) if timestamp is larger than the last entry's.
    void maybe_append(int64_t timestamp, int64_t offset);
    result<void> write_pending();
    result<void> flush();
    void release_fd();
    /// As offset_index::unload().
    void unload() {
        std::vector<packed>().swap(entries_);  // `entries_ = {}` would keep the capacity
        written_ = 0;
    }

    /// Largest entry with timestamp < target, if any.
    std::optional<entry> last_below(int64_t target) const;
    std::optional<entry> last() const;
    size_t size() const { return entries_.size(); }
    const std::filesystem::path& path() const { return path_; }

private:
    struct packed {
        int64_t ts;
        uint32_t rel;
    };
    result<int> fd();

    std::filesystem::path path_;
    int64_t base_offset_;
    std::vector<packed> entries_;
    size_t written_ = 0;
    int fd_ = -1;
};

}  // namespace storage
