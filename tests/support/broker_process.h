#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

#ifndef BROOK_SERVER_BINARY
#define BROOK_SERVER_BINARY "brook-server"
#endif
#ifndef BROOK_TOPICS_BINARY
#define BROOK_TOPICS_BINARY "brook-topics"
#endif

namespace test_support {

/// Paths of the binaries under test: fixed at configure time (compile definitions), unless the
/// environment names others (BROOK_SERVER_BINARY, BROOK_TOPICS_BINARY), e.g. to run this build's
/// tests against binaries built from another checkout.
std::string brook_server_binary();
std::string brook_topics_binary();

struct broker_options {
    int broker_id = 1;
    /// zookeeper.connect, normally "<zk.connect_string()>/<chroot>".
    std::string zookeeper_connect;
    /// zookeeper.session.timeout.ms: how long after a crash (or SIGSTOP) ZooKeeper expires the
    /// broker's session and deletes its registration. Issue-3 tests use 4000.
    int session_timeout_ms = 6000;
    /// Extra or replacing server.properties entries (e.g. {"num.partitions","3"}); they win over
    /// the fields above.
    std::map<std::string, std::string> properties;
    /// Passed as `--override key=value` on the command line (tests the flag itself).
    std::vector<std::string> overrides;
    std::string server_binary = brook_server_binary();
    /// Listener must accept TCP within this time, or start() throws.
    std::chrono::milliseconds start_timeout = std::chrono::seconds(30);
    /// Port to listen on; 0 picks a free one at construction (kept across restarts).
    std::uint16_t port = 0;
};

/// One brook-server process: writes <dir>/server.properties (log.dirs=<dir>/logs), spawns the
/// binary with stdout+stderr to <dir>/broker-<id>.log and returns from start() once the listener
/// accepts TCP (the broker opens it only after registering in ZooKeeper and loading its logs).
/// stop() = SIGTERM and expects exit code 0 (a non-zero exit is a test failure); kill() =
/// SIGKILL (a crash); restart() reuses dir and port. If the current test has failed when the
/// object dies, the log tail is printed. Owned by one test; not thread-safe.
class broker_process {
public:
    /// Writes the config and starts the broker; throws fixture_error if it does not come up.
    explicit broker_process(broker_options opts);
    ~broker_process();
    broker_process(const broker_process&) = delete;
    broker_process& operator=(const broker_process&) = delete;

    void start();
    /// SIGTERM, wait up to `grace`; records a gtest failure if the exit is not code 0 or the
    /// broker needed SIGKILL. Returns how it ended.
    exit_status stop(std::chrono::milliseconds grace = std::chrono::seconds(30));
    exit_status kill();
    /// Sends `sig` (e.g. SIGTERM) without waiting; pair with wait_for_exit().
    void send_signal(int sig);
    /// Waits up to `timeout` for the process to end by itself; nullopt if still running.
    std::optional<exit_status> wait_for_exit(std::chrono::milliseconds timeout);
    /// SIGSTOP: the process freezes (no ZooKeeper heartbeats, no requests served) until resume().
    void suspend();
    /// SIGCONT after suspend().
    void resume();
    void restart();
    bool running();
    pid_t pid() const;

    std::string bootstrap() const { return "127.0.0.1:" + std::to_string(port_); }
    int session_timeout_ms() const { return opts_.session_timeout_ms; }
    std::uint16_t port() const { return port_; }
    int broker_id() const { return opts_.broker_id; }
    std::string dir() const { return dir_.str(); }
    std::string log_dir() const { return dir_.file("logs"); }
    std::string config_path() const { return dir_.file("server.properties"); }
    std::string log_path() const;
    std::string log() const;
    std::string log_tail(std::size_t lines = 60) const;

private:
    void write_config() const;

    broker_options opts_;
    temp_dir dir_;
    std::uint16_t port_;
    std::unique_ptr<child_process> proc_;
};

}  // namespace test_support
