#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <vector>

#include "storage/log_config.h"
#include "storage/result.h"

namespace storage {

class segment;
struct batch_meta;

struct append_result {
    int64_t first_offset = -1;
    int64_t last_offset = -1;
    /// -1: batches keep their CreateTime (LogAppendTime topics are not handled here yet).
    int64_t log_append_time = -1;
    int64_t max_timestamp = -1;
    /// Last offset of the batch holding max_timestamp.
    int64_t offset_of_max_timestamp = -1;
    int64_t record_count = 0;  // offsets assigned (sum of last_offset_delta + 1)
    uint64_t size_bytes = 0;
};

/// A byte range of a segment file, to be sent with sendfile() or read with pread(). keepalive
/// holds the file open even if the segment is closed, rolled away or deleted meanwhile.
struct file_slice {
    int fd = -1;
    uint64_t position = 0;
    uint32_t size = 0;
    std::shared_ptr<const void> keepalive;
};

struct timestamp_offset {
    int64_t timestamp = -1;
    int64_t offset = -1;
    friend bool operator==(const timestamp_offset&, const timestamp_offset&) = default;
};

struct read_result {
    /// Whole batches, in offset order; consecutive batches of one segment share one slice.
    std::vector<file_slice> slices;
    uint64_t size_bytes = 0;
    /// Base offset of the first batch returned (<= the requested start), -1 when empty.
    int64_t first_batch_offset = -1;
};

/// Copies the bytes of all slices (tests, tools; the broker sends slices with sendfile).
result<std::vector<uint8_t>> read_slices(const read_result& r);

enum class shutdown_state {
    /// The process may have crashed: the active segment is re-read and validated batch by batch.
    unclean,
    /// The log dir's clean-shutdown marker was present: trust files, only check index sanity.
    clean,
};

/// The log of one partition replica: segments "<base>.log" with their indexes under
/// "<log.dir>/<topic>-<partition>/" (FORMAT.md). Knows offsets only; high watermark and
/// replication live above it. NOT thread-safe: the owner (the partition, on its strand)
/// serialises every call. Slices returned by read() stay valid after later calls.
class log {
public:
    /// Creates dir if missing and loads its segments. Recovery (see README.md): with
    /// shutdown_state::unclean the active (last) segment is re-validated and truncated at the
    /// first invalid or torn batch; any segment whose indexes are missing or inconsistent gets
    /// them rebuilt from its .log.
    static result<std::unique_ptr<log>> open(std::filesystem::path dir, log_config cfg,
                                             shutdown_state state = shutdown_state::unclean,
                                             int64_t now_ms = 0);
    ~log();
    log(const log&) = delete;
    log& operator=(const log&) = delete;

    /// Validates every batch (all-or-nothing), assigns offsets from log_end_offset() by
    /// rewriting base_offset and partition_leader_epoch in the caller's buffer, and writes the
    /// whole buffer with one write. Rolls first when the active segment would pass
    /// segment_bytes, its relative offsets would overflow int32, or it is older than segment_ms.
    /// Errors: errc::corrupt_batch (invalid or trailing partial batch, empty input),
    /// errc::message_too_large, errc::io_error.
    result<append_result> append(std::span<uint8_t> batches, int32_t leader_epoch, int64_t now_ms);

    /// Whole batches from the one containing start_offset, only batches whose last offset is
    /// below max_offset (exclusive; e.g. the high watermark), up to max_bytes, but always the
    /// first such batch even if larger (KIP-74). No log bytes are copied.
    /// start_offset outside [log_start_offset, log_end_offset] -> errc::offset_out_of_range.
    result<read_result> read(int64_t start_offset, uint32_t max_bytes, int64_t max_offset) const;

    /// First record whose timestamp is >= ts, as {timestamp, offset}; {-1, -1} if none (Kafka's
    /// ListOffsets answer). Uses the time index, then batch headers; inside an uncompressed batch
    /// the records are walked; a compressed batch answers with its base offset and max timestamp
    /// (no decompression on this path), a LogAppendTime batch with its base offset and max timestamp.
    result<timestamp_offset> offset_for_timestamp(int64_t ts) const;

    /// Removes every offset >= offset (a follower cutting a divergent tail). As in Kafka the cut
    /// is at the start of the batch containing offset, so log_end_offset() may end below it.
    /// offset <= log_start_offset() empties the log and restarts it at offset.
    result<void> truncate_to(int64_t offset);

    /// Retention: deletes closed segments from the oldest while they are past retention_ms
    /// (largest timestamp < now_ms - retention_ms) or the log without them is still >=
    /// retention_bytes. The active segment is never deleted. Returns how many were deleted;
    /// log_start_offset() moves to the first remaining segment.
    result<size_t> delete_old_segments(int64_t now_ms);

    int64_t log_start_offset() const;
    int64_t log_end_offset() const;
    int64_t size_bytes() const;
    size_t segment_count() const { return segments_.size(); }
    std::vector<int64_t> segment_base_offsets() const;
    const std::filesystem::path& dir() const { return dir_; }
    const log_config& config() const { return config_; }
    /// Applies a new topic config from the next append on (e.g. after a config change).
    void set_config(const log_config& cfg);

    /// fsync of every segment written since the last flush, indexes included.
    result<void> flush();
    /// Writes pending index entries and closes files; later calls fail with errc::log_closed.
    void close();
    /// close() and delete the directory with everything in it.
    result<void> remove();

private:
    log(std::filesystem::path dir, log_config cfg);
    result<void> roll(int64_t now_ms);
    segment& active() const;

    std::filesystem::path dir_;
    log_config config_;
    std::map<int64_t, std::unique_ptr<segment>> segments_;  // by base offset
    std::vector<batch_meta> scratch_;                       // reused by append()
    bool closed_ = false;
};

}  // namespace storage
