#include "tests/support/zookeeper_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <thread>

#include "tests/support/fixture_error.h"
#include "tests/support/ports.h"

namespace test_support {
namespace {

// zookeeper.jar's manifest Class-Path names every runtime dependency in /usr/share/java
// (jute, netty, jetty, metrics, slf4j-api, ...); slf4j-api alone binds to NOP, so slf4j-simple
// is added to get a readable server log on stderr.
constexpr const char* zookeeper_classpath =
    "/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar";

// One kazoo session per call: python start-up plus connect is ~0.1-0.2 s, fine for assertions.
// Exit codes: 0 ok, 3 no such node, 2 anything else (message on stderr).
constexpr const char* kazoo_script = R"PY(
import sys
from kazoo.client import KazooClient
from kazoo.exceptions import NoNodeError
hosts, op, path = sys.argv[1], sys.argv[2], sys.argv[3]
data = sys.argv[4].encode() if len(sys.argv) > 4 else b""
zk = KazooClient(hosts=hosts, timeout=10.0)
try:
    zk.start(timeout=10)
except Exception as e:
    sys.stderr.write("kazoo cannot connect to %s: %r\n" % (hosts, e)); sys.exit(2)
out = sys.stdout.buffer
def dump(p, depth):
    name = p.rsplit("/", 1)[-1] or "/"
    value, stat = zk.get(p)
    shown = value.decode("utf-8", "replace")
    if len(shown) > 200: shown = shown[:200] + "..."
    eph = " (ephemeral)" if stat.ephemeralOwner else ""
    out.write(("%s%s%s %s\n" % ("  " * depth, name, eph, shown)).encode())
    for c in sorted(zk.get_children(p)):
        dump((p.rstrip("/") + "/" + c), depth + 1)
try:
    if op == "children":
        out.write("\n".join(sorted(zk.get_children(path))).encode())
    elif op == "exists":
        out.write(b"1" if zk.exists(path) else b"0")
    elif op == "get":
        out.write(zk.get(path)[0] or b"")
    elif op == "owner":
        st = zk.exists(path)
        if st is None: raise NoNodeError()
        out.write(str(st.ephemeralOwner).encode())
    elif op == "dump":
        dump(path, 0)
    elif op == "create":
        zk.create(path, data, makepath=True)
    else:
        sys.stderr.write("unknown op " + op + "\n"); sys.exit(2)
except NoNodeError:
    sys.stderr.write("no node " + path + "\n"); sys.exit(3)
finally:
    zk.stop(); zk.close()
)PY";

}  // namespace

zookeeper_server::zookeeper_server() : zookeeper_server(options{}) {}

zookeeper_server::zookeeper_server(options opts) : opts_(opts), dir_("brook-zk") {
    port_ = free_port();
    std::filesystem::create_directories(dir_.path() / "data");
    std::ostringstream cfg;
    cfg << "tickTime=" << opts_.tick_time_ms << "\n"
        << "dataDir=" << (dir_.path() / "data").string() << "\n"
        << "clientPort=" << port_ << "\n"
        << "clientPortAddress=127.0.0.1\n"
        << "maxClientCnxns=0\n"
        << "admin.enableServer=false\n"
        << "4lw.commands.whitelist=*\n"
        << "maxSessionTimeout=" << opts_.max_session_timeout_ms << "\n"
        << "autopurge.purgeInterval=0\n";
    write_file(dir_.file("zoo.cfg"), cfg.str());
    start();
}

zookeeper_server::~zookeeper_server() { stop(); }

void zookeeper_server::start() {
    if (proc_ && proc_->running()) return;
    proc_ = std::make_unique<child_process>(
        std::vector<std::string>{"/usr/bin/java", "-Xmx256m", "-XX:+UseSerialGC",
                                 "-XX:TieredStopAtLevel=1",
                                 "-Dorg.slf4j.simpleLogger.showDateTime=true",
                                 "-Dzookeeper.jmx.log4j.disable=true", "-cp", zookeeper_classpath,
                                 "org.apache.zookeeper.server.ZooKeeperServerMain",
                                 dir_.file("zoo.cfg")},
        log_path(), dir_.str());
    auto deadline = std::chrono::steady_clock::now() + opts_.start_timeout;
    while (true) {
        if (!proc_->running()) {
            throw fixture_error("ZooKeeper exited while starting (" + proc_->status()->to_string() +
                                "), log " + log_path() + ":\n" + log_tail());
        }
        if (four_letter_word("ruok") == "imok") return;
        if (std::chrono::steady_clock::now() >= deadline) {
            proc_->kill();
            throw fixture_error("ZooKeeper did not answer ruok on 127.0.0.1:" +
                                std::to_string(port_) + " within " +
                                std::to_string(opts_.start_timeout.count()) + " ms, log " +
                                log_path() + ":\n" + log_tail());
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

void zookeeper_server::stop() {
    if (proc_) proc_->terminate(std::chrono::seconds(10));
}

bool zookeeper_server::running() { return proc_ && proc_->running(); }

std::string zookeeper_server::connect_string() const {
    return "127.0.0.1:" + std::to_string(port_);
}

std::string zookeeper_server::log_path() const { return dir_.file("zookeeper.log"); }

std::string zookeeper_server::log_tail(std::size_t lines) const {
    return tail_file(log_path(), lines);
}

std::string zookeeper_server::four_letter_word(const std::string& word) const {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return {};
    timeval tv{2, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port_);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::string answer;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
        ::write(fd, word.data(), word.size()) == static_cast<ssize_t>(word.size())) {
        char buf[4096];
        ssize_t n;
        while ((n = ::read(fd, buf, sizeof buf)) > 0) answer.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return answer;
}

std::string zookeeper_server::kazoo(const std::string& op, const std::string& path,
                                    const std::string& data) const {
    std::vector<std::string> argv{"/usr/bin/python3", "-c", kazoo_script, connect_string(), op, path};
    if (!data.empty()) argv.push_back(data);
    auto r = run_command(argv, std::chrono::seconds(30));
    if (r.exit_code() == 3) throw fixture_error("znode " + path + " does not exist");
    if (!r.status.success()) {
        throw fixture_error("kazoo " + op + " " + path + " failed: " + r.describe());
    }
    return r.out;
}

std::vector<std::string> zookeeper_server::children(const std::string& path) const {
    std::string out = kazoo("children", path);
    std::vector<std::string> names;
    std::istringstream in(out);
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty()) names.push_back(line);
    }
    std::sort(names.begin(), names.end());
    return names;
}

bool zookeeper_server::exists(const std::string& path) const { return kazoo("exists", path) == "1"; }

std::string zookeeper_server::get(const std::string& path) const { return kazoo("get", path); }

std::optional<std::int64_t> zookeeper_server::ephemeral_owner(const std::string& path) const {
    try {
        return std::stoll(kazoo("owner", path));
    } catch (const fixture_error& e) {
        if (std::string(e.what()).find("does not exist") != std::string::npos) return std::nullopt;
        throw;
    }
}

std::string zookeeper_server::dump(const std::string& path) const { return kazoo("dump", path); }

void zookeeper_server::create(const std::string& path, const std::string& data) const {
    kazoo("create", path, data);
}

}  // namespace test_support
