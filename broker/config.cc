#include "broker/config.h"

#include <charconv>
#include <functional>
#include <limits>
#include <sstream>

namespace broker {
namespace {

std::string trim(std::string_view s) {
    const auto* ws = " \t\r\n";
    auto b = s.find_first_not_of(ws);
    if (b == std::string_view::npos) {
        return {};
    }
    auto e = s.find_last_not_of(ws);
    return std::string(s.substr(b, e - b + 1));
}

template <class Int>
std::optional<Int> parse_int(const std::string& v) {
    Int out{};
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (ec != std::errc() || p != v.data() + v.size()) {
        return std::nullopt;
    }
    return out;
}

std::optional<bool> parse_bool(const std::string& v) {
    if (v == "true") {
        return true;
    }
    if (v == "false") {
        return false;
    }
    return std::nullopt;
}

std::optional<double> parse_double(const std::string& v) {
    double out = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (v.empty() || ec != std::errc() || p != v.data() + v.size()) {
        return std::nullopt;
    }
    return out;
}

std::vector<std::string> split(const std::string& v, char sep) {
    std::vector<std::string> out;
    std::string item;
    std::istringstream in(v);
    while (std::getline(in, item, sep)) {
        item = trim(item);
        if (!item.empty()) {
            out.push_back(item);
        }
    }
    return out;
}

}  // namespace

result<std::map<std::string, std::string>> parse_properties(const std::string& text) {
    std::map<std::string, std::string> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        auto t = trim(line);
        if (t.empty() || t[0] == '#' || t[0] == '!') {
            continue;
        }
        auto pos = t.find_first_of("=:");
        if (pos == std::string::npos) {
            out[t] = "";
            continue;
        }
        out[trim(t.substr(0, pos))] = trim(t.substr(pos + 1));
    }
    return out;
}

std::optional<endpoint> parse_listener(const std::string& value) {
    auto first = split(value, ',');
    if (first.empty()) {
        return std::nullopt;
    }
    const std::string& v = first.front();
    auto scheme = v.find("://");
    if (scheme == std::string::npos) {
        return std::nullopt;
    }
    endpoint ep;
    ep.security_protocol = v.substr(0, scheme);
    auto rest = v.substr(scheme + 3);
    auto colon = rest.rfind(':');
    if (colon == std::string::npos) {
        return std::nullopt;
    }
    ep.host = rest.substr(0, colon);
    if (ep.host.size() >= 2 && ep.host.front() == '[' && ep.host.back() == ']') {
        ep.host = ep.host.substr(1, ep.host.size() - 2);
    }
    auto port = parse_int<uint16_t>(rest.substr(colon + 1));
    if (!port) {
        return std::nullopt;
    }
    ep.port = *port;
    return ep;
}

std::variant<config, config_error> make_config(const std::map<std::string, std::string>& props) {
    config c;
    std::optional<config_error> error;
    auto fail = [&](const std::string& key, const std::string& value, const char* expected) {
        if (!error) {
            error = config_error{"invalid value '" + value + "' for " + key + ": expected " + expected};
        }
    };
    // Each known key maps to a setter; anything else is collected as unknown.
    auto int32_key = [&](int32_t& field, int32_t min) {
        return [&field, min, &fail](const std::string& k, const std::string& v) {
            auto n = parse_int<int32_t>(v);
            if (!n || *n < min) {
                fail(k, v, ("an integer >= " + std::to_string(min)).c_str());
            } else {
                field = *n;
            }
        };
    };
    auto int64_key = [&](int64_t& field, int64_t min) {
        return [&field, min, &fail](const std::string& k, const std::string& v) {
            auto n = parse_int<int64_t>(v);
            if (!n || *n < min) {
                fail(k, v, ("an integer >= " + std::to_string(min)).c_str());
            } else {
                field = *n;
            }
        };
    };
    auto ratio_key = [&](double& field) {
        return [&field, &fail](const std::string& k, const std::string& v) {
            auto d = parse_double(v);
            if (!d || !(*d >= 0.0 && *d <= 1.0)) {
                fail(k, v, "a number between 0 and 1");
            } else {
                field = *d;
            }
        };
    };
    auto bool_key = [&](bool& field) {
        return [&field, &fail](const std::string& k, const std::string& v) {
            auto b = parse_bool(v);
            if (!b) {
                fail(k, v, "true or false");
            } else {
                field = *b;
            }
        };
    };
    int64_t retention_hours = -2, retention_minutes = -2, retention_ms = -2;
    int64_t roll_hours = -2, roll_ms = -2, flush_interval_ms = -2;
    int64_t transactional_id_expiration_ms = -2;
    int64_t offsets_retention_minutes = -2;
    int64_t segment_bytes = static_cast<int64_t>(c.log_segment_bytes);
    int32_t index_interval = static_cast<int32_t>(c.log_index_interval_bytes);
    int32_t rf = c.default_replication_factor, offsets_rf = c.offsets_topic_replication_factor;
    std::optional<std::string> advertised;

    std::map<std::string, std::function<void(const std::string&, const std::string&)>> keys{
        {"broker.id", int32_key(c.broker_id, 0)},
        {"listeners",
         [&](const std::string& k, const std::string& v) {
             auto ep = parse_listener(v);
             if (!ep) {
                 fail(k, v, "PLAINTEXT://host:port");
             } else {
                 c.listener = *ep;
             }
         }},
        {"advertised.listeners", [&](const std::string&, const std::string& v) { advertised = v; }},
        {"log.dirs",
         [&](const std::string& k, const std::string& v) {
             auto dirs = split(v, ',');
             if (dirs.empty()) {
                 fail(k, v, "a comma-separated list of directories");
             } else {
                 c.log_dirs = dirs;
             }
         }},
        {"log.dir",
         [&](const std::string&, const std::string& v) {
             if (!props.contains("log.dirs")) {
                 c.log_dirs = split(v, ',');
             }
         }},
        {"zookeeper.connect", [&](const std::string&, const std::string& v) { c.zookeeper_connect = v; }},
        {"zookeeper.session.timeout.ms", int32_key(c.zookeeper_session_timeout_ms, 1)},
        {"zookeeper.connection.timeout.ms", int32_key(c.zookeeper_connection_timeout_ms, 1)},
        {"num.partitions", int32_key(c.num_partitions, 1)},
        {"default.replication.factor", int32_key(rf, 1)},
        {"offsets.topic.replication.factor", int32_key(offsets_rf, 1)},
        {"offsets.topic.num.partitions", int32_key(c.offsets_topic_num_partitions, 1)},
        {"offsets.topic.segment.bytes", int64_key(c.offsets_topic_segment_bytes, 1024)},
        {"offsets.retention.minutes", int64_key(offsets_retention_minutes, 1)},
        {"offsets.retention.check.interval.ms", int64_key(c.offsets_retention_check_interval_ms, 1)},
        {"offsets.commit.timeout.ms", int32_key(c.offsets_commit_timeout_ms, 1)},
        {"offset.metadata.max.bytes", int32_key(c.offset_metadata_max_bytes, 0)},
        {"group.initial.rebalance.delay.ms", int32_key(c.group_initial_rebalance_delay_ms, 0)},
        {"group.min.session.timeout.ms", int32_key(c.group_min_session_timeout_ms, 0)},
        {"group.max.session.timeout.ms", int32_key(c.group_max_session_timeout_ms, 0)},
        {"group.max.size", int32_key(c.group_max_size, 1)},
        {"min.insync.replicas", int32_key(c.min_insync_replicas, 1)},
        {"auto.create.topics.enable", bool_key(c.auto_create_topics_enable)},
        {"delete.topic.enable", bool_key(c.delete_topic_enable)},
        {"log.segment.bytes", int64_key(segment_bytes, 1024)},
        {"log.index.interval.bytes", int32_key(index_interval, 0)},
        {"log.max.open.segments", int32_key(c.log_max_open_segments, 1)},
        {"log.retention.ms", int64_key(retention_ms, -1)},
        {"log.retention.minutes", int64_key(retention_minutes, -1)},
        {"log.retention.hours", int64_key(retention_hours, -1)},
        {"log.retention.bytes", int64_key(c.log_retention_bytes, -1)},
        {"log.retention.check.interval.ms", int64_key(c.log_retention_check_interval_ms, 1)},
        {"log.roll.ms", int64_key(roll_ms, 1)},
        {"log.roll.hours", int64_key(roll_hours, 1)},
        {"log.index.size.max.bytes", int32_key(c.log_index_size_max_bytes, 4)},
        {"log.flush.interval.messages", int64_key(c.log_flush_interval_messages, 1)},
        {"log.flush.interval.ms", int64_key(flush_interval_ms, 0)},
        {"log.flush.scheduler.interval.ms", int64_key(c.log_flush_scheduler_interval_ms, 0)},
        {"log.flush.start.offset.checkpoint.interval.ms",
         int64_key(c.log_flush_start_offset_checkpoint_interval_ms, 0)},
        {"log.flush.offset.checkpoint.interval.ms", int64_key(c.log_flush_offset_checkpoint_interval_ms, 0)},
        {"log.cleanup.policy", [&](const std::string&, const std::string& v) { c.log_cleanup_policy = v; }},
        {"log.cleaner.enable", bool_key(c.log_cleaner_enable)},
        {"log.cleaner.threads", int32_key(c.log_cleaner_threads, 0)},
        {"log.cleaner.backoff.ms", int64_key(c.log_cleaner_backoff_ms, 0)},
        {"log.cleaner.min.cleanable.ratio", ratio_key(c.log_cleaner_min_cleanable_ratio)},
        {"log.cleaner.delete.retention.ms", int64_key(c.log_cleaner_delete_retention_ms, 0)},
        {"log.cleaner.min.compaction.lag.ms", int64_key(c.log_cleaner_min_compaction_lag_ms, 0)},
        // Kafka's floor is 1 MiB per cleaner thread (its offset map needs room for a segment).
        {"log.cleaner.dedupe.buffer.size", int64_key(c.log_cleaner_dedupe_buffer_size, 1048576)},
        {"message.max.bytes", int32_key(c.message_max_bytes, 0)},
        {"socket.request.max.bytes", int32_key(c.socket_request_max_bytes, 1)},
        {"num.network.threads", int32_key(c.num_network_threads, 0)},
        {"broker.rack", [&](const std::string&, const std::string& v) { c.broker_rack = v; }},
        {"unclean.leader.election.enable", bool_key(c.unclean_leader_election_enable)},
        {"replica.lag.time.max.ms", int64_key(c.replica_lag_time_max_ms, 1)},
        {"replica.fetch.wait.max.ms", int32_key(c.replica_fetch_wait_max_ms, 0)},
        {"replica.fetch.min.bytes", int32_key(c.replica_fetch_min_bytes, 1)},
        {"replica.fetch.max.bytes", int32_key(c.replica_fetch_max_bytes, 0)},
        {"replica.fetch.response.max.bytes", int32_key(c.replica_fetch_response_max_bytes, 0)},
        {"replica.fetch.backoff.ms", int32_key(c.replica_fetch_backoff_ms, 0)},
        {"producer.id.expiration.ms", int64_key(c.producer_id_expiration_ms, 1)},
        {"transactional.id.expiration.ms", int64_key(transactional_id_expiration_ms, 1)},
        {"producer.id.expiration.check.interval.ms", int64_key(c.producer_id_expiration_check_interval_ms, 1)},
        {"replica.high.watermark.checkpoint.interval.ms",
         int64_key(c.replica_high_watermark_checkpoint_interval_ms, 1)},
        {"auto.leader.rebalance.enable", bool_key(c.auto_leader_rebalance_enable)},
        {"leader.imbalance.check.interval.seconds", int64_key(c.leader_imbalance_check_interval_seconds, 1)},
        {"leader.imbalance.per.broker.percentage", int32_key(c.leader_imbalance_per_broker_percentage, 0)},
        {"controlled.shutdown.enable", bool_key(c.controlled_shutdown_enable)},
    };
    for (const auto& [k, v] : props) {
        auto it = keys.find(k);
        if (it == keys.end()) {
            c.unknown_keys.push_back(k);
            continue;
        }
        it->second(k, v);
        c.properties[k] = v;
    }
    if (error) {
        return *error;
    }
    for (auto [key, value] : {std::pair<const char*, int32_t>{"default.replication.factor", rf},
                              {"offsets.topic.replication.factor", offsets_rf}}) {
        if (value > std::numeric_limits<int16_t>::max()) {
            return config_error{"invalid value '" + std::to_string(value) + "' for " + key +
                                ": expected an integer <= 32767"};
        }
    }
    c.default_replication_factor = static_cast<int16_t>(rf);
    c.offsets_topic_replication_factor = static_cast<int16_t>(offsets_rf);
    c.log_segment_bytes = static_cast<uint64_t>(segment_bytes);
    c.log_index_interval_bytes = static_cast<uint32_t>(index_interval);
    // Kafka's precedence: ms over minutes over hours.
    // Values too large to express in ms mean "forever" for practical purposes: clamp, never wrap.
    auto to_ms = [](int64_t v, int64_t unit_ms) {
        return v < 0 ? int64_t{-1} : (v > std::numeric_limits<int64_t>::max() / unit_ms
                                          ? std::numeric_limits<int64_t>::max()
                                          : v * unit_ms);
    };
    // Before Kafka 3.4 (KIP-854) idle producer ids expired after transactional.id.expiration.ms;
    // that key still counts when producer.id.expiration.ms is not set.
    if (transactional_id_expiration_ms != -2 && !props.contains("producer.id.expiration.ms")) {
        c.producer_id_expiration_ms = transactional_id_expiration_ms;
    }
    if (offsets_retention_minutes != -2) {
        c.offsets_retention_ms = to_ms(offsets_retention_minutes, 60 * 1000);
    }
    if (retention_ms != -2) {
        c.log_retention_ms = retention_ms;
    } else if (retention_minutes != -2) {
        c.log_retention_ms = to_ms(retention_minutes, 60 * 1000);
    } else if (retention_hours != -2) {
        c.log_retention_ms = to_ms(retention_hours, 3600 * 1000);
    }
    if (roll_ms != -2) {
        c.log_roll_ms = roll_ms;
    } else if (roll_hours != -2) {
        c.log_roll_ms = to_ms(roll_hours, 3600 * 1000);
    }
    // Kafka: log.flush.interval.ms defaults to log.flush.scheduler.interval.ms.
    c.log_flush_interval_ms = flush_interval_ms != -2 ? flush_interval_ms : c.log_flush_scheduler_interval_ms;
    if (c.zookeeper_connect.empty()) {
        return config_error{"zookeeper.connect is required"};
    }
    if (!props.contains("listeners")) {
        c.listener = endpoint{"PLAINTEXT", "0.0.0.0", 9092};
    }
    if (advertised) {
        auto ep = parse_listener(*advertised);
        if (!ep) {
            return config_error{"invalid value '" + *advertised +
                                "' for advertised.listeners: expected PLAINTEXT://host:port"};
        }
        if (ep->host.empty() || ep->host == "0.0.0.0" || ep->host == "::") {
            // Clients connect to what is advertised; a wildcard address reaches no one (Kafka
            // refuses it too).
            return config_error{"advertised.listeners cannot use the wildcard address '" + ep->host +
                                "': advertise a host name or address clients can reach"};
        }
        c.advertised_listener = *ep;
    } else {
        c.advertised_listener = c.listener;
        if (c.advertised_listener.host.empty() || c.advertised_listener.host == "0.0.0.0") {
            c.advertised_listener.host = "127.0.0.1";
        }
    }
    if (c.listener.security_protocol != "PLAINTEXT") {
        return config_error{"only PLAINTEXT listeners are supported, got " + c.listener.security_protocol};
    }
    return c;
}

}  // namespace broker
