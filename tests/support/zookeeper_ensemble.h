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

/// A real replicated ZooKeeper ensemble (Debian `zookeeper` package, QuorumPeerMain): N servers
/// on 127.0.0.1, each with its own data dir and `myid`, free client/peer/election ports, and
/// `server.<i>=127.0.0.1:<peer>:<election>` lines for all members. The constructor returns once
/// every member serves (`srvr` reports Mode: leader/follower); otherwise it throws fixture_error
/// with the log tails. stop(i)/start(i) take one member down and back (same ports and data),
/// e.g. to check that brokers ride out the loss of a ZooKeeper node. The destructor ends every
/// member by pid. Owned by one test; not thread-safe.
class zookeeper_ensemble {
public:
    struct options {
        std::size_t size = 3;
        std::chrono::milliseconds start_timeout = std::chrono::seconds(60);
        int tick_time_ms = 500;  // sessions may range 2..20 ticks: 1 s .. 10 s at 500 ms
        int max_session_timeout_ms = 60000;
    };

    zookeeper_ensemble();
    explicit zookeeper_ensemble(options opts);
    ~zookeeper_ensemble();
    zookeeper_ensemble(const zookeeper_ensemble&) = delete;
    zookeeper_ensemble& operator=(const zookeeper_ensemble&) = delete;

    std::size_t size() const { return members_.size(); }
    /// "127.0.0.1:a,127.0.0.1:b,127.0.0.1:c" (append "/chroot" for a broker's zookeeper.connect).
    std::string connect_string() const;
    /// Connect string of member i only.
    std::string connect_string(std::size_t i) const;
    std::uint16_t client_port(std::size_t i) const { return members_.at(i).client_port; }

    bool running(std::size_t i);
    /// SIGTERM + wait (SIGKILL after 10 s). Idempotent.
    void stop(std::size_t i);
    /// Starts member i again and waits until it serves (joined the quorum).
    void start(std::size_t i);
    /// "leader", "follower", "standalone" or "" (not serving / not answering), from `srvr`.
    std::string mode(std::size_t i) const;
    /// Index of the member that is quorum leader right now, if any.
    std::optional<std::size_t> leader() const;
    /// True once every running member serves and one of them leads.
    bool wait_until_serving(std::chrono::milliseconds timeout);

    /// Reader connected to all members (kazoo fails over like any client).
    zk_reader reader() const { return zk_reader(connect_string()); }

    std::string log_path(std::size_t i) const;
    std::string log_tail(std::size_t i, std::size_t lines = 40) const;
    /// Log tails of every member, for failure messages.
    std::string log_tails(std::size_t lines = 20) const;

private:
    struct member {
        std::uint16_t client_port = 0;
        std::uint16_t peer_port = 0;
        std::uint16_t election_port = 0;
        std::unique_ptr<child_process> proc;
    };
    void spawn(std::size_t i);
    std::string member_dir(std::size_t i) const;

    options opts_;
    temp_dir dir_;
    std::vector<member> members_;
};

}  // namespace test_support
