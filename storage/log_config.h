#pragma once

#include <cstdint>
#include <climits>

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
    /// cleanup.policy contains "compact": the log may have offset gaps left by the cleaner, so
    /// append_as_follower accepts a batch starting above the log end (a leader's cleaned data).
    bool compacted = false;
    /// segment.index.bytes: roll when the active segment's offset index reaches
    /// max_index_bytes / 8 entries or its time index max_index_bytes / 12 (Kafka's "index full";
    /// Kafka preallocates files of this size, we only count entries).
    uint32_t max_index_bytes = 10485760;
    /// flush.messages: fsync the log once this many messages were appended since the last
    /// flush (counted per append call, not per record); INT64_MAX (Kafka's default) is off.
    int64_t flush_messages = INT64_MAX;
    /// flush.ms: log::flush_if_due() fsyncs when the last flush is at least this old;
    /// INT64_MAX (Kafka's default) is off.
    int64_t flush_ms = INT64_MAX;
    /// Brook's own (broker key log.max.open.segments): how many sealed segments of this log keep their .log fd
    /// and index entries in memory; the least recently read beyond it are parked and reopened
    /// on the next read (segment.h). The active segment is always open. >= 1.
    uint32_t max_open_sealed_segments = 2;
};

}  // namespace storage
