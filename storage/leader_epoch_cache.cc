#include "storage/leader_epoch_cache.h"

#include <algorithm>
#include <string>
#include <system_error>

#include "storage/checkpoint_file.h"
#include "storage/errc.h"

namespace storage {

namespace fs = std::filesystem;

result<leader_epoch_cache> leader_epoch_cache::load(fs::path file) {
    leader_epoch_cache c(std::move(file));
    BROOK_STORAGE_TRY(auto lines, read_checkpoint_file(c.file_, 2));
    if (!lines) return c;
    for (const auto& f : *lines) {
        const auto epoch = parse_int32(f[0]);
        const auto start = parse_int64(f[1]);
        if (!epoch || !start || *epoch < 0 || *start < 0) return errc::corrupt_checkpoint;
        // We only ever write increasing entries; anything else was not written by a broker.
        if (!c.entries_.empty() &&
            (*epoch <= c.entries_.back().epoch || *start <= c.entries_.back().start_offset)) {
            return errc::corrupt_checkpoint;
        }
        c.entries_.push_back({*epoch, *start});
    }
    return c;
}

result<void> leader_epoch_cache::replace(std::vector<epoch_entry> next) {
    std::vector<std::string> lines;
    lines.reserve(next.size());
    for (const auto& e : next) {
        lines.push_back(std::to_string(e.epoch) + " " + std::to_string(e.start_offset));
    }
    // Memory follows the file only once the file is written, so a failed write changes nothing.
    BROOK_STORAGE_TRYV(write_checkpoint_file(file_, lines));
    entries_ = std::move(next);
    return success();
}

result<void> leader_epoch_cache::assign(int32_t epoch, int64_t start_offset) {
    if (epoch < 0 || start_offset < 0) return errc::invalid_argument;
    if (!entries_.empty()) {
        const epoch_entry& last = entries_.back();
        if (start_offset >= last.start_offset && epoch <= last.epoch) return success();
    }
    std::vector<epoch_entry> next = entries_;
    while (!next.empty() &&
           (next.back().epoch >= epoch || next.back().start_offset >= start_offset)) {
        next.pop_back();
    }
    next.push_back({epoch, start_offset});
    return replace(std::move(next));
}

std::optional<epoch_entry> leader_epoch_cache::latest() const {
    if (entries_.empty()) return std::nullopt;
    return entries_.back();
}

std::optional<int32_t> leader_epoch_cache::latest_epoch() const {
    if (entries_.empty()) return std::nullopt;
    return entries_.back().epoch;
}

std::pair<int32_t, int64_t> leader_epoch_cache::end_offset_for(int32_t requested,
                                                               int64_t log_end_offset) const {
    const std::pair<int32_t, int64_t> undefined{undefined_epoch, undefined_offset};
    if (entries_.empty() || requested < entries_.front().epoch ||
        requested > entries_.back().epoch) {
        return undefined;
    }
    if (requested == entries_.back().epoch) return {requested, log_end_offset};
    // First entry with a larger epoch; it exists since requested < latest epoch, and the one
    // before it is the largest epoch <= requested since requested >= the first epoch.
    auto next = std::upper_bound(entries_.begin(), entries_.end(), requested,
                                 [](int32_t e, const epoch_entry& x) { return e < x.epoch; });
    return {std::prev(next)->epoch, next->start_offset};
}

result<void> leader_epoch_cache::truncate_from_end(int64_t end_offset) {
    if (entries_.empty() || entries_.back().start_offset < end_offset) return success();
    std::vector<epoch_entry> next = entries_;
    while (!next.empty() && next.back().start_offset >= end_offset) next.pop_back();
    return replace(std::move(next));
}

result<void> leader_epoch_cache::truncate_from_start(int64_t start_offset) {
    // Entries at or before start_offset: [begin, first_after).
    auto first_after = std::find_if(entries_.begin(), entries_.end(), [&](const epoch_entry& e) {
        return e.start_offset > start_offset;
    });
    if (first_after == entries_.begin()) return success();
    const epoch_entry moved{std::prev(first_after)->epoch, start_offset};
    if (first_after == std::next(entries_.begin()) && entries_.front() == moved) return success();
    std::vector<epoch_entry> next{moved};
    next.insert(next.end(), first_after, entries_.end());
    return replace(std::move(next));
}

result<void> leader_epoch_cache::remove_file() {
    entries_.clear();
    std::error_code ec;
    fs::remove(file_, ec);
    if (ec) return errc::io_error;
    return success();
}

}  // namespace storage
