#pragma once

#include "tools/common/broker_pool.h"
#include "tools/common/consumer_protocol.h"

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace tools {

/// Partitions of some topics with their leaders (-1: none), from one Metadata answer.
struct topics_layout {
    std::map<std::string, int16_t> topic_errors;  ///< topic-level error code per requested topic
    std::map<topic_partition, int32_t> leaders;
};

cli_result<topics_layout> read_layout(broker_pool& pool, const std::vector<std::string>& topics);

/// ListOffsets (v1+) on the leaders for `timestamp` (-1 latest, -2 earliest, or ms). Partitions
/// without leader, answering an error, or with offset -1 (no record at or after the time) are
/// left out.
cli_result<std::map<topic_partition, int64_t>> list_offsets(broker_pool& pool,
                                                            const std::vector<topic_partition>& partitions,
                                                            int64_t timestamp);

/// The group coordinator as FindCoordinator (key type 0) names it, connected. Retries
/// COORDINATOR_NOT_AVAILABLE / COORDINATOR_LOAD_IN_PROGRESS (the offsets topic is being created
/// or loaded) for up to `patience`.
struct coordinator_ref {
    int32_t node_id = -1;
    endpoint where;
    protocol::client::connection* conn = nullptr;
};
cli_result<coordinator_ref> find_coordinator(broker_pool& pool, const std::string& group,
                                             std::chrono::milliseconds patience = std::chrono::seconds(30));

/// FindCoordinator connections are cached by a node id we offset by this much, so a
/// coordinator's connection never doubles as a data connection to the same broker (a fetch long
/// poll would otherwise delay heartbeats).
inline constexpr int32_t coordinator_connection_offset = 1 << 20;

}  // namespace tools
