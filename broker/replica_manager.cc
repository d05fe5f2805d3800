#include "broker/replica_manager.h"

#include <algorithm>
#include <chrono>
#include <future>

#include <boost/asio/post.hpp>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "broker/clock.h"
#include "storage/log_manager.h"
#include "storage/offset_checkpoint.h"

namespace broker {
namespace asio = boost::asio;

namespace {
}  // namespace

replica_manager::replica_manager(storage::log_manager& logs, const config& cfg)
    : logs_(logs), cfg_(cfg), fetchers_(cfg) {}

replica_manager::~replica_manager() { fetchers_.stop(); }

void replica_manager::start(asio::any_io_executor ex, isr_writer writer) {
    isr_writer_ = std::move(writer);
    strand_.emplace(asio::make_strand(ex));
    shrink_timer_ = std::make_unique<asio::steady_timer>(*strand_);
    checkpoint_timer_ = std::make_unique<asio::steady_timer>(*strand_);
    expiry_timer_ = std::make_unique<asio::steady_timer>(*strand_);
    retention_timer_ = std::make_unique<asio::steady_timer>(*strand_);
    if (cfg_.log_cleaner_enable && cfg_.log_cleaner_threads > 0) {
        if (cfg_.log_cleaner_threads > 1) {
            spdlog::info("log.cleaner.threads={}: Brook runs one cleaner thread", cfg_.log_cleaner_threads);
        }
        cleaner_ = std::make_unique<log_cleaner_service>([this] { return compaction_targets(); },
                                                         cfg_.log_cleaner_backoff_ms);
        cleaner_->start();
    }
    flush_timer_ = std::make_unique<asio::steady_timer>(*strand_);
    start_offset_checkpoint_timer_ = std::make_unique<asio::steady_timer>(*strand_);
    recovery_point_checkpoint_timer_ = std::make_unique<asio::steady_timer>(*strand_);
    asio::post(*strand_, [this] {
        schedule_shrink();
        schedule_checkpoint();
        schedule_producer_expiry();
        schedule_retention();
        schedule_flush();
        schedule_every(*start_offset_checkpoint_timer_, cfg_.log_flush_start_offset_checkpoint_interval_ms, [this] {
            if (auto r = logs_.checkpoint_log_start_offsets(); !r) {
                spdlog::error("cannot write the log-start-offset checkpoint: {}", r.error().message());
            }
        });
        schedule_every(*recovery_point_checkpoint_timer_, cfg_.log_flush_offset_checkpoint_interval_ms, [this] {
            // Kafka fsyncs each segment shortly after it rolls; doing it here bounds what an
            // unclean restart re-validates to about the active segments (and this interval).
            std::vector<std::shared_ptr<partition>> parts;
            {
                std::shared_lock lock(mutex_);
                for (const auto& [k, p] : partitions_) parts.push_back(p);
            }
            for (auto& p : parts) p->flush_closed_segments();
            if (auto r = logs_.checkpoint_recovery_points(); !r) {
                spdlog::error("cannot write the recovery-point checkpoint: {}", r.error().message());
            }
        });
    });
}

void replica_manager::begin_shutdown() {
    shutting_down_ = true;
    fetchers_.stop();
}

void replica_manager::stop() {
    stopping_ = true;
    fetchers_.stop();
    if (cleaner_) cleaner_->stop();
    if (strand_) {
        std::promise<void> cancelled;
        asio::post(*strand_, [this, &cancelled] {
            shrink_timer_->cancel();
            checkpoint_timer_->cancel();
            expiry_timer_->cancel();
            retention_timer_->cancel();
            flush_timer_->cancel();
            start_offset_checkpoint_timer_->cancel();
            recovery_point_checkpoint_timer_->cancel();
            cancelled.set_value();
        });
        cancelled.get_future().wait();
    }
    checkpoint_high_watermarks();
}

void replica_manager::schedule_shrink() {
    // Kafka's isr-expiration task runs at half the lag limit, so a follower is dropped between
    // 1x and 1.5x replica.lag.time.max.ms after it stopped catching up.
    if (stopping_) return;
    shrink_timer_->expires_after(std::chrono::milliseconds(std::max<int64_t>(cfg_.replica_lag_time_max_ms / 2, 1)));
    shrink_timer_->async_wait([this](const boost::system::error_code& ec) {
        if (ec || stopping_) return;
        shrink_lagging_isrs(wall_clock_ms());
        schedule_shrink();
    });
}

void replica_manager::schedule_checkpoint() {
    if (stopping_) return;
    checkpoint_timer_->expires_after(std::chrono::milliseconds(cfg_.replica_high_watermark_checkpoint_interval_ms));
    checkpoint_timer_->async_wait([this](const boost::system::error_code& ec) {
        if (ec || stopping_) return;
        checkpoint_high_watermarks();
        schedule_checkpoint();
    });
}

void replica_manager::schedule_every(asio::steady_timer& timer, int64_t interval_ms, std::function<void()> task) {
    // Kafka's Long.MAX defaults mean "never"; steady_timer durations that long would overflow.
    constexpr int64_t never_ms = 100LL * 365 * 24 * 3600 * 1000;
    if (stopping_ || interval_ms >= never_ms) return;
    timer.expires_after(std::chrono::milliseconds(std::max<int64_t>(interval_ms, 1)));
    timer.async_wait([this, &timer, interval_ms, task = std::move(task)](const boost::system::error_code& ec) mutable {
        if (ec || stopping_) return;
        task();
        schedule_every(timer, interval_ms, std::move(task));
    });
}

void replica_manager::schedule_flush() {
    schedule_every(*flush_timer_, cfg_.log_flush_scheduler_interval_ms, [this] { flush_due_logs(wall_clock_ms()); });
}

size_t replica_manager::flush_due_logs(int64_t now_ms) {
    std::vector<std::shared_ptr<partition>> parts;
    {
        std::shared_lock lock(mutex_);
        for (const auto& [k, p] : partitions_) parts.push_back(p);
    }
    size_t flushed = 0;
    for (auto& p : parts) flushed += p->flush_if_due(now_ms) ? 1 : 0;
    return flushed;
}

void replica_manager::schedule_producer_expiry() {
    if (stopping_) return;
    expiry_timer_->expires_after(std::chrono::milliseconds(cfg_.producer_id_expiration_check_interval_ms));
    expiry_timer_->async_wait([this](const boost::system::error_code& ec) {
        if (ec || stopping_) return;
        std::vector<std::shared_ptr<partition>> parts;
        {
            std::shared_lock lock(mutex_);
            for (const auto& [k, p] : partitions_) parts.push_back(p);
        }
        size_t expired = 0;
        const int64_t now = wall_clock_ms();
        for (auto& p : parts) expired += p->expire_producers(now);
        if (expired > 0) spdlog::info("expired the state of {} idle producer id(s)", expired);
        schedule_producer_expiry();
    });
}

std::shared_ptr<partition> replica_manager::get(const std::string& topic, int32_t index) const {
    std::shared_lock lock(mutex_);
    auto it = partitions_.find(key{topic, index});
    return it == partitions_.end() ? nullptr : it->second;
}

size_t replica_manager::partition_count() const {
    std::shared_lock lock(mutex_);
    return partitions_.size();
}

int32_t replica_manager::min_insync_replicas_for(const std::string& topic) const {
    std::shared_lock lock(mutex_);
    auto it = topic_min_isr_.find(topic);
    return it == topic_min_isr_.end() ? cfg_.min_insync_replicas : it->second;
}

void replica_manager::set_topic_log_config(const std::string& topic, topic_log_config value) {
    std::vector<std::shared_ptr<partition>> parts;
    {
        std::unique_lock lock(mutex_);
        auto it = topic_log_.find(topic);
        const topic_log_config& before = it == topic_log_.end() ? topic_log_config{} : it->second;
        if (before == value) return;
        if (value == topic_log_config{}) {
            topic_log_.erase(topic);
        } else {
            topic_log_[topic] = std::move(value);
        }
        for (auto p = partitions_.lower_bound(key{topic, 0}); p != partitions_.end() && p->first.first == topic; ++p) {
            parts.push_back(p->second);
        }
    }
    // The open logs take the change now (segment size for the next roll, batch size limit for the
    // next append); retention reads the topic's settings at every round anyway.
    const storage::log_config cfg = log_config_for(topic);
    for (auto& p : parts) p->reconfigure(cfg);
}

storage::log_config replica_manager::log_config_for(const std::string& topic) const {
    storage::log_config c;
    c.segment_bytes = cfg_.log_segment_bytes;
    c.index_interval_bytes = cfg_.log_index_interval_bytes;
    c.max_open_sealed_segments = static_cast<uint32_t>(cfg_.log_max_open_segments);
    c.max_batch_bytes = static_cast<uint32_t>(cfg_.message_max_bytes);
    c.producer_id_expiration_ms = cfg_.producer_id_expiration_ms;
    c.retention_ms = cfg_.log_retention_ms;
    c.retention_bytes = cfg_.log_retention_bytes;
    c.segment_ms = cfg_.log_roll_ms;
    c.max_index_bytes = static_cast<uint32_t>(cfg_.log_index_size_max_bytes);
    c.flush_messages = cfg_.log_flush_interval_messages;
    c.flush_ms = cfg_.log_flush_interval_ms;
    std::shared_lock lock(mutex_);
    if (auto it = topic_log_.find(topic); it != topic_log_.end()) {
        const topic_log_config& t = it->second;
        if (t.segment_bytes) c.segment_bytes = *t.segment_bytes;
        if (t.max_message_bytes) c.max_batch_bytes = *t.max_message_bytes;
        if (t.retention_ms) c.retention_ms = *t.retention_ms;
        if (t.retention_bytes) c.retention_bytes = *t.retention_bytes;
        if (t.segment_ms) c.segment_ms = *t.segment_ms;
        if (t.segment_index_bytes) c.max_index_bytes = *t.segment_index_bytes;
        if (t.index_interval_bytes) c.index_interval_bytes = *t.index_interval_bytes;
        if (t.flush_messages) c.flush_messages = *t.flush_messages;
        if (t.flush_ms) c.flush_ms = *t.flush_ms;
    }
    const std::string& policy = [&]() -> const std::string& {
        auto it = topic_log_.find(topic);
        return it != topic_log_.end() && it->second.cleanup_policy ? *it->second.cleanup_policy
                                                                   : cfg_.log_cleanup_policy;
    }();
    c.compacted = policy.find("compact") != std::string::npos;
    return c;
}

std::vector<log_cleaner_service::target> replica_manager::compaction_targets() const {
    std::vector<log_cleaner_service::target> out;
    std::shared_lock lock(mutex_);
    for (const auto& [k, p] : partitions_) {
        topic_log_config t;
        if (auto it = topic_log_.find(k.first); it != topic_log_.end()) t = it->second;
        const std::string& policy = t.cleanup_policy ? *t.cleanup_policy : cfg_.log_cleanup_policy;
        if (policy.find("compact") == std::string::npos) continue;
        log_cleaner_service::target w;
        w.part = p;
        w.cfg.delete_retention_ms = t.delete_retention_ms.value_or(cfg_.log_cleaner_delete_retention_ms);
        w.cfg.min_compaction_lag_ms = t.min_compaction_lag_ms.value_or(cfg_.log_cleaner_min_compaction_lag_ms);
        w.cfg.dedupe_buffer_bytes = static_cast<uint64_t>(cfg_.log_cleaner_dedupe_buffer_size);
        w.min_cleanable_ratio = t.min_cleanable_dirty_ratio.value_or(cfg_.log_cleaner_min_cleanable_ratio);
        out.push_back(std::move(w));
    }
    return out;
}

size_t replica_manager::enforce_retention(int64_t now_ms) {
    struct work {
        std::shared_ptr<partition> part;
        int64_t retention_ms;
        int64_t retention_bytes;
    };
    std::vector<work> todo;
    {
        std::shared_lock lock(mutex_);
        for (const auto& [k, p] : partitions_) {
            if (!p->is_leader()) continue;
            topic_log_config t;
            if (auto it = topic_log_.find(k.first); it != topic_log_.end()) t = it->second;
            // Compacted topics keep their data (Kafka: only "delete" policies delete by retention).
            const std::string& policy = t.cleanup_policy ? *t.cleanup_policy : cfg_.log_cleanup_policy;
            if (policy.find("delete") == std::string::npos) continue;
            todo.push_back(work{p, t.retention_ms.value_or(cfg_.log_retention_ms),
                                t.retention_bytes.value_or(cfg_.log_retention_bytes)});
        }
    }
    size_t deleted = 0;
    for (auto& w : todo) {
        const size_t n = w.part->delete_expired_segments(now_ms, w.retention_ms, w.retention_bytes);
        if (n > 0) {
            spdlog::info("{}-{}: retention deleted {} segment(s); log start now {}", w.part->topic(), w.part->index(),
                         n, w.part->log_start_offset());
        }
        deleted += n;
    }
    return deleted;
}

void replica_manager::schedule_retention() {
    if (stopping_) return;
    retention_timer_->expires_after(std::chrono::milliseconds(cfg_.log_retention_check_interval_ms));
    retention_timer_->async_wait([this](const boost::system::error_code& ec) {
        if (ec || stopping_) return;
        enforce_retention(wall_clock_ms());
        schedule_retention();
    });
}

void replica_manager::set_topic_min_insync_replicas(const std::string& topic, std::optional<int32_t> value) {
    std::vector<std::shared_ptr<partition>> parts;
    {
        std::unique_lock lock(mutex_);
        if (value) {
            topic_min_isr_[topic] = *value;
        } else {
            topic_min_isr_.erase(topic);
        }
        for (auto it = partitions_.lower_bound(key{topic, 0}); it != partitions_.end() && it->first.first == topic; ++it) {
            parts.push_back(it->second);
        }
    }
    const int32_t n = value.value_or(cfg_.min_insync_replicas);
    for (auto& p : parts) {
        p->set_min_insync_replicas(n);
    }
}

protocol::error_code replica_manager::become_leader_or_follower(const std::string& topic, int32_t index,
                                                                const leader_and_isr_state& state,
                                                                const std::map<int32_t, leader_endpoint>& leaders) {
    if (std::find(state.replicas.begin(), state.replicas.end(), cfg_.broker_id) == state.replicas.end()) {
        return protocol::error_code::unknown_topic_or_partition;
    }
    auto part = get(topic, index);
    if (!part) {
        const storage::log_config log_cfg = log_config_for(topic);
        // Dated now: segment.ms counts from the first segment's creation.
        auto log = logs_.get_or_create(topic, index, log_cfg, wall_clock_ms());
        if (!log) {
            spdlog::error("cannot open log for {}-{}: {}", topic, index, log.error().message());
            return protocol::error_code::kafka_storage_error;
        }
        // A log found on disk at start-up was opened with the broker's settings; no partition
        // uses it yet, so the topic's own take over here.
        log.value()->set_config(log_cfg);
        const int64_t hw = logs_.checkpointed_high_watermark(topic, index).value_or(0);
        std::unique_lock lock(mutex_);
        auto& slot = partitions_[key{topic, index}];
        if (!slot) {
            slot = std::make_shared<partition>(topic, index, log.value(), cfg_.broker_id, hw);
        }
        part = slot;
    }
    part->set_min_insync_replicas(min_insync_replicas_for(topic));
    const int32_t previous_epoch = part->leader_epoch();
    switch (part->apply(state, wall_clock_ms())) {
        case partition::transition::stale:
            spdlog::warn("{}-{}: ignoring leader epoch {} older than the current {}", topic, index, state.leader_epoch,
                         previous_epoch);
            return protocol::error_code::stale_controller_epoch;
        case partition::transition::unchanged:
            return protocol::error_code::none;
        case partition::transition::leader:
            spdlog::info("{}-{}: leader at epoch {} isr [{}]", topic, index, state.leader_epoch,
                         fmt::join(state.isr, ","));
            fetchers_.remove(topic, index);
            return protocol::error_code::none;
        case partition::transition::follower:
            break;
    }
    auto leader = leaders.find(state.leader);
    if (state.leader < 0 || leader == leaders.end()) {
        spdlog::info("{}-{}: follower at epoch {}, no live leader", topic, index, state.leader_epoch);
        fetchers_.remove(topic, index);
        return protocol::error_code::none;
    }
    spdlog::info("{}-{}: follower of {} at epoch {}", topic, index, state.leader, state.leader_epoch);
    if (!shutting_down_) {
        fetchers_.add(part, leader->second, state.leader_epoch);
    }
    return protocol::error_code::none;
}

bool replica_manager::deletion_allowed(const std::string& topic) const {
    std::shared_lock lock(mutex_);
    auto it = topic_log_.find(topic);
    const std::string& policy =
        it != topic_log_.end() && it->second.cleanup_policy ? *it->second.cleanup_policy : cfg_.log_cleanup_policy;
    return policy.find("delete") != std::string::npos;
}

void replica_manager::follower_fetched(const std::shared_ptr<partition>& part, int32_t follower, int64_t fetch_offset,
                                       int64_t follower_log_start_offset) {
    if (auto proposed = part->record_follower_fetch(follower, fetch_offset, wall_clock_ms(), follower_log_start_offset)) {
        write_isr(part, std::move(*proposed));
    }
}

void replica_manager::shrink_lagging_isrs(int64_t now_ms) {
    std::vector<std::shared_ptr<partition>> parts;
    {
        std::shared_lock lock(mutex_);
        for (const auto& [k, p] : partitions_) parts.push_back(p);
    }
    for (auto& p : parts) {
        if (auto proposed = p->maybe_shrink_isr(now_ms, cfg_.replica_lag_time_max_ms)) {
            write_isr(p, std::move(*proposed));
        }
    }
}

void replica_manager::write_isr(const std::shared_ptr<partition>& part, coordination::partition_state proposed) {
    if (!isr_writer_) {
        part->isr_write_done(proposed, std::nullopt);
        return;
    }
    coordination::partition_key k{part->topic(), part->index()};
    isr_writer_(k, proposed, [part, proposed](std::optional<int32_t> version) {
        if (!version) {
            spdlog::warn("{}-{}: ISR change to [{}] not written (the controller changed the state first)",
                         part->topic(), part->index(), fmt::join(proposed.isr, ","));
        }
        part->isr_write_done(proposed, version);
    });
}

void replica_manager::checkpoint_high_watermarks() {
    storage::partition_offsets hw;
    {
        std::shared_lock lock(mutex_);
        for (const auto& [k, p] : partitions_) {
            int64_t v = p->high_watermark();
            if (v >= 0) hw[k] = v;
        }
    }
    if (auto r = logs_.checkpoint_high_watermarks(hw); !r) {
        spdlog::error("cannot write the high-watermark checkpoint: {}", r.error().message());
    }
}

protocol::error_code replica_manager::stop_replica(const std::string& topic, int32_t index, bool delete_log) {
    fetchers_.remove(topic, index);
    std::shared_ptr<partition> part;
    {
        std::unique_lock lock(mutex_);
        auto it = partitions_.find(key{topic, index});
        if (it != partitions_.end()) {
            part = it->second;
            partitions_.erase(it);
        }
    }
    if (part) {
        part->detach();
    }
    if (!delete_log) {
        return protocol::error_code::none;
    }
    if (!part && logs_.get(topic, index) == nullptr) {
        return protocol::error_code::none;
    }
    if (auto r = logs_.remove(topic, index); !r) {
        spdlog::error("cannot delete log of {}-{}: {}", topic, index, r.error().message());
        return protocol::error_code::kafka_storage_error;
    }
    spdlog::info("deleted log of {}-{}", topic, index);
    return protocol::error_code::none;
}

std::vector<std::pair<std::string, int32_t>> replica_manager::unclaimed_logs() const {
    std::vector<std::pair<std::string, int32_t>> out;
    for (const auto& [topic, index] : logs_.partitions()) {
        if (!get(topic, index)) {
            out.emplace_back(topic, index);
        }
    }
    return out;
}

}  // namespace broker
