#include "broker/partition.h"

#include <algorithm>
#include <chrono>

#include <boost/asio/post.hpp>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "broker/clock.h"
#include "broker/error_mapping.h"
#include "storage/leader_epoch_cache.h"
#include "storage/errc.h"
#include "storage/log.h"

namespace broker {
using protocol::error_code;

namespace {
bool contains(const std::vector<int32_t>& v, int32_t x) { return std::find(v.begin(), v.end(), x) != v.end(); }
}  // namespace

partition::partition(std::string topic, int32_t index, storage::log* log, int32_t local_broker_id,
                     int64_t checkpointed_high_watermark)
    : topic_(std::move(topic)), index_(index), local_id_(local_broker_id), log_(log) {
    high_watermark_ = std::clamp<int64_t>(checkpointed_high_watermark, log_->log_start_offset(), log_->log_end_offset());
}

partition::transition partition::apply(const leader_and_isr_state& s, int64_t now_ms) {
    std::lock_guard lock(mutex_);
    if (log_ == nullptr) {
        return transition::stale;
    }
    if (s.leader_epoch < leader_epoch_) {
        return transition::stale;
    }
    if (s.leader_epoch == leader_epoch_) {
        return transition::unchanged;
    }
    const bool was_leader = leader_;
    leader_ = s.leader == local_id_;
    leader_id_ = s.leader;
    leader_epoch_ = s.leader_epoch;
    controller_epoch_ = s.controller_epoch;
    zk_version_ = s.zk_version;
    isr_ = s.isr;
    replicas_ = s.replicas;
    isr_write_in_flight_ = false;
    const int64_t leo = log_->log_end_offset();
    high_watermark_ = std::min(high_watermark_, leo);
    if (leader_) {
        // Kafka's Partition.makeLeader: the new epoch starts at our log end; followers in the ISR
        // count as caught up now (they get replica.lag.time.max.ms to fetch before being dropped),
        // their log end offsets are unknown until they fetch, which holds the high watermark.
        if (auto r = log_->assign_epoch(leader_epoch_, leo); !r) {
            spdlog::error("{}-{}: cannot record leader epoch {}: {}", topic_, index_, leader_epoch_, r.error().message());
        }
        leader_epoch_start_offset_ = leo;
        std::map<int32_t, follower_state> next;
        for (int32_t r : replicas_) {
            if (r == local_id_) continue;
            auto old = followers_.find(r);
            if (was_leader && old != followers_.end()) {
                next[r] = old->second;
            } else {
                follower_state f;
                f.last_caught_up_ms = contains(isr_, r) ? now_ms : 0;
                f.last_fetch_leader_log_end_offset = leo;
                f.last_fetch_ms = now_ms;
                next[r] = f;
            }
        }
        followers_ = std::move(next);
        maybe_advance_high_watermark_locked();
    } else {
        followers_.clear();
    }
    wake_all_locked();
    return leader_ ? transition::leader : transition::follower;
}

void partition::set_min_insync_replicas(int32_t n) {
    std::lock_guard lock(mutex_);
    min_insync_replicas_ = std::max(1, n);
}

bool partition::is_leader() const {
    std::lock_guard lock(mutex_);
    return leader_ && log_ != nullptr;
}

int32_t partition::leader_epoch() const {
    std::lock_guard lock(mutex_);
    return leader_epoch_;
}

int32_t partition::leader_id() const {
    std::lock_guard lock(mutex_);
    return leader_id_;
}

std::vector<int32_t> partition::isr() const {
    std::lock_guard lock(mutex_);
    return isr_;
}

append_outcome partition::append(std::span<uint8_t> batches, int32_t max_message_bytes, int16_t acks) {
    append_outcome out;
    std::lock_guard lock(mutex_);
    if (auto e = serving_error_locked(-1); e != error_code::none) {
        out.error = e;
        return out;
    }
    if (batches.size() > static_cast<size_t>(max_message_bytes)) {
        // Produce v3+ carries exactly one batch per partition; like Kafka, message.max.bytes bounds
        // the whole batch including its 12-byte offset/length prefix.
        out.error = error_code::message_too_large;
        return out;
    }
    if (acks == -1 && static_cast<int32_t>(isr_.size()) < min_insync_replicas_) {
        out.error = error_code::not_enough_replicas;
        return out;
    }
    auto r = log_->append(batches, leader_epoch_, wall_clock_ms());
    if (!r) {
        out.error = to_kafka_error(r.error());
        return out;
    }
    out.base_offset = r.value().first_offset;
    out.last_offset = r.value().last_offset;
    out.log_start_offset = log_->log_start_offset();
    out.leader_epoch = leader_epoch_;
    out.duplicate = r.value().duplicate;
    if (out.duplicate) {
        return out;
    }
    wake_locked(append_waiters_);
    maybe_advance_high_watermark_locked();  // a leader alone in the ISR commits at once
    return out;
}

std::optional<error_code> partition::acks_all_status(int64_t required_offset) const {
    std::lock_guard lock(mutex_);
    if (log_ == nullptr) {
        return error_code::unknown_topic_or_partition;
    }
    if (!leader_) {
        return error_code::not_leader_or_follower;
    }
    if (high_watermark_ < required_offset) {
        return std::nullopt;
    }
    if (static_cast<int32_t>(isr_.size()) < min_insync_replicas_) {
        return error_code::not_enough_replicas_after_append;
    }
    return error_code::none;
}

read_outcome partition::read(int64_t offset, uint32_t max_bytes, reader_kind kind, int32_t current_leader_epoch) const {
    read_outcome out;
    std::lock_guard lock(mutex_);
    if (auto e = serving_error_locked(current_leader_epoch); e != error_code::none) {
        out.error = e;
        return out;
    }
    out.high_watermark = high_watermark_;
    out.log_start_offset = log_->log_start_offset();
    const int64_t limit = kind == reader_kind::consumer ? high_watermark_ : log_->log_end_offset();
    auto r = log_->read(offset, max_bytes, limit);
    if (!r) {
        out.error = to_kafka_error(r.error());
        return out;
    }
    protocol::record_set rs = protocol::record_set::view({});
    for (const auto& slice : r.value().slices) {
        rs.append_file_slice(protocol::file_slice{slice.fd, slice.position, slice.size, slice.keepalive});
        out.bytes += slice.size;
    }
    out.records = std::move(rs);
    return out;
}

std::optional<coordination::partition_state> partition::record_follower_fetch(int32_t follower, int64_t fetch_offset,
                                                                              int64_t now_ms,
                                                                              int64_t follower_log_start_offset) {
    std::lock_guard lock(mutex_);
    if (log_ == nullptr || !leader_) {
        return std::nullopt;
    }
    auto it = followers_.find(follower);
    const int64_t leo = log_->log_end_offset();
    if (it == followers_.end() || fetch_offset > leo || fetch_offset < 0) {
        // Not a replica of ours, or a follower that has not truncated a divergent tail yet: its
        // position says nothing about what it shares with us.
        return std::nullopt;
    }
    follower_state& f = it->second;
    if (fetch_offset >= leo) {
        f.last_caught_up_ms = std::max(f.last_caught_up_ms, now_ms);
    } else if (fetch_offset >= f.last_fetch_leader_log_end_offset) {
        // It has everything we had when it last fetched: it was caught up then.
        f.last_caught_up_ms = std::max(f.last_caught_up_ms, f.last_fetch_ms);
    }
    f.last_fetch_leader_log_end_offset = leo;
    f.last_fetch_ms = now_ms;
    f.log_end_offset = fetch_offset;
    f.log_start_offset = follower_log_start_offset;
    maybe_advance_high_watermark_locked();
    if (!contains(isr_, follower) && !isr_write_in_flight_ && fetch_offset >= high_watermark_ &&
        fetch_offset >= leader_epoch_start_offset_) {
        auto next = isr_;
        next.push_back(follower);
        return proposal_locked(std::move(next));
    }
    return std::nullopt;
}

std::optional<coordination::partition_state> partition::maybe_shrink_isr(int64_t now_ms, int64_t lag_max_ms) {
    std::lock_guard lock(mutex_);
    if (log_ == nullptr || !leader_ || isr_write_in_flight_) {
        return std::nullopt;
    }
    std::vector<int32_t> next;
    for (int32_t r : isr_) {
        auto it = followers_.find(r);
        bool lagging = r != local_id_ && (it == followers_.end() || now_ms - it->second.last_caught_up_ms > lag_max_ms);
        if (!lagging) next.push_back(r);
    }
    if (next.size() == isr_.size()) {
        return std::nullopt;
    }
    return proposal_locked(std::move(next));
}

coordination::partition_state partition::proposal_locked(std::vector<int32_t> isr) {
    isr_write_in_flight_ = true;
    coordination::partition_state s;
    s.leader = local_id_;
    s.leader_epoch = leader_epoch_;
    s.isr = std::move(isr);
    s.controller_epoch = controller_epoch_;
    s.zk_version = zk_version_;
    return s;
}

void partition::isr_write_done(const coordination::partition_state& proposed, std::optional<int32_t> new_zk_version) {
    std::lock_guard lock(mutex_);
    if (proposed.leader_epoch != leader_epoch_ || !leader_) {
        return;  // a LeaderAndIsr arrived meanwhile; it is the truth now
    }
    isr_write_in_flight_ = false;
    if (!new_zk_version) {
        return;
    }
    spdlog::info("{}-{}: ISR [{}] -> [{}]", topic_, index_, fmt::join(isr_, ","), fmt::join(proposed.isr, ","));
    isr_ = proposed.isr;
    zk_version_ = *new_zk_version;
    maybe_advance_high_watermark_locked();
    // Parked acks=all produces re-check min.insync.replicas against the new ISR.
    wake_locked(hw_waiters_);
}

error_code partition::end_offset_for_epoch(int32_t requested, int32_t current_leader_epoch, int32_t& epoch_out,
                                           int64_t& end_offset_out) const {
    std::lock_guard lock(mutex_);
    if (auto e = serving_error_locked(current_leader_epoch); e != error_code::none) {
        return e;
    }
    auto [epoch, end] = log_->leader_epochs().end_offset_for(requested, log_->log_end_offset());
    epoch_out = epoch;
    end_offset_out = end;
    return error_code::none;
}

error_code partition::append_as_follower(std::span<const uint8_t> batches, int64_t leader_high_watermark,
                                         int64_t leader_log_start_offset, int32_t leader_epoch, int64_t now_ms) {
    std::lock_guard lock(mutex_);
    if (log_ == nullptr) {
        return error_code::unknown_topic_or_partition;
    }
    if (leader_ || leader_epoch != leader_epoch_) {
        return error_code::fenced_leader_epoch;
    }
    if (!batches.empty()) {
        auto r = log_->append_as_follower(batches, now_ms);
        if (!r) {
            return to_kafka_error(r.error());
        }
    }
    high_watermark_ = std::max(high_watermark_, std::min(leader_high_watermark, log_->log_end_offset()));
    if (leader_log_start_offset > log_->log_start_offset()) {
        // Also inside a segment (the leader's DeleteRecords), as Kafka's maybeIncrementLogStartOffset.
        if (auto r = log_->increment_log_start_offset(std::min(leader_log_start_offset, high_watermark_)); !r) {
            return to_kafka_error(r.error());
        }
    }
    return error_code::none;
}

size_t partition::delete_expired_segments(int64_t now_ms, int64_t retention_ms, int64_t retention_bytes) {
    std::lock_guard lock(mutex_);
    if (log_ == nullptr || !leader_) return 0;
    if (log_->config().retention_ms != retention_ms || log_->config().retention_bytes != retention_bytes) {
        storage::log_config c = log_->config();
        c.retention_ms = retention_ms;
        c.retention_bytes = retention_bytes;
        log_->set_config(c);
    }
    auto r = log_->delete_old_segments(now_ms, high_watermark_);
    return r ? r.value() : 0;
}

int64_t partition::low_watermark() const {
    std::lock_guard lock(mutex_);
    if (log_ == nullptr || !leader_) return -1;
    int64_t low = log_->log_start_offset();
    for (int32_t r : isr_) {
        if (r == local_id_) continue;
        auto it = followers_.find(r);
        low = std::min(low, it == followers_.end() ? int64_t{-1} : it->second.log_start_offset);
    }
    return low;
}

bool partition::flush_if_due(int64_t now_ms) {
    std::lock_guard lock(mutex_);
    if (log_ == nullptr) return false;
    auto r = log_->flush_if_due(now_ms);
    if (!r) {
        spdlog::error("{}-{}: flush failed: {}", topic_, index_, r.error().message());
        return false;
    }
    return r.value();
}

void partition::flush_closed_segments() {
    std::lock_guard lock(mutex_);
    if (log_ == nullptr) return;
    if (auto r = log_->flush_closed_segments(); !r) {
        spdlog::error("{}-{}: flush of closed segments failed: {}", topic_, index_, r.error().message());
    }
}

error_code partition::delete_records(int64_t offset, int64_t& low_watermark_out) {
    std::lock_guard lock(mutex_);
    if (auto e = serving_error_locked(-1); e != error_code::none) {
        return e;
    }
    const int64_t target = offset == -1 ? high_watermark_ : offset;
    if (target < 0 || target > high_watermark_) {
        return error_code::offset_out_of_range;
    }
    auto moved = log_->increment_log_start_offset(target);
    if (!moved) {
        return to_kafka_error(moved.error());
    }
    if (moved.value()) {
        // Parked follower fetches answer now with the new log start, so the wait for the low
        // watermark is not a whole replica.fetch.wait.max.ms longer.
        wake_locked(append_waiters_);
    }
    low_watermark_out = log_->log_start_offset();
    return error_code::none;
}

void partition::reconfigure(const storage::log_config& cfg) {
    std::lock_guard lock(mutex_);
    if (log_ != nullptr) log_->set_config(cfg);
}

std::optional<storage::cleaning_input> partition::cleaning_snapshot() const {
    std::lock_guard lock(mutex_);
    if (log_ == nullptr) return std::nullopt;
    storage::cleaning_input in = log_->cleaning_snapshot();
    in.upper_bound = high_watermark_;
    return in;
}

std::error_code partition::replace_cleaned(const storage::cleaned_group& g, int64_t now_ms) {
    std::lock_guard lock(mutex_);
    if (log_ == nullptr) {
        storage::remove_cleaned_files(g);
        return storage::errc::log_closed;
    }
    auto r = log_->replace_segments(g, now_ms);
    return r ? std::error_code{} : r.error();
}

size_t partition::delete_segments_below(int64_t offset) {
    std::lock_guard lock(mutex_);
    if (log_ == nullptr) return 0;
    auto r = log_->delete_segments_below(std::min(offset, high_watermark_));
    return r ? r.value() : 0;
}

error_code partition::restart_as_follower_at(int64_t offset, int32_t leader_epoch) {
    std::lock_guard lock(mutex_);
    if (log_ == nullptr) {
        return error_code::unknown_topic_or_partition;
    }
    if (leader_ || leader_epoch != leader_epoch_) {
        return error_code::fenced_leader_epoch;
    }
    if (offset <= log_->log_end_offset()) {
        return error_code::none;  // our log continues the leader's: nothing to drop
    }
    if (auto r = log_->truncate_fully_and_start_at(offset); !r) {
        return to_kafka_error(r.error());
    }
    high_watermark_ = offset;
    return error_code::none;
}

error_code partition::truncate_as_follower(int64_t offset, int32_t leader_epoch) {
    std::lock_guard lock(mutex_);
    if (log_ == nullptr) {
        return error_code::unknown_topic_or_partition;
    }
    if (leader_ || leader_epoch != leader_epoch_) {
        return error_code::fenced_leader_epoch;
    }
    if (offset > log_->log_end_offset()) {
        return error_code::none;
    }
    if (offset < log_->log_end_offset()) {
        spdlog::info("{}-{}: truncating from {} to {} (divergent from leader {} at epoch {})", topic_, index_,
                     log_->log_end_offset(), offset, leader_id_, leader_epoch_);
    }
    // Even at the log end this drops epochs recorded there with no data (a leadership that
    // wrote nothing), as Kafka's truncateTo does.
    if (auto r = log_->truncate_to(offset); !r) {
        return to_kafka_error(r.error());
    }
    high_watermark_ = std::min(high_watermark_, log_->log_end_offset());
    return error_code::none;
}

int32_t partition::latest_log_epoch() const {
    std::lock_guard lock(mutex_);
    if (log_ == nullptr) return -1;
    return log_->leader_epochs().latest_epoch().value_or(-1);
}

std::pair<int32_t, int64_t> partition::local_end_offset_for(int32_t epoch) const {
    std::lock_guard lock(mutex_);
    if (log_ == nullptr) return {-1, -1};
    return log_->leader_epochs().end_offset_for(epoch, log_->log_end_offset());
}

int64_t partition::high_watermark() const {
    std::lock_guard lock(mutex_);
    return log_ ? high_watermark_ : -1;
}

int64_t partition::log_start_offset() const {
    std::lock_guard lock(mutex_);
    return log_ ? log_->log_start_offset() : -1;
}

int64_t partition::log_end_offset() const {
    std::lock_guard lock(mutex_);
    return log_ ? log_->log_end_offset() : -1;
}

error_code partition::offset_for_timestamp(int64_t ts, int64_t& timestamp_out, int64_t& offset_out) const {
    std::lock_guard lock(mutex_);
    if (auto e = serving_error_locked(-1); e != error_code::none) {
        return e;
    }
    auto r = log_->offset_for_timestamp(ts);
    if (!r) {
        return to_kafka_error(r.error());
    }
    // Records above the high watermark are not visible yet.
    if (r.value().offset >= high_watermark_) {
        timestamp_out = -1;
        offset_out = -1;
        return error_code::none;
    }
    timestamp_out = r.value().timestamp;
    offset_out = r.value().offset;
    return error_code::none;
}

error_code partition::serving_error_locked(int32_t current_leader_epoch) const {
    if (log_ == nullptr) {
        return error_code::unknown_topic_or_partition;
    }
    if (current_leader_epoch >= 0 && current_leader_epoch != leader_epoch_) {
        // KIP-320: a reader that knows a newer epoch than ours must wait for our LeaderAndIsr; one
        // with an older epoch must refresh its metadata.
        return current_leader_epoch > leader_epoch_ ? error_code::unknown_leader_epoch
                                                    : error_code::fenced_leader_epoch;
    }
    if (!leader_) {
        return error_code::not_leader_or_follower;
    }
    return error_code::none;
}

void partition::maybe_advance_high_watermark_locked() {
    if (!leader_ || log_ == nullptr) {
        return;
    }
    int64_t hw = log_->log_end_offset();
    for (int32_t r : isr_) {
        if (r == local_id_) continue;
        auto it = followers_.find(r);
        hw = std::min(hw, it == followers_.end() ? -1 : it->second.log_end_offset);
    }
    if (hw > high_watermark_) {
        high_watermark_ = hw;
        wake_locked(hw_waiters_);
    }
}

size_t partition::expire_producers(int64_t now_ms) {
    std::lock_guard lock(mutex_);
    return log_ ? log_->expire_producers(now_ms) : 0;
}

void partition::add_waiter(const std::shared_ptr<fetch_waiter>& w, wake_on what) {
    std::lock_guard lock(mutex_);
    (what == wake_on::append ? append_waiters_ : hw_waiters_).push_back(w);
}

void partition::detach() {
    std::lock_guard lock(mutex_);
    log_ = nullptr;
    leader_ = false;
    followers_.clear();
    wake_all_locked();
}

void partition::wake_all_locked() {
    wake_locked(append_waiters_);
    wake_locked(hw_waiters_);
}

void partition::wake_locked(std::vector<std::weak_ptr<fetch_waiter>>& list) {
    for (auto& weak : list) {
        if (auto w = weak.lock()) {
            boost::asio::post(w->timer.get_executor(), [w] {
                w->notified = true;
                w->timer.cancel();
            });
        }
    }
    list.clear();
}

}  // namespace broker
