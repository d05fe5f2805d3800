#include "broker/group/group_coordinator.h"

#include <algorithm>
#include <future>
#include <limits>
#include <random>

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "protocol/records/record_batch.h"
#include "protocol/records/record_batch_builder.h"
#include "protocol/wire/decode_error.h"
#include "protocol/wire/reader.h"

namespace broker::group {
namespace asio = boost::asio;
using protocol::error_code;

namespace {
// KIP-394: a member that got its id but never came back is dropped after this long.
constexpr int64_t new_member_join_timeout_ms = 5 * 60 * 1000;

std::string random_uuid() {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    uint64_t a = rng(), b = rng();
    a = (a & ~0xF000ULL) | 0x4000ULL;               // version 4
    b = (b & ~(3ULL << 62)) | (2ULL << 62);         // variant 10
    char buf[37];
    std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                  static_cast<unsigned>((a >> 16) & 0xFFFF), static_cast<unsigned>(a & 0xFFFF),
                  static_cast<unsigned>(b >> 48), static_cast<unsigned long long>(b & 0xFFFFFFFFFFFFULL));
    return buf;
}

// What a failed append of group metadata means to the members (Kafka's GroupMetadataManager
// storeGroup): retriable coordinator errors so clients find the coordinator again.
error_code map_store_error(error_code e, bool offsets) {
    switch (e) {
    case error_code::none:
        return e;
    case error_code::unknown_topic_or_partition:
    case error_code::not_enough_replicas:
    case error_code::not_enough_replicas_after_append:
        return error_code::coordinator_not_available;
    case error_code::request_timed_out:
        // storeGroup: the members rejoin; storeOffsets passes it on.
        return offsets ? e : error_code::rebalance_in_progress;
    case error_code::not_leader_or_follower:
    case error_code::kafka_storage_error:
        return error_code::not_coordinator;
    case error_code::message_too_large:
    case error_code::record_list_too_large:
    case error_code::invalid_fetch_size:
        return offsets ? error_code::invalid_commit_offset_size : error_code::unknown_server_error;
    default:
        return e;
    }
}

struct record_kv {
    std::vector<uint8_t> key;
    std::optional<std::vector<uint8_t>> value;
};

std::vector<uint8_t> build_batch(const std::vector<record_kv>& records, int64_t now_ms) {
    protocol::records::record_batch_builder b;
    for (const auto& r : records) {
        protocol::records::record_input in;
        in.key = protocol::records::bytes_view(r.key);
        if (r.value) in.value = protocol::records::bytes_view(*r.value);
        in.timestamp = now_ms;
        b.add(in);
    }
    return b.build();
}

// The topics of a "consumer" protocol subscription (ConsumerProtocolSubscription: int16 version,
// array of topic strings, ...); empty when the bytes are not one.
std::vector<std::string> subscription_topics(const std::vector<uint8_t>& metadata) {
    std::vector<std::string> topics;
    try {
        protocol::wire::reader r(metadata);
        r.read_int16();
        const int32_t n = r.read_int32();
        for (int32_t i = 0; i < n; ++i) topics.push_back(r.read_string());
    } catch (const protocol::wire::decode_error&) {
        topics.clear();
    }
    return topics;
}
}  // namespace

const char* state_name(group_state s) {
    switch (s) {
    case group_state::empty:
        return "Empty";
    case group_state::preparing_rebalance:
        return "PreparingRebalance";
    case group_state::completing_rebalance:
        return "CompletingRebalance";
    case group_state::stable:
        return "Stable";
    case group_state::dead:
        return "Dead";
    }
    return "Dead";
}

int32_t java_string_hash(const std::string& s) {
    uint32_t h = 0;
    auto add_unit = [&h](uint32_t unit) { h = h * 31 + unit; };
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const auto* end = p + s.size();
    while (p < end) {
        uint32_t cp = 0xFFFD;
        size_t len = 1;
        if (*p < 0x80) {
            cp = *p;
        } else if ((*p & 0xE0) == 0xC0 && end - p >= 2 && (p[1] & 0xC0) == 0x80) {
            cp = ((p[0] & 0x1Fu) << 6) | (p[1] & 0x3Fu);
            len = 2;
        } else if ((*p & 0xF0) == 0xE0 && end - p >= 3 && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80) {
            cp = ((p[0] & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
            len = 3;
        } else if ((*p & 0xF8) == 0xF0 && end - p >= 4 && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80 &&
                   (p[3] & 0xC0) == 0x80) {
            cp = ((p[0] & 0x07u) << 18) | ((p[1] & 0x3Fu) << 12) | ((p[2] & 0x3Fu) << 6) | (p[3] & 0x3Fu);
            len = 4;
        }
        if (cp >= 0x10000) {
            cp -= 0x10000;
            add_unit(0xD800 + (cp >> 10));
            add_unit(0xDC00 + (cp & 0x3FF));
        } else {
            add_unit(cp);
        }
        p += len;
    }
    return static_cast<int32_t>(h);
}

int32_t partition_for_group(const std::string& group, int32_t partitions) {
    const int32_t h = java_string_hash(group);
    const int32_t abs = h == std::numeric_limits<int32_t>::min() ? 0 : (h < 0 ? -h : h);
    return partitions > 0 ? abs % partitions : 0;
}

struct group_coordinator::member {
    std::string id;
    std::optional<std::string> instance_id;
    std::string client_id;
    std::string client_host;
    int32_t session_timeout_ms = 0;
    int32_t rebalance_timeout_ms = 0;
    std::string protocol_type;
    std::vector<protocol_metadata> protocols;
    std::vector<uint8_t> assignment;
    std::function<void(join_result)> join_cb;  // held JoinGroup answer
    std::function<void(sync_result)> sync_cb;  // held SyncGroup answer
    int64_t last_heartbeat_ms = 0;
    bool is_new = false;
    uint64_t join_order = 0;

    const std::vector<uint8_t>* metadata_for(const std::optional<std::string>& protocol) const {
        if (!protocol) return nullptr;
        for (const auto& p : protocols) {
            if (p.name == *protocol) return &p.metadata;
        }
        return nullptr;
    }
    bool matches(const std::vector<protocol_metadata>& other) const {
        if (other.size() != protocols.size()) return false;
        for (size_t i = 0; i < other.size(); ++i) {
            if (other[i].name != protocols[i].name || other[i].metadata != protocols[i].metadata) return false;
        }
        return true;
    }
};

struct group_coordinator::group {
    std::string id;
    int32_t partition = 0;
    group_state state = group_state::empty;
    int32_t generation = 0;
    std::string protocol_type;  // "" until the first member (or for offset-only groups)
    std::optional<std::string> protocol;
    std::optional<std::string> leader;
    std::map<std::string, member> members;
    std::map<std::string, int64_t> pending_members;  // ids handed out with MEMBER_ID_REQUIRED -> deadline
    std::map<topic_partition, offset_value> offsets;
    int64_t state_timestamp = 0;
    // PreparingRebalance: when the join phase ends. With the initial delay (a group that was
    // empty) it ends at the deadline even if everyone has joined, and moves while members keep
    // arriving, up to initial_delay_limit_ms.
    int64_t rebalance_deadline_ms = 0;
    bool initial_delay = false;
    int64_t initial_delay_limit_ms = 0;
    bool new_member_added = false;
    uint64_t next_join_order = 0;
    // The group record the log holds now (what a snapshot writes again); nullopt: none.
    std::optional<group_value> stored;

    int32_t max_rebalance_timeout() const {
        int32_t t = 0;
        for (const auto& [_, m] : members) t = std::max(t, m.rebalance_timeout_ms);
        return t;
    }
    void transition(group_state s, int64_t now) {
        state = s;
        state_timestamp = now;
    }
};

std::shared_ptr<group_coordinator> group_coordinator::make(asio::any_io_executor ex, offsets_log& log,
                                                           coordinator_config cfg, clock_fn clock) {
    return std::shared_ptr<group_coordinator>(new group_coordinator(std::move(ex), log, cfg, std::move(clock)));
}

group_coordinator::group_coordinator(asio::any_io_executor ex, offsets_log& log, coordinator_config cfg,
                                     clock_fn clock)
    : strand_(asio::make_strand(ex)),
      log_(log),
      cfg_(cfg),
      clock_(std::move(clock)),
      tick_timer_(strand_),
      retention_timer_(strand_) {}

group_coordinator::~group_coordinator() = default;

template <class F>
void group_coordinator::on_strand(F&& f) {
    asio::post(strand_, [self = shared_from_this(), f = std::forward<F>(f)]() mutable { f(); });
}

void group_coordinator::start() {
    on_strand([this] {
        schedule_tick();
        schedule_retention();
    });
}

void group_coordinator::stop() {
    std::promise<void> done;
    auto f = done.get_future();
    on_strand([this, &done] {
        stopped_ = true;
        tick_timer_.cancel();
        retention_timer_.cancel();
        for (auto& [p, _] : std::map<int32_t, owned_partition>(owned_)) resigned_now(p);
        done.set_value();
    });
    f.wait();
}

void group_coordinator::schedule_tick() {
    if (stopped_) return;
    tick_timer_.expires_after(std::chrono::milliseconds(cfg_.tick_ms));
    tick_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
        if (ec || self->stopped_) return;
        self->tick(self->clock_());
        self->schedule_tick();
    });
}

void group_coordinator::schedule_retention() {
    if (stopped_) return;
    retention_timer_.expires_after(std::chrono::milliseconds(cfg_.offsets_retention_check_interval_ms));
    retention_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
        if (ec || self->stopped_) return;
        self->expire_offsets(self->clock_());
        self->schedule_retention();
    });
}

// ---- partition ownership ------------------------------------------------------------------------

void group_coordinator::became_leader(int32_t p, int32_t leader_epoch) {
    on_strand([this, p, leader_epoch] {
        if (stopped_) return;
        auto it = owned_.find(p);
        if (it != owned_.end()) {
            it->second.leader_epoch = std::max(it->second.leader_epoch, leader_epoch);
            return;
        }
        owned_partition& o = owned_[p];
        o.leader_epoch = leader_epoch;
        o.load_id = next_load_id_++;
        spdlog::info("group coordinator: loading __consumer_offsets-{} (leader epoch {})", p, leader_epoch);
        load(p, o.load_id);
    });
}

void group_coordinator::resigned(int32_t p) {
    on_strand([this, p] { resigned_now(p); });
}

void group_coordinator::resigned_now(int32_t p) {
    if (owned_.erase(p) == 0) return;
    size_t n = 0;
    for (auto it = groups_.begin(); it != groups_.end();) {
        group& g = *it->second;
        if (g.partition != p) {
            ++it;
            continue;
        }
        for (auto& [_, m] : g.members) {
            if (m.join_cb) std::exchange(m.join_cb, nullptr)(join_result{error_code::not_coordinator, -1, {}, "", m.id, {}});
            if (m.sync_cb) std::exchange(m.sync_cb, nullptr)(sync_result{error_code::not_coordinator, {}});
        }
        it = groups_.erase(it);
        ++n;
    }
    spdlog::info("group coordinator: unloaded __consumer_offsets-{} ({} groups)", p, n);
}

void group_coordinator::load(int32_t p, uint64_t load_id) {
    // Reading the log is disk work: off the strand, then applied on it.
    asio::post(strand_.get_inner_executor(), [self = shared_from_this(), p, load_id] {
        std::vector<uint8_t> bytes;
        error_code e = self->log_.read_all(p, bytes);
        self->on_strand([self, p, load_id, bytes = std::move(bytes), e]() mutable {
            self->apply_loaded(p, load_id, std::move(bytes), e);
        });
    });
}

void group_coordinator::apply_loaded(int32_t p, uint64_t load_id, std::vector<uint8_t> bytes, error_code error) {
    auto it = owned_.find(p);
    if (it == owned_.end() || it->second.load_id != load_id) return;  // moved away meanwhile
    if (error != error_code::none) {
        spdlog::warn("group coordinator: cannot read __consumer_offsets-{}: {}; retrying", p, protocol::error_name(error));
        auto timer = std::make_shared<asio::steady_timer>(strand_, std::chrono::milliseconds(500));
        timer->async_wait([self = shared_from_this(), timer, p, load_id](const boost::system::error_code& ec) {
            if (!ec) self->load(p, load_id);
        });
        return;
    }
    std::map<std::string, group_value> group_values;
    std::set<std::string> group_tombstones;
    std::map<std::pair<std::string, topic_partition>, offset_value> offsets;
    size_t records = 0, bad = 0;
    protocol::records::batch_iterator batches(bytes);
    while (auto batch = batches.next()) {
        if (batch->is_control()) continue;
        protocol::records::record_reader reader(*batch);
        while (auto rec = reader.next()) {
            ++records;
            if (!rec->key) {
                ++bad;
                continue;
            }
            std::optional<std::span<const uint8_t>> value;
            if (rec->value) value = *rec->value;
            auto decoded = decode_record(*rec->key, value);
            if (auto* o = std::get_if<offset_record>(&decoded)) {
                auto k = std::make_pair(o->key.group, topic_partition{o->key.topic, o->key.partition});
                if (o->value) {
                    offsets[k] = *o->value;
                } else {
                    offsets.erase(k);
                }
            } else if (auto* gr = std::get_if<group_record>(&decoded)) {
                if (gr->value) {
                    group_values[gr->key.group] = *gr->value;
                    group_tombstones.erase(gr->key.group);
                } else {
                    group_values.erase(gr->key.group);
                    group_tombstones.insert(gr->key.group);
                }
            } else {
                ++bad;
            }
        }
        if (reader.error()) ++bad;
    }
    const int64_t now = clock_();
    for (auto& [id, v] : group_values) {
        auto g = std::make_unique<group>();
        g->id = id;
        g->partition = p;
        g->generation = v.generation;
        g->protocol_type = v.protocol_type;
        g->protocol = v.protocol;
        g->leader = v.leader;
        g->state = v.members.empty() ? group_state::empty : group_state::stable;
        // No timestamp (values before v2): none, so retention goes by the commit timestamps
        // (Kafka's currentStateTimestamp.getOrElse(commitTimestamp)), not by the load time.
        g->state_timestamp = v.current_state_timestamp;
        for (auto& mv : v.members) {
            member m;
            m.id = mv.member_id;
            m.instance_id = mv.group_instance_id;
            m.client_id = mv.client_id;
            m.client_host = mv.client_host;
            m.session_timeout_ms = mv.session_timeout_ms;
            m.rebalance_timeout_ms = mv.rebalance_timeout_ms;
            m.protocol_type = v.protocol_type;
            if (v.protocol) m.protocols.push_back(protocol_metadata{*v.protocol, mv.subscription});
            m.assignment = mv.assignment;
            m.last_heartbeat_ms = now;  // members get a whole session to find the new coordinator
            m.join_order = g->next_join_order++;
            g->members.emplace(m.id, std::move(m));
        }
        g->stored = v;
        groups_[id] = std::move(g);
    }
    for (auto& [k, v] : offsets) {
        const bool known = groups_.contains(k.first);
        group& g = get_or_create(k.first);
        g.partition = p;
        if (!known) g.state_timestamp = -1;  // an offsets-only group: retention by commit time
        g.offsets[k.second] = v;
    }
    it->second.loaded = true;
    it->second.bytes_since_snapshot = static_cast<int64_t>(bytes.size());
    spdlog::info("group coordinator: loaded __consumer_offsets-{}: {} records, {} groups, {} offsets{}", p, records,
                 group_values.size(), offsets.size(), bad ? fmt::format(", {} unreadable records skipped", bad) : "");
}

error_code group_coordinator::ownership_error(const std::string& group_id) const {
    if (stopped_) return error_code::not_coordinator;
    auto it = owned_.find(partition_for(group_id));
    if (it == owned_.end()) return error_code::not_coordinator;
    if (!it->second.loaded) return error_code::coordinator_load_in_progress;
    return error_code::none;
}

group_coordinator::group* group_coordinator::find(const std::string& group_id) {
    auto it = groups_.find(group_id);
    return it == groups_.end() ? nullptr : it->second.get();
}

group_coordinator::group& group_coordinator::get_or_create(const std::string& group_id) {
    auto& slot = groups_[group_id];
    if (!slot) {
        slot = std::make_unique<group>();
        slot->id = group_id;
        slot->partition = partition_for(group_id);
        slot->state_timestamp = clock_();
    }
    return *slot;
}

// ---- persistence ---------------------------------------------------------------------------------

void group_coordinator::append(int32_t p, std::vector<uint8_t> batch, std::function<void(error_code)> done) {
    auto it = owned_.find(p);
    if (it == owned_.end()) {
        done(error_code::not_leader_or_follower);
        return;
    }
    owned_partition& o = it->second;
    o.bytes_since_snapshot += static_cast<int64_t>(batch.size());
    ++o.in_flight;
    log_.append(p, o.leader_epoch, std::move(batch),
                [self = shared_from_this(), p, load_id = o.load_id, done = std::move(done)](error_code e) mutable {
                    self->on_strand([self, p, load_id, done = std::move(done), e] {
                        if (auto it = self->owned_.find(p); it != self->owned_.end() && it->second.load_id == load_id) {
                            --it->second.in_flight;
                        }
                        done(e);
                    });
                });
}

void group_coordinator::snapshot_and_trim(int32_t p) {
    auto it = owned_.find(p);
    if (it == owned_.end()) return;
    const int64_t start = log_.log_end_offset(p);
    if (start < 0) return;
    std::vector<record_kv> recs;
    for (const auto& [id, g] : groups_) {
        if (g->partition != p) continue;
        if (g->stored) recs.push_back(record_kv{encode_key(group_key{id}), encode_value(*g->stored)});
        for (const auto& [tp, v] : g->offsets) {
            recs.push_back(record_kv{encode_key(offset_key{id, tp.topic, tp.partition}), encode_value(v)});
        }
    }
    it->second.snapshotting = true;
    it->second.bytes_since_snapshot = 0;
    const uint64_t load_id = it->second.load_id;
    // Batches of at most ~512 KiB (message.max.bytes bounds one batch).
    constexpr size_t max_batch_bytes = 512 << 10;
    std::vector<std::vector<uint8_t>> batches;
    const int64_t now = clock_();
    for (size_t i = 0; i < recs.size();) {
        std::vector<record_kv> chunk;
        size_t bytes = 0;
        while (i < recs.size() && (chunk.empty() || bytes + recs[i].key.size() + recs[i].value->size() < max_batch_bytes)) {
            bytes += recs[i].key.size() + recs[i].value->size() + 32;
            chunk.push_back(std::move(recs[i++]));
        }
        batches.push_back(build_batch(chunk, now));
    }
    struct progress {
        size_t left;
        error_code error = error_code::none;
    };
    auto st = std::make_shared<progress>(progress{batches.size() + 1});
    auto finish = [this, p, load_id, start, st](error_code e) {
        if (e != error_code::none) st->error = e;
        if (--st->left > 0) return;
        auto o = owned_.find(p);
        if (o == owned_.end() || o->second.load_id != load_id) return;
        o->second.snapshotting = false;
        if (st->error != error_code::none) {
            spdlog::warn("group coordinator: state snapshot of __consumer_offsets-{} failed: {}", p,
                         protocol::error_name(st->error));
            return;
        }
        // Everything below `start` is superseded by the snapshot (and whatever came after it).
        log_.delete_segments_below(p, start);
        spdlog::info("group coordinator: __consumer_offsets-{} state written again from offset {}; older segments "
                     "deleted",
                     p, start);
    };
    for (auto& b : batches) append(p, std::move(b), finish);
    finish(error_code::none);
}

group_value group_coordinator::snapshot(const group& g) const {
    group_value v;
    v.protocol_type = g.protocol_type;
    v.generation = g.generation;
    v.protocol = g.protocol;
    v.leader = g.leader;
    v.current_state_timestamp = g.state_timestamp;
    for (const auto& [_, m] : g.members) {
        member_value mv;
        mv.member_id = m.id;
        mv.group_instance_id = m.instance_id;
        mv.client_id = m.client_id;
        mv.client_host = m.client_host;
        mv.rebalance_timeout_ms = m.rebalance_timeout_ms;
        mv.session_timeout_ms = m.session_timeout_ms;
        if (const auto* md = m.metadata_for(g.protocol)) mv.subscription = *md;
        mv.assignment = m.assignment;
        v.members.push_back(std::move(mv));
    }
    return v;
}

void group_coordinator::store_group(group& g, std::function<void(error_code)> done) {
    group_value value = snapshot(g);
    std::vector<record_kv> recs;
    recs.push_back(record_kv{encode_key(group_key{g.id}), encode_value(value)});
    append(g.partition, build_batch(recs, clock_()),
           [this, id = g.id, value = std::move(value), done = std::move(done)](error_code e) mutable {
               if (e == error_code::none) {
                   if (group* g = find(id)) g->stored = std::move(value);
               }
               done(map_store_error(e, false));
           });
}

// ---- JoinGroup -------------------------------------------------------------------------------------

void group_coordinator::join_group(join_request req, std::function<void(join_result)> done) {
    on_strand([this, req = std::move(req), done = std::move(done)]() mutable {
        auto fail = [&](error_code e) { done(join_result{e, -1, {}, "", req.member_id, {}}); };
        if (req.group_id.empty()) return fail(error_code::invalid_group_id);
        if (auto e = ownership_error(req.group_id); e != error_code::none) return fail(e);
        if (req.session_timeout_ms < cfg_.min_session_timeout_ms || req.session_timeout_ms > cfg_.max_session_timeout_ms) {
            return fail(error_code::invalid_session_timeout);
        }
        group* g = find(req.group_id);
        if (g == nullptr) {
            if (!req.member_id.empty()) return fail(error_code::unknown_member_id);
            g = &get_or_create(req.group_id);
        }
        if (req.member_id.empty() || !g->members.contains(req.member_id)) {
            if (static_cast<int64_t>(g->members.size() + g->pending_members.size()) >= cfg_.max_group_size &&
                !g->pending_members.contains(req.member_id)) {
                return fail(error_code::group_max_size_reached);
            }
        }
        if (req.member_id.empty()) {
            join_new_member(*g, req, done);
        } else {
            join_known_member(*g, req, done);
        }
    });
}

void group_coordinator::join_new_member(group& g, join_request& req, std::function<void(join_result)>& done) {
    auto fail = [&](error_code e) { done(join_result{e, -1, {}, "", "", {}}); };
    if (g.state == group_state::dead) return fail(error_code::coordinator_not_available);
    if (!protocols_supported(g, req.protocol_type, req.protocols)) return fail(error_code::inconsistent_group_protocol);
    std::string id = req.client_id + "-" + random_uuid();
    if (req.require_known_member_id && !req.group_instance_id) {
        // KIP-394: the member id is handed out first; the member joins with it, so a client that
        // loses the answer leaves no phantom member behind (pending ids expire).
        g.pending_members[id] = clock_() + req.session_timeout_ms;
        done(join_result{error_code::member_id_required, -1, {}, "", id, {}});
        return;
    }
    add_member_and_rebalance(g, req, std::move(id), std::move(done));
}

void group_coordinator::join_known_member(group& g, join_request& req, std::function<void(join_result)>& done) {
    auto fail = [&](error_code e) { done(join_result{e, -1, {}, "", req.member_id, {}}); };
    if (g.state == group_state::dead) return fail(error_code::coordinator_not_available);
    if (!protocols_supported(g, req.protocol_type, req.protocols)) return fail(error_code::inconsistent_group_protocol);
    if (auto pending = g.pending_members.find(req.member_id); pending != g.pending_members.end()) {
        g.pending_members.erase(pending);
        add_member_and_rebalance(g, req, req.member_id, std::move(done));
        return;
    }
    auto it = g.members.find(req.member_id);
    if (it == g.members.end()) return fail(error_code::unknown_member_id);
    member& m = it->second;
    auto current = [&](bool with_members) {
        join_result r{error_code::none, g.generation, g.protocol, g.leader.value_or(""), m.id, {}};
        if (with_members) {
            for (const auto& [_, other] : g.members) {
                const auto* md = other.metadata_for(g.protocol);
                r.members.push_back(join_member{other.id, other.instance_id, md ? *md : std::vector<uint8_t>{}});
            }
        }
        return r;
    };
    switch (g.state) {
    case group_state::preparing_rebalance:
        update_member_and_rebalance(g, m, req, std::move(done));
        return;
    case group_state::completing_rebalance:
        if (m.matches(req.protocols)) {
            // The member lost the join answer: give it again.
            m.last_heartbeat_ms = clock_();
            done(current(g.leader == m.id));
        } else {
            update_member_and_rebalance(g, m, req, std::move(done));
        }
        return;
    case group_state::stable:
        if (g.leader == m.id || !m.matches(req.protocols)) {
            // The leader rejoining means it wants a new assignment (e.g. metadata changed).
            update_member_and_rebalance(g, m, req, std::move(done));
        } else {
            m.last_heartbeat_ms = clock_();
            done(current(false));
        }
        return;
    case group_state::empty:
    case group_state::dead:
        return fail(error_code::unknown_member_id);
    }
}

// Kafka's GroupMetadata.supportsProtocols: an empty group takes any non-empty protocol list;
// otherwise the type must match and one protocol must be supported by every member.
bool group_coordinator::protocols_supported(const group& g, const std::string& type,
                                            const std::vector<protocol_metadata>& protocols) const {
    if (type.empty() || protocols.empty()) return false;
    if (g.members.empty()) return true;
    if (type != g.protocol_type) return false;
    for (const auto& p : protocols) {
        size_t supporting = 0;
        for (const auto& [_, m] : g.members) {
            if (m.metadata_for(p.name)) ++supporting;
        }
        if (supporting == g.members.size()) return true;
    }
    return false;
}

void group_coordinator::add_member_and_rebalance(group& g, join_request& req, std::string member_id,
                                                 std::function<void(join_result)> done) {
    const int64_t now = clock_();
    member m;
    m.id = std::move(member_id);
    m.instance_id = req.group_instance_id;
    m.client_id = req.client_id;
    m.client_host = req.client_host;
    m.session_timeout_ms = req.session_timeout_ms;
    m.rebalance_timeout_ms = req.rebalance_timeout_ms;
    m.protocol_type = req.protocol_type;
    m.protocols = std::move(req.protocols);
    m.join_cb = std::move(done);
    m.last_heartbeat_ms = now;
    m.is_new = true;
    m.join_order = g.next_join_order++;
    if (g.members.empty()) g.protocol_type = req.protocol_type;
    if (g.state == group_state::preparing_rebalance && g.initial_delay) g.new_member_added = true;
    const std::string id = m.id;
    g.members.emplace(id, std::move(m));
    if (g.state == group_state::preparing_rebalance) {
        maybe_complete_join(g, now);
    } else {
        prepare_rebalance(g, "a new member joined");
    }
}

void group_coordinator::update_member_and_rebalance(group& g, member& m, join_request& req,
                                                    std::function<void(join_result)> done) {
    m.protocols = std::move(req.protocols);
    m.session_timeout_ms = req.session_timeout_ms;
    m.rebalance_timeout_ms = req.rebalance_timeout_ms;
    m.client_id = req.client_id;
    m.client_host = req.client_host;
    m.last_heartbeat_ms = clock_();
    if (m.join_cb) {
        // A second JoinGroup while the first is held: the newer request wins.
        std::exchange(m.join_cb, nullptr)(join_result{error_code::rebalance_in_progress, -1, {}, "", m.id, {}});
    }
    m.join_cb = std::move(done);
    if (g.state == group_state::preparing_rebalance) {
        maybe_complete_join(g, clock_());
    } else {
        prepare_rebalance(g, "a member rejoined");
    }
}

void group_coordinator::prepare_rebalance(group& g, const char* reason) {
    const int64_t now = clock_();
    if (g.state == group_state::completing_rebalance) {
        reset_and_answer_syncs(g, error_code::rebalance_in_progress);
    }
    const int32_t max_rebalance = std::max(g.max_rebalance_timeout(), 1);
    if (g.state == group_state::empty && cfg_.initial_rebalance_delay_ms > 0) {
        // group.initial.rebalance.delay.ms: let a starting fleet of consumers arrive before the
        // first generation, instead of rebalancing once per arrival.
        g.initial_delay = true;
        g.new_member_added = false;
        g.initial_delay_limit_ms = now + std::max<int64_t>(max_rebalance, cfg_.initial_rebalance_delay_ms);
        g.rebalance_deadline_ms = std::min(now + cfg_.initial_rebalance_delay_ms, g.initial_delay_limit_ms);
    } else {
        g.initial_delay = false;
        g.rebalance_deadline_ms = now + max_rebalance;
    }
    spdlog::info("group {}: preparing to rebalance in generation {} ({}; {} members)", g.id, g.generation, reason,
                 g.members.size());
    g.transition(group_state::preparing_rebalance, now);
    maybe_complete_join(g, now);
}

bool group_coordinator::all_members_joined(const group& g) const {
    if (!g.pending_members.empty()) return false;
    return std::all_of(g.members.begin(), g.members.end(), [](const auto& kv) { return bool(kv.second.join_cb); });
}

void group_coordinator::maybe_complete_join(group& g, int64_t now) {
    if (g.state != group_state::preparing_rebalance) return;
    if (g.initial_delay) {
        if (now < g.rebalance_deadline_ms) return;
        if (g.new_member_added && now < g.initial_delay_limit_ms) {
            g.new_member_added = false;
            g.rebalance_deadline_ms = std::min(now + cfg_.initial_rebalance_delay_ms, g.initial_delay_limit_ms);
            return;
        }
        complete_join(g);
        return;
    }
    if (all_members_joined(g) || now >= g.rebalance_deadline_ms) complete_join(g);
}

void group_coordinator::complete_join(group& g) {
    const int64_t now = clock_();
    // Members that did not rejoin within the rebalance timeout are out of the new generation.
    for (auto it = g.members.begin(); it != g.members.end();) {
        if (it->second.join_cb) {
            ++it;
            continue;
        }
        spdlog::info("group {}: member {} did not rejoin in time; removed", g.id, it->first);
        if (it->second.sync_cb) std::exchange(it->second.sync_cb, nullptr)(sync_result{error_code::unknown_member_id, {}});
        it = g.members.erase(it);
    }
    g.initial_delay = false;
    ++g.generation;
    if (g.members.empty()) {
        g.protocol.reset();
        g.leader.reset();
        g.transition(group_state::empty, now);
        spdlog::info("group {}: generation {} is empty", g.id, g.generation);
        store_group(g, [id = g.id](error_code e) {
            if (e != error_code::none) {
                spdlog::warn("group {}: storing the empty generation failed: {}", id, protocol::error_name(e));
            }
        });
        return;
    }
    // Each member votes for its most preferred protocol among those every member supports.
    std::map<std::string, int> votes;
    std::vector<const member*> order;
    for (const auto& [_, m] : g.members) order.push_back(&m);
    std::sort(order.begin(), order.end(), [](const member* a, const member* b) { return a->join_order < b->join_order; });
    for (const member* m : order) {
        for (const auto& p : m->protocols) {
            bool everyone = std::all_of(g.members.begin(), g.members.end(),
                                        [&](const auto& kv) { return kv.second.metadata_for(p.name) != nullptr; });
            if (everyone) {
                votes[p.name]++;
                break;
            }
        }
    }
    std::optional<std::string> chosen;
    int best = 0;
    for (const member* m : order) {  // ties go to the earliest member's preference
        for (const auto& p : m->protocols) {
            auto v = votes.find(p.name);
            if (v != votes.end() && v->second > best) {
                best = v->second;
                chosen = p.name;
            }
        }
    }
    g.protocol = chosen;
    if (!g.leader || !g.members.contains(*g.leader)) g.leader = order.front()->id;
    g.transition(group_state::completing_rebalance, now);
    spdlog::info("group {}: generation {} with {} members, protocol {}, leader {}", g.id, g.generation,
                 g.members.size(), g.protocol.value_or("-"), *g.leader);
    std::vector<join_member> all;
    for (const member* m : order) {
        const auto* md = m->metadata_for(g.protocol);
        all.push_back(join_member{m->id, m->instance_id, md ? *md : std::vector<uint8_t>{}});
    }
    for (auto& [_, m] : g.members) {
        join_result r{error_code::none, g.generation, g.protocol, *g.leader, m.id, {}};
        if (m.id == *g.leader) r.members = all;
        m.is_new = false;
        m.last_heartbeat_ms = now;
        std::exchange(m.join_cb, nullptr)(std::move(r));
    }
}

void group_coordinator::reset_and_answer_syncs(group& g, error_code error) {
    for (auto& [_, m] : g.members) {
        m.assignment.clear();
        if (m.sync_cb) std::exchange(m.sync_cb, nullptr)(sync_result{error, {}});
    }
}

void group_coordinator::remove_member(group& g, const std::string& member_id, const char* reason) {
    auto it = g.members.find(member_id);
    if (it == g.members.end()) return;
    spdlog::info("group {}: member {} removed ({})", g.id, member_id, reason);
    member& m = it->second;
    if (m.join_cb) std::exchange(m.join_cb, nullptr)(join_result{error_code::unknown_member_id, -1, {}, "", m.id, {}});
    if (m.sync_cb) std::exchange(m.sync_cb, nullptr)(sync_result{error_code::unknown_member_id, {}});
    g.members.erase(it);
    if (g.leader == member_id) g.leader.reset();
    switch (g.state) {
    case group_state::stable:
    case group_state::completing_rebalance:
        prepare_rebalance(g, reason);
        break;
    case group_state::preparing_rebalance:
        maybe_complete_join(g, clock_());
        break;
    case group_state::empty:
    case group_state::dead:
        break;
    }
}

// ---- SyncGroup, Heartbeat, LeaveGroup ----------------------------------------------------------------

void group_coordinator::sync_group(sync_request req, std::function<void(sync_result)> done) {
    on_strand([this, req = std::move(req), done = std::move(done)]() mutable {
        auto fail = [&](error_code e) { done(sync_result{e, {}}); };
        if (auto e = ownership_error(req.group_id); e != error_code::none) return fail(e);
        group* g = find(req.group_id);
        if (g == nullptr || g->state == group_state::empty) return fail(error_code::unknown_member_id);
        if (g->state == group_state::dead) return fail(error_code::coordinator_not_available);
        auto it = g->members.find(req.member_id);
        if (it == g->members.end()) return fail(error_code::unknown_member_id);
        if (req.generation != g->generation) return fail(error_code::illegal_generation);
        member& m = it->second;
        m.last_heartbeat_ms = clock_();
        switch (g->state) {
        case group_state::preparing_rebalance:
            return fail(error_code::rebalance_in_progress);
        case group_state::stable:
            done(sync_result{error_code::none, m.assignment});
            return;
        case group_state::completing_rebalance:
            break;
        default:
            return fail(error_code::unknown_member_id);
        }
        if (m.sync_cb) std::exchange(m.sync_cb, nullptr)(sync_result{error_code::rebalance_in_progress, {}});
        m.sync_cb = std::move(done);
        if (g->leader != m.id) return;  // held until the leader's assignment is stored
        for (auto& [id, member] : g->members) {
            auto a = req.assignments.find(id);
            member.assignment = a == req.assignments.end() ? std::vector<uint8_t>{} : std::move(a->second);
        }
        const int32_t generation = g->generation;
        store_group(*g, [this, id = g->id, generation](error_code e) {
            group* g = find(id);
            if (g == nullptr || g->generation != generation || g->state != group_state::completing_rebalance) return;
            if (e != error_code::none) {
                spdlog::warn("group {}: storing generation {} failed: {}", id, generation, protocol::error_name(e));
                reset_and_answer_syncs(*g, e);
                prepare_rebalance(*g, "storing the assignment failed");
                return;
            }
            for (auto& [_, m] : g->members) {
                if (m.sync_cb) std::exchange(m.sync_cb, nullptr)(sync_result{error_code::none, m.assignment});
            }
            g->transition(group_state::stable, clock_());
            spdlog::info("group {}: generation {} is stable", id, generation);
        });
    });
}

void group_coordinator::heartbeat(std::string group_id, std::string member_id, int32_t generation,
                                  std::function<void(error_code)> done) {
    on_strand([this, group_id = std::move(group_id), member_id = std::move(member_id), generation,
               done = std::move(done)] {
        if (auto e = ownership_error(group_id); e != error_code::none) return done(e);
        group* g = find(group_id);
        if (g == nullptr || g->state == group_state::empty) return done(error_code::unknown_member_id);
        if (g->state == group_state::dead) return done(error_code::coordinator_not_available);
        auto it = g->members.find(member_id);
        if (it == g->members.end()) return done(error_code::unknown_member_id);
        if (generation != g->generation) return done(error_code::illegal_generation);
        it->second.last_heartbeat_ms = clock_();
        done(g->state == group_state::preparing_rebalance ? error_code::rebalance_in_progress : error_code::none);
    });
}

void group_coordinator::leave_group(std::string group_id, std::vector<leave_member> members,
                                    std::function<void(leave_result)> done) {
    on_strand([this, group_id = std::move(group_id), members = std::move(members), done = std::move(done)] {
        leave_result r;
        if (auto e = ownership_error(group_id); e != error_code::none) {
            r.error = e;
            return done(r);
        }
        group* g = find(group_id);
        if (g != nullptr && g->state == group_state::dead) {
            r.error = error_code::coordinator_not_available;
            return done(r);
        }
        for (const auto& lm : members) {
            if (g == nullptr) {
                r.members.push_back(error_code::unknown_member_id);
                continue;
            }
            if (g->pending_members.erase(lm.member_id) > 0) {
                r.members.push_back(error_code::none);
                maybe_complete_join(*g, clock_());
                continue;
            }
            if (!g->members.contains(lm.member_id)) {
                r.members.push_back(error_code::unknown_member_id);
                continue;
            }
            remove_member(*g, lm.member_id, "it left the group");
            r.members.push_back(error_code::none);
        }
        done(r);
    });
}

// ---- offsets -------------------------------------------------------------------------------------------

void group_coordinator::commit_offsets(commit_request req, std::function<void(commit_result)> done) {
    on_strand([this, req = std::move(req), done = std::move(done)]() mutable {
        auto fail = [&](error_code e) {
            commit_result r;
            r.error = e;
            r.partitions.assign(req.offsets.size(), e);
            done(std::move(r));
        };
        if (req.group_id.empty()) return fail(error_code::invalid_group_id);
        if (auto e = ownership_error(req.group_id); e != error_code::none) return fail(e);
        group* g = find(req.group_id);
        if (g == nullptr) {
            // A consumer outside group management (assign() + commit): the group exists for its offsets.
            if (req.generation >= 0) return fail(error_code::illegal_generation);
            g = &get_or_create(req.group_id);
        } else if (g->state == group_state::dead) {
            return fail(error_code::coordinator_not_available);
        } else if (!(req.generation < 0 && g->state == group_state::empty)) {
            auto it = g->members.find(req.member_id);
            if (it == g->members.end()) return fail(error_code::unknown_member_id);
            if (req.generation != g->generation) return fail(error_code::illegal_generation);
            if (g->state == group_state::completing_rebalance) return fail(error_code::rebalance_in_progress);
            it->second.last_heartbeat_ms = clock_();
        }
        const int64_t now = clock_();
        commit_result result;
        result.partitions.assign(req.offsets.size(), error_code::none);
        std::vector<record_kv> recs;
        std::vector<std::pair<size_t, offset_value>> stored;
        for (size_t i = 0; i < req.offsets.size(); ++i) {
            const auto& c = req.offsets[i];
            if (static_cast<int64_t>(c.metadata.size()) > cfg_.offset_metadata_max_bytes) {
                result.partitions[i] = error_code::offset_metadata_too_large;
                continue;
            }
            offset_value v;
            v.offset = c.offset;
            v.leader_epoch = c.leader_epoch;
            v.metadata = c.metadata;
            v.commit_timestamp = c.commit_timestamp >= 0 ? c.commit_timestamp : now;
            if (req.retention_ms >= 0) v.expire_timestamp = v.commit_timestamp + req.retention_ms;
            recs.push_back(record_kv{encode_key(offset_key{req.group_id, c.tp.topic, c.tp.partition}), encode_value(v)});
            stored.emplace_back(i, std::move(v));
        }
        if (recs.empty()) return done(std::move(result));
        append(g->partition, build_batch(recs, now),
               [this, req = std::move(req), result = std::move(result), stored = std::move(stored),
                done = std::move(done)](error_code e) mutable {
                   e = map_store_error(e, true);
                   group* g = find(req.group_id);
                   for (auto& [i, v] : stored) {
                       result.partitions[i] = e;
                       if (e == error_code::none && g != nullptr) g->offsets[req.offsets[i].tp] = std::move(v);
                   }
                   done(std::move(result));
               });
    });
}

void group_coordinator::fetch_offsets(std::string group_id, std::optional<std::vector<topic_partition>> partitions,
                                      std::function<void(fetch_offsets_result)> done) {
    on_strand([this, group_id = std::move(group_id), partitions = std::move(partitions), done = std::move(done)] {
        fetch_offsets_result r;
        if (auto e = ownership_error(group_id); e != error_code::none) {
            r.error = e;
            return done(std::move(r));
        }
        const group* g = find(group_id);
        auto fill = [](fetched_offset& f, const offset_value& v) {
            f.offset = v.offset;
            f.leader_epoch = v.leader_epoch;
            f.metadata = v.metadata;
        };
        if (!partitions) {
            if (g != nullptr) {
                for (const auto& [tp, v] : g->offsets) {
                    fetched_offset f{tp};
                    fill(f, v);
                    r.offsets.push_back(std::move(f));
                }
            }
            return done(std::move(r));
        }
        for (const auto& tp : *partitions) {
            fetched_offset f{tp};
            if (g != nullptr) {
                if (auto it = g->offsets.find(tp); it != g->offsets.end()) fill(f, it->second);
            }
            r.offsets.push_back(std::move(f));
        }
        done(std::move(r));
    });
}

// ---- listing, describing, deleting ------------------------------------------------------------------

void group_coordinator::list_groups(std::function<void(error_code, std::vector<group_listing>)> done) {
    on_strand([this, done = std::move(done)] {
        error_code e = error_code::none;
        for (const auto& [_, o] : owned_) {
            if (!o.loaded) e = error_code::coordinator_load_in_progress;
        }
        std::vector<group_listing> out;
        for (const auto& [id, g] : groups_) {
            auto o = owned_.find(g->partition);
            if (o == owned_.end() || !o->second.loaded || g->state == group_state::dead) continue;
            out.push_back(group_listing{id, g->protocol_type, g->state});
        }
        done(e, std::move(out));
    });
}

void group_coordinator::describe_group(std::string group_id, std::function<void(group_description)> done) {
    on_strand([this, group_id = std::move(group_id), done = std::move(done)] {
        group_description d;
        if (auto e = ownership_error(group_id); e != error_code::none) {
            d.error = e;
            return done(std::move(d));
        }
        const group* g = find(group_id);
        if (g == nullptr) return done(std::move(d));  // Dead, no error: Kafka's answer for an unknown group
        d.state = g->state;
        d.protocol_type = g->protocol_type;
        const bool stable = g->state == group_state::stable;
        if (stable) d.protocol = g->protocol.value_or("");
        std::vector<const member*> order;
        for (const auto& [_, m] : g->members) order.push_back(&m);
        std::sort(order.begin(), order.end(), [](const member* a, const member* b) { return a->join_order < b->join_order; });
        for (const member* m : order) {
            member_description md{m->id, m->instance_id, m->client_id, m->client_host, {}, {}};
            if (stable) {
                if (const auto* meta = m->metadata_for(g->protocol)) md.metadata = *meta;
                md.assignment = m->assignment;
            }
            d.members.push_back(std::move(md));
        }
        done(std::move(d));
    });
}

void group_coordinator::delete_groups(std::vector<std::string> groups,
                                      std::function<void(std::vector<error_code>)> done) {
    on_strand([this, groups = std::move(groups), done = std::move(done)]() mutable {
        struct gather {
            std::vector<error_code> out;
            size_t left = 1;  // released after the loop
            std::function<void(std::vector<error_code>)> done;
        };
        auto st = std::make_shared<gather>();
        st->out.assign(groups.size(), error_code::none);
        st->done = std::move(done);
        auto release = [st] {
            if (--st->left == 0) st->done(std::move(st->out));
        };
        const int64_t now = clock_();
        for (size_t i = 0; i < groups.size(); ++i) {
            const std::string& id = groups[i];
            if (auto e = ownership_error(id); e != error_code::none) {
                st->out[i] = e;
                continue;
            }
            group* g = find(id);
            if (g == nullptr || g->state == group_state::dead) {
                st->out[i] = error_code::group_id_not_found;
                continue;
            }
            if (!g->members.empty() || g->state != group_state::empty) {
                st->out[i] = error_code::non_empty_group;
                continue;
            }
            std::vector<record_kv> recs;
            for (const auto& [tp, _] : g->offsets) {
                recs.push_back(record_kv{encode_key(offset_key{id, tp.topic, tp.partition}), std::nullopt});
            }
            recs.push_back(record_kv{encode_key(group_key{id}), std::nullopt});
            g->transition(group_state::dead, now);  // no joins or commits while the tombstones are written
            ++st->left;
            append(g->partition, build_batch(recs, now), [this, st, i, id, release](error_code e) {
                e = map_store_error(e, false);
                st->out[i] = e;
                if (group* g = find(id); g != nullptr && g->state == group_state::dead) {
                    if (e == error_code::none) {
                        groups_.erase(id);
                        spdlog::info("group {} deleted", id);
                    } else {
                        g->transition(group_state::empty, clock_());
                    }
                }
                release();
            });
        }
        release();
    });
}

std::set<std::string> group_coordinator::subscribed_topics(const group& g) const {
    std::set<std::string> topics;
    if (g.protocol_type != "consumer") return topics;
    for (const auto& [_, m] : g.members) {
        const std::vector<uint8_t>* md = m.metadata_for(g.protocol);
        if (md == nullptr && !m.protocols.empty()) md = &m.protocols.front().metadata;
        if (md == nullptr) continue;
        for (auto& t : subscription_topics(*md)) topics.insert(std::move(t));
    }
    return topics;
}

void group_coordinator::delete_offsets(std::string group_id, std::vector<topic_partition> partitions,
                                       std::function<void(error_code, std::vector<error_code>)> done) {
    on_strand([this, group_id = std::move(group_id), partitions = std::move(partitions), done = std::move(done)] {
        std::vector<error_code> out(partitions.size(), error_code::none);
        if (auto e = ownership_error(group_id); e != error_code::none) return done(e, out);
        group* g = find(group_id);
        if (g == nullptr || g->state == group_state::dead) return done(error_code::group_id_not_found, out);
        std::set<std::string> subscribed;
        if (g->state != group_state::empty) {
            if (g->protocol_type != "consumer") return done(error_code::non_empty_group, out);
            subscribed = subscribed_topics(*g);
        }
        std::vector<record_kv> recs;
        std::vector<topic_partition> removed;
        for (size_t i = 0; i < partitions.size(); ++i) {
            if (subscribed.contains(partitions[i].topic)) {
                out[i] = error_code::group_subscribed_to_topic;
                continue;
            }
            if (g->offsets.contains(partitions[i])) {
                recs.push_back(record_kv{encode_key(offset_key{group_id, partitions[i].topic, partitions[i].partition}),
                                         std::nullopt});
                removed.push_back(partitions[i]);
            }
        }
        if (recs.empty()) return done(error_code::none, out);
        append(g->partition, build_batch(recs, clock_()),
               [this, group_id, removed, out, done](error_code e) mutable {
                   e = map_store_error(e, false);
                   if (e != error_code::none) return done(e, out);
                   if (group* g = find(group_id)) {
                       for (const auto& tp : removed) g->offsets.erase(tp);
                   }
                   done(error_code::none, out);
               });
    });
}

// ---- time ------------------------------------------------------------------------------------------------

void group_coordinator::tick(int64_t now) {
    if (cfg_.snapshot_after_bytes > 0) {
        for (auto& [p, o] : owned_) {
            if (o.loaded && !o.snapshotting && o.in_flight == 0 && o.bytes_since_snapshot >= cfg_.snapshot_after_bytes) {
                snapshot_and_trim(p);
            }
        }
    }
    std::vector<std::string> ids;
    for (const auto& [id, g] : groups_) {
        // Empty groups only for their pending member ids, which expire like sessions.
        if (g->state != group_state::dead && (g->state != group_state::empty || !g->pending_members.empty())) {
            ids.push_back(id);
        }
    }
    for (const auto& id : ids) {
        group* g = find(id);
        if (g == nullptr) continue;
        std::vector<std::string> expired;
        for (const auto& [mid, m] : g->members) {
            bool alive;
            if (m.join_cb) {
                alive = !m.is_new || m.last_heartbeat_ms + new_member_join_timeout_ms > now;
            } else {
                alive = bool(m.sync_cb) || m.last_heartbeat_ms + m.session_timeout_ms > now;
            }
            if (!alive) expired.push_back(mid);
        }
        for (const auto& mid : expired) {
            if (group* g2 = find(id)) remove_member(*g2, mid, "session timeout");
        }
        g = find(id);
        if (g == nullptr) continue;
        std::erase_if(g->pending_members, [now](const auto& kv) { return kv.second <= now; });
        maybe_complete_join(*g, now);
    }
}

void group_coordinator::expire_offsets(int64_t now) {
    // Kafka 2.1+ (KIP-211): an empty group's offsets expire offsets.retention after it became
    // empty; an active consumer group keeps the offsets of the topics it subscribes to; explicit
    // expire timestamps (OffsetCommit v1-v4 retention) are honoured as given.
    std::map<int32_t, std::vector<record_kv>> tombstones;
    std::vector<std::string> dead;
    for (auto& [id, gp] : groups_) {
        group& g = *gp;
        auto o = owned_.find(g.partition);
        if (o == owned_.end() || !o->second.loaded || g.state == group_state::dead) continue;
        std::set<std::string> subscribed;
        const bool empty = g.state == group_state::empty;
        if (!empty) {
            if (g.protocol_type != "consumer") continue;  // other protocols: kept while the group is active
            subscribed = subscribed_topics(g);
        }
        for (auto it = g.offsets.begin(); it != g.offsets.end();) {
            const offset_value& v = it->second;
            bool expired;
            if (subscribed.contains(it->first.topic)) {
                expired = false;  // an active consumer group keeps these, explicit expiry or not
            } else if (v.expire_timestamp) {
                expired = now >= *v.expire_timestamp;
            } else if (empty) {
                expired = now - std::max(g.state_timestamp, v.commit_timestamp) >= cfg_.offsets_retention_ms;
            } else {
                expired = now - v.commit_timestamp >= cfg_.offsets_retention_ms;
            }
            if (!expired) {
                ++it;
                continue;
            }
            tombstones[g.partition].push_back(
                record_kv{encode_key(offset_key{id, it->first.topic, it->first.partition}), std::nullopt});
            it = g.offsets.erase(it);
        }
        if (empty && g.offsets.empty()) {
            tombstones[g.partition].push_back(record_kv{encode_key(group_key{id}), std::nullopt});
            dead.push_back(id);
        }
    }
    for (const auto& id : dead) groups_.erase(id);
    size_t n = 0;
    for (auto& [p, recs] : tombstones) {
        n += recs.size();
        append(p, build_batch(recs, now), [p](error_code e) {
            if (e != error_code::none) {
                spdlog::warn("offsets retention: writing tombstones to __consumer_offsets-{} failed: {}", p,
                             protocol::error_name(e));
            }
        });
    }
    if (n > 0) spdlog::info("offsets retention: {} offsets and groups expired, {} groups removed", n, dead.size());
}

}  // namespace broker::group
