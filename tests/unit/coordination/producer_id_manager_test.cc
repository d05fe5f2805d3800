#include "coordination/producer_id_manager.h"
#include "coordination/fake_zk.h"

#include "tests/unit/coordination/coord_test_util.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <limits>
#include <map>
#include <set>
#include <thread>

using namespace coordination;
using coord_test::run_until;

namespace {

const std::string path(znodes::producer_id_block_path);

struct producer_id_fixture : ::testing::Test {
    // Pending handlers hold managers that refer to the clients: run them while all is alive.
    ~producer_id_fixture() override { coord_test::drain(io); }
    boost::asio::io_context io;
    std::shared_ptr<fake_zk_server> server = fake_zk_server::make();
    fake_zk zk1{server, io.get_executor()};
    fake_zk zk2{server, io.get_executor()};
    coord_test::sync_zk s1{io, zk1};

    result<int64_t> next(producer_id_manager& m) {
        std::optional<result<int64_t>> out;
        m.next_id([&](result<int64_t> r) { out = std::move(r); });
        EXPECT_TRUE(run_until(io, [&] { return out.has_value(); }));
        return out ? *out : result<int64_t>(make_error_code(zk_errc::operation_timeout));
    }
    int64_t next_ok(producer_id_manager& m) {
        auto r = next(m);
        EXPECT_TRUE(r) << r.error().message();
        return r ? r.value() : -1;
    }
    producer_id_block latest() {
        auto d = server->node_data(path);
        EXPECT_TRUE(d);
        auto b = znodes::decode_producer_id_block(d ? *d : "");
        EXPECT_TRUE(b);
        return b ? b.value() : producer_id_block{};
    }
    int32_t node_version() { return server->node_stat(path).value().version; }
};

}  // namespace

// ---- the znode codec

TEST(producer_id_block_znode, json_has_kafkas_exact_shape_with_ids_as_strings) {
    producer_id_block b{3, 1000, 1999};
    EXPECT_EQ(znodes::encode_producer_id_block(b),
              R"({"version":1,"broker":3,"block_start":"1000","block_end":"1999"})");
    auto back = znodes::decode_producer_id_block(znodes::encode_producer_id_block(b));
    ASSERT_TRUE(back);
    EXPECT_EQ(back.value(), b);
    // Ids past 2^53 survive (they are strings, not JSON numbers).
    producer_id_block big{1, std::numeric_limits<int64_t>::max() - 999, std::numeric_limits<int64_t>::max()};
    EXPECT_EQ(znodes::encode_producer_id_block(big),
              R"({"version":1,"broker":1,"block_start":"9223372036854774808","block_end":"9223372036854775807"})");
    EXPECT_EQ(znodes::decode_producer_id_block(znodes::encode_producer_id_block(big)).value(), big);
    // As Kafka writes it (key order does not matter to the reader).
    auto kafka = znodes::decode_producer_id_block(R"({"block_end":"999","broker":0,"version":1,"block_start":"0"})");
    ASSERT_TRUE(kafka);
    EXPECT_EQ(kafka.value(), (producer_id_block{0, 0, 999}));
}

TEST(producer_id_block_znode, malformed_data_is_an_error_value) {
    for (const char* bad : {
             "",                                                                 // empty node
             "garbage",                                                          //
             R"([1,2])",                                                         // not an object
             R"({"version":1,"broker":1,"block_start":0,"block_end":999})",      // numbers, not strings
             R"({"version":1,"block_start":"0","block_end":"999"})",             // no broker
             R"({"version":1,"broker":"1","block_start":"0","block_end":"999"})",  // broker a string
             R"({"version":1,"broker":1,"block_start":"0"})",                    // no end
             R"({"version":1,"broker":1,"block_start":"0x10","block_end":"999"})",
             R"({"version":1,"broker":1,"block_start":" 0","block_end":"999"})",
             R"({"version":1,"broker":1,"block_start":"0","block_end":"9223372036854775808"})",  // > INT64_MAX
             R"({"version":1,"broker":1,"block_start":"-5","block_end":"10"})",  // negative
             R"({"version":1,"broker":1,"block_start":"10","block_end":"9"})",   // end before start
         }) {
        auto r = znodes::decode_producer_id_block(bad);
        ASSERT_FALSE(r) << bad;
        EXPECT_EQ(r.error(), errc::malformed_znode) << bad;
    }
}

TEST(producer_id_block_znode, is_a_persistent_path_as_in_kafka) {
    const auto& p = znodes::persistent_paths();
    EXPECT_NE(std::find(p.begin(), p.end(), "/latest_producer_id_block"), p.end());
}

// ---- the manager

TEST_F(producer_id_fixture, sequential_ids_across_blocks_and_kafkas_znode) {
    auto m = producer_id_manager::make(zk1, 1, 10);
    for (int64_t want = 0; want < 25; ++want) EXPECT_EQ(next_ok(*m), want);
    // Blocks [0,9] (create), [10,19], [20,29] (conditional sets).
    EXPECT_EQ(*server->node_data(path), R"({"version":1,"broker":1,"block_start":"20","block_end":"29"})");
    EXPECT_EQ(node_version(), 2);
    EXPECT_EQ(m->current_block(), (producer_id_block{1, 20, 29}));
}

TEST_F(producer_id_fixture, first_block_is_claimed_at_make) {
    auto m = producer_id_manager::make(zk1, 4, 1000);
    ASSERT_TRUE(run_until(io, [&] { return m->current_block().has_value(); }));
    EXPECT_EQ(latest(), (producer_id_block{4, 0, 999}));
    EXPECT_EQ(next_ok(*m), 0);
    EXPECT_EQ(node_version(), 0);  // created once, no further claim
}

TEST_F(producer_id_fixture, next_block_is_claimed_before_the_current_one_runs_out) {
    // 1,000-id blocks: below 100 ids left, the next block is claimed in the background.
    auto m = producer_id_manager::make(zk1, 1, 1000);
    for (int64_t want = 0; want < 900; ++want) ASSERT_EQ(next_ok(*m), want);
    coord_test::drain(io);
    EXPECT_EQ(latest(), (producer_id_block{1, 0, 999}));  // 100 left: no claim yet
    EXPECT_EQ(next_ok(*m), 900);                            // 99 left: claim the next block
    ASSERT_TRUE(run_until(io, [&] { return latest().block_start == 1000; }));
    EXPECT_EQ(latest(), (producer_id_block{1, 1000, 1999}));
    EXPECT_EQ(m->current_block(), (producer_id_block{1, 0, 999}));  // still serving the first
    // Ids stay contiguous over the boundary, with no further ZooKeeper write.
    for (int64_t want = 901; want < 1100; ++want) ASSERT_EQ(next_ok(*m), want);
    EXPECT_EQ(m->current_block(), (producer_id_block{1, 1000, 1999}));
    EXPECT_EQ(node_version(), 1);
}

TEST_F(producer_id_fixture, block_boundary_with_small_blocks) {
    auto m = producer_id_manager::make(zk1, 1, 10);
    for (int64_t want = 0; want < 10; ++want) EXPECT_EQ(next_ok(*m), want);
    // Taking the last id of [0,9] started the claim of [10,19] already.
    ASSERT_TRUE(run_until(io, [&] { return latest().block_start == 10; }));
    EXPECT_EQ(next_ok(*m), 10);
    EXPECT_EQ(node_version(), 1);
}

TEST_F(producer_id_fixture, empty_persistent_node_means_no_block_yet) {
    ASSERT_FALSE(s1.create(path, ""));  // as persistent_paths() leaves it
    auto m = producer_id_manager::make(zk1, 2, 10);
    EXPECT_EQ(next_ok(*m), 0);
    EXPECT_EQ(latest(), (producer_id_block{2, 0, 9}));
    EXPECT_EQ(node_version(), 1);  // a conditional set on version 0
}

TEST_F(producer_id_fixture, continues_after_a_block_kafka_wrote) {
    ASSERT_FALSE(s1.create(path, R"({"version":1,"broker":5,"block_start":"2000","block_end":"2999"})"));
    auto m = producer_id_manager::make(zk1, 1);
    EXPECT_EQ(next_ok(*m), 3000);
    EXPECT_EQ(latest(), (producer_id_block{1, 3000, 3999}));
}

TEST_F(producer_id_fixture, restarted_broker_claims_a_new_block_and_never_reuses_ids) {
    auto m = producer_id_manager::make(zk1, 1, 10);
    EXPECT_EQ(next_ok(*m), 0);
    EXPECT_EQ(next_ok(*m), 1);
    m->stop();
    coord_test::drain(io);
    m.reset();
    auto again = producer_id_manager::make(zk1, 1, 10);
    EXPECT_EQ(next_ok(*again), 10);  // 2..9 are lost, not handed out twice
    EXPECT_EQ(latest(), (producer_id_block{1, 10, 19}));
}

TEST_F(producer_id_fixture, two_brokers_interleaving_get_unique_ids_from_disjoint_blocks) {
    // Both managers read "no node" before either writes: one create wins, the other gets
    // ZNODEEXISTS, re-reads and sets conditionally; later claims race on the znode version.
    auto m1 = producer_id_manager::make(zk1, 1, 10);
    auto m2 = producer_id_manager::make(zk2, 2, 10);
    std::map<int64_t, int> owner;  // id -> broker
    std::vector<std::optional<result<int64_t>>> r1(150), r2(150);
    // Bursts without running the executor in between, so claims overlap and queue.
    for (size_t round = 0; round < 10; ++round) {
        for (size_t i = round * 15; i < (round + 1) * 15; ++i) {
            m1->next_id([&r1, i](result<int64_t> r) { r1[i] = std::move(r); });
            m2->next_id([&r2, i](result<int64_t> r) { r2[i] = std::move(r); });
        }
        ASSERT_TRUE(run_until(io, [&] {
            for (size_t i = 0; i < (round + 1) * 15; ++i) {
                if (!r1[i] || !r2[i]) return false;
            }
            return true;
        }));
    }
    std::vector<int64_t> prev = {-1, -1};
    for (size_t i = 0; i < 150; ++i) {
        for (int b : {1, 2}) {
            auto& r = b == 1 ? r1[i] : r2[i];
            ASSERT_TRUE(*r) << r->error().message();
            int64_t id = r->value();
            EXPECT_TRUE(owner.emplace(id, b).second) << "id " << id << " handed out twice";
            EXPECT_GT(id, prev[b - 1]);  // each broker's ids increase in call order
            prev[b - 1] = id;
        }
    }
    // Disjoint blocks: every 10-id block [10k, 10k+9] belongs to one broker only.
    std::map<int64_t, std::set<int>> block_owners;
    for (auto [id, b] : owner) block_owners[id / 10].insert(b);
    for (const auto& [k, owners] : block_owners) EXPECT_EQ(owners.size(), 1u) << "block " << k;
    EXPECT_EQ(owner.size(), 300u);
    // Together the two brokers used exactly 30 blocks (each serves its own in order, and a
    // block is claimed only when the previous one is used up).
    EXPECT_GE(latest().block_end, 299);
}

TEST_F(producer_id_fixture, concurrent_calls_during_a_claim_queue_behind_it) {
    auto m = producer_id_manager::make(zk1, 1, 3);  // the first claim is in flight
    std::vector<int64_t> got;
    for (int i = 0; i < 10; ++i) {
        m->next_id([&](result<int64_t> r) {
            ASSERT_TRUE(r);
            got.push_back(r.value());
        });
    }
    ASSERT_TRUE(run_until(io, [&] { return got.size() == 10; }));
    EXPECT_EQ(got, (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));  // in call order
    // One claim at a time: [0,2] created, then [3,5], [6,8], [9,11] by conditional sets. Several
    // parallel claims would have left gaps (blocks claimed and never served).
    EXPECT_EQ(node_version(), 3);
    EXPECT_EQ(latest(), (producer_id_block{1, 9, 11}));
}

TEST_F(producer_id_fixture, callable_from_many_threads) {
    auto m = producer_id_manager::make(zk1, 1, 50);
    std::atomic<bool> done{false};
    std::thread runner([&] {
        while (!done) {
            io.restart();
            io.run_for(std::chrono::milliseconds(5));
        }
    });
    constexpr int threads = 4, per_thread = 500;
    std::mutex mu;
    std::vector<int64_t> ids;
    std::atomic<int> errors{0};
    std::vector<std::thread> callers;
    for (int t = 0; t < threads; ++t) {
        callers.emplace_back([&] {
            for (int i = 0; i < per_thread; ++i) {
                m->next_id([&](result<int64_t> r) {
                    if (!r) {
                        ++errors;
                        return;
                    }
                    std::lock_guard lock(mu);
                    ids.push_back(r.value());
                });
            }
        });
    }
    for (auto& c : callers) c.join();
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
        {
            std::lock_guard lock(mu);
            if (ids.size() + errors == threads * per_thread) break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    done = true;
    runner.join();
    EXPECT_EQ(errors, 0);
    ASSERT_EQ(ids.size(), size_t{threads * per_thread});
    // One manager serves its blocks in order: exactly 0 .. 1999, each once.
    std::sort(ids.begin(), ids.end());
    for (size_t i = 0; i < ids.size(); ++i) ASSERT_EQ(ids[i], static_cast<int64_t>(i));
}

TEST_F(producer_id_fixture, malformed_node_fails_callers_and_a_later_call_retries) {
    ASSERT_FALSE(s1.create(path, R"({"version":1,"broker":1,"block_start":1000,"block_end":1999})"));
    auto m = producer_id_manager::make(zk1, 1, 10);
    auto r = next(*m);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), errc::malformed_znode);
    EXPECT_EQ(*server->node_data(path), R"({"version":1,"broker":1,"block_start":1000,"block_end":1999})");
    // Repaired (by an operator): the next call claims again.
    ASSERT_FALSE(s1.set(path, R"({"version":1,"broker":1,"block_start":"1000","block_end":"1999"})"));
    EXPECT_EQ(next_ok(*m), 2000);
}

TEST_F(producer_id_fixture, exhausted_ids_are_an_error_not_an_overflow) {
    constexpr int64_t max = std::numeric_limits<int64_t>::max();
    // The last possible block: [max - 9, max]; every id of it is served, then the error.
    ASSERT_FALSE(s1.create(path, znodes::encode_producer_id_block({7, 0, max - 10})));
    auto m = producer_id_manager::make(zk1, 1, 10);
    for (int64_t want = max - 9; want != max; ++want) ASSERT_EQ(next_ok(*m), want);
    EXPECT_EQ(next_ok(*m), max);
    auto r = next(*m);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), std::errc::value_too_large);
    EXPECT_EQ(latest(), (producer_id_block{1, max - 9, max}));
}

TEST_F(producer_id_fixture, session_errors_are_retried_then_reported) {
    // One connection loss: the claim is retried after a backoff and succeeds.
    zk1.fail_next(zk_errc::connection_loss);
    auto m = producer_id_manager::make(zk1, 1, 10);
    EXPECT_EQ(next_ok(*m), 0);
    m->stop();
    coord_test::drain(io);

    // More failures than retries: the waiting callers get the error; the next call starts over.
    for (int i = 0; i <= producer_id_manager::transient_retries; ++i) zk2.fail_next(zk_errc::connection_loss);
    auto m2 = producer_id_manager::make(zk2, 2, 10);
    auto start = std::chrono::steady_clock::now();
    auto r = next(*m2);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), zk_errc::connection_loss);
    EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(100 + 200 + 400));
    EXPECT_EQ(next_ok(*m2), 10);
}

TEST_F(producer_id_fixture, other_zookeeper_errors_are_reported_at_once) {
    zk1.fail_next(zk_errc::no_auth);
    auto m = producer_id_manager::make(zk1, 1, 10);
    auto r = next(*m);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), zk_errc::no_auth);
    EXPECT_EQ(next_ok(*m), 0);
}

TEST_F(producer_id_fixture, callbacks_are_posted_never_inline) {
    auto m = producer_id_manager::make(zk1, 1, 10);
    EXPECT_EQ(next_ok(*m), 0);  // a block is at hand now
    bool called = false;
    m->next_id([&](result<int64_t> r) {
        EXPECT_EQ(r.value(), 1);
        called = true;
    });
    EXPECT_FALSE(called);
    coord_test::drain(io);
    EXPECT_TRUE(called);
}

TEST_F(producer_id_fixture, stop_fails_waiting_and_later_callers) {
    zk1.fail_next(zk_errc::connection_loss);  // keep the first claim waiting on its retry timer
    auto m = producer_id_manager::make(zk1, 1, 10);
    std::optional<result<int64_t>> waiting;
    m->next_id([&](result<int64_t> r) { waiting = std::move(r); });
    coord_test::drain(io);
    EXPECT_FALSE(waiting.has_value());
    m->stop();
    ASSERT_TRUE(run_until(io, [&] { return waiting.has_value(); }));
    EXPECT_EQ(waiting->error(), errc::stopped);
    auto later = next(*m);
    ASSERT_FALSE(later);
    EXPECT_EQ(later.error(), errc::stopped);
    coord_test::drain(io);
    EXPECT_FALSE(server->node_exists(path));  // the cancelled retry never ran
}
