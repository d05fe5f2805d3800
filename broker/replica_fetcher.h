#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "broker/config.h"

namespace broker {

class partition;

/// Where a follower fetches from.
struct leader_endpoint {
    int32_t id = -1;
    std::string host;
    uint16_t port = 0;
    bool operator==(const leader_endpoint&) const = default;
};

/// The follower side of replication, as Kafka's ReplicaFetcherManager: one fetcher thread per
/// leader broker, each sending one Fetch (replica_id = our broker id) for every partition it
/// follows from that leader, long-polled on the leader (replica.fetch.wait.max.ms), and appending
/// what comes back unchanged. A partition added to a fetcher first truncates a divergent tail:
/// OffsetForLeaderEpoch with our latest epoch, then a cut at min(leader's end offset for that
/// epoch, our own end offset for the epoch the leader answered) (KIP-101/KIP-279).
///
/// Owned by the replica_manager. add/remove may be called from any thread; the fetcher threads
/// only call into partitions (which lock themselves) and never block the caller for longer than
/// a map update. remove() guarantees no later append for that partition's removed leadership: a
/// response is applied only if the partition is still followed at the same leader epoch, and the
/// partition itself refuses appends under another epoch.
class replica_fetcher_manager {
public:
    explicit replica_fetcher_manager(const config& cfg);
    ~replica_fetcher_manager();
    replica_fetcher_manager(const replica_fetcher_manager&) = delete;
    replica_fetcher_manager& operator=(const replica_fetcher_manager&) = delete;

    /// Follows `part` from `leader` at `leader_epoch` (replacing any earlier fetch of it).
    void add(const std::shared_ptr<partition>& part, const leader_endpoint& leader, int32_t leader_epoch);
    /// Stops following the partition (it became leader, or left this broker).
    void remove(const std::string& topic, int32_t index);
    /// Ends every fetcher thread (waits for them).
    void stop();

    /// Partitions currently followed (tests, logs).
    size_t partition_count() const;

private:
    class fetcher;
    using key = std::pair<std::string, int32_t>;

    const config& cfg_;
    mutable std::mutex mutex_;  // guards fetchers_, assigned_, stopped_
    std::map<int32_t, std::unique_ptr<fetcher>> fetchers_;  // by leader id
    std::map<key, int32_t> assigned_;                       // partition -> leader id
    bool stopped_ = false;
};

}  // namespace broker
