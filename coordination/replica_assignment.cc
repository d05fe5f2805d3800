#include "coordination/replica_assignment.h"

#include <algorithm>
#include <random>

namespace coordination {
namespace {

// Kafka: shift = 1 + (secondReplicaShift + replicaIndex) % (nBrokers - 1). Never 0, so a follower
// is never placed on the leader's broker.
int32_t replica_index(int32_t first, int32_t shift, int32_t j, int32_t n) {
    int32_t s = 1 + (shift + j) % (n - 1);
    return (first + s) % n;
}

}  // namespace

result<std::map<int32_t, std::vector<int32_t>>> assign_replicas_to_brokers(
    std::vector<int32_t> brokers, int32_t partitions, int32_t replication_factor,
    const assignment_options& options) {
    if (partitions < 1) return errc::invalid_partitions;
    if (replication_factor < 1) return errc::invalid_replication_factor;
    std::sort(brokers.begin(), brokers.end());
    brokers.erase(std::unique(brokers.begin(), brokers.end()), brokers.end());
    const auto n = static_cast<int32_t>(brokers.size());
    if (replication_factor > n) return errc::invalid_replication_factor;

    int32_t start_index, shift;
    if (options.fixed_start_index >= 0) {
        start_index = shift = options.fixed_start_index;
    } else {
        std::random_device rd;
        std::uniform_int_distribution<int32_t> pick(0, n - 1);
        start_index = pick(rd);
        shift = pick(rd);
    }
    int32_t current = std::max(0, options.start_partition_id);
    std::map<int32_t, std::vector<int32_t>> out;
    for (int32_t i = 0; i < partitions; ++i, ++current) {
        if (current > 0 && current % n == 0) ++shift;
        int32_t first = (current + start_index) % n;
        std::vector<int32_t> replicas{brokers[first]};
        for (int32_t j = 0; j < replication_factor - 1; ++j) {
            replicas.push_back(brokers[replica_index(first, shift, j, n)]);
        }
        out.emplace(current, std::move(replicas));
    }
    return out;
}

}  // namespace coordination
