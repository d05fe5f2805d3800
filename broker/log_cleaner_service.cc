#include "broker/log_cleaner_service.h"

#include <chrono>

#include <spdlog/spdlog.h>

#include "broker/clock.h"
#include "broker/partition.h"
#include "storage/offset_checkpoint.h"

namespace broker {

log_cleaner_service::log_cleaner_service(target_source targets, int64_t backoff_ms)
    : targets_(std::move(targets)), backoff_ms_(backoff_ms) {}

log_cleaner_service::~log_cleaner_service() { stop(); }

void log_cleaner_service::start() {
    if (thread_.joinable()) return;
    {
        std::lock_guard lock(mutex_);
        stop_ = false;
    }
    thread_ = std::thread([this] { run(); });
}

void log_cleaner_service::stop() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void log_cleaner_service::run() {
    std::unique_lock lock(mutex_);
    while (!stop_) {
        // Kafka's cleaner also sleeps log.cleaner.backoff.ms when it found nothing to clean.
        wake_.wait_for(lock, std::chrono::milliseconds(backoff_ms_), [this] { return stop_; });
        if (stop_) break;
        lock.unlock();
        auto stats = clean_round(wall_clock_ms());
        if (stats.partitions_cleaned > 0) {
            spdlog::info("log cleaner: cleaned {} partition(s), {} segment group(s), {} record(s) removed",
                         stats.partitions_cleaned, stats.groups_swapped, stats.records_removed);
        }
        lock.lock();
    }
}

int64_t log_cleaner_service::checkpoint_locked(const std::filesystem::path& log_dir, const std::string& topic,
                                               int32_t index) {
    auto it = checkpoints_.find(log_dir);
    if (it == checkpoints_.end()) {
        auto read = storage::read_offset_checkpoint(log_dir / storage::cleaner_offset_checkpoint_file);
        if (!read) {
            // Kafka fails the log dir; Brook cleans from the start instead (only costs work).
            spdlog::warn("log cleaner: ignoring unreadable {}: {}",
                         (log_dir / storage::cleaner_offset_checkpoint_file).string(), read.error().message());
        }
        it = checkpoints_.emplace(log_dir, read ? read.value() : storage::partition_offsets{}).first;
    }
    auto e = it->second.find({topic, index});
    return e == it->second.end() ? -1 : e->second;
}

int64_t log_cleaner_service::checkpoint_of(const std::string& topic, int32_t partition) const {
    std::lock_guard lock(mutex_);
    for (const auto& [dir, entries] : checkpoints_) {
        if (auto e = entries.find({topic, partition}); e != entries.end()) return e->second;
    }
    return -1;
}

log_cleaner_service::round_stats log_cleaner_service::clean_round(int64_t now_ms) {
    round_stats stats;
    for (const auto& t : targets_()) {
        {
            std::lock_guard lock(mutex_);
            if (stop_) break;
        }
        auto in = t.part->cleaning_snapshot();
        if (!in) continue;
        const std::filesystem::path log_dir = in->dir.parent_path();
        int64_t checkpoint;
        {
            std::lock_guard lock(mutex_);
            checkpoint = checkpoint_locked(log_dir, t.part->topic(), t.part->index());
        }
        const auto range = storage::find_cleanable_range(*in, checkpoint, now_ms, t.cfg);
        if (range.first_uncleanable <= range.first_dirty || range.dirty_ratio() < t.min_cleanable_ratio) continue;

        auto res = storage::clean(*in, range, t.cfg);
        if (!res) {
            spdlog::warn("log cleaner: {}-{}: clean failed: {}", t.part->topic(), t.part->index(),
                         res.error().message());
            continue;
        }
        bool complete = true;
        for (const auto& g : res.value().groups) {
            if (auto ec = t.part->replace_cleaned(g, now_ms)) {
                // Retention or truncation changed the log meanwhile: the next round starts over.
                spdlog::info("log cleaner: {}-{}: swap of segment {} not done: {}", t.part->topic(),
                             t.part->index(), g.replaced_bases.front(), ec.message());
                complete = false;
                // The remaining groups' files are not swapped either.
                continue;
            }
            ++stats.groups_swapped;
        }
        if (!complete) {
            for (const auto& g : res.value().groups) storage::remove_cleaned_files(g);
            continue;
        }
        ++stats.partitions_cleaned;
        stats.records_removed += res.value().records_read - res.value().records_kept;
        std::lock_guard lock(mutex_);
        auto& entries = checkpoints_[log_dir];
        entries[{t.part->topic(), t.part->index()}] = res.value().next_dirty_offset;
        if (auto w = storage::write_offset_checkpoint(log_dir / storage::cleaner_offset_checkpoint_file, entries); !w) {
            spdlog::warn("log cleaner: could not write {}: {}",
                         (log_dir / storage::cleaner_offset_checkpoint_file).string(), w.error().message());
        }
    }
    return stats;
}

}  // namespace broker
