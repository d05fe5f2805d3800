#include "coordination/controller.h"

#include <boost/asio/post.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>

namespace coordination {
namespace {

/// A topic's unclean.leader.election.enable override from its /config/topics/<t> data; nullopt
/// when it has none (or the znode does not decode): the broker's setting applies.
std::optional<bool> unclean_override(const std::string& config_data) {
    auto cfg = znodes::decode_topic_config(config_data);
    if (!cfg) return std::nullopt;
    auto it = cfg.value().find("unclean.leader.election.enable");
    if (it == cfg.value().end()) return std::nullopt;
    return it->second == "true";
}

bool contains(const std::vector<int32_t>& v, int32_t x) { return std::find(v.begin(), v.end(), x) != v.end(); }

std::vector<int32_t> without(const std::vector<int32_t>& v, int32_t x) {
    std::vector<int32_t> out;
    std::copy_if(v.begin(), v.end(), std::back_inserter(out), [x](int32_t b) { return b != x; });
    return out;
}

// Shutdown and election steps wait this long for partitions whose read/write is in flight.
constexpr std::chrono::milliseconds busy_retry{20};
constexpr int busy_attempts = 250;  // 5 s

}  // namespace

/// One decision round in flight: its multis, what they wrote, what must be re-read.
struct controller::round {
    size_t pending = 0;
    std::vector<partition_change> changes;
    std::vector<partition_key> retry;
    std::function<void()> then;
};

std::shared_ptr<controller> controller::make(zk_client& zk, int32_t broker_id, controller_options options) {
    return std::shared_ptr<controller>(new controller(zk, broker_id, options));
}

controller::controller(zk_client& zk, int32_t id, controller_options o)
    : zk_(zk), broker_id_(id), opts_(o), rebalance_timer_(zk.executor()) {
    context_.controller_id = id;
    context_.controller_epoch = o.controller_epoch;
    if (opts_.max_ops_per_multi < 1) opts_.max_ops_per_multi = 1;
}

std::optional<partition_state> controller::state(const std::string& topic, int32_t partition) const {
    auto t = context_.topics.find(topic);
    if (t == context_.topics.end()) return std::nullopt;
    auto p = t->second.find(partition);
    if (p == t->second.end()) return std::nullopt;
    return p->second.state;
}

std::vector<partition_change> controller::replicas_on(int32_t broker_id) const {
    std::vector<partition_change> out;
    for (const auto& [topic, parts] : context_.topics) {
        for (const auto& [p, info] : parts) {
            if (info.state && contains(info.replicas, broker_id)) {
                out.push_back({topic, p, *info.state, info.replicas, false});
            }
        }
    }
    return out;
}

controller::entry controller::find(const partition_key& key) {
    auto m = meta_.find(key.topic);
    if (m == meta_.end()) return {nullptr, nullptr, 0};
    return find(key, m->second.generation);
}

controller::entry controller::find(const partition_key& key, uint64_t generation) {
    auto m = meta_.find(key.topic);
    auto t = context_.topics.find(key.topic);
    if (m == meta_.end() || t == context_.topics.end() || m->second.generation != generation) return {nullptr, nullptr, 0};
    auto pm = m->second.partitions.find(key.partition);
    auto pi = t->second.find(key.partition);
    if (pm == m->second.partitions.end() || pi == t->second.end()) return {nullptr, nullptr, 0};
    return {&pi->second, &pm->second, generation};
}

bool controller::eligible(int32_t broker) const {
    return context_.live_brokers.count(broker) && !context_.shutting_down.count(broker);
}

void controller::start() {
    running_ = true;
    auto self = shared_from_this();
    ensure_paths(zk_, znodes::persistent_paths(), [self](std::error_code ec) {
        if (ec) spdlog::warn("controller: creating persistent paths: {}", ec.message());
        // Brokers first: initial leaders need the live set.
        self->broker_change();
    });
}

void controller::stop() {
    running_ = false;
    rebalance_timer_.cancel();
}

void controller::fenced() {
    if (!running_) return;
    spdlog::warn("controller {}: /controller_epoch moved on, epoch {} is fenced; stopping", broker_id_,
                 opts_.controller_epoch);
    stop();
    if (on_fenced_) on_fenced_(errc::not_controller);
}

void controller::after(std::chrono::milliseconds delay, std::function<void()> fn) {
    auto t = std::make_shared<boost::asio::steady_timer>(zk_.executor(), delay);
    std::weak_ptr<controller> weak = shared_from_this();
    t->async_wait([t, weak, fn = std::move(fn)](boost::system::error_code ec) {
        auto s = weak.lock();
        if (!ec && s && s->running_) fn();
    });
}

// ---- brokers -------------------------------------------------------------------------------

// Serialised: a watch firing while a change is being handled only marks it to run again, so the
// added/removed lists of consecutive changes never interleave.
void controller::broker_change() {
    if (!running_) return;
    if (broker_change_running_) {
        broker_change_again_ = true;
        return;
    }
    broker_change_running_ = true;
    std::weak_ptr<controller> weak = shared_from_this();
    read_brokers(zk_, [weak](const watch_event&) { if (auto s = weak.lock()) s->broker_change(); },
                 [weak](std::error_code ec, std::map<int32_t, registered_broker> now) {
                     auto self = weak.lock();
                     if (self && self->running_) self->broker_change_read(ec, std::move(now));
                 });
}

void controller::broker_change_read(std::error_code ec, std::map<int32_t, registered_broker> now) {
    if (ec) {
        spdlog::warn("controller: reading brokers: {}", ec.message());
        broker_change_running_ = false;
        // No watch was set: try again (after expiry the election replaces this controller anyway).
        std::weak_ptr<controller> weak = shared_from_this();
        after(std::chrono::milliseconds(500), [weak] { if (auto s = weak.lock()) s->broker_change(); });
        return;
    }
    std::vector<int32_t> added, removed, bounced;
    for (const auto& [id, czxid] : broker_czxid_) {
        auto it = now.find(id);
        if (it == now.end()) {
            removed.push_back(id);
        } else if (it->second.czxid != czxid) {
            bounced.push_back(id);
        }
    }
    for (const auto& [id, b] : now) {
        if (!broker_czxid_.count(id)) added.push_back(id);
    }
    // Step 1: brokers that are gone, or restarted and lost their in-memory state, leave the live
    // set and their leaderships move (Kafka: onBrokerFailure for dead and bounced brokers).
    std::vector<int32_t> leaving = removed;
    leaving.insert(leaving.end(), bounced.begin(), bounced.end());
    for (int32_t id : leaving) {
        context_.live_brokers.erase(id);
        context_.shutting_down.erase(id);
        broker_czxid_.erase(id);
    }
    if (!leaving.empty()) spdlog::info("controller: brokers gone: [{}]", fmt::join(leaving, ","));
    std::weak_ptr<controller> weak = shared_from_this();
    auto step2 = [weak, now = std::move(now), added, removed, bounced]() mutable {
        auto self = weak.lock();
        if (!self || !self->running_) return;
        // Step 2: new and restarted brokers join (Kafka: onBrokerStartup); offline partitions
        // whose ISR names one of them get a leader.
        for (auto& [id, b] : now) {
            self->context_.live_brokers[id] = b.info;
            self->broker_czxid_[id] = b.czxid;
        }
        std::vector<int32_t> joined = added;
        joined.insert(joined.end(), bounced.begin(), bounced.end());
        if (!joined.empty() && self->brokers_loaded_) spdlog::info("controller: brokers joined: [{}]", fmt::join(joined, ","));
        std::vector<int32_t> left = removed;
        left.insert(left.end(), bounced.begin(), bounced.end());
        self->decide(self->all_partitions(), [weak, joined, left] {
            if (auto s = weak.lock()) s->broker_change_done(joined, left);
        });
    };
    if (leaving.empty()) return step2();
    decide(all_partitions(), std::move(step2));
}

void controller::broker_change_done(std::vector<int32_t> added, std::vector<int32_t> removed) {
    if (!running_) return;
    broker_change_running_ = false;
    if (!brokers_loaded_) {
        brokers_loaded_ = true;
        start_topics();
    } else if ((!added.empty() || !removed.empty()) && on_brokers_) {
        on_brokers_(std::move(added), std::move(removed));
    }
    if (broker_change_again_) {
        broker_change_again_ = false;
        broker_change();
    }
}

// ---- topics and partition states -----------------------------------------------------------

void controller::start_topics() {
    watch_topics();
    watch_deletions();
    watch_preferred_requests();
    watch_isr_changes();
    schedule_rebalance();
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
        for (auto it = self->meta_.begin(); it != self->meta_.end();) {
            if (now.count(it->first)) {
                ++it;
            } else {
                self->context_.topics.erase(it->first);
                it = self->meta_.erase(it);
            }
        }
        // Start-up: on_loaded fires when every topic present now has been read and decided.
        auto pending = std::make_shared<size_t>(1);
        auto one_done = [weak, pending] {
            auto s = weak.lock();
            if (--*pending != 0 || !s || !s->running_ || s->context_.loaded) return;
            s->context_.loaded = true;
            spdlog::info("controller {}: loaded {} brokers, {} topics (epoch {})", s->broker_id_,
                         s->context_.live_brokers.size(), s->context_.topics.size(), s->opts_.controller_epoch);
            if (s->on_loaded_) s->on_loaded_();
        };
        for (const auto& t : now) {
            if (self->meta_.count(t) || self->deleting_.count(t)) continue;
            uint64_t gen = self->next_generation_++;
            self->meta_[t].generation = gen;
            self->context_.topics[t];
            ++*pending;
            self->read_topic(t, gen, one_done);
        }
        one_done();
    });
}

void controller::read_topic(const std::string& topic, uint64_t gen, std::function<void()> then) {
    if (!running_) return;
    std::weak_ptr<controller> weak = shared_from_this();
    // The data watch catches partitions added to an existing topic (add_partitions).
    zk_.get(znodes::topic_path(topic),
            [weak, topic, gen](const watch_event& e) {
                auto s = weak.lock();
                if (s && e.type == watch_event_type::changed) s->read_topic(topic, gen, {});
            },
            [weak, topic, gen, then = std::move(then)](std::error_code ec, std::string data, zk_stat) mutable {
        auto self = weak.lock();
        if (!self || !self->running_) return;
        auto done = [&] { if (then) then(); };
        auto m = self->meta_.find(topic);
        if (m == self->meta_.end() || m->second.generation != gen) return done();
        if (ec) {
            if (ec != zk_errc::no_node) spdlog::warn("controller: reading topic {}: {}", topic, ec.message());
            return done();
        }
        auto a = znodes::decode_topic_assignment(topic, data);
        if (!a) {
            spdlog::error("controller: malformed assignment for topic {}: {}", topic, data);
            return done();
        }
        auto& parts = self->context_.topics[topic];
        std::vector<partition_key> fresh;
        for (auto& [p, replicas] : a.value().partitions) {
            parts[p].replicas = replicas;
            if (m->second.partitions.try_emplace(p).second) fresh.push_back({topic, p});
        }
        if (!fresh.empty() && self->context_.loaded) {
            spdlog::info("controller: topic {}: {} new partitions", topic, fresh.size());
        }
        // The topic's overrides decide unclean elections; read them before its states are decided.
        self->zk_.get(znodes::config_topic_path(topic), {},
                      [weak, topic, gen, fresh = std::move(fresh), then = std::move(then)](
                          std::error_code ec, std::string data, zk_stat) mutable {
            auto self = weak.lock();
            if (!self || !self->running_) return;
            auto m = self->meta_.find(topic);
            if (m != self->meta_.end() && m->second.generation == gen && !ec) {
                m->second.unclean_leader_election = unclean_override(data);
            }
            self->load_states(std::move(fresh), std::move(then));
        });
    });
}

void controller::topic_config_changed(const std::string& topic) {
    if (!running_ || !context_.loaded) return;
    auto m = meta_.find(topic);
    if (m == meta_.end()) return;
    const uint64_t gen = m->second.generation;
    std::weak_ptr<controller> weak = shared_from_this();
    zk_.get(znodes::config_topic_path(topic), {}, [weak, topic, gen](std::error_code ec, std::string data, zk_stat) {
        auto self = weak.lock();
        if (!self || !self->running_) return;
        auto m = self->meta_.find(topic);
        if (m == self->meta_.end() || m->second.generation != gen) return;  // deleted or re-created meanwhile
        if (ec && ec != zk_errc::no_node) {
            if (!is_session_error(ec)) spdlog::warn("controller: reading the config of topic {}: {}", topic, ec.message());
            return;
        }
        const bool before = self->unclean_allowed(topic);
        m->second.unclean_leader_election = ec ? std::nullopt : unclean_override(data);
        if (before || !self->unclean_allowed(topic)) return;
        spdlog::info("controller: unclean leader election enabled for topic {}", topic);
        std::vector<partition_key> keys;
        for (const auto& [p, info] : self->context_.topics[topic]) keys.push_back({topic, p});
        self->decide(keys, [] {});
    });
}

bool controller::unclean_allowed(const std::string& topic) const {
    auto m = meta_.find(topic);
    if (m != meta_.end() && m->second.unclean_leader_election) return *m->second.unclean_leader_election;
    return opts_.unclean_leader_election;
}

void controller::load_states(std::vector<partition_key> keys, std::function<void()> then) {
    struct gather {
        size_t pending = 1;
        std::vector<partition_key> keys;
        std::function<void()> then;
    };
    auto g = std::make_shared<gather>();
    g->then = std::move(then);
    std::weak_ptr<controller> weak = shared_from_this();
    auto one_done = [weak, g] {
        auto s = weak.lock();
        if (--g->pending != 0 || !s || !s->running_) return;
        s->decide(g->keys, std::move(g->then));
    };
    for (auto& key : keys) {
        auto e = find(key);
        if (!e.p || e.m->busy) continue;
        e.m->busy = true;
        ++g->pending;
        g->keys.push_back(key);
        zk_.get(znodes::partition_state_path(key.topic, key.partition), {},
                [weak, key, gen = e.generation, one_done](std::error_code ec, std::string data, zk_stat st) {
            auto self = weak.lock();
            if (!self || !self->running_) return;
            if (auto e = self->find(key, gen); e.p) {
                e.m->busy = false;
                if (ec == zk_errc::no_node) {
                    e.m->loaded = true;
                    e.p->state.reset();
                } else if (ec) {
                    spdlog::warn("controller: reading state of {}-{}: {}", key.topic, key.partition, ec.message());
                } else if (auto s = znodes::decode_partition_state(data, st.version); s) {
                    e.m->loaded = true;
                    e.p->state = s.value();
                } else {
                    spdlog::error("controller: malformed state of {}-{}: {}", key.topic, key.partition, data);
                }
            }
            one_done();
        });
    }
    one_done();
}

std::vector<partition_key> controller::all_partitions() const {
    std::vector<partition_key> out;
    for (const auto& [topic, parts] : context_.topics) {
        for (const auto& [p, info] : parts) out.push_back({topic, p});
    }
    return out;
}

void controller::decide(const std::vector<partition_key>& keys, std::function<void()> then) {
    std::vector<pending_write> writes;
    for (const auto& key : keys) {
        if (auto w = decide_one(key)) writes.push_back(std::move(*w));
    }
    write_round(std::move(writes), std::move(then));
}

// Kafka's partition state machine for one partition given the live set:
// - no state yet (NewPartition -> Online): leader = first live replica in assignment order, ISR = the
//   live replicas, leader_epoch 0; no live replica: nothing is written until one appears.
// - dead leader (OfflinePartitionLeaderElection): first replica in assignment order that is alive,
//   not shutting down and in the ISR; none -> unclean election (first live replica, ISR = [it]) if
//   enabled, else leader -1 keeping the last ISR so a returning member is elected cleanly.
// - dead followers leave the ISR. Every change bumps leader_epoch.
std::optional<controller::pending_write> controller::decide_one(const partition_key& key) {
    auto e = find(key);
    if (!e.p || e.m->busy || !e.m->loaded) return std::nullopt;
    const auto& replicas = e.p->replicas;
    auto alive = [&](int32_t b) { return context_.live_brokers.count(b) != 0; };
    if (!e.p->state) {
        partition_state s;
        std::copy_if(replicas.begin(), replicas.end(), std::back_inserter(s.isr), [&](int32_t b) { return eligible(b); });
        if (s.isr.empty()) {
            spdlog::debug("controller: no live replica for new partition {}-{}", key.topic, key.partition);
            return std::nullopt;
        }
        s.leader = s.isr.front();
        s.leader_epoch = 0;
        s.controller_epoch = opts_.controller_epoch;
        return pending_write{key, e.generation, std::move(s), true};
    }
    const partition_state& cur = *e.p->state;
    std::vector<int32_t> live_isr;
    std::copy_if(cur.isr.begin(), cur.isr.end(), std::back_inserter(live_isr), alive);
    bool leader_alive = cur.leader >= 0 && alive(cur.leader);
    if (leader_alive && live_isr == cur.isr) return std::nullopt;

    partition_state next = cur;
    next.controller_epoch = opts_.controller_epoch;
    next.leader_epoch = cur.leader_epoch + 1;
    if (leader_alive) {
        next.isr = live_isr;  // only followers died: they leave the ISR
    } else {
        auto it = std::find_if(replicas.begin(), replicas.end(),
                               [&](int32_t r) { return eligible(r) && contains(cur.isr, r); });
        if (it != replicas.end()) {
            next.leader = *it;
            next.isr = live_isr;
        } else if (unclean_allowed(key.topic) &&
                   (it = std::find_if(replicas.begin(), replicas.end(), [&](int32_t r) { return eligible(r); })) !=
                       replicas.end()) {
            spdlog::warn("controller: unclean leader election for {}-{}: {} (data loss possible)", key.topic,
                         key.partition, *it);
            next.leader = *it;
            next.isr = {*it};
        } else {
            if (cur.leader == -1) return std::nullopt;  // already offline, nothing new
            next.leader = -1;
            next.isr = live_isr.empty() ? cur.isr : live_isr;
        }
    }
    return pending_write{key, e.generation, std::move(next), false};
}

void controller::write_round(std::vector<pending_write> writes, std::function<void()> then) {
    if (!running_) return;
    if (writes.empty()) {
        if (then) then();
        return;
    }
    auto r = std::make_shared<round>();
    r->then = std::move(then);
    const bool fence = opts_.epoch_zk_version >= 0;
    const size_t per_multi = opts_.max_ops_per_multi;
    r->pending = (writes.size() + per_multi - 1) / per_multi;
    auto self = shared_from_this();
    std::set<std::string> parents_made;
    for (size_t begin = 0; begin < writes.size(); begin += per_multi) {
        std::vector<pending_write> chunk(std::make_move_iterator(writes.begin() + begin),
                                         std::make_move_iterator(writes.begin() + std::min(writes.size(), begin + per_multi)));
        std::vector<zk_op> ops;
        ops.reserve(chunk.size() + 1);
        // Byte layout of one multi: [check /controller_epoch version] then one create/set per state.
        if (fence) ops.push_back(zk_op::check(std::string(znodes::controller_epoch_path), opts_.epoch_zk_version));
        for (auto& w : chunk) {
            find(w.key, w.generation).m->busy = true;
            std::string path = znodes::partition_state_path(w.key.topic, w.key.partition);
            std::string data = znodes::encode_partition_state(w.next);
            if (w.create) {
                // Parents first; one session applies requests in order, so they may be in flight
                // together with the multi. Existing parents answer node_exists, which is fine.
                if (parents_made.insert(w.key.topic).second) {
                    zk_.create(znodes::topic_partitions_path(w.key.topic), {}, create_mode::persistent,
                               [](std::error_code, std::string) {});
                }
                zk_.create(znodes::partition_path(w.key.topic, w.key.partition), {}, create_mode::persistent,
                           [](std::error_code, std::string) {});
                ops.push_back(zk_op::create(std::move(path), std::move(data)));
            } else {
                ops.push_back(zk_op::set(std::move(path), std::move(data), w.next.zk_version));
            }
        }
        zk_.multi(std::move(ops), [self, r, fence, chunk = std::move(chunk)](std::error_code ec, std::vector<zk_op_result> res) mutable {
            if (!self->running_) return;
            if (fence && !res.empty() && res[0].ec == zk_errc::bad_version) return self->fenced();
            const size_t first = fence ? 1 : 0;
            for (size_t i = 0; i < chunk.size(); ++i) {
                auto& w = chunk[i];
                auto e = self->find(w.key, w.generation);
                if (!e.p) continue;  // topic deleted meanwhile
                e.m->busy = false;
                if (ec) {
                    r->retry.push_back(w.key);
                    continue;
                }
                w.next.zk_version = w.create ? 0 : res[first + i].stat.version;
                e.p->state = w.next;
                r->changes.push_back({w.key.topic, w.key.partition, w.next, e.p->replicas, w.create});
            }
            if (ec) {
                // bad_version / node_exists: a leader changed the ISR or a create raced; anything
                // else (connection loss) leaves the outcome unknown. Either way: re-read, decide again.
                auto level = ec == zk_errc::bad_version || ec == zk_errc::node_exists ? spdlog::level::debug
                                                                                     : spdlog::level::warn;
                spdlog::log(level, "controller: writing {} partition states: {}", chunk.size(), ec.message());
            }
            if (--r->pending == 0) self->finish_round(r);
        });
    }
}

void controller::finish_round(const std::shared_ptr<round>& r) {
    size_t moves = 0;
    for (const auto& c : r->changes) {
        if (c.is_new) continue;
        ++moves;
        auto level = r->changes.size() <= 20 ? spdlog::level::info : spdlog::level::debug;
        spdlog::log(level, "controller: {}-{} leader {} epoch {} isr [{}]", c.topic, c.partition, c.state.leader,
                    c.state.leader_epoch, fmt::join(c.state.isr, ","));
    }
    if (moves > 20) spdlog::info("controller: wrote {} partition state changes", moves);
    std::vector<partition_key> written;
    for (const auto& c : r->changes) written.push_back({c.topic, c.partition});
    if (!r->changes.empty() && on_changes_) on_changes_(std::move(r->changes));
    if (!running_) return;
    if (!r->retry.empty()) load_states(std::move(r->retry), {});
    if (r->then) r->then();
    // The live set may have moved while the writes were in flight.
    if (running_) decide(written, {});
}

// ---- controlled shutdown -------------------------------------------------------------------

void controller::controlled_shutdown(int32_t broker_id, shutdown_callback cb) {
    auto ex = zk_.executor();
    if (!running_) {
        boost::asio::post(ex, [cb = std::move(cb)] { cb(errc::not_controller, {}); });
        return;
    }
    if (!context_.live_brokers.count(broker_id)) {
        boost::asio::post(ex, [cb = std::move(cb)] { cb(errc::broker_not_available, {}); });
        return;
    }
    spdlog::info("controller: controlled shutdown of broker {}", broker_id);
    context_.shutting_down.insert(broker_id);
    shutdown_step(broker_id, std::move(cb), 1);
}

void controller::shutdown_step(int32_t broker_id, shutdown_callback cb, int attempt) {
    std::vector<pending_write> writes;
    bool waiting = false;
    const bool still_live = context_.live_brokers.count(broker_id) != 0;
    for (const auto& key : still_live ? all_partitions() : std::vector<partition_key>{}) {
        auto e = find(key);
        if (!e.p || !contains(e.p->replicas, broker_id)) continue;
        if (e.m->busy || !e.m->loaded) {
            waiting = true;
            continue;
        }
        if (!e.p->state) continue;
        const partition_state& cur = *e.p->state;
        partition_state next = cur;
        next.controller_epoch = opts_.controller_epoch;
        next.leader_epoch = cur.leader_epoch + 1;
        if (cur.leader == broker_id) {
            // ControlledShutdownLeaderElection: first live ISR member in assignment order, not shutting down.
            auto it = std::find_if(e.p->replicas.begin(), e.p->replicas.end(),
                                   [&](int32_t r) { return r != broker_id && eligible(r) && contains(cur.isr, r); });
            if (it == e.p->replicas.end()) continue;  // cannot move: reported as remaining
            next.leader = *it;
            next.isr = without(cur.isr, broker_id);
        } else if (contains(cur.isr, broker_id) && cur.isr.size() > 1) {
            next.isr = without(cur.isr, broker_id);  // the follower goes offline: out of the ISR
        } else {
            continue;
        }
        writes.push_back({key, e.generation, std::move(next), false});
    }
    std::weak_ptr<controller> weak = shared_from_this();
    write_round(std::move(writes), [weak, broker_id, cb = std::move(cb), waiting, attempt]() mutable {
        auto self = weak.lock();
        if (!self || !self->running_) return;
        if (waiting && attempt < busy_attempts) {
            self->after(busy_retry, [weak, broker_id, cb = std::move(cb), attempt]() mutable {
                if (auto s = weak.lock()) s->shutdown_step(broker_id, std::move(cb), attempt + 1);
            });
            return;
        }
        std::vector<partition_key> remaining;
        for (const auto& [topic, parts] : self->context_.topics) {
            for (const auto& [p, info] : parts) {
                if (info.state && info.state->leader == broker_id) remaining.push_back({topic, p});
            }
        }
        spdlog::info("controller: controlled shutdown of broker {}: {} partitions still led by it", broker_id,
                     remaining.size());
        cb({}, std::move(remaining));
    });
}

// ---- preferred leader election -------------------------------------------------------------

void controller::elect_preferred_leaders(std::vector<partition_key> partitions, election_callback cb) {
    if (!running_) {
        boost::asio::post(zk_.executor(), [cb = std::move(cb)] { cb({}); });
        return;
    }
    elect_step(std::move(partitions), std::make_shared<std::map<partition_key, std::error_code>>(), std::move(cb), 1);
}

void controller::elect_step(std::vector<partition_key> keys, std::shared_ptr<std::map<partition_key, std::error_code>> out,
                            election_callback cb, int attempt) {
    std::vector<pending_write> writes;
    std::vector<partition_key> busy, electing;
    for (const auto& key : keys) {
        auto e = find(key);
        if (!e.p || e.p->replicas.empty()) {
            (*out)[key] = errc::unknown_topic_or_partition;
            continue;
        }
        if (e.m->busy || !e.m->loaded) {
            busy.push_back(key);
            continue;
        }
        if (!e.p->state) {
            (*out)[key] = errc::preferred_leader_not_available;
            continue;
        }
        const partition_state& cur = *e.p->state;
        int32_t preferred = e.p->replicas.front();
        if (cur.leader == preferred) {
            (*out)[key] = errc::election_not_needed;
            continue;
        }
        if (!eligible(preferred) || !contains(cur.isr, preferred)) {
            (*out)[key] = errc::preferred_leader_not_available;
            continue;
        }
        partition_state next = cur;
        next.leader = preferred;
        next.leader_epoch = cur.leader_epoch + 1;
        next.controller_epoch = opts_.controller_epoch;
        writes.push_back({key, e.generation, std::move(next), false});
        electing.push_back(key);
    }
    if (attempt >= busy_attempts) {
        for (const auto& key : busy) (*out)[key] = errc::preferred_leader_not_available;
        busy.clear();
    }
    std::weak_ptr<controller> weak = shared_from_this();
    write_round(std::move(writes), [weak, out, electing, busy = std::move(busy), cb = std::move(cb), attempt]() mutable {
        auto self = weak.lock();
        if (!self || !self->running_) return;
        for (const auto& key : electing) {
            auto e = self->find(key);
            bool won = e.p && e.p->state && !e.p->replicas.empty() && e.p->state->leader == e.p->replicas.front();
            if (won) {
                (*out)[key] = {};
            } else if (attempt < busy_attempts) {
                // The write lost a race (a stale cached state): it is being re-read; decide again then.
                busy.push_back(key);
            } else {
                (*out)[key] = errc::preferred_leader_not_available;
            }
        }
        if (busy.empty()) return cb(std::move(*out));
        self->after(busy_retry, [weak, out, busy = std::move(busy), cb = std::move(cb), attempt]() mutable {
            if (auto s = weak.lock()) s->elect_step(std::move(busy), out, std::move(cb), attempt + 1);
        });
    });
}

// /admin/preferred_replica_election: exists() sets the watch whether or not the node is there, so
// one watch is always outstanding; the node is deleted once its elections are written.
void controller::watch_preferred_requests() {
    if (!running_) return;
    std::weak_ptr<controller> weak = shared_from_this();
    std::string path(znodes::preferred_replica_election_path);
    zk_.exists(path, [weak](const watch_event&) { if (auto s = weak.lock()) s->watch_preferred_requests(); },
               [weak, path](std::error_code ec, zk_stat) {
        auto self = weak.lock();
        if (!self || !self->running_ || ec || self->preferred_request_running_) return;
        self->preferred_request_running_ = true;
        self->zk_.get(path, {}, [weak, path](std::error_code ec, std::string data, zk_stat) {
            auto self = weak.lock();
            if (!self || !self->running_) return;
            auto finish = [weak, path] {
                auto s = weak.lock();
                if (!s || !s->running_) return;
                s->zk_.remove(path, -1, [weak](std::error_code ec) {
                    auto s = weak.lock();
                    if (!s) return;
                    s->preferred_request_running_ = false;
                    if (ec && ec != zk_errc::no_node) spdlog::warn("controller: removing preferred election request: {}", ec.message());
                });
            };
            if (ec) {
                self->preferred_request_running_ = false;
                if (ec != zk_errc::no_node) spdlog::warn("controller: reading preferred election request: {}", ec.message());
                return;
            }
            auto parts = znodes::decode_preferred_replica_election(data);
            if (!parts) {
                spdlog::error("controller: malformed preferred replica election request: {}", data);
                return finish();
            }
            spdlog::info("controller: preferred replica election requested for {} partitions", parts.value().size());
            self->elect_preferred_leaders(std::move(parts.value()),
                                          [finish](std::map<partition_key, std::error_code>) { finish(); });
        });
    });
}

// ---- ISR change notifications --------------------------------------------------------------

// Leaders change a partition's ISR themselves (conditional set on its state znode) and then create
// a sequential /isr_change_notification/isr_change_<n> naming the partitions, as in Kafka. The
// controller re-reads those states (its cached ones are stale), tells the brokers, and deletes the
// notifications.
void controller::watch_isr_changes() {
    if (!running_) return;
    std::weak_ptr<controller> weak = shared_from_this();
    std::string root(znodes::isr_change_notification_path);
    zk_.get_children(root, [weak](const watch_event&) { if (auto s = weak.lock()) s->watch_isr_changes(); },
                     [weak, root](std::error_code ec, std::vector<std::string> children) {
        auto self = weak.lock();
        if (!self || !self->running_ || ec || children.empty()) return;
        auto keys = std::make_shared<std::set<partition_key>>();
        auto pending = std::make_shared<size_t>(children.size());
        for (const auto& child : children) {
            std::string path = root + "/" + child;
            self->zk_.get(path, {}, [weak, path, keys, pending](std::error_code ec, std::string data, zk_stat) {
                auto self = weak.lock();
                if (!self || !self->running_) return;
                if (!ec) {
                    if (auto parts = znodes::decode_preferred_replica_election(data); parts) {
                        keys->insert(parts.value().begin(), parts.value().end());
                    } else {
                        spdlog::error("controller: malformed ISR change notification {}: {}", path, data);
                    }
                    self->zk_.remove(path, -1, [](std::error_code) {});
                }
                if (--*pending != 0) return;
                std::vector<partition_key> reread(keys->begin(), keys->end());
                self->load_states(reread, [weak, reread] {
                    auto self = weak.lock();
                    if (!self || !self->running_ || !self->on_changes_) return;
                    std::vector<partition_change> changes;
                    for (const auto& key : reread) {
                        auto e = self->find(key);
                        if (e.p && e.p->state) changes.push_back({key.topic, key.partition, *e.p->state, e.p->replicas, false});
                    }
                    if (!changes.empty()) self->on_changes_(std::move(changes));
                });
            });
        }
    });
}

// ---- automatic leader rebalance --------------------------------------------------------------

void controller::schedule_rebalance() {
    if (!running_ || !opts_.auto_leader_rebalance) return;
    rebalance_timer_.expires_after(opts_.leader_imbalance_check_interval);
    std::weak_ptr<controller> weak = shared_from_this();
    rebalance_timer_.async_wait([weak](boost::system::error_code ec) {
        auto s = weak.lock();
        if (ec || !s || !s->running_) return;
        s->check_leader_imbalance();
        s->schedule_rebalance();
    });
}

// Kafka's checkAndTriggerAutoLeaderRebalance: per preferred broker, the share of its preferred
// partitions led by someone else; above the threshold, every such partition whose preferred
// replica is alive and in the ISR gets a preferred election.
void controller::check_leader_imbalance() {
    if (!running_ || !context_.loaded) return;
    std::map<int32_t, std::vector<partition_key>> preferred_of;
    std::map<int32_t, size_t> total;
    for (const auto& [topic, parts] : context_.topics) {
        for (const auto& [p, info] : parts) {
            if (info.replicas.empty() || !info.state) continue;
            int32_t preferred = info.replicas.front();
            preferred_of[preferred];
            if (info.state->leader != preferred) preferred_of[preferred].push_back({topic, p});
            ++total[preferred];
        }
    }
    std::vector<partition_key> to_elect;
    for (const auto& [broker, behind] : preferred_of) {
        double ratio = static_cast<double>(behind.size()) / static_cast<double>(total[broker]);
        if (behind.empty() || ratio * 100.0 <= opts_.leader_imbalance_per_broker_percentage || !eligible(broker)) continue;
        spdlog::info("controller: broker {} leads {}/{} of its preferred partitions; rebalancing", broker,
                     total[broker] - behind.size(), total[broker]);
        for (const auto& key : behind) {
            const auto& state = *context_.topics[key.topic][key.partition].state;
            if (contains(state.isr, broker)) to_elect.push_back(key);
        }
    }
    if (to_elect.empty()) return;
    elect_preferred_leaders(std::move(to_elect), [](std::map<partition_key, std::error_code> res) {
        size_t ok = std::count_if(res.begin(), res.end(), [](const auto& kv) { return !kv.second; });
        spdlog::info("controller: automatic preferred leader election moved {} of {} partitions", ok, res.size());
    });
}

// ---- topic deletion ------------------------------------------------------------------------

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
    std::string request = znodes::delete_topic_path(topic);
    if (!opts_.delete_topic_enable) {
        spdlog::warn("controller: delete.topic.enable=false, ignoring deletion of {}", topic);
        zk_.remove(request, -1, [](std::error_code) {});
        return;
    }
    deleting_.insert(topic);
    context_.deleting.insert(topic);
    auto self = shared_from_this();
    // The assignment from ZooKeeper, not only our copy: the request may come before we read the topic.
    zk_.get(znodes::topic_path(topic), {}, [self, topic, request, attempt](std::error_code ec, std::string data, zk_stat) {
        if (!self->running_) return;
        std::map<int32_t, std::vector<int32_t>> replicas;
        if (auto t = self->context_.topics.find(topic); t != self->context_.topics.end()) {
            for (const auto& [p, info] : t->second) replicas[p] = info.replicas;
        }
        if (!ec) {
            if (auto a = znodes::decode_topic_assignment(topic, data)) replicas = a.value().partitions;
        }
        // Forget it now: completions for its partitions find nothing and are dropped.
        self->context_.topics.erase(topic);
        self->meta_.erase(topic);
        delete_recursive(self->zk_, znodes::topic_path(topic), [self, topic, request, attempt, replicas](std::error_code ec) {
            if (!self->running_) return;
            if (ec) {
                // not_empty: a state create that was already in flight landed under the topic; go again.
                spdlog::warn("controller: deleting topic {} (attempt {}): {}", topic, attempt, ec.message());
                self->deleting_.erase(topic);
                self->context_.deleting.erase(topic);
                if (attempt < 5 && !is_session_error(ec)) self->delete_topic(topic, attempt + 1);
                return;
            }
            delete_recursive(self->zk_, znodes::config_topic_path(topic), [self, topic, request, replicas](std::error_code ec) {
                if (ec) spdlog::warn("controller: deleting config of {}: {}", topic, ec.message());
                self->zk_.remove(request, -1, [self, topic, replicas](std::error_code ec) {
                    self->deleting_.erase(topic);
                    self->context_.deleting.erase(topic);
                    if (ec && ec != zk_errc::no_node) {
                        spdlog::warn("controller: removing delete request for {}: {}", topic, ec.message());
                        return;
                    }
                    spdlog::info("controller: deleted topic {} ({} partitions)", topic, replicas.size());
                    if (self->running_ && self->on_deleted_) self->on_deleted_(topic, replicas);
                });
            });
        });
    });
}

}  // namespace coordination
