// Issue 4 acceptance: replication. Followers fetch from leaders, the ISR shrinks and grows in
// ZooKeeper, the high watermark is the minimum log end over the ISR, acks=all waits for the ISR
// and refuses below min.insync.replicas, leader epochs truncate a rejoining replica's divergent
// tail, and unclean.leader.election.enable decides between availability and keeping data.
// Every test runs 3 real brokers (4 s ZooKeeper session unless it says otherwise) under its own
// chroot, real librdkafka clients, and checks ZooKeeper through kazoo and logs on disk directly.
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <atomic>
#include <iostream>
#include <set>
#include <thread>

#include "tests/integration/replication_fixture.h"

namespace integration {
namespace {

using namespace std::chrono_literals;
using test_support::cluster_view;

/// Time for ZooKeeper to expire a kill -9ed broker and the controller to act on it.
constexpr auto failover_timeout = std::chrono::milliseconds(test_session_timeout_ms) + 15s;

std::string error_name(int e) { return rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(e)); }

/// Sends `n` records "<prefix>-<i>" to partition 0 and waits for every report.
std::unique_ptr<keyed_producer> send_batch(const std::string& bootstrap, const std::string& topic,
                                           const std::string& prefix, int n,
                                           const std::map<std::string, std::string>& conf) {
    auto p = std::make_unique<keyed_producer>(bootstrap, conf);
    for (int i = 0; i < n; ++i) {
        std::string key = prefix + "-" + std::to_string(i);
        p->send(topic, key, "value of " + key, 0);
    }
    p->flush(60s);
    return p;
}

/// Every record of `p` was acknowledged, at offsets first, first+1, ... in send order.
::testing::AssertionResult acknowledged_from(const keyed_producer& p, std::int64_t first) {
    for (std::size_t i = 0; i < p.deliveries().size(); ++i) {
        const auto& d = p.deliveries()[i];
        if (!d.acknowledged()) {
            return ::testing::AssertionFailure() << d.key << " not acknowledged ("
                                                 << (d.reported ? error_name(d.error) : "no report")
                                                 << "); " << p.summary();
        }
        if (d.offset != first + static_cast<std::int64_t>(i)) {
            return ::testing::AssertionFailure() << d.key << " acknowledged at offset " << d.offset << ", expected "
                                                 << first + static_cast<std::int64_t>(i);
        }
    }
    return ::testing::AssertionSuccess();
}

/// The reader saw exactly `expected_keys` at offsets 0, 1, ... of partition 0.
::testing::AssertionResult read_exactly(const partition_reader& r, const std::vector<std::string>& expected_keys) {
    const auto& got = r.records();
    if (got.size() != expected_keys.size()) {
        auto f = ::testing::AssertionFailure() << "read " << got.size() << " records, expected "
                                               << expected_keys.size();
        if (!r.errors().empty()) f << "; first consumer error: " << r.errors().front();
        if (!got.empty()) f << "; last read: " << got.back().key << " at " << got.back().offset;
        return f;
    }
    for (std::size_t i = 0; i < got.size(); ++i) {
        if (got[i].offset != static_cast<std::int64_t>(i) || got[i].key != expected_keys[i] ||
            got[i].value != "value of " + expected_keys[i]) {
            return ::testing::AssertionFailure() << "record " << i << " is " << got[i].key << " at offset "
                                                 << got[i].offset << ", expected " << expected_keys[i];
        }
    }
    return ::testing::AssertionSuccess();
}

std::vector<std::string> keys(const std::string& prefix, int n) {
    std::vector<std::string> out;
    for (int i = 0; i < n; ++i) out.push_back(prefix + "-" + std::to_string(i));
    return out;
}

std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

// ---- 1: acknowledged records survive repeated leader crashes ----

TEST_F(replication_test, acknowledged_records_survive_five_leader_kills_at_their_offsets_in_key_order) {
    const std::string topic = "six";
    constexpr int partitions = 6;
    constexpr int rounds = 5;
    constexpr int producers = 2;
    constexpr std::size_t total = 200000;
    constexpr std::size_t per_producer = total / producers;
    constexpr std::size_t keys_per_producer = 500;
    // 2 x 2,500 records/s until the last kill round is over (then as fast as possible), and never
    // more than (rounds done + 1) / (rounds + 1) of the records before then: records are in
    // flight during every kill, and the 200,000 are not all sent before the first one.
    constexpr double rate_per_producer = 2500.0;

    start_cluster(3);
    create_replicated_topic(topic, partitions, 3, {{"min.insync.replicas", "2"}});
    ASSERT_FALSE(HasFailure());

    const std::map<std::string, std::string> producer_conf{
        {"acks", "all"},
        {"max.in.flight.requests.per.connection", "1"},  // keeps per-partition order across retries
        {"enable.idempotence", "false"},
        {"retries", "2147483647"},
        {"retry.backoff.ms", "100"},
        {"message.timeout.ms", "90000"},
        {"request.timeout.ms", "15000"},
        {"linger.ms", "5"},
    };
    std::vector<std::unique_ptr<keyed_producer>> prods;
    for (int j = 0; j < producers; ++j) {
        prods.push_back(std::make_unique<keyed_producer>(live_bootstrap(), producer_conf));
    }

    std::atomic<int> rounds_done{0};
    std::atomic<bool> kills_over{false};
    std::vector<std::thread> threads;
    for (int j = 0; j < producers; ++j) {
        threads.emplace_back([&, j] {
            auto& p = *prods[static_cast<std::size_t>(j)];
            auto start = std::chrono::steady_clock::now();
            for (std::size_t i = 0; i < per_producer; ++i) {
                while (!kills_over.load()) {
                    auto quota = per_producer * static_cast<std::size_t>(rounds_done.load() + 1) / (rounds + 1);
                    auto due = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                           std::chrono::duration<double>(static_cast<double>(i) / rate_per_producer));
                    if (i < quota && std::chrono::steady_clock::now() >= due) break;
                    p.poll(2ms);
                }
                // Key k of producer j gets its records in order: "p<j>-k<k>" / "p<j>-k<k>#<seq>".
                std::string key = "p" + std::to_string(j) + "-k" + std::to_string(i % keys_per_producer);
                p.send(topic, key, key + "#" + std::to_string(i / keys_per_producer));
                if (i % 256 == 0) p.poll(0ms);
            }
            p.flush(120s);
        });
    }

    // The kill loop runs here, on the thread that started the brokers (their PDEATHSIG is tied
    // to it). No ASSERT until the producers are joined.
    std::vector<std::string> round_log;
    for (int round = 0; round < rounds && !HasFailure(); ++round) {
        auto line = kill_leader_and_restart(topic, round % partitions, partitions, round + 1, failover_timeout, 30s);
        if (!line) break;
        round_log.push_back(std::move(*line));
        rounds_done = round + 1;
    }
    kills_over = true;
    for (auto& t : threads) t.join();
    for (const auto& line : round_log) std::cout << line << "\n";

    std::size_t acked = 0;
    std::size_t failed = 0;
    for (int j = 0; j < producers; ++j) {
        std::cout << "producer " << j << ": " << prods[static_cast<std::size_t>(j)]->summary() << "\n";
        acked += prods[static_cast<std::size_t>(j)]->acknowledged();
        failed += prods[static_cast<std::size_t>(j)]->failed();
    }
    std::cout << "acknowledged " << acked << " of " << total << " records, " << failed << " failed\n";
    ASSERT_FALSE(HasFailure());
    EXPECT_EQ(rounds_done.load(), rounds);
    // librdkafka retries for 90 s; a cluster that keeps min.insync.replicas through every round
    // should acknowledge (nearly) everything.
    EXPECT_GE(acked, total * 9 / 10);

    // Read every partition from the beginning up to its high watermark.
    std::map<std::int32_t, std::int64_t> ends;
    std::int64_t sum = 0;
    for (int p = 0; p < partitions; ++p) {
        std::string err;
        ends[p] = latest_offset(live_bootstrap(), topic, p, &err);
        ASSERT_GE(ends[p], 0) << err << "\n" << describe_partition(topic, p);
        sum += ends[p];
    }
    std::map<std::int32_t, std::int64_t> start;
    for (int p = 0; p < partitions; ++p) start[p] = RD_KAFKA_OFFSET_BEGINNING;
    partition_reader reader(live_bootstrap(), topic, start, {{"fetch.max.bytes", "52428800"}});
    reader.read_until(static_cast<std::size_t>(sum), 90s);
    reader.read_for(500ms);
    ASSERT_TRUE(reader.errors().empty()) << reader.errors().front();
    ASSERT_EQ(reader.records().size(), static_cast<std::size_t>(sum)) << "the sum of the high watermarks";

    // (partition, offset) -> what the log holds there; every offset below the high watermark
    // exactly once.
    std::map<std::int32_t, std::vector<const record*>> log;
    for (auto [p, end] : ends) log[p].assign(static_cast<std::size_t>(end), nullptr);
    std::size_t misplaced = 0;
    for (const auto& r : reader.records()) {
        auto& slots = log[r.partition];
        if (r.offset < 0 || r.offset >= static_cast<std::int64_t>(slots.size()) ||
            slots[static_cast<std::size_t>(r.offset)] != nullptr) {
            if (++misplaced <= 5) {
                ADD_FAILURE() << "read " << r.key << " at " << topic << "-" << r.partition << "@" << r.offset
                              << " (outside the high watermark or twice)";
            }
            continue;
        }
        slots[static_cast<std::size_t>(r.offset)] = &r;
    }
    EXPECT_EQ(misplaced, 0u);

    std::size_t lost = 0;
    std::size_t out_of_order = 0;
    for (int j = 0; j < producers; ++j) {
        // Per key: the offset of its last acknowledged record, to check send order.
        std::map<std::string, std::pair<std::int32_t, std::int64_t>> last;
        for (const auto& d : prods[static_cast<std::size_t>(j)]->deliveries()) {
            if (!d.acknowledged()) continue;
            const auto& slots = log[d.partition];
            const record* at = d.offset < static_cast<std::int64_t>(slots.size())
                                   ? slots[static_cast<std::size_t>(d.offset)]
                                   : nullptr;
            if (at == nullptr || at->key != d.key || at->value != d.value) {
                if (++lost <= 10) {
                    ADD_FAILURE() << "acknowledged " << d.key << " = " << d.value << " at " << topic << "-"
                                  << d.partition << "@" << d.offset << " but the log holds "
                                  << (at ? at->key + " = " + at->value : std::string("nothing")) << " there";
                }
            }
            auto it = last.find(d.key);
            if (it != last.end() && (it->second.first != d.partition || it->second.second >= d.offset)) {
                if (++out_of_order <= 10) {
                    ADD_FAILURE() << d.value << " acknowledged at " << d.partition << "@" << d.offset
                                  << ", after an earlier record of its key at " << it->second.first << "@"
                                  << it->second.second;
                }
            }
            last[d.key] = {d.partition, d.offset};
        }
    }
    EXPECT_EQ(lost, 0u) << "acknowledged records missing or changed";
    EXPECT_EQ(out_of_order, 0u) << "acknowledged records out of send order within their key";
    std::cout << "read back " << reader.records().size() << " records (high watermarks";
    for (auto [p, end] : ends) std::cout << " " << p << ":" << end;
    std::cout << ")\n";
}

// ---- 2: min.insync.replicas ----

TEST_F(replication_test, acks_all_fails_with_not_enough_replicas_while_two_of_three_are_down_and_the_isr_grows_back) {
    const std::string topic = "minisr";
    start_cluster(3);
    auto created = create_replicated_topic(topic, 1, 3, {{"min.insync.replicas", "2"}});
    ASSERT_FALSE(HasFailure());
    const int leader = created.partition(topic, 0)->leader;
    const auto others = followers(*created.partition(topic, 0));
    ASSERT_EQ(others.size(), 2u) << created.describe();

    auto first = send_batch(live_bootstrap(), topic, "a", 10, {{"acks", "all"}});
    ASSERT_TRUE(acknowledged_from(*first, 0));

    for (int f : others) by_id(f).kill();
    wait_for_isr(topic, 0, {leader}, leader, failover_timeout);
    ASSERT_FALSE(HasFailure()) << describe_partition(topic, 0);
    std::string err;
    ASSERT_EQ(latest_offset(bootstrap_of(leader), topic, 0, &err), 10) << err;

    // retries=0: NOT_ENOUGH_REPLICAS is retriable, so librdkafka would otherwise retry until the
    // message timeout and report that instead.
    auto refused = send_batch(bootstrap_of(leader), topic, "refused", 5,
                              {{"acks", "all"}, {"retries", "0"}, {"message.timeout.ms", "20000"}});
    for (const auto& d : refused->deliveries()) {
        EXPECT_TRUE(d.reported) << d.key;
        EXPECT_EQ(d.error, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS)
            << d.key << ": " << error_name(d.error) << " (offset " << d.offset << ")";
    }
    EXPECT_EQ(latest_offset(bootstrap_of(leader), topic, 0, &err), 10)
        << "a batch refused for too small an ISR must not be appended " << err;

    auto one = send_batch(bootstrap_of(leader), topic, "b", 5, {{"acks", "1"}});
    EXPECT_TRUE(acknowledged_from(*one, 10)) << "acks=1 needs only the leader";
    EXPECT_EQ(latest_offset(bootstrap_of(leader), topic, 0, &err), 15) << err;

    for (int f : others) by_id(f).start();
    wait_for_isr(topic, 0, {1, 2, 3}, leader, 30s);
    ASSERT_FALSE(HasFailure()) << describe_partition(topic, 0);

    auto again = send_batch(live_bootstrap(), topic, "c", 5, {{"acks", "all"}});
    EXPECT_TRUE(acknowledged_from(*again, 15)) << "acks=all with the full ISR back";
    EXPECT_TRUE(wait_until(
        [&] {
            auto ends = disk_log_ends(topic, 0, {1, 2, 3});
            return std::all_of(ends.begin(), ends.end(), [](auto& e) { return e.second == 20; });
        },
        15s))
        << "every replica holds the 20 records\n" << describe_partition(topic, 0);
    partition_reader reader(live_bootstrap(), topic, {{0, RD_KAFKA_OFFSET_BEGINNING}});
    reader.read_until(20, 30s);
    reader.read_for(500ms);
    EXPECT_TRUE(read_exactly(reader, concat(concat(keys("a", 10), keys("b", 5)), keys("c", 5))));
}

// ---- 3: divergent tails ----

TEST_F(replication_test, unclean_election_then_the_old_leader_truncates_its_divergent_tail_to_byte_identical_logs) {
    const std::string topic = "divergent";
    // A fourth broker outside the partition's replicas stays up throughout: with every replica
    // dead some broker must be alive to be controller and mark the partition offline, as in Kafka.
    start_cluster(4);
    auto created = create_replicated_topic(
        topic, 1, 3, {{"unclean.leader.election.enable", "true"}, {"min.insync.replicas", "1"}});
    ASSERT_FALSE(HasFailure());
    const int old_leader = created.partition(topic, 0)->leader;
    const auto others = followers(*created.partition(topic, 0));
    ASSERT_EQ(others.size(), 2u) << created.describe();
    const int chosen = others[0];

    auto a = send_batch(live_bootstrap(), topic, "a", 100, {{"acks", "all"}});
    ASSERT_TRUE(acknowledged_from(*a, 0));

    for (int f : others) by_id(f).kill();
    wait_for_isr(topic, 0, {old_leader}, old_leader, failover_timeout);
    ASSERT_FALSE(HasFailure()) << describe_partition(topic, 0);
    // Only the old leader gets these: its divergent tail, offsets 100..149.
    auto b = send_batch(bootstrap_of(old_leader), topic, "b", 50, {{"acks", "1"}});
    ASSERT_TRUE(acknowledged_from(*b, 100));

    by_id(old_leader).kill();
    auto offline = wait_for_leader(topic, 0, -1, failover_timeout);
    ASSERT_FALSE(HasFailure()) << describe_partition(topic, 0);
    std::cout << "offline: " << offline.describe();

    by_id(chosen).start();
    auto unclean = wait_for_leader(topic, 0, chosen, 30s);
    ASSERT_FALSE(HasFailure()) << "unclean election of broker " << chosen << "\n" << describe_partition(topic, 0);
    std::cout << "unclean leader: " << unclean.describe();
    auto c = send_batch(bootstrap_of(chosen), topic, "c", 30, {{"acks", "1"}});
    ASSERT_TRUE(acknowledged_from(*c, 100)) << "the unclean leader continues from its own log end (100)";

    by_id(old_leader).start();
    by_id(others[1]).start();
    wait_for_isr(topic, 0, created.partition(topic, 0)->replicas, chosen, 60s);
    ASSERT_FALSE(HasFailure()) << describe_partition(topic, 0);
    std::map<int, std::int64_t> ends;
    bool equal = wait_until(
        [&] {
            ends = disk_log_ends(topic, 0, created.partition(topic, 0)->replicas);
            return std::all_of(ends.begin(), ends.end(), [](auto& e) { return e.second == 130; });
        },
        30s);
    ASSERT_TRUE(equal) << "every replica at log end 130\n" << describe_partition(topic, 0);

    std::string err;
    EXPECT_EQ(latest_offset(bootstrap_of(chosen), topic, 0, &err), 130) << err;
    {
        partition_reader reader(live_bootstrap(), topic, {{0, RD_KAFKA_OFFSET_BEGINNING}});
        reader.read_until(130, 30s);
        reader.read_for(1s);
        EXPECT_TRUE(read_exactly(reader, concat(keys("a", 100), keys("c", 30))))
            << "the first 100 and the unclean leader's 30, none of the old leader's 50";
    }

    // A clean stop of all three (followers first), then the logs on disk side by side.
    by_id(others[1]).stop();
    by_id(old_leader).stop();
    by_id(chosen).stop();
    std::map<int, std::vector<disk_batch>> batches;
    for (int id : created.partition(topic, 0)->replicas) {
        batches[id] = read_disk_batches(by_id(id).log_dir(), topic, 0, &err);
        EXPECT_TRUE(err.empty()) << "broker " << id << ": " << err;
        EXPECT_EQ(disk_log_end(batches[id]), 130) << "broker " << id;
    }
    const auto& reference = batches[chosen];
    for (int id : created.partition(topic, 0)->replicas) {
        if (id == chosen) continue;
        ASSERT_EQ(batches[id].size(), reference.size()) << "batches on broker " << id << " vs leader " << chosen;
        for (std::size_t i = 0; i < reference.size(); ++i) {
            EXPECT_EQ(batches[id][i].bytes, reference[i].bytes)
                << "batch " << i << " (base offset " << reference[i].base_offset << ", leader epoch "
                << reference[i].leader_epoch << ") differs on broker " << id << " (base offset "
                << batches[id][i].base_offset << ", leader epoch " << batches[id][i].leader_epoch << ")";
        }
    }
}

TEST_F(replication_test, clean_election_keeps_the_partition_offline_until_its_last_isr_member_returns) {
    const std::string topic = "clean";
    start_cluster(4);  // the spare broker is the controller while all three replicas are down
    auto created = create_replicated_topic(topic, 1, 3, {{"min.insync.replicas", "1"}});  // unclean: default false
    ASSERT_FALSE(HasFailure());
    const int old_leader = created.partition(topic, 0)->leader;
    const auto others = followers(*created.partition(topic, 0));
    ASSERT_EQ(others.size(), 2u) << created.describe();

    auto a = send_batch(live_bootstrap(), topic, "a", 100, {{"acks", "all"}});
    ASSERT_TRUE(acknowledged_from(*a, 0));
    for (int f : others) by_id(f).kill();
    wait_for_isr(topic, 0, {old_leader}, old_leader, failover_timeout);
    ASSERT_FALSE(HasFailure()) << describe_partition(topic, 0);
    auto b = send_batch(bootstrap_of(old_leader), topic, "b", 50, {{"acks", "1"}});
    ASSERT_TRUE(acknowledged_from(*b, 100));

    by_id(old_leader).kill();
    wait_for_leader(topic, 0, -1, failover_timeout);
    ASSERT_FALSE(HasFailure()) << describe_partition(topic, 0);

    for (int f : others) by_id(f).start();
    wait_for({topic}, [&](const cluster_view& v) { return v.has_broker(others[0]) && v.has_broker(others[1]); }, 15s,
             "both out-of-sync replicas registered again");
    ASSERT_FALSE(HasFailure());
    // Two live replicas, neither in the ISR: the partition stays offline (about 8 s of polling,
    // several controller rounds after the registrations).
    auto until = std::chrono::steady_clock::now() + 8s;
    while (std::chrono::steady_clock::now() < until) {
        auto v = view({topic});
        const auto* s = v.partition(topic, 0);
        ASSERT_NE(s, nullptr) << v.describe();
        ASSERT_EQ(s->leader, -1) << "a replica outside the ISR was elected with unclean election off:\n"
                                 << v.describe();
        std::this_thread::sleep_for(500ms);
    }

    by_id(old_leader).start();
    wait_for_leader(topic, 0, old_leader, 30s);
    ASSERT_FALSE(HasFailure()) << describe_partition(topic, 0);
    wait_for_isr(topic, 0, created.partition(topic, 0)->replicas, old_leader, 60s);
    EXPECT_FALSE(HasFailure()) << describe_partition(topic, 0);

    partition_reader reader(live_bootstrap(), topic, {{0, RD_KAFKA_OFFSET_BEGINNING}});
    reader.read_until(150, 30s);
    reader.read_for(1s);
    EXPECT_TRUE(read_exactly(reader, concat(keys("a", 100), keys("b", 50))))
        << "nothing the only ISR member had is lost";
}

// ---- 4: the high watermark bounds what consumers see ----

TEST_F(replication_test, consumers_never_read_above_the_high_watermark_while_a_follower_is_stopped) {
    const std::string topic = "hw";
    // A follower is SIGSTOPped for a few seconds: it must keep its session and its ISR place.
    start_cluster(3, {{"zookeeper.session.timeout.ms", "30000"}, {"replica.lag.time.max.ms", "60000"}});
    auto created = create_replicated_topic(topic, 1, 3, {{"min.insync.replicas", "1"}});
    ASSERT_FALSE(HasFailure());
    const int leader = created.partition(topic, 0)->leader;
    const auto others = followers(*created.partition(topic, 0));
    ASSERT_EQ(others.size(), 2u) << created.describe();
    // Not the controller, so stopping it freezes only replication.
    const int stopped = others[0] != created.controller ? others[0] : others[1];
    const std::string bootstrap = bootstrap_of(leader);

    auto a = send_batch(bootstrap, topic, "a", 10, {{"acks", "all"}});
    ASSERT_TRUE(acknowledged_from(*a, 0));
    std::string err;
    EXPECT_EQ(latest_offset(bootstrap, topic, 0, &err), 10) << err;

    partition_reader reader(bootstrap, topic, {{0, RD_KAFKA_OFFSET_BEGINNING}}, {{"fetch.wait.max.ms", "100"}});
    ASSERT_EQ(reader.read_until(10, 30s), 10u);

    by_id(stopped).suspend();
    auto b = send_batch(bootstrap, topic, "b", 20, {{"acks", "1"}});
    EXPECT_TRUE(acknowledged_from(*b, 10)) << "acks=1 needs only the leader";
    reader.read_for(2s);
    EXPECT_TRUE(read_exactly(reader, keys("a", 10))) << "broker " << stopped << " (stopped) still has only 10";
    EXPECT_EQ(latest_offset(bootstrap, topic, 0, &err), 10) << "ListOffsets latest is the high watermark " << err;
    auto during = view({topic});
    const auto* state = during.partition(topic, 0);
    EXPECT_TRUE(state != nullptr && sorted(state->isr) == std::vector<int>({1, 2, 3}))
        << "the stopped follower must still be in the ISR for this test to mean anything\n" << during.describe();
    by_id(stopped).resume();

    reader.read_until(30, 30s);
    reader.read_for(500ms);
    EXPECT_TRUE(read_exactly(reader, concat(keys("a", 10), keys("b", 20)))) << describe_partition(topic, 0);
    EXPECT_EQ(latest_offset(bootstrap, topic, 0, &err), 30) << err;
}

}  // namespace
}  // namespace integration
