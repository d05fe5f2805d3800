#pragma once
// The controller's decisions, run only on the elected broker: keeps the live broker set and every
// partition's leader/ISR, writes initial partition states for new topics, carries out topic
// deletions, and elects new leaders from the ISR when brokers die (or come back to an offline
// partition). Owned through a shared_ptr by the broker while it is controller; every method and
// callback runs on the client's executor (a strand). Stop it when the election says we lost.
//
// Fencing: when epoch_zk_version >= 0 every partition-state write is a multi that first checks
// /controller_epoch still has that version, so a deposed controller can't overwrite its
// successor's decisions (Kafka's checkControllerAndEpoch); a failed check stops the controller and
// reports errc::not_controller through on_fenced.

#include "coordination/znodes.h"
#include "coordination/zk_client.h"

#include <memory>
#include <set>

namespace coordination {

struct controller_options {
    int32_t controller_epoch = 0;
    int32_t epoch_zk_version = -1;  // from controller_election::epoch_zk_version(); -1: no fencing
    bool unclean_leader_election = false;
    bool delete_topic_enable = true;
};

class controller : public std::enable_shared_from_this<controller> {
  public:
    using state_callback = std::function<void(const std::string& topic, int32_t partition, const partition_state&)>;

    static std::shared_ptr<controller> make(zk_client& zk, int32_t broker_id, controller_options options);
    controller(const controller&) = delete;
    controller& operator=(const controller&) = delete;

    void start();
    /// Stops reacting to watches and completions (after losing the election).
    void stop() { running_ = false; }

    /// Each partition state this controller wrote (initial or elected); the broker's controller
    /// channel turns these into LeaderAndIsr / UpdateMetadata requests.
    void on_state_written(state_callback cb) { on_state_ = std::move(cb); }
    void on_topic_deleted(std::function<void(const std::string&)> cb) { on_deleted_ = std::move(cb); }
    void on_fenced(std::function<void(std::error_code)> cb) { on_fenced_ = std::move(cb); }

    bool running() const { return running_; }
    const std::set<int32_t>& live_brokers() const { return live_; }
    std::optional<partition_state> state(const std::string& topic, int32_t partition) const;

  private:
    struct partition_entry {
        std::vector<int32_t> replicas;
        std::optional<partition_state> state;
        bool busy = false;  // a read or write for it is in flight
    };
    struct topic_entry {
        uint64_t generation = 0;
        std::map<int32_t, partition_entry> partitions;
        bool deleting = false;
    };

    controller(zk_client& zk, int32_t id, controller_options o) : zk_(zk), broker_id_(id), opts_(o) {}
    void watch_brokers();
    void watch_topics();
    void watch_deletions();
    void read_topic(const std::string& topic, uint64_t gen);
    void load_state(const std::string& topic, int32_t p, uint64_t gen);
    void create_initial_state(const std::string& topic, int32_t p, uint64_t gen);
    void reconsider(const std::string& topic, int32_t p, uint64_t gen);
    void reconsider_all();
    void write_state(const std::string& topic, int32_t p, uint64_t gen, partition_state next, bool create);
    void delete_topic(const std::string& topic, int attempt = 1);
    partition_entry* find(const std::string& topic, int32_t p, uint64_t gen);
    void fenced();

    zk_client& zk_;
    int32_t broker_id_;
    controller_options opts_;
    bool running_ = false;
    bool brokers_loaded_ = false;
    std::set<int32_t> live_;
    std::map<std::string, topic_entry> topics_;
    std::set<std::string> deleting_;
    uint64_t next_generation_ = 1;
    state_callback on_state_;
    std::function<void(const std::string&)> on_deleted_;
    std::function<void(std::error_code)> on_fenced_;
};

}  // namespace coordination
