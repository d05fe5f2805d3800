#pragma once

#include <cstdint>

namespace storage {

/// Per-partition log settings (Kafka topic configs of the same names). Plain values, copied.
struct log_config {
    /// segment.bytes: roll when an append would grow the active segment past this. Positions in
    /// the offset index are 32-bit, so values above 2 GiB are clamped to 2 GiB.
    uint64_t segment_bytes = 1ull << 30;
    /// index.interval.bytes: bytes of batches between two offset index entries.
    uint32_t index_interval_bytes = 4096;
    /// message.max.bytes: largest accepted batch (whole batch incl. its 12-byte log overhead).
    uint32_t max_batch_bytes = 1048588;
    /// segment.ms: roll a non-empty active segment older than this (by append time); <= 0 off.
    int64_t segment_ms = 7ll * 24 * 3600 * 1000;
    /// retention.ms: delete_old_segments() drops closed segments whose largest timestamp is
    /// older than now - retention_ms; < 0 off.
    int64_t retention_ms = 7ll * 24 * 3600 * 1000;
    /// retention.bytes: ... and the oldest closed segments while the log stays at or above this
    /// size without them; < 0 off.
    int64_t retention_bytes = -1;
    /// producer.id.expiration.ms (Kafka's broker setting, default 1 day): log::expire_producers
    /// drops the state of producers whose latest batch timestamp is at least this old.
    int64_t producer_id_expiration_ms = 86400000;
    /// Brook's own (broker key log.max.open.segments): how many sealed segments of this log keep their .log fd
    /// and index entries in memory; the least recently read beyond it are parked and reopened
    /// on the next read (segment.h). The active segment is always open. >= 1.
    uint32_t max_open_sealed_segments = 2;
};

}  // namespace storage
