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

namespace {

std::vector<broker_info> racked(const std::map<int32_t, std::string>& racks) {
    std::vector<broker_info> out;
    for (const auto& [id, r] : racks) out.push_back({id, "h", 9092, r});
    return out;
}

}  // namespace

TEST(replica_assignment, rack_alternated_list_matches_kafka) {
    std::map<int32_t, std::string> racks{{0, "rack1"}, {1, "rack3"}, {2, "rack3"}, {3, "rack2"}, {4, "rack2"}, {5, "rack1"}};
    EXPECT_EQ(rack_alternated_broker_list(racks), (std::vector<int32_t>{0, 3, 1, 5, 4, 2}));
    racks.erase(5);
    EXPECT_EQ(rack_alternated_broker_list(racks), (std::vector<int32_t>{0, 3, 1, 4, 2}));
}

TEST(replica_assignment, rack_aware_matches_kafka_admin_rack_aware_test) {
    // AdminRackAwareTest.testGetRackAlternatedBrokerListAndAssignReplicasToBrokers.
    auto r = assign_replicas(racked({{0, "rack1"}, {1, "rack3"}, {2, "rack3"}, {3, "rack2"}, {4, "rack2"}, {5, "rack1"}}),
                             7, 3, {.fixed_start_index = 0, .start_partition_id = 0});
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r.value(), (std::map<int32_t, std::vector<int32_t>>{{0, {0, 3, 1}},
                                                                  {1, {3, 1, 5}},
                                                                  {2, {1, 5, 4}},
                                                                  {3, {5, 4, 2}},
                                                                  {4, {4, 2, 0}},
                                                                  {5, {2, 0, 3}},
                                                                  {6, {0, 4, 2}}}));
}

TEST(replica_assignment, rack_aware_puts_every_replica_on_another_rack_when_it_can) {
    std::map<int32_t, std::string> racks{{0, "a"}, {1, "a"}, {2, "b"}, {3, "b"}, {4, "c"}, {5, "c"}};
    auto r = assign_replicas(racked(racks), 60, 3);
    ASSERT_TRUE(r);
    std::map<int32_t, int> leaders;
    for (const auto& [p, replicas] : r.value()) {
        std::set<std::string> used;
        for (int32_t b : replicas) used.insert(racks.at(b));
        EXPECT_EQ(used.size(), 3u) << "partition " << p;
        ++leaders[replicas.front()];
    }
    for (const auto& [b, n] : leaders) EXPECT_EQ(n, 10) << "broker " << b;
    // Fewer racks than replicas: racks repeat, brokers do not.
    auto two = assign_replicas(racked({{0, "a"}, {1, "a"}, {2, "b"}, {3, "b"}}), 8, 3);
    ASSERT_TRUE(two);
    for (const auto& [p, replicas] : two.value()) {
        EXPECT_EQ(std::set<int32_t>(replicas.begin(), replicas.end()).size(), 3u);
    }
}

TEST(replica_assignment, some_brokers_without_rack_is_an_error_unless_told_otherwise) {
    std::vector<broker_info> mixed{{1, "h", 1, "a"}, {2, "h", 1, std::nullopt}, {3, "h", 1, "b"}};
    auto enforced = assign_replicas(mixed, 3, 2);
    ASSERT_FALSE(enforced);
    EXPECT_EQ(enforced.error(), errc::missing_rack_information);
    EXPECT_EQ(enforced.error().message(), "not all brokers have rack information for replica rack aware assignment");
    // safe / disabled: the rack-unaware layout.
    auto unaware = assign_replicas_to_brokers({1, 2, 3}, 3, 2, {.fixed_start_index = 1});
    for (auto mode : {rack_aware_mode::safe, rack_aware_mode::disabled}) {
        auto r = assign_replicas(mixed, 3, 2, {.fixed_start_index = 1, .rack_mode = mode});
        ASSERT_TRUE(r);
        EXPECT_EQ(r.value(), unaware.value());
    }
    // No rack anywhere: unaware, no error.
    std::vector<broker_info> none{{1, "h", 1, std::nullopt}, {2, "h", 1, std::nullopt}, {3, "h", 1, std::nullopt}};
    EXPECT_EQ(assign_replicas(none, 3, 2, {.fixed_start_index = 1}).value(), unaware.value());
    EXPECT_EQ(assign_replicas(racked({{1, "a"}}), 1, 2).error(), errc::invalid_replication_factor);
}
