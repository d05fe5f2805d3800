#include "coordination/cluster_watcher.h"

#include "coordination/zk_util.h"

#include <spdlog/spdlog.h>

#include <set>

namespace coordination {

std::shared_ptr<cluster_watcher> cluster_watcher::make(zk_client& zk) {
    std::shared_ptr<cluster_watcher> w(new cluster_watcher(zk));
    std::weak_ptr<cluster_watcher> weak = w;
    w->listener_ = zk.add_session_listener([weak](const session_event& e) {
        if (auto s = weak.lock()) s->on_session(e);
    });
    return w;
}

cluster_watcher::~cluster_watcher() { zk_.remove_session_listener(listener_); }

void cluster_watcher::start() {
    running_ = true;
    session_ = zk_.session_id();
    auto self = shared_from_this();
    begin();
    ensure_paths(zk_, znodes::persistent_paths(), [self](std::error_code ec) {
        if (ec) self->failed(ec, "creating persistent paths");
        self->resync();
        self->end(false);
    });
}

void cluster_watcher::end(bool changed) {
    dirty_ = dirty_ || changed;
    if (--inflight_ > 0 || !dirty_ || !running_) return;
    dirty_ = false;
    current_ = std::make_shared<const cluster_snapshot>(work_);
    ++updates_;
    if (on_update_) on_update_(current_);
}

void cluster_watcher::failed(std::error_code ec, const char* what) {
    // After a connection loss the watch for this read may be missing: re-read everything once
    // the session is back (a same-session reconnect keeps the other watches).
    need_resync_ = true;
    if (!is_session_error(ec)) spdlog::warn("cluster watcher: {}: {}", what, ec.message());
}

void cluster_watcher::on_session(const session_event& e) {
    if (!running_ || e.state != session_state::connected) return;
    if (e.session_id != session_ || need_resync_) {
        session_ = e.session_id;
        begin();
        resync();
        end(true);
    }
}

void cluster_watcher::resync() {
    need_resync_ = false;
    ++epoch_;
    broker_gen_.clear();
    topic_gen_.clear();
    work_.brokers.clear();
    work_.topics.clear();
    dirty_ = true;
    read_cluster_id();
    read_controller();
    read_brokers();
    read_topics();
}

bool cluster_watcher::topic_current(const std::string& topic, uint64_t gen) const {
    auto it = topic_gen_.find(topic);
    return running_ && it != topic_gen_.end() && it->second == gen;
}

void cluster_watcher::read_cluster_id() {
    auto self = shared_from_this();
    begin();
    zk_.get(std::string(znodes::cluster_id_path), {}, [self, ep = epoch_](std::error_code ec, std::string data, zk_stat) {
        if (ep != self->epoch_) return self->end(false);
        if (ec == zk_errc::no_node) {
            // Not created yet (the first broker is still starting): learn it when it appears.
            std::weak_ptr<cluster_watcher> weak = self;
            self->begin();
            self->zk_.exists(std::string(znodes::cluster_id_path), [weak, ep](const watch_event&) {
                auto s = weak.lock();
                if (s && s->running_ && ep == s->epoch_) s->read_cluster_id();
            }, [self](std::error_code ec, zk_stat) {
                if (!ec) self->read_cluster_id();  // created in between
                self->end(false);
            });
            return self->end(false);
        }
        if (ec) {
            self->failed(ec, "reading cluster id");
            return self->end(false);
        }
        auto id = znodes::decode_cluster_id(data);
        bool changed = id && id.value() != self->work_.cluster_id;
        if (changed) self->work_.cluster_id = id.value();
        self->end(changed);
    });
}

void cluster_watcher::read_controller() {
    auto self = shared_from_this();
    std::weak_ptr<cluster_watcher> weak = self;
    begin();
    zk_.exists(std::string(znodes::controller_path), [weak, ep = epoch_](const watch_event&) {
        auto s = weak.lock();
        if (s && s->running_ && ep == s->epoch_) s->read_controller();
    }, [self, ep = epoch_](std::error_code ec, zk_stat) {
        if (ep != self->epoch_) return self->end(false);
        if (ec == zk_errc::no_node) {
            bool changed = self->work_.controller_id != -1;
            self->work_.controller_id = -1;
            return self->end(changed);
        }
        if (ec) {
            self->failed(ec, "checking /controller");
            return self->end(false);
        }
        self->zk_.get(std::string(znodes::controller_path), {}, [self, ep](std::error_code ec, std::string data, zk_stat) {
            if (ep != self->epoch_) return self->end(false);
            int32_t id = -1;
            if (!ec) {
                if (auto r = znodes::decode_controller(data)) id = r.value();
            } else if (ec != zk_errc::no_node) {
                self->failed(ec, "reading /controller");
                return self->end(false);
            }
            bool changed = id != self->work_.controller_id;
            self->work_.controller_id = id;
            self->end(changed);
        });
    });
}

void cluster_watcher::read_brokers() {
    auto self = shared_from_this();
    std::weak_ptr<cluster_watcher> weak = self;
    begin();
    zk_.get_children(std::string(znodes::broker_ids_path), [weak, ep = epoch_](const watch_event&) {
        auto s = weak.lock();
        if (s && s->running_ && ep == s->epoch_) s->read_brokers();
    }, [self, ep = epoch_](std::error_code ec, std::vector<std::string> kids) {
        if (ep != self->epoch_ || !self->running_) return self->end(false);
        if (ec) {
            self->failed(ec, "listing brokers");
            return self->end(false);
        }
        std::set<int32_t> now;
        for (const auto& k : kids) {
            try {
                now.insert(std::stoi(k));
            } catch (...) {
            }
        }
        bool changed = false;
        for (auto it = self->broker_gen_.begin(); it != self->broker_gen_.end();) {
            if (now.count(it->first)) {
                ++it;
                continue;
            }
            changed = self->work_.brokers.erase(it->first) > 0 || changed;
            it = self->broker_gen_.erase(it);
        }
        for (int32_t id : now) {
            if (self->broker_gen_.count(id)) continue;
            uint64_t gen = self->next_gen_++;
            self->broker_gen_[id] = gen;
            self->read_broker(id, gen);
        }
        self->end(changed);
    });
}

void cluster_watcher::read_broker(int32_t id, uint64_t gen) {
    auto self = shared_from_this();
    std::weak_ptr<cluster_watcher> weak = self;
    auto current = [self, id, gen] {
        auto it = self->broker_gen_.find(id);
        return self->running_ && it != self->broker_gen_.end() && it->second == gen;
    };
    begin();
    zk_.get(znodes::broker_path(id), [weak, id, gen](const watch_event& e) {
        auto s = weak.lock();
        if (!s || e.type != watch_event_type::changed) return;  // deletion: the children watch handles it
        auto it = s->broker_gen_.find(id);
        if (s->running_ && it != s->broker_gen_.end() && it->second == gen) s->read_broker(id, gen);
    }, [self, id, current](std::error_code ec, std::string data, zk_stat) {
        if (!current()) return self->end(false);
        if (ec == zk_errc::no_node) return self->end(false);  // gone again; the children watch follows
        if (ec) {
            self->failed(ec, "reading broker");
            return self->end(false);
        }
        auto b = znodes::decode_broker(id, data);
        if (!b) {
            spdlog::warn("cluster watcher: malformed broker znode {}: {}", id, data);
            return self->end(false);
        }
        auto& slot = self->work_.brokers[id];
        bool changed = !(slot == b.value());
        slot = b.value();
        self->end(changed);
    });
}

void cluster_watcher::read_topics() {
    auto self = shared_from_this();
    std::weak_ptr<cluster_watcher> weak = self;
    begin();
    zk_.get_children(std::string(znodes::topics_path), [weak, ep = epoch_](const watch_event&) {
        auto s = weak.lock();
        if (s && s->running_ && ep == s->epoch_) s->read_topics();
    }, [self, ep = epoch_](std::error_code ec, std::vector<std::string> kids) {
        if (ep != self->epoch_ || !self->running_) return self->end(false);
        if (ec) {
            self->failed(ec, "listing topics");
            return self->end(false);
        }
        std::set<std::string> now(kids.begin(), kids.end());
        bool changed = false;
        for (auto it = self->topic_gen_.begin(); it != self->topic_gen_.end();) {
            if (now.count(it->first)) {
                ++it;
                continue;
            }
            changed = self->work_.topics.erase(it->first) > 0 || changed;
            it = self->topic_gen_.erase(it);
        }
        for (const auto& t : now) {
            if (self->topic_gen_.count(t)) continue;
            uint64_t gen = self->next_gen_++;
            self->topic_gen_[t] = gen;
            self->read_topic(t, gen);
        }
        self->end(changed);
    });
}

void cluster_watcher::read_topic(const std::string& topic, uint64_t gen) {
    auto self = shared_from_this();
    std::weak_ptr<cluster_watcher> weak = self;
    begin();
    zk_.get(znodes::topic_path(topic), [weak, topic, gen](const watch_event& e) {
        auto s = weak.lock();
        if (s && e.type == watch_event_type::changed && s->topic_current(topic, gen)) s->read_topic(topic, gen);
    }, [self, topic, gen](std::error_code ec, std::string data, zk_stat) {
        if (!self->topic_current(topic, gen)) return self->end(false);
        if (ec == zk_errc::no_node) return self->end(false);  // being deleted; the children watch follows
        if (ec) {
            self->failed(ec, "reading topic");
            return self->end(false);
        }
        auto a = znodes::decode_topic_assignment(topic, data);
        if (!a) {
            spdlog::warn("cluster watcher: malformed topic znode {}: {}", topic, data);
            return self->end(false);
        }
        auto& tm = self->work_.topics[topic];
        tm.name = topic;
        bool changed = false;
        for (auto it = tm.partitions.begin(); it != tm.partitions.end();) {
            if (a.value().partitions.count(it->first)) {
                ++it;
            } else {
                it = tm.partitions.erase(it);
                changed = true;
            }
        }
        for (auto& [p, replicas] : a.value().partitions) {
            auto [it, fresh] = tm.partitions.try_emplace(p);
            if (it->second.replicas != replicas) {
                it->second.replicas = replicas;
                changed = true;
            }
            if (fresh) self->read_state(topic, p, gen);
        }
        self->end(changed || tm.partitions.empty());
    });
}

void cluster_watcher::read_state(const std::string& topic, int32_t p, uint64_t gen) {
    auto self = shared_from_this();
    std::weak_ptr<cluster_watcher> weak = self;
    begin();
    zk_.get(znodes::partition_state_path(topic, p), [weak, topic, p, gen](const watch_event&) {
        auto s = weak.lock();
        if (s && s->topic_current(topic, gen)) s->read_state(topic, p, gen);
    }, [self, topic, p, gen](std::error_code ec, std::string data, zk_stat st) {
        if (!self->topic_current(topic, gen)) return self->end(false);
        auto& tm = self->work_.topics[topic];
        auto pit = tm.partitions.find(p);
        if (pit == tm.partitions.end()) return self->end(false);
        if (ec == zk_errc::no_node) {
            bool changed = pit->second.state.has_value();
            pit->second.state.reset();
            self->wait_for_state(topic, p, gen);
            return self->end(changed);
        }
        if (ec) {
            self->failed(ec, "reading partition state");
            return self->end(false);
        }
        auto s = znodes::decode_partition_state(data, st.version);
        if (!s) {
            spdlog::warn("cluster watcher: malformed state of {}-{}: {}", topic, p, data);
            return self->end(false);
        }
        bool changed = pit->second.state != s.value();
        pit->second.state = s.value();
        self->end(changed);
    });
}

void cluster_watcher::wait_for_state(const std::string& topic, int32_t p, uint64_t gen) {
    auto self = shared_from_this();
    std::weak_ptr<cluster_watcher> weak = self;
    begin();
    zk_.exists(znodes::partition_state_path(topic, p), [weak, topic, p, gen](const watch_event&) {
        auto s = weak.lock();
        if (s && s->topic_current(topic, gen)) s->read_state(topic, p, gen);
    }, [self, topic, p, gen](std::error_code ec, zk_stat) {
        // Created between our get and this exists: the watch is now a data watch that would only
        // fire on the next change, so read it now.
        if (!ec && self->topic_current(topic, gen)) self->read_state(topic, p, gen);
        self->end(false);
    });
}

}  // namespace coordination
