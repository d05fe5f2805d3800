#pragma once

#include "tools/common/cli_result.h"

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace tools {

/// One partition of a topic as Metadata shows it (leader -1: none right now).
struct partition_leader {
    int32_t partition = 0;
    int32_t leader = -1;

    friend bool operator==(const partition_leader&, const partition_leader&) = default;
};

/// A topic's Metadata: topic-level error code and its partitions (sorted by id).
struct topic_layout {
    int16_t error_code = 0;
    std::vector<partition_leader> partitions;
};

/// One finished record batch (v2, uncompressed) for one partition.
struct partition_batch {
    int32_t partition = 0;
    std::vector<uint8_t> bytes;
    int32_t records = 0;
};

/// The leader's answer for one partition of a Produce request.
struct partition_ack {
    int32_t partition = 0;
    int16_t error_code = 0;
    int64_t base_offset = -1;
};

/// What the console producer needs from a cluster. The real one (kafka_produce_transport) speaks
/// Metadata and Produce; tests substitute a fake. Transport failures are cli_errors; Kafka error
/// codes come back as values. One thread.
class produce_transport {
public:
    virtual ~produce_transport() = default;
    /// Metadata for `topic` (auto-creating it if the cluster allows that, like the Java producer).
    virtual cli_result<topic_layout> topic_metadata(const std::string& topic) = 0;
    /// One Produce request to broker `leader` carrying `batches` of `topic`. With acks = 0 no
    /// answer comes back and the result is empty.
    virtual cli_result<std::vector<partition_ack>> produce(int32_t leader, const std::string& topic,
                                                           const std::vector<partition_batch>& batches,
                                                           int16_t acks, int32_t timeout_ms) = 0;
    /// Forget cached connections/leaders after a failure.
    virtual void reset(int32_t leader) = 0;
    /// Back-off between retries (a fake does not sleep).
    virtual void sleep(std::chrono::milliseconds d) = 0;
};

}  // namespace tools
