#include "storage/index_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "protocol/records/byte_order.h"
#include "storage/errc.h"

namespace storage {

using protocol::records::detail::load_be32;
using protocol::records::detail::load_be64;
using protocol::records::detail::store_be32;
using protocol::records::detail::store_be64;

file_handle::~file_handle() {
    if (fd_ >= 0) ::close(fd_);
}

result<void> pwrite_all(int fd, std::span<const uint8_t> data, uint64_t position) {
    while (!data.empty()) {
        ssize_t n = ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(position));
        if (n < 0) {
            if (errno == EINTR) continue;
            return errc::io_error;
        }
        data = data.subspan(static_cast<size_t>(n));
        position += static_cast<uint64_t>(n);
    }
    return success();
}

result<size_t> pread_full(int fd, std::span<uint8_t> out, uint64_t position) {
    size_t done = 0;
    while (done < out.size()) {
        ssize_t n = ::pread(fd, out.data() + done, out.size() - done,
                            static_cast<off_t>(position + done));
        if (n < 0) {
            if (errno == EINTR) continue;
            return errc::io_error;
        }
        if (n == 0) break;
        done += static_cast<size_t>(n);
    }
    return done;
}

namespace {

result<std::vector<uint8_t>> read_whole(const std::filesystem::path& path, bool& exists) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        exists = false;
        if (errno == ENOENT) return std::vector<uint8_t>{};
        return errc::io_error;
    }
    exists = true;
    file_handle h(fd);
    off_t size = ::lseek(fd, 0, SEEK_END);
    if (size < 0) return errc::io_error;
    std::vector<uint8_t> buf(static_cast<size_t>(size));
    BROOK_STORAGE_TRY(auto n, pread_full(fd, buf, 0));
    buf.resize(n);
    return buf;
}

result<int> open_rw(const std::filesystem::path& path, int& fd) {
    if (fd < 0) {
        fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) return errc::io_error;
    }
    return fd;
}

result<void> truncate_file(int fd, uint64_t size) {
    if (::ftruncate(fd, static_cast<off_t>(size)) != 0) return errc::io_error;
    return success();
}

}  // namespace

// ---- offset_index ----

result<int> offset_index::fd() { return open_rw(path_, fd_); }

result<bool> offset_index::load(uint64_t log_size) {
    entries_.clear();
    written_ = 0;
    bool exists = false;
    BROOK_STORAGE_TRY(auto bytes, read_whole(path_, exists));
    if (!exists || bytes.size() % entry_size != 0) return false;
    entries_.reserve(bytes.size() / entry_size);
    for (size_t i = 0; i < bytes.size(); i += entry_size) {
        packed e{load_be32(&bytes[i]), load_be32(&bytes[i + 4])};
        if (static_cast<int32_t>(e.rel) < 0 || e.pos >= log_size) break;
        if (!entries_.empty() && (e.rel <= entries_.back().rel || e.pos <= entries_.back().pos)) {
            break;
        }
        entries_.push_back(e);
    }
    if (entries_.size() * entry_size != bytes.size()) {
        entries_.clear();
        return false;
    }
    written_ = entries_.size();
    return true;
}

result<void> offset_index::reset() {
    entries_.clear();
    written_ = 0;
    BROOK_STORAGE_TRY(auto f, fd());
    return truncate_file(f, 0);
}

result<void> offset_index::truncate_to_position(uint64_t position) {
    auto it = std::find_if(entries_.begin(), entries_.end(),
                           [&](const packed& e) { return e.pos >= position; });
    entries_.erase(it, entries_.end());
    if (written_ > entries_.size()) {
        written_ = entries_.size();
        BROOK_STORAGE_TRY(auto f, fd());
        BROOK_STORAGE_TRYV(truncate_file(f, written_ * entry_size));
    }
    return success();
}

void offset_index::append(int64_t offset, uint32_t position) {
    entries_.push_back({static_cast<uint32_t>(offset - base_offset_), position});
}

result<void> offset_index::write_pending() {
    if (written_ == entries_.size()) return success();
    std::vector<uint8_t> buf((entries_.size() - written_) * entry_size);
    for (size_t i = written_, j = 0; i < entries_.size(); ++i, j += entry_size) {
        store_be32(&buf[j], entries_[i].rel);
        store_be32(&buf[j + 4], entries_[i].pos);
    }
    BROOK_STORAGE_TRY(auto f, fd());
    BROOK_STORAGE_TRYV(pwrite_all(f, buf, written_ * entry_size));
    written_ = entries_.size();
    return success();
}

result<void> offset_index::flush() {
    BROOK_STORAGE_TRYV(write_pending());
    if (fd_ >= 0 && ::fdatasync(fd_) != 0) return errc::io_error;
    return success();
}

void offset_index::release_fd() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

std::optional<offset_index::entry> offset_index::floor(int64_t target) const {
    if (target < base_offset_) return std::nullopt;
    const int64_t rel = target - base_offset_;
    auto it = std::upper_bound(entries_.begin(), entries_.end(), rel,
                               [](int64_t r, const packed& e) { return r < e.rel; });
    if (it == entries_.begin()) return std::nullopt;
    --it;
    return entry{base_offset_ + it->rel, it->pos};
}

std::optional<offset_index::entry> offset_index::last() const {
    if (entries_.empty()) return std::nullopt;
    return entry{base_offset_ + entries_.back().rel, entries_.back().pos};
}

// ---- time_index ----

result<int> time_index::fd() { return open_rw(path_, fd_); }

result<bool> time_index::load(int64_t end_offset) {
    entries_.clear();
    written_ = 0;
    bool exists = false;
    BROOK_STORAGE_TRY(auto bytes, read_whole(path_, exists));
    if (!exists || bytes.size() % entry_size != 0) return false;
    entries_.reserve(bytes.size() / entry_size);
    for (size_t i = 0; i < bytes.size(); i += entry_size) {
        packed e{static_cast<int64_t>(load_be64(&bytes[i])), load_be32(&bytes[i + 8])};
        if (static_cast<int32_t>(e.rel) < 0 ||
            base_offset_ + static_cast<int64_t>(e.rel) >= end_offset) {
            break;
        }
        if (!entries_.empty() && (e.ts <= entries_.back().ts || e.rel < entries_.back().rel)) {
            break;
        }
        entries_.push_back(e);
    }
    if (entries_.size() * entry_size != bytes.size()) {
        entries_.clear();
        return false;
    }
    written_ = entries_.size();
    return true;
}

result<void> time_index::reset() {
    entries_.clear();
    written_ = 0;
    BROOK_STORAGE_TRY(auto f, fd());
    return truncate_file(f, 0);
}

result<void> time_index::truncate_to_offset(int64_t end_offset) {
    auto it = std::find_if(entries_.begin(), entries_.end(), [&](const packed& e) {
        return base_offset_ + static_cast<int64_t>(e.rel) >= end_offset;
    });
    entries_.erase(it, entries_.end());
    if (written_ > entries_.size()) {
        written_ = entries_.size();
        BROOK_STORAGE_TRY(auto f, fd());
        BROOK_STORAGE_TRYV(truncate_file(f, written_ * entry_size));
    }
    return success();
}

void time_index::maybe_append(int64_t timestamp, int64_t offset) {
    if (!entries_.empty() && timestamp <= entries_.back().ts) return;
    entries_.push_back({timestamp, static_cast<uint32_t>(offset - base_offset_)});
}

result<void> time_index::write_pending() {
    if (written_ == entries_.size()) return success();
    std::vector<uint8_t> buf((entries_.size() - written_) * entry_size);
    for (size_t i = written_, j = 0; i < entries_.size(); ++i, j += entry_size) {
        store_be64(&buf[j], static_cast<uint64_t>(entries_[i].ts));
        store_be32(&buf[j + 8], entries_[i].rel);
    }
    BROOK_STORAGE_TRY(auto f, fd());
    BROOK_STORAGE_TRYV(pwrite_all(f, buf, written_ * entry_size));
    written_ = entries_.size();
    return success();
}

result<void> time_index::flush() {
    BROOK_STORAGE_TRYV(write_pending());
    if (fd_ >= 0 && ::fdatasync(fd_) != 0) return errc::io_error;
    return success();
}

void time_index::release_fd() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

std::optional<time_index::entry> time_index::last_below(int64_t target) const {
    auto it = std::lower_bound(entries_.begin(), entries_.end(), target,
                               [](const packed& e, int64_t t) { return e.ts < t; });
    if (it == entries_.begin()) return std::nullopt;
    --it;
    return entry{it->ts, base_offset_ + it->rel};
}

std::optional<time_index::entry> time_index::last() const {
    if (entries_.empty()) return std::nullopt;
    return entry{entries_.back().ts, base_offset_ + entries_.back().rel};
}

}  // namespace storage
