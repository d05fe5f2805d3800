#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "protocol/errors.h"

namespace broker {

struct handler_context;

struct topic_admin_result {
    protocol::error_code error = protocol::error_code::none;
    std::optional<std::string> message;
};

/// Kafka's topic name rules: 1-249 characters of [a-zA-Z0-9._-], not "." or "..".
/// Returns a message describing the problem, or nothing when the name is legal.
std::optional<std::string> check_topic_name(const std::string& name);

/// Topic creation and deletion as the CreateTopics, DeleteTopics and Metadata (auto-create)
/// handlers need them: validation, replica placement over the live brokers, the ZooKeeper writes,
/// and the wait until this broker's metadata shows the result. Runs on the calling connection's
/// strand; never on the data path.
class topic_admin {
public:
    explicit topic_admin(handler_context& ctx) : ctx_(ctx) {}

    struct create_spec {
        std::string name;
        int32_t partitions = -1;          // -1: num.partitions
        int16_t replication_factor = -1;  // -1: default.replication.factor
        std::map<int32_t, std::vector<int32_t>> assignment;  // explicit replica assignment, if any
        std::map<std::string, std::string> configs;
    };

    /// Arguments are taken by reference: keep them alive (named locals) across the co_await. GCC 12
    /// destroys by-value temporaries of a co_await expression twice, so never pass temporaries.
    /// Validates and (unless validate_only) writes the topic to ZooKeeper, then waits up to
    /// `wait` for its partitions to have leaders in the local metadata.
    boost::asio::awaitable<topic_admin_result> create(const create_spec& spec, bool validate_only,
                                                      std::chrono::milliseconds wait);

    /// Waits up to `wait` until the local metadata shows `topic` with at least `partitions`
    /// partitions, all with a leader (what CreateTopics and CreatePartitions answer after).
    boost::asio::awaitable<void> wait_until_led(const std::string& topic, int32_t partitions,
                                                std::chrono::milliseconds wait);

    /// Requests deletion, then waits up to `wait` for the topic to leave the local metadata.
    boost::asio::awaitable<topic_admin_result> remove(const std::string& name, std::chrono::milliseconds wait);

private:
    handler_context& ctx_;
};

}  // namespace broker
