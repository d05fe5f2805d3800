#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/zk_reader.h"

namespace test_support {

/// A real standalone ZooKeeper (Debian `zookeeper` package, ZooKeeperServerMain under
/// /usr/bin/java) on a free 127.0.0.1 port with its data dir in a temp dir. The constructor
/// returns once the server answers `ruok` with `imok`; when it cannot within the timeout it
/// throws fixture_error with the reason and the server log tail (a test never skips). The
/// destructor stops it by pid (SIGTERM, then SIGKILL) and removes the temp dir.
/// Znode inspection (children/exists/get, reader()) runs /usr/bin/python3 with kazoo
/// (zk_reader), a client independent of the code under test. Owned by one test or suite; not thread-safe.
class zookeeper_server {
public:
    struct options {
        std::chrono::milliseconds start_timeout = std::chrono::seconds(30);
        int tick_time_ms = 500;  // sessions may range 2..20 ticks: 1 s .. 10 s at 500 ms
        int max_session_timeout_ms = 60000;
    };

    zookeeper_server();
    explicit zookeeper_server(options opts);
    ~zookeeper_server();
    zookeeper_server(const zookeeper_server&) = delete;
    zookeeper_server& operator=(const zookeeper_server&) = delete;

    /// "127.0.0.1:<port>" (append "/chroot" for a broker's zookeeper.connect).
    std::string connect_string() const;
    std::uint16_t port() const { return port_; }
    bool running();
    /// SIGTERM + wait (SIGKILL after 10 s). Idempotent.
    void stop();
    /// Starts again on the same port and data dir (e.g. after stop(), to test reconnects).
    void start();
    /// Sends a four-letter word ("ruok", "stat", "mntr", ...) and returns the answer.
    std::string four_letter_word(const std::string& word) const;

    /// kazoo-based reader on this server (controller, epoch, partition states, any znode).
    zk_reader reader() const;

    /// Child names of `path`, sorted. Throws fixture_error if the node does not exist.
    std::vector<std::string> children(const std::string& path) const;
    bool exists(const std::string& path) const;
    /// Data of `path`. Throws fixture_error if the node does not exist.
    std::string get(const std::string& path) const;
    /// Ephemeral owner session id of `path` (0 for persistent nodes); nullopt if missing.
    std::optional<std::int64_t> ephemeral_owner(const std::string& path) const;
    /// Indented dump of the tree under `path` (for failure messages).
    std::string dump(const std::string& path = "/") const;
    /// Creates `path` (and parents) with `data`; for tests that pre-seed state.
    void create(const std::string& path, const std::string& data = {}) const;

    std::string log_path() const;
    std::string log_tail(std::size_t lines = 40) const;

private:
    options opts_;
    temp_dir dir_;
    std::uint16_t port_ = 0;
    std::unique_ptr<child_process> proc_;
};

/// Sends a ZooKeeper four-letter word ("ruok", "srvr", "mntr", ...) to 127.0.0.1:port and
/// returns the answer (empty when nothing answers within 2 s).
std::string zookeeper_four_letter_word(std::uint16_t port, const std::string& word);

/// Command line of a ZooKeeper server JVM with the Debian package's jars (`main_class` is
/// ZooKeeperServerMain or QuorumPeerMain), shared by zookeeper_server and zookeeper_ensemble.
std::vector<std::string> zookeeper_java_argv(const std::string& main_class, const std::string& config);

}  // namespace test_support
