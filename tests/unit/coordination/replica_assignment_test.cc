#include "coordination/replica_assignment.h"

#include <gtest/gtest.h>

#include <set>

using namespace coordination;

TEST(replica_assignment, matches_kafka_documented_layout) {
    // AdminUtils doc example: 5 brokers, 10 partitions, RF 3, start index 0, shift 0.
    auto r = assign_replicas_to_brokers({4, 2, 0, 3, 1}, 10, 3, {.fixed_start_index = 0});
    ASSERT_TRUE(r);
    const auto& a = r.value();
    EXPECT_EQ(a.at(0), (std::vector<int32_t>{0, 1, 2}));
    EXPECT_EQ(a.at(4), (std::vector<int32_t>{4, 0, 1}));
    EXPECT_EQ(a.at(5), (std::vector<int32_t>{0, 2, 3}));
    EXPECT_EQ(a.at(9), (std::vector<int32_t>{4, 1, 2}));
}

TEST(replica_assignment, spreads_leaders_and_never_repeats_a_broker) {
    for (int rf = 1; rf <= 4; ++rf) {
        auto r = assign_replicas_to_brokers({10, 11, 12, 13}, 12, rf);
        ASSERT_TRUE(r);
        std::map<int32_t, int> leaders;
        for (const auto& [p, replicas] : r.value()) {
            EXPECT_EQ(replicas.size(), size_t(rf));
            EXPECT_EQ(std::set<int32_t>(replicas.begin(), replicas.end()).size(), replicas.size());
            leaders[replicas.front()]++;
        }
        for (const auto& [b, n] : leaders) EXPECT_EQ(n, 3) << "broker " << b;
    }
}

TEST(replica_assignment, start_partition_id_continues_numbering) {
    auto r = assign_replicas_to_brokers({1, 2}, 2, 1, {.fixed_start_index = 0, .start_partition_id = 3});
    ASSERT_TRUE(r);
    EXPECT_EQ(r.value().begin()->first, 3);
    EXPECT_EQ(r.value().rbegin()->first, 4);
}

TEST(replica_assignment, rejects_bad_arguments) {
    EXPECT_EQ(assign_replicas_to_brokers({1, 2}, 0, 1).error(), errc::invalid_partitions);
    EXPECT_EQ(assign_replicas_to_brokers({1, 2}, 1, 0).error(), errc::invalid_replication_factor);
    EXPECT_EQ(assign_replicas_to_brokers({1, 2}, 1, 3).error(), errc::invalid_replication_factor);
    EXPECT_EQ(assign_replicas_to_brokers({}, 1, 1).error(), errc::invalid_replication_factor);
}
