#pragma once

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>

#include "broker/config.h"
#include "broker/metrics.h"

namespace coordination {
class zk_session;
class broker_registry;
class controller_election;
class controller;
class cluster_watcher;
class topic_store;
}  // namespace coordination
namespace storage {
class log_manager;
}

namespace broker {

class metadata_cache;
class replica_manager;
class handlers;
class request_dispatcher;
class server;

/// The composition root of one broker process: builds every component, starts them in
/// dependency order and stops them in reverse. Start-up steps block the main thread (they wait on
/// futures completed by the io threads); after that the main thread only waits for SIGTERM/SIGINT.
///
/// Threads: one io_context run by num.network.threads threads (default: cores). ZooKeeper
/// completions and watches run on `zk_strand_`, which is the only place that changes the metadata
/// cache and the set of local replicas.
class application {
public:
    explicit application(config cfg);
    ~application();
    application(const application&) = delete;
    application& operator=(const application&) = delete;

    /// Runs the broker until a termination signal; returns the process exit code.
    int run();

private:
    bool start();
    void stop();
    void on_session_expired();

    config cfg_;
    boost::asio::io_context io_;
    boost::asio::strand<boost::asio::io_context::executor_type> zk_strand_;
    std::vector<std::thread> threads_;
    broker_metrics metrics_;
    std::atomic<bool> stopping_{false};

    std::unique_ptr<coordination::zk_session> zk_;
    std::unique_ptr<storage::log_manager> logs_;
    std::unique_ptr<metadata_cache> metadata_;
    std::unique_ptr<replica_manager> replicas_;
    std::unique_ptr<coordination::topic_store> topic_store_;
    std::shared_ptr<coordination::cluster_watcher> watcher_;
    std::shared_ptr<coordination::broker_registry> registry_;
    std::shared_ptr<coordination::controller_election> election_;
    std::shared_ptr<coordination::controller> controller_;  // only while this broker is controller; zk_strand_
    std::unique_ptr<handlers> handlers_;
    std::unique_ptr<request_dispatcher> dispatcher_;
    std::unique_ptr<server> server_;
};

}  // namespace broker
