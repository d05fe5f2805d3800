// Issue 5 acceptance: consumer groups and committed offsets. Three real brokers (4 s ZooKeeper
// session) under the test's chroot, real librdkafka group consumers (rd_kafka_subscribe, the
// JoinGroup/SyncGroup/Heartbeat/OffsetCommit path), kafka-python and confluent-kafka groups, and
// the group state checked from outside through FindCoordinator/OffsetFetch on the wire.
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <filesystem>
#include <atomic>
#include <iostream>
#include <iterator>
#include <sstream>
#include <mutex>
#include <set>
#include <thread>

#include "protocol/client/client.h"
#include "protocol/messages/find_coordinator.h"
#include "protocol/messages/offset_commit.h"
#include "protocol/messages/offset_fetch.h"
#include "tests/integration/replication_fixture.h"

#ifndef BROOK_CONSUMER_GROUPS_BINARY
#error "BROOK_CONSUMER_GROUPS_BINARY must name the built brook-consumer-groups"
#endif
#ifndef BROOK_PYTHON_DIR
#error "BROOK_PYTHON_DIR must point at tests/integration/python"
#endif

namespace integration {
namespace {

using namespace std::chrono_literals;

/// Brokers of these tests: a short first-rebalance delay (Kafka's 3 s would only slow the tests).
const std::map<std::string, std::string> group_broker_properties = {
    {"group.initial.rebalance.delay.ms", "500"},
    {"offsets.topic.num.partitions", "10"},
    {"offsets.topic.replication.factor", "3"},
};

/// Session expiry of a kill -9ed broker plus the controller's and the coordinator's work.
std::chrono::milliseconds failover_timeout_for_test() { return std::chrono::milliseconds(test_session_timeout_ms) + 20s; }

/// One record a group member processed.
struct processed {
    int member = 0;
    std::int32_t partition = -1;
    std::int64_t offset = -1;
};

/// Everything the members of one test share; guarded by `mutex`.
struct group_log {
    std::mutex mutex;
    std::vector<processed> records;
    std::map<int, std::set<std::int32_t>> assignment;  // member -> partitions it owns now
    std::map<std::int32_t, std::int64_t> committed;     // partition -> highest committed offset
    std::vector<std::string> errors;
};

/// A librdkafka high-level consumer in a group, run on its own thread: polls, records what it
/// processes, and commits synchronously (the stored offsets) every `commit_every` records and in
/// the revoke callback, so a rebalance never hands another member work this one finished.
class group_member {
public:
    group_member(int id, const std::string& bootstrap, const std::string& group, const std::string& topic,
                 group_log& log, std::map<std::string, std::string> conf = {}, int commit_every = 200)
        : id_(id), log_(log), commit_every_(commit_every) {
        char err[512];
        rd_kafka_conf_t* c = rd_kafka_conf_new();
        std::map<std::string, std::string> settings = {
            {"bootstrap.servers", bootstrap},
            {"group.id", group},
            {"client.id", "member-" + std::to_string(id)},
            {"enable.auto.commit", "false"},
            {"auto.offset.reset", "earliest"},
            {"session.timeout.ms", "10000"},
            {"heartbeat.interval.ms", "500"},
            {"partition.assignment.strategy", "range"},
            {"topic.metadata.refresh.interval.ms", "2000"},
        };
        for (auto& [k, v] : conf) settings[k] = v;
        for (auto& [k, v] : settings) {
            if (rd_kafka_conf_set(c, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
                throw std::runtime_error(k + ": " + err);
            }
        }
        rd_kafka_conf_set_opaque(c, this);
        rd_kafka_conf_set_rebalance_cb(c, &group_member::on_rebalance);
        rk_ = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof err);
        if (rk_ == nullptr) throw std::runtime_error(err);
        rd_kafka_poll_set_consumer(rk_);
        rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(topics, topic.c_str(), RD_KAFKA_PARTITION_UA);
        rd_kafka_subscribe(rk_, topics);
        rd_kafka_topic_partition_list_destroy(topics);
        thread_ = std::thread([this] { run(); });
    }

    /// Leaves the group cleanly (final commit, LeaveGroup) and joins the thread.
    void close() {
        if (!thread_.joinable()) return;
        stop_ = true;
        thread_.join();
    }
    /// Stops polling without committing or leaving (what a crash of the client looks like to the
    /// coordinator is not needed here; this is for the end of a test).
    ~group_member() {
        close();
        rd_kafka_destroy(rk_);
    }

private:
    static void on_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts,
                             void* opaque) {
        auto* self = static_cast<group_member*>(opaque);
        if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
            {
                std::lock_guard lock(self->log_.mutex);
                auto& mine = self->log_.assignment[self->id_];
                mine.clear();
                for (int i = 0; i < parts->cnt; ++i) mine.insert(parts->elems[i].partition);
            }
            rd_kafka_assign(rk, parts);
        } else {
            self->commit();  // before the partitions go to someone else
            {
                std::lock_guard lock(self->log_.mutex);
                self->log_.assignment[self->id_].clear();
            }
            rd_kafka_assign(rk, nullptr);
        }
    }

    void commit() {
        if (uncommitted_ == 0) return;
        rd_kafka_topic_partition_list_t* offsets = nullptr;
        rd_kafka_assignment(rk_, &offsets);
        rd_kafka_resp_err_t e = rd_kafka_position(rk_, offsets);
        // Commit exactly the positions (next offset to process) of partitions that have one, so
        // `committed` is what the coordinator stores.
        rd_kafka_topic_partition_list_t* valid = rd_kafka_topic_partition_list_new(offsets->cnt);
        for (int i = 0; i < offsets->cnt; ++i) {
            if (offsets->elems[i].offset >= 0) {
                rd_kafka_topic_partition_list_add(valid, offsets->elems[i].topic, offsets->elems[i].partition)->offset =
                    offsets->elems[i].offset;
            }
        }
        rd_kafka_topic_partition_list_destroy(offsets);
        offsets = valid;
        if (e == RD_KAFKA_RESP_ERR_NO_ERROR && offsets->cnt > 0) e = rd_kafka_commit(rk_, offsets, 0);
        if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
            std::lock_guard lock(log_.mutex);
            for (int i = 0; i < offsets->cnt; ++i) {
                if (offsets->elems[i].offset >= 0) {
                    auto& c = log_.committed[offsets->elems[i].partition];
                    c = std::max(c, offsets->elems[i].offset);
                }
            }
            uncommitted_ = 0;
        } else if (e != RD_KAFKA_RESP_ERR__NO_OFFSET) {
            std::lock_guard lock(log_.mutex);
            log_.errors.push_back("member " + std::to_string(id_) + " commit: " + rd_kafka_err2name(e));
        }
        rd_kafka_topic_partition_list_destroy(offsets);
    }

    void run() {
        while (!stop_) {
            rd_kafka_message_t* m = rd_kafka_consumer_poll(rk_, 100);
            if (m == nullptr) {
                commit();
                continue;
            }
            if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
                std::lock_guard lock(log_.mutex);
                log_.records.push_back(processed{id_, m->partition, m->offset});
                ++uncommitted_;
            } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                std::lock_guard lock(log_.mutex);
                log_.errors.push_back("member " + std::to_string(id_) + ": " + rd_kafka_message_errstr(m));
            }
            rd_kafka_message_destroy(m);
            if (uncommitted_ >= commit_every_) commit();
        }
        commit();
        rd_kafka_consumer_close(rk_);
    }

    const int id_;
    group_log& log_;
    const int commit_every_;
    int uncommitted_ = 0;
    std::atomic<bool> stop_{false};
    rd_kafka_t* rk_ = nullptr;
    std::thread thread_;
};

/// FindCoordinator over the wire: the coordinator's broker id, -1 if none (yet).
int find_coordinator(const std::string& host, std::uint16_t port, const std::string& group) {
    auto c = protocol::client::connection::connect(host, port, 5s);
    if (!c) return -1;
    protocol::find_coordinator_request req;
    req.key = group;
    auto r = c.value().send<protocol::find_coordinator_api>(req, 0);
    if (!r || r.value().error_code != 0) return -1;
    return r.value().node_id;
}

/// OffsetFetch v1 on broker `port` (must be the coordinator): partition -> committed offset.
std::map<std::int32_t, std::int64_t> committed_offsets(std::uint16_t port, const std::string& group,
                                                       const std::string& topic, int partitions, std::string* error) {
    std::map<std::int32_t, std::int64_t> out;
    auto c = protocol::client::connection::connect("127.0.0.1", port, 5s);
    if (!c) {
        *error = c.error().message();
        return out;
    }
    protocol::offset_fetch_request req;
    req.group_id = group;
    auto& t = req.topics->emplace_back();
    t.name = topic;
    for (int p = 0; p < partitions; ++p) t.partition_indexes.push_back(p);
    auto r = c.value().send<protocol::offset_fetch_api>(req, 1);
    if (!r) {
        *error = r.error().message();
        return out;
    }
    for (const auto& rt : r.value().topics) {
        for (const auto& rp : rt.partitions) {
            if (rp.error_code != 0) *error = "partition " + std::to_string(rp.partition_index) + " error " +
                                             std::to_string(rp.error_code);
            out[rp.partition_index] = rp.committed_offset;
        }
    }
    return out;
}

class consumer_groups_test : public replication_test {
protected:
    /// The coordinator of `group` as every live broker names it (they must agree), -1 if not.
    int coordinator_of(const std::string& group) {
        int found = -1;
        wait_until(
            [&] {
                std::set<int> answers;
                for (auto [id, port] : live_ports()) answers.insert(find_coordinator("127.0.0.1", port, group));
                found = answers.size() == 1 ? *answers.begin() : -1;
                return found > 0;
            },
            30s);
        return found;
    }

    /// Sends `n` keyed records with acks=all and asserts every one was acknowledged.
    void produce_keyed(const std::string& topic, int n, const std::string& prefix) {
        keyed_producer p(live_bootstrap(), {{"acks", "all"}});
        for (int i = 0; i < n; ++i) p.send(topic, prefix + std::to_string(i % 1000), prefix + std::to_string(i));
        ASSERT_TRUE(p.flush(120s)) << p.summary();
        ASSERT_EQ(p.acknowledged(), static_cast<std::size_t>(n)) << p.summary();
    }

    /// Sum of high watermarks over the topic's partitions.
    std::int64_t total_end(const std::string& topic, int partitions) {
        std::int64_t sum = 0;
        for (int p = 0; p < partitions; ++p) sum += std::max<std::int64_t>(latest_offset(live_bootstrap(), topic, p), 0);
        return sum;
    }
};

/// Waits until the members in `ids` together own all `partitions`, each exactly once, `per_member`
/// each. Returns a description of the last assignment seen for failure messages.
std::string wait_for_assignment(group_log& log, const std::set<int>& ids, int partitions, int per_member,
                                std::chrono::milliseconds timeout, bool* ok) {
    std::string last;
    *ok = wait_until(
        [&] {
            std::lock_guard lock(log.mutex);
            last.clear();
            std::multiset<std::int32_t> owned;
            bool sizes = true;
            for (auto& [m, parts] : log.assignment) {
                last += "member " + std::to_string(m) + ": " + std::to_string(parts.size()) + " partitions; ";
                if (!ids.contains(m)) {
                    if (!parts.empty()) sizes = false;
                    continue;
                }
                if (static_cast<int>(parts.size()) != per_member) sizes = false;
                owned.insert(parts.begin(), parts.end());
            }
            std::set<std::int32_t> distinct(owned.begin(), owned.end());
            return sizes && static_cast<int>(owned.size()) == partitions &&
                   static_cast<int>(distinct.size()) == partitions;
        },
        timeout);
    return last;
}

TEST_F(consumer_groups_test, members_share_partitions_across_rebalances_and_process_every_record_once) {
    start_cluster(3, group_broker_properties);
    const std::string topic = "rebalanced";
    create_replicated_topic(topic, 12, 3, {});
    group_log log;
    std::vector<std::unique_ptr<group_member>> members;
    for (int i = 1; i <= 3; ++i) members.push_back(std::make_unique<group_member>(i, live_bootstrap(), "g", topic, log));
    bool ok = false;
    auto seen = wait_for_assignment(log, {1, 2, 3}, 12, 4, 60s, &ok);
    ASSERT_TRUE(ok) << "3 members never got 4 partitions each: " << seen;

    ASSERT_NO_FATAL_FAILURE(produce_keyed(topic, 40000, "a"));
    members.push_back(std::make_unique<group_member>(4, live_bootstrap(), "g", topic, log));
    seen = wait_for_assignment(log, {1, 2, 3, 4}, 12, 3, 60s, &ok);
    ASSERT_TRUE(ok) << "after the 4th joined: " << seen;

    ASSERT_NO_FATAL_FAILURE(produce_keyed(topic, 30000, "b"));
    members[1]->close();  // member 2 leaves (LeaveGroup)
    seen = wait_for_assignment(log, {1, 3, 4}, 12, 4, 60s, &ok);
    ASSERT_TRUE(ok) << "after the 2nd left: " << seen;

    ASSERT_NO_FATAL_FAILURE(produce_keyed(topic, 30000, "c"));
    ASSERT_EQ(total_end(topic, 12), 100000);
    const bool all = wait_until(
        [&] {
            std::lock_guard lock(log.mutex);
            return log.records.size() >= 100000;
        },
        120s);
    std::this_thread::sleep_for(1s);  // anything processed twice would show up now
    for (auto& m : members) m->close();

    std::lock_guard lock(log.mutex);
    EXPECT_TRUE(all) << "processed " << log.records.size() << " of 100000";
    EXPECT_TRUE(log.errors.empty()) << log.errors.front();
    std::map<std::pair<std::int32_t, std::int64_t>, std::vector<int>> by_record;
    for (const auto& r : log.records) by_record[{r.partition, r.offset}].push_back(r.member);
    EXPECT_EQ(by_record.size(), 100000u) << "distinct records processed";
    std::size_t twice = 0;
    for (const auto& [rec, who] : by_record) {
        if (who.size() > 1) {
            if (++twice <= 5) {
                ADD_FAILURE() << "partition " << rec.first << " offset " << rec.second << " processed "
                              << who.size() << " times (first by member " << who[0] << ", then " << who[1] << ")";
            }
        }
    }
    EXPECT_EQ(twice, 0u) << "records processed more than once despite commits after processing";
}

TEST_F(consumer_groups_test, killing_the_coordinator_moves_the_group_and_keeps_committed_offsets) {
    start_cluster(3, group_broker_properties);
    const std::string topic = "orders";
    create_replicated_topic(topic, 6, 3, {});
    ASSERT_NO_FATAL_FAILURE(produce_keyed(topic, 20000, "k"));
    const int coordinator = coordinator_of("failover");
    ASSERT_GT(coordinator, 0);

    group_log log;
    auto a = std::make_unique<group_member>(1, live_bootstrap(), "failover", topic, log, std::map<std::string, std::string>{},
                                            100);
    ASSERT_TRUE(wait_until(
        [&] {
            std::lock_guard lock(log.mutex);
            return log.records.size() >= 8000;
        },
        60s));
    by_id(coordinator).kill();
    const auto killed_at = std::chrono::steady_clock::now();
    // The group finds the new coordinator (after the session expiry moves __consumer_offsets'
    // leadership) and the member goes on consuming and committing there.
    const int next = [&] {
        int c = -1;
        wait_until(
            [&] {
                for (auto [id, port] : live_ports()) {
                    c = find_coordinator("127.0.0.1", port, "failover");
                    if (c > 0 && c != coordinator) return true;
                }
                return false;
            },
            failover_timeout_for_test());
        return c;
    }();
    ASSERT_GT(next, 0) << "no new coordinator";
    ASSERT_NE(next, coordinator);
    std::cout << "new coordinator " << next << " after "
              << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - killed_at).count()
              << " ms\n";
    ASSERT_TRUE(wait_until(
        [&] {
            std::lock_guard lock(log.mutex);
            return log.records.size() >= 14000;
        },
        60s))
        << "the member stopped consuming after the coordinator died";
    a->close();  // final commit to the new coordinator

    std::map<std::int32_t, std::int64_t> committed_by_a;
    {
        std::lock_guard lock(log.mutex);
        committed_by_a = log.committed;
        EXPECT_TRUE(log.errors.empty() || log.errors.size() < 10) << log.errors.front();
    }
    std::string error;
    auto stored = committed_offsets(by_id(next).port(), "failover", topic, 6, &error);
    ASSERT_TRUE(error.empty()) << error;
    for (int p = 0; p < 6; ++p) {
        // A partition the member never consumed from is committed at its start position 0, which
        // librdkafka may leave uncommitted: for an earliest consumer both mean "from offset 0".
        if (committed_by_a[p] == 0 && stored[p] == -1) continue;
        EXPECT_EQ(stored[p], committed_by_a[p]) << "partition " << p << ": the coordinator has another offset";
    }

    // A second member starts exactly at the committed offsets: nothing committed comes again, and
    // together they processed everything.
    group_log log_b;
    auto b = std::make_unique<group_member>(2, live_bootstrap(), "failover", topic, log_b);
    std::size_t processed_by_a = 0;
    {
        std::lock_guard lock(log.mutex);
        std::set<std::pair<std::int32_t, std::int64_t>> distinct;
        for (const auto& r : log.records) distinct.insert({r.partition, r.offset});
        processed_by_a = distinct.size();
    }
    wait_until(
        [&] {
            std::lock_guard lock(log_b.mutex);
            return processed_by_a + log_b.records.size() >= 20000;
        },
        60s);
    std::this_thread::sleep_for(2s);  // anything delivered again would show up now
    b->close();
    std::set<std::pair<std::int32_t, std::int64_t>> all;
    {
        std::lock_guard lock(log.mutex);
        for (const auto& r : log.records) all.insert({r.partition, r.offset});
    }
    std::lock_guard lock(log_b.mutex);
    std::map<std::int32_t, std::int64_t> first_of_b;
    for (const auto& r : log_b.records) {
        all.insert({r.partition, r.offset});
        auto [it, inserted] = first_of_b.emplace(r.partition, r.offset);
        if (!inserted) it->second = std::min(it->second, r.offset);
    }
    for (auto [p, first] : first_of_b) {
        EXPECT_EQ(first, committed_by_a[p]) << "partition " << p << ": the second member did not resume at the commit";
    }
    EXPECT_EQ(all.size(), 20000u) << "records lost";
}

TEST_F(consumer_groups_test, new_groups_start_at_earliest_or_latest_and_read_independently) {
    start_cluster(3, group_broker_properties);
    const std::string topic = "events";
    create_replicated_topic(topic, 3, 3, {});
    ASSERT_NO_FATAL_FAILURE(produce_keyed(topic, 300, "old"));

    group_log earliest, latest, again;
    auto e = std::make_unique<group_member>(1, live_bootstrap(), "from-earliest", topic, earliest);
    auto l = std::make_unique<group_member>(2, live_bootstrap(), "from-latest", topic, latest,
                                            std::map<std::string, std::string>{{"auto.offset.reset", "latest"}});
    bool ok = false;
    wait_for_assignment(latest, {2}, 3, 3, 60s, &ok);
    ASSERT_TRUE(ok);
    ASSERT_TRUE(wait_until([&] { std::lock_guard lock(earliest.mutex); return earliest.records.size() >= 300; }, 60s));
    std::this_thread::sleep_for(2s);  // the latest member has its positions (at the end)
    ASSERT_NO_FATAL_FAILURE(produce_keyed(topic, 30, "new"));
    ASSERT_TRUE(wait_until([&] { std::lock_guard lock(latest.mutex); return latest.records.size() >= 30; }, 60s));
    ASSERT_TRUE(wait_until([&] { std::lock_guard lock(earliest.mutex); return earliest.records.size() >= 330; }, 60s));
    auto r = std::make_unique<group_member>(3, live_bootstrap(), "second-reader", topic, again);
    ASSERT_TRUE(wait_until([&] { std::lock_guard lock(again.mutex); return again.records.size() >= 330; }, 60s));
    std::this_thread::sleep_for(1s);
    e->close();
    l->close();
    r->close();
    EXPECT_EQ(earliest.records.size(), 330u);
    EXPECT_EQ(latest.records.size(), 30u) << "a latest group saw old records";
    EXPECT_EQ(again.records.size(), 330u) << "consuming deleted data for another group";
    std::map<std::int32_t, std::int64_t> min_offset;
    for (const auto& rec : earliest.records) {
        auto [it, inserted] = min_offset.emplace(rec.partition, rec.offset);
        if (!inserted) it->second = std::min(it->second, rec.offset);
    }
    for (auto [p, first] : min_offset) EXPECT_EQ(first, 0) << "partition " << p;
}

TEST_F(consumer_groups_test, python_clients_consume_as_groups_and_commit) {
    start_cluster(3, group_broker_properties);
    const std::string topic = "pygroups";
    create_replicated_topic(topic, 4, 3, {});
    ASSERT_NO_FATAL_FAILURE(produce_keyed(topic, 2000, "py"));
    const std::string dir = BROOK_PYTHON_DIR;
    for (const auto& [script, group] : std::vector<std::pair<std::string, std::string>>{
             {"kafka_python_group.py", "kafka-python-group"}, {"confluent_group.py", "confluent-group"}}) {
        auto r = test_support::run_command(
            {"/usr/bin/python3", dir + "/" + script, live_bootstrap(), topic, group, "2000"}, 180s);
        ASSERT_EQ(r.exit_code(), 0) << script << ":\n" << r.describe();
        const int coordinator = coordinator_of(group);
        ASSERT_GT(coordinator, 0);
        std::string error;
        auto committed = committed_offsets(by_id(coordinator).port(), group, topic, 4, &error);
        ASSERT_TRUE(error.empty()) << error;
        for (int p = 0; p < 4; ++p) {
            EXPECT_EQ(committed[p], latest_offset(live_bootstrap(), topic, p)) << script << ": partition " << p
                                                                               << " lag is not 0";
        }
        // And brook-consumer-groups --describe says so: one row per partition, LAG 0.
        auto d = test_support::run_command(
            {BROOK_CONSUMER_GROUPS_BINARY, "--bootstrap-server", live_bootstrap(), "--describe", "--group", group}, 60s);
        ASSERT_EQ(d.exit_code(), 0) << d.describe();
        int rows = 0;
        for (const auto& line : lines(d.out)) {
            std::istringstream fields(line);
            std::vector<std::string> f{std::istream_iterator<std::string>(fields), {}};
            if (f.size() < 6 || f[0] != group || f[1] != topic) continue;
            ++rows;
            EXPECT_EQ(f[5], "0") << script << ": " << line;
        }
        EXPECT_EQ(rows, 4) << d.out;
    }
}

TEST_F(consumer_groups_test, committed_offsets_survive_a_restart_of_every_broker) {
    start_cluster(3, group_broker_properties);
    const std::string topic = "durable";
    create_replicated_topic(topic, 3, 3, {});
    ASSERT_NO_FATAL_FAILURE(produce_keyed(topic, 3000, "d"));
    group_log log;
    {
        group_member m(1, live_bootstrap(), "durable-group", topic, log);
        ASSERT_TRUE(wait_until([&] { std::lock_guard lock(log.mutex); return log.records.size() >= 3000; }, 60s));
        m.close();
    }
    std::map<std::int32_t, std::int64_t> before = log.committed;
    ASSERT_EQ(before.size(), 3u);
    for (int id = 1; id <= 3; ++id) by_id(id).stop();
    for (int id = 1; id <= 3; ++id) by_id(id).restart();
    const int coordinator = coordinator_of("durable-group");
    ASSERT_GT(coordinator, 0);
    std::map<std::int32_t, std::int64_t> after;
    std::string error;
    // COORDINATOR_LOAD_IN_PROGRESS may answer for a moment after the restart.
    wait_until(
        [&] {
            error.clear();
            after = committed_offsets(by_id(coordinator).port(), "durable-group", topic, 3, &error);
            return error.empty();
        },
        30s);
    ASSERT_TRUE(error.empty()) << error;
    EXPECT_EQ(after, before);
    // And a member of the group resumes there: nothing is read again.
    group_log again;
    group_member m(2, live_bootstrap(), "durable-group", topic, again);
    bool ok = false;
    wait_for_assignment(again, {2}, 3, 3, 60s, &ok);
    ASSERT_TRUE(ok);
    std::this_thread::sleep_for(3s);
    m.close();
    std::lock_guard lock(again.mutex);
    EXPECT_TRUE(again.records.empty()) << again.records.size() << " committed records delivered again";
}

TEST_F(consumer_groups_test, the_offsets_log_stays_bounded_on_every_replica_and_keeps_the_latest_commits) {
    // 16 KiB segments and one offsets partition: 3,000 commits write ~20 segments' worth.
    auto props = group_broker_properties;
    props["offsets.topic.num.partitions"] = "1";
    props["offsets.topic.segment.bytes"] = "16384";
    start_cluster(3, props);
    const std::string topic = "bounded";
    create_replicated_topic(topic, 2, 3, {});
    const int coordinator = coordinator_of("busy");
    ASSERT_GT(coordinator, 0);
    auto conn = protocol::client::connection::connect("127.0.0.1", by_id(coordinator).port(), 5s);
    ASSERT_TRUE(conn) << conn.error().message();
    constexpr int commits = 3000;
    for (int i = 1; i <= commits; ++i) {
        protocol::offset_commit_request req;
        req.group_id = "busy";  // generation -1: commits from outside group management
        auto& t = req.topics.emplace_back();
        t.name = topic;
        for (int p = 0; p < 2; ++p) {
            auto& rp = t.partitions.emplace_back();
            rp.partition_index = p;
            rp.committed_offset = i * 10 + p;
            rp.committed_metadata = "commit " + std::to_string(i);
        }
        auto r = conn.value().send<protocol::offset_commit_api>(req, 2);
        ASSERT_TRUE(r) << "commit " << i << ": " << r.error().message();
        for (const auto& rp : r.value().topics.at(0).partitions) ASSERT_EQ(rp.error_code, 0) << "commit " << i;
    }
    // Leader and followers (through the leader's log start in their fetches) drop what the
    // coordinator's state snapshots superseded: a handful of segments, not ~20.
    std::map<int, int> files;
    const bool bounded = wait_until(
        [&] {
            for (int id = 1; id <= 3; ++id) files[id] = segment_file_count(by_id(id).log_dir(), "__consumer_offsets", 0);
            return std::all_of(files.begin(), files.end(), [](const auto& kv) { return kv.second > 0 && kv.second <= 5; });
        },
        20s);
    EXPECT_TRUE(bounded) << "segments on brokers 1/2/3: " << files[1] << "/" << files[2] << "/" << files[3];

    // The coordinator dies: the new one loads the trimmed log and has the last commit.
    by_id(coordinator).kill();
    int next = -1;
    ASSERT_TRUE(wait_until(
        [&] {
            for (auto [id, port] : live_ports()) {
                next = find_coordinator("127.0.0.1", port, "busy");
                if (next > 0 && next != coordinator) return true;
            }
            return false;
        },
        failover_timeout_for_test()));
    std::map<std::int32_t, std::int64_t> stored;
    std::string error;
    wait_until(
        [&] {
            error.clear();
            stored = committed_offsets(by_id(next).port(), "busy", topic, 2, &error);
            return error.empty();
        },
        30s);
    ASSERT_TRUE(error.empty()) << error;
    EXPECT_EQ(stored[0], commits * 10);
    EXPECT_EQ(stored[1], commits * 10 + 1);
}

}  // namespace
}  // namespace integration
