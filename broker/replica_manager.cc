#include "broker/replica_manager.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "coordination/cluster_watcher.h"
#include "storage/log_manager.h"

namespace broker {

replica_manager::replica_manager(storage::log_manager& logs, const config& cfg) : logs_(logs), cfg_(cfg) {}

std::shared_ptr<partition> replica_manager::get(const std::string& topic, int32_t index) const {
    std::shared_lock lock(mutex_);
    auto it = partitions_.find(key{topic, index});
    return it == partitions_.end() ? nullptr : it->second;
}

size_t replica_manager::partition_count() const {
    std::shared_lock lock(mutex_);
    return partitions_.size();
}

void replica_manager::apply(const coordination::cluster_snapshot& snapshot) {
    storage::log_config log_cfg;
    log_cfg.segment_bytes = cfg_.log_segment_bytes;
    log_cfg.index_interval_bytes = cfg_.log_index_interval_bytes;
    log_cfg.max_batch_bytes = static_cast<uint32_t>(cfg_.message_max_bytes);

    for (const auto& [name, topic] : snapshot.topics) {
        for (const auto& [index, p] : topic.partitions) {
            bool hosted = std::find(p.replicas.begin(), p.replicas.end(), cfg_.broker_id) != p.replicas.end();
            if (!hosted) {
                continue;
            }
            auto part = get(name, index);
            if (!part) {
                auto log = logs_.get_or_create(name, index, log_cfg);
                if (!log) {
                    spdlog::error("cannot open log for {}-{}: {}", name, index, log.error().message());
                    continue;
                }
                part = std::make_shared<partition>(name, index, log.value());
                std::unique_lock lock(mutex_);
                partitions_[key{name, index}] = part;
            }
            bool leader = p.state && p.state->leader == cfg_.broker_id;
            int32_t epoch = p.state ? p.state->leader_epoch : 0;
            if (leader != part->is_leader() || epoch != part->leader_epoch()) {
                spdlog::info("{}-{}: {} at leader epoch {}", name, index, leader ? "leader" : "follower", epoch);
                part->set_role(leader, epoch);
            }
        }
    }

    // Replicas of deleted topics (and partitions reassigned away) are dropped and their logs deleted.
    std::vector<std::shared_ptr<partition>> removed;
    {
        std::unique_lock lock(mutex_);
        for (auto it = partitions_.begin(); it != partitions_.end();) {
            const auto& [topic, index] = it->first;
            auto t = snapshot.topics.find(topic);
            bool still_assigned = false;
            if (t != snapshot.topics.end()) {
                auto p = t->second.partitions.find(index);
                still_assigned = p != t->second.partitions.end() &&
                                 std::find(p->second.replicas.begin(), p->second.replicas.end(), cfg_.broker_id) !=
                                     p->second.replicas.end();
            }
            if (!still_assigned) {
                removed.push_back(it->second);
                it = partitions_.erase(it);
            } else {
                ++it;
            }
        }
    }
    for (auto& part : removed) {
        part->detach();
        if (auto r = logs_.remove(part->topic(), part->index()); !r) {
            spdlog::error("cannot delete log of {}-{}: {}", part->topic(), part->index(), r.error().message());
        } else {
            spdlog::info("deleted log of {}-{}", part->topic(), part->index());
        }
    }

    if (first_snapshot_) {
        // Logs on disk that ZooKeeper does not know: keep the bytes, tell the operator.
        for (const auto& [topic, index] : logs_.partitions()) {
            if (!get(topic, index)) {
                spdlog::warn("log {}-{} on disk belongs to no topic in ZooKeeper; leaving it untouched", topic,
                             index);
            }
        }
        first_snapshot_ = false;
    }
}

}  // namespace broker
