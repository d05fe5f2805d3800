// Tests of the fixtures themselves: if these fail, integration failures mean nothing.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <thread>

#include "tests/support/broker_process.h"
#include "tests/support/fixture_error.h"
#include "tests/support/ports.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/zookeeper_ensemble.h"
#include "tests/support/zookeeper_server.h"

using namespace test_support;
using namespace std::chrono_literals;

namespace {
// Alive = exists and is not a zombie (pid 1 in a container may be slow to reap orphans).
bool alive(pid_t pid) {
    std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
    if (stat.empty()) return false;
    auto close_paren = stat.rfind(')');
    return close_paren != std::string::npos && stat.size() > close_paren + 2 &&
           stat[close_paren + 2] != 'Z';
}
}  // namespace

TEST(temp_dir, created_and_removed_recursively) {
    std::filesystem::path p;
    {
        temp_dir d("brook-selftest");
        p = d.path();
        ASSERT_TRUE(std::filesystem::is_directory(p));
        std::filesystem::create_directories(p / "a" / "b");
        write_file(d.file("a/b/c.txt"), "hello");
        EXPECT_EQ(read_file(d.file("a/b/c.txt")), "hello");
    }
    EXPECT_FALSE(std::filesystem::exists(p));
}

TEST(tail_file, returns_last_lines) {
    temp_dir d;
    write_file(d.file("f"), "1\n2\n3\n4\n");
    EXPECT_EQ(tail_file(d.file("f"), 2), "3\n4\n");
}

TEST(ports, free_port_is_not_listening_and_wait_times_out) {
    auto port = free_port();
    EXPECT_GT(port, 0);
    auto t0 = std::chrono::steady_clock::now();
    EXPECT_FALSE(wait_for_port(port, 300ms));
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 300ms);
}

TEST(run_command, captures_output_exit_code_and_stdin) {
    auto r = run_command({"sh", "-c", "echo out; echo err >&2; exit 3"});
    EXPECT_EQ(r.exit_code(), 3);
    EXPECT_EQ(r.out, "out\n");
    EXPECT_EQ(r.err, "err\n");
    EXPECT_FALSE(r.timed_out);

    std::string big(1 << 20, 'x');  // larger than a pipe buffer in both directions
    auto c = run_command({"cat"}, 30s, big);
    EXPECT_TRUE(c.status.success()) << c.describe();
    EXPECT_EQ(c.out.size(), big.size());
}

TEST(run_command, timeout_kills_the_child) {
    auto t0 = std::chrono::steady_clock::now();
    auto r = run_command({"sleep", "30"}, 300ms);
    EXPECT_TRUE(r.timed_out);
    EXPECT_FALSE(r.status.exited);
    EXPECT_EQ(r.status.signal, SIGKILL);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
}

TEST(run_command, missing_binary_exits_127) {
    auto r = run_command({"/nonexistent/brook-binary"});
    EXPECT_EQ(r.exit_code(), 127);
}

TEST(child_process, terminate_and_kill_by_pid) {
    temp_dir d;
    child_process p({"sleep", "30"}, d.file("log"));
    EXPECT_TRUE(p.running());
    auto s = p.terminate(5s);
    EXPECT_EQ(s.signal, SIGTERM);
    EXPECT_FALSE(p.running());
    EXPECT_FALSE(alive(p.pid()));

    child_process q({"sh", "-c", "trap '' TERM; sleep 30 & echo $! > " + d.file("grandchild") + "; wait"},
                    d.file("log2"));
    std::this_thread::sleep_for(200ms);  // let the trap be installed and the pid written
    auto k = q.terminate(300ms);         // ignores SIGTERM, so it must end by SIGKILL
    EXPECT_EQ(k.signal, SIGKILL);
    pid_t grandchild = std::stoi(read_file(d.file("grandchild")));
    std::this_thread::sleep_for(100ms);
    EXPECT_FALSE(alive(grandchild)) << "grandchild " << grandchild << " survived";
}

TEST(child_process, destructor_kills_running_child) {
    temp_dir d;
    pid_t pid;
    {
        child_process p({"sleep", "30"}, d.file("log"));
        pid = p.pid();
        EXPECT_TRUE(alive(pid));
    }
    EXPECT_FALSE(alive(pid));
}

TEST(broker_process, missing_binary_fails_with_reason) {
    broker_options o;
    o.server_binary = "/nonexistent/brook-server";
    o.zookeeper_connect = "127.0.0.1:1/x";
    try {
        broker_process b(o);
        FAIL() << "expected fixture_error";
    } catch (const fixture_error& e) {
        EXPECT_NE(std::string(e.what()).find("not found"), std::string::npos) << e.what();
    }
}

TEST(broker_process, dying_binary_fails_with_log_tail) {
    temp_dir d;
    std::string fake = d.file("fake-server.sh");
    write_file(fake, "#!/bin/sh\necho \"fake broker got $*\"\nexit 4\n");
    std::filesystem::permissions(fake, std::filesystem::perms::owner_all);
    broker_options o;
    o.server_binary = fake;
    o.zookeeper_connect = "127.0.0.1:1/x";
    o.overrides = {"message.max.bytes=1000"};
    try {
        broker_process b(o);
        FAIL() << "expected fixture_error";
    } catch (const fixture_error& e) {
        std::string what = e.what();
        EXPECT_NE(what.find("exit code 4"), std::string::npos) << what;
        EXPECT_NE(what.find("--override message.max.bytes=1000"), std::string::npos) << what;
    }
}

TEST(broker_process, listening_fake_is_ready_and_stops_cleanly) {
    // A python "broker" that reads its properties file and listens on the configured port:
    // checks config writing, readiness by TCP, SIGTERM -> exit 0 bookkeeping and restart.
    temp_dir d;
    std::string fake = d.file("fake-server.py");
    write_file(fake, R"(#!/usr/bin/python3
import socket, sys, signal
props = dict(l.strip().split("=", 1) for l in open(sys.argv[2]) if "=" in l and not l.startswith("#"))
port = int(props["listeners"].rsplit(":", 1)[1])
print("broker.id", props["broker.id"], "zk", props["zookeeper.connect"], "parts", props["num.partitions"], flush=True)
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port)); s.listen()
while True:
    c, _ = s.accept(); c.close()
)");
    std::filesystem::permissions(fake, std::filesystem::perms::owner_all);
    broker_options o;
    o.server_binary = fake;
    o.broker_id = 7;
    o.zookeeper_connect = "127.0.0.1:2181/brook-x";
    o.properties["num.partitions"] = "3";
    broker_process b(o);
    EXPECT_TRUE(b.running());
    EXPECT_TRUE(port_accepts(b.port()));
    auto port = b.port();
    b.restart();
    EXPECT_EQ(b.port(), port);
    EXPECT_TRUE(port_accepts(b.port()));
    auto s = b.stop();
    EXPECT_TRUE(s.success()) << s.to_string();
    EXPECT_FALSE(b.running());
    EXPECT_NE(b.log().find("broker.id 7 zk 127.0.0.1:2181/brook-x parts 3"), std::string::npos)
        << b.log();
}

class zookeeper_fixture : public ::testing::Test {
protected:
    static void SetUpTestSuite() { zk_ = new zookeeper_server(); }
    static void TearDownTestSuite() {
        delete zk_;
        zk_ = nullptr;
    }
    static zookeeper_server* zk_;
};
zookeeper_server* zookeeper_fixture::zk_ = nullptr;

TEST_F(zookeeper_fixture, answers_ruok_and_lists_root) {
    EXPECT_EQ(zk_->four_letter_word("ruok"), "imok");
    EXPECT_TRUE(zk_->exists("/zookeeper"));
    EXPECT_FALSE(zk_->exists("/brook-nothing"));
    auto root = zk_->children("/");
    EXPECT_NE(std::find(root.begin(), root.end(), "zookeeper"), root.end());
}

TEST_F(zookeeper_fixture, create_get_children_and_missing_nodes) {
    zk_->create("/brook-selftest/brokers/ids/1", R"({"version":5})");
    EXPECT_EQ(zk_->get("/brook-selftest/brokers/ids/1"), R"({"version":5})");
    EXPECT_EQ(zk_->children("/brook-selftest/brokers/ids"), std::vector<std::string>{"1"});
    EXPECT_EQ(zk_->ephemeral_owner("/brook-selftest/brokers/ids/1"), 0);
    EXPECT_EQ(zk_->ephemeral_owner("/brook-selftest/none"), std::nullopt);
    EXPECT_THROW(zk_->children("/brook-selftest/none"), fixture_error);
    EXPECT_THROW(zk_->get("/brook-selftest/none"), fixture_error);
    EXPECT_NE(zk_->dump("/brook-selftest").find("ids"), std::string::npos);
}

TEST_F(zookeeper_fixture, cluster_view_reads_brokers_controller_epoch_and_states) {
    const std::string c = "/brook-selftest-view";
    auto zk = zk_->reader();
    zk.create(c + "/brokers/ids/2", "{}");
    zk.create(c + "/brokers/ids/10", "{}");
    zk.create(c + "/controller", R"({"version":1,"brokerid":10,"timestamp":"1"})");
    zk.create(c + "/controller_epoch", "7");
    zk.create(c + "/brokers/topics/t", R"({"version":2,"partitions":{"0":[2,10],"1":[10,2],"2":[2]}})");
    zk.create(c + "/brokers/topics/t/partitions/0/state",
              R"({"controller_epoch":7,"leader":2,"version":1,"leader_epoch":3,"isr":[2,10]})");
    zk.create(c + "/brokers/topics/t/partitions/1/state",
              R"({"controller_epoch":6,"leader":-1,"version":1,"leader_epoch":0,"isr":[10]})");
    zk.set(c + "/brokers/topics/t/partitions/1/state",
           R"({"controller_epoch":7,"leader":10,"version":1,"leader_epoch":1,"isr":[10]})");
    auto v = zk.cluster(c);
    EXPECT_EQ(v.brokers, (std::vector<int>{2, 10}));
    EXPECT_EQ(v.controller, 10);
    EXPECT_EQ(v.controller_owner, 0);  // created persistent here
    EXPECT_EQ(v.controller_epoch, 7);
    EXPECT_EQ(v.controller_epoch_version, 0);
    EXPECT_GT(v.ids_pzxid, 0);
    ASSERT_EQ(v.topics.count("t"), 1u);
    EXPECT_EQ(v.topics.at("t"), 3);
    ASSERT_EQ(v.partitions.size(), 3u) << v.describe();
    const auto* p0 = v.partition("t", 0);
    ASSERT_NE(p0, nullptr);
    EXPECT_EQ(p0->leader, 2);
    EXPECT_EQ(p0->leader_epoch, 3);
    EXPECT_EQ(p0->controller_epoch, 7);
    EXPECT_EQ(p0->isr, (std::vector<int>{2, 10}));
    EXPECT_EQ(p0->replicas, (std::vector<int>{2, 10}));
    EXPECT_EQ(p0->zk_version, 0);
    const auto* p1 = v.partition("t", 1);
    ASSERT_NE(p1, nullptr);
    EXPECT_EQ(p1->zk_version, 1);
    EXPECT_GT(p1->mzxid, p0->mzxid);
    EXPECT_EQ(v.partition("t", 2)->leader, -2);  // no state znode
    EXPECT_FALSE(v.all_led_by_live_brokers("t"));
    EXPECT_EQ(v.leader_counts(), (std::map<int, int>{{2, 1}, {10, 1}}));
    EXPECT_EQ(v.led_by(10).size(), 1u);
    zk.create(c + "/brokers/topics/t/partitions/2/state",
              R"({"controller_epoch":7,"leader":2,"version":1,"leader_epoch":0,"isr":[2]})");
    EXPECT_TRUE(zk.cluster(c, {"t"}).all_led_by_live_brokers("t"));
    zk.remove(c + "/brokers/ids/2");
    auto after = zk.cluster(c, {"t"});
    EXPECT_FALSE(after.all_led_by_live_brokers("t"));
    EXPECT_GT(after.ids_pzxid, v.ids_pzxid);  // child deletion moves the parent's pzxid
    // An empty chroot reads as nothing, not as an error.
    auto empty = zk.cluster("/brook-selftest-nothing");
    EXPECT_TRUE(empty.brokers.empty());
    EXPECT_EQ(empty.controller, -1);
    EXPECT_EQ(empty.controller_epoch, -1);
}

TEST(zookeeper_ensemble, three_members_replicate_and_survive_losing_the_leader) {
    zookeeper_ensemble zk;
    ASSERT_EQ(zk.size(), 3u);
    auto leader = zk.leader();
    ASSERT_TRUE(leader.has_value()) << zk.log_tails();
    int followers = 0;
    for (std::size_t i = 0; i < 3; ++i) followers += zk.mode(i) == "follower";
    EXPECT_EQ(followers, 2);
    const std::string hosts = zk.connect_string();
    EXPECT_EQ(std::count(hosts.begin(), hosts.end(), ','), 2) << hosts;

    // Written through one member, read through another.
    zk_reader(zk.connect_string(0)).create("/brook-ensemble/a", "1");
    EXPECT_EQ(zk_reader(zk.connect_string(2)).get("/brook-ensemble/a"), "1");

    zk.stop(*leader);
    EXPECT_FALSE(zk.running(*leader));
    EXPECT_EQ(zk.mode(*leader), "");
    ASSERT_TRUE(zk.wait_until_serving(std::chrono::seconds(30))) << zk.log_tails();
    auto next = zk.leader();
    ASSERT_TRUE(next.has_value());
    EXPECT_NE(*next, *leader);
    zk.reader().create("/brook-ensemble/b", "2");  // two of three still make a quorum

    zk.start(*leader);
    EXPECT_EQ(zk.mode(*leader), "follower");
    EXPECT_EQ(zk_reader(zk.connect_string(*leader)).get("/brook-ensemble/b"), "2");
}

TEST(broker_process, suspend_and_resume_freeze_the_process) {
    temp_dir d;
    std::string fake = d.file("fake-server.py");
    write_file(fake, R"(#!/usr/bin/python3
import socket, sys, signal, threading, time
props = dict(l.strip().split("=", 1) for l in open(sys.argv[2]) if "=" in l and not l.startswith("#"))
print("session", props["zookeeper.session.timeout.ms"], flush=True)
port = int(props["listeners"].rsplit(":", 1)[1])
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
def tick():
    n = 0
    while True:
        n += 1; open(sys.argv[2] + ".ticks", "w").write(str(n)); time.sleep(0.02)
threading.Thread(target=tick, daemon=True).start()
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port)); s.listen()
while True:
    c, _ = s.accept(); c.close()
)");
    std::filesystem::permissions(fake, std::filesystem::perms::owner_all);
    broker_options o;
    o.server_binary = fake;
    o.zookeeper_connect = "127.0.0.1:1/x";
    o.session_timeout_ms = 4000;
    broker_process b(o);
    EXPECT_EQ(b.session_timeout_ms(), 4000);
    auto ticks = [&] { return read_file(b.config_path() + ".ticks"); };
    std::this_thread::sleep_for(200ms);
    b.suspend();
    std::this_thread::sleep_for(100ms);  // a write in progress finishes before the stop lands
    auto frozen = ticks();
    std::this_thread::sleep_for(300ms);
    EXPECT_EQ(ticks(), frozen) << "a SIGSTOPped process must not run";
    EXPECT_TRUE(b.running());
    b.resume();
    std::this_thread::sleep_for(300ms);
    EXPECT_NE(ticks(), frozen);
    EXPECT_TRUE(b.stop().success());
    EXPECT_NE(b.log().find("session 4000"), std::string::npos) << b.log();
}

TEST(broker_process, binary_paths_follow_the_environment) {
    const char* before = std::getenv("BROOK_SERVER_BINARY");
    std::string saved = before != nullptr ? before : "";
    ::setenv("BROOK_SERVER_BINARY", "/elsewhere/brook-server", 1);
    EXPECT_EQ(brook_server_binary(), "/elsewhere/brook-server");
    ::unsetenv("BROOK_SERVER_BINARY");
    EXPECT_EQ(brook_server_binary(), BROOK_SERVER_BINARY);
    if (before != nullptr) ::setenv("BROOK_SERVER_BINARY", saved.c_str(), 1);
}

TEST(zookeeper_server, stop_frees_port_and_start_again_keeps_data) {
    zookeeper_server zk;
    zk.create("/keep", "v");
    auto port = zk.port();
    zk.stop();
    EXPECT_FALSE(zk.running());
    EXPECT_FALSE(port_accepts(port));
    zk.start();
    EXPECT_EQ(zk.get("/keep"), "v");
}
