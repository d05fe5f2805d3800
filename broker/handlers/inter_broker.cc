// Controller -> broker requests: LeaderAndIsr, UpdateMetadata, StopReplica, and the broker ->
// controller ControlledShutdown. Every controller request carries the controller epoch; one from
// an older controller than the newest this broker has seen is refused with STALE_CONTROLLER_EPOCH
// (a deposed controller that has not noticed yet must not move leaders).
#include <map>
#include <mutex>
#include <set>

#include <spdlog/spdlog.h>

#include "broker/error_mapping.h"
#include "broker/group/group_coordinator.h"
#include "broker/group/replica_offsets_log.h"
#include "broker/handlers/handlers.h"
#include "broker/metadata_cache.h"
#include "broker/replica_manager.h"
#include "broker/topic_config.h"
#include "coordination/topic_store.h"
#include "protocol/errors.h"
#include "protocol/messages/controlled_shutdown.h"
#include "protocol/messages/leader_and_isr.h"
#include "protocol/messages/stop_replica.h"
#include "protocol/messages/update_metadata.h"

namespace broker {
namespace asio = boost::asio;
using protocol::error_code;

namespace {
// Answers a request from a controller older than the newest seen with STALE_CONTROLLER_EPOCH;
// true when the request was refused (nothing else is to be done with it).
template <class Response>
bool refuse_if_stale(metadata_cache& metadata, int32_t controller_id, int32_t epoch, const char* api, Response& resp) {
    if (metadata.accept_controller_epoch(epoch)) {
        return false;
    }
    spdlog::warn("{} from stale controller {} (epoch {} < {}) refused", api, controller_id, epoch,
                 metadata.controller_epoch());
    resp.error_code = protocol::to_wire(error_code::stale_controller_epoch);
    return true;
}
}  // namespace

asio::awaitable<dispatch_result> handlers::leader_and_isr(const protocol::request_header& h, protocol::wire::reader& in,
                                                          protocol::wire::writer& out) {
    protocol::leader_and_isr_request req;
    req.decode(in, h.api_version);
    protocol::leader_and_isr_response resp;
    if (refuse_if_stale(ctx_.metadata, req.controller_id, req.controller_epoch, "LeaderAndIsr", resp)) {
        resp.encode(out, h.api_version);
        co_return dispatch_result::respond;
    }
    // A topic's min.insync.replicas override is read from /config/topics/<t> before its
    // partitions take their roles, so an acks=all produce never sees the broker default for a
    // topic that has its own (LeaderAndIsr is control-plane traffic; the data path never waits
    // on ZooKeeper). Overrides changed later arrive through /config/changes (application.cc).
    std::set<std::string> topics;
    for (const auto& p : req.ungrouped_partition_states) topics.insert(p.topic_name);
    for (const auto& t : req.topic_states) topics.insert(t.topic_name);
    using configs_result = std::map<std::string, coordination::result<std::map<std::string, std::string>>>;
    completion_starter<configs_result> read_configs = [this, &topics](std::function<void(configs_result)> done) {
        struct gather {
            std::mutex m;
            size_t left;
            configs_result out;
            std::function<void(configs_result)> done;
        };
        auto g = std::make_shared<gather>();
        g->left = topics.size();
        g->done = std::move(done);
        if (g->left == 0) {
            g->done({});
            return;
        }
        for (const auto& topic : topics) {
            ctx_.topics.get_config(topic, [g, topic](coordination::result<std::map<std::string, std::string>> r) {
                std::lock_guard lock(g->m);
                g->out.emplace(topic, std::move(r));
                if (--g->left == 0) g->done(std::move(g->out));
            });
        }
    };
    configs_result configs = co_await await_completion<configs_result>(read_configs);
    for (const auto& [topic, r] : configs) {
        if (!r) {
            spdlog::warn("cannot read the config of topic {}: {}; using the broker's settings", topic,
                         r.error().message());
        }
        ctx_.replicas.apply_topic_overrides(topic, r ? parse_topic_overrides(topic, r.value()) : topic_overrides{});
    }

    std::map<int32_t, leader_endpoint> leaders;
    for (const auto& l : req.live_leaders) {
        leaders[l.broker_id] = leader_endpoint{l.broker_id, l.host_name, static_cast<uint16_t>(l.port)};
    }
    // v0-1 list partitions flat; v2+ group them by topic (the topic name then lives on the group).
    auto apply = [&](const std::string& topic,
                     const protocol::leader_and_isr_request::leader_and_isr_partition_state& p) {
        auto& e = resp.partition_errors.emplace_back();
        e.topic_name = topic;
        e.partition_index = p.partition_index;
        leader_and_isr_state st;
        st.leader = p.leader;
        st.leader_epoch = p.leader_epoch;
        st.isr = p.isr;
        st.replicas = p.replicas;
        st.zk_version = p.zk_version;
        st.controller_epoch = p.controller_epoch;
        const auto outcome = ctx_.replicas.become_leader_or_follower(topic, p.partition_index, st, leaders);
        e.error_code = protocol::to_wire(outcome);
        // The group coordinator follows the leadership of __consumer_offsets (Kafka's
        // onLeadershipChange): the new leader loads the partition's groups, the old one drops them.
        if (ctx_.groups != nullptr && topic == group::offsets_topic && outcome == error_code::none) {
            if (p.leader == ctx_.cfg.broker_id) {
                ctx_.groups->became_leader(p.partition_index, p.leader_epoch);
            } else {
                ctx_.groups->resigned(p.partition_index);
            }
        }
    };
    for (const auto& p : req.ungrouped_partition_states) {
        apply(p.topic_name, p);
    }
    for (const auto& t : req.topic_states) {
        for (const auto& p : t.partition_states) {
            apply(t.topic_name, p);
        }
    }
    resp.encode(out, h.api_version);
    co_return dispatch_result::respond;
}

asio::awaitable<dispatch_result> handlers::update_metadata(const protocol::request_header& h,
                                                           protocol::wire::reader& in, protocol::wire::writer& out) {
    protocol::update_metadata_request req;
    req.decode(in, h.api_version);
    protocol::update_metadata_response resp;
    if (refuse_if_stale(ctx_.metadata, req.controller_id, req.controller_epoch, "UpdateMetadata", resp)) {
        resp.encode(out, h.api_version);
        co_return dispatch_result::respond;
    }
    // The controller sends the whole cluster each time, so the snapshot is rebuilt, not patched.
    auto s = std::make_shared<coordination::cluster_snapshot>();
    s->cluster_id = ctx_.metadata.get()->cluster_id;
    s->controller_id = req.controller_id;
    for (const auto& b : req.live_brokers) {
        coordination::broker_info info;
        info.id = b.id;
        if (h.api_version == 0) {
            info.host = b.v0_host;
            info.port = b.v0_port;
        } else if (!b.endpoints.empty()) {
            info.host = b.endpoints.front().host;
            info.port = b.endpoints.front().port;
        }
        if (b.rack && !b.rack->empty()) {
            info.rack = b.rack;
        }
        s->brokers[b.id] = info;
    }
    auto add = [&](const std::string& topic,
                   const protocol::update_metadata_request::update_metadata_partition_state& p) {
        auto& t = s->topics[topic];
        t.name = topic;
        auto& pm = t.partitions[p.partition_index];
        pm.replicas = p.replicas;
        coordination::partition_state st;
        st.leader = p.leader;
        st.leader_epoch = p.leader_epoch;
        st.isr = p.isr;
        st.controller_epoch = p.controller_epoch;
        st.zk_version = p.zk_version;
        pm.state = st;
    };
    for (const auto& p : req.ungrouped_partition_states) {
        add(p.topic_name, p);
    }
    for (const auto& t : req.topic_states) {
        for (const auto& p : t.partition_states) {
            add(t.topic_name, p);
        }
    }
    ctx_.metadata.update(std::move(s));
    resp.encode(out, h.api_version);
    co_return dispatch_result::respond;
}

asio::awaitable<dispatch_result> handlers::stop_replica(const protocol::request_header& h, protocol::wire::reader& in,
                                                        protocol::wire::writer& out) {
    protocol::stop_replica_request req;
    req.decode(in, h.api_version);
    protocol::stop_replica_response resp;
    if (refuse_if_stale(ctx_.metadata, req.controller_id, req.controller_epoch, "StopReplica", resp)) {
        resp.encode(out, h.api_version);
        co_return dispatch_result::respond;
    }
    auto stop = [&](const std::string& topic, int32_t index) {
        auto& e = resp.partition_errors.emplace_back();
        e.topic_name = topic;
        e.partition_index = index;
        e.error_code = protocol::to_wire(ctx_.replicas.stop_replica(topic, index, req.delete_partitions));
        if (ctx_.groups != nullptr && topic == group::offsets_topic) ctx_.groups->resigned(index);
    };
    for (const auto& p : req.ungrouped_partitions) {
        stop(p.topic_name, p.partition_index);
    }
    for (const auto& t : req.topics) {
        for (int32_t index : t.partition_indexes) {
            stop(t.name, index);
        }
    }
    resp.encode(out, h.api_version);
    co_return dispatch_result::respond;
}

asio::awaitable<dispatch_result> handlers::controlled_shutdown(const protocol::request_header& h,
                                                               protocol::wire::reader& in,
                                                               protocol::wire::writer& out) {
    protocol::controlled_shutdown_request req;
    req.decode(in, h.api_version);
    protocol::controlled_shutdown_response resp;
    if (ctx_.controller == nullptr) {
        resp.error_code = protocol::to_wire(error_code::not_controller);
        resp.encode(out, h.api_version);
        co_return dispatch_result::respond;
    }
    using outcome = std::pair<std::error_code, std::vector<std::pair<std::string, int32_t>>>;
    completion_starter<outcome> start = [&](std::function<void(outcome)> done) {
        ctx_.controller->controlled_shutdown(req.broker_id,
                                             [done](std::error_code ec, std::vector<std::pair<std::string, int32_t>> r) {
                                                 done(outcome{ec, std::move(r)});
                                             });
    };
    auto result = co_await await_completion<outcome>(start);
    if (result.first) {
        resp.error_code = protocol::to_wire(to_kafka_error(result.first));
    }
    for (const auto& [topic, index] : result.second) {
        auto& r = resp.remaining_partitions.emplace_back();
        r.topic_name = topic;
        r.partition_index = index;
    }
    spdlog::info("controlled shutdown of broker {}: {} partition(s) remain led by it{}", req.broker_id,
                 resp.remaining_partitions.size(), result.first ? " (" + result.first.message() + ")" : "");
    resp.encode(out, h.api_version);
    co_return dispatch_result::respond;
}

}  // namespace broker
