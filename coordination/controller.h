#pragma once
// The controller's decisions, run only on the elected broker: keeps the live brokers (with their
// endpoints) and every partition's replicas and leader/ISR (controller_context), writes initial
// partition states for new topics and partitions, carries out topic deletions, elects new leaders
// from the ISR when brokers die or come back to an offline partition, moves leaderships away from a
// broker in controlled shutdown, and runs preferred leader elections (on demand through
// /admin/preferred_replica_election or elect_preferred_leaders(), and automatically when leaders are
// imbalanced). Owned through a shared_ptr by the broker while it is controller; every method and
// callback runs on the client's executor (a strand); watches only enqueue work there. Stop it when
// the election says we lost.
//
// Writes: every decision round (one broker change, one topic's new partitions, one controlled
// shutdown step, ...) is written as multis of up to max_ops_per_multi partition states, all in
// flight together. When epoch_zk_version >= 0 each multi first checks /controller_epoch still has
// that version, so a deposed controller can't overwrite its successor's decisions (Kafka's
// checkControllerAndEpoch); a failed check stops the controller and reports errc::not_controller
// through on_fenced. Every state write is conditional on the state's zk version; a conflict (a
// leader changed the ISR) re-reads the partitions of that multi and decides again.
//
// Callbacks, in the order they come for one event:
// - on_partitions_changed(changes): once per round, after all of its multis completed, with every
//   partition state that round wrote (is_new for a partition's first state). The broker sends
//   LeaderAndIsr to the replicas of each and UpdateMetadata to every live broker.
// - on_brokers_changed(added, removed): after the elections caused by the change were written
//   (and reported through on_partitions_changed). A broker that restarted between two reads (new
//   session, same id) is in both lists. For every added broker the broker side must send
//   LeaderAndIsr for all of its replicas (replicas_on(id) lists them with their current states) and
//   UpdateMetadata to everyone: this callback, not on_partitions_changed, carries a returning
//   broker's replicas, because its return changes no state unless a partition was offline.
// - on_topic_deleted(topic, replicas by partition): after the topic's znodes are gone; the broker
//   sends StopReplica(delete) to every replica.
// - on_loaded(): once, when brokers, every topic and every partition state have been read and the
//   start-up decisions written: the broker sends the full state to every live broker then.
//
// A returning broker gets no state change of its own: it is a follower of its partitions and joins
// the ISR when replication adds it back (the leader's job). If it is still listed in an ISR (it was
// the last member of an offline partition, or nobody shrank the ISR yet) it stays there; an offline
// partition whose ISR names it elects it leader.

#include "coordination/zk_client.h"
#include "coordination/zk_util.h"
#include "coordination/znodes.h"

#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <memory>
#include <set>

namespace coordination {

struct controller_options {
    int32_t controller_epoch = 0;
    int32_t epoch_zk_version = -1;  // from controller_election::epoch_zk_version(); -1: no fencing
    bool unclean_leader_election = false;
    bool delete_topic_enable = true;
    /// auto.leader.rebalance.enable
    bool auto_leader_rebalance = true;
    /// leader.imbalance.check.interval.seconds (Kafka default 300 s)
    std::chrono::milliseconds leader_imbalance_check_interval{300'000};
    /// leader.imbalance.per.broker.percentage: a broker whose preferred partitions are led by
    /// someone else for more than this share gets preferred elections.
    int32_t leader_imbalance_per_broker_percentage = 10;
    /// Partition-state writes per multi (plus the epoch check). ZooKeeper's 1 MB request limit
    /// allows thousands; a few hundred keeps each transaction short.
    size_t max_ops_per_multi = 250;
};

/// One partition state the controller wrote.
struct partition_change {
    std::string topic;
    int32_t partition = 0;
    partition_state state;          // as written, zk_version included
    std::vector<int32_t> replicas;  // assignment order; replicas[0] is the preferred leader
    bool is_new = false;            // the partition's first state (LeaderAndIsr isNew)
};

/// The controller's view of the cluster; read it on the executor through controller::context().
struct controller_context {
    struct partition {
        std::vector<int32_t> replicas;
        /// None: not read yet, or a new partition that had no live replica to lead it.
        std::optional<partition_state> state;
    };
    int32_t controller_id = -1;
    int32_t controller_epoch = 0;
    std::map<int32_t, broker_info> live_brokers;  // endpoints and racks from /brokers/ids/<id>
    std::set<int32_t> shutting_down;               // in controlled shutdown, never elected leader
    /// Topics not being deleted: partition -> replicas and state.
    std::map<std::string, std::map<int32_t, partition>> topics;
    std::set<std::string> deleting;  // deletion requested and in progress
    bool loaded = false;             // on_loaded has fired
};

class controller : public std::enable_shared_from_this<controller> {
  public:
    using changes_callback = std::function<void(std::vector<partition_change>)>;
    using brokers_callback = std::function<void(std::vector<int32_t> added, std::vector<int32_t> removed)>;
    using deleted_callback =
        std::function<void(const std::string& topic, const std::map<int32_t, std::vector<int32_t>>& replicas)>;
    using shutdown_callback = std::function<void(std::error_code, std::vector<partition_key> remaining)>;
    /// Per requested partition: {} elected; errc::election_not_needed, ::preferred_leader_not_available,
    /// ::unknown_topic_or_partition, or the write's error.
    using election_callback = std::function<void(std::map<partition_key, std::error_code>)>;

    static std::shared_ptr<controller> make(zk_client& zk, int32_t broker_id, controller_options options);
    controller(const controller&) = delete;
    controller& operator=(const controller&) = delete;

    void start();
    /// Stops reacting to watches and completions (after losing the election); pending
    /// controlled-shutdown and election callbacks are not called.
    void stop();

    void on_partitions_changed(changes_callback cb) { on_changes_ = std::move(cb); }
    void on_brokers_changed(brokers_callback cb) { on_brokers_ = std::move(cb); }
    void on_topic_deleted(deleted_callback cb) { on_deleted_ = std::move(cb); }
    void on_loaded(std::function<void()> cb) { on_loaded_ = std::move(cb); }
    void on_fenced(std::function<void(std::error_code)> cb) { on_fenced_ = std::move(cb); }

    bool running() const { return running_; }
    const controller_context& context() const { return context_; }
    const std::map<int32_t, broker_info>& live_brokers() const { return context_.live_brokers; }
    std::optional<partition_state> state(const std::string& topic, int32_t partition) const;
    /// Every partition with a replica on `broker_id` that has a state, as changes with is_new false
    /// (what a returning broker must be told).
    std::vector<partition_change> replicas_on(int32_t broker_id) const;

    /// Kafka's ControlledShutdown (KafkaController.doControlledShutdown): marks the broker as
    /// shutting down (never elected again until it deregisters), elects another leader from the
    /// ISR for every partition it leads, removes it from the ISR of the partitions it follows where
    /// other members remain, writes (reported through on_partitions_changed), then answers with the
    /// partitions it still leads: those without another live ISR member, RF 1 ones included (these
    /// can never move; the broker should not retry for them). Errors: errc::broker_not_available
    /// (not registered), errc::not_controller (stopped).
    void controlled_shutdown(int32_t broker_id, shutdown_callback cb);

    /// Preferred replica election (Kafka's PreferredReplicaPartitionLeaderElection): the first
    /// replica in assignment order becomes leader if it is alive, not shutting down and in the ISR;
    /// the ISR is unchanged, the leader epoch bumped. One round for all partitions.
    void elect_preferred_leaders(std::vector<partition_key> partitions, election_callback cb);

    /// One automatic rebalance check (what the leader.imbalance.check.interval timer runs).
    void check_leader_imbalance();

    /// A topic's config changed (/config/changes; the broker's config change listener calls this
    /// on the controller): its unclean.leader.election.enable override is read again, and when the
    /// change allows unclean elections the topic's offline partitions are decided at once, as
    /// Kafka's TopicConfigHandler does (enableTopicUncleanLeaderElection), instead of waiting for
    /// the next broker change. Unknown topics and a controller still loading are ignored (the
    /// load reads the config itself).
    void topic_config_changed(const std::string& topic);

  private:
    struct partition_meta {
        bool busy = false;    // a read or write for it is in flight
        bool loaded = false;  // its state znode was read (or found missing)
    };
    struct topic_meta {
        uint64_t generation = 0;  // tells a re-created topic from the one a completion was for
        std::map<int32_t, partition_meta> partitions;
        /// unclean.leader.election.enable from /config/topics/<t>; unset: the broker's setting.
        std::optional<bool> unclean_leader_election;
    };
    struct pending_write {
        partition_key key;
        uint64_t generation;
        partition_state next;
        bool create;
    };
    struct entry {
        controller_context::partition* p;
        partition_meta* m;
        uint64_t generation;
    };
    struct round;

    controller(zk_client& zk, int32_t id, controller_options o);
    entry find(const partition_key& key);
    entry find(const partition_key& key, uint64_t generation);
    bool eligible(int32_t broker) const;
    bool unclean_allowed(const std::string& topic) const;

    void broker_change();
    void broker_change_read(std::error_code ec, std::map<int32_t, registered_broker> now);
    void broker_change_done(std::vector<int32_t> added, std::vector<int32_t> removed);
    void start_topics();
    void watch_topics();
    void read_topic(const std::string& topic, uint64_t gen, std::function<void()> then);
    void load_states(std::vector<partition_key> keys, std::function<void()> then);
    void decide(const std::vector<partition_key>& keys, std::function<void()> then);
    std::vector<partition_key> all_partitions() const;
    std::optional<pending_write> decide_one(const partition_key& key);
    void write_round(std::vector<pending_write> writes, std::function<void()> then);
    void finish_round(const std::shared_ptr<round>& r);
    void shutdown_step(int32_t broker_id, shutdown_callback cb, int attempt);
    void elect_step(std::vector<partition_key> keys, std::shared_ptr<std::map<partition_key, std::error_code>> out,
                    election_callback cb, int attempt);
    void watch_deletions();
    void delete_topic(const std::string& topic, int attempt = 1);
    void watch_preferred_requests();
    void watch_isr_changes();
    void schedule_rebalance();
    void after(std::chrono::milliseconds delay, std::function<void()> fn);
    void fenced();

    zk_client& zk_;
    int32_t broker_id_;
    controller_options opts_;
    bool running_ = false;
    bool brokers_loaded_ = false;
    bool broker_change_running_ = false;
    bool broker_change_again_ = false;
    bool preferred_request_running_ = false;
    controller_context context_;
    std::map<int32_t, int64_t> broker_czxid_;
    std::map<std::string, topic_meta> meta_;
    std::set<std::string> deleting_;
    uint64_t next_generation_ = 1;
    boost::asio::steady_timer rebalance_timer_;
    changes_callback on_changes_;
    brokers_callback on_brokers_;
    deleted_callback on_deleted_;
    std::function<void()> on_loaded_;
    std::function<void(std::error_code)> on_fenced_;
};

}  // namespace coordination
