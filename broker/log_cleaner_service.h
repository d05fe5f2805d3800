#pragma once

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "storage/log_cleaner.h"

namespace broker {

class partition;

/// The broker's log cleaner: one thread (Kafka's log.cleaner.threads; Brook always runs one) that
/// every log.cleaner.backoff.ms compacts each replica (leader or follower: replicas clean
/// independently, as in Kafka) of a topic whose cleanup.policy contains "compact" and whose
/// dirty ratio is at least its min.cleanable.dirty.ratio. Per partition: snapshot under the
/// partition's mutex, storage::clean() on this thread without any lock, then each group swapped
/// under the mutex (partition::replace_cleaned). The next dirty offset of every partition is kept
/// in its log dir's "cleaner-offset-checkpoint" (Kafka's file), read once per dir and rewritten
/// after each clean.
/// Threading: start()/stop() from the owner; clean_round() runs on the cleaner thread (or the
/// caller's, in tests: not both at once). `targets` is called on the cleaner thread.
class log_cleaner_service {
public:
    struct target {
        std::shared_ptr<partition> part;
        storage::cleaner_config cfg;  // the topic's delete.retention.ms, min.compaction.lag.ms, ...
        double min_cleanable_ratio = 0.5;
    };
    using target_source = std::function<std::vector<target>()>;

    log_cleaner_service(target_source targets, int64_t backoff_ms);
    ~log_cleaner_service();
    log_cleaner_service(const log_cleaner_service&) = delete;
    log_cleaner_service& operator=(const log_cleaner_service&) = delete;

    void start();
    /// Wakes the thread and joins it; a clean in progress finishes its current partition first.
    void stop();

    struct round_stats {
        size_t partitions_cleaned = 0;
        size_t groups_swapped = 0;
        int64_t records_removed = 0;
    };
    /// One pass over the targets (what the thread runs every backoff).
    round_stats clean_round(int64_t now_ms);
    /// The checkpointed next dirty offset of a partition, -1 if none (tests, logging).
    int64_t checkpoint_of(const std::string& topic, int32_t partition) const;

private:
    void run();
    int64_t checkpoint_locked(const std::filesystem::path& log_dir, const std::string& topic, int32_t index);

    target_source targets_;
    const int64_t backoff_ms_;
    std::thread thread_;
    mutable std::mutex mutex_;  // guards stop_, checkpoints_
    std::condition_variable wake_;
    bool stop_ = false;
    // log dir -> its cleaner-offset-checkpoint entries, loaded on first use.
    std::map<std::filesystem::path, std::map<std::pair<std::string, int32_t>, int64_t>> checkpoints_;
};

}  // namespace broker
