#pragma once

#include <boost/asio/any_io_executor.hpp>

#include "broker/group/group_coordinator.h"

namespace broker {
class replica_manager;
}

namespace broker::group {

inline constexpr const char* offsets_topic = "__consumer_offsets";

/// The group coordinator's `__consumer_offsets` partitions through the replica manager: appends
/// as the partition's leader with acks=all semantics (parked until the high watermark passes
/// the batch, bounded by offsets.commit.timeout.ms, like Kafka's commit path), and reads a
/// partition's whole log for loading. Any thread.
class replica_offsets_log : public offsets_log {
public:
    replica_offsets_log(replica_manager& replicas, boost::asio::any_io_executor ex, int32_t commit_timeout_ms)
        : replicas_(replicas), ex_(std::move(ex)), commit_timeout_ms_(commit_timeout_ms) {}

    void append(int32_t p, int32_t leader_epoch, std::vector<uint8_t> batch,
                std::function<void(protocol::error_code)> done) override;
    protocol::error_code read_all(int32_t p, std::vector<uint8_t>& out) override;
    int64_t log_end_offset(int32_t p) override;
    void delete_segments_below(int32_t p, int64_t offset) override;

private:
    replica_manager& replicas_;
    boost::asio::any_io_executor ex_;
    const int32_t commit_timeout_ms_;
};

}  // namespace broker::group
