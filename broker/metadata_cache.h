#pragma once

#include <memory>
#include <mutex>

#include "coordination/cluster_watcher.h"

namespace broker {

/// The broker's view of the cluster (brokers, controller, topics, partition leaders), replaced as
/// a whole by each UpdateMetadata from the controller. Handlers take a snapshot pointer and read it
/// without locks; the data path never waits on ZooKeeper or the controller. Any thread.
///
/// It also remembers the highest controller epoch seen: requests from an older controller (one
/// that lost its ZooKeeper session but does not know yet) are refused.
class metadata_cache {
public:
    metadata_cache() : snapshot_(std::make_shared<coordination::cluster_snapshot>()) {}

    std::shared_ptr<const coordination::cluster_snapshot> get() const {
        std::lock_guard lock(mutex_);
        return snapshot_;
    }
    void update(std::shared_ptr<const coordination::cluster_snapshot> s) {
        std::lock_guard lock(mutex_);
        snapshot_ = std::move(s);
        ready_ = true;
    }
    /// Before the first UpdateMetadata: the cluster id from ZooKeeper (UpdateMetadata does not carry it).
    void set_cluster_id(std::string id) {
        std::lock_guard lock(mutex_);
        auto s = std::make_shared<coordination::cluster_snapshot>(*snapshot_);
        s->cluster_id = std::move(id);
        snapshot_ = std::move(s);
    }
    /// True once the controller has sent this broker its first UpdateMetadata.
    bool ready() const {
        std::lock_guard lock(mutex_);
        return ready_;
    }

    /// Records `epoch` if it is not older than the newest seen; false for a stale controller.
    bool accept_controller_epoch(int32_t epoch) {
        std::lock_guard lock(mutex_);
        if (epoch < controller_epoch_) {
            return false;
        }
        controller_epoch_ = epoch;
        return true;
    }
    int32_t controller_epoch() const {
        std::lock_guard lock(mutex_);
        return controller_epoch_;
    }

private:
    mutable std::mutex mutex_;
    std::shared_ptr<const coordination::cluster_snapshot> snapshot_;
    bool ready_ = false;
    int32_t controller_epoch_ = 0;
};

}  // namespace broker
