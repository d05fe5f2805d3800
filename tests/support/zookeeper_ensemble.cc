#include "tests/support/zookeeper_ensemble.h"

#include <filesystem>
#include <set>
#include <sstream>
#include <thread>

#include "tests/support/fixture_error.h"
#include "tests/support/ports.h"
#include "tests/support/zookeeper_server.h"

namespace test_support {

zookeeper_ensemble::zookeeper_ensemble() : zookeeper_ensemble(options{}) {}

zookeeper_ensemble::zookeeper_ensemble(options opts) : opts_(opts), dir_("brook-zk-ensemble") {
    if (opts_.size == 0) throw fixture_error("zookeeper_ensemble: size 0");
    // Three ports per member, all distinct (free_port() alone could hand out one twice).
    std::set<std::uint16_t> taken;
    auto fresh = [&] {
        while (true) {
            auto p = free_port();
            if (taken.insert(p).second) return p;
        }
    };
    members_.resize(opts_.size);
    for (auto& m : members_) {
        m.client_port = fresh();
        m.peer_port = fresh();
        m.election_port = fresh();
    }
    for (std::size_t i = 0; i < size(); ++i) {
        std::filesystem::create_directories(member_dir(i) + "/data");
        // myid = i + 1, matching the server.<i+1> line below.
        write_file(member_dir(i) + "/data/myid", std::to_string(i + 1) + "\n");
        std::ostringstream cfg;
        cfg << "tickTime=" << opts_.tick_time_ms << "\n"
            << "initLimit=20\n"
            << "syncLimit=10\n"
            << "dataDir=" << member_dir(i) << "/data\n"
            << "clientPort=" << members_[i].client_port << "\n"
            << "clientPortAddress=127.0.0.1\n"
            << "maxClientCnxns=0\n"
            << "admin.enableServer=false\n"
            << "4lw.commands.whitelist=*\n"
            << "maxSessionTimeout=" << opts_.max_session_timeout_ms << "\n"
            << "autopurge.purgeInterval=0\n"
            << "quorumListenOnAllIPs=false\n";
        for (std::size_t j = 0; j < size(); ++j) {
            cfg << "server." << (j + 1) << "=127.0.0.1:" << members_[j].peer_port << ":"
                << members_[j].election_port << "\n";
        }
        write_file(member_dir(i) + "/zoo.cfg", cfg.str());
    }
    for (std::size_t i = 0; i < size(); ++i) spawn(i);
    if (!wait_until_serving(opts_.start_timeout)) {
        std::string tails = log_tails(30);
        for (auto& m : members_) m.proc->kill();
        throw fixture_error("ZooKeeper ensemble of " + std::to_string(size()) +
                            " did not form a quorum within " +
                            std::to_string(opts_.start_timeout.count()) + " ms:\n" + tails);
    }
}

zookeeper_ensemble::~zookeeper_ensemble() {
    for (std::size_t i = 0; i < size(); ++i) stop(i);
}

std::string zookeeper_ensemble::member_dir(std::size_t i) const {
    return dir_.file("zk" + std::to_string(i + 1));
}

std::string zookeeper_ensemble::log_path(std::size_t i) const { return member_dir(i) + "/zookeeper.log"; }

std::string zookeeper_ensemble::log_tail(std::size_t i, std::size_t lines) const {
    return tail_file(log_path(i), lines);
}

std::string zookeeper_ensemble::log_tails(std::size_t lines) const {
    std::string out;
    for (std::size_t i = 0; i < size(); ++i) {
        out += "---- zookeeper " + std::to_string(i + 1) + " (" + log_path(i) + ") ----\n" +
               log_tail(i, lines);
    }
    return out;
}

void zookeeper_ensemble::spawn(std::size_t i) {
    members_.at(i).proc = std::make_unique<child_process>(
        zookeeper_java_argv("org.apache.zookeeper.server.quorum.QuorumPeerMain", member_dir(i) + "/zoo.cfg"),
        log_path(i), member_dir(i));
}

std::string zookeeper_ensemble::connect_string() const {
    std::string s;
    for (std::size_t i = 0; i < size(); ++i) s += (i ? "," : "") + connect_string(i);
    return s;
}

std::string zookeeper_ensemble::connect_string(std::size_t i) const {
    return "127.0.0.1:" + std::to_string(members_.at(i).client_port);
}

bool zookeeper_ensemble::running(std::size_t i) {
    auto& m = members_.at(i);
    return m.proc && m.proc->running();
}

void zookeeper_ensemble::stop(std::size_t i) {
    auto& m = members_.at(i);
    if (m.proc) m.proc->terminate(std::chrono::seconds(10));
}

void zookeeper_ensemble::start(std::size_t i) {
    if (running(i)) return;
    spawn(i);
    auto deadline = std::chrono::steady_clock::now() + opts_.start_timeout;
    while (mode(i).empty()) {
        if (!running(i)) {
            throw fixture_error("ZooKeeper " + std::to_string(i + 1) + " exited while starting (" +
                                members_[i].proc->status()->to_string() + "):\n" + log_tail(i));
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            throw fixture_error("ZooKeeper " + std::to_string(i + 1) + " did not rejoin within " +
                                std::to_string(opts_.start_timeout.count()) + " ms:\n" + log_tail(i));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
}

std::string zookeeper_ensemble::mode(std::size_t i) const {
    // srvr answers "... Mode: follower\n ..." while serving, and "This ZooKeeper instance is not
    // currently serving requests" while it looks for a quorum.
    std::string answer = zookeeper_four_letter_word(members_.at(i).client_port, "srvr");
    auto at = answer.find("Mode: ");
    if (at == std::string::npos) return {};
    auto end = answer.find('\n', at);
    return answer.substr(at + 6, end == std::string::npos ? std::string::npos : end - at - 6);
}

std::optional<std::size_t> zookeeper_ensemble::leader() const {
    for (std::size_t i = 0; i < size(); ++i) {
        if (mode(i) == "leader") return i;
    }
    return std::nullopt;
}

bool zookeeper_ensemble::wait_until_serving(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        bool all = true, has_leader = false;
        for (std::size_t i = 0; i < size(); ++i) {
            if (!running(i)) continue;
            auto m = mode(i);
            if (m.empty()) all = false;
            if (m == "leader") has_leader = true;
        }
        if (all && has_leader) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
}

}  // namespace test_support
