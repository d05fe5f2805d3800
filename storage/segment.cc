#include "storage/segment.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <vector>

#include "storage/assert.h"
#include "storage/errc.h"
#include "storage/file_names.h"

namespace storage {

namespace rec = protocol::records;

segment::segment(const std::filesystem::path& dir, int64_t base_offset, const log_config& cfg)
    : log_path_(segment_file(dir, base_offset, log_suffix)),
      base_offset_(base_offset),
      index_interval_bytes_(cfg.index_interval_bytes),
      offset_index_(segment_file(dir, base_offset, index_suffix), base_offset),
      time_index_(segment_file(dir, base_offset, time_index_suffix), base_offset),
      next_offset_(base_offset) {}

segment::~segment() {
    close();
    if (in_lru_) lru_->forget(*this);
}

// ---- open_segment_lru ----

void open_segment_lru::set_max_open(size_t max_open) {
    max_open_ = std::max<size_t>(max_open, 1);
    evict();
}

void open_segment_lru::touch(segment& s) {
    if (s.in_lru_) {
        if (s.lru_pos_ != lru_.begin()) lru_.splice(lru_.begin(), lru_, s.lru_pos_);
        return;
    }
    lru_.push_front(&s);
    s.lru_pos_ = lru_.begin();
    s.in_lru_ = true;
    evict();
}

void open_segment_lru::forget(segment& s) {
    if (!s.in_lru_) return;
    lru_.erase(s.lru_pos_);
    s.in_lru_ = false;
}

void open_segment_lru::evict() {
    while (lru_.size() > max_open_) {
        segment* victim = lru_.back();
        lru_.pop_back();
        victim->in_lru_ = false;
        victim->park();
    }
}

result<void> segment::open_log_file(bool truncate) {
    int flags = O_RDWR | O_CREAT | O_CLOEXEC | (truncate ? O_TRUNC : 0);
    int fd = ::open(log_path_.c_str(), flags, 0644);
    if (fd < 0) return errc::io_error;
    file_ = std::make_shared<file_handle>(fd);
    struct stat st{};
    if (::fstat(fd, &st) != 0) return errc::io_error;
    size_ = static_cast<uint64_t>(st.st_size);
    return success();
}

result<std::unique_ptr<segment>> segment::create(const std::filesystem::path& dir,
                                                 int64_t base_offset, const log_config& cfg,
                                                 int64_t now_ms) {
    std::unique_ptr<segment> s(new segment(dir, base_offset, cfg));
    BROOK_STORAGE_TRYV(s->open_log_file(true));
    BROOK_STORAGE_TRYV(s->offset_index_.reset());
    BROOK_STORAGE_TRYV(s->time_index_.reset());
    // Index fds are opened again when entries are written (flush, seal, close): an idle
    // partition holds only its .log fd.
    s->offset_index_.release_fd();
    s->time_index_.release_fd();
    s->created_ms_ = now_ms;
    return s;
}

result<std::unique_ptr<segment>> segment::open(const std::filesystem::path& dir,
                                               int64_t base_offset, const log_config& cfg,
                                               bool full_scan, int64_t now_ms) {
    std::unique_ptr<segment> s(new segment(dir, base_offset, cfg));
    BROOK_STORAGE_TRYV(s->open_log_file(false));
    s->created_ms_ = now_ms;
    bool consistent = !full_scan;
    if (consistent) {
        BROOK_STORAGE_TRY(auto ok, s->offset_index_.load(s->size_));
        consistent = ok;
    }
    if (consistent) {
        BROOK_STORAGE_TRY(auto ok, s->find_end_from_index());
        consistent = ok;
    }
    if (consistent) {
        BROOK_STORAGE_TRY(auto ok, s->time_index_.load(s->next_offset_));
        consistent = ok;
    }
    if (consistent) {
        if (auto last = s->time_index_.last(); last && last->timestamp > s->max_timestamp_) {
            s->max_timestamp_ = last->timestamp;
            s->offset_of_max_timestamp_ = last->offset;
        }
        return s;
    }
    BROOK_STORAGE_TRYV(s->recover());
    return s;
}

result<bool> segment::find_end_from_index() {
    uint64_t pos = 0;
    next_offset_ = base_offset_;
    if (auto last = offset_index_.last()) {
        // The last entry must name a real batch boundary: its batch's last offset is the entry.
        auto hdr = read_batch_header(last->position);
        if (!hdr || !hdr.value() || hdr.value()->last_offset != last->offset) return false;
        pos = last->position;
    }
    const uint64_t entry_pos = pos;
    while (pos < size_) {
        // Appends add an entry once more than index_interval_bytes follow the previous one; a
        // longer stretch without one means entries were lost (e.g. a crash before flush).
        if (pos - entry_pos > index_interval_bytes_) return false;
        auto hdr = read_batch_header(pos);
        if (!hdr || !hdr.value()) return false;
        const stored_batch b = *hdr.value();
        if (b.base_offset < next_offset_ || b.last_offset < b.base_offset ||
            b.last_offset - base_offset_ > INT32_MAX) {
            return false;
        }
        if (b.max_timestamp > max_timestamp_) {
            max_timestamp_ = b.max_timestamp;
            offset_of_max_timestamp_ = b.last_offset;
        }
        next_offset_ = b.last_offset + 1;
        pos += b.size;
    }
    bytes_since_index_entry_ = offset_index_.last() ? size_ - entry_pos : size_;
    return pos == size_;
}

void segment::note_batch(int64_t last_offset, int64_t max_ts, uint32_t position, uint32_t size) {
    if (max_ts > max_timestamp_) {
        max_timestamp_ = max_ts;
        offset_of_max_timestamp_ = last_offset;
    }
    if (bytes_since_index_entry_ > index_interval_bytes_) {
        offset_index_.append(last_offset, position);
        if (max_timestamp_ >= 0) time_index_.maybe_append(max_timestamp_, offset_of_max_timestamp_);
        bytes_since_index_entry_ = 0;
    }
    bytes_since_index_entry_ += size;
    next_offset_ = last_offset + 1;
}

result<uint64_t> segment::recover() {
    BROOK_STORAGE_TRYV(offset_index_.reset());
    BROOK_STORAGE_TRYV(time_index_.reset());
    const uint64_t file_size = size_;
    next_offset_ = base_offset_;
    max_timestamp_ = -1;
    offset_of_max_timestamp_ = -1;
    bytes_since_index_entry_ = 0;

    // Reads the file in 1 MiB chunks; a batch cut by the chunk end is carried to the next
    // chunk (the buffer grows for batches larger than a chunk).
    std::vector<uint8_t> buf(1 << 20);
    uint64_t valid = 0;      // bytes of whole valid batches so far
    uint64_t buf_start = 0;  // file position of buf[0]
    size_t have = 0;
    bool stop = false;
    while (!stop) {
        const uint64_t remaining_in_file = file_size - (buf_start + have);
        const size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size() - have, remaining_in_file));
        BROOK_STORAGE_TRY(auto n, pread_full(file_->fd(), std::span(buf).subspan(have, want),
                                             buf_start + have));
        have += n;
        const bool eof = buf_start + have >= file_size || n < want;

        rec::batch_iterator it(std::span<const uint8_t>(buf.data(), have));
        while (auto b = it.next()) {
            const uint64_t pos = buf_start + (it.position() - b->size_bytes());
            if (rec::validate_batch(b->bytes(), rec::validation_mode::stored) ||
                b->base_offset() < next_offset_ || b->last_offset() - base_offset_ > INT32_MAX) {
                stop = true;
                break;
            }
            note_batch(b->last_offset(), b->max_timestamp(), static_cast<uint32_t>(pos),
                       static_cast<uint32_t>(b->size_bytes()));
            valid = pos + b->size_bytes();
        }
        if (stop) break;
        if (it.tail_error() == rec::batch_error::bad_length || eof) break;
        // Keep the unfinished tail at the front of the buffer.
        const size_t consumed = it.position();
        std::copy(buf.begin() + static_cast<ptrdiff_t>(consumed),
                  buf.begin() + static_cast<ptrdiff_t>(have), buf.begin());
        have -= consumed;
        buf_start += consumed;
        if (have >= rec::batch_log_overhead) {
            const auto need = static_cast<uint64_t>(rec::batch_view::size_from_prefix(buf.data()));
            if (buf_start + need > file_size) break;  // claims more bytes than the file has
            if (need > buf.size()) buf.resize(static_cast<size_t>(need));
        }
    }

    const uint64_t truncated = file_size - valid;
    if (truncated > 0) {
        if (::ftruncate(file_->fd(), static_cast<off_t>(valid)) != 0) return errc::io_error;
        dirty_ = true;
    }
    size_ = valid;
    BROOK_STORAGE_TRYV(offset_index_.write_pending());
    BROOK_STORAGE_TRYV(time_index_.write_pending());
    offset_index_.release_fd();
    time_index_.release_fd();
    return truncated;
}

result<void> segment::append(std::span<const uint8_t> bytes, std::span<const batch_meta> batches) {
    BROOK_STORAGE_ASSERT(file_ != nullptr, "append to a closed segment");
    const uint64_t start = size_;
    if (auto r = pwrite_all(file_->fd(), bytes, start); !r) {
        // Cut a partial write back so the file never holds a torn batch we did not report.
        if (::ftruncate(file_->fd(), static_cast<off_t>(start)) != 0) {
            BROOK_STORAGE_ASSERT(false, "cannot cut back a failed segment write");
        }
        return r.error();
    }
    uint64_t pos = start;
    for (const auto& m : batches) {
        note_batch(m.last_offset, m.max_timestamp, static_cast<uint32_t>(pos), m.size);
        pos += m.size;
    }
    BROOK_STORAGE_ASSERT(pos == start + bytes.size(), "batch sizes must add up to the append");
    size_ = pos;
    dirty_ = true;
    // Index entries stay in memory until flush/seal/close: the files are a cache that an
    // unclean restart rebuilds anyway, so the produce path pays no index syscalls.
    return success();
}

result<void> segment::ensure_open() const {
    auto* self = const_cast<segment*>(this);
    if (parked_) BROOK_STORAGE_TRYV(self->unpark());
    if (lru_) lru_->touch(*self);
    return success();
}

result<void> segment::unpark() {
    int fd = ::open(log_path_.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) return errc::io_error;
    auto handle = std::make_shared<file_handle>(fd);
    struct stat st{};
    if (::fstat(fd, &st) != 0) return errc::io_error;
    file_ = std::move(handle);
    parked_ = false;
    // The index files were complete when the segment was parked; if they (or the .log) were
    // changed behind our back since, rebuild as open() would.
    bool ok = static_cast<uint64_t>(st.st_size) == size_;
    if (ok) {
        BROOK_STORAGE_TRY(ok, offset_index_.load(size_));
    }
    if (ok) {
        BROOK_STORAGE_TRY(ok, time_index_.load(next_offset_));
    }
    if (!ok) {
        size_ = static_cast<uint64_t>(st.st_size);
        BROOK_STORAGE_TRYV(recover());
        if (max_timestamp_ >= 0) time_index_.maybe_append(max_timestamp_, offset_of_max_timestamp_);
        BROOK_STORAGE_TRYV(time_index_.write_pending());
        time_index_.release_fd();
    }
    return success();
}

void segment::park() {
    if (parked_ || !file_) return;
    if (dirty_) {
        if (::fdatasync(file_->fd()) != 0) return;
        dirty_ = false;
    }
    if (!offset_index_.write_pending() || !time_index_.write_pending()) return;
    offset_index_.release_fd();
    time_index_.release_fd();
    offset_index_.unload();
    time_index_.unload();
    file_.reset();
    parked_ = true;
}

void segment::attach_to(open_segment_lru& lru) {
    lru_ = &lru;
    if (!parked_ && file_) lru.touch(*this);
}

result<void> segment::reactivate() {
    if (lru_) lru_->forget(*this);
    lru_ = nullptr;
    if (parked_) BROOK_STORAGE_TRYV(unpark());
    return success();
}

result<std::shared_ptr<file_handle>> segment::open_file() const {
    BROOK_STORAGE_TRYV(ensure_open());
    if (!file_) return errc::log_closed;
    return file_;
}

result<uint64_t> segment::timestamp_search_start(int64_t ts) const {
    BROOK_STORAGE_TRYV(ensure_open());
    if (auto te = time_index_.last_below(ts)) {
        if (auto oe = offset_index_.floor(te->offset)) return uint64_t{oe->position};
    }
    return uint64_t{0};
}

result<std::optional<stored_batch>> segment::read_batch_header(uint64_t position) const {
    if (position >= size_) return std::optional<stored_batch>{};
    BROOK_STORAGE_TRYV(ensure_open());
    if (!file_) return errc::log_closed;
    uint8_t hdr[rec::batch_header_size];
    BROOK_STORAGE_TRY(auto n, pread_full(file_->fd(), hdr, position));
    if (n < rec::batch_header_size) return errc::corrupt_batch;
    rec::batch_view b(hdr);
    if (!header_fits(b, position)) return errc::corrupt_batch;
    return std::optional<stored_batch>(to_stored(b, position));
}

result<void> segment::for_each_batch_header(
    uint64_t position, const std::function<void(const stored_batch&)>& fn) const {
    if (position >= size_) return success();
    BROOK_STORAGE_TRYV(ensure_open());
    if (!file_) return errc::log_closed;
    // 64 KiB holds ~60 headers of 1 KiB batches per read; a batch larger than the buffer costs
    // one read of 64 KiB for its 61 header bytes, under 7% of what it stores at 1 MiB.
    std::vector<uint8_t> buf(std::min<uint64_t>(64 * 1024, size_ - position));
    uint64_t buf_at = 0;  // file position of buf[0]
    size_t have = 0;
    while (position < size_) {
        if (position < buf_at || position + rec::batch_header_size > buf_at + have) {
            const auto want = static_cast<size_t>(std::min<uint64_t>(buf.size(), size_ - position));
            BROOK_STORAGE_TRY(have, pread_full(file_->fd(), std::span(buf).first(want), position));
            buf_at = position;
            if (have < rec::batch_header_size) return errc::corrupt_batch;
        }
        rec::batch_view b(
            std::span<const uint8_t>(buf).subspan(position - buf_at, rec::batch_header_size));
        if (!header_fits(b, position)) return errc::corrupt_batch;
        fn(to_stored(b, position));
        position += b.size_bytes();
    }
    return success();
}

bool segment::header_fits(const rec::batch_view& b, uint64_t position) const {
    constexpr auto min_length =
        static_cast<int32_t>(rec::batch_header_size - rec::batch_log_overhead);
    return b.batch_length() >= min_length && position + b.size_bytes() <= size_;
}

stored_batch segment::to_stored(const rec::batch_view& b, uint64_t position) {
    return stored_batch{position,
                        b.base_offset(),
                        b.last_offset(),
                        b.max_timestamp(),
                        static_cast<uint32_t>(b.size_bytes()),
                        b.codec(),
                        b.producer_id(),
                        b.producer_epoch(),
                        b.base_sequence(),
                        b.is_control()};
}

result<std::optional<stored_batch>> segment::find_batch(int64_t offset) const {
    BROOK_STORAGE_TRYV(ensure_open());
    uint64_t pos = 0;
    if (auto e = offset_index_.floor(offset)) pos = e->position;
    while (true) {
        BROOK_STORAGE_TRY(auto hdr, read_batch_header(pos));
        if (!hdr || hdr->last_offset >= offset) return hdr;
        pos += hdr->size;
    }
}

result<void> segment::truncate_to(int64_t offset) {
    BROOK_STORAGE_TRY(auto hdr, find_batch(offset));  // reopens a parked segment
    if (!hdr) return success();
    const uint64_t pos = hdr->position;
    if (::ftruncate(file_->fd(), static_cast<off_t>(pos)) != 0) return errc::io_error;
    size_ = pos;
    dirty_ = true;
    BROOK_STORAGE_TRYV(offset_index_.truncate_to_position(pos));
    BROOK_STORAGE_TRYV(time_index_.truncate_to_offset(hdr->base_offset));
    max_timestamp_ = -1;
    offset_of_max_timestamp_ = -1;
    if (auto last = time_index_.last()) {
        max_timestamp_ = last->timestamp;
        offset_of_max_timestamp_ = last->offset;
    }
    // Re-derives next offset, max timestamp and the index-interval counter from the headers
    // after the last remaining index entry; falls back to a full rebuild if that disagrees.
    BROOK_STORAGE_TRY(auto ok, find_end_from_index());
    if (!ok) BROOK_STORAGE_TRYV(recover());
    return success();
}

result<void> segment::remove_files() {
    close();
    std::error_code ec;
    for (const auto& p : {log_path_, offset_index_.path(), time_index_.path()}) {
        std::filesystem::remove(p, ec);
        if (ec) return errc::io_error;
    }
    return success();
}

result<void> segment::seal() {
    if (max_timestamp_ >= 0) time_index_.maybe_append(max_timestamp_, offset_of_max_timestamp_);
    BROOK_STORAGE_TRYV(flush());
    offset_index_.release_fd();
    time_index_.release_fd();
    return success();
}

result<void> segment::flush() {
    if (parked_) return success();  // parking wrote and synced everything
    BROOK_STORAGE_TRYV(offset_index_.flush());
    BROOK_STORAGE_TRYV(time_index_.flush());
    // Reopened at the next write: an idle partition keeps only its .log fd.
    offset_index_.release_fd();
    time_index_.release_fd();
    if (dirty_ && file_) {
        if (::fdatasync(file_->fd()) != 0) return errc::io_error;
        dirty_ = false;
    }
    return success();
}

void segment::close() {
    parked_ = false;  // closed for good: no access reopens it
    if (!file_) return;
    if (max_timestamp_ >= 0) time_index_.maybe_append(max_timestamp_, offset_of_max_timestamp_);
    // Best effort: a lost index entry is rebuilt on the next unclean open.
    (void)offset_index_.write_pending();
    (void)time_index_.write_pending();
    offset_index_.release_fd();
    time_index_.release_fd();
    file_.reset();
}

}  // namespace storage
