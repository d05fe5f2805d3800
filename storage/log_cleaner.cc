#include "storage/log_cleaner.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <optional>
#include <string>
#include <unordered_map>

#include "protocol/records/record_batch.h"
#include "protocol/records/record_batch_builder.h"
#include "storage/errc.h"
#include "storage/file_names.h"

namespace storage {

namespace rec = protocol::records;
namespace fs = std::filesystem;

namespace {

constexpr std::string_view cleaned_suffix = ".cleaned";
constexpr std::string_view swap_suffix = ".swap";
constexpr std::string_view deleted_suffix = ".deleted";
// Per offset map entry on top of the key bytes: node, hash bucket and string header.
constexpr uint64_t map_entry_overhead = 64;
// The cleaned file is written in chunks of about this size.
constexpr size_t write_chunk = 1 << 20;

class fd_guard {
public:
    explicit fd_guard(int fd) : fd_(fd) {}
    ~fd_guard() {
        if (fd_ >= 0) ::close(fd_);
    }
    fd_guard(const fd_guard&) = delete;
    fd_guard& operator=(const fd_guard&) = delete;
    int get() const { return fd_; }

private:
    int fd_;
};

result<void> fsync_dir(const fs::path& dir) {
    fd_guard d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (d.get() < 0 || ::fsync(d.get()) != 0) return errc::io_error;
    return success();
}

result<void> rename_file(const fs::path& from, const fs::path& to) {
    if (::rename(from.c_str(), to.c_str()) != 0) return errc::io_error;
    return success();
}

fs::path with_suffix(const fs::path& p, std::string_view suffix) {
    return fs::path(p.string() + std::string(suffix));
}

/// Reads whole batches of one file in order; the bytes of the current batch stay valid until
/// the next call. Stops (nullopt) at the end or at a torn tail; impossible lengths are errors.
class batch_reader {
public:
    batch_reader(int fd, uint64_t size) : fd_(fd), size_(size) {}

    result<std::optional<rec::batch_view>> next() {
        if (position_ + rec::batch_log_overhead > size_) return std::optional<rec::batch_view>{};
        uint8_t prefix[rec::batch_log_overhead];
        BROOK_STORAGE_TRY(auto n, pread_full(fd_, prefix, position_));
        if (n != sizeof prefix) return errc::io_error;
        const int64_t len = rec::batch_view::size_from_prefix(prefix);
        if (len < static_cast<int64_t>(rec::batch_header_size)) return errc::corrupt_batch;
        if (position_ + static_cast<uint64_t>(len) > size_) return std::optional<rec::batch_view>{};
        buffer_.resize(static_cast<size_t>(len));
        BROOK_STORAGE_TRY(auto m, pread_full(fd_, buffer_, position_));
        if (m != buffer_.size()) return errc::io_error;
        position_ += static_cast<uint64_t>(len);
        return std::optional<rec::batch_view>{rec::batch_view(buffer_)};
    }

private:
    int fd_;
    uint64_t size_;
    uint64_t position_ = 0;
    std::vector<uint8_t> buffer_;
};

std::string key_string(const rec::bytes_view& k) {
    return std::string(reinterpret_cast<const char*>(k.data()), k.size());
}

// The base offset of whatever follows segment i: gaps left by earlier cleans belong to it.
int64_t segment_end(const cleaning_input& in, size_t i) {
    return i + 1 < in.segments.size() ? in.segments[i + 1].base_offset : in.active_base_offset;
}

/// Writes one group's cleaned files: the .log with buffered appends of whole batches, and its
/// offset and time index entries as segment::append would make them; then fsync and the group's
/// mtime.
class cleaned_writer {
public:
    cleaned_writer(const cleaned_group& g, int64_t base_offset, uint32_t index_interval_bytes)
        : path_(g.cleaned_file),
          index_(g.cleaned_index, base_offset),
          time_index_(g.cleaned_time_index, base_offset),
          index_interval_bytes_(index_interval_bytes) {}
    ~cleaned_writer() {
        if (fd_ >= 0) ::close(fd_);
    }

    result<void> open() {
        fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd_ < 0) return errc::io_error;
        BROOK_STORAGE_TRYV(index_.reset());
        return time_index_.reset();
    }
    /// One whole batch.
    result<void> append(std::span<const uint8_t> bytes) {
        const rec::batch_view b(bytes);
        const uint64_t position = size();
        if (b.max_timestamp() > max_timestamp_) {
            max_timestamp_ = b.max_timestamp();
            offset_of_max_timestamp_ = b.last_offset();
        }
        if (bytes_since_index_entry_ > index_interval_bytes_) {
            index_.append(b.last_offset(), static_cast<uint32_t>(position));
            if (max_timestamp_ >= 0) time_index_.maybe_append(max_timestamp_, offset_of_max_timestamp_);
            bytes_since_index_entry_ = 0;
        }
        bytes_since_index_entry_ += bytes.size();
        pending_.insert(pending_.end(), bytes.begin(), bytes.end());
        if (pending_.size() >= write_chunk) return flush_pending();
        return success();
    }
    /// Flushes, fsyncs and sets the mtime (Kafka: cleaned.lastModified = the group's newest).
    result<void> finish(int64_t mtime_ms) {
        BROOK_STORAGE_TRYV(flush_pending());
        if (max_timestamp_ >= 0) time_index_.maybe_append(max_timestamp_, offset_of_max_timestamp_);
        BROOK_STORAGE_TRYV(index_.flush());
        BROOK_STORAGE_TRYV(time_index_.flush());
        index_.release_fd();
        time_index_.release_fd();
        if (::fsync(fd_) != 0) return errc::io_error;
        struct timespec times[2];
        times[0].tv_sec = times[1].tv_sec = mtime_ms / 1000;
        times[0].tv_nsec = times[1].tv_nsec = (mtime_ms % 1000) * 1000000;
        if (::futimens(fd_, times) != 0) return errc::io_error;
        ::close(fd_);
        fd_ = -1;
        return success();
    }
    uint64_t size() const { return written_ + pending_.size(); }

private:
    result<void> flush_pending() {
        BROOK_STORAGE_TRYV(pwrite_all(fd_, pending_, written_));
        written_ += pending_.size();
        pending_.clear();
        return success();
    }

    fs::path path_;
    offset_index index_;
    time_index time_index_;
    uint32_t index_interval_bytes_;
    int fd_ = -1;
    uint64_t written_ = 0;
    std::vector<uint8_t> pending_;
    uint64_t bytes_since_index_entry_ = 0;
    int64_t max_timestamp_ = -1;
    int64_t offset_of_max_timestamp_ = -1;
};

using offset_map = std::unordered_map<std::string, int64_t>;

struct group_stats {
    bool changed = false;
};

// Filters one batch into w (the rules are on clean() in the header).
result<void> clean_batch(const rec::batch_view& b, const offset_map& map, bool retain_deletes,
                         const cleaning_input& in, const cleaner_config& cfg, cleaned_writer& w,
                         clean_result& res, group_stats& gs,
                         std::optional<std::vector<uint8_t>>& dropped_last) {
    // The previous batch was dropped and is not the group's last after all.
    if (dropped_last) gs.changed = true;
    dropped_last.reset();
    if (b.is_control() || b.is_transactional()) return w.append(b.bytes());
    rec::batch_records records(b, cfg.max_decompressed_bytes);
    std::vector<rec::bytes_view> kept;
    int32_t count = 0;
    while (auto r = records.next()) {
        ++count;
        ++res.records_read;
        if (!r->key) continue;  // a compacted topic has no use for keyless records
        const int64_t offset = b.base_offset() + r->offset_delta;
        auto it = map.find(key_string(*r->key));
        if (it != map.end() && offset < it->second) continue;  // superseded
        if (!r->value && !retain_deletes) {
            ++res.tombstones_removed;
            continue;
        }
        kept.push_back(r->raw);
    }
    if (records.error()) return errc::corrupt_batch;
    res.records_kept += static_cast<int64_t>(kept.size());
    if (count > 0 && static_cast<int32_t>(kept.size()) == count && count == b.records_count()) {
        return w.append(b.bytes());
    }
    std::vector<uint8_t> out;
    if (kept.empty()) {
        // An already empty batch written back unchanged is no change (see dropped_last).
        auto p = in.producer_last_offsets.find(b.producer_id());
        const bool producer_last =
            b.producer_id() >= 0 && p != in.producer_last_offsets.end() && p->second == b.last_offset();
        if (auto ec = rec::rebuild_batch(b, {}, out)) return errc::corrupt_batch;
        if (b.records_count() != 0) gs.changed = true;
        if (!producer_last) {
            dropped_last = std::move(out);  // written only if it ends the group
            return success();
        }
        return w.append(out);
    }
    gs.changed = true;
    if (auto ec = rec::rebuild_batch(b, kept, out)) return errc::corrupt_batch;
    return w.append(out);
}

}  // namespace

void remove_cleaned_files(const cleaned_group& g) {
    std::error_code ec;
    for (const auto& p : {g.cleaned_file, g.cleaned_index, g.cleaned_time_index})
        if (!p.empty()) fs::remove(p, ec);
}

cleanable_range find_cleanable_range(const cleaning_input& in, int64_t checkpoint, int64_t now_ms,
                                     const cleaner_config& cfg) {
    cleanable_range r;
    const int64_t start = in.segments.empty() ? in.active_base_offset : in.segments.front().base_offset;
    r.first_dirty = std::clamp(checkpoint, start, in.active_base_offset);
    r.first_uncleanable = in.active_base_offset;
    for (size_t i = 0; i < in.segments.size(); ++i) {
        const auto& s = in.segments[i];
        const int64_t end = segment_end(in, i);
        if (end <= r.first_dirty) {
            r.clean_bytes += s.size_bytes;
            continue;
        }
        if ((cfg.min_compaction_lag_ms > 0 && s.max_timestamp > now_ms - cfg.min_compaction_lag_ms) ||
            end > in.upper_bound) {
            r.first_uncleanable = std::max(r.first_dirty, s.base_offset);
            break;
        }
        r.dirty_bytes += s.size_bytes;
    }
    return r;
}

result<clean_result> clean(const cleaning_input& in, const cleanable_range& range,
                           const cleaner_config& cfg) {
    clean_result res;
    res.next_dirty_offset = range.first_dirty;

    // 1. Offset map over the dirty range, whole segments at a time.
    offset_map map;
    uint64_t map_bytes = 0;
    int64_t map_end = range.first_dirty;
    for (size_t i = 0; i < in.segments.size(); ++i) {
        const auto& s = in.segments[i];
        const int64_t end = segment_end(in, i);
        if (end <= range.first_dirty) continue;
        if (end > range.first_uncleanable) break;
        batch_reader reader(s.file->fd(), s.size_bytes);
        while (true) {
            BROOK_STORAGE_TRY(auto b, reader.next());
            if (!b) break;
            res.bytes_read += b->size_bytes();
            if (b->is_control() || b->last_offset() < range.first_dirty) continue;
            rec::batch_records records(*b, cfg.max_decompressed_bytes);
            while (auto r = records.next()) {
                if (!r->key) continue;
                auto [it, inserted] = map.try_emplace(key_string(*r->key), 0);
                if (inserted) map_bytes += r->key->size() + map_entry_overhead;
                it->second = b->base_offset() + r->offset_delta;
            }
            if (records.error()) return errc::corrupt_batch;
        }
        map_end = end;
        if (map_bytes > cfg.dedupe_buffer_bytes) break;
    }
    if (map_end == range.first_dirty) return res;  // nothing dirty
    res.next_dirty_offset = map_end;

    // 2. Delete horizon from the newest already-clean segment (Kafka's rule).
    int64_t clean_modified = 0;
    for (size_t i = 0; i < in.segments.size(); ++i)
        if (segment_end(in, i) <= range.first_dirty) clean_modified = in.segments[i].last_modified_ms;
    const int64_t delete_horizon = clean_modified - cfg.delete_retention_ms;

    // 3. Rewrite every segment below map_end, in groups.
    size_t i = 0;
    while (i < in.segments.size() && segment_end(in, i) <= map_end) {
        size_t j = i;
        uint64_t total = 0;
        while (j < in.segments.size() && segment_end(in, j) <= map_end &&
               (j == i || (total + in.segments[j].size_bytes <= in.segment_bytes &&
                           segment_end(in, j) - 1 - in.segments[i].base_offset <= INT32_MAX))) {
            total += in.segments[j].size_bytes;
            ++j;
        }
        cleaned_group g;
        const int64_t base = in.segments[i].base_offset;
        g.cleaned_file = with_suffix(segment_file(in.dir, base, log_suffix), cleaned_suffix);
        g.cleaned_index = with_suffix(segment_file(in.dir, base, index_suffix), cleaned_suffix);
        g.cleaned_time_index = with_suffix(segment_file(in.dir, base, time_index_suffix), cleaned_suffix);
        cleaned_writer w(g, base, in.index_interval_bytes);
        auto fail = [&](std::error_code ec) -> result<clean_result> {
            for (const auto& done : res.groups) remove_cleaned_files(done);
            remove_cleaned_files(g);
            return ec;
        };
        if (auto r = w.open(); !r) return fail(r.error());
        group_stats gs;
        int64_t mtime = 0;
        std::optional<std::vector<uint8_t>> dropped_last;
        for (size_t k = i; k < j; ++k) {
            const auto& s = in.segments[k];
            g.replaced_bases.push_back(s.base_offset);
            g.replaced_sizes.push_back(s.size_bytes);
            mtime = std::max(mtime, s.last_modified_ms);
            const bool retain_deletes = s.last_modified_ms > delete_horizon;
            batch_reader reader(s.file->fd(), s.size_bytes);
            while (true) {
                auto b = reader.next();
                if (!b) return fail(b.error());
                if (!b.value()) break;
                if (auto r = clean_batch(*b.value(), map, retain_deletes, in, cfg, w, res, gs, dropped_last);
                    !r)
                    return fail(r.error());
            }
        }
        // The group's last batch stays (emptied) so the cleaned file ends where the group did.
        if (dropped_last) {
            if (auto r = w.append(*dropped_last); !r) return fail(r.error());
        }
        if (j - i == 1 && !gs.changed) {
            remove_cleaned_files(g);
        } else {
            if (auto r = w.finish(mtime); !r) return fail(r.error());
            g.size_bytes = w.size();
            res.bytes_written += g.size_bytes;
            res.groups.push_back(std::move(g));
        }
        i = j;
    }
    return res;
}

result<void> swap_segment_files(const fs::path& dir, const cleaned_group& g,
                                const swap_fault_hook& fault) {
    if (g.replaced_bases.empty()) return errc::invalid_argument;
    const int64_t base = g.replaced_bases.front();
    const fs::path log_file = segment_file(dir, base, log_suffix);
    const fs::path swap_file = with_suffix(log_file, swap_suffix);
    auto step = [&](swap_step s) { return !fault || fault(s); };
    std::error_code ec;

    // Index swaps first: the .log swap is what makes recovery complete the swap.
    std::vector<std::pair<fs::path, fs::path>> index_swaps;  // (swap name, final name)
    for (const auto& [cleaned, suffix] : {std::pair{g.cleaned_index, index_suffix},
                                          std::pair{g.cleaned_time_index, time_index_suffix}}) {
        if (cleaned.empty() || !fs::exists(cleaned, ec)) continue;
        const fs::path final_name = segment_file(dir, base, suffix);
        index_swaps.emplace_back(with_suffix(final_name, swap_suffix), final_name);
        BROOK_STORAGE_TRYV(rename_file(cleaned, index_swaps.back().first));
    }
    BROOK_STORAGE_TRYV(rename_file(g.cleaned_file, swap_file));
    BROOK_STORAGE_TRYV(fsync_dir(dir));
    if (!step(swap_step::cleaned_renamed_to_swap)) return errc::io_error;
    std::vector<fs::path> deleted;
    for (int64_t old : g.replaced_bases) {
        for (auto suffix : {log_suffix, index_suffix, time_index_suffix}) {
            const fs::path p = segment_file(dir, old, suffix);
            if (!fs::exists(p, ec)) continue;
            deleted.push_back(with_suffix(p, deleted_suffix));
            BROOK_STORAGE_TRYV(rename_file(p, deleted.back()));
        }
        if (!step(swap_step::old_renamed_to_deleted)) return errc::io_error;
    }
    BROOK_STORAGE_TRYV(fsync_dir(dir));
    BROOK_STORAGE_TRYV(rename_file(swap_file, log_file));
    BROOK_STORAGE_TRYV(fsync_dir(dir));
    if (!step(swap_step::swap_renamed_to_log)) return errc::io_error;
    for (const auto& [from, to] : index_swaps) BROOK_STORAGE_TRYV(rename_file(from, to));
    if (!step(swap_step::index_swaps_renamed)) return errc::io_error;
    for (const auto& p : deleted) fs::remove(p, ec);
    if (!step(swap_step::deleted_removed)) return errc::io_error;
    return success();
}

result<void> recover_cleaner_files(const fs::path& dir) {
    std::error_code ec;
    std::vector<fs::path> cleaned, swaps, index_swaps, deleted;
    std::vector<std::pair<int64_t, fs::path>> segment_files;  // (base, path) of .log/.index/.timeindex
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        const std::string name = entry.path().filename().string();
        if (name.ends_with(cleaned_suffix)) {
            cleaned.push_back(entry.path());
        } else if (name.ends_with(std::string(log_suffix) + std::string(swap_suffix))) {
            swaps.push_back(entry.path());
        } else if (name.ends_with(swap_suffix)) {
            index_swaps.push_back(entry.path());
        } else if (name.ends_with(deleted_suffix)) {
            deleted.push_back(entry.path());
        } else {
            for (auto suffix : {log_suffix, index_suffix, time_index_suffix})
                if (auto b = parse_segment_file(name, suffix)) segment_files.emplace_back(*b, entry.path());
        }
    }
    if (ec) return errc::io_error;
    if (cleaned.empty() && swaps.empty() && index_swaps.empty() && deleted.empty()) return success();
    for (const auto& p : cleaned) fs::remove(p, ec);
    for (const auto& swap : swaps) {
        const std::string name = swap.filename().string();
        auto base = parse_segment_file(name.substr(0, name.size() - swap_suffix.size()), log_suffix);
        if (!base) {
            fs::remove(swap, ec);  // not one of ours
            continue;
        }
        // The swap was fsynced before it got its name, so it is whole; its last offset is the
        // last offset of the group it replaces (clean() keeps the group's last batch).
        fd_guard fd(::open(swap.c_str(), O_RDONLY | O_CLOEXEC));
        if (fd.get() < 0) return errc::io_error;
        struct stat st{};
        if (::fstat(fd.get(), &st) != 0) return errc::io_error;
        batch_reader reader(fd.get(), static_cast<uint64_t>(st.st_size));
        int64_t last = *base;
        while (true) {
            BROOK_STORAGE_TRY(auto b, reader.next());
            if (!b) break;
            last = b->last_offset();
        }
        for (const auto& [b, p] : segment_files)
            if (b >= *base && b <= last) fs::remove(p, ec);
        BROOK_STORAGE_TRYV(rename_file(swap, segment_file(dir, *base, log_suffix)));
        for (auto suffix : {index_suffix, time_index_suffix}) {
            const fs::path final_name = segment_file(dir, *base, suffix);
            const fs::path index_swap = with_suffix(final_name, swap_suffix);
            if (!fs::exists(index_swap, ec)) continue;
            BROOK_STORAGE_TRYV(rename_file(index_swap, final_name));
            std::erase(index_swaps, index_swap);
        }
    }
    for (const auto& p : index_swaps) fs::remove(p, ec);
    for (const auto& p : deleted) fs::remove(p, ec);
    return fsync_dir(dir);
}

}  // namespace storage
