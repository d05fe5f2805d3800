#include "tools/topics/kafka_topics_admin.h"
#include "tools/common/requests.h"

#include "protocol/errors.h"
#include "protocol/messages/create_partitions.h"
#include "protocol/messages/create_topics.h"
#include "protocol/messages/delete_topics.h"

#include <thread>

namespace tools {

namespace pc = protocol::client;

namespace {

constexpr int16_t not_controller = 41;

std::string to_string(const endpoint& e) {
    return (e.host.find(':') != std::string::npos ? "[" + e.host + "]" : e.host) + ":" +
           std::to_string(e.port);
}

cli_error request_failed(std::string_view api, const endpoint& where, std::error_code ec) {
    return make_cli_error("Error: " + std::string(api) + " request to " + to_string(where) +
                          " failed: " + ec.message());
}

}  // namespace

kafka_topics_admin::kafka_topics_admin(std::vector<endpoint> bootstrap)
    : kafka_topics_admin(std::move(bootstrap), timeouts{}) {}

kafka_topics_admin::kafka_topics_admin(std::vector<endpoint> bootstrap, timeouts t)
    : bootstrap_(std::move(bootstrap)), timeouts_(t) {}

cli_result<kafka_topics_admin::open_connection> kafka_topics_admin::open(const endpoint& where) {
    auto conn = pc::connection::connect(where.host, where.port, timeouts_.connect);
    if (!conn) {
        return make_cli_error("Error: cannot connect to " + to_string(where) + ": " +
                              conn.error().message());
    }
    conn.value().set_client_id(std::string("brook-topics"));
    auto versions = conn.value().negotiate();
    if (!versions) return request_failed("ApiVersions", where, versions.error());
    // Leave room above the broker-side operation timeout for the broker to answer in time.
    conn.value().set_timeout(timeouts_.operation + timeouts_.connect);
    return open_connection{std::move(conn).value(), where};
}

cli_result<kafka_topics_admin::open_connection*> kafka_topics_admin::any_broker() {
    if (bootstrap_conn_) return &*bootstrap_conn_;
    std::string failures;
    for (const auto& where : bootstrap_) {
        auto c = open(where);
        if (c) {
            bootstrap_conn_.emplace(std::move(c).value());
            return &*bootstrap_conn_;
        }
        failures += failures.empty() ? "" : "; ";
        failures += c.error().message.substr(std::string_view("Error: ").size());
    }
    return make_cli_error("Error: no bootstrap server reachable (" + failures + ")");
}

cli_result<protocol::metadata_response> kafka_topics_admin::metadata(
    std::optional<std::vector<std::string>> topics) {
    auto broker = any_broker();
    if (!broker) return broker.error();
    auto& [conn, where] = *broker.value();
    // v1 is the first version with the controller id, the internal flag and "null = all topics".
    int16_t version = conn.pick_version<protocol::metadata_api>();
    if (version < 1) {
        return make_cli_error("Error: broker " + to_string(where) +
                              " does not support Metadata v1 or newer");
    }
    auto req = metadata_request_for(std::move(topics), false);
    auto resp = conn.send<protocol::metadata_api>(req, version);
    if (!resp) return request_failed("Metadata", where, resp.error());
    return std::move(resp).value();
}

cli_result<kafka_topics_admin::open_connection*> kafka_topics_admin::controller() {
    if (controller_) return &*controller_;
    auto md = metadata(std::vector<std::string>{});
    if (!md) return md.error();
    for (const auto& b : md.value().brokers) {
        if (b.node_id != md.value().controller_id) continue;
        if (b.port <= 0 || b.port > 65535) break;
        endpoint where{b.host, static_cast<uint16_t>(b.port)};
        if (where == bootstrap_conn_->where) return &*bootstrap_conn_;
        auto c = open(where);
        if (!c) return c.error();
        controller_.emplace(std::move(c).value());
        return &*controller_;
    }
    // No controller known (yet): ask the bootstrap broker, which answers NOT_CONTROLLER if it
    // wants the request elsewhere; the retry loop then re-reads Metadata.
    return &*bootstrap_conn_;
}

cli_result<cluster_metadata> kafka_topics_admin::all_topics() {
    auto md = metadata(std::nullopt);
    if (!md) return md.error();
    cluster_metadata out;
    out.controller_id = md.value().controller_id;
    for (const auto& b : md.value().brokers) out.brokers.push_back(b.node_id);
    for (const auto& t : md.value().topics) {
        metadata_topic mt;
        mt.error_code = t.error_code;
        mt.description.name = t.name;
        mt.description.internal = t.is_internal;
        for (const auto& p : t.partitions) {
            mt.description.partitions.push_back(
                {p.partition_index, p.leader_id, p.replica_nodes, p.isr_nodes});
        }
        out.topics.push_back(std::move(mt));
    }
    return out;
}

template <class Api, class Collect>
cli_result<std::vector<topic_result>> kafka_topics_admin::send_to_controller(const typename Api::request& req,
                                                                            Collect collect) {
    const std::string api(Api::name);
    for (int attempt = 1;; ++attempt) {
        auto target = controller();
        if (!target) return target.error();
        auto& [conn, where] = *target.value();
        int16_t version = conn.template pick_version<Api>();
        if (version < 0) {
            return make_cli_error("Error: broker " + to_string(where) + " does not support " + api);
        }
        auto resp = conn.template send<Api>(req, version);
        if (!resp) return request_failed(api, where, resp.error());
        std::vector<topic_result> out = collect(resp.value());
        bool redirect = false;
        for (const auto& r : out) redirect = redirect || r.error_code == not_controller;
        if (!redirect || attempt >= timeouts_.attempts) return out;
        forget_controller();
        std::this_thread::sleep_for(timeouts_.retry_backoff);
    }
}

cli_result<topic_result> kafka_topics_admin::create_topic(const new_topic& topic) {
    protocol::create_topics_request req;
    auto& t = req.topics.emplace_back();
    t.name = topic.name;
    t.num_partitions = topic.partitions;
    t.replication_factor = topic.replication_factor;
    for (const auto& c : topic.configs) {
        auto& cfg = t.configs.emplace_back();
        cfg.name = c.name;
        cfg.value = c.value;
    }
    req.timeout_ms = static_cast<int32_t>(timeouts_.operation.count());
    req.validate_only = false;

    auto results = send_to_controller<protocol::create_topics_api>(req, [](const protocol::create_topics_response& r) {
        std::vector<topic_result> out;
        for (const auto& t : r.topics) out.push_back({t.name, t.error_code, t.error_message});
        return out;
    });
    if (!results) return results.error();
    for (auto& r : results.value()) {
        if (r.name == topic.name) return std::move(r);
    }
    return make_cli_error("Error: the CreateTopics response from the controller does not mention topic '" +
                          topic.name + "'");
}

cli_result<std::vector<topic_result>> kafka_topics_admin::delete_topics(
    const std::vector<std::string>& names) {
    protocol::delete_topics_request req;
    req.topic_names = names;
    req.timeout_ms = static_cast<int32_t>(timeouts_.operation.count());

    return send_to_controller<protocol::delete_topics_api>(req, [](const protocol::delete_topics_response& r) {
        std::vector<topic_result> out;
        for (const auto& t : r.responses) out.push_back({t.name, t.error_code, std::nullopt});
        return out;
    });
}

cli_result<std::vector<topic_result>> kafka_topics_admin::create_partitions(
    const std::vector<partition_increase>& increases) {
    protocol::create_partitions_request req;
    for (const auto& inc : increases) {
        auto& t = req.topics.emplace_back();
        t.name = inc.name;
        t.count = inc.count;
        t.assignments = std::nullopt;  // null: the controller places the new replicas
    }
    req.timeout_ms = static_cast<int32_t>(timeouts_.operation.count());
    req.validate_only = false;

    auto results =
        send_to_controller<protocol::create_partitions_api>(req, [](const protocol::create_partitions_response& r) {
            std::vector<topic_result> out;
            for (const auto& t : r.results) out.push_back({t.name, t.error_code, t.error_message});
            return out;
        });
    if (!results) return results.error();
    for (const auto& inc : increases) {
        bool answered = false;
        for (const auto& r : results.value()) answered = answered || r.name == inc.name;
        if (!answered) {
            return make_cli_error("Error: the CreatePartitions response from the controller does not mention topic '" +
                                  inc.name + "'");
        }
    }
    return results;
}

}  // namespace tools
