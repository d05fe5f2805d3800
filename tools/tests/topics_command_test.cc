#include "tools/topics/topics_command.h"

#include <gtest/gtest.h>

#include <sstream>

namespace tools {
namespace {

// Records the calls it gets and answers from canned data.
class fake_admin : public topics_admin {
public:
    cluster_metadata metadata;
    std::optional<cli_error> transport_error;
    topic_result create_answer;
    std::vector<topic_result> delete_answer;
    std::vector<topic_result> alter_answer;  ///< empty: every increase succeeds

    std::vector<new_topic> created;
    std::vector<std::vector<std::string>> deleted;
    std::vector<std::vector<partition_increase>> increased;
    int metadata_calls = 0;

    cli_result<cluster_metadata> all_topics() override {
        ++metadata_calls;
        if (transport_error) return *transport_error;
        return metadata;
    }
    cli_result<topic_result> create_topic(const new_topic& t) override {
        if (transport_error) return *transport_error;
        created.push_back(t);
        auto answer = create_answer;
        answer.name = t.name;
        return answer;
    }
    cli_result<std::vector<topic_result>> delete_topics(
        const std::vector<std::string>& names) override {
        if (transport_error) return *transport_error;
        deleted.push_back(names);
        if (!delete_answer.empty()) return delete_answer;
        std::vector<topic_result> ok;
        for (auto& n : names) ok.push_back({n, 0, std::nullopt});
        return ok;
    }

    cli_result<std::vector<topic_result>> create_partitions(
        const std::vector<partition_increase>& increases) override {
        if (transport_error) return *transport_error;
        increased.push_back(increases);
        if (!alter_answer.empty()) return alter_answer;
        std::vector<topic_result> ok;
        for (auto& i : increases) ok.push_back({i.name, 0, std::nullopt});
        return ok;
    }

    void add_topic(std::string name, int partitions, bool internal = false) {
        metadata_topic t;
        t.description.name = std::move(name);
        t.description.internal = internal;
        for (int p = 0; p < partitions; ++p) t.description.partitions.push_back({p, 1, {1}, {1}});
        metadata.topics.push_back(std::move(t));
    }
};

struct run_result {
    int rc;
    std::string out;
    std::string err;
};

topics_options options(topics_action action, std::optional<std::string> topic = std::nullopt) {
    topics_options o;
    o.bootstrap = {{"h", 1}};
    o.action = action;
    o.topic = std::move(topic);
    return o;
}

run_result run(const topics_options& o, fake_admin& admin) {
    std::ostringstream out, err;
    int rc = run_topics_command(o, admin, out, err);
    return {rc, out.str(), err.str()};
}

TEST(topics_command, create_prints_created_and_sends_defaults) {
    fake_admin admin;
    auto r = run(options(topics_action::create, "orders"), admin);
    EXPECT_EQ(r.rc, 0);
    EXPECT_EQ(r.out, "Created topic orders.\n");
    EXPECT_EQ(r.err, "");
    ASSERT_EQ(admin.created.size(), 1u);
    EXPECT_EQ(admin.created[0].partitions, -1);
    EXPECT_EQ(admin.created[0].replication_factor, -1);
}

TEST(topics_command, create_passes_sizes_and_configs) {
    fake_admin admin;
    auto o = options(topics_action::create, "orders");
    o.partitions = 6;
    o.replication_factor = 3;
    o.configs = {{"cleanup.policy", "compact"}};
    EXPECT_EQ(run(o, admin).rc, 0);
    ASSERT_EQ(admin.created.size(), 1u);
    EXPECT_EQ(admin.created[0].partitions, 6);
    EXPECT_EQ(admin.created[0].replication_factor, 3);
    EXPECT_EQ(admin.created[0].configs, o.configs);
}

TEST(topics_command, create_warns_about_collision_chars) {
    fake_admin admin;
    auto r = run(options(topics_action::create, "my.topic"), admin);
    EXPECT_EQ(r.rc, 0);
    EXPECT_EQ(r.out.rfind("WARNING: Due to limitations in metric names", 0), 0u);
    EXPECT_NE(r.out.find("Created topic my.topic.\n"), std::string::npos);
}

TEST(topics_command, create_existing_topic) {
    fake_admin admin;
    admin.create_answer = {"", 36, "Topic 'orders' already exists."};
    auto r = run(options(topics_action::create, "orders"), admin);
    EXPECT_EQ(r.rc, 1);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "Error while executing topic command : Topic 'orders' already exists.\n");

    auto o = options(topics_action::create, "orders");
    o.if_not_exists = true;
    auto quiet = run(o, admin);
    EXPECT_EQ(quiet.rc, 0);
    EXPECT_EQ(quiet.out, "");
    EXPECT_EQ(quiet.err, "");
}

TEST(topics_command, create_error_with_and_without_broker_message) {
    fake_admin admin;
    admin.create_answer = {"", 38, "Replication factor: 3 larger than available brokers: 1."};
    auto r = run(options(topics_action::create, "t"), admin);
    EXPECT_EQ(r.rc, 1);
    EXPECT_EQ(r.err,
              "Error while executing topic command : Replication factor: 3 larger than available "
              "brokers: 1. (INVALID_REPLICATION_FACTOR)\n");

    admin.create_answer = {"", 17, std::nullopt};
    r = run(options(topics_action::create, "bad/name"), admin);
    EXPECT_EQ(r.err,
              "Error while executing topic command : The request attempted to perform an operation "
              "on an invalid topic. (INVALID_TOPIC_EXCEPTION)\n");

    admin.create_answer = {"", 105, std::nullopt};  // a code with no description here
    r = run(options(topics_action::create, "t"), admin);
    EXPECT_EQ(r.err,
              "Error while executing topic command : Topic 't': error code 105. "
              "(TRANSACTIONAL_ID_NOT_FOUND)\n");
}

TEST(topics_command, transport_errors_are_printed_as_is) {
    fake_admin admin;
    admin.transport_error = make_cli_error("Error: cannot connect to h:1: Connection refused");
    for (auto action : {topics_action::create, topics_action::list, topics_action::describe,
                        topics_action::alter, topics_action::remove}) {
        auto o = options(action, "t");
        if (action == topics_action::alter) o.partitions = 2;
        auto r = run(o, admin);
        EXPECT_EQ(r.rc, 1);
        EXPECT_EQ(r.err, "Error: cannot connect to h:1: Connection refused\n");
        EXPECT_EQ(r.out, "");
    }
}

TEST(topics_command, list_sorted_keeps_internal_unless_excluded) {
    fake_admin admin;
    admin.add_topic("b", 1);
    admin.add_topic("__consumer_offsets", 50, true);
    admin.add_topic("a", 1);
    auto r = run(options(topics_action::list), admin);
    EXPECT_EQ(r.rc, 0);
    EXPECT_EQ(r.out, "__consumer_offsets\na\nb\n");

    auto o = options(topics_action::list);
    o.exclude_internal = true;
    EXPECT_EQ(run(o, admin).out, "a\nb\n");

    EXPECT_EQ(run(options(topics_action::list, "a|__.*"), admin).out, "__consumer_offsets\na\n");
}

TEST(topics_command, list_skips_topics_reported_unknown) {
    fake_admin admin;
    admin.add_topic("a", 1);
    admin.add_topic("gone", 0);
    admin.metadata.topics.back().error_code = 3;
    EXPECT_EQ(run(options(topics_action::list), admin).out, "a\n");
}

TEST(topics_command, describe_one_all_and_missing) {
    fake_admin admin;
    admin.add_topic("b", 1);
    admin.add_topic("a", 2);
    auto one = run(options(topics_action::describe, "a"), admin);
    EXPECT_EQ(one.rc, 0);
    EXPECT_EQ(one.out,
              "Topic: a\tTopicId: \tPartitionCount: 2\tReplicationFactor: 1\tConfigs: \n"
              "\tTopic: a\tPartition: 0\tLeader: 1\tReplicas: 1\tIsr: 1\n"
              "\tTopic: a\tPartition: 1\tLeader: 1\tReplicas: 1\tIsr: 1\n");

    auto all = run(options(topics_action::describe), admin);
    EXPECT_EQ(all.rc, 0);
    EXPECT_LT(all.out.find("Topic: a\t"), all.out.find("Topic: b\t"));

    auto missing = run(options(topics_action::describe, "nope"), admin);
    EXPECT_EQ(missing.rc, 1);
    EXPECT_EQ(missing.err,
              "Error while executing topic command : Topic 'nope' does not exist as expected\n");

    auto o = options(topics_action::describe, "nope");
    o.if_exists = true;
    auto quiet = run(o, admin);
    EXPECT_EQ(quiet.rc, 0);
    EXPECT_EQ(quiet.out + quiet.err, "");
}

TEST(topics_command, describe_with_bad_regex_does_not_call_the_broker) {
    fake_admin admin;
    auto r = run(options(topics_action::describe, "a("), admin);
    EXPECT_EQ(r.rc, 1);
    EXPECT_EQ(admin.metadata_calls, 0);
}

TEST(topics_command, delete_matching_topics_silently) {
    fake_admin admin;
    admin.add_topic("logs-1", 1);
    admin.add_topic("logs-2", 1);
    admin.add_topic("other", 1);
    auto r = run(options(topics_action::remove, "logs-.*"), admin);
    EXPECT_EQ(r.rc, 0);
    EXPECT_EQ(r.out + r.err, "");
    ASSERT_EQ(admin.deleted.size(), 1u);
    EXPECT_EQ(admin.deleted[0], (std::vector<std::string>{"logs-1", "logs-2"}));
}

TEST(topics_command, delete_missing_topic) {
    fake_admin admin;
    auto r = run(options(topics_action::remove, "t"), admin);
    EXPECT_EQ(r.rc, 1);
    EXPECT_EQ(r.err, "Error while executing topic command : Topic 't' does not exist as expected\n");
    EXPECT_TRUE(admin.deleted.empty());

    auto o = options(topics_action::remove, "t");
    o.if_exists = true;
    EXPECT_EQ(run(o, admin).rc, 0);
    EXPECT_TRUE(admin.deleted.empty());
}

TEST(topics_command, delete_refuses_internal_topics) {
    fake_admin admin;
    admin.add_topic("__consumer_offsets", 1, true);
    auto r = run(options(topics_action::remove, "__consumer_offsets"), admin);
    EXPECT_EQ(r.rc, 1);
    EXPECT_EQ(r.err,
              "Error while executing topic command : Topic __consumer_offsets is a kafka internal "
              "topic and is not allowed to be marked for deletion.\n");
    EXPECT_TRUE(admin.deleted.empty());
}

TEST(topics_command, delete_reports_broker_errors) {
    fake_admin admin;
    admin.add_topic("t", 1);
    admin.delete_answer = {{"t", 73, std::nullopt}};
    auto r = run(options(topics_action::remove, "t"), admin);
    EXPECT_EQ(r.rc, 1);
    EXPECT_EQ(r.err,
              "Error while executing topic command : Topic deletion is disabled. "
              "(TOPIC_DELETION_DISABLED)\n");

    // Gone between Metadata and DeleteTopics: fine with --if-exists, an error without.
    admin.delete_answer = {{"t", 3, std::nullopt}};
    auto o = options(topics_action::remove, "t");
    o.if_exists = true;
    EXPECT_EQ(run(o, admin).rc, 0);
    EXPECT_EQ(run(options(topics_action::remove, "t"), admin).rc, 1);
}

topics_options alter(std::string topic, int32_t partitions) {
    auto o = options(topics_action::alter, std::move(topic));
    o.partitions = partitions;
    return o;
}

TEST(topics_command, alter_grows_every_matching_topic_in_one_request_silently) {
    fake_admin admin;
    admin.add_topic("logs-1", 2);
    admin.add_topic("logs-2", 3);
    admin.add_topic("other", 1);
    auto r = run(alter("logs-.*", 6), admin);
    EXPECT_EQ(r.rc, 0);
    EXPECT_EQ(r.out + r.err, "");
    ASSERT_EQ(admin.increased.size(), 1u);
    EXPECT_EQ(admin.increased[0],
              (std::vector<partition_increase>{{"logs-1", 6}, {"logs-2", 6}}));
}

TEST(topics_command, alter_missing_topic) {
    fake_admin admin;
    admin.add_topic("a", 1);
    auto r = run(alter("t", 2), admin);
    EXPECT_EQ(r.rc, 1);
    EXPECT_EQ(r.err, "Error while executing topic command : Topic 't' does not exist as expected\n");
    EXPECT_TRUE(admin.increased.empty());

    auto o = alter("t", 2);
    o.if_exists = true;
    auto quiet = run(o, admin);
    EXPECT_EQ(quiet.rc, 0);
    EXPECT_EQ(quiet.out + quiet.err, "");
    EXPECT_TRUE(admin.increased.empty());
}

TEST(topics_command, alter_decrease_shows_the_brokers_reason) {
    fake_admin admin;
    admin.add_topic("t", 3);
    admin.alter_answer = {
        {"t", 37, "The topic t currently has 3 partition(s); 2 would not be an increase."}};
    auto r = run(alter("t", 2), admin);
    EXPECT_EQ(r.rc, 1);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err,
              "Error while executing topic command : The topic t currently has 3 partition(s); 2 "
              "would not be an increase. (INVALID_PARTITIONS)\n");
}

TEST(topics_command, alter_not_an_increase_without_a_broker_message_says_why) {
    fake_admin admin;
    admin.add_topic("t", 3);
    for (int32_t n : {2, 3}) {
        admin.alter_answer = {{"t", 37, std::nullopt}};
        auto r = run(alter("t", n), admin);
        EXPECT_EQ(r.rc, 1);
        EXPECT_EQ(r.err, "Error while executing topic command : The topic t currently has 3 "
                         "partition(s); " +
                             std::to_string(n) +
                             " would not be an increase. (INVALID_PARTITIONS)\n");
    }
    // An increase the broker still refuses without a reason: Kafka's default text.
    admin.alter_answer = {{"t", 37, std::string()}};
    EXPECT_EQ(run(alter("t", 9), admin).err,
              "Error while executing topic command : Number of partitions is below 1. "
              "(INVALID_PARTITIONS)\n");
}

TEST(topics_command, alter_reports_each_failed_topic_and_tolerates_vanished_ones_with_if_exists) {
    fake_admin admin;
    admin.add_topic("a", 1);
    admin.add_topic("b", 1);
    admin.add_topic("c", 1);
    admin.alter_answer = {{"a", 0, std::nullopt},
                          {"b", 3, std::nullopt},
                          {"c", 38, std::string("Replication factor is too large.")}};
    auto r = run(alter("a|b|c", 4), admin);
    EXPECT_EQ(r.rc, 1);
    EXPECT_EQ(r.err,
              "Error while executing topic command : This server does not host this "
              "topic-partition. (UNKNOWN_TOPIC_OR_PARTITION)\n"
              "Error while executing topic command : Replication factor is too large. "
              "(INVALID_REPLICATION_FACTOR)\n");

    admin.alter_answer = {{"a", 0, std::nullopt}, {"b", 3, std::nullopt}};
    auto o = alter("a|b", 4);
    o.if_exists = true;
    auto tolerant = run(o, admin);
    EXPECT_EQ(tolerant.rc, 0);
    EXPECT_EQ(tolerant.err, "");
}

TEST(topics_command, describe_under_replicated_partitions_only) {
    fake_admin admin;
    admin.metadata.brokers = {1, 2, 3};
    admin.add_topic("b", 2);
    admin.metadata.topics.back().description.partitions[1] = {1, 2, {2, 3}, {2}};
    admin.add_topic("a", 1);
    admin.metadata.topics.back().description.partitions[0] = {0, 3, {3, 1, 2}, {3, 1}};
    admin.add_topic("healthy", 3);
    auto o = options(topics_action::describe);
    o.under_replicated_partitions = true;
    auto r = run(o, admin);
    EXPECT_EQ(r.rc, 0);
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(r.out,
              "\tTopic: a\tPartition: 0\tLeader: 3\tReplicas: 3,1,2\tIsr: 3,1\n"
              "\tTopic: b\tPartition: 1\tLeader: 2\tReplicas: 2,3\tIsr: 2\n");

    // Nothing to report for a healthy topic; still an error for a missing one.
    o.topic = "healthy";
    r = run(o, admin);
    EXPECT_EQ(r.rc, 0);
    EXPECT_EQ(r.out + r.err, "");
    o.topic = "nope";
    EXPECT_EQ(run(o, admin).rc, 1);
}

TEST(topics_command, describe_unavailable_partitions_uses_the_live_broker_list) {
    fake_admin admin;
    admin.metadata.brokers = {1, 3};
    admin.add_topic("t", 4);
    auto& parts = admin.metadata.topics.back().description.partitions;
    parts[0] = {0, 1, {1, 2}, {1}};
    parts[1] = {1, -1, {2}, {2}};
    parts[2] = {2, 2, {2, 3}, {2, 3}};  // Metadata still names the dead broker 2 as leader
    parts[3] = {3, 3, {3, 2}, {3, 2}};
    auto o = options(topics_action::describe, "t");
    o.unavailable_partitions = true;
    auto r = run(o, admin);
    EXPECT_EQ(r.rc, 0);
    EXPECT_EQ(r.out,
              "\tTopic: t\tPartition: 1\tLeader: none\tReplicas: 2\tIsr: 2\n"
              "\tTopic: t\tPartition: 2\tLeader: 2\tReplicas: 2,3\tIsr: 2,3\n");
}

TEST(topic_error_text, every_code_names_itself) {
    EXPECT_EQ(topic_error_text("t", 41, std::nullopt),
              "This is not the correct controller for this cluster. (NOT_CONTROLLER)");
    EXPECT_EQ(topic_error_text("t", 7, std::string("")), "The request timed out. (REQUEST_TIMED_OUT)");
}

}  // namespace
}  // namespace tools
