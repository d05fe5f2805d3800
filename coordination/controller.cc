#include "coordination/controller.h"

#include "coordination/zk_util.h"

#include <boost/asio/post.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>

namespace coordination {

std::shared_ptr<controller> controller::make(zk_client& zk, int32_t broker_id, controller_options options) {
    return std::shared_ptr<controller>(new controller(zk, broker_id, options));
}

std::optional<partition_state> controller::state(const std::string& topic, int32_t partition) const {
    auto t = topics_.find(topic);
    if (t == topics_.end()) return std::nullopt;
    auto p = t->second.partitions.find(partition);
    if (p == t->second.partitions.end()) return std::nullopt;
    return p->second.state;
}

controller::partition_entry* controller::find(const std::string& topic, int32_t p, uint64_t gen) {
    auto t = topics_.find(topic);
    if (t == topics_.end() || t->second.generation != gen || t->second.deleting) return nullptr;
    auto it = t->second.partitions.find(p);
    return it == t->second.partitions.end() ? nullptr : &it->second;
}

void controller::start() {
    running_ = true;
    auto self = shared_from_this();
    ensure_paths(zk_, znodes::persistent_paths(), [self](std::error_code ec) {
        if (ec) spdlog::warn("controller: creating persistent paths: {}", ec.message());
        // Brokers first: initial leaders need the live set.
        self->watch_brokers();
    });
}

void controller::fenced() {
    if (!running_) return;
    spdlog::warn("controller {}: /controller_epoch moved on, epoch {} is fenced; stopping", broker_id_,
                 opts_.controller_epoch);
    running_ = false;
    if (on_fenced_) on_fenced_(errc::not_controller);
}

void controller::watch_brokers() {
    if (!running_) return;
    std::weak_ptr<controller> weak = shared_from_this();
    zk_.get_children(std::string(znodes::broker_ids_path),
                     [weak](const watch_event&) { if (auto s = weak.lock()) s->watch_brokers(); },
                     [weak](std::error_code ec, std::vector<std::string> kids) {
        auto self = weak.lock();
        if (!self || !self->running_) return;
        if (ec) {
            spdlog::warn("controller: reading broker ids: {}", ec.message());
            return;
        }
        std::set<int32_t> live;
        for (const auto& k : kids) {
            try {
                live.insert(std::stoi(k));
            } catch (...) {
                spdlog::warn("controller: ignoring broker znode '{}'", k);
            }
        }
        bool first = !self->brokers_loaded_;
        bool changed = live != self->live_;
        self->live_ = std::move(live);
        self->brokers_loaded_ = true;
        if (first) {
            self->watch_topics();
            self->watch_deletions();
        } else if (changed) {
            self->reconsider_all();
        }
    });
}

void controller::watch_topics() {
    if (!running_) return;
    std::weak_ptr<controller> weak = shared_from_this();
    zk_.get_children(std::string(znodes::topics_path),
                     [weak](const watch_event&) { if (auto s = weak.lock()) s->watch_topics(); },
                     [weak](std::error_code ec, std::vector<std::string> kids) {
        auto self = weak.lock();
        if (!self || !self->running_) return;
        if (ec) {
            spdlog::warn("controller: reading topics: {}", ec.message());
            return;
        }
        std::set<std::string> now(kids.begin(), kids.end());
        for (auto it = self->topics_.begin(); it != self->topics_.end();) {
            it = now.count(it->first) ? std::next(it) : self->topics_.erase(it);
        }
        for (const auto& t : now) {
            if (self->topics_.count(t)) continue;
            auto& e = self->topics_[t];
            e.generation = self->next_generation_++;
            e.deleting = self->deleting_.count(t) != 0;
            if (!e.deleting) self->read_topic(t, e.generation);
        }
    });
}

void controller::read_topic(const std::string& topic, uint64_t gen) {
    if (!running_) return;
    std::weak_ptr<controller> weak = shared_from_this();
    // The data watch catches partitions added to an existing topic.
    zk_.get(znodes::topic_path(topic),
            [weak, topic, gen](const watch_event& e) {
                auto s = weak.lock();
                if (s && e.type == watch_event_type::changed) s->read_topic(topic, gen);
            },
            [weak, topic, gen](std::error_code ec, std::string data, zk_stat) {
        auto self = weak.lock();
        if (!self || !self->running_) return;
        auto t = self->topics_.find(topic);
        if (t == self->topics_.end() || t->second.generation != gen || t->second.deleting) return;
        if (ec) {
            if (ec != zk_errc::no_node) spdlog::warn("controller: reading topic {}: {}", topic, ec.message());
            return;
        }
        auto a = znodes::decode_topic_assignment(topic, data);
        if (!a) {
            spdlog::error("controller: malformed assignment for topic {}: {}", topic, data);
            return;
        }
        for (auto& [p, replicas] : a.value().partitions) {
            auto [it, fresh] = t->second.partitions.try_emplace(p);
            it->second.replicas = replicas;
            if (fresh) self->load_state(topic, p, gen);
        }
    });
}

void controller::load_state(const std::string& topic, int32_t p, uint64_t gen) {
    auto* pe = find(topic, p, gen);
    if (!pe || !running_) return;
    pe->busy = true;
    auto self = shared_from_this();
    zk_.get(znodes::partition_state_path(topic, p), {}, [self, topic, p, gen](std::error_code ec, std::string data, zk_stat st) {
        auto* pe = self->find(topic, p, gen);
        if (!pe || !self->running_) return;
        pe->busy = false;
        if (ec == zk_errc::no_node) return self->create_initial_state(topic, p, gen);
        if (ec) {
            spdlog::warn("controller: reading state of {}-{}: {}", topic, p, ec.message());
            return;
        }
        auto s = znodes::decode_partition_state(data, st.version);
        if (!s) {
            spdlog::error("controller: malformed state of {}-{}: {}", topic, p, data);
            return;
        }
        pe->state = s.value();
        self->reconsider(topic, p, gen);
    });
}

void controller::create_initial_state(const std::string& topic, int32_t p, uint64_t gen) {
    auto* pe = find(topic, p, gen);
    if (!pe || pe->busy) return;
    partition_state s;
    for (int32_t r : pe->replicas) {
        if (live_.count(r)) s.isr.push_back(r);
    }
    if (s.isr.empty()) {
        // Kafka leaves such a partition in NewPartition; a broker coming up retries it.
        spdlog::warn("controller: no live replica for new partition {}-{}", topic, p);
        return;
    }
    s.leader = s.isr.front();
    s.leader_epoch = 0;
    s.controller_epoch = opts_.controller_epoch;
    // Parents first; one session applies these in order, so they can all be in flight together.
    zk_.create(znodes::topic_partitions_path(topic), {}, create_mode::persistent, [](std::error_code, std::string) {});
    zk_.create(znodes::partition_path(topic, p), {}, create_mode::persistent, [](std::error_code, std::string) {});
    write_state(topic, p, gen, std::move(s), true);
}

void controller::reconsider_all() {
    for (auto& [topic, t] : topics_) {
        if (t.deleting) continue;
        for (auto& [p, pe] : t.partitions) {
            if (pe.busy) continue;
            if (pe.state) {
                reconsider(topic, p, t.generation);
            } else {
                create_initial_state(topic, p, t.generation);
            }
        }
    }
}

void controller::reconsider(const std::string& topic, int32_t p, uint64_t gen) {
    auto* pe = find(topic, p, gen);
    if (!pe || pe->busy || !pe->state) return;
    const partition_state& cur = *pe->state;
    auto alive = [&](int32_t b) { return live_.count(b) != 0; };
    std::vector<int32_t> live_isr;
    std::copy_if(cur.isr.begin(), cur.isr.end(), std::back_inserter(live_isr), alive);
    bool leader_alive = cur.leader >= 0 && alive(cur.leader);
    if (leader_alive && live_isr == cur.isr) return;

    partition_state next = cur;
    next.controller_epoch = opts_.controller_epoch;
    next.leader_epoch = cur.leader_epoch + 1;
    if (leader_alive) {
        next.isr = live_isr;  // only followers died: they leave the ISR
    } else {
        // Offline leader election: first replica in assignment order that is alive and in the ISR.
        auto in_isr = [&](int32_t b) { return std::find(cur.isr.begin(), cur.isr.end(), b) != cur.isr.end(); };
        auto it = std::find_if(pe->replicas.begin(), pe->replicas.end(), [&](int32_t r) { return alive(r) && in_isr(r); });
        if (it != pe->replicas.end()) {
            next.leader = *it;
            next.isr = live_isr;
        } else if (opts_.unclean_leader_election &&
                   (it = std::find_if(pe->replicas.begin(), pe->replicas.end(), alive)) != pe->replicas.end()) {
            spdlog::warn("controller: unclean leader election for {}-{}: {} (data loss possible)", topic, p, *it);
            next.leader = *it;
            next.isr = {*it};
        } else {
            if (cur.leader == -1) return;  // already offline, nothing new
            next.leader = -1;
            // Keep the last ISR so a returning member can be elected cleanly.
            next.isr = live_isr.empty() ? cur.isr : live_isr;
        }
    }
    write_state(topic, p, gen, std::move(next), false);
}

void controller::write_state(const std::string& topic, int32_t p, uint64_t gen, partition_state next, bool create) {
    auto* pe = find(topic, p, gen);
    if (!pe || !running_) return;
    pe->busy = true;
    std::string path = znodes::partition_state_path(topic, p);
    std::string data = znodes::encode_partition_state(next);
    std::vector<zk_op> ops;
    bool fence = opts_.epoch_zk_version >= 0;
    if (fence) ops.push_back(zk_op::check(std::string(znodes::controller_epoch_path), opts_.epoch_zk_version));
    ops.push_back(create ? zk_op::create(path, data) : zk_op::set(path, data, next.zk_version));
    auto self = shared_from_this();
    zk_.multi(std::move(ops), [self, topic, p, gen, next, fence, create](std::error_code ec, std::vector<zk_op_result> res) mutable {
        if (!self->running_) return;
        if (fence && !res.empty() && res[0].ec == zk_errc::bad_version) return self->fenced();
        auto* pe = self->find(topic, p, gen);
        if (!pe) return;
        pe->busy = false;
        if (ec == zk_errc::bad_version || ec == zk_errc::node_exists) {
            // Someone (a leader shrinking its ISR, a racing create) wrote first: re-read, decide again.
            return self->load_state(topic, p, gen);
        }
        if (ec) {
            spdlog::warn("controller: writing state of {}-{}: {}", topic, p, ec.message());
            return;
        }
        next.zk_version = create ? 0 : res.back().stat.version;
        pe->state = next;
        spdlog::debug("controller: {}-{} leader {} epoch {} isr [{}]", topic, p, next.leader, next.leader_epoch,
                     fmt::join(next.isr, ","));
        if (self->on_state_) self->on_state_(topic, p, next);
        // The live set may have moved while the write was in flight.
        self->reconsider(topic, p, gen);
    });
}

void controller::watch_deletions() {
    if (!running_) return;
    std::weak_ptr<controller> weak = shared_from_this();
    zk_.get_children(std::string(znodes::delete_topics_path),
                     [weak](const watch_event&) { if (auto s = weak.lock()) s->watch_deletions(); },
                     [weak](std::error_code ec, std::vector<std::string> kids) {
        auto self = weak.lock();
        if (!self || !self->running_) return;
        if (ec) {
            spdlog::warn("controller: reading delete requests: {}", ec.message());
            return;
        }
        for (const auto& t : kids) {
            if (self->deleting_.count(t)) continue;
            self->delete_topic(t);
        }
    });
}

void controller::delete_topic(const std::string& topic, int attempt) {
    auto self = shared_from_this();
    std::string request = znodes::delete_topic_path(topic);
    if (!opts_.delete_topic_enable) {
        spdlog::warn("controller: delete.topic.enable=false, ignoring deletion of {}", topic);
        zk_.remove(request, -1, [](std::error_code) {});
        return;
    }
    deleting_.insert(topic);
    if (auto t = topics_.find(topic); t != topics_.end()) t->second.deleting = true;
    delete_recursive(zk_, znodes::topic_path(topic), [self, topic, request, attempt](std::error_code ec) {
        if (!self->running_) return;
        if (ec) {
            // not_empty: a state create that was already in flight landed under the topic; go again.
            spdlog::warn("controller: deleting topic {} (attempt {}): {}", topic, attempt, ec.message());
            self->deleting_.erase(topic);
            if (attempt < 5 && !is_session_error(ec)) self->delete_topic(topic, attempt + 1);
            return;
        }
        delete_recursive(self->zk_, znodes::config_topic_path(topic), [self, topic, request](std::error_code ec) {
            if (ec) spdlog::warn("controller: deleting config of {}: {}", topic, ec.message());
            self->zk_.remove(request, -1, [self, topic](std::error_code ec) {
                self->deleting_.erase(topic);
                self->topics_.erase(topic);
                if (ec && ec != zk_errc::no_node) {
                    spdlog::warn("controller: removing delete request for {}: {}", topic, ec.message());
                    return;
                }
                spdlog::info("controller: deleted topic {}", topic);
                if (self->on_deleted_) self->on_deleted_(topic);
            });
        });
    });
}

}  // namespace coordination
