#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "coordination/controller.h"

namespace broker {

class controller_channel;

/// Turns the controller's decisions into Kafka's controller -> broker requests (Kafka's
/// ControllerBrokerRequestBatch): LeaderAndIsr to the replicas of changed partitions, StopReplica
/// with delete to the replicas of deleted topics, and UpdateMetadata with the whole cluster to every
/// live broker after each change, so every broker answers Metadata alike.
///
/// Lives on the ZooKeeper strand next to the coordination::controller it reads (its context()), and
/// only while this broker is controller. Requests go out through the controller_channel.
class controller_requests {
public:
    controller_requests(const coordination::controller& controller, controller_channel& channel);

    /// After the controller loaded the cluster: every live broker gets LeaderAndIsr for all its
    /// replicas and the full metadata (what a new controller owes everyone, as in Kafka's
    /// onControllerFailover).
    void send_full_state();
    void partitions_changed(const std::vector<coordination::partition_change>& changes);
    void brokers_changed(const std::vector<int32_t>& added, const std::vector<int32_t>& removed);
    void topic_deleted(const std::string& topic, const std::map<int32_t, std::vector<int32_t>>& replicas);

    /// The versions this broker sends (its peers run the same code; the newest non-flexible ones).
    static constexpr int16_t leader_and_isr_version = 3;
    static constexpr int16_t update_metadata_version = 5;
    static constexpr int16_t stop_replica_version = 1;

private:
    void sync_destinations();
    void send_leader_and_isr(int32_t broker, const std::vector<coordination::partition_change>& partitions);
    void send_update_metadata_to_all();

    const coordination::controller& controller_;
    controller_channel& channel_;
};

}  // namespace broker
