// The group coordinator (Kafka 2.8's GroupCoordinator + GroupMetadataManager) over an in-memory
// __consumer_offsets: membership state machine, held JoinGroup/SyncGroup answers, deadlines driven
// by tick(now) with a fake clock, offsets persisted before they are acknowledged and loaded back
// by a fresh coordinator, retention, deletion. The coordinator runs on an io_context the test
// polls; every callback lands in a slot that must be filled exactly once.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <spdlog/spdlog.h>

#include "broker/group/group_coordinator.h"
#include "broker/group/offsets_format.h"
#include "protocol/errors.h"
#include "protocol/records/record_batch.h"
#include "protocol/records/record_batch_builder.h"
#include "protocol/wire/writer.h"

namespace protocol {
// Readable failures: gtest finds this by ADL.
[[maybe_unused]] static void PrintTo(error_code e, std::ostream* os) {
    *os << error_name(e) << " (" << static_cast<int>(e) << ")";
}
}  // namespace protocol

namespace broker::group {
[[maybe_unused]] static void PrintTo(group_state s, std::ostream* os) { *os << state_name(s); }
}  // namespace broker::group

namespace {

namespace asio = boost::asio;
using namespace broker::group;
using protocol::error_code;
using bytes = std::vector<uint8_t>;

// ---- the in-memory __consumer_offsets ---------------------------------------------------------

class fake_offsets_log : public offsets_log {
public:
    struct held_append {
        int32_t p;
        bytes batch;
        std::function<void(error_code)> done;
    };

    void append(int32_t p, int32_t leader_epoch, bytes batch, std::function<void(error_code)> done) override {
        ++appends;
        last_epoch = leader_epoch;
        if (hold) {
            held.push_back(held_append{p, std::move(batch), std::move(done)});
            return;
        }
        finish(p, std::move(batch), done, append_error);
    }

    error_code read_all(int32_t p, bytes& out) override {
        std::unique_lock lk(mu);
        ++reads;
        reading = true;
        cv.notify_all();
        cv.wait(lk, [this] { return !gate_closed; });
        reading = false;
        if (auto e = read_errors.find(p); e != read_errors.end() && e->second != error_code::none) return e->second;
        for (const auto& b : batches[p]) out.insert(out.end(), b.begin(), b.end());
        return error_code::none;
    }

    /// Completes the held appends in order, with `e`.
    void release(error_code e = error_code::none) {
        auto h = std::move(held);
        held.clear();
        for (auto& a : h) finish(a.p, std::move(a.batch), a.done, e);
    }

    void close_gate() {
        std::lock_guard lk(mu);
        gate_closed = true;
    }
    void open_gate() {
        {
            std::lock_guard lk(mu);
            gate_closed = false;
        }
        cv.notify_all();
    }
    void wait_until_reading() {
        std::unique_lock lk(mu);
        cv.wait(lk, [this] { return reading; });
    }

    // A batch written by someone else (e.g. hand-built records).
    void add_batch(int32_t p, bytes batch) {
        std::lock_guard lk(mu);
        batches[p].push_back(std::move(batch));
    }

    // A "segment" of the fake is one batch: delete_segments_below drops whole batches below.
    int64_t log_end_offset(int32_t p) override {
        if (!trimmable) return -1;
        std::lock_guard lk(mu);
        return end_offset_locked(p);
    }
    void delete_segments_below(int32_t p, int64_t offset) override {
        std::lock_guard lk(mu);
        ++trims;
        auto& bs = batches[p];
        auto& starts = bases[p];
        while (starts.size() > 1 && starts[1] <= offset) {
            bs.erase(bs.begin());
            starts.erase(starts.begin());
        }
    }

    std::map<int32_t, std::vector<bytes>> batches;
    std::map<int32_t, std::vector<int64_t>> bases;  // first offset of each batch
    bool trimmable = false;
    int trims = 0;
    error_code append_error = error_code::none;  // every append fails with it while set
    bool hold = false;                            // appends wait for release()
    std::vector<held_append> held;
    std::map<int32_t, error_code> read_errors;
    int appends = 0;
    int32_t last_epoch = -1;
    int reads = 0;

private:
    void finish(int32_t p, bytes batch, const std::function<void(error_code)>& done, error_code e) {
        if (e == error_code::none) {
            std::lock_guard lk(mu);
            bases[p].push_back(end_offset_locked(p));
            batches[p].push_back(std::move(batch));
        }
        done(e);
    }
    int64_t end_offset_locked(int32_t p) {
        if (bases[p].empty()) return 0;
        protocol::records::batch_view last(batches[p].back());
        return bases[p].back() + last.records_count();
    }

    std::mutex mu;
    std::condition_variable cv;
    bool gate_closed = false;
    bool reading = false;
};

std::vector<decoded_record> decode_batches(const std::vector<bytes>& batches) {
    std::vector<decoded_record> out;
    for (const auto& b : batches) {
        protocol::records::batch_iterator it(b);
        while (auto batch = it.next()) {
            protocol::records::record_reader r(*batch);
            while (auto rec = r.next()) {
                if (!rec->key) {
                    out.push_back(bad_record{"null key"});
                    continue;
                }
                std::optional<std::span<const uint8_t>> v;
                if (rec->value) v = *rec->value;
                out.push_back(decode_record(*rec->key, v));
            }
            EXPECT_FALSE(r.error()) << r.error().message();
        }
        EXPECT_TRUE(it.at_end());
    }
    return out;
}

// ConsumerProtocolSubscription v0: int16 version, int32 topic count, int16-length topics, int32 -1
// user data (null).
bytes subscription(const std::vector<std::string>& topics) {
    protocol::wire::writer w;
    w.write_int16(0);
    w.write_int32(static_cast<int32_t>(topics.size()));
    for (const auto& t : topics) w.write_string(t);
    w.write_int32(-1);
    return w.to_bytes();
}

template <class T>
using slot = std::shared_ptr<std::optional<T>>;

template <class T>
std::pair<slot<T>, std::function<void(T)>> make_slot() {
    auto s = std::make_shared<std::optional<T>>();
    return {s, [s](T v) {
                EXPECT_FALSE(s->has_value()) << "callback invoked twice";
                *s = std::move(v);
            }};
}

using list_answer = std::pair<error_code, std::vector<group_listing>>;
using delete_offsets_answer = std::pair<error_code, std::vector<error_code>>;

constexpr int64_t t0 = 1'000'000'000;
constexpr int32_t session_ms = 10000;
constexpr int32_t rebalance_ms = 30000;

class group_coordinator_test : public ::testing::Test {
protected:
    group_coordinator_test() {
        cfg.offsets_partitions = 1;
        cfg.initial_rebalance_delay_ms = 0;
        cfg.tick_ms = 1'000'000'000;  // the internal timers never fire: the tests tick
        cfg.offsets_retention_check_interval_ms = 1'000'000'000;
        cfg.offsets_retention_ms = 1'000'000;
    }

    void SetUp() override {
        saved_level_ = spdlog::get_level();
        spdlog::set_level(spdlog::level::warn);
        work_.emplace(io.get_executor());
    }

    void TearDown() override {
        log.hold = false;
        log.held.clear();
        poll();
        coord.reset();
        retired_.clear();
        work_.reset();
        io.poll();
        spdlog::set_level(saved_level_);
    }

    std::shared_ptr<group_coordinator> make() {
        return group_coordinator::make(io.get_executor(), log, cfg, [this] { return now; });
    }

    /// A coordinator leading __consumer_offsets-p, loaded.
    void lead(int32_t p = 0, int32_t epoch = 1) {
        if (!coord) coord = make();
        coord->became_leader(p, epoch);
        poll();
    }

    /// A fresh coordinator over the same log (the old one resigns first), as after a restart or
    /// a leader change.
    void restart_coordinator(int32_t epoch = 2) {
        if (coord) {
            coord->resigned(0);
            poll();
            retired_.push_back(std::move(coord));
        }
        coord = make();
        lead(0, epoch);
    }

    void poll() {
        while (io.poll() > 0) {
        }
    }

    void tick(int64_t at) {
        now = at;
        coord->tick(at);
        poll();
    }

    static std::vector<protocol_metadata> protocols(const bytes& md = subscription({"t"})) {
        return {protocol_metadata{"range", md}};
    }

    join_request jreq(const std::string& member = "", std::vector<protocol_metadata> protos = protocols(),
                      bool v4 = false, const std::string& group = "g") {
        join_request r;
        r.group_id = group;
        r.member_id = member;
        r.client_id = "client";
        r.client_host = "/127.0.0.1";
        r.session_timeout_ms = session_ms;
        r.rebalance_timeout_ms = rebalance_ms;
        r.protocol_type = "consumer";
        r.protocols = std::move(protos);
        r.require_known_member_id = v4;
        return r;
    }

    slot<join_result> join(join_request r) {
        auto [s, cb] = make_slot<join_result>();
        coord->join_group(std::move(r), cb);
        poll();
        return s;
    }

    slot<sync_result> sync(const std::string& member, int32_t generation,
                           std::map<std::string, bytes> assignments = {}, const std::string& group = "g") {
        auto [s, cb] = make_slot<sync_result>();
        coord->sync_group(sync_request{group, generation, member, std::move(assignments)}, cb);
        poll();
        return s;
    }

    slot<error_code> heartbeat(const std::string& member, int32_t generation, const std::string& group = "g") {
        auto [s, cb] = make_slot<error_code>();
        coord->heartbeat(group, member, generation, cb);
        poll();
        return s;
    }

    slot<leave_result> leave(std::vector<std::string> members, const std::string& group = "g") {
        std::vector<leave_member> lm;
        for (auto& m : members) lm.push_back(leave_member{m, std::nullopt});
        auto [s, cb] = make_slot<leave_result>();
        coord->leave_group(group, std::move(lm), cb);
        poll();
        return s;
    }

    static offset_commit oc(const std::string& topic, int32_t p, int64_t offset, std::string metadata = "",
                            int32_t epoch = -1) {
        offset_commit c;
        c.tp = topic_partition{topic, p};
        c.offset = offset;
        c.leader_epoch = epoch;
        c.metadata = std::move(metadata);
        return c;
    }

    slot<commit_result> commit(std::vector<offset_commit> offsets, int32_t generation = -1,
                               const std::string& member = "", const std::string& group = "g",
                               int64_t retention_ms = -1) {
        commit_request r;
        r.group_id = group;
        r.generation = generation;
        r.member_id = member;
        r.retention_ms = retention_ms;
        r.offsets = std::move(offsets);
        auto [s, cb] = make_slot<commit_result>();
        coord->commit_offsets(std::move(r), cb);
        poll();
        return s;
    }

    slot<fetch_offsets_result> fetch(std::optional<std::vector<topic_partition>> tps, const std::string& group = "g") {
        auto [s, cb] = make_slot<fetch_offsets_result>();
        coord->fetch_offsets(group, std::move(tps), cb);
        poll();
        return s;
    }

    /// The committed offset of one partition (-1 when none).
    int64_t committed(const std::string& topic, int32_t p, const std::string& group = "g") {
        auto f = fetch(std::vector<topic_partition>{{topic, p}}, group);
        EXPECT_TRUE(f->has_value());
        if (!f->has_value()) return -2;
        EXPECT_EQ((*f)->error, error_code::none);
        EXPECT_EQ((*f)->offsets.size(), 1u);
        return (*f)->offsets.empty() ? -2 : (*f)->offsets[0].offset;
    }

    slot<group_description> describe(const std::string& group = "g") {
        auto [s, cb] = make_slot<group_description>();
        coord->describe_group(group, cb);
        poll();
        return s;
    }

    group_state state_of(const std::string& group = "g") {
        auto d = describe(group);
        EXPECT_TRUE(d->has_value());
        return d->has_value() ? (*d)->state : group_state::dead;
    }

    slot<list_answer> list() {
        auto [s, cb] = make_slot<list_answer>();
        coord->list_groups([cb](error_code e, std::vector<group_listing> l) { cb(list_answer{e, std::move(l)}); });
        poll();
        return s;
    }

    slot<std::vector<error_code>> delete_groups(std::vector<std::string> groups) {
        auto [s, cb] = make_slot<std::vector<error_code>>();
        coord->delete_groups(std::move(groups), cb);
        poll();
        return s;
    }

    slot<delete_offsets_answer> delete_offsets(std::vector<topic_partition> tps, const std::string& group = "g") {
        auto [s, cb] = make_slot<delete_offsets_answer>();
        coord->delete_offsets(group, std::move(tps),
                              [cb](error_code e, std::vector<error_code> per) { cb(delete_offsets_answer{e, std::move(per)}); });
        poll();
        return s;
    }

    std::vector<decoded_record> records(int32_t p = 0) { return decode_batches(log.batches[p]); }

    std::vector<group_record> group_records(int32_t p = 0) {
        std::vector<group_record> out;
        for (auto& r : records(p)) {
            if (auto* g = std::get_if<group_record>(&r)) out.push_back(*g);
        }
        return out;
    }

    std::vector<offset_record> offset_records(int32_t p = 0) {
        std::vector<offset_record> out;
        for (auto& r : records(p)) {
            if (auto* o = std::get_if<offset_record>(&r)) out.push_back(*o);
        }
        return out;
    }

    /// One member (v0-3 join), synced: "g" Stable at generation 1 with the member as leader.
    std::string stable_single(const bytes& assignment = {1}, const bytes& md = subscription({"t"})) {
        auto j = join(jreq("", protocols(md)));
        EXPECT_TRUE(j->has_value());
        if (!j->has_value()) return "";
        EXPECT_EQ((*j)->error, error_code::none);
        const std::string id = (*j)->member_id;
        EXPECT_EQ((*j)->generation, 1);
        EXPECT_EQ((*j)->leader, id);
        auto s = sync(id, 1, {{id, assignment}});
        EXPECT_TRUE(s->has_value());
        EXPECT_EQ(state_of(), group_state::stable);
        return id;
    }

    struct pair_group {
        std::string a, b;  // a is the leader
        int32_t generation = -1;
    };

    /// Two members, synced: "g" Stable at generation 2, assignments {a: {0xA}, b: {0xB}}.
    pair_group stable_pair(const bytes& md_a = subscription({"t"}), const bytes& md_b = subscription({"t"})) {
        pair_group pg;
        auto ja = join(jreq("", protocols(md_a)));
        EXPECT_TRUE(ja->has_value());
        if (!ja->has_value()) return pg;
        pg.a = (*ja)->member_id;
        auto jb = join(jreq("", protocols(md_b)));
        EXPECT_FALSE(jb->has_value()) << "the second joiner waits for the first to rejoin";
        auto ja2 = join(jreq(pg.a, protocols(md_a)));
        EXPECT_TRUE(ja2->has_value());
        EXPECT_TRUE(jb->has_value());
        if (!ja2->has_value() || !jb->has_value()) return pg;
        pg.b = (*jb)->member_id;
        pg.generation = (*ja2)->generation;
        EXPECT_EQ(pg.generation, 2);
        EXPECT_EQ((*ja2)->leader, pg.a);
        auto sb = sync(pg.b, pg.generation);
        auto sa = sync(pg.a, pg.generation, {{pg.a, {0xA}}, {pg.b, {0xB}}});
        EXPECT_TRUE(sa->has_value() && sb->has_value());
        EXPECT_EQ(state_of(), group_state::stable);
        return pg;
    }

    coordinator_config cfg;
    fake_offsets_log log;
    asio::io_context io;
    int64_t now = t0;
    std::shared_ptr<group_coordinator> coord;

private:
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
    std::vector<std::shared_ptr<group_coordinator>> retired_;
    spdlog::level::level_enum saved_level_ = spdlog::level::info;
};

// ---- ownership --------------------------------------------------------------------------------

TEST_F(group_coordinator_test, requests_before_became_leader_get_not_coordinator) {
    coord = make();
    auto j = join(jreq());
    ASSERT_TRUE(j->has_value());
    EXPECT_EQ((*j)->error, error_code::not_coordinator);
    EXPECT_EQ((*j)->generation, -1);
    EXPECT_TRUE((*j)->members.empty());
    EXPECT_EQ(log.reads, 0);
    EXPECT_EQ(log.appends, 0);
}

TEST_F(group_coordinator_test, every_api_before_became_leader_says_not_coordinator) {
    coord = make();
    EXPECT_EQ((*join(jreq()))->error, error_code::not_coordinator);
    EXPECT_EQ((*sync("m", 1))->error, error_code::not_coordinator);
    EXPECT_EQ(**heartbeat("m", 1), error_code::not_coordinator);
    EXPECT_EQ((*leave({"m"}))->error, error_code::not_coordinator);
    auto c = commit({oc("t", 0, 5)});
    EXPECT_EQ((*c)->error, error_code::not_coordinator);
    EXPECT_EQ((*c)->partitions, std::vector<error_code>{error_code::not_coordinator});
    EXPECT_EQ((*fetch(std::nullopt))->error, error_code::not_coordinator);
    EXPECT_EQ((*describe())->error, error_code::not_coordinator);
    EXPECT_EQ(**delete_groups({"g"}), std::vector<error_code>{error_code::not_coordinator});
    EXPECT_EQ((*delete_offsets({{"t", 0}}))->first, error_code::not_coordinator);
    auto l = list();
    EXPECT_EQ((*l)->first, error_code::none);
    EXPECT_TRUE((*l)->second.empty());
}

TEST_F(group_coordinator_test, only_groups_of_led_partitions_are_served) {
    cfg.offsets_partitions = 50;
    coord = make();
    lead(partition_for_group("hello", 50));  // 22
    ASSERT_EQ(coord->partition_for("hello"), 22);
    ASSERT_EQ(coord->partition_for("a"), 47);
    EXPECT_EQ((*commit({oc("t", 0, 1)}, -1, "", "hello"))->error, error_code::none);
    EXPECT_EQ((*commit({oc("t", 0, 1)}, -1, "", "a"))->error, error_code::not_coordinator);
    EXPECT_EQ((*join(jreq("", protocols(), false, "hello")))->error, error_code::none);
    EXPECT_EQ((*join(jreq("", protocols(), false, "a")))->error, error_code::not_coordinator);
    EXPECT_EQ(log.batches[22].size(), 1u) << "the commit, in the group's partition";
    EXPECT_TRUE(log.batches[47].empty());
}

TEST_F(group_coordinator_test, requests_while_loading_get_load_in_progress) {
    coord = make();
    log.close_gate();
    coord->became_leader(0, 1);
    io.poll_one();  // became_leader on the strand: posts the read
    std::thread reader([this] { io.run_one(); });  // the read, held in read_all
    log.wait_until_reading();

    EXPECT_EQ((*join(jreq()))->error, error_code::coordinator_load_in_progress);
    EXPECT_EQ((*commit({oc("t", 0, 1)}))->error, error_code::coordinator_load_in_progress);
    EXPECT_EQ((*fetch(std::nullopt))->error, error_code::coordinator_load_in_progress);
    EXPECT_EQ(**heartbeat("m", 1), error_code::coordinator_load_in_progress);
    EXPECT_EQ((*describe())->error, error_code::coordinator_load_in_progress);
    EXPECT_EQ((*list())->first, error_code::coordinator_load_in_progress);

    log.open_gate();
    reader.join();
    poll();
    EXPECT_EQ((*join(jreq()))->error, error_code::none);
    EXPECT_EQ((*list())->first, error_code::none);
}

TEST_F(group_coordinator_test, a_failed_read_is_retried_and_loading_until_then) {
    log.read_errors[0] = error_code::kafka_storage_error;
    coord = make();
    lead();
    EXPECT_EQ(log.reads, 1);
    EXPECT_EQ((*join(jreq()))->error, error_code::coordinator_load_in_progress);
    log.read_errors[0] = error_code::none;
    io.run_for(std::chrono::milliseconds(800));  // the 500 ms retry timer
    poll();
    EXPECT_EQ(log.reads, 2);
    EXPECT_EQ((*join(jreq()))->error, error_code::none);
}

TEST_F(group_coordinator_test, a_newer_epoch_of_a_loaded_partition_only_updates_the_epoch) {
    lead(0, 1);
    commit({oc("t", 0, 1)});
    EXPECT_EQ(log.last_epoch, 1);
    coord->became_leader(0, 4);
    poll();
    EXPECT_EQ(log.reads, 1) << "no reload";
    EXPECT_EQ(committed("t", 0), 1);
    commit({oc("t", 0, 2)});
    EXPECT_EQ(log.last_epoch, 4);
}

TEST_F(group_coordinator_test, resigned_answers_held_requests_and_drops_groups) {
    lead();
    const std::string a = stable_single();
    auto jb = join(jreq());  // held until a rejoins
    ASSERT_FALSE(jb->has_value());
    coord->resigned(0);
    poll();
    ASSERT_TRUE(jb->has_value());
    EXPECT_EQ((*jb)->error, error_code::not_coordinator);
    EXPECT_EQ((*join(jreq(a)))->error, error_code::not_coordinator);
    EXPECT_EQ(**heartbeat(a, 1), error_code::not_coordinator);
    EXPECT_EQ((*commit({oc("t", 0, 1)}, 1, a))->error, error_code::not_coordinator);
    EXPECT_EQ((*list())->second.size(), 0u);
}

TEST_F(group_coordinator_test, resigned_answers_held_syncs) {
    lead();
    auto pg = stable_pair();
    // a rejoins (the leader): the group rebalances; b rejoins; then b's sync is held.
    auto ja = join(jreq(pg.a));
    auto jb = join(jreq(pg.b));
    ASSERT_TRUE(ja->has_value() && jb->has_value());
    auto sb = sync(pg.b, (*jb)->generation);
    ASSERT_FALSE(sb->has_value());
    coord->resigned(0);
    poll();
    ASSERT_TRUE(sb->has_value());
    EXPECT_EQ((*sb)->error, error_code::not_coordinator);
}

TEST_F(group_coordinator_test, resigning_during_a_load_discards_it) {
    coord = make();
    coord->became_leader(0, 1);
    coord->resigned(0);
    poll();
    EXPECT_EQ((*join(jreq()))->error, error_code::not_coordinator);
    lead(0, 2);
    EXPECT_EQ((*join(jreq()))->error, error_code::none);
}

// ---- JoinGroup ----------------------------------------------------------------------------------

TEST_F(group_coordinator_test, v4_first_join_gets_member_id_required_then_joins_with_it) {
    lead();
    auto j1 = join(jreq("", protocols(), true));
    ASSERT_TRUE(j1->has_value());
    EXPECT_EQ((*j1)->error, error_code::member_id_required);
    const std::string id = (*j1)->member_id;
    EXPECT_EQ(id.rfind("client-", 0), 0u) << id;
    EXPECT_GT(id.size(), std::string("client-").size());
    EXPECT_EQ(state_of(), group_state::empty) << "a pending member does not start a rebalance";

    auto j2 = join(jreq(id, protocols(), true));
    ASSERT_TRUE(j2->has_value());
    EXPECT_EQ((*j2)->error, error_code::none);
    EXPECT_EQ((*j2)->member_id, id);
    EXPECT_EQ((*j2)->generation, 1);
    EXPECT_EQ((*j2)->leader, id);
    EXPECT_EQ((*j2)->protocol_name, std::optional<std::string>("range"));
    ASSERT_EQ((*j2)->members.size(), 1u);
    EXPECT_EQ((*j2)->members[0].member_id, id);

    // Every id is new.
    auto j3 = join(jreq("", protocols(), true));
    EXPECT_EQ((*j3)->error, error_code::member_id_required);
    EXPECT_NE((*j3)->member_id, id);
}

TEST_F(group_coordinator_test, v0_to_v3_join_adds_the_member_directly) {
    lead();
    auto j = join(jreq("", protocols(), false));
    ASSERT_TRUE(j->has_value());
    EXPECT_EQ((*j)->error, error_code::none);
    EXPECT_EQ((*j)->member_id.rfind("client-", 0), 0u);
    EXPECT_EQ((*j)->generation, 1);
    // A second old-protocol member: held (the group rebalances), never MEMBER_ID_REQUIRED.
    auto j2 = join(jreq("", protocols(), false));
    EXPECT_FALSE(j2->has_value());
    EXPECT_TRUE(join(jreq((*j)->member_id))->has_value());
    ASSERT_TRUE(j2->has_value());
    EXPECT_NE((*j2)->error, error_code::member_id_required);
    EXPECT_EQ((*j2)->error, error_code::none);
}

TEST_F(group_coordinator_test, session_timeout_outside_bounds_is_refused) {
    lead();
    auto r = jreq();
    r.session_timeout_ms = cfg.min_session_timeout_ms - 1;
    EXPECT_EQ((*join(r))->error, error_code::invalid_session_timeout);
    r.session_timeout_ms = cfg.max_session_timeout_ms + 1;
    EXPECT_EQ((*join(r))->error, error_code::invalid_session_timeout);
    r.session_timeout_ms = cfg.min_session_timeout_ms;
    EXPECT_EQ((*join(r))->error, error_code::none);
    auto r2 = jreq();
    r2.session_timeout_ms = cfg.max_session_timeout_ms;
    r2.group_id = "other";
    EXPECT_EQ((*join(r2))->error, error_code::none);
}

TEST_F(group_coordinator_test, empty_group_id_is_invalid) {
    lead();
    auto r = jreq();
    r.group_id = "";
    EXPECT_EQ((*join(r))->error, error_code::invalid_group_id);
}

TEST_F(group_coordinator_test, inconsistent_protocols_are_refused) {
    lead();
    const std::string a = stable_single();
    auto other_type = jreq();
    other_type.protocol_type = "connect";
    EXPECT_EQ((*join(other_type))->error, error_code::inconsistent_group_protocol);
    auto disjoint = jreq("", {protocol_metadata{"roundrobin", {}}, protocol_metadata{"sticky", {}}});
    EXPECT_EQ((*join(disjoint))->error, error_code::inconsistent_group_protocol);
    // An empty protocol list or an empty protocol type is never consistent.
    auto none = jreq(a, {});
    EXPECT_EQ((*join(none))->error, error_code::inconsistent_group_protocol);
    auto no_type = jreq();
    no_type.protocol_type = "";
    no_type.group_id = "fresh";
    EXPECT_EQ((*join(no_type))->error, error_code::inconsistent_group_protocol);
    EXPECT_EQ(state_of(), group_state::stable) << "refused joins do not disturb the group";
}

TEST_F(group_coordinator_test, unknown_member_ids_are_refused) {
    lead();
    EXPECT_EQ((*join(jreq("ghost")))->error, error_code::unknown_member_id) << "unknown group";
    stable_single();
    EXPECT_EQ((*join(jreq("ghost")))->error, error_code::unknown_member_id) << "known group";
}

TEST_F(group_coordinator_test, leader_gets_every_members_metadata_for_the_chosen_protocol) {
    lead();
    // a prefers range, b and c prefer roundrobin; all support both: roundrobin wins the vote.
    // a also lists "sticky", which b and c lack: it is not a candidate.
    auto pa = std::vector<protocol_metadata>{{"sticky", {0x50}}, {"range", {0xA1}}, {"roundrobin", {0xA2}}};
    auto pb = std::vector<protocol_metadata>{{"roundrobin", {0xB2}}, {"range", {0xB1}}};
    auto pc = std::vector<protocol_metadata>{{"roundrobin", {0xC2}}, {"range", {0xC1}}};
    auto ja = join(jreq("", pa));
    const std::string a = (*ja)->member_id;
    auto jb = join(jreq("", pb));
    auto jc = join(jreq("", pc));
    ASSERT_FALSE(jb->has_value());
    ASSERT_FALSE(jc->has_value());
    auto ja2 = join(jreq(a, pa));
    ASSERT_TRUE(ja2->has_value() && jb->has_value() && jc->has_value());
    for (auto* r : {&**ja2, &**jb, &**jc}) {
        EXPECT_EQ(r->error, error_code::none);
        EXPECT_EQ(r->protocol_name, std::optional<std::string>("roundrobin"));
        EXPECT_EQ(r->leader, a);
        EXPECT_EQ(r->generation, 2);
    }
    EXPECT_TRUE((*jb)->members.empty());
    EXPECT_TRUE((*jc)->members.empty());
    std::map<std::string, bytes> md;
    for (const auto& m : (*ja2)->members) md[m.member_id] = m.metadata;
    EXPECT_EQ(md, (std::map<std::string, bytes>{{a, {0xA2}}, {(*jb)->member_id, {0xB2}}, {(*jc)->member_id, {0xC2}}}));
}

TEST_F(group_coordinator_test, vote_goes_to_the_first_supported_preference) {
    lead();
    auto pa = std::vector<protocol_metadata>{{"sticky", {1}}, {"range", {2}}};
    auto pb = std::vector<protocol_metadata>{{"range", {3}}, {"sticky", {4}}};
    auto pc = std::vector<protocol_metadata>{{"sticky", {5}}, {"range", {6}}};
    const std::string a = (*join(jreq("", pa)))->member_id;
    auto jb = join(jreq("", pb));
    auto jc = join(jreq("", pc));
    auto ja = join(jreq(a, pa));
    ASSERT_TRUE(ja->has_value() && jb->has_value() && jc->has_value());
    EXPECT_EQ((*ja)->protocol_name, std::optional<std::string>("sticky"));  // 2 votes to 1
}

TEST_F(group_coordinator_test, generation_increments_on_every_rebalance) {
    lead();
    const std::string a = stable_single();
    for (int32_t gen = 2; gen <= 5; ++gen) {
        auto j = join(jreq(a));  // the leader rejoining: a new generation
        ASSERT_TRUE(j->has_value());
        EXPECT_EQ((*j)->error, error_code::none);
        EXPECT_EQ((*j)->generation, gen);
        EXPECT_EQ((*sync(a, gen, {{a, {static_cast<uint8_t>(gen)}}}))->assignment, bytes{static_cast<uint8_t>(gen)});
    }
}

TEST_F(group_coordinator_test, stable_follower_rejoining_unchanged_gets_the_current_generation) {
    lead();
    auto pg = stable_pair();
    auto jb = join(jreq(pg.b));
    ASSERT_TRUE(jb->has_value());
    EXPECT_EQ((*jb)->error, error_code::none);
    EXPECT_EQ((*jb)->generation, pg.generation);
    EXPECT_EQ((*jb)->leader, pg.a);
    EXPECT_TRUE((*jb)->members.empty());
    EXPECT_EQ(state_of(), group_state::stable);
    // With different metadata it is a rebalance.
    auto jb2 = join(jreq(pg.b, protocols(subscription({"t", "u"}))));
    EXPECT_FALSE(jb2->has_value());
    EXPECT_EQ(state_of(), group_state::preparing_rebalance);
}

TEST_F(group_coordinator_test, completing_member_that_lost_its_answer_gets_it_again) {
    lead();
    auto pg = stable_pair();
    join(jreq(pg.a));
    auto jb = join(jreq(pg.b));
    ASSERT_TRUE(jb->has_value());
    ASSERT_EQ(state_of(), group_state::completing_rebalance);
    auto again = join(jreq(pg.a));
    ASSERT_TRUE(again->has_value());
    EXPECT_EQ((*again)->generation, (*jb)->generation);
    EXPECT_EQ((*again)->members.size(), 2u) << "the leader gets the members again";
    EXPECT_EQ(state_of(), group_state::completing_rebalance);
}

// ---- two members -------------------------------------------------------------------------------

TEST_F(group_coordinator_test, second_joiner_holds_until_everyone_rejoined) {
    lead();
    const std::string a = stable_single();
    auto jb = join(jreq());
    EXPECT_FALSE(jb->has_value());
    EXPECT_EQ(state_of(), group_state::preparing_rebalance);
    EXPECT_EQ(**heartbeat(a, 1), error_code::rebalance_in_progress);
    auto ja = join(jreq(a));
    ASSERT_TRUE(ja->has_value());
    ASSERT_TRUE(jb->has_value());
    EXPECT_EQ((*ja)->generation, 2);
    EXPECT_EQ((*jb)->generation, 2);
    EXPECT_EQ((*ja)->leader, a);
    EXPECT_EQ((*jb)->leader, a);
    EXPECT_EQ((*ja)->members.size(), 2u);
    EXPECT_TRUE((*jb)->members.empty());
    EXPECT_EQ(state_of(), group_state::completing_rebalance);
}

TEST_F(group_coordinator_test, member_not_rejoining_is_removed_at_the_rebalance_deadline) {
    lead();
    auto pg = stable_pair();
    auto jc = join(jreq());  // rebalance starts now
    ASSERT_FALSE(jc->has_value());
    auto ja = join(jreq(pg.a));
    ASSERT_FALSE(ja->has_value());
    // b keeps heartbeating (so its session stays alive) but never rejoins.
    for (int64_t t = 8000; t < rebalance_ms; t += 8000) {
        now = t0 + t;
        EXPECT_EQ(**heartbeat(pg.b, pg.generation), error_code::rebalance_in_progress);
        tick(t0 + t);
        EXPECT_FALSE(ja->has_value());
    }
    now = t0 + rebalance_ms - 1;
    EXPECT_EQ(**heartbeat(pg.b, pg.generation), error_code::rebalance_in_progress);
    tick(t0 + rebalance_ms - 1);
    EXPECT_FALSE(ja->has_value());
    tick(t0 + rebalance_ms);
    ASSERT_TRUE(ja->has_value());
    ASSERT_TRUE(jc->has_value());
    EXPECT_EQ((*ja)->generation, 3);
    EXPECT_EQ((*ja)->members.size(), 2u);
    for (const auto& m : (*ja)->members) EXPECT_NE(m.member_id, pg.b);
    EXPECT_EQ(**heartbeat(pg.b, 3), error_code::unknown_member_id);
    auto d = describe();
    EXPECT_EQ((*d)->members.size(), 2u);
}

// ---- SyncGroup ---------------------------------------------------------------------------------

TEST_F(group_coordinator_test, followers_wait_for_the_leader_and_the_assignment_is_stored_first) {
    lead();
    const std::string a = (*join(jreq()))->member_id;
    auto jb = join(jreq());
    auto ja = join(jreq(a));
    ASSERT_TRUE(ja->has_value() && jb->has_value());
    const std::string b = (*jb)->member_id;
    const int32_t gen = (*ja)->generation;

    auto sb = sync(b, gen);
    EXPECT_FALSE(sb->has_value()) << "held until the leader's assignment";
    log.hold = true;
    const size_t before = group_records().size();
    auto sa = sync(a, gen, {{a, {0xA}}, {b, {0xB, 0xB}}});
    EXPECT_FALSE(sa->has_value()) << "nobody is answered before the store completes";
    EXPECT_FALSE(sb->has_value());
    ASSERT_EQ(log.held.size(), 1u);
    auto held = decode_batches({log.held[0].batch});
    ASSERT_EQ(held.size(), 1u);
    auto* gr = std::get_if<group_record>(&held[0]);
    ASSERT_NE(gr, nullptr);
    EXPECT_EQ(gr->key.group, "g");
    ASSERT_TRUE(gr->value.has_value());
    EXPECT_EQ(gr->value->generation, gen);
    EXPECT_EQ(gr->value->leader, std::optional<std::string>(a));
    EXPECT_EQ(gr->value->protocol, std::optional<std::string>("range"));
    EXPECT_EQ(gr->value->protocol_type, "consumer");
    std::map<std::string, bytes> stored;
    for (const auto& m : gr->value->members) {
        stored[m.member_id] = m.assignment;
        EXPECT_EQ(m.subscription, subscription({"t"}));
        EXPECT_EQ(m.session_timeout_ms, session_ms);
        EXPECT_EQ(m.rebalance_timeout_ms, rebalance_ms);
        EXPECT_EQ(m.client_id, "client");
        EXPECT_EQ(m.client_host, "/127.0.0.1");
    }
    EXPECT_EQ(stored, (std::map<std::string, bytes>{{a, {0xA}}, {b, {0xB, 0xB}}}));

    log.hold = false;
    log.release();
    poll();
    ASSERT_TRUE(sa->has_value() && sb->has_value());
    EXPECT_EQ((*sa)->error, error_code::none);
    EXPECT_EQ((*sa)->assignment, bytes{0xA});
    EXPECT_EQ((*sb)->error, error_code::none);
    EXPECT_EQ((*sb)->assignment, (bytes{0xB, 0xB}));
    EXPECT_EQ(group_records().size(), before + 1);
    EXPECT_EQ(state_of(), group_state::stable);
    // Stable: a sync is answered with the stored assignment.
    EXPECT_EQ((*sync(b, gen))->assignment, (bytes{0xB, 0xB}));
}

TEST_F(group_coordinator_test, a_member_missing_from_the_assignment_gets_an_empty_one) {
    lead();
    const std::string a = (*join(jreq()))->member_id;
    auto jb = join(jreq());
    join(jreq(a));
    const std::string b = (*jb)->member_id;
    auto sb = sync(b, 2);
    auto sa = sync(a, 2, {{a, {1, 2, 3}}});
    ASSERT_TRUE(sb->has_value());
    EXPECT_EQ((*sb)->error, error_code::none);
    EXPECT_TRUE((*sb)->assignment.empty());
    EXPECT_EQ((*sa)->assignment, (bytes{1, 2, 3}));
}

TEST_F(group_coordinator_test, sync_errors) {
    lead();
    EXPECT_EQ((*sync("m", 1, {}, "nogroup"))->error, error_code::unknown_member_id);
    const std::string a = stable_single();
    EXPECT_EQ((*sync(a, 7))->error, error_code::illegal_generation);
    EXPECT_EQ((*sync("ghost", 1))->error, error_code::unknown_member_id);
    join(jreq());  // a second member: PreparingRebalance
    ASSERT_EQ(state_of(), group_state::preparing_rebalance);
    EXPECT_EQ((*sync(a, 1))->error, error_code::rebalance_in_progress);
}

TEST_F(group_coordinator_test, sync_on_an_empty_group_is_unknown_member) {
    lead();
    commit({oc("t", 0, 1)});
    ASSERT_EQ(state_of(), group_state::empty);
    EXPECT_EQ((*sync("m", 0))->error, error_code::unknown_member_id);
}

TEST_F(group_coordinator_test, a_failed_assignment_store_answers_the_mapped_error_and_rebalances) {
    lead();
    const std::string a = (*join(jreq()))->member_id;
    auto jb = join(jreq());
    join(jreq(a));
    const std::string b = (*jb)->member_id;
    auto sb = sync(b, 2);
    log.append_error = error_code::not_leader_or_follower;
    auto sa = sync(a, 2, {{a, {1}}, {b, {2}}});
    ASSERT_TRUE(sa->has_value() && sb->has_value());
    EXPECT_EQ((*sa)->error, error_code::not_coordinator);
    EXPECT_EQ((*sb)->error, error_code::not_coordinator);
    EXPECT_TRUE((*sa)->assignment.empty());
    EXPECT_EQ(state_of(), group_state::preparing_rebalance);
}

TEST_F(group_coordinator_test, assignment_store_errors_map_as_kafkas_store_group) {
    const std::vector<std::pair<error_code, error_code>> cases = {
      {error_code::not_enough_replicas, error_code::coordinator_not_available},
      {error_code::unknown_topic_or_partition, error_code::coordinator_not_available},
      {error_code::kafka_storage_error, error_code::not_coordinator},
      {error_code::request_timed_out, error_code::rebalance_in_progress},
      {error_code::message_too_large, error_code::unknown_server_error},
    };
    lead();
    int i = 0;
    for (auto [stored, answered] : cases) {
        const std::string group = "g" + std::to_string(i++);
        log.append_error = error_code::none;
        auto j = join(jreq("", protocols(), false, group));
        ASSERT_TRUE(j->has_value());
        log.append_error = stored;
        auto s = sync((*j)->member_id, (*j)->generation, {{(*j)->member_id, {1}}}, group);
        ASSERT_TRUE(s->has_value());
        EXPECT_EQ((*s)->error, answered) << protocol::error_name(stored);
    }
}

// ---- Heartbeat ---------------------------------------------------------------------------------

TEST_F(group_coordinator_test, heartbeat_answers_by_state) {
    lead();
    EXPECT_EQ(**heartbeat("m", 1, "nogroup"), error_code::unknown_member_id);
    const std::string a = (*join(jreq()))->member_id;
    ASSERT_EQ(state_of(), group_state::completing_rebalance);
    EXPECT_EQ(**heartbeat(a, 1), error_code::none) << "CompletingRebalance";
    sync(a, 1, {{a, {1}}});
    EXPECT_EQ(**heartbeat(a, 1), error_code::none) << "Stable";
    EXPECT_EQ(**heartbeat(a, 2), error_code::illegal_generation);
    EXPECT_EQ(**heartbeat(a, 0), error_code::illegal_generation);
    EXPECT_EQ(**heartbeat("ghost", 1), error_code::unknown_member_id);
    join(jreq());
    EXPECT_EQ(**heartbeat(a, 1), error_code::rebalance_in_progress) << "PreparingRebalance";
    EXPECT_EQ(**heartbeat(a, 0), error_code::illegal_generation);
}

TEST_F(group_coordinator_test, heartbeat_on_an_empty_group_is_unknown_member) {
    lead();
    commit({oc("t", 0, 1)});
    EXPECT_EQ(**heartbeat("m", 0), error_code::unknown_member_id);
}

TEST_F(group_coordinator_test, session_expiry_removes_the_member_and_rebalances) {
    lead();
    auto pg = stable_pair();
    // a heartbeats, b goes silent.
    tick(t0 + 5000);
    EXPECT_EQ(**heartbeat(pg.a, pg.generation), error_code::none);
    tick(t0 + session_ms - 1);
    EXPECT_EQ(state_of(), group_state::stable);
    EXPECT_EQ(**heartbeat(pg.a, pg.generation), error_code::none);
    tick(t0 + session_ms);
    EXPECT_EQ(state_of(), group_state::preparing_rebalance);
    EXPECT_EQ(**heartbeat(pg.b, pg.generation), error_code::unknown_member_id);
    EXPECT_EQ(**heartbeat(pg.a, pg.generation), error_code::rebalance_in_progress);
    auto ja = join(jreq(pg.a));
    ASSERT_TRUE(ja->has_value());
    EXPECT_EQ((*ja)->generation, pg.generation + 1);
    ASSERT_EQ((*ja)->members.size(), 1u);
    EXPECT_EQ((*ja)->members[0].member_id, pg.a);
}

TEST_F(group_coordinator_test, heartbeats_keep_a_member_alive) {
    lead();
    const std::string a = stable_single();
    for (int i = 1; i <= 20; ++i) {
        tick(t0 + i * (session_ms / 2));
        EXPECT_EQ(**heartbeat(a, 1), error_code::none) << i;
    }
    EXPECT_EQ(state_of(), group_state::stable);
    // Silence: gone after a session, and the group is Empty with a new generation stored.
    tick(now + session_ms);
    EXPECT_EQ(state_of(), group_state::empty);
    auto gr = group_records();
    ASSERT_FALSE(gr.empty());
    ASSERT_TRUE(gr.back().value.has_value());
    EXPECT_EQ(gr.back().value->generation, 2);
    EXPECT_TRUE(gr.back().value->members.empty());
}

TEST_F(group_coordinator_test, a_held_join_does_not_expire_by_session) {
    lead();
    const std::string a = stable_single();
    auto jb = join(jreq());  // b's join is held while a is slow to rejoin
    tick(t0 + session_ms + 1);  // a's session expired: a removed, so b's join completes
    ASSERT_TRUE(jb->has_value());
    EXPECT_EQ((*jb)->error, error_code::none);
    EXPECT_EQ((*jb)->leader, (*jb)->member_id);
    EXPECT_EQ(**heartbeat(a, 1), error_code::unknown_member_id);
}

// ---- LeaveGroup --------------------------------------------------------------------------------

TEST_F(group_coordinator_test, leave_removes_the_member_and_rebalances) {
    lead();
    auto pg = stable_pair();
    auto l = leave({pg.b});
    ASSERT_TRUE(l->has_value());
    EXPECT_EQ((*l)->error, error_code::none);
    EXPECT_EQ((*l)->members, std::vector<error_code>{error_code::none});
    EXPECT_EQ(state_of(), group_state::preparing_rebalance);
    auto ja = join(jreq(pg.a));
    ASSERT_TRUE(ja->has_value());
    EXPECT_EQ((*ja)->generation, 3);
    EXPECT_EQ((*ja)->members.size(), 1u);
}

TEST_F(group_coordinator_test, leaving_unknown_members_fails_in_their_slots) {
    lead();
    auto l0 = leave({"x"}, "nogroup");
    EXPECT_EQ((*l0)->error, error_code::none);
    EXPECT_EQ((*l0)->members, std::vector<error_code>{error_code::unknown_member_id});
    auto pg = stable_pair();
    auto l = leave({"ghost", pg.b, "other"});
    EXPECT_EQ((*l)->error, error_code::none);
    EXPECT_EQ((*l)->members,
              (std::vector<error_code>{error_code::unknown_member_id, error_code::none, error_code::unknown_member_id}));
}

TEST_F(group_coordinator_test, last_member_leaving_empties_the_group_with_a_new_generation_stored) {
    lead();
    const std::string a = stable_single();
    auto l = leave({a});
    EXPECT_EQ((*l)->members, std::vector<error_code>{error_code::none});
    auto d = describe();
    EXPECT_EQ((*d)->state, group_state::empty);
    EXPECT_TRUE((*d)->members.empty());
    auto gr = group_records();
    ASSERT_FALSE(gr.empty());
    ASSERT_TRUE(gr.back().value.has_value());
    EXPECT_EQ(gr.back().value->generation, 2);
    EXPECT_TRUE(gr.back().value->members.empty());
    EXPECT_FALSE(gr.back().value->protocol.has_value());
    EXPECT_FALSE(gr.back().value->leader.has_value());
    EXPECT_EQ(gr.back().value->protocol_type, "consumer");
}

TEST_F(group_coordinator_test, a_pending_member_can_leave) {
    lead();
    auto j = join(jreq("", protocols(), true));
    ASSERT_EQ((*j)->error, error_code::member_id_required);
    auto l = leave({(*j)->member_id});
    EXPECT_EQ((*l)->members, std::vector<error_code>{error_code::none});
    EXPECT_EQ((*join(jreq((*j)->member_id, protocols(), true)))->error, error_code::unknown_member_id);
}

// ---- OffsetCommit ------------------------------------------------------------------------------

TEST_F(group_coordinator_test, simple_commit_on_an_unknown_group_creates_an_empty_group) {
    lead();
    auto c = commit({oc("t", 0, 42, "meta", 3)});
    ASSERT_TRUE(c->has_value());
    EXPECT_EQ((*c)->error, error_code::none);
    EXPECT_EQ((*c)->partitions, std::vector<error_code>{error_code::none});
    auto d = describe();
    EXPECT_EQ((*d)->error, error_code::none);
    EXPECT_EQ((*d)->state, group_state::empty);
    EXPECT_EQ((*d)->protocol_type, "");
    auto f = fetch(std::vector<topic_partition>{{"t", 0}});
    ASSERT_EQ((*f)->offsets.size(), 1u);
    EXPECT_EQ((*f)->offsets[0].offset, 42);
    EXPECT_EQ((*f)->offsets[0].leader_epoch, 3);
    EXPECT_EQ((*f)->offsets[0].metadata, "meta");
    auto recs = offset_records();
    ASSERT_EQ(recs.size(), 1u);
    EXPECT_EQ(recs[0].key, (offset_key{"g", "t", 0}));
    ASSERT_TRUE(recs[0].value.has_value());
    EXPECT_EQ(recs[0].value->offset, 42);
    EXPECT_EQ(recs[0].value->leader_epoch, 3);
    EXPECT_EQ(recs[0].value->metadata, "meta");
    EXPECT_EQ(recs[0].value->commit_timestamp, t0);
    EXPECT_FALSE(recs[0].value->expire_timestamp.has_value());
}

TEST_F(group_coordinator_test, generation_on_an_unknown_group_is_illegal) {
    lead();
    auto c = commit({oc("t", 0, 1), oc("t", 1, 1)}, 3, "m");
    EXPECT_EQ((*c)->error, error_code::illegal_generation);
    EXPECT_EQ((*c)->partitions, (std::vector<error_code>(2, error_code::illegal_generation)));
    EXPECT_EQ((*describe())->state, group_state::dead) << "no group was created";
    EXPECT_EQ(log.appends, 0);
}

TEST_F(group_coordinator_test, commit_from_a_member_of_a_stable_group) {
    lead();
    const std::string a = stable_single();
    EXPECT_EQ((*commit({oc("t", 0, 10)}, 1, a))->error, error_code::none);
    EXPECT_EQ(committed("t", 0), 10);
    EXPECT_EQ((*commit({oc("t", 0, 11)}, 2, a))->error, error_code::illegal_generation);
    EXPECT_EQ((*commit({oc("t", 0, 11)}, 1, "ghost"))->error, error_code::unknown_member_id);
    EXPECT_EQ((*commit({oc("t", 0, 11)}, -1, ""))->error, error_code::unknown_member_id)
      << "a simple commit to a group with members";
    EXPECT_EQ(committed("t", 0), 10);
}

TEST_F(group_coordinator_test, commit_while_completing_is_refused_while_preparing_is_stored) {
    lead();
    const std::string a = (*join(jreq()))->member_id;
    ASSERT_EQ(state_of(), group_state::completing_rebalance);
    EXPECT_EQ((*commit({oc("t", 0, 1)}, 1, a))->error, error_code::rebalance_in_progress);
    sync(a, 1, {{a, {}}});
    join(jreq());  // PreparingRebalance
    ASSERT_EQ(state_of(), group_state::preparing_rebalance);
    EXPECT_EQ((*commit({oc("t", 0, 2)}, 1, a))->error, error_code::none);
    EXPECT_EQ(committed("t", 0), 2);
}

TEST_F(group_coordinator_test, metadata_over_the_limit_fails_only_its_partition) {
    cfg.offset_metadata_max_bytes = 10;
    lead();
    auto c = commit({oc("t", 0, 1, std::string(10, 'x')), oc("t", 1, 2, std::string(11, 'x')), oc("t", 2, 3)});
    EXPECT_EQ((*c)->error, error_code::none);
    EXPECT_EQ((*c)->partitions, (std::vector<error_code>{error_code::none, error_code::offset_metadata_too_large,
                                                         error_code::none}));
    EXPECT_EQ(committed("t", 0), 1);
    EXPECT_EQ(committed("t", 1), -1);
    EXPECT_EQ(committed("t", 2), 3);
    EXPECT_EQ(offset_records().size(), 2u);
    // Only too large: nothing to store.
    auto c2 = commit({oc("t", 1, 2, std::string(11, 'x'))});
    EXPECT_EQ((*c2)->partitions, std::vector<error_code>{error_code::offset_metadata_too_large});
}

TEST_F(group_coordinator_test, a_failed_append_maps_the_error_and_nothing_is_visible) {
    lead();
    const std::vector<std::pair<error_code, error_code>> cases = {
      {error_code::not_enough_replicas, error_code::coordinator_not_available},
      {error_code::not_enough_replicas_after_append, error_code::coordinator_not_available},
      {error_code::unknown_topic_or_partition, error_code::coordinator_not_available},
      {error_code::not_leader_or_follower, error_code::not_coordinator},
      {error_code::kafka_storage_error, error_code::not_coordinator},
      {error_code::message_too_large, error_code::invalid_commit_offset_size},
      {error_code::record_list_too_large, error_code::invalid_commit_offset_size},
    };
    for (auto [stored, answered] : cases) {
        log.append_error = stored;
        auto c = commit({oc("t", 0, 5), oc("u", 0, 6)});
        EXPECT_EQ((*c)->partitions, (std::vector<error_code>(2, answered))) << protocol::error_name(stored);
        EXPECT_EQ(committed("t", 0), -1);
        EXPECT_EQ(committed("u", 0), -1);
    }
    log.append_error = error_code::none;
    EXPECT_TRUE((*fetch(std::nullopt))->offsets.empty());
}

TEST_F(group_coordinator_test, a_commit_is_visible_only_once_stored) {
    lead();
    commit({oc("t", 0, 1)});
    log.hold = true;
    auto c = commit({oc("t", 0, 2)});
    EXPECT_FALSE(c->has_value());
    EXPECT_EQ(committed("t", 0), 1);
    log.hold = false;
    log.release();
    poll();
    ASSERT_TRUE(c->has_value());
    EXPECT_EQ((*c)->partitions, std::vector<error_code>{error_code::none});
    EXPECT_EQ(committed("t", 0), 2);
}

// ---- OffsetFetch -------------------------------------------------------------------------------

TEST_F(group_coordinator_test, uncommitted_partitions_fetch_as_minus_one) {
    lead();
    auto f0 = fetch(std::vector<topic_partition>{{"t", 0}}, "nogroup");
    EXPECT_EQ((*f0)->error, error_code::none);
    ASSERT_EQ((*f0)->offsets.size(), 1u);
    EXPECT_EQ((*f0)->offsets[0].offset, -1);
    EXPECT_EQ((*f0)->offsets[0].metadata, "");

    commit({oc("t", 0, 7, "x")});
    auto f = fetch(std::vector<topic_partition>{{"t", 0}, {"t", 1}, {"u", 0}});
    ASSERT_EQ((*f)->offsets.size(), 3u);
    EXPECT_EQ((*f)->offsets[0].tp, (topic_partition{"t", 0}));
    EXPECT_EQ((*f)->offsets[0].offset, 7);
    EXPECT_EQ((*f)->offsets[0].metadata, "x");
    EXPECT_EQ((*f)->offsets[1].tp, (topic_partition{"t", 1}));
    EXPECT_EQ((*f)->offsets[1].offset, -1);
    EXPECT_EQ((*f)->offsets[1].leader_epoch, -1);
    EXPECT_EQ((*f)->offsets[2].offset, -1);
}

TEST_F(group_coordinator_test, null_partitions_fetch_every_committed_offset) {
    lead();
    EXPECT_TRUE((*fetch(std::nullopt, "nogroup"))->offsets.empty());
    commit({oc("t", 0, 1), oc("t", 1, 2), oc("u", 3, 4)});
    auto f = fetch(std::nullopt);
    ASSERT_EQ((*f)->offsets.size(), 3u);
    std::map<topic_partition, int64_t> got;
    for (const auto& o : (*f)->offsets) got[o.tp] = o.offset;
    EXPECT_EQ(got, (std::map<topic_partition, int64_t>{{{"t", 0}, 1}, {{"t", 1}, 2}, {{"u", 3}, 4}}));
}

// ---- loading -----------------------------------------------------------------------------------

TEST_F(group_coordinator_test, a_fresh_coordinator_loads_offsets_and_the_stable_group) {
    lead();
    auto pg = stable_pair();
    commit({oc("t", 0, 100, "m0", 2), oc("t", 1, 200)}, pg.generation, pg.a);
    commit({oc("x", 0, 9)}, -1, "", "simple");

    restart_coordinator();
    EXPECT_EQ(committed("t", 0), 100);
    EXPECT_EQ(committed("t", 1), 200);
    EXPECT_EQ(committed("x", 0, "simple"), 9);
    auto f = fetch(std::vector<topic_partition>{{"t", 0}});
    EXPECT_EQ((*f)->offsets[0].metadata, "m0");
    EXPECT_EQ((*f)->offsets[0].leader_epoch, 2);

    auto d = describe();
    EXPECT_EQ((*d)->state, group_state::stable);
    EXPECT_EQ((*d)->protocol_type, "consumer");
    EXPECT_EQ((*d)->protocol, "range");
    std::map<std::string, bytes> assignments;
    for (const auto& m : (*d)->members) {
        assignments[m.member_id] = m.assignment;
        EXPECT_EQ(m.metadata, subscription({"t"}));
        EXPECT_EQ(m.client_id, "client");
    }
    EXPECT_EQ(assignments, (std::map<std::string, bytes>{{pg.a, {0xA}}, {pg.b, {0xB}}}));
    // The generation carries on.
    EXPECT_EQ(**heartbeat(pg.a, pg.generation), error_code::none);
    EXPECT_EQ(**heartbeat(pg.b, pg.generation), error_code::none);
    EXPECT_EQ((*sync(pg.b, pg.generation))->assignment, bytes{0xB});
    EXPECT_EQ((*commit({oc("t", 0, 101)}, pg.generation, pg.a))->error, error_code::none);
    // Loaded members get a whole session from the load.
    tick(now + session_ms - 1);
    EXPECT_EQ(state_of(), group_state::stable);
    // The next rebalance is generation + 1.
    auto ja = join(jreq(pg.a));
    auto jb = join(jreq(pg.b));
    ASSERT_TRUE(ja->has_value() && jb->has_value());
    EXPECT_EQ((*ja)->generation, pg.generation + 1);
    auto l = list();
    EXPECT_EQ((*l)->second.size(), 2u);
}

TEST_F(group_coordinator_test, loading_honours_tombstones) {
    lead();
    commit({oc("t", 0, 1)}, -1, "", "deleted");
    commit({oc("t", 0, 2), oc("t", 1, 3)}, -1, "", "kept");
    EXPECT_EQ(**delete_groups({"deleted"}), std::vector<error_code>{error_code::none});
    EXPECT_EQ((*delete_offsets({{"t", 1}}, "kept"))->first, error_code::none);
    // A member group that emptied and was deleted.
    const std::string a = stable_single();
    leave({a});
    EXPECT_EQ(**delete_groups({"g"}), std::vector<error_code>{error_code::none});

    restart_coordinator();
    EXPECT_EQ((*describe("deleted"))->state, group_state::dead);
    EXPECT_EQ(committed("t", 0, "deleted"), -1);
    EXPECT_EQ((*describe("g"))->state, group_state::dead);
    EXPECT_EQ(committed("t", 0, "kept"), 2);
    EXPECT_EQ(committed("t", 1, "kept"), -1);
    auto l = list();
    ASSERT_EQ((*l)->second.size(), 1u);
    EXPECT_EQ((*l)->second[0].group_id, "kept");
    EXPECT_EQ(**delete_groups({"deleted"}), std::vector<error_code>{error_code::group_id_not_found});
}

TEST_F(group_coordinator_test, loading_takes_the_last_record_per_key_and_skips_unreadable_ones) {
    // Written by hand as another broker (or Kafka) would have: two commits of one partition, a
    // record with a null key, garbage, a group written by Kafka's v0 value schema.
    protocol::records::record_batch_builder b;
    auto add = [&b](const bytes& k, std::optional<bytes> v) {
        protocol::records::record_input in;
        in.key = protocol::records::bytes_view(k);
        if (v) in.value = protocol::records::bytes_view(*v);
        in.timestamp = t0;
        b.add(in);
    };
    offset_value v1;
    v1.offset = 5;
    v1.commit_timestamp = t0;
    offset_value v2 = v1;
    v2.offset = 6;
    add(encode_key(offset_key{"g", "t", 0}), encode_value(v1));
    add(bytes{0x00, 0x09, 0x01}, bytes{0x00});  // unknown key version
    add(encode_key(offset_key{"g", "t", 0}), encode_value(v2));
    protocol::wire::writer w;  // GroupMetadataValue v0, one member
    w.write_int16(0);
    w.write_string("consumer");
    w.write_int32(8);
    w.write_nullable_string(std::string("range"));
    w.write_nullable_string(std::string("old-member"));
    w.write_int32(1);
    w.write_string("old-member");
    w.write_string("old-client");
    w.write_string("/h");
    w.write_int32(session_ms);
    w.write_bytes(subscription({"t"}));
    w.write_bytes(bytes{7});
    add(encode_key(group_key{"g"}), w.to_bytes());
    log.add_batch(0, b.build());
    protocol::records::record_batch_builder nulls;
    protocol::records::record_input in;
    in.value = protocol::records::bytes_view(std::span<const uint8_t>());
    nulls.add(in);  // null key
    log.add_batch(0, nulls.build());

    lead();
    EXPECT_EQ(committed("t", 0), 6);
    auto d = describe();
    EXPECT_EQ((*d)->state, group_state::stable);
    ASSERT_EQ((*d)->members.size(), 1u);
    EXPECT_EQ((*d)->members[0].member_id, "old-member");
    EXPECT_EQ((*d)->members[0].assignment, bytes{7});
    EXPECT_EQ((*sync("old-member", 8))->assignment, bytes{7});
}

// ---- ListGroups / DescribeGroups ----------------------------------------------------------------

TEST_F(group_coordinator_test, describe_reports_each_state) {
    lead();
    auto unknown = describe("nogroup");
    EXPECT_EQ((*unknown)->error, error_code::none);
    EXPECT_EQ((*unknown)->state, group_state::dead);
    EXPECT_STREQ(state_name((*unknown)->state), "Dead");
    EXPECT_TRUE((*unknown)->protocol_type.empty());
    EXPECT_TRUE((*unknown)->members.empty());

    commit({oc("t", 0, 1)}, -1, "", "offsets-only");
    auto e = describe("offsets-only");
    EXPECT_EQ((*e)->state, group_state::empty);
    EXPECT_STREQ(state_name((*e)->state), "Empty");

    const bytes md = subscription({"t"});
    const std::string a = (*join(jreq("", protocols(md))))->member_id;
    auto c = describe();
    EXPECT_EQ((*c)->state, group_state::completing_rebalance);
    EXPECT_STREQ(state_name((*c)->state), "CompletingRebalance");
    EXPECT_EQ((*c)->protocol_type, "consumer");
    EXPECT_EQ((*c)->protocol, "");
    ASSERT_EQ((*c)->members.size(), 1u);
    EXPECT_EQ((*c)->members[0].member_id, a);
    EXPECT_EQ((*c)->members[0].client_id, "client");
    EXPECT_EQ((*c)->members[0].client_host, "/127.0.0.1");
    EXPECT_TRUE((*c)->members[0].metadata.empty()) << "metadata only when Stable";

    sync(a, 1, {{a, {0x42}}});
    auto s = describe();
    EXPECT_EQ((*s)->state, group_state::stable);
    EXPECT_STREQ(state_name((*s)->state), "Stable");
    EXPECT_EQ((*s)->protocol, "range");
    ASSERT_EQ((*s)->members.size(), 1u);
    EXPECT_EQ((*s)->members[0].metadata, md);
    EXPECT_EQ((*s)->members[0].assignment, bytes{0x42});

    EXPECT_FALSE(join(jreq())->has_value());
    auto p = describe();
    EXPECT_EQ((*p)->state, group_state::preparing_rebalance);
    EXPECT_STREQ(state_name((*p)->state), "PreparingRebalance");
    EXPECT_EQ((*p)->protocol, "");
    EXPECT_EQ((*p)->members.size(), 2u);
    for (const auto& m : (*p)->members) {
        EXPECT_TRUE(m.metadata.empty());
        EXPECT_TRUE(m.assignment.empty());
    }

    auto l = list();
    EXPECT_EQ((*l)->first, error_code::none);
    std::map<std::string, std::pair<std::string, group_state>> groups;
    for (const auto& g : (*l)->second) groups[g.group_id] = {g.protocol_type, g.state};
    EXPECT_EQ(groups, (std::map<std::string, std::pair<std::string, group_state>>{
                        {"offsets-only", {"", group_state::empty}},
                        {"g", {"consumer", group_state::preparing_rebalance}}}));
}

TEST_F(group_coordinator_test, list_groups_says_load_in_progress_while_a_partition_loads) {
    cfg.offsets_partitions = 50;
    coord = make();
    log.read_errors[partition_for_group("a", 50)] = error_code::kafka_storage_error;  // stays loading
    lead(partition_for_group("hello", 50));
    lead(partition_for_group("a", 50));
    commit({oc("t", 0, 1)}, -1, "", "hello");
    auto l = list();
    EXPECT_EQ((*l)->first, error_code::coordinator_load_in_progress);
    ASSERT_EQ((*l)->second.size(), 1u);
    EXPECT_EQ((*l)->second[0].group_id, "hello");
    coord->resigned(partition_for_group("a", 50));
    poll();
    EXPECT_EQ((*list())->first, error_code::none);
}

// ---- DeleteGroups / OffsetDelete ----------------------------------------------------------------

TEST_F(group_coordinator_test, delete_groups) {
    lead();
    stable_single();
    commit({oc("t", 0, 1), oc("t", 1, 2)}, -1, "", "e");
    auto r = delete_groups({"g", "unknown", "e"});
    EXPECT_EQ(**r, (std::vector<error_code>{error_code::non_empty_group, error_code::group_id_not_found,
                                            error_code::none}));
    EXPECT_EQ((*describe("e"))->state, group_state::dead);
    EXPECT_EQ(committed("t", 0, "e"), -1);
    EXPECT_EQ(state_of("g"), group_state::stable);
    // Tombstones: both offsets and the group.
    std::set<std::string> tombstones;
    for (auto& rec : records()) {
        if (auto* o = std::get_if<offset_record>(&rec); o && o->key.group == "e" && !o->value) {
            tombstones.insert(o->key.topic + "-" + std::to_string(o->key.partition));
        }
        if (auto* g = std::get_if<group_record>(&rec); g && g->key.group == "e" && !g->value) tombstones.insert("group");
    }
    EXPECT_EQ(tombstones, (std::set<std::string>{"t-0", "t-1", "group"}));
    EXPECT_EQ(**delete_groups({"e"}), std::vector<error_code>{error_code::group_id_not_found});
    // The id can be used again.
    EXPECT_EQ((*commit({oc("t", 0, 5)}, -1, "", "e"))->error, error_code::none);
    EXPECT_EQ(committed("t", 0, "e"), 5);
}

TEST_F(group_coordinator_test, a_failed_group_delete_keeps_the_group) {
    lead();
    commit({oc("t", 0, 1)}, -1, "", "e");
    log.append_error = error_code::not_enough_replicas;
    EXPECT_EQ(**delete_groups({"e"}), std::vector<error_code>{error_code::coordinator_not_available});
    log.append_error = error_code::none;
    EXPECT_EQ((*describe("e"))->state, group_state::empty);
    EXPECT_EQ(committed("t", 0, "e"), 1);
}

TEST_F(group_coordinator_test, delete_offsets_refuses_subscribed_topics_of_a_consumer_group) {
    lead();
    const std::string a = stable_single({}, subscription({"t", "v"}));
    commit({oc("t", 0, 1), oc("u", 0, 2), oc("v", 3, 3)}, 1, a);
    auto r = delete_offsets({{"t", 0}, {"u", 0}, {"v", 3}, {"w", 0}});
    EXPECT_EQ((*r)->first, error_code::none);
    EXPECT_EQ((*r)->second, (std::vector<error_code>{error_code::group_subscribed_to_topic, error_code::none,
                                                     error_code::group_subscribed_to_topic, error_code::none}));
    EXPECT_EQ(committed("t", 0), 1);
    EXPECT_EQ(committed("u", 0), -1);
    EXPECT_EQ(committed("v", 3), 3);
    auto recs = offset_records();
    ASSERT_FALSE(recs.empty());
    EXPECT_EQ(recs.back().key, (offset_key{"g", "u", 0}));
    EXPECT_FALSE(recs.back().value.has_value());
}

TEST_F(group_coordinator_test, delete_offsets_of_empty_unknown_and_non_consumer_groups) {
    lead();
    EXPECT_EQ((*delete_offsets({{"t", 0}}, "nogroup"))->first, error_code::group_id_not_found);
    commit({oc("t", 0, 1), oc("t", 1, 1)}, -1, "", "e");
    auto r = delete_offsets({{"t", 0}, {"t", 1}}, "e");
    EXPECT_EQ((*r)->first, error_code::none);
    EXPECT_EQ((*r)->second, (std::vector<error_code>(2, error_code::none)));
    EXPECT_TRUE((*fetch(std::nullopt, "e"))->offsets.empty());

    auto cj = jreq("", {protocol_metadata{"copycat", {}}}, false, "connect-group");
    cj.protocol_type = "connect";
    auto j = join(cj);
    ASSERT_EQ((*j)->error, error_code::none);
    EXPECT_EQ((*delete_offsets({{"t", 0}}, "connect-group"))->first, error_code::non_empty_group);
}

// ---- offsets retention -------------------------------------------------------------------------

TEST_F(group_coordinator_test, an_empty_groups_offsets_expire_retention_after_it_emptied) {
    lead();
    const std::string a = stable_single();
    commit({oc("t", 0, 1), oc("t", 1, 2)}, 1, a);
    now = t0 + 50000;
    leave({a});  // Empty from t0 + 50000
    ASSERT_EQ(state_of(), group_state::empty);
    coord->expire_offsets(t0 + 50000 + cfg.offsets_retention_ms - 1);
    poll();
    EXPECT_EQ(committed("t", 0), 1);
    const size_t before = records().size();
    coord->expire_offsets(t0 + 50000 + cfg.offsets_retention_ms);
    poll();
    EXPECT_EQ(committed("t", 0), -1);
    EXPECT_EQ((*describe())->state, group_state::dead) << "no offsets left: the group is removed";
    auto recs = records();
    ASSERT_EQ(recs.size(), before + 3);
    std::set<std::string> tombstones;
    for (size_t i = before; i < recs.size(); ++i) {
        if (auto* o = std::get_if<offset_record>(&recs[i])) {
            EXPECT_FALSE(o->value.has_value());
            tombstones.insert(o->key.topic + "-" + std::to_string(o->key.partition));
        } else if (auto* g = std::get_if<group_record>(&recs[i])) {
            EXPECT_FALSE(g->value.has_value());
            EXPECT_EQ(g->key.group, "g");
            tombstones.insert("group");
        }
    }
    EXPECT_EQ(tombstones, (std::set<std::string>{"t-0", "t-1", "group"}));
}

TEST_F(group_coordinator_test, an_active_consumer_group_keeps_offsets_of_subscribed_topics) {
    lead();
    const std::string a = stable_single({}, subscription({"t"}));
    commit({oc("t", 0, 1), oc("u", 0, 2)}, 1, a);
    const int64_t later = t0 + cfg.offsets_retention_ms + 1;
    now = later;
    EXPECT_EQ(**heartbeat(a, 1), error_code::none);
    coord->expire_offsets(later);
    poll();
    EXPECT_EQ(committed("t", 0), 1);
    EXPECT_EQ(committed("u", 0), -1) << "not subscribed: expires by its commit time";
    EXPECT_EQ(state_of(), group_state::stable);
}

TEST_F(group_coordinator_test, explicit_expire_timestamps_are_honoured) {
    lead();
    commit({oc("t", 0, 1)}, -1, "", "g", 5000);  // OffsetCommit v2-v4 retention_time
    commit({oc("t", 1, 2)});
    auto recs = offset_records();
    ASSERT_EQ(recs.size(), 2u);
    ASSERT_TRUE(recs[0].value.has_value());
    EXPECT_EQ(recs[0].value->expire_timestamp, std::optional<int64_t>(t0 + 5000)) << "written as a v1 value";
    coord->expire_offsets(t0 + 4999);
    poll();
    EXPECT_EQ(committed("t", 0), 1);
    coord->expire_offsets(t0 + 5000);
    poll();
    EXPECT_EQ(committed("t", 0), -1);
    EXPECT_EQ(committed("t", 1), 2);
    EXPECT_EQ(state_of(), group_state::empty);
}

TEST_F(group_coordinator_test, an_active_consumer_group_keeps_subscribed_offsets_even_with_an_expire_timestamp) {
    // Kafka's removeExpiredOffsets filters subscribed topics before looking at expire_timestamp.
    lead();
    const std::string a = stable_single({}, subscription({"t"}));
    commit({oc("t", 0, 1), oc("u", 0, 2)}, 1, a, "g", 5000);
    now = t0 + 6000;
    EXPECT_EQ(**heartbeat(a, 1), error_code::none);
    coord->expire_offsets(t0 + 6000);
    poll();
    EXPECT_EQ(committed("t", 0), 1);
    EXPECT_EQ(committed("u", 0), -1);
}

TEST_F(group_coordinator_test, offsets_of_a_loaded_simple_group_expire_by_their_commit_time) {
    // A group known only by its offsets (no group record) has no state timestamp: Kafka expires
    // its offsets retention after their commit, however often the partition is reloaded.
    lead();
    commit({oc("t", 0, 1)}, -1, "", "simple");
    now = t0 + cfg.offsets_retention_ms / 2;
    restart_coordinator();
    coord->expire_offsets(t0 + cfg.offsets_retention_ms);
    poll();
    EXPECT_EQ(committed("t", 0, "simple"), -1);
    EXPECT_EQ((*describe("simple"))->state, group_state::dead);
}

TEST_F(group_coordinator_test, a_simple_groups_offsets_expire_by_commit_time) {
    lead();
    commit({oc("t", 0, 1)});
    now = t0 + 1000;
    commit({oc("t", 1, 1)});
    coord->expire_offsets(t0 + cfg.offsets_retention_ms);
    poll();
    EXPECT_EQ(committed("t", 0), -1);
    EXPECT_EQ(committed("t", 1), 1);
    EXPECT_EQ(state_of(), group_state::empty);
}

// ---- initial rebalance delay ----------------------------------------------------------------------

TEST_F(group_coordinator_test, first_join_waits_for_the_initial_delay) {
    cfg.initial_rebalance_delay_ms = 3000;
    lead();
    auto ja = join(jreq());
    EXPECT_FALSE(ja->has_value());
    EXPECT_EQ(state_of(), group_state::preparing_rebalance);
    tick(t0 + 2999);
    EXPECT_FALSE(ja->has_value());
    tick(t0 + 3000);
    ASSERT_TRUE(ja->has_value());
    EXPECT_EQ((*ja)->error, error_code::none);
    EXPECT_EQ((*ja)->generation, 1);
}

TEST_F(group_coordinator_test, a_member_joining_during_the_delay_extends_it) {
    cfg.initial_rebalance_delay_ms = 3000;
    lead();
    auto ja = join(jreq());
    now = t0 + 2000;
    auto jb = join(jreq());
    tick(t0 + 3000);
    EXPECT_FALSE(ja->has_value()) << "b arrived: another delay";
    EXPECT_FALSE(jb->has_value());
    tick(t0 + 5999);
    EXPECT_FALSE(ja->has_value());
    tick(t0 + 6000);
    ASSERT_TRUE(ja->has_value() && jb->has_value());
    EXPECT_EQ((*ja)->generation, 1);
    EXPECT_EQ((*jb)->generation, 1);
    EXPECT_EQ((*ja)->leader, (*ja)->member_id) << "the first joiner leads";
    EXPECT_EQ((*ja)->members.size(), 2u);
}

TEST_F(group_coordinator_test, the_delay_extensions_stop_at_the_rebalance_timeout) {
    cfg.initial_rebalance_delay_ms = 3000;
    lead();
    auto r = jreq();
    r.rebalance_timeout_ms = 5000;
    auto ja = join(r);
    now = t0 + 2000;
    auto jb = join(r);
    tick(t0 + 3000);  // extended, but only to t0 + 5000
    now = t0 + 4500;
    auto jc = join(r);
    tick(t0 + 4999);
    EXPECT_FALSE(ja->has_value());
    tick(t0 + 5000);
    ASSERT_TRUE(ja->has_value() && jb->has_value() && jc->has_value());
    EXPECT_EQ((*ja)->members.size(), 3u);
}

TEST_F(group_coordinator_test, the_initial_delay_is_waited_in_full_even_with_a_shorter_rebalance_timeout) {
    // Kafka: InitialDelayedJoin(delay = group.initial.rebalance.delay.ms,
    // remaining = max(rebalanceTimeout - delay, 0)).
    cfg.initial_rebalance_delay_ms = 3000;
    lead();
    auto r = jreq();
    r.rebalance_timeout_ms = 1000;
    auto ja = join(r);
    tick(t0 + 1000);
    EXPECT_FALSE(ja->has_value());
    tick(t0 + 3000);
    EXPECT_TRUE(ja->has_value());
}

TEST_F(group_coordinator_test, a_pending_member_can_still_join_after_the_join_phase_completed) {
    // Kafka keeps pending members (MEMBER_ID_REQUIRED handed out) until they join or their session
    // runs out; the end of a join phase does not forget them.
    cfg.initial_rebalance_delay_ms = 3000;
    lead();
    auto ja = join(jreq());
    now = t0 + 2900;
    auto pb = join(jreq("", protocols(), true));
    ASSERT_EQ((*pb)->error, error_code::member_id_required);
    tick(t0 + 3000);
    ASSERT_TRUE(ja->has_value());
    EXPECT_EQ((*ja)->members.size(), 1u);
    now = t0 + 3100;
    auto jb = join(jreq((*pb)->member_id, protocols(), true));
    EXPECT_FALSE(jb->has_value()) << "b is a new member: the group rebalances for it";
    EXPECT_EQ(state_of(), group_state::preparing_rebalance);
    auto ja2 = join(jreq((*ja)->member_id));
    ASSERT_TRUE(jb->has_value() && ja2->has_value());
    EXPECT_EQ((*jb)->error, error_code::none);
    EXPECT_EQ((*jb)->member_id, (*pb)->member_id);
    EXPECT_EQ((*jb)->generation, 2);
}

TEST_F(group_coordinator_test, an_unused_pending_member_id_expires_after_a_session) {
    lead();
    const std::string a = stable_single();
    auto p = join(jreq("", protocols(), true));
    ASSERT_EQ((*p)->error, error_code::member_id_required);
    tick(t0 + session_ms / 2);
    EXPECT_EQ(**heartbeat(a, 1), error_code::none);
    tick(t0 + session_ms);
    EXPECT_EQ((*join(jreq((*p)->member_id, protocols(), true)))->error, error_code::unknown_member_id);
}

TEST_F(group_coordinator_test, a_pending_member_id_of_an_empty_group_expires_too) {
    lead();
    auto p = join(jreq("", protocols(), true));
    ASSERT_EQ((*p)->error, error_code::member_id_required);
    ASSERT_EQ(state_of(), group_state::empty);
    tick(t0 + session_ms - 1);
    tick(t0 + session_ms);
    EXPECT_EQ((*join(jreq((*p)->member_id, protocols(), true)))->error, error_code::unknown_member_id);
}

TEST_F(group_coordinator_test, a_state_snapshot_bounds_the_log_and_loads_back_the_same_state) {
    cfg.snapshot_after_bytes = 2000;
    log.trimmable = true;
    lead();
    const std::string a = stable_single();
    for (int i = 0; i < 200; ++i) commit({oc("t", 0, i), oc("t", 1, 1000 + i)}, 1, a);
    commit({oc("t", 0, 7)}, -1, "", "gone");
    EXPECT_EQ(**delete_groups({"gone"}), std::vector<error_code>{error_code::none});
    const size_t before = log.batches[0].size();
    tick(now + 1);  // bytes past the threshold, nothing in flight: the state is written again
    EXPECT_EQ(log.trims, 1);
    EXPECT_LT(log.batches[0].size(), 5u) << "of " << before;
    // Only the live state is left: the member group's record and its two offsets.
    auto left = records();
    ASSERT_EQ(left.size(), 3u);
    EXPECT_TRUE(std::holds_alternative<group_record>(left[0]));

    restart_coordinator();
    EXPECT_EQ(committed("t", 0), 199);
    EXPECT_EQ(committed("t", 1), 1199);
    EXPECT_EQ(committed("t", 0, "gone"), -1);
    EXPECT_EQ(state_of(), group_state::stable);
    auto d = describe();
    ASSERT_EQ((*d)->members.size(), 1u);
    EXPECT_EQ((*d)->members[0].member_id, a);
}

TEST_F(group_coordinator_test, no_snapshot_while_an_append_is_in_flight) {
    cfg.snapshot_after_bytes = 1;
    log.trimmable = true;
    lead();
    log.hold = true;
    auto c = commit({oc("t", 0, 5)});
    tick(now + 1);
    EXPECT_EQ(log.trims, 0) << "a snapshot taken now would miss the commit still being written";
    log.hold = false;
    log.release();
    poll();
    ASSERT_TRUE(c->has_value());
    EXPECT_EQ((*c)->partitions, std::vector<error_code>{error_code::none});
    tick(now + 2);
    EXPECT_EQ(log.trims, 1);
    restart_coordinator();
    EXPECT_EQ(committed("t", 0), 5);
}

}  // namespace
