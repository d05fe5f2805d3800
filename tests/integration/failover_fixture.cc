#include "tests/integration/failover_fixture.h"

#include <sstream>
#include <thread>

namespace integration {

using namespace test_support;

cluster_view wait_for_view(const zk_reader& zk, const std::string& chroot, const std::vector<std::string>& topics,
                           const std::function<bool(const cluster_view&)>& pred, std::chrono::milliseconds timeout,
                           const std::string& what) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    cluster_view v;
    while (true) {
        v = zk.cluster(chroot, topics);
        if (pred(v)) return v;
        if (std::chrono::steady_clock::now() >= deadline) {
            ADD_FAILURE() << "timed out after " << timeout.count() << " ms waiting for " << what
                          << "; ZooKeeper says:\n" << v.describe();
            return v;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

::testing::AssertionResult metadata_matches(const cluster_view& v, const std::string& topic,
                                            const std::map<int, std::uint16_t>& ports) {
    for (const auto& [id, port] : ports) {
        auto md = topic.empty() ? fetch_metadata(port) : fetch_metadata(port, {topic});
        std::string who = "broker " + std::to_string(id) + " (port " + std::to_string(port) + ")";
        if (!md.ok()) return ::testing::AssertionFailure() << who << ": " << md.error;
        if (md.broker_ids() != v.brokers) {
            return ::testing::AssertionFailure() << who << " lists other brokers than ZooKeeper:\n"
                                                 << md.describe() << "ZooKeeper:\n" << v.describe();
        }
        if (md.controller != v.controller) {
            return ::testing::AssertionFailure() << who << " names controller " << md.controller
                                                 << ", ZooKeeper " << v.controller;
        }
        if (topic.empty()) continue;
        auto t = md.topics.find(topic);
        if (t == md.topics.end() || t->second.error != 0) {
            return ::testing::AssertionFailure() << who << " has no topic " << topic << ":\n" << md.describe();
        }
        auto parts = v.topic_partitions(topic);
        if (t->second.partitions.size() != parts.size()) {
            return ::testing::AssertionFailure() << who << " has " << t->second.partitions.size()
                                                 << " partitions of " << topic << ", ZooKeeper " << parts.size();
        }
        for (const auto& p : parts) {
            auto it = t->second.partitions.find(p.partition);
            if (it == t->second.partitions.end() || it->second.leader != p.leader ||
                it->second.replicas != p.replicas || it->second.isr != p.isr) {
                return ::testing::AssertionFailure() << who << " disagrees with ZooKeeper on " << topic << "-"
                                                     << p.partition << ":\n" << md.describe() << "ZooKeeper:\n"
                                                     << v.describe();
            }
        }
    }
    return ::testing::AssertionSuccess();
}

::testing::AssertionResult wait_metadata_matches(const zk_reader& zk, const std::string& chroot,
                                                 const std::string& topic, const std::map<int, std::uint16_t>& ports,
                                                 std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        auto r = metadata_matches(topic.empty() ? zk.cluster(chroot) : zk.cluster(chroot, {topic}), topic, ports);
        if (r || std::chrono::steady_clock::now() >= deadline) return r;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
}

::testing::AssertionResult produce_and_consume(const std::string& bootstrap, const std::string& topic,
                                               int partitions, int per_partition, const std::string& tag) {
    std::vector<record> recs;
    for (int p = 0; p < partitions; ++p) {
        for (int i = 0; i < per_partition; ++i) {
            std::string id = tag + "-" + std::to_string(p) + "-" + std::to_string(i);
            recs.push_back({"k" + id, "v" + id, p, -1});
        }
    }
    auto out = produce(bootstrap, topic, recs, {{"acks", "all"}, {"message.timeout.ms", "60000"}},
                       std::chrono::seconds(60));
    if (!out.errors.empty()) {
        return ::testing::AssertionFailure() << out.errors.size() << " produce errors, first: " << out.errors.front();
    }
    std::map<std::int32_t, std::int64_t> start;
    for (const auto& r : out.delivered) {
        if (r.offset < 0) return ::testing::AssertionFailure() << "no delivery report for " << r.key;
        auto it = start.find(r.partition);
        if (it == start.end() || r.offset < it->second) start[r.partition] = r.offset;
    }
    auto got = consume(bootstrap, topic, start, recs.size(), std::chrono::seconds(30));
    if (!got.errors.empty()) {
        return ::testing::AssertionFailure() << "consume: " << got.errors.front() << " (" << got.records.size()
                                             << " of " << recs.size() << " records)";
    }
    std::map<std::string, std::string> seen;
    for (const auto& r : got.records) seen[r.key] = r.value;
    for (const auto& r : recs) {
        auto it = seen.find(r.key);
        if (it == seen.end() || it->second != r.value) {
            return ::testing::AssertionFailure() << "record " << r.key << " not read back";
        }
    }
    return ::testing::AssertionSuccess();
}

void failover_test::start_brokers(int n, const std::map<std::string, std::string>& properties) {
    for (int id = 1; id <= n; ++id) {
        auto props = properties;
        props.emplace("zookeeper.session.timeout.ms", std::to_string(test_session_timeout_ms));
        by_id_[id] = &start_broker(id, props);
    }
}

broker_process& failover_test::by_id(int id) { return *by_id_.at(id); }

std::map<int, std::uint16_t> failover_test::live_ports() {
    std::map<int, std::uint16_t> out;
    for (auto& [id, b] : by_id_) {
        if (b->running()) out[id] = b->port();
    }
    return out;
}

std::string failover_test::live_bootstrap() {
    std::string s;
    for (auto& [id, b] : by_id_) {
        if (b->running()) s += (s.empty() ? "" : ",") + b->bootstrap();
    }
    return s;
}

cluster_view failover_test::create_and_wait(const std::string& topic, int partitions, int replication) {
    create_topic(topic, partitions, replication);
    return wait_for(
        {topic},
        [&](const cluster_view& v) {
            if (!v.all_led_by_live_brokers(topic)) return false;
            for (const auto& p : v.topic_partitions(topic)) {
                if (static_cast<int>(p.replicas.size()) != replication || p.isr.size() != p.replicas.size()) return false;
            }
            return static_cast<int>(v.topic_partitions(topic).size()) == partitions;
        },
        std::chrono::seconds(30), "every partition of " + topic + " led with a full ISR");
}

}  // namespace integration
