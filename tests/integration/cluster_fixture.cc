#include "tests/integration/cluster_fixture.h"

#include <fstream>

#include <filesystem>

#include <cctype>
#include <sstream>
#include <thread>

namespace integration {

using namespace test_support;

zookeeper_server* cluster_test::zk_ = nullptr;
std::string cluster_test::zk_error_;

void cluster_test::SetUpTestSuite() {
    if (zk_ != nullptr) return;
    try {
        zk_ = new zookeeper_server();
    } catch (const std::exception& e) {
        zk_error_ = e.what();  // every test of the suite fails with it in SetUp
    }
}

void cluster_test::SetUp() {
    ASSERT_NE(zk_, nullptr) << "ZooKeeper did not start: " << zk_error_;
}

void cluster_test::TearDownTestSuite() {
    delete zk_;
    zk_ = nullptr;
}

void cluster_test::TearDown() {
    if (HasFailure() && zk_ != nullptr) {
        try {
            std::cerr << "---- znodes under " << chroot() << " ----\n" << zk_->dump(chroot());
        } catch (const std::exception& e) {
            std::cerr << "(no znode dump: " << e.what() << ")\n";
        }
    }
    brokers_.clear();  // kills any broker a test left running, prints log tails on failure
}

std::string cluster_test::chroot() const {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string raw = std::string(info->test_suite_name()) + "-" + info->name();
    std::string out = "/brook-";
    for (char c : raw) {
        auto u = static_cast<unsigned char>(c);
        out += std::isalnum(u) ? static_cast<char>(std::tolower(u)) : '-';
    }
    return out;
}

std::string cluster_test::zookeeper_connect() const { return zk_->connect_string() + chroot(); }

broker_process& cluster_test::start_broker(int id, std::map<std::string, std::string> properties,
                                           std::vector<std::string> overrides) {
    broker_options o;
    o.broker_id = id;
    o.zookeeper_connect = zookeeper_connect();
    o.properties = std::move(properties);
    o.overrides = std::move(overrides);
    brokers_.push_back(std::make_unique<broker_process>(std::move(o)));
    return *brokers_.back();
}

std::string cluster_test::any_live_bootstrap() {
    for (auto& b : brokers_) {
        if (b->running()) return b->bootstrap();
    }
    return brokers_.empty() ? std::string() : brokers_.front()->bootstrap();
}

command_result cluster_test::topics(std::vector<std::string> args, std::chrono::seconds timeout) {
    std::vector<std::string> argv{brook_topics_binary(), "--bootstrap-server", any_live_bootstrap()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, timeout);
}

void cluster_test::create_topic(const std::string& topic, int partitions, int replication) {
    auto r = topics({"--create", "--topic", topic, "--partitions", std::to_string(partitions),
                     "--replication-factor", std::to_string(replication)});
    ASSERT_EQ(r.exit_code(), 0) << "brook-topics --create " << topic << ": " << r.describe();
}

command_result cluster_test::kcat(std::vector<std::string> args, const std::string& input,
                                  std::chrono::seconds timeout) {
    std::vector<std::string> argv{"kcat", "-b", any_live_bootstrap()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, timeout, input);
}

std::map<int, std::size_t> stored_batch_codecs(const std::string& log_dir, const std::string& topic, int partitions) {
    std::map<int, std::size_t> out;
    for (int p = 0; p < partitions; ++p) {
        for (const auto& e : std::filesystem::directory_iterator(log_dir + "/" + topic + "-" + std::to_string(p))) {
            if (e.path().extension() != ".log") continue;
            std::ifstream in(e.path(), std::ios::binary);
            std::vector<unsigned char> d((std::istreambuf_iterator<char>(in)), {});
            // Batch layout: base offset (8), length (4), ..., attributes at bytes 21-22.
            for (std::size_t pos = 0; pos + 61 <= d.size();) {
                std::uint32_t len = (std::uint32_t(d[pos + 8]) << 24) | (d[pos + 9] << 16) | (d[pos + 10] << 8) | d[pos + 11];
                out[d[pos + 22] & 0x07]++;
                pos += 12 + len;
            }
        }
    }
    return out;
}

bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        if (pred()) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) out.push_back(line);
    return out;
}

}  // namespace integration
