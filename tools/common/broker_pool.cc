#include "tools/common/broker_pool.h"
#include "tools/common/requests.h"

namespace tools {

namespace pc = protocol::client;

std::string to_string(const endpoint& e) {
    return (e.host.find(':') != std::string::npos ? "[" + e.host + "]" : e.host) + ":" +
           std::to_string(e.port);
}

cli_error request_failed(std::string_view api, const std::string& where, std::error_code ec) {
    return make_cli_error("Error: " + std::string(api) + " request to " + where +
                          " failed: " + ec.message());
}

broker_pool::broker_pool(std::vector<endpoint> bootstrap, std::string client_id, timeouts t)
    : bootstrap_(std::move(bootstrap)), client_id_(std::move(client_id)), timeouts_(t) {}

cli_result<pc::connection> broker_pool::open(const endpoint& where) {
    auto conn = pc::connection::connect(where.host, where.port, timeouts_.connect);
    if (!conn) {
        return make_cli_error("Error: cannot connect to " + to_string(where) + ": " +
                              conn.error().message());
    }
    conn.value().set_client_id(client_id_);
    auto versions = conn.value().negotiate();
    if (!versions) return request_failed("ApiVersions", to_string(where), versions.error());
    conn.value().set_timeout(timeouts_.request);
    return std::move(conn).value();
}

cli_result<pc::connection*> broker_pool::any() {
    if (bootstrap_conn_) return &*bootstrap_conn_;
    std::string failures;
    for (const auto& where : bootstrap_) {
        auto c = open(where);
        if (c) {
            bootstrap_conn_.emplace(std::move(c).value());
            bootstrap_where_ = where;
            return &*bootstrap_conn_;
        }
        failures += failures.empty() ? "" : "; ";
        failures += c.error().message.substr(std::string_view("Error: ").size());
    }
    return make_cli_error("Error: no bootstrap server reachable (" + failures + ")");
}

cli_result<protocol::metadata_response> broker_pool::metadata(
    std::optional<std::vector<std::string>> topics, bool allow_auto_topic_creation) {
    auto conn = any();
    if (!conn) return conn.error();
    int16_t version = conn.value()->pick_version<protocol::metadata_api>();
    if (version < 1) {
        return make_cli_error("Error: broker " + to_string(*bootstrap_where_) +
                              " does not support Metadata v1 or newer");
    }
    auto req = metadata_request_for(std::move(topics), allow_auto_topic_creation);
    auto resp = conn.value()->send<protocol::metadata_api>(req, version);
    if (!resp) {
        // A dead bootstrap connection: reconnect next time (possibly to another server).
        bootstrap_conn_.reset();
        return request_failed("Metadata", to_string(*bootstrap_where_), resp.error());
    }
    metadata_ids_.clear();
    for (const auto& b : resp.value().brokers) {
        if (b.port <= 0 || b.port > 65535) continue;
        metadata_ids_.push_back(b.node_id);
        endpoint where{b.host, static_cast<uint16_t>(b.port)};
        auto old = addresses_.find(b.node_id);
        if (old != addresses_.end() && !(old->second == where)) brokers_.erase(b.node_id);
        addresses_[b.node_id] = where;
    }
    return std::move(resp).value();
}

cli_result<pc::connection*> broker_pool::broker(int32_t node_id) {
    if (auto it = brokers_.find(node_id); it != brokers_.end()) return &it->second;
    if (!addresses_.count(node_id)) {
        auto md = metadata(std::vector<std::string>{}, false);
        if (!md) return md.error();
    }
    auto where = addresses_.find(node_id);
    if (where == addresses_.end()) {
        return make_cli_error("Error: broker " + std::to_string(node_id) +
                              " is not in the cluster's metadata");
    }
    return broker(node_id, where->second);
}

cli_result<pc::connection*> broker_pool::broker(int32_t node_id, const endpoint& where) {
    if (auto it = brokers_.find(node_id); it != brokers_.end()) {
        if (addresses_.count(node_id) && addresses_[node_id] == where) return &it->second;
        brokers_.erase(it);
    }
    addresses_[node_id] = where;
    auto c = open(where);
    if (!c) return c.error();
    auto [it, inserted] = brokers_.emplace(node_id, std::move(c).value());
    return &it->second;
}

void broker_pool::forget(int32_t node_id) { brokers_.erase(node_id); }

std::optional<endpoint> broker_pool::address(int32_t node_id) const {
    auto it = addresses_.find(node_id);
    if (it == addresses_.end()) return std::nullopt;
    return it->second;
}

std::vector<int32_t> broker_pool::broker_ids() const { return metadata_ids_; }

}  // namespace tools
