#include "coordination/topic_store.h"

#include "coordination/zk_util.h"

#include <boost/asio/post.hpp>

#include <algorithm>
#include <memory>
#include <set>

namespace coordination {

void topic_store::create_topic(const topic_assignment& assignment, const std::map<std::string, std::string>& configs,
                               zk_client::void_callback cb) {
    if (assignment.partitions.empty()) {
        boost::asio::post(zk_.executor(), [cb = std::move(cb)] { cb(errc::invalid_partitions); });
        return;
    }
    auto& zk = zk_;
    std::string name = assignment.name;
    std::string topic_data = znodes::encode_topic_assignment(assignment);
    std::string config_data = znodes::encode_topic_config(configs);
    ensure_paths(zk, {std::string(znodes::topics_path), std::string(znodes::config_topics_path)},
                 [&zk, name, topic_data, config_data, cb = std::move(cb)](std::error_code ec) mutable {
        if (ec) return cb(ec);
        zk.exists(znodes::delete_topic_path(name), {}, [&zk, name, topic_data, config_data, cb = std::move(cb)](std::error_code ec, zk_stat) mutable {
            if (!ec) return cb(errc::topic_marked_for_deletion);
            if (ec != zk_errc::no_node) return cb(ec);
            zk.exists(znodes::topic_path(name), {}, [&zk, name, topic_data, config_data, cb = std::move(cb)](std::error_code ec, zk_stat) mutable {
                if (!ec) return cb(errc::topic_already_exists);
                if (ec != zk_errc::no_node) return cb(ec);
                auto write_topic = [&zk, name, topic_data, cb = std::move(cb)](std::error_code ec) mutable {
                    if (ec) return cb(ec);
                    zk.create(znodes::topic_path(name), topic_data, create_mode::persistent,
                              [cb = std::move(cb)](std::error_code ec, std::string) {
                                  cb(ec == zk_errc::node_exists ? make_error_code(errc::topic_already_exists) : ec);
                              });
                };
                std::string cpath = znodes::config_topic_path(name);
                zk.create(cpath, config_data, create_mode::persistent,
                          [&zk, cpath, config_data, write_topic = std::move(write_topic)](std::error_code ec, std::string) mutable {
                              if (ec == zk_errc::node_exists) {
                                  zk.set(cpath, config_data, -1, [write_topic = std::move(write_topic)](std::error_code ec, zk_stat) mutable {
                                      write_topic(ec);
                                  });
                                  return;
                              }
                              write_topic(ec);
                          });
            });
        });
    });
}

void topic_store::request_delete_topic(const std::string& topic, zk_client::void_callback cb) {
    auto& zk = zk_;
    zk.exists(znodes::topic_path(topic), {}, [&zk, topic, cb = std::move(cb)](std::error_code ec, zk_stat) mutable {
        if (ec == zk_errc::no_node) return cb(errc::unknown_topic);
        if (ec) return cb(ec);
        ensure_paths(zk, {std::string(znodes::delete_topics_path)}, [&zk, topic, cb = std::move(cb)](std::error_code ec) mutable {
            if (ec) return cb(ec);
            zk.create(znodes::delete_topic_path(topic), {}, create_mode::persistent,
                      [cb = std::move(cb)](std::error_code ec, std::string) {
                          cb(ec == zk_errc::node_exists ? std::error_code{} : ec);
                      });
        });
    });
}

namespace {

result<std::map<int32_t, std::vector<int32_t>>> place_new_partitions(const topic_assignment& current,
                                                                     int32_t total,
                                                                     const std::map<int32_t, registered_broker>& brokers,
                                                                     const add_partitions_options& o) {
    const auto existing = static_cast<int32_t>(current.partitions.size());
    if (total <= existing) return errc::partition_count_not_increased;
    const auto to_add = total - existing;
    const std::vector<int32_t>& p0 = current.partitions.begin()->second;
    const auto rf = static_cast<int32_t>(p0.size());
    if (!o.assignment.empty()) {
        // Kafka's validateReplicaAssignment: one entry per new partition, same size as the
        // existing partitions, registered brokers only, no broker twice.
        if (static_cast<int32_t>(o.assignment.size()) != to_add) return errc::invalid_replica_assignment;
        std::map<int32_t, std::vector<int32_t>> out;
        int32_t id = existing;
        for (const auto& replicas : o.assignment) {
            if (static_cast<int32_t>(replicas.size()) != rf) return errc::invalid_replica_assignment;
            std::set<int32_t> seen(replicas.begin(), replicas.end());
            if (seen.size() != replicas.size()) return errc::invalid_replica_assignment;
            for (int32_t b : replicas) {
                if (!brokers.count(b)) return errc::invalid_replica_assignment;
            }
            out.emplace(id++, replicas);
        }
        return out;
    }
    std::vector<broker_info> infos;
    for (const auto& [id, b] : brokers) infos.push_back(b.info);  // sorted by id (map)
    auto it = std::find_if(infos.begin(), infos.end(), [&](const broker_info& b) { return b.id >= p0.front(); });
    assignment_options ao;
    ao.fixed_start_index = it == infos.end() ? 0 : static_cast<int32_t>(it - infos.begin());
    ao.start_partition_id = existing;
    ao.rack_mode = o.rack_mode;
    return assign_replicas(infos, to_add, rf, ao);
}

// Free (not a member) so a call in flight needs only the client, as the other topic_store calls.
void add_partitions_attempt(zk_client& zk, const std::string& topic, int32_t total,
                            std::function<void(result<topic_assignment>)> cb, add_partitions_options options,
                            int attempt) {
    auto ctx = std::make_shared<add_partitions_options>(std::move(options));
    zk.exists(znodes::delete_topic_path(topic), {}, [&zk, topic, total, ctx, attempt, cb = std::move(cb)](std::error_code ec, zk_stat) mutable {
        if (!ec) return cb(errc::topic_marked_for_deletion);
        if (ec != zk_errc::no_node) return cb(ec);
        zk.get(znodes::topic_path(topic), {}, [&zk, topic, total, ctx, attempt, cb = std::move(cb)](std::error_code ec, std::string data, zk_stat st) mutable {
            if (ec == zk_errc::no_node) return cb(errc::unknown_topic);
            if (ec) return cb(ec);
            auto current = znodes::decode_topic_assignment(topic, data);
            if (!current) return cb(current.error());
            if (current.value().partitions.empty()) return cb(errc::malformed_znode);
            read_brokers(zk, {}, [&zk, topic, total, ctx, attempt, version = st.version, current = std::move(current.value()),
                                  cb = std::move(cb)](std::error_code ec, std::map<int32_t, registered_broker> brokers) mutable {
                if (ec) return cb(ec);
                auto added = place_new_partitions(current, total, brokers, *ctx);
                if (!added) return cb(added.error());
                topic_assignment next = current;
                next.partitions.merge(added.value());
                if (ctx->validate_only) return cb(std::move(next));
                std::string encoded = znodes::encode_topic_assignment(next);
                zk.set(znodes::topic_path(topic), encoded, version,
                       [&zk, topic, total, ctx, attempt, next = std::move(next), cb = std::move(cb)](std::error_code ec, zk_stat) mutable {
                    if (ec == zk_errc::bad_version && attempt < 5) {
                        // Someone changed the assignment meanwhile: decide again on the new one.
                        return add_partitions_attempt(zk, topic, total, std::move(cb), std::move(*ctx), attempt + 1);
                    }
                    if (ec == zk_errc::no_node) return cb(errc::unknown_topic);
                    if (ec) return cb(ec);
                    cb(std::move(next));
                });
            });
        });
    });
}

}  // namespace

void topic_store::add_partitions(const std::string& topic, int32_t total_partitions,
                                 std::function<void(result<topic_assignment>)> cb, add_partitions_options options) {
    add_partitions_attempt(zk_, topic, total_partitions, std::move(cb), std::move(options), 1);
}

void topic_store::list_topics(zk_client::children_callback cb) {
    zk_.get_children(std::string(znodes::topics_path), {}, [cb = std::move(cb)](std::error_code ec, std::vector<std::string> kids) {
        if (ec == zk_errc::no_node) return cb({}, {});
        std::sort(kids.begin(), kids.end());
        cb(ec, std::move(kids));
    });
}

void topic_store::get_assignment(const std::string& topic, std::function<void(result<topic_assignment>)> cb) {
    zk_.get(znodes::topic_path(topic), {}, [topic, cb = std::move(cb)](std::error_code ec, std::string data, zk_stat) {
        if (ec == zk_errc::no_node) return cb(errc::unknown_topic);
        if (ec) return cb(ec);
        cb(znodes::decode_topic_assignment(topic, data));
    });
}

void topic_store::get_config(const std::string& topic,
                             std::function<void(result<std::map<std::string, std::string>>)> cb) {
    zk_.get(znodes::config_topic_path(topic), {}, [cb = std::move(cb)](std::error_code ec, std::string data, zk_stat) {
        if (ec == zk_errc::no_node) return cb(std::map<std::string, std::string>{});
        if (ec) return cb(ec);
        cb(znodes::decode_topic_config(data));
    });
}

void topic_store::get_config_versioned(const std::string& topic, std::function<void(result<versioned_config>)> cb) {
    auto& zk = zk_;
    zk.exists(znodes::topic_path(topic), {}, [&zk, topic, cb = std::move(cb)](std::error_code ec, zk_stat) mutable {
        if (ec == zk_errc::no_node) return cb(errc::unknown_topic);
        if (ec) return cb(ec);
        zk.get(znodes::config_topic_path(topic), {}, [cb = std::move(cb)](std::error_code ec, std::string data, zk_stat st) {
            if (ec == zk_errc::no_node) return cb(versioned_config{});
            if (ec) return cb(ec);
            auto configs = znodes::decode_topic_config(data);
            if (!configs) return cb(configs.error());
            cb(versioned_config{std::move(configs.value()), st.version});
        });
    });
}

void topic_store::change_config(const std::string& topic, const std::map<std::string, std::string>& configs,
                                zk_client::void_callback cb, int32_t expected_version) {
    auto& zk = zk_;
    std::string data = znodes::encode_topic_config(configs);
    zk.exists(znodes::topic_path(topic), {}, [&zk, topic, data, expected_version, cb = std::move(cb)](std::error_code ec, zk_stat) mutable {
        if (ec == zk_errc::no_node) return cb(errc::unknown_topic);
        if (ec) return cb(ec);
        zk.exists(znodes::config_topic_path(topic), {}, [&zk, topic, data, expected_version, cb = std::move(cb)](std::error_code ec, zk_stat) mutable {
            if (ec && ec != zk_errc::no_node) return cb(ec);
            const bool exists = !ec;
            std::vector<zk_op> ops;
            std::string path = znodes::config_topic_path(topic);
            ops.push_back(exists ? zk_op::set(path, data, expected_version) : zk_op::create(path, data));
            ops.push_back(zk_op::create(std::string(znodes::config_changes_path) + "/" +
                                            std::string(znodes::config_change_prefix),
                                        znodes::encode_config_change({"topics", topic}),
                                        create_mode::persistent_sequential));
            ensure_paths(zk, {std::string(znodes::config_topics_path), std::string(znodes::config_changes_path)},
                         [&zk, ops = std::move(ops), cb = std::move(cb)](std::error_code ec) mutable {
                if (ec) return cb(ec);
                zk.multi(std::move(ops), [cb = std::move(cb)](std::error_code ec, std::vector<zk_op_result>) { cb(ec); });
            });
        });
    });
}

void topic_store::update_isr(const partition_key& key, const partition_state& state,
                             std::function<void(result<int32_t>)> cb) {
    std::vector<zk_op> ops;
    ops.push_back(zk_op::set(znodes::partition_state_path(key.topic, key.partition),
                             znodes::encode_partition_state(state), state.zk_version));
    // Same body as a preferred election request: {"version":1,"partitions":[{topic, partition}]}.
    ops.push_back(zk_op::create(std::string(znodes::isr_change_notification_path) + "/isr_change_",
                                znodes::encode_preferred_replica_election({key}), create_mode::persistent_sequential));
    zk_.multi(std::move(ops), [cb = std::move(cb)](std::error_code ec, std::vector<zk_op_result> results) {
        if (ec) return cb(ec);
        cb(results.at(0).stat.version);
    });
}

void topic_store::live_brokers(std::function<void(result<std::vector<broker_info>>)> cb) {
    read_brokers(zk_, {}, [cb = std::move(cb)](std::error_code ec, std::map<int32_t, registered_broker> brokers) {
        if (ec) return cb(ec);
        std::vector<broker_info> out;
        for (auto& [id, b] : brokers) out.push_back(std::move(b.info));
        cb(std::move(out));
    });
}

}  // namespace coordination
