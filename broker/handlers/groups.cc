// Consumer groups: FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit,
// OffsetFetch, ListGroups, DescribeGroups, DeleteGroups, OffsetDelete. The handlers translate
// between the wire messages and the group coordinator (broker/group/), which owns all group state
// on its own strand; a held JoinGroup/SyncGroup parks the connection's coroutine, not a thread.
#include <algorithm>

#include <spdlog/spdlog.h>

#include "broker/group/group_coordinator.h"
#include "broker/group/replica_offsets_log.h"
#include "broker/handlers/handlers.h"
#include "broker/metadata_cache.h"
#include "broker/topic_admin.h"
#include "protocol/errors.h"
#include "protocol/messages/delete_groups.h"
#include "protocol/messages/describe_groups.h"
#include "protocol/messages/find_coordinator.h"
#include "protocol/messages/heartbeat.h"
#include "protocol/messages/join_group.h"
#include "protocol/messages/leave_group.h"
#include "protocol/messages/list_groups.h"
#include "protocol/messages/offset_commit.h"
#include "protocol/messages/offset_delete.h"
#include "protocol/messages/offset_fetch.h"
#include "protocol/messages/sync_group.h"

namespace broker {
namespace asio = boost::asio;
using protocol::error_code;
using protocol::to_wire;

namespace {
constexpr int8_t key_type_group = 0;
// FindCoordinator creates __consumer_offsets on first use and waits this long for it to be led,
// so the first consumer of a new cluster gets its coordinator in one round trip.
constexpr std::chrono::milliseconds offsets_topic_wait{5000};

// Calls a coordinator operation with a completion and resumes the handler with its result.
template <class T, class Op>
asio::awaitable<T> ask(Op op) {
    completion_starter<T> start = [&op](std::function<void(T)> done) { op(std::move(done)); };
    co_return co_await await_completion<T>(start);
}
}  // namespace

asio::awaitable<dispatch_result> handlers::find_coordinator(const protocol::request_header& h,
                                                            protocol::wire::reader& in, protocol::wire::writer& out) {
    protocol::find_coordinator_request req;
    req.decode(in, h.api_version);
    protocol::find_coordinator_response resp;
    resp.node_id = -1;
    resp.port = -1;
    resp.error_message = std::nullopt;
    auto answer = [&](error_code e, std::optional<std::string> message = std::nullopt) {
        resp.error_code = to_wire(e);
        resp.error_message = std::move(message);
    };
    if (req.key_type != key_type_group) {
        // No transaction coordinator yet: refused, as transactional produce and InitProducerId are.
        answer(error_code::transactional_id_authorization_failed, "transactions are not supported by this broker");
    } else if (ctx_.groups == nullptr) {
        answer(error_code::coordinator_not_available);
    } else {
        auto snapshot = ctx_.metadata.get();
        auto topic = snapshot->topics.find(group::offsets_topic);
        if (topic == snapshot->topics.end()) {
            // First use: create the offsets topic (Kafka's defaults: compacted, 100 MiB segments),
            // capping the replication factor by the live brokers.
            topic_admin::create_spec spec;
            spec.name = group::offsets_topic;
            spec.partitions = ctx_.cfg.offsets_topic_num_partitions;
            const auto live = static_cast<int16_t>(std::max<size_t>(snapshot->brokers.size(), 1));
            spec.replication_factor = std::min(ctx_.cfg.offsets_topic_replication_factor, live);
            if (spec.replication_factor < ctx_.cfg.offsets_topic_replication_factor) {
                spdlog::warn("creating {} with replication factor {}: offsets.topic.replication.factor is {} but only "
                             "{} brokers are alive",
                             group::offsets_topic, spec.replication_factor, ctx_.cfg.offsets_topic_replication_factor,
                             live);
            }
            spec.configs = {{"cleanup.policy", "compact"},
                            {"compression.type", "producer"},
                            {"segment.bytes", std::to_string(ctx_.cfg.offsets_topic_segment_bytes)}};
            topic_admin admin(ctx_);
            auto created = co_await admin.create(spec, false, offsets_topic_wait);
            if (created.error != error_code::none && created.error != error_code::topic_already_exists) {
                spdlog::warn("cannot create {}: {}", group::offsets_topic,
                             created.message.value_or(std::string(protocol::error_name(created.error))));
            }
            const int32_t n = ctx_.cfg.offsets_topic_num_partitions;
            co_await admin.wait_until_led(group::offsets_topic, n, offsets_topic_wait);
            snapshot = ctx_.metadata.get();
            topic = snapshot->topics.find(group::offsets_topic);
        }
        const int32_t p = ctx_.groups->partition_for(req.key);
        const coordination::broker_info* leader = nullptr;
        if (topic != snapshot->topics.end()) {
            if (auto part = topic->second.partitions.find(p);
                part != topic->second.partitions.end() && part->second.state) {
                if (auto b = snapshot->brokers.find(part->second.state->leader); b != snapshot->brokers.end()) {
                    leader = &b->second;
                }
            }
        }
        if (leader == nullptr) {
            answer(error_code::coordinator_not_available, "the coordinator's __consumer_offsets partition has no leader");
        } else {
            answer(error_code::none);
            resp.node_id = leader->id;
            resp.host = leader->host;
            resp.port = leader->port;
        }
    }
    resp.encode(out, h.api_version);
    co_return dispatch_result::respond;
}

asio::awaitable<dispatch_result> handlers::join_group(const protocol::request_header& h, protocol::wire::reader& in,
                                                      protocol::wire::writer& out) {
    protocol::join_group_request req;
    req.decode(in, h.api_version);
    protocol::join_group_response resp;
    if (ctx_.groups == nullptr) {
        resp.error_code = to_wire(error_code::coordinator_not_available);
        resp.member_id = req.member_id;
    } else {
        group::join_request jr;
        jr.group_id = req.group_id;
        jr.member_id = req.member_id;
        jr.group_instance_id = req.group_instance_id;
        jr.client_id = h.client_id.value_or("");
        jr.client_host = "/" + current_client_host();
        jr.session_timeout_ms = req.session_timeout_ms;
        // v0 has no rebalance timeout: the session timeout serves (Kafka's JoinGroupRequest).
        jr.rebalance_timeout_ms = h.api_version >= 1 ? req.rebalance_timeout_ms : req.session_timeout_ms;
        jr.protocol_type = req.protocol_type;
        for (auto& p : req.protocols) jr.protocols.push_back(group::protocol_metadata{p.name, std::move(p.metadata)});
        // MEMBER_ID_REQUIRED (79) exists only from v4: older clients (kafka-python) do not know it.
        jr.require_known_member_id = h.api_version >= 4;
        auto* groups = ctx_.groups;
        auto r = co_await ask<group::join_result>(
            [groups, &jr](std::function<void(group::join_result)> done) { groups->join_group(std::move(jr), std::move(done)); });
        resp.error_code = to_wire(r.error);
        resp.generation_id = r.generation;
        resp.protocol_name = r.protocol_name.value_or("");
        resp.leader = r.leader;
        resp.member_id = r.member_id;
        for (auto& m : r.members) {
            auto& rm = resp.members.emplace_back();
            rm.member_id = m.member_id;
            rm.group_instance_id = m.group_instance_id;
            rm.metadata = std::move(m.metadata);
        }
    }
    resp.encode(out, h.api_version);
    co_return dispatch_result::respond;
}

asio::awaitable<dispatch_result> handlers::sync_group(const protocol::request_header& h, protocol::wire::reader& in,
                                                      protocol::wire::writer& out) {
    protocol::sync_group_request req;
    req.decode(in, h.api_version);
    protocol::sync_group_response resp;
    if (ctx_.groups == nullptr) {
        resp.error_code = to_wire(error_code::coordinator_not_available);
    } else {
        group::sync_request sr;
        sr.group_id = req.group_id;
        sr.generation = req.generation_id;
        sr.member_id = req.member_id;
        for (auto& a : req.assignments) sr.assignments[a.member_id] = std::move(a.assignment);
        auto* groups = ctx_.groups;
        auto r = co_await ask<group::sync_result>(
            [groups, &sr](std::function<void(group::sync_result)> done) { groups->sync_group(std::move(sr), std::move(done)); });
        resp.error_code = to_wire(r.error);
        resp.assignment = std::move(r.assignment);
    }
    resp.encode(out, h.api_version);
    co_return dispatch_result::respond;
}

asio::awaitable<dispatch_result> handlers::heartbeat(const protocol::request_header& h, protocol::wire::reader& in,
                                                     protocol::wire::writer& out) {
    protocol::heartbeat_request req;
    req.decode(in, h.api_version);
    protocol::heartbeat_response resp;
    if (ctx_.groups == nullptr) {
        resp.error_code = to_wire(error_code::coordinator_not_available);
    } else {
        auto* groups = ctx_.groups;
        auto e = co_await ask<error_code>([groups, &req](std::function<void(error_code)> done) {
            groups->heartbeat(req.group_id, req.member_id, req.generation_id, std::move(done));
        });
        resp.error_code = to_wire(e);
    }
    resp.encode(out, h.api_version);
    co_return dispatch_result::respond;
}

asio::awaitable<dispatch_result> handlers::leave_group(const protocol::request_header& h, protocol::wire::reader& in,
                                                       protocol::wire::writer& out) {
    protocol::leave_group_request req;
    req.decode(in, h.api_version);
    protocol::leave_group_response resp;
    // v0-2 name one member; v3+ a batch with an answer each (KIP-345).
    std::vector<group::leave_member> leaving;
    if (h.api_version >= 3) {
        for (const auto& m : req.members) leaving.push_back(group::leave_member{m.member_id, m.group_instance_id});
    } else {
        leaving.push_back(group::leave_member{req.member_id, std::nullopt});
    }
    if (ctx_.groups == nullptr) {
        resp.error_code = to_wire(error_code::coordinator_not_available);
    } else {
        auto* groups = ctx_.groups;
        auto r = co_await ask<group::leave_result>([groups, &req, &leaving](std::function<void(group::leave_result)> done) {
            groups->leave_group(req.group_id, leaving, std::move(done));
        });
        resp.error_code = to_wire(r.error);
        if (h.api_version >= 3) {
            for (size_t i = 0; i < r.members.size() && i < leaving.size(); ++i) {
                auto& m = resp.members.emplace_back();
                m.member_id = leaving[i].member_id;
                m.group_instance_id = leaving[i].group_instance_id;
                m.error_code = to_wire(r.members[i]);
            }
        } else if (r.error == error_code::none && !r.members.empty()) {
            resp.error_code = to_wire(r.members.front());
        }
    }
    resp.encode(out, h.api_version);
    co_return dispatch_result::respond;
}

asio::awaitable<dispatch_result> handlers::offset_commit(const protocol::request_header& h, protocol::wire::reader& in,
                                                         protocol::wire::writer& out) {
    protocol::offset_commit_request req;
    req.decode(in, h.api_version);
    protocol::offset_commit_response resp;
    auto snapshot = ctx_.metadata.get();
    group::commit_request cr;
    cr.group_id = req.group_id;
    cr.generation = req.generation_id;
    cr.member_id = req.member_id;
    // v2-v4 carry a retention time (-1 = the broker's offsets.retention); v5 dropped it (KIP-211).
    cr.retention_ms = (h.api_version >= 2 && h.api_version <= 4) ? req.retention_time_ms : -1;
    // Which response slot each coordinator commit answers; unknown partitions are answered here.
    std::vector<std::pair<size_t, size_t>> slots;
    for (const auto& t : req.topics) {
        auto& rt = resp.topics.emplace_back();
        rt.name = t.name;
        auto topic = snapshot->topics.find(t.name);
        for (const auto& p : t.partitions) {
            auto& rp = rt.partitions.emplace_back();
            rp.partition_index = p.partition_index;
            if (topic == snapshot->topics.end() || !topic->second.partitions.contains(p.partition_index)) {
                rp.error_code = to_wire(error_code::unknown_topic_or_partition);
                continue;
            }
            group::offset_commit c;
            c.tp = group::topic_partition{t.name, p.partition_index};
            c.offset = p.committed_offset;
            c.leader_epoch = h.api_version >= 6 ? p.committed_leader_epoch : -1;
            c.metadata = p.committed_metadata.value_or("");
            c.commit_timestamp = h.api_version == 1 ? p.commit_timestamp : -1;
            cr.offsets.push_back(std::move(c));
            slots.emplace_back(resp.topics.size() - 1, rt.partitions.size() - 1);
        }
    }
    if (ctx_.groups == nullptr) {
        for (auto [t, p] : slots) resp.topics[t].partitions[p].error_code = to_wire(error_code::coordinator_not_available);
    } else if (!cr.offsets.empty() || cr.group_id.empty()) {
        auto* groups = ctx_.groups;
        auto r = co_await ask<group::commit_result>(
            [groups, &cr](std::function<void(group::commit_result)> done) { groups->commit_offsets(std::move(cr), std::move(done)); });
        for (size_t i = 0; i < slots.size() && i < r.partitions.size(); ++i) {
            resp.topics[slots[i].first].partitions[slots[i].second].error_code = to_wire(r.partitions[i]);
        }
    }
    resp.encode(out, h.api_version);
    co_return dispatch_result::respond;
}

asio::awaitable<dispatch_result> handlers::offset_fetch(const protocol::request_header& h, protocol::wire::reader& in,
                                                        protocol::wire::writer& out) {
    protocol::offset_fetch_request req;
    req.decode(in, h.api_version);
    protocol::offset_fetch_response resp;
    std::optional<std::vector<group::topic_partition>> wanted;
    if (req.topics) {
        wanted.emplace();
        for (const auto& t : *req.topics) {
            for (int32_t p : t.partition_indexes) wanted->push_back(group::topic_partition{t.name, p});
        }
    }
    group::fetch_offsets_result r;
    if (ctx_.groups == nullptr) {
        r.error = error_code::coordinator_not_available;
    } else {
        auto* groups = ctx_.groups;
        r = co_await ask<group::fetch_offsets_result>([groups, &req, &wanted](std::function<void(group::fetch_offsets_result)> done) {
            groups->fetch_offsets(req.group_id, wanted, std::move(done));
        });
    }
    auto add = [&resp](const group::topic_partition& tp) -> protocol::offset_fetch_response::offset_fetch_response_topic::offset_fetch_response_partition& {
        if (resp.topics.empty() || resp.topics.back().name != tp.topic) {
            resp.topics.emplace_back().name = tp.topic;
        }
        auto& p = resp.topics.back().partitions.emplace_back();
        p.partition_index = tp.partition;
        return p;
    };
    if (r.error != error_code::none) {
        // v2+ has a group-level error; v1 can only say it per partition.
        resp.error_code = to_wire(r.error);
        if (wanted) {
            for (const auto& tp : *wanted) {
                auto& p = add(tp);
                p.committed_offset = -1;
                p.error_code = h.api_version >= 2 ? to_wire(error_code::none) : to_wire(r.error);
            }
        }
    } else {
        for (const auto& f : r.offsets) {
            auto& p = add(f.tp);
            p.committed_offset = f.offset;
            p.committed_leader_epoch = f.leader_epoch;
            p.metadata = f.metadata;
        }
    }
    resp.encode(out, h.api_version);
    co_return dispatch_result::respond;
}

asio::awaitable<dispatch_result> handlers::list_groups(const protocol::request_header& h, protocol::wire::reader& in,
                                                       protocol::wire::writer& out) {
    protocol::list_groups_request req;
    req.decode(in, h.api_version);
    protocol::list_groups_response resp;
    if (ctx_.groups == nullptr) {
        resp.error_code = to_wire(error_code::coordinator_not_available);
    } else {
        using listing = std::pair<error_code, std::vector<group::group_listing>>;
        auto* groups = ctx_.groups;
        auto r = co_await ask<listing>([groups](std::function<void(listing)> done) {
            groups->list_groups([done = std::move(done)](error_code e, std::vector<group::group_listing> l) {
                done(listing{e, std::move(l)});
            });
        });
        resp.error_code = to_wire(r.first);
        for (auto& g : r.second) {
            auto& lg = resp.groups.emplace_back();
            lg.group_id = std::move(g.group_id);
            lg.protocol_type = std::move(g.protocol_type);
        }
    }
    resp.encode(out, h.api_version);
    co_return dispatch_result::respond;
}

asio::awaitable<dispatch_result> handlers::describe_groups(const protocol::request_header& h,
                                                           protocol::wire::reader& in, protocol::wire::writer& out) {
    protocol::describe_groups_request req;
    req.decode(in, h.api_version);
    protocol::describe_groups_response resp;
    for (const auto& id : req.groups) {
        auto& dg = resp.groups.emplace_back();
        dg.group_id = id;
        group::group_description d;
        if (ctx_.groups == nullptr) {
            d.error = error_code::coordinator_not_available;
        } else {
            auto* groups = ctx_.groups;
            d = co_await ask<group::group_description>([groups, &id](std::function<void(group::group_description)> done) {
                groups->describe_group(id, std::move(done));
            });
        }
        dg.error_code = to_wire(d.error);
        dg.group_state = d.error == error_code::none ? group::state_name(d.state) : "";
        dg.protocol_type = d.protocol_type;
        dg.protocol_data = d.protocol;
        for (auto& m : d.members) {
            auto& dm = dg.members.emplace_back();
            dm.member_id = std::move(m.member_id);
            dm.group_instance_id = std::move(m.group_instance_id);
            dm.client_id = std::move(m.client_id);
            dm.client_host = std::move(m.client_host);
            dm.member_metadata = std::move(m.metadata);
            dm.member_assignment = std::move(m.assignment);
        }
    }
    resp.encode(out, h.api_version);
    co_return dispatch_result::respond;
}

asio::awaitable<dispatch_result> handlers::delete_groups(const protocol::request_header& h, protocol::wire::reader& in,
                                                         protocol::wire::writer& out) {
    protocol::delete_groups_request req;
    req.decode(in, h.api_version);
    protocol::delete_groups_response resp;
    std::vector<error_code> errors(req.groups_names.size(), error_code::coordinator_not_available);
    if (ctx_.groups != nullptr) {
        auto* groups = ctx_.groups;
        errors = co_await ask<std::vector<error_code>>([groups, &req](std::function<void(std::vector<error_code>)> done) {
            groups->delete_groups(req.groups_names, std::move(done));
        });
    }
    for (size_t i = 0; i < req.groups_names.size(); ++i) {
        auto& r = resp.results.emplace_back();
        r.group_id = req.groups_names[i];
        r.error_code = to_wire(i < errors.size() ? errors[i] : error_code::unknown_server_error);
    }
    resp.encode(out, h.api_version);
    co_return dispatch_result::respond;
}

asio::awaitable<dispatch_result> handlers::offset_delete(const protocol::request_header& h, protocol::wire::reader& in,
                                                         protocol::wire::writer& out) {
    protocol::offset_delete_request req;
    req.decode(in, h.api_version);
    protocol::offset_delete_response resp;
    std::vector<group::topic_partition> tps;
    for (const auto& t : req.topics) {
        for (const auto& p : t.partitions) tps.push_back(group::topic_partition{t.name, p.partition_index});
    }
    using deleted = std::pair<error_code, std::vector<error_code>>;
    deleted r{error_code::coordinator_not_available, std::vector<error_code>(tps.size(), error_code::none)};
    if (ctx_.groups != nullptr) {
        auto* groups = ctx_.groups;
        r = co_await ask<deleted>([groups, &req, &tps](std::function<void(deleted)> done) {
            groups->delete_offsets(req.group_id, tps, [done = std::move(done)](error_code e, std::vector<error_code> per) {
                done(deleted{e, std::move(per)});
            });
        });
    }
    resp.error_code = to_wire(r.first);
    if (r.first == error_code::none) {
        size_t i = 0;
        for (const auto& t : req.topics) {
            auto& rt = resp.topics.emplace_back();
            rt.name = t.name;
            for (const auto& p : t.partitions) {
                auto& rp = rt.partitions.emplace_back();
                rp.partition_index = p.partition_index;
                rp.error_code = to_wire(i < r.second.size() ? r.second[i] : error_code::none);
                ++i;
            }
        }
    }
    resp.encode(out, h.api_version);
    co_return dispatch_result::respond;
}

}  // namespace broker
