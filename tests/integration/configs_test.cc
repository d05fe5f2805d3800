// Dynamic topic configs (issue 6): brook-configs changes retention.ms of a live topic and every
// replica applies it without a restart (through /config/changes), --describe reports overrides,
// defaults and broker settings with Kafka's sources, bad input gets Kafka's errors and changes
// nothing; the Python admin clients (confluent-kafka, kafka-python) describe and alter too.
#include <algorithm>
#include <cstdlib>

#include "tests/integration/replication_fixture.h"
#include "tests/support/process.h"

#ifndef BROOK_CONFIGS_BINARY
#define BROOK_CONFIGS_BINARY "brook-configs"
#endif
#ifndef BROOK_PYTHON_DIR
#error "BROOK_PYTHON_DIR must point at tests/integration/python"
#endif

namespace integration {
namespace {

using namespace std::chrono_literals;

std::string configs_binary() {
    const char* v = std::getenv("BROOK_CONFIGS_BINARY");
    return v != nullptr && *v != '\0' ? v : BROOK_CONFIGS_BINARY;
}

class configs_test : public replication_test {
protected:
    test_support::command_result configs(std::vector<std::string> args) {
        std::vector<std::string> argv{configs_binary(), "--bootstrap-server", live_bootstrap()};
        argv.insert(argv.end(), args.begin(), args.end());
        return test_support::run_command(argv, 60s);
    }
    std::string describe_topic(const std::string& topic, bool all = false) {
        std::vector<std::string> args{"--entity-type", "topics", "--entity-name", topic, "--describe"};
        if (all) args.push_back("--all");
        auto r = configs(args);
        EXPECT_EQ(r.exit_code(), 0) << r.describe();
        return r.out;
    }
};

TEST_F(configs_test, brook_configs_changes_retention_at_runtime_on_every_replica) {
    start_cluster(3, {{"log.retention.check.interval.ms", "300"}});
    const std::string topic = "tuned";
    create_replicated_topic(topic, 1, 3, {{"segment.bytes", "4096"}});
    // At most 20 records per batch: however slow the acks (a loaded CI machine lets librdkafka
    // pack hundreds of records into one batch), 1,500 records fill well over 5 segments of 4 KiB.
    keyed_producer producer(live_bootstrap(), {{"acks", "all"}, {"linger.ms", "0"}, {"batch.num.messages", "20"}});
    constexpr int total = 1500;
    for (int i = 0; i < total; ++i) {
        producer.send(topic, "k" + std::to_string(i % 10), "value " + std::to_string(i), 0);
        if (i % 50 == 0) producer.poll(10ms);
    }
    ASSERT_TRUE(producer.flush(60s)) << producer.summary();

    std::string before = describe_topic(topic);
    EXPECT_NE(before.find("Dynamic configs for topic tuned are:\n"), std::string::npos) << before;
    EXPECT_NE(before.find("  segment.bytes=4096 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:segment.bytes=4096, "
                          "DEFAULT_CONFIG:log.segment.bytes=1073741824}"),
              std::string::npos)
        << before;
    EXPECT_EQ(before.find("retention.ms"), std::string::npos) << before;

    // Default retention (7 days): nothing goes through several retention rounds.
    std::this_thread::sleep_for(1500ms);
    const int segments = segment_file_count(by_id(1).log_dir(), topic, 0);
    ASSERT_GT(segments, 5);

    auto bad = configs({"--entity-type", "topics", "--entity-name", topic, "--alter", "--add-config", "retention.ms=soon"});
    EXPECT_EQ(bad.exit_code(), 1) << bad.describe();
    EXPECT_NE(bad.err.find("org.apache.kafka.common.errors.InvalidConfigurationException: Invalid value soon for "
                           "configuration retention.ms"),
              std::string::npos)
        << bad.describe();
    auto unknown = configs({"--topic", topic, "--alter", "--add-config", "retention.msec=5"});
    EXPECT_EQ(unknown.exit_code(), 1);
    EXPECT_NE(unknown.err.find("Unknown topic config name: retention.msec"), std::string::npos) << unknown.describe();
    auto missing = configs({"--topic", "no-such-topic", "--alter", "--add-config", "retention.ms=5"});
    EXPECT_EQ(missing.exit_code(), 1);
    EXPECT_NE(missing.err.find("UnknownTopicOrPartitionException"), std::string::npos) << missing.describe();
    EXPECT_EQ(segment_file_count(by_id(1).log_dir(), topic, 0), segments) << "a refused change deleted data";

    auto alter = configs({"--entity-type", "topics", "--entity-name", topic, "--alter", "--add-config", "retention.ms=1000"});
    ASSERT_EQ(alter.exit_code(), 0) << alter.describe();
    EXPECT_EQ(alter.out, "Completed updating config for topic tuned.\n");

    // Every replica applies it at once: old segments go within a few retention rounds.
    std::map<int, int> files;
    const bool trimmed = wait_until(
        [&] {
            for (int id = 1; id <= 3; ++id) files[id] = segment_file_count(by_id(id).log_dir(), topic, 0);
            return std::all_of(files.begin(), files.end(), [](const auto& kv) { return kv.second > 0 && kv.second <= 2; });
        },
        20s);
    EXPECT_TRUE(trimmed) << "segments on brokers 1/2/3: " << files[1] << "/" << files[2] << "/" << files[3];
    EXPECT_EQ(latest_offset(live_bootstrap(), topic, 0), total);

    std::string all = describe_topic(topic, true);
    EXPECT_NE(all.find("All configs for topic tuned are:\n"), std::string::npos) << all;
    EXPECT_NE(all.find("  retention.ms=1000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=1000, "
                       "DEFAULT_CONFIG:log.retention.hours=168}"),
              std::string::npos)
        << all;
    EXPECT_NE(all.find("  cleanup.policy=delete sensitive=false synonyms={DEFAULT_CONFIG:log.cleanup.policy=delete}"),
              std::string::npos)
        << all;

    // --delete-config: back to the default; a name the topic does not have is refused.
    auto del = configs({"--topic", topic, "--alter", "--delete-config", "retention.ms"});
    ASSERT_EQ(del.exit_code(), 0) << del.describe();
    EXPECT_EQ(describe_topic(topic).find("retention.ms"), std::string::npos);
    auto del_bad = configs({"--topic", topic, "--alter", "--delete-config", "not.a.config"});
    EXPECT_EQ(del_bad.exit_code(), 1);
    EXPECT_NE(del_bad.err.find("Invalid config(s): not.a.config"), std::string::npos) << del_bad.describe();

    // Broker settings: static, described with their source, refused at runtime.
    auto broker = configs({"--entity-type", "brokers", "--entity-name", "1", "--describe", "--all"});
    ASSERT_EQ(broker.exit_code(), 0) << broker.describe();
    EXPECT_NE(broker.out.find("All configs for broker 1 are:\n"), std::string::npos) << broker.out;
    EXPECT_NE(broker.out.find("  log.retention.check.interval.ms=300 sensitive=false "
                              "synonyms={STATIC_BROKER_CONFIG:log.retention.check.interval.ms=300}"),
              std::string::npos)
        << broker.out;
    auto broker_alter = configs({"--broker", "1", "--alter", "--add-config", "log.retention.ms=5"});
    EXPECT_EQ(broker_alter.exit_code(), 1);
    EXPECT_NE(broker_alter.err.find("InvalidRequestException: Cannot update broker config log.retention.ms at runtime"),
              std::string::npos)
        << broker_alter.describe();
}

TEST_F(configs_test, python_admin_clients_describe_and_alter_topic_configs) {
    start_cluster(1);
    create_replicated_topic("py-configs", 2, 1, {});
    auto r = test_support::run_command(
        {"/usr/bin/python3", std::string(BROOK_PYTHON_DIR) + "/admin_configs.py", live_bootstrap(), "py-configs"}, 120s);
    EXPECT_EQ(r.exit_code(), 0) << r.describe();
    EXPECT_NE(r.out.find("OK"), std::string::npos) << r.describe();
}

TEST_F(configs_test, enabling_unclean_election_at_runtime_brings_an_offline_partition_back) {
    // RF 2 on 3 brokers: the broker without a replica stays up, so a controller is alive throughout.
    start_cluster(3);
    const std::string topic = "stranded";
    auto created = create_replicated_topic(topic, 1, 2, {{"min.insync.replicas", "1"}});
    ASSERT_FALSE(HasFailure());
    const auto* p = created.partition(topic, 0);
    ASSERT_NE(p, nullptr);
    const int leader = p->leader;
    const int follower = followers(*p).at(0);  // the third broker holds no replica

    by_id(follower).kill();
    wait_for_isr(topic, 0, {leader}, leader, 20s);
    ASSERT_FALSE(HasFailure()) << describe_partition(topic, 0);
    by_id(leader).kill();
    wait_for_leader(topic, 0, -1, 20s);
    ASSERT_FALSE(HasFailure()) << describe_partition(topic, 0);
    // The out-of-sync replica returns: with unclean election off it may not lead.
    by_id(follower).start();
    wait_for({topic}, [&](const test_support::cluster_view& v) { return v.has_broker(follower); }, 15s, "the follower registered again");
    ASSERT_FALSE(HasFailure());
    std::this_thread::sleep_for(2s);
    ASSERT_EQ(view({topic}).partition(topic, 0)->leader, -1) << describe_partition(topic, 0);

    // The change alone (no broker comes or goes) makes the controller elect it.
    auto r = configs({"--topic", topic, "--alter", "--add-config", "unclean.leader.election.enable=true"});
    ASSERT_EQ(r.exit_code(), 0) << r.describe();
    wait_for_isr(topic, 0, {follower}, follower, 15s);
    EXPECT_FALSE(HasFailure()) << describe_partition(topic, 0);
}

}  // namespace
}  // namespace integration
