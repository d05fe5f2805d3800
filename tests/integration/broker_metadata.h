#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace integration {

/// One broker's answer to a Metadata request, decoded by hand (independent of protocol/).
struct broker_metadata {
    struct broker {
        int id = -1;
        std::string host;
        int port = -1;
    };
    struct partition {
        int error = 0;
        int leader = -1;
        std::vector<int> replicas;
        std::vector<int> isr;
    };
    struct topic {
        int error = 0;
        std::map<int, partition> partitions;
    };

    std::string error;  // empty when the request succeeded
    std::vector<broker> brokers;  // sorted by id
    int controller = -1;
    std::map<std::string, topic> topics;

    bool ok() const { return error.empty(); }
    std::vector<int> broker_ids() const;
    /// Leader of topic/partition, -2 if the topic or partition is missing.
    int leader(const std::string& topic, int partition) const;
    std::string describe() const;
};

/// Sends Metadata v1 (all topics, or `topics`) to exactly the broker on 127.0.0.1:`port` over
/// a raw socket, so the answer is that broker's own metadata cache (librdkafka and kcat may
/// ask any broker they know). Never throws; a failure is described in `error`.
broker_metadata fetch_metadata(std::uint16_t port, const std::vector<std::string>& topics = {},
                               std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace integration
