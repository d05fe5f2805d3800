#pragma once

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>

#include "broker/config.h"
#include "broker/handlers/handlers.h"
#include "broker/metrics.h"

namespace coordination {
class zk_session;
class broker_registry;
class controller_election;
class controller;
class topic_store;
class config_change_listener;
class producer_id_manager;
}  // namespace coordination
namespace storage {
class log_manager;
}

namespace broker::group {
class group_coordinator;
class replica_offsets_log;
}

namespace broker {

class metadata_cache;
class replica_manager;
class request_dispatcher;
class controller_channel;
class controller_requests;
class server;

/// The composition root of one broker process: builds every component, starts them in
/// dependency order and stops them in reverse. Start-up steps block the main thread (they wait on
/// futures completed by the io threads); after that the main thread only waits for SIGTERM/SIGINT.
///
/// Threads: one io_context run by num.network.threads threads (default: cores). ZooKeeper
/// completions and watches run on `zk_strand_`, which is the only place that changes the metadata
/// cache and the set of local replicas.
class application : public controller_gateway {
public:
    explicit application(config cfg);
    ~application();
    application(const application&) = delete;
    application& operator=(const application&) = delete;

    /// Runs the broker until a termination signal; returns the process exit code.
    int run();

    /// controller_gateway: a ControlledShutdown request that reached this broker.
    void controlled_shutdown(int32_t broker_id, shutdown_callback cb) override;

private:
    bool start();
    void stop();
    void on_session_expired();
    void on_controller_change(int32_t controller_id, int32_t epoch, bool is_me);
    void stop_controller();
    void request_controlled_shutdown();

    config cfg_;
    boost::asio::io_context io_;
    boost::asio::strand<boost::asio::io_context::executor_type> zk_strand_;
    std::vector<std::thread> threads_;
    broker_metrics metrics_;
    std::atomic<bool> stopping_{false};
    bool registered_ = false;  // main thread: start() succeeded in registering

    std::unique_ptr<coordination::zk_session> zk_;
    std::unique_ptr<storage::log_manager> logs_;
    std::unique_ptr<metadata_cache> metadata_;
    std::unique_ptr<replica_manager> replicas_;
    std::unique_ptr<coordination::topic_store> topic_store_;
    std::shared_ptr<coordination::producer_id_manager> producer_ids_;
    std::shared_ptr<coordination::broker_registry> registry_;
    std::shared_ptr<coordination::controller_election> election_;
    // Only while this broker is controller; created, used and destroyed on zk_strand_.
    std::shared_ptr<coordination::controller> controller_;
    std::shared_ptr<coordination::config_change_listener> config_changes_;  // zk_strand_ only
    std::unique_ptr<controller_channel> channel_;
    std::unique_ptr<controller_requests> requests_;
    std::unique_ptr<group::replica_offsets_log> offsets_log_;
    std::shared_ptr<group::group_coordinator> groups_;
    std::unique_ptr<handlers> handlers_;
    std::unique_ptr<request_dispatcher> dispatcher_;
    std::unique_ptr<server> server_;
};

}  // namespace broker
