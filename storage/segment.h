#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
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

/// One segment of a partition log: "<base>.log" holding batches exactly as stored, plus its
/// ".index" and ".timeindex" (index_files.h). Owned by its log; not thread-safe (the log's
/// caller serialises). The .log fd lives in a shared file_handle so reads in flight keep it open.
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

    int64_t base_offset() const { return base_offset_; }
    /// One past the last offset stored in this segment (base_offset when empty).
    int64_t next_offset() const { return next_offset_; }
    uint64_t size_bytes() const { return size_; }
    int64_t max_timestamp() const { return max_timestamp_; }
    int64_t created_ms() const { return created_ms_; }
    bool empty() const { return size_ == 0; }
    const std::shared_ptr<file_handle>& file() const { return file_; }
    const std::filesystem::path& log_path() const { return log_path_; }
    const offset_index& index() const { return offset_index_; }
    const time_index& timeindex() const { return time_index_; }

private:
    segment(const std::filesystem::path& dir, int64_t base_offset, const log_config& cfg);
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
};

}  // namespace storage
