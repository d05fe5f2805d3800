// Issue 3 acceptance: a topic with 6 partitions and RF 3 on 3 brokers. kill -9 the broker leading
// the most partitions: after its session expires every partition has a live leader from its old
// ISR with a higher leader epoch, Metadata says so on every live broker, and a librdkafka
// producer/consumer pair keeps working. Restart the broker: it rejoins, and preferred leader
// election (on demand through /admin/preferred_replica_election, or automatic with
// auto.leader.rebalance.enable) gives its leaderships back.
//
// The restarted broker re-enters the ISRs through replication alone (it catches up and the leaders
// add it); replication_test checks that acknowledged records survive the failovers.
#include <atomic>
#include <algorithm>
#include <thread>

#include "tests/integration/failover_fixture.h"

namespace integration {
namespace {

using namespace std::chrono_literals;
using test_support::cluster_view;

const std::string topic = "six";

class leader_failover_test : public failover_test {
protected:
    cluster_view before_;
    cluster_view after_;
    int victim_ = -1;

    /// 3 brokers, topic `six` (6 x RF 3), kill -9 of the broker leading the most partitions while
    /// a producer runs, then waits for every partition to have a live leader. Checks the
    /// acceptance conditions on the way.
    void kill_leader_and_fail_over(const std::map<std::string, std::string>& props) {
        start_brokers(3, props);
        before_ = create_and_wait(topic, 6, 3);
        ASSERT_FALSE(HasFailure());
        ASSERT_TRUE(wait_metadata_matches(reader(), chroot(), topic, live_ports()));
        int most = 0;
        for (auto [id, n] : before_.leader_counts()) {
            if (n > most) most = n, victim_ = id;
        }
        ASSERT_GE(most, 1) << before_.describe();

        std::atomic<bool> stop{false};
        produce_outcome during;
        std::thread producer([&] {
            during = produce_until(live_bootstrap(), topic, stop, 10ms,
                                   {{"acks", "all"}, {"message.timeout.ms", "60000"}}, 60s);
        });
        std::this_thread::sleep_for(500ms);  // the producer has metadata and is sending
        by_id(victim_).kill();
        after_ = wait_for(
            {topic},
            [&](const cluster_view& v) {
                return !v.has_broker(victim_) && v.all_led_by_live_brokers(topic) && v.led_by(victim_).empty();
            },
            std::chrono::milliseconds(test_session_timeout_ms) + 15s, "every partition led by a live broker");
        std::this_thread::sleep_for(2s);  // the producer keeps going on the new leaders
        stop = true;
        producer.join();
        ASSERT_FALSE(HasFailure());

        for (const auto& old : before_.topic_partitions(topic)) {
            const auto* now = after_.partition(topic, old.partition);
            ASSERT_NE(now, nullptr);
            std::string where = topic + "-" + std::to_string(old.partition);
            EXPECT_EQ(now->replicas, old.replicas) << where << ": the assignment never changes on failover";
            EXPECT_EQ(std::count(now->isr.begin(), now->isr.end(), victim_), 0)
                << where << ": a dead broker stays in the ISR";
            if (old.leader == victim_) {
                EXPECT_NE(std::find(old.isr.begin(), old.isr.end(), now->leader), old.isr.end())
                    << where << ": new leader " << now->leader << " was not in the old ISR";
                EXPECT_GT(now->leader_epoch, old.leader_epoch) << where;
                EXPECT_GT(now->controller_epoch, 0) << where;
            } else {
                EXPECT_EQ(now->leader, old.leader) << where << ": a live leader must keep its partition";
            }
        }
        EXPECT_TRUE(wait_metadata_matches(reader(), chroot(), topic, live_ports()));

        EXPECT_TRUE(during.errors.empty()) << during.errors.size() << " delivery errors across the failover, first: "
                                           << during.errors.front();
        std::size_t delivered = 0;
        for (const auto& r : during.delivered) delivered += r.offset >= 0;
        EXPECT_EQ(delivered, during.delivered.size()) << "records without a delivery report";
        EXPECT_GT(delivered, 100u);
        EXPECT_TRUE(produce_and_consume(live_bootstrap(), topic, 6, 50, "after-kill"));
    }

    /// Restarts the victim and waits until it is registered and every broker's metadata has it.
    void restart_victim() {
        by_id(victim_).start();
        wait_for({topic}, [&](const cluster_view& v) { return v.has_broker(victim_); }, 15s,
                 "broker " + std::to_string(victim_) + " registered again");
        EXPECT_TRUE(wait_metadata_matches(reader(), chroot(), topic, live_ports()));
    }

    /// Waits until the restarted victim is back in the ISR of every partition it replicates, with
    /// nothing done by the test: it fetches from the leaders, catches up, and each leader adds it
    /// (state znode + /isr_change_notification), which the controller passes on to every broker.
    /// Preferred election needs this (the preferred replica must be in the ISR).
    void wait_victim_back_in_isr() {
        wait_for({topic},
                 [&](const cluster_view& v) {
                     for (const auto& p : v.topic_partitions(topic)) {
                         if (std::find(p.isr.begin(), p.isr.end(), victim_) == p.isr.end()) return false;
                     }
                     return true;
                 },
                 30s, "broker " + std::to_string(victim_) + " back in every ISR through replication");
        // The controller has read the notifications (it deletes them) and told every broker.
        EXPECT_TRUE(wait_until([&] { return reader().children(chroot() + "/isr_change_notification").empty(); }, 15s));
        EXPECT_TRUE(wait_metadata_matches(reader(), chroot(), topic, live_ports()));
    }

    /// Partitions whose preferred (first) replica is the victim.
    std::vector<int> preferred_on_victim() const {
        std::vector<int> out;
        for (const auto& p : before_.topic_partitions(topic)) {
            if (p.replicas.front() == victim_) out.push_back(p.partition);
        }
        return out;
    }

    /// Waits until the victim leads every partition it is preferred for, then checks epochs,
    /// metadata everywhere and a produce/consume round trip.
    void expect_leaderships_back(std::chrono::milliseconds timeout) {
        auto pref = preferred_on_victim();
        ASSERT_FALSE(pref.empty()) << "broker " << victim_ << " is preferred for nothing:\n" << before_.describe();
        auto back = wait_for(
            {topic},
            [&](const cluster_view& v) {
                for (int p : pref) {
                    const auto* s = v.partition(topic, p);
                    if (s == nullptr || s->leader != victim_) return false;
                }
                return true;
            },
            timeout, "broker " + std::to_string(victim_) + " leading its preferred partitions again");
        ASSERT_FALSE(HasFailure());
        for (int p : pref) {
            EXPECT_GT(back.partition(topic, p)->leader_epoch, after_.partition(topic, p)->leader_epoch);
        }
        // Partitions preferred elsewhere are led by their preferred replica too (balanced again).
        for (const auto& s : back.topic_partitions(topic)) EXPECT_EQ(s.leader, s.replicas.front()) << back.describe();
        EXPECT_TRUE(wait_metadata_matches(reader(), chroot(), topic, live_ports()));
        EXPECT_TRUE(produce_and_consume(live_bootstrap(), topic, 6, 50, "after-rebalance"));
    }
};

TEST_F(leader_failover_test, kill_9_of_a_leader_moves_its_partitions_to_live_isr_members) {
    kill_leader_and_fail_over({{"auto.leader.rebalance.enable", "false"}});
}

TEST_F(leader_failover_test, restarted_broker_rejoins_and_preferred_election_on_demand_gives_leaderships_back) {
    ASSERT_NO_FATAL_FAILURE(kill_leader_and_fail_over({{"auto.leader.rebalance.enable", "false"}}));
    ASSERT_FALSE(HasFailure());
    restart_victim();
    // Rejoined as a follower: no leadership moves by itself (automatic rebalance is off).
    std::this_thread::sleep_for(3s);
    auto rejoined = view({topic});
    EXPECT_TRUE(rejoined.led_by(victim_).empty()) << rejoined.describe();
    wait_victim_back_in_isr();

    // What kafka-preferred-replica-election.sh writes.
    std::string request = R"({"version":1,"partitions":[)";
    for (int p = 0; p < 6; ++p) {
        request += (p ? "," : "") + std::string(R"({"topic":")") + topic + R"(","partition":)" + std::to_string(p) + "}";
    }
    request += "]}";
    reader().create(chroot() + "/admin/preferred_replica_election", request);
    expect_leaderships_back(30s);
    // The controller deletes the request once it has acted on it, as Kafka's does.
    EXPECT_TRUE(wait_until([&] { return !reader().exists(chroot() + "/admin/preferred_replica_election"); }, 15s));
}

TEST_F(leader_failover_test, automatic_leader_rebalance_gives_leaderships_back_after_restart) {
    ASSERT_NO_FATAL_FAILURE(kill_leader_and_fail_over(
        {{"auto.leader.rebalance.enable", "true"}, {"leader.imbalance.check.interval.seconds", "2"}}));
    ASSERT_FALSE(HasFailure());
    restart_victim();
    wait_victim_back_in_isr();
    expect_leaderships_back(45s);
}

}  // namespace
}  // namespace integration
