#include "tests/support/broker_process.h"

#include <gtest/gtest.h>

#include <signal.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "tests/support/fixture_error.h"
#include "tests/support/ports.h"

namespace test_support {

namespace {
std::string env_or(const char* name, const char* fallback) {
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0' ? v : fallback;
}
}  // namespace

std::string brook_server_binary() { return env_or("BROOK_SERVER_BINARY", BROOK_SERVER_BINARY); }
std::string brook_topics_binary() { return env_or("BROOK_TOPICS_BINARY", BROOK_TOPICS_BINARY); }

broker_process::broker_process(broker_options opts)
    : opts_(std::move(opts)),
      dir_("brook-broker" + std::to_string(opts_.broker_id)),
      port_(opts_.port != 0 ? opts_.port : free_port()) {
    std::filesystem::create_directories(log_dir());
    write_config();
    start();
}

broker_process::~broker_process() {
    if (::testing::Test::HasFailure()) {
        std::cerr << "---- broker " << opts_.broker_id << " log tail (" << log_path() << ") ----\n"
                  << log_tail() << "---- end of broker " << opts_.broker_id << " log ----\n";
    }
    if (proc_) proc_->kill();
}

void broker_process::write_config() const {
    std::map<std::string, std::string> props{
        {"broker.id", std::to_string(opts_.broker_id)},
        {"listeners", "PLAINTEXT://" + bootstrap()},
        {"log.dirs", log_dir()},
        {"zookeeper.connect", opts_.zookeeper_connect},
        {"zookeeper.session.timeout.ms", std::to_string(opts_.session_timeout_ms)},
        {"num.partitions", "1"},
        {"default.replication.factor", "1"},
        {"offsets.topic.replication.factor", "1"},
        {"auto.create.topics.enable", "true"},
        {"delete.topic.enable", "true"},
    };
    for (const auto& [k, v] : opts_.properties) props[k] = v;
    std::ostringstream out;
    out << "# written by tests/support/broker_process\n";
    for (const auto& [k, v] : props) out << k << "=" << v << "\n";
    write_file(config_path(), out.str());
}

std::string broker_process::log_path() const {
    return dir_.file("broker-" + std::to_string(opts_.broker_id) + ".log");
}

std::string broker_process::log() const { return read_file(log_path()); }

std::string broker_process::log_tail(std::size_t lines) const { return tail_file(log_path(), lines); }

pid_t broker_process::pid() const { return proc_ ? proc_->pid() : -1; }

bool broker_process::running() { return proc_ && proc_->running(); }

void broker_process::start() {
    if (running()) return;
    if (!std::filesystem::exists(opts_.server_binary)) {
        throw fixture_error("brook-server binary not found at " + opts_.server_binary +
                            " (build the brook-server target)");
    }
    std::vector<std::string> argv{opts_.server_binary, "--config", config_path()};
    for (const auto& o : opts_.overrides) {
        argv.push_back("--override");
        argv.push_back(o);
    }
    {
        std::ofstream marker(log_path(), std::ios::app);
        marker << "==== test_support: starting " << join_argv(argv) << "\n";
    }
    proc_ = std::make_unique<child_process>(argv, log_path(), dir_.str());
    auto deadline = std::chrono::steady_clock::now() + opts_.start_timeout;
    while (true) {
        if (!proc_->running()) {
            throw fixture_error("brook-server " + std::to_string(opts_.broker_id) +
                                " exited while starting (" + proc_->status()->to_string() +
                                "), log " + log_path() + ":\n" + log_tail());
        }
        if (port_accepts(port_)) return;
        if (std::chrono::steady_clock::now() >= deadline) {
            proc_->kill();
            throw fixture_error("brook-server " + std::to_string(opts_.broker_id) +
                                " did not accept on " + bootstrap() + " within " +
                                std::to_string(opts_.start_timeout.count()) + " ms, log " +
                                log_path() + ":\n" + log_tail());
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

exit_status broker_process::stop(std::chrono::milliseconds grace) {
    if (!proc_) return {};
    bool was_running = proc_->running();
    if (!was_running) {
        ADD_FAILURE() << "brook-server " << opts_.broker_id << " was already dead at stop() ("
                      << proc_->status()->to_string() << "), log tail:\n" << log_tail();
        return *proc_->status();
    }
    ::kill(proc_->pid(), SIGTERM);
    auto s = proc_->wait_for_exit(grace);
    if (!s) {
        auto killed = proc_->kill();
        ADD_FAILURE() << "brook-server " << opts_.broker_id << " ignored SIGTERM for "
                      << grace.count() << " ms and was SIGKILLed; log tail:\n" << log_tail();
        return killed;
    }
    if (!s->success()) {
        ADD_FAILURE() << "brook-server " << opts_.broker_id << " stopped with " << s->to_string()
                      << " (expected exit code 0); log tail:\n" << log_tail();
    }
    return *s;
}

exit_status broker_process::kill() {
    if (!proc_) return {};
    return proc_->kill();
}

void broker_process::send_signal(int sig) {
    if (proc_ && proc_->running()) ::kill(proc_->pid(), sig);
}

std::optional<exit_status> broker_process::wait_for_exit(std::chrono::milliseconds timeout) {
    if (!proc_) return exit_status{};
    return proc_->wait_for_exit(timeout);
}

void broker_process::suspend() {
    if (!running()) throw fixture_error("suspend: brook-server " + std::to_string(opts_.broker_id) + " is not running");
    ::kill(proc_->pid(), SIGSTOP);
}

void broker_process::resume() {
    if (proc_) ::kill(proc_->pid(), SIGCONT);
}

void broker_process::restart() {
    if (running()) stop();
    start();
}

}  // namespace test_support
