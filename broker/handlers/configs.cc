// DescribeConfigs, AlterConfigs and IncrementalAlterConfigs (kafka-configs, brook-configs,
// AdminClient.describeConfigs / alterConfigs / incrementalAlterConfigs). Topic configs live in
// /config/topics/<t>; any broker answers for topics, a broker resource only on that broker.
// A change is written with its /config/changes notification in one multi; every broker's
// config_change_listener then applies it (application.cc), this one included.
#include <set>

#include "broker/error_mapping.h"
#include "broker/handlers/handlers.h"
#include "broker/topic_config.h"
#include "coordination/topic_store.h"
#include "protocol/errors.h"
#include "protocol/messages/alter_configs.h"
#include "protocol/messages/describe_configs.h"
#include "protocol/messages/incremental_alter_configs.h"

namespace broker {
namespace asio = boost::asio;
using protocol::error_code;

namespace {

using versioned = coordination::topic_store::versioned_config;

struct resource_error {
    error_code code = error_code::none;
    std::string message;
};

resource_error unknown_topic(const std::string& topic) {
    return {error_code::unknown_topic_or_partition, "Topic " + topic + " does not exist"};
}

resource_error from_store(const std::error_code& ec, const std::string& topic) {
    if (ec == coordination::errc::unknown_topic) return unknown_topic(topic);
    return {to_kafka_error(ec), ec.message()};
}

/// The broker-resource checks Kafka makes: a broker answers for itself ("" is the cluster-wide
/// default, which Brook has none of).
std::optional<resource_error> check_broker_name(const config& cfg, const std::string& name) {
    if (name.empty() || name == std::to_string(cfg.broker_id)) return std::nullopt;
    return resource_error{error_code::invalid_request, "Unexpected broker id, expected " +
                                                           std::to_string(cfg.broker_id) +
                                                           " or empty string, but received " + name};
}

resource_error unsupported_type(int8_t type) {
    return {error_code::invalid_request, "Unsupported resource type " + std::to_string(type) +
                                             ": Brook has configs for topics (2) and brokers (4)"};
}

resource_error broker_configs_are_static(const std::string& name) {
    return {error_code::invalid_request,
            "Cannot update broker config " + name +
                " at runtime: Brook's broker configs are static; set it in server.properties and restart the broker"};
}

template <class Result>
void set_error(Result& r, const resource_error& e) {
    r.error_code = static_cast<int16_t>(e.code);
    if (e.code == error_code::none) {
        r.error_message = std::nullopt;
    } else {
        r.error_message = e.message;
    }
}

}  // namespace

asio::awaitable<dispatch_result> handlers::describe_configs(const protocol::request_header& h,
                                                            protocol::wire::reader& in, protocol::wire::writer& out) {
    protocol::describe_configs_request req;
    req.decode(in, h.api_version);
    protocol::describe_configs_response resp;
    for (const auto& r : req.resources) {
        auto& res = resp.results.emplace_back();
        res.resource_type = r.resource_type;
        res.resource_name = r.resource_name;
        std::vector<described_config> configs;
        resource_error err;
        if (r.resource_type == resource_topic) {
            const std::string topic = r.resource_name;
            completion_starter<coordination::result<versioned>> read = [this, topic](auto done) {
                ctx_.topics.get_config_versioned(topic, std::move(done));
            };
            auto got = co_await await_completion(read);
            if (got) {
                configs = describe_topic_configs(ctx_.cfg, got.value().configs);
            } else {
                err = from_store(got.error(), topic);
            }
        } else if (r.resource_type == resource_broker) {
            if (auto bad = check_broker_name(ctx_.cfg, r.resource_name)) {
                err = *bad;
            } else if (!r.resource_name.empty()) {
                configs = describe_broker_configs(ctx_.cfg);
            }
        } else {
            err = unsupported_type(r.resource_type);
        }
        set_error(res, err);
        std::optional<std::set<std::string>> wanted;
        if (r.configuration_keys) wanted.emplace(r.configuration_keys->begin(), r.configuration_keys->end());
        for (auto& c : configs) {
            if (wanted && !wanted->contains(c.name)) continue;
            auto& e = res.configs.emplace_back();
            e.name = c.name;
            e.value = c.sensitive ? std::nullopt : c.value;
            e.read_only = c.read_only;
            e.is_default = c.source == config_source::default_value;
            e.config_source = static_cast<int8_t>(c.source);
            e.is_sensitive = c.sensitive;
            if (req.include_synonyms) {
                for (auto& s : c.synonyms) e.synonyms.push_back({s.name, s.value, static_cast<int8_t>(s.source), {}});
            }
        }
    }
    resp.encode(out, h.api_version);
    co_return dispatch_result::respond;
}

// AlterConfigs replaces the topic's whole set of overrides (what is not listed goes back to the
// default), as in Kafka.
asio::awaitable<dispatch_result> handlers::alter_configs(const protocol::request_header& h,
                                                         protocol::wire::reader& in, protocol::wire::writer& out) {
    protocol::alter_configs_request req;
    req.decode(in, h.api_version);
    protocol::alter_configs_response resp;
    std::set<std::pair<int8_t, std::string>> seen;
    for (const auto& r : req.resources) {
        auto& res = resp.responses.emplace_back();
        res.resource_type = r.resource_type;
        res.resource_name = r.resource_name;
        resource_error err;
        std::map<std::string, std::string> configs;
        for (const auto& c : r.configs) {
            if (!c.value) {
                err = {error_code::invalid_request, "Null value not supported for config " + c.name};
                break;
            }
            if (!configs.emplace(c.name, *c.value).second) {
                err = {error_code::invalid_request, "Error due to duplicate config keys: " + c.name};
                break;
            }
        }
        if (err.code == error_code::none && !seen.emplace(r.resource_type, r.resource_name).second) {
            err = {error_code::invalid_request, "Duplicate resource " + r.resource_name + " in the request"};
        }
        if (err.code == error_code::none) {
            if (r.resource_type == resource_topic) {
                if (auto problem = validate_topic_configs(configs)) {
                    err = {error_code::invalid_config, *problem};
                } else {
                    const std::string topic = r.resource_name;
                    const bool validate_only = req.validate_only;
                    completion_starter<std::error_code> write = [this, topic, configs, validate_only](auto done) {
                        if (validate_only) {  // the topic must still exist
                            ctx_.topics.get_config_versioned(topic, [done](coordination::result<versioned> got) {
                                done(got ? std::error_code{} : got.error());
                            });
                        } else {
                            ctx_.topics.change_config(topic, configs, std::move(done));
                        }
                    };
                    auto ec = co_await await_completion(write);
                    if (ec) err = from_store(ec, topic);
                }
            } else if (r.resource_type == resource_broker) {
                if (auto bad = check_broker_name(ctx_.cfg, r.resource_name)) {
                    err = *bad;
                } else if (!configs.empty()) {
                    err = broker_configs_are_static(configs.begin()->first);
                }
            } else {
                err = unsupported_type(r.resource_type);
            }
        }
        set_error(res, err);
    }
    resp.encode(out, h.api_version);
    co_return dispatch_result::respond;
}

namespace {

enum class alter_op : int8_t { set = 0, remove = 1, append = 2, subtract = 3 };

std::vector<std::string> list_items(const std::string& v) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= v.size()) {
        size_t comma = v.find(',', start);
        std::string item = v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        item.erase(0, item.find_first_not_of(" \t"));
        item.erase(item.find_last_not_of(" \t") + 1);
        if (!item.empty()) out.push_back(item);
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return out;
}

std::string list_text(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
    return out;
}

/// Applies one resource's operations to its current overrides (Kafka's
/// prepareIncrementalConfigs). APPEND and SUBTRACT start from the value in effect when the topic
/// has no override.
std::optional<resource_error> apply_ops(const config& cfg,
                                        const protocol::incremental_alter_configs_request::alter_configs_resource& r,
                                        std::map<std::string, std::string>& configs) {
    std::set<std::string> names;
    for (const auto& c : r.configs) {
        if (!names.insert(c.name).second) {
            return resource_error{error_code::invalid_request, "Error due to duplicate config keys: " + c.name};
        }
    }
    for (const auto& c : r.configs) {
        const auto op = static_cast<alter_op>(c.config_operation);
        if (op == alter_op::remove) {
            configs.erase(c.name);
            continue;
        }
        if (op != alter_op::set && op != alter_op::append && op != alter_op::subtract) {
            return resource_error{error_code::invalid_request,
                                  "Unknown config operation " + std::to_string(c.config_operation) + " for " + c.name};
        }
        if (!c.value) {
            return resource_error{error_code::invalid_request, "Null value not supported for config " + c.name};
        }
        if (op == alter_op::set) {
            configs[c.name] = *c.value;
            continue;
        }
        if (!is_list_config(c.name)) {
            return resource_error{error_code::invalid_request,
                                  std::string("Config value ") + (op == alter_op::append ? "append" : "subtract") +
                                      " is not allowed for config key: " + c.name};
        }
        std::string current;
        if (auto it = configs.find(c.name); it != configs.end()) {
            current = it->second;
        } else {
            for (const auto& d : describe_topic_configs(cfg, {})) {
                if (d.name == c.name && d.value) current = *d.value;
            }
        }
        auto items = list_items(current);
        for (const auto& item : list_items(*c.value)) {
            auto at = std::find(items.begin(), items.end(), item);
            if (op == alter_op::append && at == items.end()) items.push_back(item);
            if (op == alter_op::subtract && at != items.end()) items.erase(at);
        }
        configs[c.name] = list_text(items);
    }
    return std::nullopt;
}

}  // namespace

asio::awaitable<dispatch_result> handlers::incremental_alter_configs(const protocol::request_header& h,
                                                                     protocol::wire::reader& in,
                                                                     protocol::wire::writer& out) {
    protocol::incremental_alter_configs_request req;
    req.decode(in, h.api_version);
    protocol::incremental_alter_configs_response resp;
    std::set<std::pair<int8_t, std::string>> seen;
    for (const auto& r : req.resources) {
        auto& res = resp.responses.emplace_back();
        res.resource_type = r.resource_type;
        res.resource_name = r.resource_name;
        resource_error err;
        if (!seen.emplace(r.resource_type, r.resource_name).second) {
            err = {error_code::invalid_request, "Duplicate resource " + r.resource_name + " in the request"};
        } else if (r.resource_type == resource_topic) {
            const std::string topic = r.resource_name;
            // Read-modify-write, conditional on the config znode's version: a concurrent change
            // makes the write fail and the whole step is redone on the new value.
            for (int attempt = 0; attempt < 5; ++attempt) {
                err = {};
                completion_starter<coordination::result<versioned>> read = [this, topic](auto done) {
                    ctx_.topics.get_config_versioned(topic, std::move(done));
                };
                auto got = co_await await_completion(read);
                if (!got) {
                    err = from_store(got.error(), topic);
                    break;
                }
                auto configs = got.value().configs;
                if (auto bad = apply_ops(ctx_.cfg, r, configs)) {
                    err = *bad;
                    break;
                }
                if (auto problem = validate_topic_configs(configs)) {
                    err = {error_code::invalid_config, *problem};
                    break;
                }
                if (req.validate_only) break;
                const int32_t version = got.value().version;
                completion_starter<std::error_code> write = [this, topic, configs, version](auto done) {
                    ctx_.topics.change_config(topic, configs, std::move(done), version);
                };
                auto ec = co_await await_completion(write);
                if (ec == coordination::zk_errc::bad_version || ec == coordination::zk_errc::node_exists) {
                    err = {error_code::unknown_server_error,
                           "The config of topic " + topic + " kept changing concurrently; retry"};
                    continue;
                }
                if (ec) err = from_store(ec, topic);
                break;
            }
        } else if (r.resource_type == resource_broker) {
            if (auto bad = check_broker_name(ctx_.cfg, r.resource_name)) {
                err = *bad;
            } else if (!r.configs.empty()) {
                err = broker_configs_are_static(r.configs.front().name);
            }
        } else {
            err = unsupported_type(r.resource_type);
        }
        set_error(res, err);
    }
    resp.encode(out, h.api_version);
    co_return dispatch_result::respond;
}

}  // namespace broker
