#include "tools/configs/kafka_configs_admin.h"

#include "protocol/messages/alter_configs.h"
#include "protocol/messages/describe_configs.h"
#include "protocol/messages/incremental_alter_configs.h"
#include "protocol/messages/metadata.h"

#include <algorithm>
#include <charconv>
#include <map>

namespace tools {

kafka_configs_admin::kafka_configs_admin(std::vector<endpoint> bootstrap, std::chrono::milliseconds timeout)
    : pool_(std::move(bootstrap), "brook-configs",
            broker_pool::timeouts{std::chrono::milliseconds(10'000), std::max(timeout, std::chrono::milliseconds(5000))}) {}

cli_result<protocol::client::connection*> kafka_configs_admin::route(int8_t type, const std::string& name) {
    if (type == broker_resource && !name.empty()) {
        int32_t id = 0;
        std::from_chars(name.data(), name.data() + name.size(), id);
        auto md = pool_.metadata(std::vector<std::string>{}, false);
        if (!md) return md.error();
        if (!pool_.address(id)) return make_cli_error("Error: broker " + name + " is not in the cluster");
        return pool_.broker(id);
    }
    return pool_.any();
}

cli_result<resource_configs> kafka_configs_admin::describe(int8_t type, const std::string& name) {
    auto conn = route(type, name);
    if (!conn) return conn.error();
    const int16_t v = conn.value()->pick_version<protocol::describe_configs_api>();
    if (v < 0) return make_cli_error("Error: the broker does not support DescribeConfigs");
    protocol::describe_configs_request req;
    auto& r = req.resources.emplace_back();
    r.resource_type = type;
    r.resource_name = name;
    r.configuration_keys = std::nullopt;
    req.include_synonyms = true;
    auto resp = conn.value()->send<protocol::describe_configs_api>(req, v);
    if (!resp) return request_failed("DescribeConfigs", "the broker", resp.error());
    resource_configs out;
    for (const auto& res : resp.value().results) {
        out.error_code = res.error_code;
        out.error_message = res.error_message.value_or("");
        for (const auto& c : res.configs) {
            config_item item;
            item.name = c.name;
            item.value = c.value;
            // v0 has no source: an override is what is not default.
            const int8_t override_source = type == topic_resource ? 1 : 4;
            item.source = v >= 1 ? c.config_source : (c.is_default ? int8_t{5} : override_source);
            item.read_only = c.read_only;
            item.sensitive = c.is_sensitive;
            for (const auto& s : c.synonyms) item.synonyms.push_back({s.name, s.value, s.source});
            out.configs.push_back(std::move(item));
        }
    }
    return out;
}

cli_result<alter_outcome> kafka_configs_admin::alter(int8_t type, const std::string& name,
                                                     const std::vector<config_change>& changes) {
    auto conn = route(type, name);
    if (!conn) return conn.error();
    if (int16_t v = conn.value()->pick_version<protocol::incremental_alter_configs_api>(); v >= 0) {
        protocol::incremental_alter_configs_request req;
        auto& r = req.resources.emplace_back();
        r.resource_type = type;
        r.resource_name = name;
        for (const auto& c : changes) r.configs.push_back({c.name, c.operation, c.value, {}});
        auto resp = conn.value()->send<protocol::incremental_alter_configs_api>(req, v);
        if (!resp) return request_failed("IncrementalAlterConfigs", "the broker", resp.error());
        alter_outcome out;
        for (const auto& res : resp.value().responses) out = {res.error_code, res.error_message.value_or("")};
        return out;
    }
    // Older brokers: AlterConfigs replaces the whole set, so start from the current overrides.
    const int16_t v = conn.value()->pick_version<protocol::alter_configs_api>();
    if (v < 0) return make_cli_error("Error: the broker supports neither IncrementalAlterConfigs nor AlterConfigs");
    auto current = describe(type, name);
    if (!current) return current.error();
    if (current.value().error_code != 0) return alter_outcome{current.value().error_code, current.value().error_message};
    std::map<std::string, std::string> overrides;
    for (const auto& c : current.value().configs) {
        if ((c.source == 1 || c.source == 2 || c.source == 3) && c.value) overrides[c.name] = *c.value;
    }
    for (const auto& c : changes) {
        if (c.operation == 1) {
            overrides.erase(c.name);
        } else if (c.value) {
            overrides[c.name] = *c.value;
        }
    }
    protocol::alter_configs_request req;
    auto& r = req.resources.emplace_back();
    r.resource_type = type;
    r.resource_name = name;
    for (const auto& [k, val] : overrides) r.configs.push_back({k, val, {}});
    auto resp = conn.value()->send<protocol::alter_configs_api>(req, v);
    if (!resp) return request_failed("AlterConfigs", "the broker", resp.error());
    alter_outcome out;
    for (const auto& res : resp.value().responses) out = {res.error_code, res.error_message.value_or("")};
    return out;
}

cli_result<std::vector<std::string>> kafka_configs_admin::topics() {
    auto md = pool_.metadata(std::nullopt, false);
    if (!md) return md.error();
    std::vector<std::string> out;
    for (const auto& t : md.value().topics) {
        if (t.error_code == 0) out.push_back(t.name);
    }
    std::sort(out.begin(), out.end());
    return out;
}

cli_result<std::vector<int32_t>> kafka_configs_admin::brokers() {
    auto md = pool_.metadata(std::vector<std::string>{}, false);
    if (!md) return md.error();
    auto ids = pool_.broker_ids();
    std::sort(ids.begin(), ids.end());
    return ids;
}

}  // namespace tools
