#include "tools/console_consumer/kafka_console_consumer.h"

#include "protocol/messages/fetch.h"
#include "protocol/messages/heartbeat.h"
#include "protocol/messages/join_group.h"
#include "protocol/messages/leave_group.h"
#include "protocol/messages/offset_commit.h"
#include "protocol/messages/offset_fetch.h"
#include "protocol/messages/sync_group.h"
#include "tools/common/error_text.h"
#include "tools/common/record_decoder.h"
#include "tools/console_consumer/range_assignor.h"

#include <ostream>
#include <set>
#include <thread>

namespace tools {

namespace {

using clock = std::chrono::steady_clock;
constexpr int16_t none = 0;
constexpr int16_t offset_out_of_range = 1;
constexpr int16_t coordinator_load_in_progress = 14;
constexpr int16_t coordinator_not_available = 15;
constexpr int16_t not_coordinator = 16;
constexpr int16_t illegal_generation = 22;
constexpr int16_t unknown_member_id = 25;
constexpr int16_t rebalance_in_progress = 27;
constexpr int16_t member_id_required = 79;

cli_result<void> ok() { return cli_result<void>(boost::outcome_v2::success()); }

bool coordinator_moved(int16_t code) {
    return code == coordinator_not_available || code == not_coordinator ||
           code == coordinator_load_in_progress;
}

}  // namespace

kafka_console_consumer::kafka_console_consumer(const consumer_options& options,
                                               const std::atomic<bool>& stop)
    : o_(options),
      stop_(stop),
      pool_(options.bootstrap, options.client_id,
            broker_pool::timeouts{std::chrono::milliseconds(10'000), std::chrono::milliseconds(30'000)}) {}

cli_result<coordinator_ref> kafka_console_consumer::coordinator() {
    if (coordinator_) return *coordinator_;
    auto c = find_coordinator(pool_, *o_.group);
    if (!c) return c.error();
    coordinator_ = c.value();
    return c.value();
}

cli_result<void> kafka_console_consumer::assign_without_group() {
    auto layout = read_layout(pool_, {o_.topic});
    if (!layout) return layout.error();
    auto code = layout.value().topic_errors[o_.topic];
    if (code != 0) return make_cli_error("Error: topic '" + o_.topic + "': " + kafka_error_text(code));
    positions_.clear();
    for (const auto& [tp, leader] : layout.value().leaders) {
        if (o_.partition && tp.partition != *o_.partition) continue;
        positions_[tp] = {o_.start == start_offset::explicit_offset ? o_.offset : -1};
    }
    if (positions_.empty()) {
        return make_cli_error("Error: topic '" + o_.topic + "' has no partition " +
                              std::to_string(o_.partition.value_or(0)));
    }
    return ok();
}

cli_result<void> kafka_console_consumer::join_group() {
    const std::string& group = *o_.group;
    auto subscription = encode_subscription({{o_.topic}, std::nullopt});
    for (int attempt = 0;; ++attempt) {
        if (stop_) return make_cli_error("Error: interrupted while joining group '" + group + "'");
        if (attempt > 50) return make_cli_error("Error: could not join group '" + group + "'");
        auto coord = coordinator();
        if (!coord) return coord.error();
        auto& conn = *coord.value().conn;
        int16_t jv = conn.pick_version<protocol::join_group_api>();
        int16_t sv = conn.pick_version<protocol::sync_group_api>();
        if (jv < 0 || sv < 0) return make_cli_error("Error: the coordinator does not support JoinGroup/SyncGroup");
        protocol::join_group_request join;
        join.group_id = group;
        join.session_timeout_ms = static_cast<int32_t>(o_.session_timeout.count());
        join.rebalance_timeout_ms = static_cast<int32_t>(o_.rebalance_timeout.count());
        join.member_id = member_id_;
        join.protocol_type = "consumer";
        auto& proto = join.protocols.emplace_back();
        proto.name = "range";
        proto.metadata = subscription;
        // The coordinator holds the answer until every member rejoined (up to the rebalance
        // timeout): wait that long plus a margin.
        conn.set_timeout(o_.rebalance_timeout + std::chrono::seconds(5));
        auto jr = conn.send<protocol::join_group_api>(join, jv);
        conn.set_timeout(std::chrono::seconds(30));
        if (!jr) {
            coordinator_.reset();
            pool_.forget(coordinator_connection_offset + coord.value().node_id);
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            continue;
        }
        const auto& j = jr.value();
        if (j.error_code == member_id_required) {
            member_id_ = j.member_id;
            continue;
        }
        if (j.error_code == unknown_member_id) {
            member_id_.clear();
            continue;
        }
        if (coordinator_moved(j.error_code) || j.error_code == rebalance_in_progress) {
            if (coordinator_moved(j.error_code)) coordinator_.reset();
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            continue;
        }
        if (j.error_code != none) {
            return make_cli_error("Error: JoinGroup for group '" + group + "' failed: " + kafka_error_text(j.error_code));
        }
        member_id_ = j.member_id;
        generation_ = j.generation_id;

        protocol::sync_group_request sync;
        sync.group_id = group;
        sync.generation_id = generation_;
        sync.member_id = member_id_;
        if (j.leader == member_id_) {
            std::map<std::string, std::vector<std::string>> subscriptions;
            std::set<std::string> topics;
            for (const auto& m : j.members) {
                auto s = decode_subscription(m.metadata);
                subscriptions[m.member_id] = s ? s->topics : std::vector<std::string>{};
                if (s) topics.insert(s->topics.begin(), s->topics.end());
            }
            auto layout = read_layout(pool_, {topics.begin(), topics.end()});
            if (!layout) return layout.error();
            std::map<std::string, int32_t> counts;
            for (const auto& [tp, leader] : layout.value().leaders) counts[tp.topic] += 1;
            for (auto& [member, assigned] : range_assign(subscriptions, counts)) {
                auto& a = sync.assignments.emplace_back();
                a.member_id = member;
                a.assignment = encode_assignment({assigned, std::nullopt});
            }
        }
        conn.set_timeout(o_.rebalance_timeout + std::chrono::seconds(5));
        auto sr = conn.send<protocol::sync_group_api>(sync, sv);
        conn.set_timeout(std::chrono::seconds(30));
        if (!sr) {
            coordinator_.reset();
            continue;
        }
        if (sr.value().error_code == unknown_member_id) member_id_.clear();
        if (sr.value().error_code == rebalance_in_progress || sr.value().error_code == unknown_member_id ||
            sr.value().error_code == illegal_generation || coordinator_moved(sr.value().error_code)) {
            if (coordinator_moved(sr.value().error_code)) coordinator_.reset();
            continue;
        }
        if (sr.value().error_code != none) {
            return make_cli_error("Error: SyncGroup for group '" + group + "' failed: " +
                                  kafka_error_text(sr.value().error_code));
        }
        auto assignment = decode_assignment(sr.value().assignment);
        if (!assignment) return make_cli_error("Error: the group's assignment could not be decoded");
        positions_.clear();
        for (const auto& tp : assignment->partitions) {
            if (tp.topic == o_.topic) positions_[tp] = {-1};
        }
        rejoin_needed_ = false;
        next_heartbeat_ = clock::now() + o_.heartbeat_interval;
        // Offsets committed by earlier generations.
        if (!positions_.empty()) {
            int16_t fv = conn.pick_version<protocol::offset_fetch_api>();
            if (fv < 1) return make_cli_error("Error: the coordinator does not support OffsetFetch v1+");
            protocol::offset_fetch_request fetch;
            fetch.group_id = group;
            fetch.topics.emplace();
            auto& t = fetch.topics->emplace_back();
            t.name = o_.topic;
            for (const auto& [tp, pos] : positions_) t.partition_indexes.push_back(tp.partition);
            auto fr = conn.send<protocol::offset_fetch_api>(fetch, fv);
            if (!fr) return request_failed("OffsetFetch", to_string(coord.value().where), fr.error());
            if (fr.value().error_code != none) {
                return make_cli_error("Error: OffsetFetch for group '" + group + "' failed: " +
                                      kafka_error_text(fr.value().error_code));
            }
            for (const auto& rt : fr.value().topics) {
                for (const auto& rp : rt.partitions) {
                    auto it = positions_.find({rt.name, rp.partition_index});
                    if (it == positions_.end() || rp.error_code != none) continue;
                    it->second.offset = rp.committed_offset;  // -1: none, reset policy applies
                    if (rp.committed_offset >= 0) committed_[it->first] = rp.committed_offset;
                }
            }
        }
        return ok();
    }
}

cli_result<void> kafka_console_consumer::resolve_positions() {
    std::vector<topic_partition> unresolved;
    for (const auto& [tp, pos] : positions_) {
        if (pos.offset < 0) unresolved.push_back(tp);
    }
    if (unresolved.empty()) return ok();
    int64_t ts = o_.start == start_offset::earliest ? -2 : -1;  // ListOffsets earliest / latest
    auto offsets = list_offsets(pool_, unresolved, ts);
    if (!offsets) return offsets.error();
    for (const auto& [tp, off] : offsets.value()) positions_[tp].offset = off;
    return ok();
}

cli_result<void> kafka_console_consumer::heartbeat_if_due() {
    if (!o_.group || clock::now() < next_heartbeat_) return ok();
    next_heartbeat_ = clock::now() + o_.heartbeat_interval;
    auto coord = coordinator();
    if (!coord) return coord.error();
    int16_t v = coord.value().conn->pick_version<protocol::heartbeat_api>();
    protocol::heartbeat_request req;
    req.group_id = *o_.group;
    req.generation_id = generation_;
    req.member_id = member_id_;
    auto r = coord.value().conn->send<protocol::heartbeat_api>(req, v);
    if (!r) {
        coordinator_.reset();
        return ok();  // try again next interval; the session outlives one lost heartbeat
    }
    auto code = r.value().error_code;
    if (code == rebalance_in_progress) {
        // Like the Java consumer's onJoinPrepare: commit what was consumed, then rejoin.
        (void)commit();
        rejoin_needed_ = true;
    } else if (code == unknown_member_id || code == illegal_generation) {
        if (code == unknown_member_id) member_id_.clear();
        rejoin_needed_ = true;
    } else if (coordinator_moved(code)) {
        coordinator_.reset();
    } else if (code != none) {
        return make_cli_error("Error: Heartbeat for group '" + *o_.group + "' failed: " + kafka_error_text(code));
    }
    return ok();
}

cli_result<void> kafka_console_consumer::commit() {
    if (!o_.group || !o_.auto_commit || generation_ < 0) return ok();
    protocol::offset_commit_request req;
    req.group_id = *o_.group;
    req.generation_id = generation_;
    req.member_id = member_id_;
    auto& t = req.topics.emplace_back();
    t.name = o_.topic;
    for (const auto& [tp, pos] : positions_) {
        if (pos.offset < 0) continue;
        auto c = committed_.find(tp);
        if (c != committed_.end() && c->second == pos.offset) continue;
        auto& p = t.partitions.emplace_back();
        p.partition_index = tp.partition;
        p.committed_offset = pos.offset;
        p.committed_metadata = std::string();
    }
    if (t.partitions.empty()) return ok();
    auto coord = coordinator();
    if (!coord) return coord.error();
    int16_t v = coord.value().conn->pick_version<protocol::offset_commit_api>();
    if (v < 1) return make_cli_error("Error: the coordinator does not support OffsetCommit v1+");
    auto r = coord.value().conn->send<protocol::offset_commit_api>(req, v);
    if (!r) {
        coordinator_.reset();
        return request_failed("OffsetCommit", to_string(coord.value().where), r.error());
    }
    for (const auto& rt : r.value().topics) {
        for (const auto& rp : rt.partitions) {
            topic_partition tp{rt.name, rp.partition_index};
            if (rp.error_code == none) {
                committed_[tp] = positions_[tp].offset;
            } else if (rp.error_code == rebalance_in_progress || rp.error_code == illegal_generation ||
                       rp.error_code == unknown_member_id) {
                rejoin_needed_ = true;
            } else if (coordinator_moved(rp.error_code)) {
                coordinator_.reset();
            }
        }
    }
    return ok();
}

void kafka_console_consumer::leave() {
    if (!o_.group || member_id_.empty()) return;
    auto coord = coordinator();
    if (!coord) return;
    int16_t v = coord.value().conn->pick_version<protocol::leave_group_api>();
    if (v < 0) return;
    protocol::leave_group_request req;
    req.group_id = *o_.group;
    req.member_id = member_id_;  // v0-2
    auto& m = req.members.emplace_back();  // v3+
    m.member_id = member_id_;
    (void)coord.value().conn->send<protocol::leave_group_api>(req, v);
}

cli_result<void> kafka_console_consumer::fetch_once(std::ostream& out) {
    std::vector<topic_partition> tps;
    for (const auto& [tp, pos] : positions_) tps.push_back(tp);
    auto layout = read_layout(pool_, {o_.topic});
    if (!layout) return layout.error();
    std::map<int32_t, std::vector<topic_partition>> by_leader;
    for (const auto& tp : tps) {
        auto it = layout.value().leaders.find(tp);
        if (it != layout.value().leaders.end() && it->second >= 0 && positions_[tp].offset >= 0) {
            by_leader[it->second].push_back(tp);
        }
    }
    if (by_leader.empty()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        return ok();
    }
    // One leader per round keeps the loop simple; rounds rotate over the leaders.
    for (auto& [leader, parts] : by_leader) {
        auto conn = pool_.broker(leader);
        if (!conn) return conn.error();
        int16_t v = conn.value()->pick_version<protocol::fetch_api>();
        if (v < 4) return make_cli_error("Error: broker " + std::to_string(leader) + " does not support Fetch v4+");
        protocol::fetch_request req;
        req.replica_id = -1;
        req.max_wait_ms = static_cast<int32_t>(by_leader.size() > 1 ? 100 : 500);
        req.min_bytes = 1;
        req.max_bytes = 50 * 1024 * 1024;
        req.isolation_level = 0;
        auto& t = req.topics.emplace_back();
        t.topic = o_.topic;
        for (const auto& tp : parts) {
            auto& p = t.partitions.emplace_back();
            p.partition = tp.partition;
            p.fetch_offset = positions_[tp].offset;
            p.partition_max_bytes = 1024 * 1024;
        }
        auto r = conn.value()->send<protocol::fetch_api>(req, v);
        if (!r) {
            pool_.forget(leader);
            continue;
        }
        if (r.value().error_code != none) {
            return make_cli_error("Error: Fetch failed: " + kafka_error_text(r.value().error_code));
        }
        for (const auto& rt : r.value().responses) {
            for (const auto& rp : rt.partitions) {
                topic_partition tp{rt.topic, rp.partition_index};
                auto pos = positions_.find(tp);
                if (pos == positions_.end()) continue;
                if (rp.error_code == offset_out_of_range) {
                    pos->second.offset = -1;  // reset policy on the next round
                    continue;
                }
                if (rp.error_code != none) continue;  // leader moved etc.: metadata next round
                auto bytes = rp.records.to_bytes();
                auto decoded = decode_records(bytes, pos->second.offset);
                if (!decoded) return decoded.error();
                for (const auto& rec : decoded.value().records) {
                    if (o_.max_messages && processed_ >= *o_.max_messages) break;
                    out << format_record(rec, tp.partition, o_.format);
                    ++processed_;
                    pos->second.offset = rec.offset + 1;
                }
                if (!o_.max_messages || processed_ < *o_.max_messages) {
                    pos->second.offset = std::max(pos->second.offset, decoded.value().next_offset);
                }
            }
        }
        out.flush();
        if (o_.max_messages && processed_ >= *o_.max_messages) break;
    }
    return ok();
}

int kafka_console_consumer::run(std::ostream& out, std::ostream& err) {
    auto fail = [&](const cli_error& e) {
        err << e.message << '\n';
        return e.exit_code;
    };
    auto assigned = o_.group ? join_group() : assign_without_group();
    if (!assigned) return fail(assigned.error());
    next_commit_ = clock::now() + o_.auto_commit_interval;
    auto last_message = clock::now();
    int rc = 0;
    while (!stop_) {
        if (o_.max_messages && processed_ >= *o_.max_messages) break;
        if (rejoin_needed_) {
            if (auto r = join_group(); !r) {
                rc = fail(r.error());
                break;
            }
        }
        if (auto r = resolve_positions(); !r) {
            rc = fail(r.error());
            break;
        }
        int64_t before = processed_;
        if (auto r = fetch_once(out); !r) {
            rc = fail(r.error());
            break;
        }
        auto now = clock::now();
        if (processed_ > before) last_message = now;
        if (auto r = heartbeat_if_due(); !r) {
            rc = fail(r.error());
            break;
        }
        if (o_.group && now >= next_commit_) {
            (void)commit();
            next_commit_ = now + o_.auto_commit_interval;
        }
        if (o_.timeout && now - last_message >= *o_.timeout) break;
    }
    if (o_.group) {
        if (auto r = commit(); !r && rc == 0) rc = fail(r.error());
        leave();
    }
    return rc;
}

}  // namespace tools
