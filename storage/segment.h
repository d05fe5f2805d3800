#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <span>

#include "protocol/records/record_batch.h"
#include "storage/index_files.h"
#include "storage/log_config.h"
#include "storage/result.h"

namespace storage {

/// What the log knows about each batch of one append call (no record-level data).
struct batch_meta {
    int64_t last_offset;
    int64_t max_timestamp;
    uint32_t size;
};

/// A batch header read from a segment file, with the batch's position.
struct stored_batch {
    uint64_t position;
    int64_t base_offset;
    int64_t last_offset;
    int64_t max_timestamp;
    uint32_t size;
    protocol::records::compression codec;
    // Producer fields, for rebuilding producer state from headers alone.
    int64_t producer_id;
    int16_t producer_epoch;
    int32_t base_sequence;
    bool is_control;
};

class segment;

/// The sealed segments of one log that hold their .log fd and index entries in memory, most
/// recently used first. Touching a segment beyond the bound parks the least recently used one
/// (segment::park), so an idle partition costs its active segment plus at most max_open sealed
/// ones. Owned by its log, which declares it before its segments so it outlives them; same
/// single-thread rule as the log.
class open_segment_lru {
public:
    /// max_open is clamped to >= 1: the segment being used is never the one parked.
    explicit open_segment_lru(size_t max_open) { set_max_open(max_open); }
    open_segment_lru(const open_segment_lru&) = delete;
    open_segment_lru& operator=(const open_segment_lru&) = delete;
    void set_max_open(size_t max_open);
    /// s is open and was just used: most recent; parks the least recent beyond the bound.
    void touch(segment& s);
    /// s is going away, closed or active again.
    void forget(segment& s);
    size_t size() const { return lru_.size(); }

private:
    void evict();

    std::list<segment*> lru_;
    size_t max_open_ = 1;
};

/// One segment of a partition log: "<base>.log" holding batches exactly as stored, plus its
/// ".index" and ".timeindex" (index_files.h). Owned by its log; not thread-safe (the log's
/// caller serialises). The .log fd lives in a shared file_handle so reads in flight keep it open.
/// A sealed segment may be *parked* (open_segment_lru): no fd, no index entries in memory, only
/// its size, offsets and max timestamp; any access that needs the file or the indexes reopens
/// it first and loads the index files (rebuilt from the .log if they went missing meanwhile).
class segment {
public:
    /// Creates an empty segment (truncating leftovers with the same base offset).
    static result<std::unique_ptr<segment>> create(const std::filesystem::path& dir,
                                                   int64_t base_offset, const log_config& cfg,
                                                   int64_t now_ms);
    /// Opens an existing segment. Loads its indexes (rebuilding them from the .log when missing
    /// or inconsistent) and finds its end by walking batch headers from the last index entry.
    /// With full_scan, or when that walk does not end exactly at the end of the file, runs
    /// recover() instead.
    static result<std::unique_ptr<segment>> open(const std::filesystem::path& dir,
                                                 int64_t base_offset, const log_config& cfg,
                                                 bool full_scan, int64_t now_ms);
    ~segment();
    segment(const segment&) = delete;
    segment& operator=(const segment&) = delete;

    /// Re-reads the whole .log validating every batch (CRC, sizes, counts, offsets increasing
    /// and >= base offset), truncates the file at the first invalid or torn batch and rebuilds
    /// both indexes. Returns the number of bytes truncated.
    result<uint64_t> recover();

    /// Appends already validated, offset-assigned batches with one write, then index entries.
    /// On a failed write the file is cut back to its previous size.
    result<void> append(std::span<const uint8_t> bytes, std::span<const batch_meta> batches);

    /// The first batch whose last offset >= offset (the batch containing it, or the next one);
    /// nullopt when the segment has none.
    result<std::optional<stored_batch>> find_batch(int64_t offset) const;
    /// Header of the batch at position; nullopt at the end of the segment.
    result<std::optional<stored_batch>> read_batch_header(uint64_t position) const;
    /// Calls fn for the header of every batch from position (a batch boundary) to the end,
    /// reading the file in 64 KiB chunks rather than one pread per header (producer state
    /// replay walks whole segments). errc::corrupt_batch on a header with an impossible length.
    result<void> for_each_batch_header(uint64_t position,
                                       const std::function<void(const stored_batch&)>& fn) const;

    /// Removes the batch containing offset and everything after it (Kafka's truncateTo: the
    /// log then ends at that batch's base offset). Indexes are cut to match.
    result<void> truncate_to(int64_t offset);
    /// Closes the segment and unlinks its three files (slices in flight keep the .log open).
    result<void> remove_files();

    /// Writes the final time index entry (the segment's max timestamp) and closes the index fds:
    /// called when the segment stops being the active one.
    result<void> seal();
    result<void> flush();
    /// Closes all fds held by the segment (slices handed out keep the .log fd alive).
    void close();

    /// Sealed segments: from now on lru decides when this one is parked (touched if open).
    void attach_to(open_segment_lru& lru);
    /// The segment is the active one again (truncation removed those after it): reopened if
    /// parked and never parked again.
    result<void> reactivate();
    /// Writes what is pending (fdatasync if the .log is dirty), closes the .log and index fds
    /// and frees the index entries; the next access reopens. Best effort: on a write error the
    /// segment stays open. Slices handed out keep their own reference to the .log fd.
    void park();
    bool parked() const { return parked_; }
    /// The .log handle (reopening a parked segment): for slices and preads.
    result<std::shared_ptr<file_handle>> open_file() const;
    /// Where a walk for the first batch with max_timestamp >= ts may start: the offset index
    /// position at or below the last time index entry older than ts, else 0.
    result<uint64_t> timestamp_search_start(int64_t ts) const;

    int64_t base_offset() const { return base_offset_; }
    /// One past the last offset stored in this segment (base_offset when empty).
    int64_t next_offset() const { return next_offset_; }
    uint64_t size_bytes() const { return size_; }
    int64_t max_timestamp() const { return max_timestamp_; }
    int64_t created_ms() const { return created_ms_; }
    bool empty() const { return size_ == 0; }
    /// Null while parked or closed (open_file() reopens).
    const std::shared_ptr<file_handle>& file() const { return file_; }
    const std::filesystem::path& log_path() const { return log_path_; }
    /// In-memory entries; empty while parked.
    const offset_index& index() const { return offset_index_; }
    const time_index& timeindex() const { return time_index_; }

private:
    friend class open_segment_lru;

    segment(const std::filesystem::path& dir, int64_t base_offset, const log_config& cfg);
    /// Reopens a parked segment and marks it used in its LRU. Logically const: the content
    /// does not change, only which fds and entries are held, hence the const_cast inside.
    result<void> ensure_open() const;
    result<void> unpark();
    result<void> open_log_file(bool truncate);
    /// Walks headers from the last index entry; false if the walk does not end at size_.
    result<bool> find_end_from_index();
    void note_batch(int64_t last_offset, int64_t max_ts, uint32_t position, uint32_t size);
    /// batch_length is at least a header and the batch ends inside the file.
    bool header_fits(const protocol::records::batch_view& b, uint64_t position) const;
    static stored_batch to_stored(const protocol::records::batch_view& b, uint64_t position);

    std::filesystem::path log_path_;
    int64_t base_offset_;
    uint32_t index_interval_bytes_;
    std::shared_ptr<file_handle> file_;
    offset_index offset_index_;
    time_index time_index_;
    uint64_t size_ = 0;
    int64_t next_offset_;
    int64_t max_timestamp_ = -1;
    int64_t offset_of_max_timestamp_ = -1;
    uint64_t bytes_since_index_entry_ = 0;
    int64_t created_ms_ = 0;
    bool dirty_ = false;
    bool parked_ = false;
    open_segment_lru* lru_ = nullptr;         // set for sealed segments
    std::list<segment*>::iterator lru_pos_;   // valid while in_lru_
    bool in_lru_ = false;
};

}  // namespace storage
