#include "broker/controller_requests.h"

#include <algorithm>
#include <set>

#include <spdlog/spdlog.h>

#include "broker/controller_channel.h"
#include "protocol/errors.h"
#include "protocol/messages/leader_and_isr.h"
#include "protocol/messages/stop_replica.h"
#include "protocol/messages/update_metadata.h"
#include "protocol/wire/reader.h"

namespace broker {

namespace {
using protocol::leader_and_isr_request;
using protocol::update_metadata_request;

// Logs what a broker answered; the controller does not act on it (Kafka does not either, beyond
// logging: the broker's own state is the truth for its replicas).
controller_channel::response_callback log_error(int32_t broker, const char* api, int16_t version) {
    return [broker, api, version](const boost::outcome_v2::std_result<std::vector<uint8_t>>& r) {
        if (!r || r.value().size() < 2) {
            return;
        }
        protocol::wire::reader in(r.value());
        int16_t error = in.read_int16();  // every one of these responses starts with its error code
        if (error != 0) {
            spdlog::warn("{} v{} to broker {} answered {}", api, version, broker,
                         protocol::error_name(static_cast<protocol::error_code>(error)));
        }
    };
}

template <class Request>
std::shared_ptr<const protocol::wire::writer> encode(const Request& req, int16_t version) {
    auto w = std::make_shared<protocol::wire::writer>();
    req.encode(*w, version);
    return w;
}

}  // namespace

controller_requests::controller_requests(const coordination::controller& controller, controller_channel& channel)
    : controller_(controller), channel_(channel) {}

void controller_requests::sync_destinations() {
    const auto& ctx = controller_.context();
    for (const auto& [id, b] : ctx.live_brokers) {
        channel_.add_broker(id, b.host, static_cast<uint16_t>(b.port));
    }
}

void controller_requests::send_leader_and_isr(int32_t broker,
                                              const std::vector<coordination::partition_change>& partitions) {
    if (partitions.empty()) {
        return;
    }
    const auto& ctx = controller_.context();
    leader_and_isr_request req;
    req.controller_id = ctx.controller_id;
    req.controller_epoch = ctx.controller_epoch;
    std::map<std::string, std::vector<leader_and_isr_request::leader_and_isr_partition_state>> by_topic;
    std::set<int32_t> leaders;
    for (const auto& c : partitions) {
        leader_and_isr_request::leader_and_isr_partition_state p;
        p.topic_name = c.topic;
        p.partition_index = c.partition;
        p.controller_epoch = c.state.controller_epoch;
        p.leader = c.state.leader;
        p.leader_epoch = c.state.leader_epoch;
        p.isr = c.state.isr;
        p.zk_version = c.state.zk_version;
        p.replicas = c.replicas;
        p.is_new = c.is_new;
        by_topic[c.topic].push_back(std::move(p));
        if (c.state.leader >= 0) {
            leaders.insert(c.state.leader);
        }
    }
    for (auto& [topic, states] : by_topic) {
        auto& t = req.topic_states.emplace_back();
        t.topic_name = topic;
        t.partition_states = std::move(states);
    }
    for (int32_t id : leaders) {
        auto b = ctx.live_brokers.find(id);
        if (b != ctx.live_brokers.end()) {
            auto& l = req.live_leaders.emplace_back();
            l.broker_id = id;
            l.host_name = b->second.host;
            l.port = b->second.port;
        }
    }
    channel_.send(broker, {protocol::leader_and_isr_api::key, leader_and_isr_version,
                           encode(req, leader_and_isr_version), log_error(broker, "LeaderAndIsr", leader_and_isr_version)});
}

void controller_requests::send_update_metadata_to_all() {
    const auto& ctx = controller_.context();
    update_metadata_request req;
    req.controller_id = ctx.controller_id;
    req.controller_epoch = ctx.controller_epoch;
    for (const auto& [id, b] : ctx.live_brokers) {
        auto& lb = req.live_brokers.emplace_back();
        lb.id = id;
        lb.v0_host = b.host;
        lb.v0_port = b.port;
        auto& ep = lb.endpoints.emplace_back();
        ep.host = b.host;
        ep.port = b.port;
        ep.listener = "PLAINTEXT";
        ep.security_protocol = 0;  // PLAINTEXT
        lb.rack = b.rack;
    }
    for (const auto& [topic, partitions] : ctx.topics) {
        auto& t = req.topic_states.emplace_back();
        t.topic_name = topic;
        for (const auto& [index, p] : partitions) {
            auto& ps = t.partition_states.emplace_back();
            ps.topic_name = topic;
            ps.partition_index = index;
            ps.replicas = p.replicas;
            for (int32_t r : p.replicas) {
                if (!ctx.live_brokers.contains(r)) {
                    ps.offline_replicas.push_back(r);
                }
            }
            if (p.state) {
                ps.controller_epoch = p.state->controller_epoch;
                ps.leader = p.state->leader;
                ps.leader_epoch = p.state->leader_epoch;
                ps.isr = p.state->isr;
                ps.zk_version = p.state->zk_version;
            } else {
                ps.leader = -1;  // no live replica could lead it yet
            }
        }
    }
    auto body = encode(req, update_metadata_version);  // encoded once, shared by all senders
    for (const auto& [id, b] : ctx.live_brokers) {
        channel_.send(id, {protocol::update_metadata_api::key, update_metadata_version, body,
                           log_error(id, "UpdateMetadata", update_metadata_version)});
    }
}

void controller_requests::send_full_state() {
    sync_destinations();
    const auto& ctx = controller_.context();
    // Metadata first, so a broker that becomes leader can at once describe the cluster.
    send_update_metadata_to_all();
    for (const auto& [id, b] : ctx.live_brokers) {
        send_leader_and_isr(id, controller_.replicas_on(id));
    }
}

void controller_requests::partitions_changed(const std::vector<coordination::partition_change>& changes) {
    const auto& ctx = controller_.context();
    sync_destinations();
    std::map<int32_t, std::vector<coordination::partition_change>> per_broker;
    for (const auto& c : changes) {
        for (int32_t r : c.replicas) {
            if (ctx.live_brokers.contains(r)) {
                per_broker[r].push_back(c);
            }
        }
    }
    for (const auto& [broker, partitions] : per_broker) {
        send_leader_and_isr(broker, partitions);
    }
    send_update_metadata_to_all();
}

void controller_requests::brokers_changed(const std::vector<int32_t>& added, const std::vector<int32_t>& removed) {
    for (int32_t id : removed) {
        channel_.remove_broker(id);
    }
    sync_destinations();
    send_update_metadata_to_all();
    // A (re)joining broker learns all its replicas: followers, or leaders where it was elected.
    for (int32_t id : added) {
        send_leader_and_isr(id, controller_.replicas_on(id));
    }
}

void controller_requests::topic_deleted(const std::string& topic,
                                        const std::map<int32_t, std::vector<int32_t>>& replicas) {
    const auto& ctx = controller_.context();
    std::map<int32_t, std::vector<int32_t>> per_broker;
    for (const auto& [index, brokers] : replicas) {
        for (int32_t b : brokers) {
            if (ctx.live_brokers.contains(b)) {
                per_broker[b].push_back(index);
            }
        }
    }
    for (const auto& [broker, indexes] : per_broker) {
        protocol::stop_replica_request req;
        req.controller_id = ctx.controller_id;
        req.controller_epoch = ctx.controller_epoch;
        req.delete_partitions = true;
        auto& t = req.topics.emplace_back();
        t.name = topic;
        t.partition_indexes = indexes;
        channel_.send(broker, {protocol::stop_replica_api::key, stop_replica_version, encode(req, stop_replica_version),
                               log_error(broker, "StopReplica", stop_replica_version)});
    }
    send_update_metadata_to_all();
}

}  // namespace broker
