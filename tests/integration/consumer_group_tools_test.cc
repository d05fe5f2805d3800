// brook-console-producer, brook-console-consumer and brook-consumer-groups against three real
// brokers: keyed lines land on the Java partitioner's murmur2 partition (checked with librdkafka's
// murmur2 partitioner), a group consumer reads and commits them, --describe shows lag 0, an
// --execute reset to earliest makes the group read everything again, a reset and a delete of an
// active group are refused with Kafka's texts, and --delete removes the group.
#include <librdkafka/rdkafka.h>

#include <signal.h>

#include <cstdlib>
#include <sstream>

#include "tests/integration/cluster_fixture.h"
#include "tests/support/process.h"

#ifndef BROOK_CONSOLE_PRODUCER_BINARY
#define BROOK_CONSOLE_PRODUCER_BINARY "brook-console-producer"
#endif
#ifndef BROOK_CONSOLE_CONSUMER_BINARY
#define BROOK_CONSOLE_CONSUMER_BINARY "brook-console-consumer"
#endif
#ifndef BROOK_CONSUMER_GROUPS_BINARY
#define BROOK_CONSUMER_GROUPS_BINARY "brook-consumer-groups"
#endif

namespace integration {
namespace {

using namespace std::chrono_literals;
using test_support::command_result;
using test_support::run_command;

// Same rule as tests/support/broker_process.cc: the environment may name other binaries.
std::string binary(const char* env, const char* fallback) {
    const char* v = std::getenv(env);
    return v != nullptr && *v != '\0' ? v : fallback;
}
std::string producer_binary() { return binary("BROOK_CONSOLE_PRODUCER_BINARY", BROOK_CONSOLE_PRODUCER_BINARY); }
std::string consumer_binary() { return binary("BROOK_CONSOLE_CONSUMER_BINARY", BROOK_CONSOLE_CONSUMER_BINARY); }
std::string groups_binary() { return binary("BROOK_CONSUMER_GROUPS_BINARY", BROOK_CONSUMER_GROUPS_BINARY); }

const std::map<std::string, std::string> group_properties = {
    {"group.initial.rebalance.delay.ms", "500"},
    {"offsets.topic.num.partitions", "10"},
};

std::vector<std::string> words(const std::string& line) {
    std::istringstream in(line);
    std::vector<std::string> out;
    std::string w;
    while (in >> w) out.push_back(w);
    return out;
}

class consumer_group_tools_test : public cluster_test {
protected:
    command_result run_tool(const std::string& bin, std::vector<std::string> args, const std::string& input = {},
                            std::chrono::seconds timeout = 120s) {
        std::vector<std::string> argv{bin, "--bootstrap-server", any_live_bootstrap()};
        argv.insert(argv.end(), args.begin(), args.end());
        return run_command(argv, timeout, input);
    }
    command_result groups(std::vector<std::string> args) { return run_tool(groups_binary(), std::move(args)); }
    command_result consume(std::vector<std::string> args) { return run_tool(consumer_binary(), std::move(args)); }

    /// Data rows of a --describe offsets table for `group` (header and blank lines dropped).
    std::vector<std::vector<std::string>> describe_rows(const std::string& group, command_result* raw = nullptr) {
        auto r = groups({"--describe", "--group", group});
        if (raw) *raw = r;
        std::vector<std::vector<std::string>> rows;
        for (const auto& l : lines(r.out)) {
            auto w = words(l);
            if (w.size() == 9 && w[0] == group) rows.push_back(w);
        }
        return rows;
    }
};

TEST_F(consumer_group_tools_test, produce_consume_describe_reset_delete) {
    for (int id = 1; id <= 3; ++id) start_broker(id, group_properties);
    const int partitions = 3;
    ASSERT_NO_FATAL_FAILURE(create_topic("orders", partitions));

    // 1. Keyed lines through the console producer.
    const int n = 60;
    std::string input;
    for (int i = 0; i < n; ++i) input += "key-" + std::to_string(i) + ":value-" + std::to_string(i) + "\n";
    auto produced = run_tool(producer_binary(), {"--topic", "orders", "--property", "parse.key=true",
                                                 "--property", "key.separator=:", "--batch-size", "7"},
                             input);
    ASSERT_EQ(produced.exit_code(), 0) << produced.describe();

    // 2. Every record is on librdkafka's murmur2 partition (the Java default partitioner).
    auto all = consume({"--topic", "orders", "--from-beginning", "--max-messages", std::to_string(n),
                        "--timeout-ms", "15000", "--property", "print.key=true", "--property",
                        "print.partition=true", "--property", "key.separator=|"});
    ASSERT_EQ(all.exit_code(), 0) << all.describe();
    auto records = lines(all.out);
    ASSERT_EQ(records.size(), static_cast<size_t>(n)) << all.describe();
    EXPECT_NE(all.err.find("Processed a total of " + std::to_string(n) + " messages"), std::string::npos) << all.err;
    std::set<std::string> seen;
    for (const auto& line : records) {
        // "Partition:P|key-i|value-i"
        auto bar1 = line.find('|');
        auto bar2 = line.find('|', bar1 + 1);
        ASSERT_NE(bar2, std::string::npos) << line;
        int partition = std::stoi(line.substr(std::string("Partition:").size(), bar1));
        std::string key = line.substr(bar1 + 1, bar2 - bar1 - 1);
        int32_t expected = rd_kafka_msg_partitioner_murmur2(nullptr, key.data(), key.size(), partitions,
                                                            nullptr, nullptr);
        EXPECT_EQ(partition, expected) << "key " << key;
        EXPECT_EQ(line.substr(bar2 + 1), "value-" + key.substr(4));
        seen.insert(key);
    }
    EXPECT_EQ(seen.size(), static_cast<size_t>(n));

    // 3. A group member reads everything and commits.
    auto first = consume({"--topic", "orders", "--group", "g1", "--from-beginning", "--timeout-ms", "8000"});
    ASSERT_EQ(first.exit_code(), 0) << first.describe();
    EXPECT_EQ(lines(first.out).size(), static_cast<size_t>(n)) << first.describe();

    // 4. --describe: every partition at lag 0, the group empty after the member left.
    command_result raw;
    bool lag_zero = wait_until(
        [&] {
            auto rows = describe_rows("g1", &raw);
            if (rows.size() != static_cast<size_t>(partitions)) return false;
            for (auto& r : rows) {
                if (r[1] != "orders" || r[5] != "0" || r[6] != "-") return false;
            }
            return true;
        },
        30s);
    EXPECT_TRUE(lag_zero) << raw.describe();
    EXPECT_NE(raw.err.find("Consumer group 'g1' has no active members."), std::string::npos) << raw.describe();
    ASSERT_GE(lines(raw.out).size(), 2u);
    EXPECT_EQ(lines(raw.out)[0], "");
    EXPECT_EQ(words(lines(raw.out)[1]),
              (std::vector<std::string>{"GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG",
                                        "CONSUMER-ID", "HOST", "CLIENT-ID"}));
    int64_t total = 0;
    for (auto& r : describe_rows("g1")) total += std::stoll(r[3]);
    EXPECT_EQ(total, n);

    // 5. Reset the inactive group to the beginning; the next member reads everything again.
    auto reset = groups({"--reset-offsets", "--group", "g1", "--topic", "orders", "--to-earliest", "--execute"});
    ASSERT_EQ(reset.exit_code(), 0) << reset.describe();
    int planned = 0;
    for (const auto& l : lines(reset.out)) {
        auto w = words(l);
        if (w.size() == 4 && w[0] == "g1") {
            EXPECT_EQ(w[3], "0") << l;
            ++planned;
        }
    }
    EXPECT_EQ(planned, partitions) << reset.describe();
    auto again = consume({"--topic", "orders", "--group", "g1", "--timeout-ms", "8000"});
    ASSERT_EQ(again.exit_code(), 0) << again.describe();
    EXPECT_EQ(lines(again.out).size(), static_cast<size_t>(n)) << again.describe();

    // 6. With a live member the group is Stable: reset and delete are refused.
    test_support::child_process member(
        {consumer_binary(), "--bootstrap-server", any_live_bootstrap(), "--topic", "orders", "--group", "g1",
         "--timeout-ms", "120000"},
        broker(0).dir() + "/console-consumer.log");
    command_result state;
    bool stable = wait_until(
        [&] {
            state = groups({"--describe", "--group", "g1", "--state"});
            return state.out.find("Stable") != std::string::npos;
        },
        60s);
    ASSERT_TRUE(stable) << state.describe();
    auto refused = groups({"--reset-offsets", "--group", "g1", "--all-topics", "--to-earliest", "--execute"});
    EXPECT_EQ(refused.exit_code(), 1) << refused.describe();
    EXPECT_NE(refused.err.find("Error: Assignments can only be reset if the group 'g1' is inactive, but the "
                               "current state is Stable."),
              std::string::npos)
        << refused.describe();
    auto busy = groups({"--delete", "--group", "g1"});
    EXPECT_EQ(busy.exit_code(), 1) << busy.describe();
    EXPECT_NE(busy.err.find("GroupNotEmptyException: The group is not empty."), std::string::npos) << busy.describe();
    auto members = groups({"--describe", "--group", "g1", "--members"});
    EXPECT_EQ(members.exit_code(), 0) << members.describe();
    EXPECT_NE(members.out.find("console-consumer"), std::string::npos) << members.describe();
    auto ended = member.terminate(30s);
    EXPECT_TRUE(ended.success()) << ended.to_string();

    // 7. Delete the (now empty) group; --list no longer shows it.
    auto listed = groups({"--list"});
    ASSERT_EQ(listed.exit_code(), 0) << listed.describe();
    auto before = lines(listed.out);
    EXPECT_NE(std::find(before.begin(), before.end(), "g1"), before.end()) << listed.describe();
    command_result deleted;
    ASSERT_TRUE(wait_until(
        [&] {
            deleted = groups({"--delete", "--group", "g1"});
            return deleted.exit_code() == 0;
        },
        30s))
        << deleted.describe();
    EXPECT_EQ(deleted.out, "Deletion of requested consumer groups ('g1') was successful.\n");
    auto after = lines(groups({"--list"}).out);
    EXPECT_EQ(std::find(after.begin(), after.end(), "g1"), after.end());
    auto gone = groups({"--describe", "--group", "g1"});
    EXPECT_EQ(gone.exit_code(), 1) << gone.describe();
    EXPECT_NE(gone.err.find("Error: Consumer group 'g1' does not exist."), std::string::npos) << gone.describe();
}

TEST_F(consumer_group_tools_test, tools_fail_with_a_message_and_exit_1) {
    start_broker(1, group_properties);
    auto bad_line = run_tool(producer_binary(), {"--topic", "t", "--property", "parse.key=true"}, "no-tab-here\n");
    EXPECT_EQ(bad_line.exit_code(), 1) << bad_line.describe();
    EXPECT_NE(bad_line.err.find("No key found on line 1: no-tab-here"), std::string::npos) << bad_line.describe();
    auto unknown = groups({"--describe", "--group", "nobody"});
    EXPECT_EQ(unknown.exit_code(), 1) << unknown.describe();
    EXPECT_NE(unknown.err.find("Error: Consumer group 'nobody' does not exist."), std::string::npos)
        << unknown.describe();
    auto usage = groups({"--describe"});
    EXPECT_EQ(usage.exit_code(), 1) << usage.describe();
}

}  // namespace
}  // namespace integration
