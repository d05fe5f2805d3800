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

}  // namespace

std::vector<std::string> zookeeper_java_argv(const std::string& main_class, const std::string& config) {
    return {"/usr/bin/java", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
            "-Dorg.slf4j.simpleLogger.showDateTime=true", "-Dzookeeper.jmx.log4j.disable=true",
            "-cp", zookeeper_classpath, main_class, config};
}

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
        zookeeper_java_argv("org.apache.zookeeper.server.ZooKeeperServerMain", dir_.file("zoo.cfg")),
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
    return zookeeper_four_letter_word(port_, word);
}

std::string zookeeper_four_letter_word(std::uint16_t port, const std::string& word) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return {};
    timeval tv{2, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
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

zk_reader zookeeper_server::reader() const { return zk_reader(connect_string()); }

std::vector<std::string> zookeeper_server::children(const std::string& path) const {
    return reader().children(path);
}

bool zookeeper_server::exists(const std::string& path) const { return reader().exists(path); }

std::string zookeeper_server::get(const std::string& path) const { return reader().get(path); }

std::optional<std::int64_t> zookeeper_server::ephemeral_owner(const std::string& path) const {
    return reader().ephemeral_owner(path);
}

std::string zookeeper_server::dump(const std::string& path) const { return reader().dump(path); }

void zookeeper_server::create(const std::string& path, const std::string& data) const {
    reader().create(path, data);
}

}  // namespace test_support
