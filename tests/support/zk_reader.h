#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace test_support {

/// One partition's state znode (/brokers/topics/<t>/partitions/<p>/state) plus its assignment.
struct partition_view {
    std::string topic;
    int partition = -1;
    int leader = -2;  // -2: no state znode yet; -1: no leader (Kafka's NoLeader)
    int leader_epoch = -1;
    int controller_epoch = -1;
    int zk_version = -1;
    std::int64_t mzxid = 0;  // zxid of the last write, to order it against other ZooKeeper events
    std::vector<int> isr;
    std::vector<int> replicas;  // assignment order: replicas[0] is the preferred leader
};

/// What one kazoo pass read from a cluster's chroot: registered brokers, /controller,
/// /controller_epoch and the partition states of the requested topics (all topics by default).
struct cluster_view {
    std::vector<int> brokers;  // sorted ids under /brokers/ids
    int controller = -1;       // brokerid in /controller, -1 when missing
    std::int64_t controller_owner = 0;  // session id owning /controller
    int controller_epoch = -1;          // /controller_epoch, -1 when missing
    int controller_epoch_version = -1;
    std::int64_t ids_pzxid = 0;  // zxid of the last child change of /brokers/ids
    std::map<std::string, int> topics;  // topic -> partition count in its assignment
    std::map<std::pair<std::string, int>, partition_view> partitions;

    bool has_broker(int id) const;
    const partition_view* partition(const std::string& topic, int p) const;
    /// Partitions of `topic`, in partition order.
    std::vector<partition_view> topic_partitions(const std::string& topic) const;
    /// Partitions whose leader is `id`.
    std::vector<partition_view> led_by(int id) const;
    /// Every partition of `topic` has a state with a leader that is a registered broker.
    bool all_led_by_live_brokers(const std::string& topic) const;
    /// Leader id -> number of partitions it leads (only leaders >= 0).
    std::map<int, int> leader_counts() const;
    /// For failure messages.
    std::string describe() const;
};

/// Reads and writes znodes through /usr/bin/python3 + kazoo (tests/support/zk_tool.py), a
/// client independent of the code under test. Every call is one short python process (about
/// 0.2 s); `cluster()` pipelines all its reads, so it stays cheap for 1,000 partitions.
/// Stateless apart from the connect string: copy it freely, use it from any thread.
class zk_reader {
public:
    /// `hosts`: connect string without chroot, e.g. "127.0.0.1:2181,127.0.0.1:2182".
    explicit zk_reader(std::string hosts) : hosts_(std::move(hosts)) {}

    const std::string& hosts() const { return hosts_; }

    /// Child names of `path`, sorted. Throws fixture_error if the node does not exist.
    std::vector<std::string> children(const std::string& path) const;
    bool exists(const std::string& path) const;
    /// Data of `path`. Throws fixture_error if the node does not exist.
    std::string get(const std::string& path) const;
    /// Ephemeral owner session id of `path` (0 for persistent nodes); nullopt if missing.
    std::optional<std::int64_t> ephemeral_owner(const std::string& path) const;
    /// Indented dump of the tree under `path` (for failure messages).
    std::string dump(const std::string& path = "/") const;
    /// Creates `path` (and parents) with `data`.
    void create(const std::string& path, const std::string& data = {}) const;
    void set(const std::string& path, const std::string& data) const;
    /// Deletes `path` and everything under it.
    void remove(const std::string& path) const;

    /// Brokers, controller, epoch and partition states under `chroot` ("/brook-x"); `topics`
    /// empty = every topic in /brokers/topics.
    cluster_view cluster(const std::string& chroot, const std::vector<std::string>& topics = {}) const;

    /// argv of `zk_tool.py <hosts> <op> <args...>` (for long-running modes such as monitor).
    std::vector<std::string> tool_argv(const std::string& op, const std::vector<std::string>& args) const;

private:
    std::string run(const std::string& op, const std::vector<std::string>& args) const;

    std::string hosts_;
};

/// Path of zk_tool.py (compile definition BROOK_ZK_TOOL).
std::string zk_tool_path();

}  // namespace test_support
