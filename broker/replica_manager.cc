#include "broker/replica_manager.h"

#include <algorithm>

#include <spdlog/spdlog.h>

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

protocol::error_code replica_manager::become_leader_or_follower(const std::string& topic, int32_t index,
                                                                const std::vector<int32_t>& replicas,
                                                                int32_t leader, int32_t leader_epoch) {
    if (std::find(replicas.begin(), replicas.end(), cfg_.broker_id) == replicas.end()) {
        return protocol::error_code::unknown_topic_or_partition;
    }
    auto part = get(topic, index);
    if (!part) {
        storage::log_config log_cfg;
        log_cfg.segment_bytes = cfg_.log_segment_bytes;
        log_cfg.index_interval_bytes = cfg_.log_index_interval_bytes;
        log_cfg.max_batch_bytes = static_cast<uint32_t>(cfg_.message_max_bytes);
        auto log = logs_.get_or_create(topic, index, log_cfg);
        if (!log) {
            spdlog::error("cannot open log for {}-{}: {}", topic, index, log.error().message());
            return protocol::error_code::kafka_storage_error;
        }
        std::unique_lock lock(mutex_);
        auto& slot = partitions_[key{topic, index}];
        if (!slot) {
            slot = std::make_shared<partition>(topic, index, log.value());
        }
        part = slot;
    }
    bool lead = leader == cfg_.broker_id;
    if (leader_epoch < part->leader_epoch()) {
        spdlog::warn("{}-{}: ignoring leader epoch {} older than the current {}", topic, index, leader_epoch,
                     part->leader_epoch());
        return protocol::error_code::stale_controller_epoch;
    }
    if (lead != part->is_leader() || leader_epoch != part->leader_epoch()) {
        spdlog::info("{}-{}: {} at leader epoch {} (leader {})", topic, index, lead ? "leader" : "follower",
                     leader_epoch, leader);
        part->set_role(lead, leader_epoch);
    }
    return protocol::error_code::none;
}

protocol::error_code replica_manager::stop_replica(const std::string& topic, int32_t index, bool delete_log) {
    std::shared_ptr<partition> part;
    {
        std::unique_lock lock(mutex_);
        auto it = partitions_.find(key{topic, index});
        if (it != partitions_.end()) {
            part = it->second;
            partitions_.erase(it);
        }
    }
    if (part) {
        part->detach();
    }
    if (!delete_log) {
        return protocol::error_code::none;
    }
    if (!part && logs_.get(topic, index) == nullptr) {
        return protocol::error_code::none;
    }
    if (auto r = logs_.remove(topic, index); !r) {
        spdlog::error("cannot delete log of {}-{}: {}", topic, index, r.error().message());
        return protocol::error_code::kafka_storage_error;
    }
    spdlog::info("deleted log of {}-{}", topic, index);
    return protocol::error_code::none;
}

std::vector<std::pair<std::string, int32_t>> replica_manager::unclaimed_logs() const {
    std::vector<std::pair<std::string, int32_t>> out;
    for (const auto& [topic, index] : logs_.partitions()) {
        if (!get(topic, index)) {
            out.emplace_back(topic, index);
        }
    }
    return out;
}

}  // namespace broker
