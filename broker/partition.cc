#include "broker/partition.h"

#include <chrono>

#include <boost/asio/post.hpp>

#include "broker/error_mapping.h"
#include "storage/log.h"

namespace broker {
namespace {
int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}
}  // namespace

partition::partition(std::string topic, int32_t index, storage::log* log)
    : topic_(std::move(topic)), index_(index), log_(log) {}

void partition::set_role(bool leader, int32_t leader_epoch) {
    std::lock_guard lock(mutex_);
    leader_ = leader;
    leader_epoch_ = leader_epoch;
    wake_waiters_locked();
}

bool partition::is_leader() const {
    std::lock_guard lock(mutex_);
    return leader_ && log_ != nullptr;
}

int32_t partition::leader_epoch() const {
    std::lock_guard lock(mutex_);
    return leader_epoch_;
}

append_outcome partition::append(std::span<uint8_t> batches, int32_t max_message_bytes) {
    append_outcome out;
    std::lock_guard lock(mutex_);
    if (auto e = serving_error_locked(); e != protocol::error_code::none) {
        out.error = e;
        return out;
    }
    if (batches.size() > static_cast<size_t>(max_message_bytes)) {
        // Produce v3+ carries exactly one batch per partition; like Kafka, message.max.bytes bounds
        // the whole batch including its 12-byte offset/length prefix.
        out.error = protocol::error_code::message_too_large;
        return out;
    }
    auto r = log_->append(batches, leader_epoch_, now_ms());
    if (!r) {
        out.error = to_kafka_error(r.error());
        return out;
    }
    out.base_offset = r.value().first_offset;
    out.log_start_offset = log_->log_start_offset();
    wake_waiters_locked();
    return out;
}

read_outcome partition::read(int64_t offset, uint32_t max_bytes) const {
    read_outcome out;
    std::lock_guard lock(mutex_);
    if (auto e = serving_error_locked(); e != protocol::error_code::none) {
        out.error = e;
        return out;
    }
    // Until replication lands the leader is the only replica that holds data, so the high
    // watermark is the log end offset.
    out.high_watermark = log_->log_end_offset();
    out.log_start_offset = log_->log_start_offset();
    auto r = log_->read(offset, max_bytes, out.high_watermark);
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

int64_t partition::high_watermark() const {
    std::lock_guard lock(mutex_);
    return log_ ? log_->log_end_offset() : -1;
}

int64_t partition::log_start_offset() const {
    std::lock_guard lock(mutex_);
    return log_ ? log_->log_start_offset() : -1;
}

int64_t partition::log_end_offset() const {
    std::lock_guard lock(mutex_);
    return log_ ? log_->log_end_offset() : -1;
}

protocol::error_code partition::offset_for_timestamp(int64_t ts, int64_t& timestamp_out, int64_t& offset_out) const {
    std::lock_guard lock(mutex_);
    if (auto e = serving_error_locked(); e != protocol::error_code::none) {
        return e;
    }
    auto r = log_->offset_for_timestamp(ts);
    if (!r) {
        return to_kafka_error(r.error());
    }
    timestamp_out = r.value().timestamp;
    offset_out = r.value().offset;
    return protocol::error_code::none;
}

protocol::error_code partition::serving_error_locked() const {
    if (log_ == nullptr) {
        return protocol::error_code::unknown_topic_or_partition;
    }
    if (!leader_) {
        return protocol::error_code::not_leader_or_follower;
    }
    return protocol::error_code::none;
}

void partition::add_waiter(const std::shared_ptr<fetch_waiter>& w) {
    std::lock_guard lock(mutex_);
    waiters_.push_back(w);
}

void partition::detach() {
    std::lock_guard lock(mutex_);
    log_ = nullptr;
    leader_ = false;
    wake_waiters_locked();
}

void partition::wake_waiters_locked() {
    if (waiters_.empty()) {
        return;
    }
    for (auto& weak : waiters_) {
        if (auto w = weak.lock()) {
            boost::asio::post(w->timer.get_executor(), [w] {
                w->notified = true;
                w->timer.cancel();
            });
        }
    }
    waiters_.clear();
}

}  // namespace broker
