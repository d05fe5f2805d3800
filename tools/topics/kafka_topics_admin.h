#pragma once

#include "protocol/client/client.h"
#include "protocol/messages/metadata.h"
#include "tools/common/args.h"
#include "tools/topics/topics_admin.h"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace tools {

/// topics_admin over the Kafka protocol: Metadata from the first reachable bootstrap server,
/// CreateTopics / DeleteTopics / CreatePartitions on the controller that Metadata names (as
/// Kafka's admin client does), retried on NOT_CONTROLLER. Owns its connections; opened lazily, closed on destruction.
/// Blocking; use from one thread.
class kafka_topics_admin : public topics_admin {
public:
    struct timeouts {
        std::chrono::milliseconds connect{10'000};
        /// Sent to the broker as CreateTopics / DeleteTopics timeout_ms.
        std::chrono::milliseconds operation{30'000};
        /// Back-off between NOT_CONTROLLER retries, and how many attempts in all.
        std::chrono::milliseconds retry_backoff{500};
        int attempts = 5;
    };

    explicit kafka_topics_admin(std::vector<endpoint> bootstrap);
    kafka_topics_admin(std::vector<endpoint> bootstrap, timeouts t);

    cli_result<cluster_metadata> all_topics() override;
    cli_result<topic_result> create_topic(const new_topic& topic) override;
    cli_result<std::vector<topic_result>> delete_topics(
        const std::vector<std::string>& names) override;
    cli_result<std::vector<topic_result>> create_partitions(
        const std::vector<partition_increase>& increases) override;

private:
    struct open_connection {
        protocol::client::connection conn;
        endpoint where;
    };

    cli_result<open_connection> open(const endpoint& where);
    /// The bootstrap connection, connected and negotiated on first use.
    cli_result<open_connection*> any_broker();
    /// Metadata v1+ (topics = nullopt: all topics; empty: none) from the bootstrap connection.
    cli_result<protocol::metadata_response> metadata(
        std::optional<std::vector<std::string>> topics);
    /// The controller's connection, found through Metadata on first use.
    cli_result<open_connection*> controller();
    void forget_controller() { controller_.reset(); }
    /// Sends `req` to the controller and turns the answer into per-topic results with `collect`;
    /// re-reads the controller and retries (bounded) while any topic answers NOT_CONTROLLER.
    template <class Api, class Collect>
    cli_result<std::vector<topic_result>> send_to_controller(const typename Api::request& req, Collect collect);

    std::vector<endpoint> bootstrap_;
    timeouts timeouts_;
    std::optional<open_connection> bootstrap_conn_;
    std::optional<open_connection> controller_;
};

}  // namespace tools
