#pragma once
// Every broker's view of the cluster: watches /cluster/id, /controller, /brokers/ids (and each
// broker's data), /brokers/topics (each topic's assignment and each partition's state znode) and
// publishes an immutable snapshot whenever something changed. A watch re-reads only what it says
// changed; a snapshot is delivered when all reads started for that change have finished, so a
// burst of changes becomes one update. Owned through a shared_ptr by the broker's metadata cache;
// runs on the client's executor (strand) only; current() may be called from that executor.

#include "coordination/znodes.h"
#include "coordination/zk_client.h"

#include <memory>

namespace coordination {

struct partition_metadata {
    std::vector<int32_t> replicas;
    std::optional<partition_state> state;  // empty until the controller has written it
    friend bool operator==(const partition_metadata&, const partition_metadata&) = default;
};

struct topic_metadata {
    std::string name;
    std::map<int32_t, partition_metadata> partitions;
    friend bool operator==(const topic_metadata&, const topic_metadata&) = default;
};

struct cluster_snapshot {
    std::string cluster_id;
    int32_t controller_id = -1;
    std::map<int32_t, broker_info> brokers;
    std::map<std::string, topic_metadata> topics;
};

class cluster_watcher : public std::enable_shared_from_this<cluster_watcher> {
  public:
    using update_callback = std::function<void(std::shared_ptr<const cluster_snapshot>)>;

    static std::shared_ptr<cluster_watcher> make(zk_client& zk);
    ~cluster_watcher();
    cluster_watcher(const cluster_watcher&) = delete;
    cluster_watcher& operator=(const cluster_watcher&) = delete;

    /// Sets every watch and reads everything; the first snapshot follows the initial reads.
    void start();
    void stop() { running_ = false; }
    void on_update(update_callback cb) { on_update_ = std::move(cb); }
    /// The last published snapshot (never null; empty before the first one).
    std::shared_ptr<const cluster_snapshot> current() const { return current_; }
    /// Number of snapshots published so far.
    uint64_t updates() const { return updates_; }

  private:
    explicit cluster_watcher(zk_client& zk) : zk_(zk), current_(std::make_shared<cluster_snapshot>()) {}
    void resync();
    void read_cluster_id();
    void read_controller();
    void read_brokers();
    void read_broker(int32_t id, uint64_t gen);
    void read_topics();
    void read_topic(const std::string& topic, uint64_t gen);
    void read_state(const std::string& topic, int32_t p, uint64_t gen);
    void wait_for_state(const std::string& topic, int32_t p, uint64_t gen);
    void on_session(const session_event& e);

    // Every read is bracketed by begin() / end(changed); the snapshot goes out when none is left.
    void begin() { ++inflight_; }
    void end(bool changed);
    void failed(std::error_code ec, const char* what);
    bool topic_current(const std::string& topic, uint64_t gen) const;

    zk_client& zk_;
    bool running_ = false;
    int listener_ = 0;
    int64_t session_ = 0;
    bool need_resync_ = false;
    int inflight_ = 0;
    bool dirty_ = false;
    uint64_t next_gen_ = 1;
    uint64_t epoch_ = 0;  // bumped by resync(): callbacks from before it are ignored
    std::map<int32_t, uint64_t> broker_gen_;
    std::map<std::string, uint64_t> topic_gen_;
    cluster_snapshot work_;
    std::shared_ptr<const cluster_snapshot> current_;
    uint64_t updates_ = 0;
    update_callback on_update_;
};

}  // namespace coordination
