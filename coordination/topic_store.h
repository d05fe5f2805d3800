#pragma once
// Admin writes behind the broker's CreateTopics / DeleteTopics handlers and topic listing.
// Stateless apart from the client reference: callable from any thread, callbacks run on the
// client's executor. The zk_client must outlive every call in flight.

#include "coordination/replica_assignment.h"
#include "coordination/znodes.h"
#include "coordination/zk_client.h"

namespace coordination {

struct add_partitions_options {
    /// Replicas of each new partition in partition order (CreatePartitions' manual assignment);
    /// empty: placed like Kafka (see add_partitions).
    std::vector<std::vector<int32_t>> assignment;
    bool validate_only = false;  // compute and check, write nothing
    rack_aware_mode rack_mode = rack_aware_mode::enforced;
};

class topic_store {
  public:
    explicit topic_store(zk_client& zk) : zk_(zk) {}

    /// Writes /config/topics/<t> (overwriting a leftover) and then /brokers/topics/<t>, as Kafka's
    /// AdminZkClient.createTopicWithAssignment. The controller notices the new topic and writes the
    /// partition states. Errors: errc::topic_already_exists, errc::topic_marked_for_deletion,
    /// errc::invalid_partitions (empty assignment), zk errors.
    void create_topic(const topic_assignment& assignment, const std::map<std::string, std::string>& configs,
                      zk_client::void_callback cb);

    /// Creates /admin/delete_topics/<t>; the controller does the deletion. A request that is
    /// already pending is success. Errors: errc::unknown_topic.
    void request_delete_topic(const std::string& topic, zk_client::void_callback cb);

    /// Children of /brokers/topics, sorted (empty when the path does not exist yet).
    void list_topics(zk_client::children_callback cb);

    /// Grows a topic to `total_partitions` (Kafka's AdminZkClient.addPartitions): the new
    /// partitions get the replication factor of partition 0 and are placed over the registered
    /// brokers with assign_replicas(start index = the first broker id >= partition 0's
    /// preferred leader, start_partition_id = current count). /brokers/topics/<t> is rewritten with
    /// a conditional set on the version read (retried on a race); the controller sees the data
    /// change and creates the new partitions' states. Answers the whole new assignment.
    /// Errors: errc::unknown_topic, errc::topic_marked_for_deletion,
    /// errc::partition_count_not_increased (total <= current), errc::invalid_replication_factor
    /// (fewer brokers than replicas), errc::invalid_replica_assignment (manual: wrong count,
    /// unregistered or duplicate broker, inconsistent size), errc::missing_rack_information, zk errors.
    void add_partitions(const std::string& topic, int32_t total_partitions,
                        std::function<void(result<topic_assignment>)> cb, add_partitions_options options = {});

    /// The brokers registered now, read from /brokers/ids (placement of new replicas uses this,
    /// not a possibly lagging metadata cache).
    void live_brokers(std::function<void(result<std::vector<broker_info>>)> cb);

    /// The replica assignment of one topic. Errors: errc::unknown_topic, errc::malformed_znode.
    void get_assignment(const std::string& topic, std::function<void(result<topic_assignment>)> cb);

    /// The topic's config overrides (empty map when there is no config znode).
    void get_config(const std::string& topic, std::function<void(result<std::map<std::string, std::string>>)> cb);

    struct versioned_config {
        std::map<std::string, std::string> configs;
        int32_t version = -1;  // of /config/topics/<t>; -1 when it does not exist
    };
    /// get_config plus the znode version, for read-modify-write with change_config.
    /// Errors: errc::unknown_topic (no /brokers/topics/<t>), errc::malformed_znode, zk errors.
    void get_config_versioned(const std::string& topic, std::function<void(result<versioned_config>)> cb);

    /// Replaces the topic's overrides with `configs` and, in the same multi, creates the
    /// sequential /config/changes/config_change_<n> notification every broker watches (Kafka's
    /// AdminZkClient.changeTopicConfig). `expected_version` is the version get_config_versioned
    /// read (-1: whatever is there, creating the znode if needed). The caller validates the
    /// values. Errors: errc::unknown_topic, zk_errc::bad_version / node_exists (someone else
    /// changed it meanwhile: re-read and retry), zk errors.
    void change_config(const std::string& topic, const std::map<std::string, std::string>& configs,
                       zk_client::void_callback cb, int32_t expected_version = -1);

    /// A partition leader's ISR change (Kafka's Partition.updateIsr in the ZooKeeper era): sets
    /// the partition's state znode only if its version is still `state.zk_version` and, in the same
    /// multi, creates /isr_change_notification/isr_change_<seq> naming the partition so the
    /// controller re-reads it and tells every broker. Answers the state's new zk version.
    /// Errors: zk_errc::bad_version (the controller or another leader wrote first: the caller keeps
    /// its old ISR and waits for the controller's LeaderAndIsr), zk errors.
    void update_isr(const partition_key& key, const partition_state& state, std::function<void(result<int32_t>)> cb);

  private:
    zk_client& zk_;
};

}  // namespace coordination
