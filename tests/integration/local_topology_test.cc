// Issue 3 acceptance: two clusters (/brook-a, /brook-b) on one 3-node ZooKeeper ensemble, started
// by tools/local-topology.sh (the docker/ compose topology as local processes). Topics created in
// one are invisible to the other, broker ids 1..3 exist in both, and killing a broker in one
// leaves the other untouched. Also checks the script itself: start, status, stop of exactly its
// pids.
#include <signal.h>

#include <set>
#include <thread>

#include "tests/integration/failover_fixture.h"
#include "tests/support/ports.h"
#include "tests/support/temp_dir.h"

#ifndef BROOK_LOCAL_TOPOLOGY
#define BROOK_LOCAL_TOPOLOGY "tools/local-topology.sh"
#endif

namespace integration {
namespace {

using namespace std::chrono_literals;
using namespace test_support;

/// Runs tools/local-topology.sh with its own dir and free ports; stops it in the destructor so a
/// failing test leaves nothing running.
class topology {
public:
    topology() : dir_("brook-topology") {
        std::set<std::uint16_t> taken;
        auto ports = [&] {
            std::string s;
            for (int i = 0; i < 3; ++i) {
                std::uint16_t p;
                do p = free_port();
                while (!taken.insert(p).second);
                s += (s.empty() ? "" : " ") + std::to_string(p);
            }
            return s;
        };
        env_ = {"BROOK_TOPOLOGY_DIR=" + dir_.str(),
                "BROOK_SERVER_BINARY=" + brook_server_binary(),
                "BROOK_ZK_PORTS=" + ports(),
                "BROOK_ZK_PEER_PORTS=" + ports(),
                "BROOK_ZK_ELECTION_PORTS=" + ports(),
                "BROOK_A_PORTS=" + ports(),
                "BROOK_B_PORTS=" + ports(),
                "BROOK_SESSION_TIMEOUT_MS=" + std::to_string(test_session_timeout_ms),
                "BROOK_EXTRA_PROPERTIES=auto.leader.rebalance.enable=false"};
    }
    ~topology() {
        if (started_) {
            auto r = run("stop");
            if (!r.status.success()) std::cerr << "local-topology.sh stop: " << r.describe() << "\n";
        }
        if (::testing::Test::HasFailure()) {
            for (const char* c : {"a", "b"}) {
                for (int i = 1; i <= 3; ++i) {
                    std::string log = dir_.str() + "/" + c + "-broker-" + std::to_string(i) + "/server.log";
                    std::cerr << "---- " << log << " ----\n" << tail_file(log, 30);
                }
            }
        }
    }

    command_result run(const std::string& cmd, const std::string& arg = {}) {
        std::vector<std::string> argv{"env"};
        argv.insert(argv.end(), env_.begin(), env_.end());
        argv.insert(argv.end(), {"bash", BROOK_LOCAL_TOPOLOGY, cmd});
        if (!arg.empty()) argv.push_back(arg);
        if (cmd == "start") started_ = true;
        return run_command(argv, std::chrono::seconds(240));
    }
    std::string dir() const { return dir_.str(); }
    pid_t pid(const std::string& member) const {
        std::string s = read_file(dir_.str() + "/pids/" + member + ".pid");
        return s.empty() ? -1 : std::stoi(s);
    }

private:
    temp_dir dir_;
    std::vector<std::string> env_;
    bool started_ = false;
};

std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

bool process_exists(pid_t pid) {
    std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
    auto paren = stat.rfind(')');
    return !stat.empty() && paren != std::string::npos && stat.size() > paren + 2 && stat[paren + 2] != 'Z';
}

std::map<int, std::uint16_t> ports_of(const std::string& bootstrap) {
    std::map<int, std::uint16_t> out;
    int id = 1;
    std::size_t at = 0;
    while (at < bootstrap.size()) {
        auto comma = bootstrap.find(',', at);
        std::string hp = bootstrap.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
        out[id++] = static_cast<std::uint16_t>(std::stoi(hp.substr(hp.rfind(':') + 1)));
        if (comma == std::string::npos) break;
        at = comma + 1;
    }
    return out;
}

command_result topics_cmd(const std::string& bootstrap, std::vector<std::string> args) {
    std::vector<std::string> argv{brook_topics_binary(), "--bootstrap-server", bootstrap};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, 60s);
}

TEST(local_topology_test, two_clusters_on_one_ensemble_are_isolated) {
    topology topo;
    auto started = topo.run("start");
    ASSERT_TRUE(started.status.success()) << started.describe();
    auto status = topo.run("status");
    ASSERT_TRUE(status.status.success()) << status.describe();
    EXPECT_EQ(lines(status.out).size(), 9u) << status.out;
    for (const auto& l : lines(status.out)) EXPECT_NE(l.find("running"), std::string::npos) << status.out;

    const std::string boot_a = trim(topo.run("bootstrap", "a").out), boot_b = trim(topo.run("bootstrap", "b").out);
    zk_reader zk(trim(topo.run("zk-connect").out));
    auto ports_a = ports_of(boot_a), ports_b = ports_of(boot_b);
    ASSERT_EQ(ports_a.size(), 3u) << boot_a;
    ASSERT_EQ(ports_b.size(), 3u) << boot_b;

    // Colliding broker ids: 1..3 registered in both chroots.
    EXPECT_EQ(zk.children("/brook-a/brokers/ids"), (std::vector<std::string>{"1", "2", "3"}));
    EXPECT_EQ(zk.children("/brook-b/brokers/ids"), (std::vector<std::string>{"1", "2", "3"}));
    auto root = zk.children("/");
    for (const auto& n : root) EXPECT_TRUE(n == "zookeeper" || n == "brook-a" || n == "brook-b") << "/" << n;

    // Topics are per cluster.
    ASSERT_EQ(topics_cmd(boot_a, {"--create", "--topic", "only-a", "--partitions", "3", "--replication-factor", "3"}).exit_code(), 0);
    ASSERT_EQ(topics_cmd(boot_b, {"--create", "--topic", "only-b", "--partitions", "3", "--replication-factor", "3"}).exit_code(), 0);
    auto va = wait_for_view(zk, "/brook-a", {}, [](const cluster_view& v) { return v.all_led_by_live_brokers("only-a"); }, 30s, "only-a led");
    auto vb = wait_for_view(zk, "/brook-b", {}, [](const cluster_view& v) { return v.all_led_by_live_brokers("only-b"); }, 30s, "only-b led");
    ASSERT_FALSE(::testing::Test::HasFailure());
    EXPECT_EQ(va.topics.count("only-b"), 0u);
    EXPECT_EQ(vb.topics.count("only-a"), 0u);
    EXPECT_EQ(trim(topics_cmd(boot_a, {"--list"}).out), "only-a");
    EXPECT_EQ(trim(topics_cmd(boot_b, {"--list"}).out), "only-b");
    for (const auto& [id, port] : ports_b) {
        auto md = fetch_metadata(port);
        EXPECT_EQ(md.topics.count("only-a"), 0u) << "cluster b broker " << id << " sees a's topic:\n" << md.describe();
    }
    EXPECT_TRUE(wait_metadata_matches(zk, "/brook-a", "only-a", ports_a));
    EXPECT_TRUE(wait_metadata_matches(zk, "/brook-b", "only-b", ports_b));
    EXPECT_TRUE(produce_and_consume(boot_a, "only-a", 3, 20, "a"));
    EXPECT_TRUE(produce_and_consume(boot_b, "only-b", 3, 20, "b"));

    // kill -9 cluster a's controller: a fails over, b does not notice.
    va = zk.cluster("/brook-a");
    vb = zk.cluster("/brook-b");
    int victim = va.controller;
    ASSERT_GT(victim, 0);
    pid_t pid = topo.pid("a-broker-" + std::to_string(victim));
    ASSERT_GT(pid, 0);
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    auto va2 = wait_for_view(zk, "/brook-a", {},
                             [&](const cluster_view& v) {
                                 return !v.has_broker(victim) && v.controller > 0 && v.controller != victim &&
                                        v.all_led_by_live_brokers("only-a") && v.led_by(victim).empty();
                             },
                             std::chrono::milliseconds(test_session_timeout_ms) + 15s, "cluster a failed over");
    ASSERT_FALSE(::testing::Test::HasFailure());
    EXPECT_EQ(va2.controller_epoch, va.controller_epoch + 1);

    auto vb2 = zk.cluster("/brook-b");
    EXPECT_EQ(vb2.brokers, vb.brokers) << "cluster b lost broker " << victim << " too";
    EXPECT_EQ(vb2.controller, vb.controller);
    EXPECT_EQ(vb2.controller_owner, vb.controller_owner);
    EXPECT_EQ(vb2.controller_epoch, vb.controller_epoch);
    for (const auto& [key, p] : vb.partitions) {
        const auto* now = vb2.partition(key.first, key.second);
        ASSERT_NE(now, nullptr);
        EXPECT_EQ(now->zk_version, p.zk_version) << key.first << "-" << key.second << " of cluster b was rewritten";
        EXPECT_EQ(now->leader, p.leader);
    }
    EXPECT_TRUE(metadata_matches(vb2, "only-b", ports_b));
    EXPECT_TRUE(produce_and_consume(boot_b, "only-b", 3, 20, "b-after-a-lost-one"));
    std::map<int, std::uint16_t> live_a;
    for (auto [id, port] : ports_a) {
        if (id != victim) live_a[id] = port;
    }
    EXPECT_TRUE(wait_metadata_matches(zk, "/brook-a", "only-a", live_a));

    // stop ends exactly the recorded processes and removes the pid files.
    std::vector<pid_t> pids;
    for (const char* m : {"zk-1", "zk-2", "zk-3", "a-broker-1", "a-broker-2", "a-broker-3", "b-broker-1", "b-broker-2",
                          "b-broker-3"}) {
        pids.push_back(topo.pid(m));
    }
    auto stopped = topo.run("stop");
    EXPECT_TRUE(stopped.status.success()) << stopped.describe();
    for (pid_t p : pids) {
        EXPECT_TRUE(wait_until([&] { return !process_exists(p); }, 10s)) << "pid " << p << " still running";
    }
    auto after = topo.run("status");
    for (const auto& l : lines(after.out)) EXPECT_NE(l.find("stopped"), std::string::npos) << after.out;
}

}  // namespace
}  // namespace integration
