#include "coordination/replica_assignment.h"

#include <algorithm>
#include <random>
#include <set>

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

std::vector<int32_t> rack_alternated_broker_list(const std::map<int32_t, std::string>& broker_racks) {
    std::map<std::string, std::vector<int32_t>> by_rack;  // map: racks sorted; ids arrive sorted
    for (const auto& [id, rack] : broker_racks) by_rack[rack].push_back(id);
    std::vector<int32_t> out;
    for (size_t round = 0; out.size() < broker_racks.size(); ++round) {
        for (const auto& [rack, ids] : by_rack) {
            if (round < ids.size()) out.push_back(ids[round]);
        }
    }
    return out;
}

result<std::map<int32_t, std::vector<int32_t>>> assign_replicas(
    const std::vector<broker_info>& brokers, int32_t partitions, int32_t replication_factor,
    const assignment_options& options) {
    std::vector<int32_t> ids;
    std::map<int32_t, std::string> racks;
    for (const auto& b : brokers) {
        ids.push_back(b.id);
        if (b.rack) racks[b.id] = *b.rack;
    }
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    bool use_racks = options.rack_mode != rack_aware_mode::disabled && !racks.empty();
    if (use_racks && racks.size() != ids.size()) {
        if (options.rack_mode == rack_aware_mode::enforced) return errc::missing_rack_information;
        use_racks = false;  // safe: some brokers lack a rack, place as if none had one
    }
    if (!use_racks) return assign_replicas_to_brokers(std::move(ids), partitions, replication_factor, options);

    if (partitions < 1) return errc::invalid_partitions;
    if (replication_factor < 1) return errc::invalid_replication_factor;
    const auto n = static_cast<int32_t>(ids.size());
    if (replication_factor > n) return errc::invalid_replication_factor;
    std::vector<int32_t> arranged = rack_alternated_broker_list(racks);
    std::set<std::string> all_racks;
    for (const auto& [id, r] : racks) all_racks.insert(r);
    const auto num_racks = static_cast<int32_t>(all_racks.size());

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
        int32_t leader = arranged[first];
        std::vector<int32_t> replicas{leader};
        std::set<std::string> racks_used{racks.at(leader)};
        std::set<int32_t> brokers_used{leader};
        int32_t k = 0;
        for (int32_t j = 0; j < replication_factor - 1; ++j) {
            // Terminates: every broker is reachable through k (the shift never is 0), and a broker
            // is refused only while some rack / broker without a replica remains.
            while (true) {
                int32_t b = arranged[n == 1 ? 0 : replica_index(first, shift * num_racks, k, n)];
                ++k;
                const std::string& rack = racks.at(b);
                bool rack_ok = !racks_used.count(rack) || static_cast<int32_t>(racks_used.size()) == num_racks;
                bool broker_ok = !brokers_used.count(b) || static_cast<int32_t>(brokers_used.size()) == n;
                if (rack_ok && broker_ok) {
                    replicas.push_back(b);
                    racks_used.insert(rack);
                    brokers_used.insert(b);
                    break;
                }
            }
        }
        out.emplace(current, std::move(replicas));
    }
    return out;
}

}  // namespace coordination
