#include "broker/topic_admin.h"

#include <algorithm>
#include <set>

#include <spdlog/spdlog.h>

#include "broker/error_mapping.h"
#include "broker/handlers/handlers.h"
#include "broker/metadata_cache.h"
#include "coordination/replica_assignment.h"
#include "coordination/topic_store.h"

namespace broker {
namespace asio = boost::asio;

namespace {
constexpr size_t max_topic_name_length = 249;
constexpr std::chrono::milliseconds metadata_poll{10};

bool all_partitions_led(const coordination::cluster_snapshot& s, const std::string& topic, int32_t partitions) {
    auto t = s.topics.find(topic);
    if (t == s.topics.end() || static_cast<int32_t>(t->second.partitions.size()) < partitions) {
        return false;
    }
    return std::all_of(t->second.partitions.begin(), t->second.partitions.end(),
                       [](const auto& p) { return p.second.state && p.second.state->leader >= 0; });
}
}  // namespace

std::optional<std::string> check_topic_name(const std::string& name) {
    if (name.empty()) {
        return "Topic name is illegal, it can't be empty";
    }
    if (name == "." || name == "..") {
        return "Topic name cannot be \".\" or \"..\"";
    }
    if (name.size() > max_topic_name_length) {
        return "Topic name is illegal, it can't be longer than 249 characters, topic name: " + name;
    }
    for (char c : name) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                  c == '_' || c == '-';
        if (!ok) {
            return "Topic name \"" + name +
                   "\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'";
        }
    }
    return std::nullopt;
}

asio::awaitable<topic_admin_result> topic_admin::create(const create_spec& spec, bool validate_only,
                                                        std::chrono::milliseconds wait) {
    using protocol::error_code;
    if (auto bad = check_topic_name(spec.name)) {
        co_return topic_admin_result{error_code::invalid_topic_exception, *bad};
    }
    auto snapshot = ctx_.metadata.get();
    if (snapshot->topics.contains(spec.name)) {
        co_return topic_admin_result{error_code::topic_already_exists,
                                     "Topic '" + spec.name + "' already exists."};
    }
    // Live brokers from ZooKeeper itself: the metadata cache may not yet know a broker that just
    // registered (its UpdateMetadata is on the way).
    using brokers_result = coordination::result<std::vector<coordination::broker_info>>;
    completion_starter<brokers_result> read = [&](std::function<void(brokers_result)> done) {
        ctx_.topics.live_brokers(std::move(done));
    };
    auto registered = co_await await_completion<brokers_result>(read);
    if (!registered) {
        co_return topic_admin_result{to_kafka_error(registered.error()), registered.error().message()};
    }
    const std::vector<coordination::broker_info>& live = registered.value();
    std::set<int32_t> live_ids;
    for (const auto& b : live) {
        live_ids.insert(b.id);
    }

    coordination::topic_assignment assignment;
    assignment.name = spec.name;
    if (!spec.assignment.empty()) {
        if (spec.partitions != -1 || spec.replication_factor != -1) {
            co_return topic_admin_result{error_code::invalid_request,
                                         "Both numPartitions or replicationFactor and replicasAssignments were set. "
                                         "Both cannot be used at the same time."};
        }
        int32_t expected = 0;
        for (const auto& [p, replicas] : spec.assignment) {
            if (p != expected++) {
                co_return topic_admin_result{error_code::invalid_replica_assignment,
                                             "Partitions should be a consecutive 0-based integer sequence"};
            }
            std::vector<int32_t> sorted = replicas;
            std::sort(sorted.begin(), sorted.end());
            if (replicas.empty() || std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
                co_return topic_admin_result{error_code::invalid_replica_assignment,
                                             "Duplicate or empty replica assignment for partition " +
                                                 std::to_string(p)};
            }
            for (int32_t b : replicas) {
                if (!live_ids.contains(b)) {
                    co_return topic_admin_result{error_code::invalid_replica_assignment,
                                                 "Unknown broker " + std::to_string(b) + " in replica assignment"};
                }
            }
        }
        assignment.partitions = spec.assignment;
    } else {
        int32_t partitions = spec.partitions == -1 ? ctx_.cfg.num_partitions : spec.partitions;
        int32_t rf = spec.replication_factor == -1 ? ctx_.cfg.default_replication_factor : spec.replication_factor;
        if (partitions < 1) {
            co_return topic_admin_result{error_code::invalid_partitions, "Number of partitions must be larger than 0."};
        }
        if (rf < 1) {
            co_return topic_admin_result{error_code::invalid_replication_factor,
                                         "Replication factor must be larger than 0."};
        }
        if (rf > static_cast<int32_t>(live.size())) {
            co_return topic_admin_result{error_code::invalid_replication_factor,
                                         "Replication factor: " + std::to_string(rf) +
                                             " larger than available brokers: " + std::to_string(live.size()) + "."};
        }
        // Rack-aware when the brokers have broker.rack (Kafka's placement).
        auto placed = coordination::assign_replicas(live, partitions, rf);
        if (!placed) {
            co_return topic_admin_result{error_code::invalid_replication_factor, placed.error().message()};
        }
        assignment.partitions = std::move(placed.value());
    }
    if (validate_only) {
        co_return topic_admin_result{};
    }

    completion_starter<std::error_code> write = [&](std::function<void(std::error_code)> done) {
        ctx_.topics.create_topic(assignment, spec.configs, std::move(done));
    };
    auto ec = co_await await_completion<std::error_code>(write);
    if (ec) {
        auto code = to_kafka_error(ec);
        if (code == error_code::topic_already_exists) {
            co_return topic_admin_result{code, "Topic '" + spec.name + "' already exists."};
        }
        co_return topic_admin_result{code, ec.message()};
    }
    spdlog::info("created topic {} with {} partitions", spec.name, assignment.partitions.size());

    // Like Kafka, answer once the new partitions have leaders (bounded by the request timeout), so
    // a client that describes or produces right after sees a usable topic.
    co_await wait_until_led(spec.name, static_cast<int32_t>(assignment.partitions.size()), wait);
    co_return topic_admin_result{};
}

asio::awaitable<void> topic_admin::wait_until_led(const std::string& topic, int32_t partitions,
                                                  std::chrono::milliseconds wait) {
    auto deadline = std::chrono::steady_clock::now() + wait;
    while (!all_partitions_led(*ctx_.metadata.get(), topic, partitions) && std::chrono::steady_clock::now() < deadline) {
        co_await sleep_for(metadata_poll);
    }
}

asio::awaitable<topic_admin_result> topic_admin::remove(const std::string& name, std::chrono::milliseconds wait) {
    using protocol::error_code;
    if (!ctx_.cfg.delete_topic_enable) {
        co_return topic_admin_result{error_code::topic_deletion_disabled, "Topic deletion is disabled."};
    }
    if (!ctx_.metadata.get()->topics.contains(name)) {
        co_return topic_admin_result{error_code::unknown_topic_or_partition,
                                     "This server does not host this topic-partition."};
    }
    completion_starter<std::error_code> request = [&](std::function<void(std::error_code)> done) {
        ctx_.topics.request_delete_topic(name, std::move(done));
    };
    auto ec = co_await await_completion<std::error_code>(request);
    if (ec) {
        co_return topic_admin_result{to_kafka_error(ec), ec.message()};
    }
    spdlog::info("deletion of topic {} requested", name);
    auto deadline = std::chrono::steady_clock::now() + wait;
    while (ctx_.metadata.get()->topics.contains(name) && std::chrono::steady_clock::now() < deadline) {
        co_await sleep_for(metadata_poll);
    }
    co_return topic_admin_result{};
}

}  // namespace broker
