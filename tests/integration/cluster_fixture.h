#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/broker_process.h"
#include "tests/support/process.h"
#include "tests/support/zookeeper_server.h"

namespace integration {

/// Base fixture of every integration test: one real ZooKeeper per test suite (started in
/// SetUpTestSuite, stopped in TearDownTestSuite) and, per test, its own chroot
/// (/brook-<suite>-<test>) and its own broker temp dirs. Brokers started with start_broker()
/// die with the test. Everything runs on the gtest main thread.
class cluster_test : public ::testing::Test {
public:
    static void SetUpTestSuite();
    static void TearDownTestSuite();

protected:
    void SetUp() override;
    void TearDown() override;

    static test_support::zookeeper_server& zk() { return *zk_; }
    /// "/brook-<suite>-<test>", lowercase, only [a-z0-9-].
    std::string chroot() const;
    /// zk connect string with this test's chroot.
    std::string zookeeper_connect() const;

    /// Starts broker `id` under this test's chroot; `properties` extend server.properties.
    test_support::broker_process& start_broker(
        int id = 1, std::map<std::string, std::string> properties = {},
        std::vector<std::string> overrides = {});
    test_support::broker_process& broker(std::size_t i = 0) { return *brokers_.at(i); }

    /// Bootstrap of the first broker (in start order) whose process runs.
    std::string any_live_bootstrap();
    /// Runs brook-topics --bootstrap-server <first running broker> <args...>.
    test_support::command_result topics(std::vector<std::string> args,
                                        std::chrono::seconds timeout = std::chrono::seconds(60));
    /// Creates a topic with brook-topics and asserts success (fatal failure otherwise).
    void create_topic(const std::string& topic, int partitions, int replication = 1);
    /// Runs kcat with `-b <first running broker>` prepended to args.
    test_support::command_result kcat(std::vector<std::string> args, const std::string& input = {},
                                      std::chrono::seconds timeout = std::chrono::seconds(120));

private:
    static test_support::zookeeper_server* zk_;
    static std::string zk_error_;
    std::vector<std::unique_ptr<test_support::broker_process>> brokers_;
};

/// Polls `pred` every 100 ms until true or timeout; returns the last result.
bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout);

/// Number of stored batches per codec (attributes bits 0-2: 0 none .. 4 zstd) over every segment
/// of partitions 0..partitions-1 of `topic` under a broker's `log_dir`: what producers really
/// sent, since the broker stores batches as they came.
std::map<int, std::size_t> stored_batch_codecs(const std::string& log_dir, const std::string& topic, int partitions);

/// Splits on '\n', dropping a trailing empty line.
std::vector<std::string> lines(const std::string& text);

}  // namespace integration
