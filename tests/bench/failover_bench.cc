// brook-failover-bench: how long leadership failover takes, and how much of it is ZooKeeper's
// session timeout.
//
// Starts its own ZooKeeper and --brokers brook-server processes (tests/support fixtures, temp
// dirs, everything killed on exit) with zookeeper.session.timeout.ms = --session-timeout-ms,
// creates a topic of --partitions partitions with replication factor --replication-factor, waits
// until every partition has a leader, then kill -9s the broker leading the most partitions
// (--kill-controller: the controller instead, to measure controller failover as well). A
// separate python/kazoo process (tests/support/zk_tool.py monitor), connected before the kill,
// timestamps with CLOCK_MONOTONIC (the clock of std::chrono::steady_clock):
//   - the victim's /brokers/ids/<id> disappearing (ZooKeeper expired the session),
//   - /controller and /controller_epoch changing,
//   - the first poll (every partition state read in one pipelined round) in which no partition is
//     led by the victim and every leader is a registered broker.
// Prints the three times from the kill, and the controller's own share (leaders moved minus
// session expiry). A program, not a test: it prints figures.
#include <signal.h>
#include <time.h>

#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/broker_process.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/zk_reader.h"
#include "tests/support/zookeeper_server.h"

namespace {

namespace po = boost::program_options;
using namespace test_support;

struct bench_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

double monotonic_now() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

struct monitor_events {
    std::optional<double> ready, victim_gone, leaders_moved, poll_ms;
    std::optional<double> controller_at;
    int controller = -1, epoch = -1;
};

monitor_events parse_monitor(const std::string& text, double after, int victim) {
    monitor_events e;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        std::string kind;
        double t = 0;
        ls >> kind >> t;
        if (ls.fail()) continue;
        if (kind == "ready") e.ready = t;
        if (kind == "poll") ls >> *(e.poll_ms = 0.0);
        if (t < after) continue;
        if (kind == "victim_gone" && !e.victim_gone) e.victim_gone = t;
        if (kind == "leaders_moved" && !e.leaders_moved) e.leaders_moved = t;
        if (kind == "controller") {
            int id = -1, epoch = -1;
            ls >> id >> epoch;
            if (id >= 0 && id != victim && !e.controller_at) {
                e.controller_at = t;
                e.controller = id;
                e.epoch = epoch;
            }
        }
    }
    return e;
}

int run(int argc, char** argv) {
    int brokers = 3, partitions = 1000, replication = 3, session_timeout_ms = 4000;
    bool kill_controller = false;
    po::options_description desc("brook-failover-bench options");
    desc.add_options()("help,h", "this help")
        ("brokers", po::value(&brokers)->default_value(3), "number of brokers")
        ("partitions", po::value(&partitions)->default_value(1000), "partitions of the topic")
        ("replication-factor", po::value(&replication)->default_value(3), "replication factor")
        ("session-timeout-ms", po::value(&session_timeout_ms)->default_value(4000), "zookeeper.session.timeout.ms")
        ("kill-controller", po::bool_switch(&kill_controller), "kill the controller instead of the busiest leader");
    po::variables_map vm;
    po::store(po::parse_command_line(argc, argv, desc), vm);
    if (vm.count("help")) {
        std::cout << desc << "\n";
        return 0;
    }
    po::notify(vm);

    const std::string chroot = "/brook-failover-bench", topic = "failover-bench";
    std::cout << "starting ZooKeeper and " << brokers << " brokers (session timeout " << session_timeout_ms << " ms)\n";
    zookeeper_server zk;
    std::vector<std::unique_ptr<broker_process>> procs;
    for (int id = 1; id <= brokers; ++id) {
        broker_options o;
        o.broker_id = id;
        o.zookeeper_connect = zk.connect_string() + chroot;
        o.session_timeout_ms = session_timeout_ms;
        o.properties["auto.leader.rebalance.enable"] = "false";
        procs.push_back(std::make_unique<broker_process>(o));
    }
    auto reader = zk.reader();
    auto t0 = std::chrono::steady_clock::now();
    auto created = run_command({brook_topics_binary(), "--bootstrap-server", procs[0]->bootstrap(), "--create", "--topic",
                                topic, "--partitions", std::to_string(partitions), "--replication-factor",
                                std::to_string(replication)},
                               std::chrono::seconds(300));
    if (!created.status.success()) throw bench_error("brook-topics --create: " + created.describe());
    cluster_view v;
    while (true) {
        v = reader.cluster(chroot, {topic});
        if (v.all_led_by_live_brokers(topic)) break;
        if (std::chrono::steady_clock::now() - t0 > std::chrono::seconds(300)) {
            throw bench_error("not every partition has a leader after 300 s");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    auto lead_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
    std::cout << "topic " << topic << ": " << partitions << " partitions x RF " << replication
              << " created and led in " << lead_ms << " ms; leaders per broker:";
    int victim = -1, most = 0;
    for (auto [id, n] : v.leader_counts()) {
        std::cout << " " << id << ":" << n;
        if (n > most) most = n, victim = id;
    }
    std::cout << "; controller " << v.controller << " (epoch " << v.controller_epoch << ")\n";
    if (kill_controller) victim = v.controller, most = v.leader_counts()[victim];
    const bool was_controller = victim == v.controller;

    temp_dir mon_dir("brook-failover-monitor");
    const std::string mon_log = mon_dir.file("monitor.log");
    child_process monitor(reader.tool_argv("monitor", {chroot, topic, std::to_string(victim), "20"}), mon_log);
    for (int i = 0; !parse_monitor(read_file(mon_log), 0, victim).ready; ++i) {
        if (!monitor.running() || i > 600) throw bench_error("monitor did not start: " + read_file(mon_log));
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }

    std::cout << "kill -9 broker " << victim << " (leads " << most << " partitions"
              << (was_controller ? ", controller" : "") << ")\n";
    double killed = monotonic_now();
    procs[static_cast<std::size_t>(victim - 1)]->kill();
    monitor_events e;
    while (true) {
        e = parse_monitor(read_file(mon_log), killed, victim);
        bool done = e.leaders_moved && (!was_controller || e.controller_at);
        if (done) break;
        if (monotonic_now() - killed > session_timeout_ms / 1000.0 + 300) {
            throw bench_error("no complete failover within session timeout + 300 s; monitor log:\n" + read_file(mon_log));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    monitor.kill();
    auto ms = [&](double t) { return (t - killed) * 1000.0; };
    std::printf("session expiry detected (registration gone): %8.0f ms after kill\n", ms(*e.victim_gone));
    if (was_controller) {
        std::printf("controller failover (broker %d, epoch %d):    %8.0f ms after kill (%.0f ms after expiry)\n",
                    e.controller, e.epoch, ms(*e.controller_at), ms(*e.controller_at) - ms(*e.victim_gone));
    }
    std::printf("all %d partitions led by live brokers:      %8.0f ms after kill (%.0f ms after expiry)\n",
                partitions, ms(*e.leaders_moved), ms(*e.leaders_moved) - ms(*e.victim_gone));
    std::printf("(poll resolution: one pass over all partition states takes %.0f ms, repeated every 20 ms)\n",
                e.poll_ms.value_or(-1));
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::cerr << "brook-failover-bench: " << e.what() << "\n";
        return 1;
    }
}
