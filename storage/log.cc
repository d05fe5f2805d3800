#include "storage/log.h"

#include <algorithm>
#include <climits>
#include <set>
#include <system_error>

#include <sys/stat.h>

#include "protocol/records/record_batch.h"
#include "protocol/records/record_batch_builder.h"
#include "storage/assert.h"
#include "storage/errc.h"
#include "storage/file_names.h"
#include "storage/segment.h"

namespace storage {

namespace rec = protocol::records;
namespace fs = std::filesystem;

namespace {
// Offset index positions are 32-bit (Kafka's segment.bytes is an int too).
constexpr uint64_t max_segment_bytes = uint64_t{INT32_MAX};

// Adds one batch, with its final offsets, to an append's summary and to the per-batch metadata
// the segment builds its index entries from.
void note_batch(append_result& res, std::vector<batch_meta>& metas, int64_t last_offset,
                int64_t max_timestamp, size_t size) {
    metas.push_back({last_offset, max_timestamp, static_cast<uint32_t>(size)});
    if (max_timestamp > res.max_timestamp) {
        res.max_timestamp = max_timestamp;
        res.offset_of_max_timestamp = last_offset;
    }
    res.last_offset = last_offset;
    res.record_count = last_offset - res.first_offset + 1;
    res.size_bytes += size;
}

producer_batch_header producer_fields(const rec::batch_view& b, int64_t first_offset) {
    return {b.producer_id(),   b.producer_epoch(), b.base_sequence(), first_offset,
            first_offset + b.last_offset_delta(), b.max_timestamp(), b.is_control()};
}

producer_batch_header producer_fields(const stored_batch& b) {
    return {b.producer_id, b.producer_epoch, b.base_sequence, b.base_offset,
            b.last_offset, b.max_timestamp, b.is_control};
}

append_result duplicate_result(const duplicate_batch& d) {
    append_result res;
    res.first_offset = d.first_offset;
    res.last_offset = d.last_offset;
    res.max_timestamp = d.max_timestamp;
    res.offset_of_max_timestamp = d.last_offset;
    res.duplicate = true;
    return res;
}
}  // namespace

result<std::vector<uint8_t>> read_slices(const read_result& r) {
    std::vector<uint8_t> out(r.size_bytes);
    size_t at = 0;
    for (const auto& s : r.slices) {
        BROOK_STORAGE_TRY(auto n, pread_full(s.fd, std::span(out).subspan(at, s.size), s.position));
        if (n != s.size) return errc::io_error;
        at += s.size;
    }
    return out;
}

log::log(fs::path dir, log_config cfg)
    : dir_(std::move(dir)),
      open_segments_(std::make_unique<open_segment_lru>(cfg.max_open_sealed_segments)),
      epochs_(dir_ / leader_epoch_checkpoint_file),
      producers_(dir_) {
    set_config(cfg);
}

log::~log() { close(); }

void log::set_config(const log_config& cfg) {
    config_ = cfg;
    config_.segment_bytes = std::clamp<uint64_t>(cfg.segment_bytes, 1, max_segment_bytes);
    open_segments_->set_max_open(cfg.max_open_sealed_segments);
}

size_t log::open_sealed_segments() const {
    size_t n = 0;
    for (const auto& [base, s] : segments_) n += (s.get() != &active() && !s->parked() && s->file()) ? 1 : 0;
    return n;
}

result<std::unique_ptr<log>> log::open(fs::path dir, log_config cfg, shutdown_state state,
                                       int64_t now_ms, log_checkpoints checkpoints) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return errc::io_error;
    std::unique_ptr<log> l(new log(dir, cfg));
    // A crash in the middle of a compaction swap: finish it (or drop the unswapped output).
    BROOK_STORAGE_TRYV(recover_cleaner_files(dir));

    std::set<int64_t> bases;
    std::vector<fs::path> index_files;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        const std::string name = entry.path().filename().string();
        if (auto b = parse_segment_file(name, log_suffix)) {
            bases.insert(*b);
        } else if (parse_segment_file(name, index_suffix) ||
                   parse_segment_file(name, time_index_suffix)) {
            index_files.push_back(entry.path());
        }
    }
    if (ec) return errc::io_error;
    // Indexes whose .log is gone (e.g. a crash while deleting a segment) are stale.
    for (const auto& p : index_files) {
        auto b = parse_segment_file(p.filename().string(), p.extension() == ".index"
                                                                ? index_suffix
                                                                : time_index_suffix);
        if (b && !bases.contains(*b)) fs::remove(p, ec);
    }

    if (bases.empty()) {
        BROOK_STORAGE_TRY(auto s, segment::create(dir, 0, l->config_, now_ms));
        l->segments_.emplace(0, std::move(s));
    }
    // Without a recovery point nothing is known to be on disk: validate every segment.
    const int64_t recovery_point =
        checkpoints.recovery_point >= 0 ? checkpoints.recovery_point : INT64_MIN;
    for (auto it = bases.begin(); it != bases.end(); ++it) {
        auto next = std::next(it);
        bool is_active = next == bases.end();
        // [*it, *next) holds offsets at or after the recovery point: maybe never fsynced.
        const bool full_scan = state == shutdown_state::unclean &&
                               (is_active || *next > recovery_point);
        uint64_t size_before = 0;
        if (full_scan) {
            size_before = fs::file_size(segment_file(dir, *it, log_suffix), ec);
            if (ec) return errc::io_error;
            ++l->recovered_segments_;
        }
        BROOK_STORAGE_TRY(auto s, segment::open(dir, *it, l->config_, full_scan, now_ms));
        if (full_scan && !is_active && s->size_bytes() < size_before) {
            // Cut at the first bad batch: what follows it in later segments cannot be trusted
            // to continue the log, so they go (Kafka deletes them too).
            for (auto later = next; later != bases.end(); ++later) {
                for (auto suffix : {log_suffix, index_suffix, time_index_suffix}) {
                    fs::remove(segment_file(dir, *later, suffix), ec);
                    if (ec) return errc::io_error;
                }
            }
            bases.erase(next, bases.end());
            is_active = true;
        }
        if (!is_active) {
            // Checked above, then parked until first read: a restarted broker with thousands
            // of idle partitions holds one open segment (the active one) per partition.
            BROOK_STORAGE_TRYV(s->seal());
            s->park();
            s->attach_to(*l->open_segments_);
        }
        l->segments_.emplace(*it, std::move(s));
        if (is_active) break;
    }
    const int64_t first_base = l->segments_.begin()->first;
    l->log_start_offset_ = std::clamp(checkpoints.log_start_offset, first_base,
                                      std::max(first_base, l->log_end_offset()));
    // Clean: everything was flushed at shutdown. Unclean: what was re-validated was read from
    // the page cache and is not known to be on disk; it stays above the recovery point until
    // the next flush, so a second crash re-validates it again.
    l->recovery_point_ = state == shutdown_state::clean
                             ? l->log_end_offset()
                             : std::clamp<int64_t>(checkpoints.recovery_point, 0, l->log_end_offset());
    l->last_flush_ms_ = now_ms;
    // Recovery may have cut the tail (and with it the data of the last epochs), and retention
    // may have deleted segments after the cache was last written.
    BROOK_STORAGE_TRY(l->epochs_, leader_epoch_cache::load(l->epochs_.file()));
    BROOK_STORAGE_TRYV(l->epochs_.truncate_from_end(l->log_end_offset()));
    BROOK_STORAGE_TRYV(l->epochs_.truncate_from_start(l->log_start_offset()));
    BROOK_STORAGE_TRYV(l->producers_.scan_snapshots());
    BROOK_STORAGE_TRYV(l->load_producer_state());
    l->opened_ = true;
    return l;
}

result<void> log::load_producer_state() {
    // A snapshot above the end describes data that is gone; one below the start cannot be
    // replayed from, the batches right after it are gone.
    const int64_t end = log_end_offset();
    BROOK_STORAGE_TRYV(producers_.delete_snapshots_outside(log_start_offset(), end));
    BROOK_STORAGE_TRY(auto loaded, producers_.load_latest_snapshot(end));
    BROOK_STORAGE_TRYV(replay_producer_state(loaded.value_or(log_start_offset())));
    producers_.reapply_expiry();
    return success();
}

result<void> log::replay_producer_state(int64_t from) {
    auto it = segments_.upper_bound(from);
    if (it != segments_.begin()) it = std::prev(it);
    for (bool first = true; it != segments_.end(); ++it, first = false) {
        const segment& seg = *it->second;
        uint64_t position = 0;
        if (first) {
            BROOK_STORAGE_TRY(auto hdr, seg.find_batch(from));
            if (!hdr) continue;
            position = hdr->position;
        }
        // A snapshot holds only batches ending below its offset, so the batch containing
        // `from` (if a foreign snapshot ever sits inside one) is not in it: replay it too.
        BROOK_STORAGE_TRYV(seg.for_each_batch_header(
            position, [&](const stored_batch& b) { producers_.update(producer_fields(b)); }));
    }
    return success();
}

segment& log::active() const {
    BROOK_STORAGE_ASSERT(!segments_.empty(), "a log always has an active segment");
    return *segments_.rbegin()->second;
}

int64_t log::log_start_offset() const { return log_start_offset_.load(std::memory_order_relaxed); }
int64_t log::log_end_offset() const { return active().next_offset(); }

int64_t log::size_bytes() const {
    int64_t total = 0;
    for (const auto& [base, s] : segments_) total += static_cast<int64_t>(s->size_bytes());
    return total;
}

std::vector<int64_t> log::segment_base_offsets() const {
    std::vector<int64_t> out;
    for (const auto& [base, s] : segments_) out.push_back(base);
    return out;
}

result<void> log::roll(int64_t now_ms) {
    const int64_t base = log_end_offset();
    // Kafka's takeProducerSnapshot at roll: a restart replays at most the active segment.
    BROOK_STORAGE_TRYV(producers_.take_snapshot(base));
    BROOK_STORAGE_TRYV(active().seal());
    // Stays open while among the most recently used (followers and consumers at the head read
    // it next), parked after that.
    active().attach_to(*open_segments_);
    BROOK_STORAGE_TRY(auto s, segment::create(dir_, base, config_, now_ms));
    segments_.emplace(base, std::move(s));
    return success();
}

result<segment*> log::segment_for_append(uint64_t size, int64_t last_offset, int64_t now_ms) {
    segment* seg = &active();
    // Kafka's "index full": offset index entries are 8 bytes, time index entries 12.
    const size_t max_offset_entries = std::max<size_t>(config_.max_index_bytes / 8, 1);
    const size_t max_time_entries = std::max<size_t>(config_.max_index_bytes / 12, 1);
    if (!seg->empty() &&
        (seg->size_bytes() + size > config_.segment_bytes ||
         last_offset - seg->base_offset() > INT32_MAX ||
         (config_.segment_ms > 0 && now_ms - seg->created_ms() >= config_.segment_ms) ||
         seg->index().size() >= max_offset_entries ||
         seg->timeindex().size() >= max_time_entries)) {
        BROOK_STORAGE_TRYV(roll(now_ms));
        seg = &active();
    }
    return seg;
}

result<void> log::write_batches(segment& seg, std::span<const uint8_t> bytes) {
    if (auto r = seg.append(bytes, scratch_); !r) {
        // Epochs this append recorded past the end must not outlive it (best effort: the
        // write error is what the caller needs to see).
        (void)epochs_.truncate_from_end(log_end_offset() + 1);
        return r.error();
    }
    return success();
}

result<append_result> log::append(std::span<uint8_t> batches, int32_t leader_epoch,
                                  int64_t now_ms) {
    if (closed_) return errc::log_closed;
    if (batches.empty()) return errc::corrupt_batch;

    // Pass 1: validate everything before touching the buffer or the file (all-or-nothing).
    append_result res;
    res.first_offset = log_end_offset();
    int64_t next = res.first_offset;
    scratch_.clear();
    producer_scratch_.clear();
    rec::batch_iterator it{std::span<const uint8_t>(batches)};
    while (auto b = it.next()) {
        if (b->size_bytes() > config_.max_batch_bytes) return errc::message_too_large;
        if (rec::validate_batch(b->bytes(), rec::validation_mode::client)) {
            return errc::corrupt_batch;
        }
        producer_scratch_.push_back(producer_fields(*b, next));
        const int64_t last = next + b->last_offset_delta();
        note_batch(res, scratch_, last, b->max_timestamp(), b->size_bytes());
        next = last + 1;
    }
    if (it.tail_error()) {
        // A batch cut off at the end of the request: too large if it claims to be, else corrupt.
        const auto rest = batches.size() - it.position();
        if (rest >= rec::batch_log_overhead &&
            rec::batch_view::size_from_prefix(batches.data() + it.position()) >
                static_cast<int64_t>(config_.max_batch_bytes)) {
            return errc::message_too_large;
        }
        return errc::corrupt_batch;
    }
    BROOK_STORAGE_TRY(auto duplicate, producers_.check(producer_scratch_));
    if (duplicate) return duplicate_result(*duplicate);

    BROOK_STORAGE_TRY(segment * seg, segment_for_append(res.size_bytes, res.last_offset, now_ms));

    // Pass 2: offsets and leader epoch, in place; both fields are outside the CRC.
    size_t pos = 0;
    for (const auto& m : scratch_) {
        rec::mutable_batch_view v(batches.subspan(pos, m.size));
        v.set_base_offset(m.last_offset - v.last_offset_delta());
        v.set_partition_leader_epoch(leader_epoch);
        pos += m.size;
    }
    const auto latest = epochs_.latest_epoch();
    if (leader_epoch >= 0 && (!latest || leader_epoch > *latest)) {
        BROOK_STORAGE_TRYV(epochs_.assign(leader_epoch, res.first_offset));
    }
    BROOK_STORAGE_TRYV(write_batches(*seg, batches));
    for (const auto& h : producer_scratch_) producers_.update(h);
    BROOK_STORAGE_TRYV(note_appended(res.record_count));
    return res;
}

result<append_result> log::append_as_follower(std::span<const uint8_t> batches, int64_t now_ms) {
    if (closed_) return errc::log_closed;

    // Validate everything before writing anything (all-or-nothing, as append()).
    append_result res;
    scratch_.clear();
    producer_scratch_.clear();
    const int64_t end = log_end_offset();
    size_t keep_from = 0;                // position of the first kept batch in batches
    std::vector<epoch_entry> new_epochs;  // (epoch, base) of kept batches that start one
    std::optional<int32_t> latest = epochs_.latest_epoch();
    rec::batch_iterator it{batches};
    while (auto b = it.next()) {
        if (rec::validate_batch(b->bytes(), rec::validation_mode::stored)) {
            return errc::corrupt_batch;
        }
        if (scratch_.empty()) {
            if (b->last_offset() < end) {
                keep_from = it.position();
                continue;
            }
            // A leader's cleaned log has gaps where whole batches were compacted away.
            if (b->base_offset() != end && !(config_.compacted && b->base_offset() > end))
                return errc::offset_mismatch;
            res.first_offset = b->base_offset();
        } else if (b->base_offset() != res.last_offset + 1 &&
                   !(config_.compacted && b->base_offset() > res.last_offset)) {
            return errc::offset_mismatch;
        }
        const int32_t epoch = b->partition_leader_epoch();
        if (epoch >= 0 && (!latest || epoch > *latest)) {
            new_epochs.push_back({epoch, b->base_offset()});
            latest = epoch;
        }
        note_batch(res, scratch_, b->last_offset(), b->max_timestamp(), b->size_bytes());
        producer_scratch_.push_back(producer_fields(*b, b->base_offset()));
    }
    // A cut-off batch at the end is expected; a length field no batch can have is not.
    if (it.tail_error() == rec::batch_error::bad_length) return errc::corrupt_batch;
    if (scratch_.empty()) return append_result{};
    // Offsets within one segment are stored relative to its base as int32 (FORMAT.md).
    if (res.last_offset - res.first_offset > INT32_MAX) return errc::corrupt_batch;

    BROOK_STORAGE_TRY(segment * seg, segment_for_append(res.size_bytes, res.last_offset, now_ms));
    for (const auto& e : new_epochs) BROOK_STORAGE_TRYV(epochs_.assign(e.epoch, e.start_offset));
    BROOK_STORAGE_TRYV(write_batches(*seg, batches.subspan(keep_from, res.size_bytes)));
    for (const auto& h : producer_scratch_) producers_.update(h);
    BROOK_STORAGE_TRYV(note_appended(res.record_count));
    return res;
}

result<void> log::assign_epoch(int32_t epoch, int64_t start_offset) {
    if (closed_) return errc::log_closed;
    if (start_offset > log_end_offset()) return errc::invalid_argument;
    return epochs_.assign(epoch, start_offset);
}

result<read_result> log::read(int64_t start_offset, uint32_t max_bytes, int64_t max_offset) const {
    if (closed_) return errc::log_closed;
    if (start_offset < log_start_offset() || start_offset > log_end_offset()) {
        return errc::offset_out_of_range;
    }
    read_result r;
    if (start_offset == log_end_offset() || start_offset >= max_offset) return r;

    auto it = std::prev(segments_.upper_bound(start_offset));
    bool first_segment = true;
    for (; it != segments_.end(); ++it) {
        const segment& seg = *it->second;
        std::optional<stored_batch> hdr;
        if (first_segment) {
            BROOK_STORAGE_TRY(hdr, seg.find_batch(start_offset));
            first_segment = false;
        } else {
            BROOK_STORAGE_TRY(hdr, seg.read_batch_header(0));
        }
        if (!hdr) continue;
        BROOK_STORAGE_TRY(auto file, seg.open_file());
        file_slice slice{file->fd(), hdr->position, 0, file};
        bool done = false;
        while (hdr) {
            if (hdr->last_offset >= max_offset) {
                done = true;
                break;
            }
            // KIP-74: the first batch goes out whatever its size, or the consumer would stall.
            if (r.size_bytes > 0 && r.size_bytes + hdr->size > max_bytes) {
                done = true;
                break;
            }
            if (r.first_batch_offset < 0) r.first_batch_offset = hdr->base_offset;
            slice.size += hdr->size;
            r.size_bytes += hdr->size;
            BROOK_STORAGE_TRY(hdr, seg.read_batch_header(hdr->position + hdr->size));
        }
        if (slice.size > 0) r.slices.push_back(std::move(slice));
        if (done) break;
    }
    return r;
}

result<timestamp_offset> log::offset_for_timestamp(int64_t ts) const {
    if (closed_) return errc::log_closed;
    for (const auto& [base, sp] : segments_) {
        const segment& seg = *sp;
        if (seg.max_timestamp() < ts) continue;
        BROOK_STORAGE_TRY(uint64_t pos, seg.timestamp_search_start(ts));
        while (true) {
            BROOK_STORAGE_TRY(auto hdr, seg.read_batch_header(pos));
            if (!hdr) break;
            if (hdr->max_timestamp >= ts) {
                std::vector<uint8_t> bytes(hdr->size);
                BROOK_STORAGE_TRY(auto file, seg.open_file());
                BROOK_STORAGE_TRY(auto n, pread_full(file->fd(), bytes, hdr->position));
                if (n != bytes.size()) return errc::io_error;
                rec::batch_view b(bytes);
                if (b.ts_type() == rec::timestamp_type::log_append_time) {
                    return timestamp_offset{b.max_timestamp(), b.base_offset()};
                }
                // Kafka answers the exact record also inside compressed batches, so a lookup
                // decompresses the one batch that holds the answer (bounded by the batch limit).
                rec::batch_records rr(b);
                while (auto record = rr.next()) {
                    int64_t record_ts = b.first_timestamp() + record->timestamp_delta;
                    if (record_ts >= ts) return timestamp_offset{record_ts, b.base_offset() + record->offset_delta};
                }
                if (rr.error()) return errc::corrupt_batch;
                return timestamp_offset{b.max_timestamp(), b.base_offset()};
            }
            pos = hdr->position + hdr->size;
        }
    }
    return timestamp_offset{};
}

result<void> log::truncate_to(int64_t offset) {
    if (closed_) return errc::log_closed;
    if (offset >= log_end_offset()) return epochs_.truncate_from_end(log_end_offset());
    // Snapshots go before the data they describe, so a crash in between never leaves one
    // that a restart would load over a log without its batches. When the log restarts empty
    // even a snapshot at its new start is stale (it may hold producers of older data).
    const bool restart = offset <= log_start_offset();
    if (restart) {
        producers_.clear();
        BROOK_STORAGE_TRYV(producers_.delete_all_snapshots());
    } else {
        BROOK_STORAGE_TRYV(producers_.delete_snapshots_outside(INT64_MIN, offset));
    }
    BROOK_STORAGE_TRYV(truncate_segments(offset));
    // The cut is at a batch start, which may lie below a log start inside that batch.
    log_start_offset_ = std::min(log_start_offset(), log_end_offset());
    recovery_point_ = std::min(recovery_point(), log_end_offset());
    BROOK_STORAGE_TRYV(epochs_.truncate_from_end(log_end_offset()));
    if (restart) return success();
    return load_producer_state();
}

result<void> log::truncate_segments(int64_t offset) {
    if (offset >= log_end_offset()) return success();
    if (offset <= log_start_offset()) {
        while (!segments_.empty()) {
            BROOK_STORAGE_TRYV(segments_.begin()->second->remove_files());
            segments_.erase(segments_.begin());
        }
        BROOK_STORAGE_TRY(auto s, segment::create(dir_, std::max<int64_t>(offset, 0), config_, 0));
        log_start_offset_ = s->base_offset();
        segments_.emplace(s->base_offset(), std::move(s));
        return success();
    }
    // Whole segments after the cut go first, newest first, so a crash midway leaves a prefix.
    while (segments_.rbegin()->first >= offset) {
        BROOK_STORAGE_TRYV(segments_.rbegin()->second->remove_files());
        segments_.erase(std::prev(segments_.end()));
    }
    BROOK_STORAGE_TRYV(active().reactivate());
    return active().truncate_to(offset);
}

result<size_t> log::delete_old_segments(int64_t now_ms, int64_t upper_bound) {
    if (closed_) return errc::log_closed;
    size_t deleted = 0;
    int64_t total = size_bytes();
    while (segments_.size() > 1 && std::next(segments_.begin())->first <= upper_bound) {
        segment& oldest = *segments_.begin()->second;
        // Entirely below a log start moved inside the log (DeleteRecords before a restart).
        const bool by_start = std::next(segments_.begin())->first <= log_start_offset();
        const bool by_time =
            config_.retention_ms >= 0 && oldest.max_timestamp() < now_ms - config_.retention_ms;
        const bool by_size =
            config_.retention_bytes >= 0 &&
            total - static_cast<int64_t>(oldest.size_bytes()) >= config_.retention_bytes;
        if (!by_start && !by_time && !by_size) break;
        total -= static_cast<int64_t>(oldest.size_bytes());
        BROOK_STORAGE_TRYV(oldest.remove_files());
        segments_.erase(segments_.begin());
        ++deleted;
    }
    if (deleted > 0) BROOK_STORAGE_TRYV(prefix_deleted());
    return deleted;
}

result<size_t> log::delete_segments_below(int64_t offset) {
    if (closed_) return errc::log_closed;
    size_t deleted = 0;
    while (segments_.size() > 1 && std::next(segments_.begin())->first <= offset) {
        BROOK_STORAGE_TRYV(segments_.begin()->second->remove_files());
        segments_.erase(segments_.begin());
        ++deleted;
    }
    if (deleted > 0) BROOK_STORAGE_TRYV(prefix_deleted());
    return deleted;
}

result<bool> log::increment_log_start_offset(int64_t offset) {
    if (closed_) return errc::log_closed;
    if (offset > log_end_offset()) return errc::offset_out_of_range;
    if (offset <= log_start_offset()) return false;
    log_start_offset_ = offset;
    while (segments_.size() > 1 && std::next(segments_.begin())->first <= offset) {
        BROOK_STORAGE_TRYV(segments_.begin()->second->remove_files());
        segments_.erase(segments_.begin());
    }
    BROOK_STORAGE_TRYV(prefix_deleted());
    return true;
}

result<void> log::truncate_fully_and_start_at(int64_t offset) {
    if (closed_) return errc::log_closed;
    if (offset < 0) return errc::invalid_argument;
    producers_.clear();
    BROOK_STORAGE_TRYV(producers_.delete_all_snapshots());
    while (!segments_.empty()) {
        BROOK_STORAGE_TRYV(segments_.begin()->second->remove_files());
        segments_.erase(segments_.begin());
    }
    BROOK_STORAGE_TRY(auto s, segment::create(dir_, offset, config_, 0));
    segments_.emplace(offset, std::move(s));
    log_start_offset_ = offset;
    recovery_point_ = offset;
    // Every epoch entry starts at or above 0: all go.
    return epochs_.truncate_from_end(0);
}

result<void> log::prefix_deleted() {
    // Retention moves the start to the first remaining segment; a start already inside it stays.
    log_start_offset_ = std::max(log_start_offset(), segments_.begin()->first);
    BROOK_STORAGE_TRYV(epochs_.truncate_from_start(log_start_offset()));
    BROOK_STORAGE_TRYV(producers_.delete_snapshots_outside(log_start_offset(), INT64_MAX));
    // The in-memory state still covers the deleted batches; without a snapshot at or above
    // the new start a restart would rebuild it from the remaining segments only.
    if (producers_.snapshot_offsets().empty()) {
        BROOK_STORAGE_TRYV(producers_.take_snapshot(log_end_offset()));
    }
    return success();
}

size_t log::expire_producers(int64_t now_ms) {
    if (closed_) return 0;
    return producers_.expire(now_ms, config_.producer_id_expiration_ms);
}

cleaning_input log::cleaning_snapshot() const {
    cleaning_input in;
    in.dir = dir_;
    in.segment_bytes = config_.segment_bytes;
    in.index_interval_bytes = config_.index_interval_bytes;
    in.active_base_offset = active().base_offset();
    for (const auto& [base, s] : segments_) {
        if (s.get() == &active()) break;
        // A parked segment (many partitions: no fd while idle) is reopened for the cleaner; the
        // handle it keeps holds the fd only while this clean runs. If it cannot be opened (out
        // of fds), the cleanable part ends before it.
        auto file = s->open_file();
        if (!file) break;
        closed_segment_info info;
        info.base_offset = base;
        info.next_offset = s->next_offset();
        info.size_bytes = s->size_bytes();
        info.max_timestamp = s->max_timestamp();
        struct stat st{};
        if (::fstat(file.value()->fd(), &st) == 0)
            info.last_modified_ms = int64_t{st.st_mtim.tv_sec} * 1000 + st.st_mtim.tv_nsec / 1000000;
        info.file = std::move(file).value();
        in.segments.push_back(std::move(info));
    }
    for (const auto& [pid, entry] : producers_.entries())
        if (!entry.batches.empty()) in.producer_last_offsets[pid] = entry.batches.back().last_offset;
    return in;
}

result<void> log::replace_segments(const cleaned_group& g, int64_t now_ms,
                                   const swap_fault_hook& fault) {
    if (closed_) return errc::log_closed;
    // The replaced segments must be exactly the closed segments the cleaner read.
    bool same = !g.replaced_bases.empty() && g.replaced_bases.size() == g.replaced_sizes.size();
    auto it = same ? segments_.find(g.replaced_bases.front()) : segments_.end();
    for (size_t i = 0; same && i < g.replaced_bases.size(); ++i, ++it) {
        same = it != segments_.end() && it->first == g.replaced_bases[i] &&
               it->second.get() != &active() && it->second->size_bytes() == g.replaced_sizes[i];
    }
    if (!same) {
        remove_cleaned_files(g);
        return errc::invalid_argument;
    }
    const int64_t base = g.replaced_bases.front();
    // The old segment objects keep serving reads from their (renamed) open files until the
    // swap is complete, so a failure midway leaves reads working until the reopen.
    BROOK_STORAGE_TRYV(swap_segment_files(dir_, g, fault));
    // Destroying the old (sealed) segments writes nothing: their index entries are all on disk,
    // so nothing reaches the new "<base>.index" that now has their first one's name.
    for (int64_t b : g.replaced_bases) segments_.erase(b);
    BROOK_STORAGE_TRY(auto s, segment::open(dir_, base, config_, false, now_ms));
    BROOK_STORAGE_TRYV(s->seal());
    s->attach_to(*open_segments_);  // a cleaned segment is sealed like any other: bounded open fds
    segments_.emplace(base, std::move(s));
    return success();
}

result<void> log::flush() {
    if (closed_) return errc::log_closed;
    const int64_t end = log_end_offset();
    for (auto& [base, s] : segments_) BROOK_STORAGE_TRYV(s->flush());
    recovery_point_ = end;
    unflushed_messages_ = 0;
    return success();
}

result<bool> log::flush_closed_segments() {
    if (closed_) return errc::log_closed;
    const int64_t active_base = active().base_offset();
    if (recovery_point() >= active_base) return false;
    for (auto& [base, s] : segments_) {
        if (base == active_base) break;
        BROOK_STORAGE_TRYV(s->flush());
    }
    recovery_point_ = active_base;
    return true;
}

result<bool> log::flush_if_due(int64_t now_ms) {
    if (closed_) return errc::log_closed;
    if (config_.flush_ms == INT64_MAX || now_ms - last_flush_ms_ < config_.flush_ms) return false;
    last_flush_ms_ = now_ms;
    if (recovery_point() >= log_end_offset()) return false;
    BROOK_STORAGE_TRYV(flush());
    return true;
}

result<void> log::note_appended(int64_t messages) {
    // Per append call, not per record: flush.messages is a count, not a per-record fsync.
    unflushed_messages_ += messages;
    if (unflushed_messages_ >= config_.flush_messages) return flush();
    return success();
}

void log::close() {
    if (closed_) return;
    // Best effort: a restart without it loads an older snapshot and replays more headers.
    // Not after a failed open() (e.g. out of fds): the producer state was never loaded, and a
    // snapshot of it would overwrite a valid one (or there is no segment at all yet).
    if (opened_) (void)producers_.take_snapshot(log_end_offset());
    close_files();
}

void log::close_files() {
    if (closed_) return;
    for (auto& [base, s] : segments_) s->close();
    closed_ = true;
}

result<void> log::remove() {
    close_files();
    std::error_code ec;
    fs::remove_all(dir_, ec);
    if (ec) return errc::io_error;
    return success();
}

}  // namespace storage
