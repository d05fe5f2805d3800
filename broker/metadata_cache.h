#pragma once

#include <memory>
#include <mutex>

#include "coordination/cluster_watcher.h"

namespace broker {

/// The broker's view of the cluster (brokers, controller, topics, partition leaders), replaced as
/// a whole whenever ZooKeeper reports a change. Handlers take a snapshot pointer and read it
/// without locks; the data path never waits on ZooKeeper. Any thread.
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
    }

private:
    mutable std::mutex mutex_;
    std::shared_ptr<const coordination::cluster_snapshot> snapshot_;
};

}  // namespace broker
