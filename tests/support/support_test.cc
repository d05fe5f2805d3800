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
