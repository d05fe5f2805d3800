#include <algorithm>

#include <spdlog/spdlog.h>

#include "broker/handlers/handlers.h"
#include "broker/metadata_cache.h"
#include "broker/topic_admin.h"
#include "protocol/errors.h"
#include "protocol/messages/metadata.h"

namespace broker {
namespace asio = boost::asio;
using protocol::error_code;

namespace {
using response = protocol::metadata_response;

response::metadata_response_topic describe_topic(const coordination::cluster_snapshot& s,
                                                 const coordination::topic_metadata& t) {
    response::metadata_response_topic out;
    out.name = t.name;
    out.is_internal = t.name.starts_with("__");
    for (const auto& [index, p] : t.partitions) {
        response::metadata_response_topic::metadata_response_partition mp;
        mp.partition_index = index;
        mp.replica_nodes = p.replicas;
        for (int32_t r : p.replicas) {
            if (!s.brokers.contains(r)) {
                mp.offline_replicas.push_back(r);
            }
        }
        if (p.state) {
            mp.leader_id = p.state->leader;
            mp.isr_nodes = p.state->isr;
        } else {
            mp.leader_id = -1;
        }
        // A leader that is not (or no longer) registered cannot serve: Kafka reports it as -1.
        if (mp.leader_id >= 0 && !s.brokers.contains(mp.leader_id)) {
            mp.leader_id = -1;
        }
        mp.error_code = static_cast<int16_t>(mp.leader_id < 0 ? error_code::leader_not_available : error_code::none);
        out.partitions.push_back(std::move(mp));
    }
    return out;
}
}  // namespace

asio::awaitable<dispatch_result> handlers::metadata(const protocol::request_header& h, protocol::wire::reader& in,
                                                    protocol::wire::writer& out) {
    protocol::metadata_request req;
    req.decode(in, h.api_version);
    auto snapshot = ctx_.metadata.get();

    response resp;
    for (const auto& [id, b] : snapshot->brokers) {
        response::metadata_response_broker rb;
        rb.node_id = id;
        rb.host = b.host;
        rb.port = b.port;
        rb.rack = b.rack;
        resp.brokers.push_back(std::move(rb));
    }
    resp.cluster_id = snapshot->cluster_id;
    resp.controller_id = snapshot->controller_id;

    // v0: an empty list means all topics; v1+: null means all, empty means none.
    bool all_topics = !req.topics.has_value() || (h.api_version == 0 && req.topics->empty());
    if (all_topics) {
        for (const auto& [name, t] : snapshot->topics) {
            resp.topics.push_back(describe_topic(*snapshot, t));
        }
    } else {
        bool may_create = ctx_.cfg.auto_create_topics_enable && (h.api_version < 4 || req.allow_auto_topic_creation);
        for (const auto& requested : *req.topics) {
            const std::string& name = requested.name;
            auto t = snapshot->topics.find(name);
            if (t != snapshot->topics.end()) {
                resp.topics.push_back(describe_topic(*snapshot, t->second));
                continue;
            }
            response::metadata_response_topic missing;
            missing.name = name;
            if (check_topic_name(name)) {
                missing.error_code = static_cast<int16_t>(error_code::invalid_topic_exception);
            } else if (may_create) {
                // Kafka answers LEADER_NOT_AVAILABLE while the new topic's leaders are elected; the
                // client retries. Creation does not wait here so Metadata stays fast.
                topic_admin admin(ctx_);
                topic_admin::create_spec spec;
                spec.name = name;
                auto r = co_await admin.create(spec, false, std::chrono::milliseconds(0));
                if (r.error == error_code::none || r.error == error_code::topic_already_exists) {
                    missing.error_code = static_cast<int16_t>(error_code::leader_not_available);
                } else {
                    spdlog::warn("auto-creation of topic {} failed: {}", name, r.message.value_or(""));
                    missing.error_code = static_cast<int16_t>(r.error);
                }
            } else {
                missing.error_code = static_cast<int16_t>(error_code::unknown_topic_or_partition);
            }
            resp.topics.push_back(std::move(missing));
        }
    }
    resp.encode(out, h.api_version);
    co_return dispatch_result::respond;
}

}  // namespace broker
