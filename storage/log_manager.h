#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "storage/log.h"
#include "storage/log_config.h"
#include "storage/offset_checkpoint.h"
#include "storage/result.h"

namespace storage {

/// All partition logs of one broker across its log dirs (log.dirs). Owned by the broker's
/// composition root. Thread-safe for the map (one internal mutex); each log* it hands out is
/// used under its partition's own serialisation and stays valid until remove() or shutdown()
/// for that partition: callers must stop using it before calling those.
class log_manager {
public:
    /// Name of the per-log-dir marker written by shutdown() (Kafka's name, so tooling knows it).
    static constexpr const char* clean_shutdown_file = ".kafka_cleanshutdown";
    static constexpr const char* meta_file = "meta.properties";

    /// Creates missing dirs and opens every "<topic>-<partition>" dir found. Logs in a dir that
    /// has the clean-shutdown marker skip the recovery scan; the marker is then removed so a
    /// later crash is noticed. The same partition in two dirs is errc::already_exists.
    /// Each dir's "replication-offset-checkpoint" is read too (checkpointed_high_watermark());
    /// a malformed one fails the open with errc::corrupt_checkpoint.
    static result<std::unique_ptr<log_manager>> open(std::vector<std::filesystem::path> log_dirs,
                                                     log_config defaults, int64_t now_ms = 0);
    ~log_manager();
    log_manager(const log_manager&) = delete;
    log_manager& operator=(const log_manager&) = delete;

    /// Checks meta.properties (version=0, broker.id, cluster.id) in every log dir against the
    /// broker's identity, writing it where missing. A different broker.id / cluster.id is
    /// errc::inconsistent_broker_id / errc::inconsistent_cluster_id (wrong disk mounted).
    result<void> check_meta(int32_t broker_id, const std::string& cluster_id);

    /// nullptr when this broker has no log for the partition.
    log* get(const std::string& topic, int32_t partition) const;
    /// Opens or creates the log in the log dir holding the fewest partitions. An existing log
    /// keeps its files and takes cfg. errc::invalid_argument for illegal names or partitions.
    /// `now_ms` dates a new log's first segment (segment.ms counts from it).
    result<log*> get_or_create(const std::string& topic, int32_t partition, const log_config& cfg,
                               int64_t now_ms = 0);
    /// Closes the log and deletes its directory. Removing an unknown partition is not an error.
    result<void> remove(const std::string& topic, int32_t partition);
    std::vector<std::pair<std::string, int32_t>> partitions() const;
    const log_config& defaults() const { return defaults_; }

    /// The high watermark last checkpointed for the partition in the log dir that holds its log:
    /// what that dir's replication-offset-checkpoint held at open(), then what
    /// checkpoint_high_watermarks() last wrote there; forgotten by remove(). nullopt when
    /// there is none or no log for the partition.
    std::optional<int64_t> checkpointed_high_watermark(const std::string& topic,
                                                       int32_t partition) const;
    /// Rewrites every log dir's replication-offset-checkpoint (atomically, Kafka's format) with
    /// the offsets in hw of the partitions that live in that dir; partitions in hw without a
    /// log here are ignored, logs without an entry in hw are omitted. A dir without any gets an
    /// empty checkpoint. Safe to call from any thread; calls are serialised. After shutdown()
    /// errc::log_closed. The broker calls it periodically and before shutdown().
    result<void> checkpoint_high_watermarks(const partition_offsets& hw);

    /// Rewrites every log dir's log-start-offset-checkpoint with the log start of each of its
    /// logs (Kafka writes only starts above the first segment's base; a full list reads the
    /// same). open() passes the values to log::open. Serialised with the other checkpoint
    /// writers; after shutdown() errc::log_closed. The broker calls it every
    /// log.flush.start.offset.checkpoint.interval.ms; shutdown() writes it too.
    result<void> checkpoint_log_start_offsets();
    /// Same for recovery-point-offset-checkpoint (log::recovery_point(): advanced by flushes);
    /// log.flush.offset.checkpoint.interval.ms, and shutdown() after its flush.
    result<void> checkpoint_recovery_points();

    /// Flushes and closes every log, writes both checkpoints above, then the clean-shutdown
    /// marker in each log dir.
    /// Later calls on the manager fail or return nothing.
    result<void> shutdown();

private:
    using key = std::pair<std::string, int32_t>;
    struct entry {
        std::unique_ptr<log> l;
        size_t dir_index;
    };
    /// One checkpoint file per dir from a per-log value, written outside mutex_.
    result<void> write_per_dir(std::string_view file_name, int64_t (log::*value)() const);
    result<void> write_per_dir(std::string_view file_name, std::vector<partition_offsets> per_dir);

    log_manager(std::vector<std::filesystem::path> dirs, log_config defaults)
        : dirs_(std::move(dirs)), defaults_(defaults) {}

    std::vector<std::filesystem::path> dirs_;
    log_config defaults_;
    mutable std::mutex mutex_;
    std::map<key, entry> logs_;
    std::vector<partition_offsets> high_watermarks_;  // per dir, as in its file; under mutex_
    /// Held across a checkpoint write (not mutex_: file I/O must not block get()), so two
    /// writers never share a ".tmp" file. Taken before mutex_ when both are held.
    std::mutex checkpoint_mutex_;
    bool shut_down_ = false;
};

}  // namespace storage
