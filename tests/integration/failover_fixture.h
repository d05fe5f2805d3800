#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "tests/integration/broker_metadata.h"
#include "tests/integration/cluster_fixture.h"
#include "tests/integration/rdkafka_client.h"
#include "tests/support/zk_reader.h"

namespace integration {

/// Session timeout of every issue-3 test broker: a kill -9 is noticed by ZooKeeper after this.
inline constexpr int test_session_timeout_ms = 4000;

/// Checks shared by the cluster control plane tests (issue 3), independent of how the brokers
/// and ZooKeeper were started: the ZooKeeper view through kazoo, each broker's own Metadata
/// answer over a raw socket, and a librdkafka round trip. Free functions so the ensemble and
/// two-cluster tests can use them with their own processes.

/// Waits (polling ZooKeeper) until `pred` holds; returns the last view read. On timeout adds a
/// test failure naming `what` with the last view, and returns it.
test_support::cluster_view wait_for_view(const test_support::zk_reader& zk, const std::string& chroot,
                                         const std::vector<std::string>& topics,
                                         const std::function<bool(const test_support::cluster_view&)>& pred,
                                         std::chrono::milliseconds timeout, const std::string& what);

/// Every broker in `ports` answers Metadata for `topic` exactly as ZooKeeper says: the
/// registered brokers, the controller, and per partition leader, replicas and ISR. An empty
/// `topic` checks only brokers and controller.
::testing::AssertionResult metadata_matches(const test_support::cluster_view& v, const std::string& topic,
                                            const std::map<int, std::uint16_t>& ports);

/// Polls until metadata_matches holds for a fresh ZooKeeper view (metadata reaches brokers
/// asynchronously); returns the last result.
::testing::AssertionResult wait_metadata_matches(const test_support::zk_reader& zk, const std::string& chroot,
                                                 const std::string& topic, const std::map<int, std::uint16_t>& ports,
                                                 std::chrono::milliseconds timeout = std::chrono::seconds(15));

/// Produces `per_partition` records to every partition of `topic` (explicit partition, acks=all,
/// librdkafka retries) through `bootstrap`, then reads them back group-less from the offsets of
/// their delivery reports. Success means a producer/consumer pair works right now.
::testing::AssertionResult produce_and_consume(const std::string& bootstrap, const std::string& topic,
                                               int partitions, int per_partition, const std::string& tag);

/// Base fixture: one ZooKeeper per suite (cluster_test), brokers by id under this test's chroot,
/// all with zookeeper.session.timeout.ms = test_session_timeout_ms.
class failover_test : public cluster_test {
protected:
    /// Starts brokers 1..n with `properties` (plus the short session timeout).
    void start_brokers(int n, const std::map<std::string, std::string>& properties = {});
    test_support::broker_process& by_id(int id);
    /// Broker id -> port of the brokers whose process runs.
    std::map<int, std::uint16_t> live_ports();
    /// Bootstrap list of the running brokers.
    std::string live_bootstrap();

    test_support::zk_reader reader() { return zk().reader(); }
    test_support::cluster_view view(const std::vector<std::string>& topics = {}) {
        return reader().cluster(chroot(), topics);
    }
    test_support::cluster_view wait_for(const std::vector<std::string>& topics,
                                        const std::function<bool(const test_support::cluster_view&)>& pred,
                                        std::chrono::milliseconds timeout, const std::string& what) {
        return wait_for_view(reader(), chroot(), topics, pred, timeout, what);
    }
    /// Creates `topic` and waits until every partition has a live leader and a full ISR.
    test_support::cluster_view create_and_wait(const std::string& topic, int partitions, int replication);

private:
    std::map<int, test_support::broker_process*> by_id_;
};

}  // namespace integration
