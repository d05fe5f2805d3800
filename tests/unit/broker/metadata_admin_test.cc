// Metadata (incl. auto-creation), CreateTopics and DeleteTopics through the dispatcher, with the
// ZooKeeper writes checked in the fake ZooKeeper's tree.
#include "coordination/znodes.h"
#include "protocol/messages/create_topics.h"
#include "protocol/messages/delete_topics.h"
#include "protocol/messages/metadata.h"
#include "tests/unit/broker/broker_test_util.h"

namespace {

using broker_test::broker_fixture;
using broker_test::partition_spec;
using broker_test::reply;
using protocol::metadata_request;
using protocol::metadata_response;

constexpr int16_t unknown_topic_or_partition = 3;
constexpr int16_t leader_not_available = 5;
constexpr int16_t invalid_topic_exception = 17;
constexpr int16_t topic_already_exists = 36;
constexpr int16_t invalid_partitions = 37;
constexpr int16_t invalid_replication_factor = 38;
constexpr int16_t invalid_replica_assignment = 39;
constexpr int16_t invalid_config = 40;
constexpr int16_t invalid_request = 42;
constexpr int16_t topic_deletion_disabled = 73;

metadata_request topics_req(std::vector<std::string> names, bool allow_auto = true) {
    metadata_request req;
    req.topics.emplace();
    for (auto& n : names) {
        req.topics->emplace_back().name = n;
    }
    req.allow_auto_topic_creation = allow_auto;
    return req;
}

class metadata_admin_test : public broker_fixture {
protected:
    metadata_response metadata(int16_t version, const metadata_request& req) {
        return broker_test::decode_response<metadata_response>(send(req, version), version);
    }

    /// Writes a topic to the fake ZooKeeper the way CreateTopics would (without the broker).
    void zk_create_topic(const std::string& name, std::map<int32_t, std::vector<int32_t>> parts) {
        coordination::topic_assignment a;
        a.name = name;
        a.partitions = std::move(parts);
        std::optional<std::error_code> done;
        topics_->create_topic(a, {}, [&](std::error_code ec) { done = ec; });
        run();
        ASSERT_TRUE(done.has_value());
        ASSERT_FALSE(*done) << done->message();
    }

    std::optional<coordination::topic_assignment> zk_assignment(const std::string& name) {
        auto data = zk_server_->node_data(coordination::znodes::topic_path(name));
        if (!data) return std::nullopt;
        auto a = coordination::znodes::decode_topic_assignment(name, *data);
        EXPECT_TRUE(a.has_value());
        if (!a) return std::nullopt;
        return a.value();
    }

    protocol::create_topics_response create(int16_t version, const protocol::create_topics_request& req,
                                            reply* raw = nullptr) {
        auto r = send(req, version);
        if (raw) *raw = r;
        return broker_test::decode_response<protocol::create_topics_response>(r, version);
    }

    static protocol::create_topics_request::creatable_topic topic(const std::string& name, int32_t partitions,
                                                                  int16_t rf) {
        protocol::create_topics_request::creatable_topic t;
        t.name = name;
        t.num_partitions = partitions;
        t.replication_factor = rf;
        return t;
    }
    static protocol::create_topics_request create_req(std::vector<protocol::create_topics_request::creatable_topic> ts,
                                                      bool validate_only = false, int32_t timeout_ms = 0) {
        protocol::create_topics_request req;
        req.topics = std::move(ts);
        req.validate_only = validate_only;
        req.timeout_ms = timeout_ms;
        return req;
    }

    protocol::delete_topics_response remove(int16_t version, std::vector<std::string> names) {
        protocol::delete_topics_request req;
        req.topic_names = std::move(names);
        req.timeout_ms = 0;
        return broker_test::decode_response<protocol::delete_topics_response>(send(req, version), version);
    }
};

TEST_F(metadata_admin_test, v0_empty_list_describes_all_topics_and_brokers) {
    // Broker 3 is in a replica set but not registered (offline); partition b-1 is led by it.
    publish({{"a", {partition_spec{}, partition_spec{}}},
             {"b", {partition_spec{{2, 1}, 2, 4}, partition_spec{{3, 1}, 3, 1}}}},
            {1, 2});
    auto resp = metadata(0, topics_req({}));
    ASSERT_EQ(resp.brokers.size(), 2u);
    EXPECT_EQ(resp.brokers[0].node_id, 1);
    EXPECT_EQ(resp.brokers[0].host, "host1");
    EXPECT_EQ(resp.brokers[0].port, 9001);
    EXPECT_EQ(resp.brokers[1].node_id, 2);
    EXPECT_EQ(resp.brokers[1].port, 9002);
    ASSERT_EQ(resp.topics.size(), 2u);
    EXPECT_EQ(resp.topics[0].name, "a");
    EXPECT_EQ(resp.topics[0].error_code, 0);
    ASSERT_EQ(resp.topics[0].partitions.size(), 2u);
    EXPECT_EQ(resp.topics[0].partitions[1].partition_index, 1);
    EXPECT_EQ(resp.topics[0].partitions[1].leader_id, 1);
    EXPECT_EQ(resp.topics[0].partitions[1].replica_nodes, std::vector<int32_t>{1});
    EXPECT_EQ(resp.topics[0].partitions[1].isr_nodes, std::vector<int32_t>{1});
    const auto& b = resp.topics[1];
    EXPECT_EQ(b.name, "b");
    ASSERT_EQ(b.partitions.size(), 2u);
    EXPECT_EQ(b.partitions[0].error_code, 0);
    EXPECT_EQ(b.partitions[0].leader_id, 2);
    EXPECT_EQ(b.partitions[0].replica_nodes, (std::vector<int32_t>{2, 1}));
    // A leader that is not registered is reported as none.
    EXPECT_EQ(b.partitions[1].leader_id, -1);
    EXPECT_EQ(b.partitions[1].error_code, leader_not_available);
}

TEST_F(metadata_admin_test, v1_null_topics_is_all_and_empty_is_none) {
    publish({{"a", {partition_spec{}}}, {"c", {partition_spec{}}}}, {1}, 1);
    metadata_request all;
    all.topics = std::nullopt;
    auto resp = metadata(1, all);
    EXPECT_EQ(resp.topics.size(), 2u);
    EXPECT_EQ(resp.controller_id, 1);
    auto none = metadata(1, topics_req({}));
    EXPECT_TRUE(none.topics.empty());
    EXPECT_EQ(none.brokers.size(), 1u);
}

TEST_F(metadata_admin_test, v2_and_later_carry_cluster_id_and_internal_flag) {
    publish({{"__consumer_offsets", {partition_spec{}}}, {"x", {partition_spec{}}}}, {1}, 1);
    metadata_request all;
    all.topics = std::nullopt;
    auto resp = metadata(6, all);
    EXPECT_EQ(resp.cluster_id, std::optional<std::string>("test-cluster"));
    ASSERT_EQ(resp.topics.size(), 2u);
    EXPECT_TRUE(resp.topics[0].is_internal);
    EXPECT_FALSE(resp.topics[1].is_internal);
    // The partition without a state znode yet has no leader.
    publish({{"y", {partition_spec{{1}, std::nullopt}}}});
    auto y = metadata(6, topics_req({"y"}));
    ASSERT_EQ(y.topics.size(), 1u);
    ASSERT_EQ(y.topics[0].partitions.size(), 1u);
    EXPECT_EQ(y.topics[0].partitions[0].leader_id, -1);
    EXPECT_EQ(y.topics[0].partitions[0].error_code, leader_not_available);
}

TEST_F(metadata_admin_test, v4_unknown_topic_without_auto_create) {
    publish_led_topic("a", 1);
    auto resp = metadata(4, topics_req({"missing"}, false));
    ASSERT_EQ(resp.topics.size(), 1u);
    EXPECT_EQ(resp.topics[0].name, "missing");
    EXPECT_EQ(resp.topics[0].error_code, unknown_topic_or_partition);
    EXPECT_FALSE(zk_server_->node_exists("/brokers/topics/missing"));
}

TEST_F(metadata_admin_test, auto_create_disabled_by_config) {
    publish_led_topic("a", 1);
    cfg_.auto_create_topics_enable = false;
    auto resp = metadata(1, topics_req({"missing"}));
    ASSERT_EQ(resp.topics.size(), 1u);
    EXPECT_EQ(resp.topics[0].error_code, unknown_topic_or_partition);
    EXPECT_FALSE(zk_server_->node_exists("/brokers/topics/missing"));
}

TEST_F(metadata_admin_test, v4_auto_create_writes_the_topic_and_answers_leader_not_available) {
    publish_led_topic("a", 1);
    cfg_.num_partitions = 3;
    auto resp = metadata(4, topics_req({"a", "fresh"}, true));
    ASSERT_EQ(resp.topics.size(), 2u);
    EXPECT_EQ(resp.topics[0].error_code, 0);
    EXPECT_EQ(resp.topics[1].name, "fresh");
    EXPECT_EQ(resp.topics[1].error_code, leader_not_available);
    auto a = zk_assignment("fresh");
    ASSERT_TRUE(a.has_value());
    EXPECT_EQ(a->partitions.size(), 3u);
    for (const auto& [p, replicas] : a->partitions) {
        EXPECT_EQ(replicas, std::vector<int32_t>{1}) << p;
    }
    EXPECT_FALSE(zk_assignment("a").has_value());  // existing topics are not rewritten
    // Asking again before the metadata shows it: still LEADER_NOT_AVAILABLE (already exists in ZooKeeper).
    auto again = metadata(4, topics_req({"fresh"}, true));
    EXPECT_EQ(again.topics.at(0).error_code, leader_not_available);
}

TEST_F(metadata_admin_test, v0_explicit_unknown_topic_is_auto_created) {
    publish_led_topic("a", 1);
    auto resp = metadata(0, topics_req({"v0topic"}));
    ASSERT_EQ(resp.topics.size(), 1u);
    EXPECT_EQ(resp.topics[0].error_code, leader_not_available);
    EXPECT_TRUE(zk_server_->node_exists("/brokers/topics/v0topic"));
}

TEST_F(metadata_admin_test, invalid_topic_name_is_invalid_topic_exception_and_not_created) {
    publish_led_topic("a", 1);
    auto resp = metadata(4, topics_req({"bad name!", std::string(250, 'x')}, true));
    ASSERT_EQ(resp.topics.size(), 2u);
    EXPECT_EQ(resp.topics[0].error_code, invalid_topic_exception);
    EXPECT_EQ(resp.topics[1].error_code, invalid_topic_exception);
    EXPECT_FALSE(zk_server_->node_exists("/brokers/topics"));
}

TEST_F(metadata_admin_test, create_topics_validation_errors) {
    publish_led_topic("exists", 1);
    auto resp = create(4, create_req({topic("zero", 0, 1), topic("negative", -5, 1), topic("rf3", 1, 3),
                                      topic("rf0", 1, 0), topic("exists", 1, 1), topic("bad/name", 1, 1)}));
    ASSERT_EQ(resp.topics.size(), 6u);
    EXPECT_EQ(resp.topics[0].name, "zero");
    EXPECT_EQ(resp.topics[0].error_code, invalid_partitions);
    EXPECT_EQ(resp.topics[1].error_code, invalid_partitions);
    EXPECT_EQ(resp.topics[2].error_code, invalid_replication_factor);
    ASSERT_TRUE(resp.topics[2].error_message.has_value());
    EXPECT_NE(resp.topics[2].error_message->find("larger than available brokers: 1"), std::string::npos)
        << *resp.topics[2].error_message;
    EXPECT_EQ(resp.topics[3].error_code, invalid_replication_factor);
    EXPECT_EQ(resp.topics[4].error_code, topic_already_exists);
    EXPECT_EQ(resp.topics[5].error_code, invalid_topic_exception);
    // None of them reached ZooKeeper.
    EXPECT_FALSE(zk_server_->node_exists("/brokers/topics"));
}

TEST_F(metadata_admin_test, create_topics_writes_assignment_and_configs) {
    publish({{"a", {partition_spec{}}}}, {1, 2, 3});
    auto t = topic("orders", 6, 2);
    auto& c = t.configs.emplace_back();
    c.name = "retention.ms";
    c.value = "1000";
    auto resp = create(4, create_req({t}));
    ASSERT_EQ(resp.topics.size(), 1u);
    EXPECT_EQ(resp.topics[0].error_code, 0) << resp.topics[0].error_message.value_or("");
    auto a = zk_assignment("orders");
    ASSERT_TRUE(a.has_value());
    ASSERT_EQ(a->partitions.size(), 6u);
    std::map<int32_t, int> leaders;
    for (const auto& [p, replicas] : a->partitions) {
        ASSERT_EQ(replicas.size(), 2u) << p;
        EXPECT_NE(replicas[0], replicas[1]);
        leaders[replicas[0]]++;
    }
    EXPECT_EQ(leaders.size(), 3u);  // preferred leaders spread over all brokers
    auto cfg = zk_server_->node_data(coordination::znodes::config_topic_path("orders"));
    ASSERT_TRUE(cfg.has_value());
    auto decoded = coordination::znodes::decode_topic_config(*cfg);
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(decoded.value().at("retention.ms"), "1000");

    // Now it exists in ZooKeeper (though not yet in the metadata): a second create is refused.
    auto again = create(4, create_req({topic("orders", 1, 1)}));
    EXPECT_EQ(again.topics.at(0).error_code, topic_already_exists);
}

TEST_F(metadata_admin_test, create_topics_defaults_and_explicit_assignment) {
    publish_led_topic("a", 1);
    cfg_.num_partitions = 2;
    auto resp = create(4, create_req({topic("defaults", -1, -1)}));
    EXPECT_EQ(resp.topics.at(0).error_code, 0);
    ASSERT_TRUE(zk_assignment("defaults").has_value());
    EXPECT_EQ(zk_assignment("defaults")->partitions.size(), 2u);

    auto manual = topic("manual", -1, -1);
    for (int32_t p : {0, 1, 2}) {
        auto& as = manual.assignments.emplace_back();
        as.partition_index = p;
        as.broker_ids = {1};
    }
    auto bad_broker = topic("bad-broker", -1, -1);
    bad_broker.assignments.emplace_back().broker_ids = {5};
    auto gap = topic("gap", -1, -1);
    gap.assignments.emplace_back().partition_index = 1;
    gap.assignments.back().broker_ids = {1};
    auto both = topic("both", 3, -1);
    both.assignments.emplace_back().broker_ids = {1};
    auto r = create(4, create_req({manual, bad_broker, gap, both}));
    ASSERT_EQ(r.topics.size(), 4u);
    EXPECT_EQ(r.topics[0].error_code, 0);
    ASSERT_TRUE(zk_assignment("manual").has_value());
    EXPECT_EQ(zk_assignment("manual")->partitions.size(), 3u);
    EXPECT_EQ(r.topics[1].error_code, invalid_replica_assignment);
    EXPECT_EQ(r.topics[2].error_code, invalid_replica_assignment);
    EXPECT_EQ(r.topics[3].error_code, invalid_request);
    EXPECT_FALSE(zk_server_->node_exists("/brokers/topics/bad-broker"));
}

TEST_F(metadata_admin_test, create_topics_duplicate_entries_and_null_config) {
    publish_led_topic("a", 1);
    auto nullcfg = topic("nullcfg", 1, 1);
    auto& c = nullcfg.configs.emplace_back();
    c.name = "cleanup.policy";
    c.value = std::nullopt;
    auto r = create(4, create_req({topic("dup", 1, 1), topic("dup", 1, 1), nullcfg}));
    ASSERT_EQ(r.topics.size(), 3u);
    EXPECT_EQ(r.topics[0].error_code, 0);
    EXPECT_EQ(r.topics[1].error_code, invalid_request);
    EXPECT_EQ(r.topics[2].error_code, invalid_config);
    EXPECT_FALSE(zk_server_->node_exists("/brokers/topics/nullcfg"));
}

TEST_F(metadata_admin_test, create_topics_validate_only_does_not_write) {
    publish_led_topic("a", 1);
    auto resp = create(1, create_req({topic("dry", 4, 1), topic("dry-bad", 0, 1)}, true));
    ASSERT_EQ(resp.topics.size(), 2u);
    EXPECT_EQ(resp.topics[0].error_code, 0);
    EXPECT_EQ(resp.topics[1].error_code, invalid_partitions);
    EXPECT_FALSE(zk_server_->node_exists("/brokers/topics/dry"));
    EXPECT_FALSE(zk_server_->node_exists("/config/topics/dry"));
}

TEST_F(metadata_admin_test, create_topics_waits_for_leaders_until_the_metadata_shows_them) {
    publish_led_topic("a", 1);
    auto frame = broker_test::encode_frame(create_req({topic("waited", 2, 1)}, false, 3000), 4);
    reply r;
    spawn(frame, r);
    // The "controller" elects leaders 150 ms later: the metadata cache gets the new topic.
    boost::asio::steady_timer later(io_, std::chrono::milliseconds(150));
    later.async_wait([&](boost::system::error_code) {
        publish({{"a", {partition_spec{}}}, {"waited", {partition_spec{}, partition_spec{}}}});
    });
    run();
    ASSERT_TRUE(r.done);
    EXPECT_GE(r.elapsed.count(), 140);
    EXPECT_LT(r.elapsed.count(), 1500);
    auto resp = broker_test::decode_response<protocol::create_topics_response>(r, 4);
    EXPECT_EQ(resp.topics.at(0).error_code, 0);
}

TEST_F(metadata_admin_test, create_topics_wait_is_bounded_by_timeout) {
    publish_led_topic("a", 1);
    reply raw;
    auto resp = create(4, create_req({topic("never-led", 1, 1)}, false, 200), &raw);
    EXPECT_EQ(resp.topics.at(0).error_code, 0);
    EXPECT_GE(raw.elapsed.count(), 190);
    EXPECT_LT(raw.elapsed.count(), 1500);
}

TEST_F(metadata_admin_test, delete_topics) {
    zk_create_topic("doomed", {{0, {1}}});
    publish({{"doomed", {partition_spec{}}}, {"kept", {partition_spec{}}}});
    auto resp = remove(3, {"unknown", "doomed"});
    ASSERT_EQ(resp.responses.size(), 2u);
    EXPECT_EQ(resp.responses[0].name, "unknown");
    EXPECT_EQ(resp.responses[0].error_code, unknown_topic_or_partition);
    EXPECT_EQ(resp.responses[1].name, "doomed");
    EXPECT_EQ(resp.responses[1].error_code, 0);
    EXPECT_TRUE(zk_server_->node_exists("/admin/delete_topics/doomed"));
    EXPECT_FALSE(zk_server_->node_exists("/admin/delete_topics/unknown"));
    EXPECT_FALSE(zk_server_->node_exists("/admin/delete_topics/kept"));
}

TEST_F(metadata_admin_test, delete_topics_disabled) {
    zk_create_topic("doomed", {{0, {1}}});
    publish({{"doomed", {partition_spec{}}}});
    cfg_.delete_topic_enable = false;
    for (int16_t v = 0; v <= 3; ++v) {
        auto resp = remove(v, {"doomed"});
        ASSERT_EQ(resp.responses.size(), 1u);
        EXPECT_EQ(resp.responses[0].error_code, topic_deletion_disabled) << "v" << v;
    }
    EXPECT_FALSE(zk_server_->node_exists("/admin/delete_topics/doomed"));
}

}  // namespace
