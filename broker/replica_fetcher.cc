#include "broker/replica_fetcher.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <vector>

#include <spdlog/spdlog.h>

#include "broker/clock.h"
#include "broker/partition.h"
#include "protocol/client/client.h"
#include "protocol/errors.h"
#include "protocol/messages/fetch.h"
#include "protocol/messages/offset_for_leader_epoch.h"

namespace broker {
using protocol::error_code;

namespace {
constexpr int16_t fetch_version = 11;
constexpr int16_t offset_for_leader_epoch_version = 3;
}  // namespace

/// One leader's fetcher: a thread with a blocking connection to that leader.
class replica_fetcher_manager::fetcher {
public:
    fetcher(const config& cfg, leader_endpoint leader) : cfg_(cfg), leader_(std::move(leader)) {
        thread_ = std::thread([this] { run(); });
    }
    ~fetcher() { stop(); }

    void set_leader(const leader_endpoint& l) {
        std::lock_guard lk(m_);
        if (l != leader_) {
            leader_ = l;
            changed_ = true;
            cv_.notify_all();
        }
    }

    void add(const std::shared_ptr<partition>& part, int32_t epoch) {
        std::lock_guard lk(m_);
        entry e;
        e.part = part;
        e.epoch = epoch;
        e.generation = ++next_generation_;
        parts_[key{part->topic(), part->index()}] = std::move(e);
        changed_ = true;
        cv_.notify_all();
    }

    void remove(const key& k) {
        std::lock_guard lk(m_);
        parts_.erase(k);
        changed_ = true;
        cv_.notify_all();
    }

    size_t size() const {
        std::lock_guard lk(m_);
        return parts_.size();
    }

    void stop() {
        {
            std::lock_guard lk(m_);
            stop_ = true;
            cv_.notify_all();
        }
        if (thread_.joinable()) {
            thread_.join();
        }
    }

private:
    struct entry {
        std::shared_ptr<partition> part;
        int32_t epoch = -1;
        bool truncated = false;  // the divergent tail (if any) was cut under this leadership
        uint64_t generation = 0;
        // After a partition error the partition sits out until then; the others keep fetching.
        std::chrono::steady_clock::time_point retry_at{};
    };

    void run();
    bool truncate(protocol::client::connection& conn, std::map<key, entry>& snapshot);
    bool fetch(protocol::client::connection& conn, std::map<key, entry>& snapshot);
    /// Still followed as in the snapshot (not removed or re-added meanwhile)?
    bool current(const key& k, const entry& e) const {
        std::lock_guard lk(m_);
        auto it = parts_.find(k);
        return it != parts_.end() && it->second.generation == e.generation;
    }
    void mark_truncated(const key& k, const entry& e, bool value) {
        std::lock_guard lk(m_);
        auto it = parts_.find(k);
        if (it != parts_.end() && it->second.generation == e.generation) it->second.truncated = value;
    }
    /// UNKNOWN_LEADER_EPOCH means the leader has not applied the LeaderAndIsr we already have (the
    /// controller sends both at once): it is a moment away, so that retry waits only
    /// unknown_epoch_backoff, not replica.fetch.backoff.ms, which would stall acks=all produces for
    /// a second after every leader change.
    static constexpr std::chrono::milliseconds unknown_epoch_backoff{20};
    void delay(const key& k, const entry& e, error_code why) {
        std::lock_guard lk(m_);
        auto it = parts_.find(k);
        if (it != parts_.end() && it->second.generation == e.generation) {
            auto wait = why == error_code::unknown_leader_epoch
                            ? unknown_epoch_backoff
                            : std::chrono::milliseconds(cfg_.replica_fetch_backoff_ms);
            it->second.retry_at = std::chrono::steady_clock::now() + wait;
        }
    }
    /// Waits until the first delayed partition may retry, or partitions change, or we stop.
    void wait_until(std::chrono::steady_clock::time_point t) {
        std::unique_lock lk(m_);
        cv_.wait_until(lk, t, [this] { return stop_ || changed_; });
    }
    /// Waits replica.fetch.backoff.ms, or less if partitions change or we stop.
    void backoff() {
        std::unique_lock lk(m_);
        cv_.wait_for(lk, std::chrono::milliseconds(cfg_.replica_fetch_backoff_ms), [this] { return stop_ || changed_; });
    }

    const config& cfg_;
    mutable std::mutex m_;  // guards everything below but thread_
    std::condition_variable cv_;
    leader_endpoint leader_;
    std::map<key, entry> parts_;
    uint64_t next_generation_ = 0;
    bool changed_ = false;
    bool stop_ = false;
    std::thread thread_;
};

void replica_fetcher_manager::fetcher::run() {
    std::optional<protocol::client::connection> conn;
    leader_endpoint connected_to;
    bool warned = false;
    for (;;) {
        std::map<key, entry> snapshot;
        leader_endpoint target;
        {
            std::unique_lock lk(m_);
            cv_.wait(lk, [this] { return stop_ || !parts_.empty(); });
            if (stop_) return;
            snapshot = parts_;
            target = leader_;
            changed_ = false;
        }
        if (conn && target != connected_to) {
            conn.reset();
        }
        if (!conn) {
            auto c = protocol::client::connection::connect(target.host, target.port, std::chrono::seconds(5));
            if (!c) {
                if (!warned) {
                    spdlog::warn("replica fetcher: cannot connect to leader {} at {}:{}: {}", target.id, target.host,
                                 target.port, c.error().message());
                    warned = true;
                }
                backoff();
                continue;
            }
            warned = false;
            c.value().set_client_id("replica-fetcher-" + std::to_string(cfg_.broker_id));
            // A long poll takes up to replica.fetch.wait.max.ms; the rest is transfer time.
            c.value().set_timeout(std::chrono::milliseconds(cfg_.replica_fetch_wait_max_ms) + std::chrono::seconds(30));
            conn = std::move(c.value());
            connected_to = target;
        }
        if (!truncate(*conn, snapshot) || !fetch(*conn, snapshot)) {
            conn.reset();
            backoff();
        }
    }
}

// KIP-101/KIP-279: ask the leader where our latest epoch ends in its log and cut there. If the
// leader answers an older epoch (it never had ours), cut at the lower of its end for that epoch
// and ours for it. A log without epochs (nothing written under any leadership) keeps only what
// the high watermark says was committed.
bool replica_fetcher_manager::fetcher::truncate(protocol::client::connection& conn, std::map<key, entry>& snapshot) {
    protocol::offset_for_leader_epoch_request req;
    req.replica_id = cfg_.broker_id;
    std::map<key, int32_t> asked;
    const auto now = std::chrono::steady_clock::now();
    for (auto& [k, e] : snapshot) {
        if (e.truncated || e.retry_at > now) continue;
        int32_t latest = e.part->latest_log_epoch();
        if (latest < 0) {
            auto ec = e.part->truncate_as_follower(e.part->high_watermark(), e.epoch);
            if (ec == error_code::none) {
                e.truncated = true;
                mark_truncated(k, e, true);
            }
            continue;
        }
        auto it = std::find_if(req.topics.begin(), req.topics.end(), [&](const auto& t) { return t.topic == k.first; });
        if (it == req.topics.end()) {
            req.topics.emplace_back().topic = k.first;
            it = std::prev(req.topics.end());
        }
        auto& p = it->partitions.emplace_back();
        p.partition = k.second;
        p.current_leader_epoch = e.epoch;
        p.leader_epoch = latest;
        asked[k] = latest;
    }
    if (asked.empty()) {
        return true;
    }
    auto resp = conn.send<protocol::offset_for_leader_epoch_api>(req, offset_for_leader_epoch_version);
    if (!resp) {
        spdlog::warn("replica fetcher: OffsetForLeaderEpoch to leader {} failed: {}", leader_.id,
                     resp.error().message());
        return false;
    }
    for (const auto& t : resp.value().topics) {
        for (const auto& p : t.partitions) {
            key k{t.topic, p.partition};
            auto s = snapshot.find(k);
            if (s == snapshot.end() || !asked.contains(k) || !current(k, s->second)) continue;
            entry& e = s->second;
            auto ec = static_cast<error_code>(p.error_code);
            if (ec != error_code::none) {
                spdlog::info("replica fetcher: {}-{}: leader {} answered OffsetForLeaderEpoch with {}", k.first,
                             k.second, leader_.id, protocol::error_name(ec));
                delay(k, e, ec);
                continue;
            }
            int64_t cut;
            if (p.leader_epoch < 0 || p.end_offset < 0) {
                cut = e.part->high_watermark();
            } else if (p.leader_epoch == asked[k]) {
                cut = std::min(p.end_offset, e.part->log_end_offset());
            } else {
                auto [mine_epoch, mine_end] = e.part->local_end_offset_for(p.leader_epoch);
                cut = mine_epoch < 0 ? p.end_offset : std::min(p.end_offset, mine_end);
            }
            ec = e.part->truncate_as_follower(cut, e.epoch);
            if (ec == error_code::none) {
                e.truncated = true;
                mark_truncated(k, e, true);
            }
        }
    }
    return true;
}

bool replica_fetcher_manager::fetcher::fetch(protocol::client::connection& conn, std::map<key, entry>& snapshot) {
    protocol::fetch_request req;
    req.replica_id = cfg_.broker_id;
    req.max_wait_ms = cfg_.replica_fetch_wait_max_ms;
    req.min_bytes = cfg_.replica_fetch_min_bytes;
    req.max_bytes = cfg_.replica_fetch_response_max_bytes;
    req.isolation_level = 0;
    req.session_id = 0;
    req.session_epoch = -1;
    const auto now_steady = std::chrono::steady_clock::now();
    auto next_retry = std::chrono::steady_clock::time_point::max();
    for (auto& [k, e] : snapshot) {
        if (!e.truncated || e.retry_at > now_steady) {
            // Delayed: until its retry time; waiting to truncate: the next loop's truncate() round.
            next_retry = std::min(next_retry, e.retry_at > now_steady ? e.retry_at : now_steady + unknown_epoch_backoff);
            continue;
        }
        if (req.topics.empty() || req.topics.back().topic != k.first) {
            req.topics.emplace_back().topic = k.first;  // the map is ordered: one entry per topic
        }
        auto& p = req.topics.back().partitions.emplace_back();
        p.partition = k.second;
        p.current_leader_epoch = e.epoch;
        p.fetch_offset = e.part->log_end_offset();
        p.log_start_offset = e.part->log_start_offset();
        p.partition_max_bytes = cfg_.replica_fetch_max_bytes;
    }
    if (req.topics.empty()) {
        // Every partition is delayed after an error or still waiting to truncate.
        wait_until(next_retry);
        return true;
    }
    auto resp = conn.send<protocol::fetch_api>(req, fetch_version);
    if (!resp) {
        spdlog::warn("replica fetcher: Fetch from leader {} failed: {}", leader_.id, resp.error().message());
        return false;
    }
    const int64_t now = wall_clock_ms();
    for (const auto& t : resp.value().responses) {
        for (const auto& p : t.partitions) {
            key k{t.topic, p.partition_index};
            auto s = snapshot.find(k);
            if (s == snapshot.end() || !s->second.truncated || !current(k, s->second)) continue;
            entry& e = s->second;
            auto ec = static_cast<error_code>(p.error_code);
            if (ec == error_code::none) {
                std::span<const uint8_t> bytes;
                if (!p.records.is_null()) bytes = p.records.memory();
                ec = e.part->append_as_follower(bytes, p.high_watermark, p.log_start_offset, e.epoch, now);
                if (ec == error_code::none) continue;
            }
            if (ec == error_code::offset_out_of_range && p.log_start_offset > e.part->log_end_offset()) {
                // We were away while the leader's log start passed our end (DeleteRecords,
                // retention): nothing we hold continues its log. Kafka's truncateFullyAndStartAt.
                spdlog::info("replica fetcher: {}-{}: our end {} is below leader {}'s log start {}; restarting there",
                             k.first, k.second, e.part->log_end_offset(), leader_.id, p.log_start_offset);
                if (e.part->restart_as_follower_at(p.log_start_offset, e.epoch) == error_code::none) continue;
            }
            delay(k, e, ec);
            if (ec == error_code::offset_out_of_range || ec == error_code::corrupt_message) {
                // Our end is not where the leader's log can continue from: re-sync by epoch.
                spdlog::warn("replica fetcher: {}-{} from leader {}: {}; re-checking the divergence point", k.first,
                             k.second, leader_.id, protocol::error_name(ec));
                mark_truncated(k, e, false);
            } else if (ec != error_code::not_leader_or_follower && ec != error_code::fenced_leader_epoch &&
                       ec != error_code::unknown_leader_epoch) {
                spdlog::warn("replica fetcher: {}-{} from leader {}: {}", k.first, k.second, leader_.id,
                             protocol::error_name(ec));
            }
            // Leadership errors resolve when the controller's LeaderAndIsr reaches us or the leader.
        }
    }
    return true;
}

replica_fetcher_manager::replica_fetcher_manager(const config& cfg) : cfg_(cfg) {}

replica_fetcher_manager::~replica_fetcher_manager() { stop(); }

void replica_fetcher_manager::add(const std::shared_ptr<partition>& part, const leader_endpoint& leader,
                                  int32_t leader_epoch) {
    std::lock_guard lk(mutex_);
    if (stopped_) return;
    key k{part->topic(), part->index()};
    if (auto it = assigned_.find(k); it != assigned_.end() && it->second != leader.id) {
        fetchers_.at(it->second)->remove(k);
    }
    auto& f = fetchers_[leader.id];
    if (!f) {
        f = std::make_unique<fetcher>(cfg_, leader);
    } else {
        f->set_leader(leader);
    }
    f->add(part, leader_epoch);
    assigned_[k] = leader.id;
}

void replica_fetcher_manager::remove(const std::string& topic, int32_t index) {
    std::lock_guard lk(mutex_);
    key k{topic, index};
    if (auto it = assigned_.find(k); it != assigned_.end()) {
        fetchers_.at(it->second)->remove(k);
        assigned_.erase(it);
    }
}

void replica_fetcher_manager::stop() {
    std::map<int32_t, std::unique_ptr<fetcher>> fetchers;
    {
        std::lock_guard lk(mutex_);
        stopped_ = true;
        fetchers.swap(fetchers_);
        assigned_.clear();
    }
    fetchers.clear();  // joins each thread
}

size_t replica_fetcher_manager::partition_count() const {
    std::lock_guard lk(mutex_);
    return assigned_.size();
}

}  // namespace broker
