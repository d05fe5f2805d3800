// DescribeConfigs, AlterConfigs and IncrementalAlterConfigs through the dispatcher, with the
// ZooKeeper writes (the /config/topics znode and its /config/changes notification) checked in the
// fake ZooKeeper's tree; plus the topic-config registry's validation, parsing and reporting.
#include "broker/topic_config.h"
#include "coordination/znodes.h"
#include "protocol/messages/alter_configs.h"
#include "protocol/messages/create_topics.h"
#include "protocol/messages/describe_configs.h"
#include "protocol/messages/incremental_alter_configs.h"
#include "tests/unit/broker/broker_test_util.h"

namespace {

using broker_test::broker_fixture;

constexpr int16_t unknown_topic_or_partition = 3;
constexpr int16_t invalid_config = 40;
constexpr int16_t invalid_request = 42;

class configs_handler_test : public broker_fixture {
protected:
    void SetUp() override {
        cfg_.properties["log.retention.hours"] = "24";
        cfg_.log_retention_ms = 24LL * 3600 * 1000;
        publish({}, {1});  // client requests wait for the first metadata otherwise
        coordination::topic_assignment a;
        a.name = "t";
        a.partitions = {{0, {1}}};
        std::optional<std::error_code> done;
        topics_->create_topic(a, {{"segment.bytes", "4096"}}, [&](std::error_code ec) { done = ec; });
        run();
        ASSERT_TRUE(done && !*done);
    }

    protocol::describe_configs_response describe(int16_t version, int8_t type, const std::string& name,
                                                 std::optional<std::vector<std::string>> keys = std::nullopt,
                                                 bool synonyms = true) {
        protocol::describe_configs_request req;
        req.resources.push_back({type, name, keys, {}});
        req.include_synonyms = synonyms;
        return broker_test::decode_response<protocol::describe_configs_response>(send(req, version), version);
    }

    using described = protocol::describe_configs_response::describe_configs_result::describe_configs_resource_result;
    static const described* entry(const protocol::describe_configs_response& r, const std::string& name) {
        for (const auto& c : r.results.at(0).configs) {
            if (c.name == name) return &c;
        }
        return nullptr;
    }

    protocol::alter_configs_response alter(int8_t type, const std::string& name,
                                           std::vector<std::pair<std::string, std::optional<std::string>>> configs,
                                           bool validate_only = false) {
        protocol::alter_configs_request req;
        auto& r = req.resources.emplace_back();
        r.resource_type = type;
        r.resource_name = name;
        for (auto& [k, v] : configs) r.configs.push_back({k, v, {}});
        req.validate_only = validate_only;
        return broker_test::decode_response<protocol::alter_configs_response>(send(req, 1), 1);
    }

    struct op {
        std::string name;
        int8_t operation;
        std::optional<std::string> value;
    };
    protocol::incremental_alter_configs_response incremental(int16_t version, int8_t type, const std::string& name,
                                                             std::vector<op> ops, bool validate_only = false) {
        protocol::incremental_alter_configs_request req;
        auto& r = req.resources.emplace_back();
        r.resource_type = type;
        r.resource_name = name;
        for (auto& o : ops) r.configs.push_back({o.name, o.operation, o.value, {}});
        req.validate_only = validate_only;
        return broker_test::decode_response<protocol::incremental_alter_configs_response>(send(req, version), version);
    }

    std::map<std::string, std::string> stored(const std::string& topic) {
        auto data = zk_server_->node_data(coordination::znodes::config_topic_path(topic));
        if (!data) return {};
        auto m = coordination::znodes::decode_topic_config(*data);
        EXPECT_TRUE(m.has_value());
        return m ? m.value() : std::map<std::string, std::string>{};
    }

    std::vector<coordination::znodes::config_entity> notifications() {
        std::vector<coordination::znodes::config_entity> out;
        for (const auto& p : zk_server_->all_paths()) {
            if (!p.starts_with("/config/changes/config_change_")) continue;
            auto e = coordination::znodes::decode_config_change(*zk_server_->node_data(p));
            EXPECT_TRUE(e.has_value());
            if (e) out.push_back(e.value());
        }
        return out;
    }
};

TEST_F(configs_handler_test, describe_topic_reports_overrides_broker_settings_and_defaults_with_synonyms) {
    auto r = describe(1, broker::resource_topic, "t");
    ASSERT_EQ(r.results.size(), 1u);
    EXPECT_EQ(r.results[0].error_code, 0);
    EXPECT_EQ(r.results[0].error_message, std::nullopt);
    EXPECT_EQ(r.results[0].resource_name, "t");

    const auto* seg = entry(r, "segment.bytes");
    ASSERT_NE(seg, nullptr);
    EXPECT_EQ(seg->value, "4096");
    EXPECT_EQ(seg->config_source, 1);  // TOPIC_CONFIG
    EXPECT_FALSE(seg->read_only);
    ASSERT_EQ(seg->synonyms.size(), 2u);
    EXPECT_EQ(seg->synonyms[0].name, "segment.bytes");
    EXPECT_EQ(seg->synonyms[1].name, "log.segment.bytes");
    EXPECT_EQ(seg->synonyms[1].source, 5);

    // Not overridden, but set in server.properties: the broker's value, STATIC_BROKER_CONFIG.
    const auto* ret = entry(r, "retention.ms");
    ASSERT_NE(ret, nullptr);
    EXPECT_EQ(ret->value, "86400000");
    EXPECT_EQ(ret->config_source, 4);
    ASSERT_EQ(ret->synonyms.size(), 2u);
    EXPECT_EQ(ret->synonyms[0].name, "log.retention.hours");
    EXPECT_EQ(ret->synonyms[0].value, "24");
    EXPECT_EQ(ret->synonyms[0].source, 4);
    EXPECT_EQ(ret->synonyms[1].value, "168");

    const auto* policy = entry(r, "cleanup.policy");
    ASSERT_NE(policy, nullptr);
    EXPECT_EQ(policy->value, "delete");
    EXPECT_EQ(policy->config_source, 5);

    // Without IncludeSynonyms, none; v0 says IsDefault instead of a source.
    auto plain = describe(1, broker::resource_topic, "t", std::nullopt, false);
    EXPECT_TRUE(entry(plain, "segment.bytes")->synonyms.empty());
    auto v0 = describe(0, broker::resource_topic, "t");
    EXPECT_FALSE(entry(v0, "segment.bytes")->is_default);
    EXPECT_TRUE(entry(v0, "cleanup.policy")->is_default);
    EXPECT_TRUE(entry(v0, "segment.bytes")->synonyms.empty());  // not in v0's encoding

    // Asking for some keys lists just those (unknown ones are left out, as Kafka does).
    auto some = describe(2, broker::resource_topic, "t", std::vector<std::string>{"retention.ms", "nope"});
    ASSERT_EQ(some.results[0].configs.size(), 1u);
    EXPECT_EQ(some.results[0].configs[0].name, "retention.ms");
}

TEST_F(configs_handler_test, describe_errors_are_per_resource) {
    protocol::describe_configs_request req;
    req.resources.push_back({broker::resource_topic, "missing", std::nullopt, {}});
    req.resources.push_back({broker::resource_broker, "2", std::nullopt, {}});
    req.resources.push_back({8, "1", std::nullopt, {}});  // BROKER_LOGGER
    req.resources.push_back({broker::resource_topic, "t", std::nullopt, {}});
    auto r = broker_test::decode_response<protocol::describe_configs_response>(send(req, 1), 1);
    ASSERT_EQ(r.results.size(), 4u);
    EXPECT_EQ(r.results[0].error_code, unknown_topic_or_partition);
    EXPECT_EQ(r.results[0].error_message, "Topic missing does not exist");
    EXPECT_EQ(r.results[1].error_code, invalid_request);  // another broker's configs: ask it
    EXPECT_EQ(r.results[2].error_code, invalid_request);
    EXPECT_EQ(r.results[3].error_code, 0);
    EXPECT_FALSE(r.results[3].configs.empty());
}

TEST_F(configs_handler_test, describe_broker_lists_its_static_settings_read_only) {
    cfg_.properties["log.retention.check.interval.ms"] = "300";
    auto r = describe(1, broker::resource_broker, "1");
    ASSERT_EQ(r.results[0].error_code, 0);
    const auto* check = entry(r, "log.retention.check.interval.ms");
    ASSERT_NE(check, nullptr);
    EXPECT_EQ(check->value, "300");
    EXPECT_EQ(check->config_source, 4);
    EXPECT_TRUE(check->read_only);
    const auto* segment = entry(r, "log.segment.bytes");  // a topic default, not set here
    ASSERT_NE(segment, nullptr);
    EXPECT_EQ(segment->config_source, 5);
    // "" is the cluster-wide dynamic default: Brook has none.
    EXPECT_TRUE(describe(1, broker::resource_broker, "").results[0].configs.empty());
}

TEST_F(configs_handler_test, alter_configs_replaces_the_whole_set_and_announces_the_change) {
    auto r = alter(broker::resource_topic, "t", {{"retention.ms", "1000"}, {"cleanup.policy", "compact, delete"}});
    ASSERT_EQ(r.responses.size(), 1u);
    EXPECT_EQ(r.responses[0].error_code, 0);
    EXPECT_EQ(r.responses[0].error_message, std::nullopt);
    EXPECT_EQ(stored("t"), (std::map<std::string, std::string>{{"cleanup.policy", "compact, delete"},
                                                                {"retention.ms", "1000"}}));
    auto n = notifications();
    ASSERT_EQ(n.size(), 1u);
    EXPECT_EQ(n[0], (coordination::znodes::config_entity{"topics", "t"}));

    // validate_only checks and writes nothing.
    EXPECT_EQ(alter(broker::resource_topic, "t", {{"retention.ms", "5"}}, true).responses[0].error_code, 0);
    EXPECT_EQ(stored("t").at("retention.ms"), "1000");
    EXPECT_EQ(notifications().size(), 1u);
}

TEST_F(configs_handler_test, alter_configs_refuses_bad_input_and_changes_nothing) {
    auto expect_refused = [&](std::vector<std::pair<std::string, std::optional<std::string>>> configs, int16_t code,
                              const std::string& message) {
        auto r = alter(broker::resource_topic, "t", configs);
        EXPECT_EQ(r.responses[0].error_code, code) << message;
        EXPECT_EQ(r.responses[0].error_message, message);
        EXPECT_EQ(stored("t"), (std::map<std::string, std::string>{{"segment.bytes", "4096"}}));
    };
    expect_refused({{"retention.ms", "soon"}}, invalid_config,
                   "Invalid value soon for configuration retention.ms: Not a number of type LONG");
    expect_refused({{"retention.ms", "-2"}}, invalid_config,
                   "Invalid value -2 for configuration retention.ms: Value must be at least -1");
    expect_refused({{"segment.bytes", "100"}}, invalid_config,
                   "Invalid value 100 for configuration segment.bytes: Value must be at least 1024");
    expect_refused({{"segment.bytes", "4294967296"}}, invalid_config,
                   "Invalid value 4294967296 for configuration segment.bytes: Not a number of type INT");
    expect_refused({{"cleanup.policy", "keep"}}, invalid_config,
                   "Invalid value keep for configuration cleanup.policy: String must be one of: compact, delete");
    expect_refused({{"unclean.leader.election.enable", "yes"}}, invalid_config,
                   "Invalid value yes for configuration unclean.leader.election.enable: Expected value to be either "
                   "true or false");
    expect_refused({{"retention.msec", "1"}}, invalid_config, "Unknown topic config name: retention.msec");
    expect_refused({{"preallocate", "true"}}, invalid_config,
                   "Topic config preallocate is a Kafka setting Brook does not support yet");
    expect_refused({{"compression.type", "gzip"}}, invalid_config,
                   "Invalid value gzip for configuration compression.type: Brook stores batches as the producer "
                   "compressed them, so compression.type can only be 'producer'");
    expect_refused({{"retention.ms", std::nullopt}}, invalid_request, "Null value not supported for config retention.ms");
    expect_refused({{"retention.ms", "1"}, {"retention.ms", "2"}}, invalid_request,
                   "Error due to duplicate config keys: retention.ms");
    EXPECT_TRUE(notifications().empty());

    auto missing = alter(broker::resource_topic, "missing", {{"retention.ms", "1"}});
    EXPECT_EQ(missing.responses[0].error_code, unknown_topic_or_partition);
    auto broker_res = alter(broker::resource_broker, "1", {{"log.retention.ms", "1"}});
    EXPECT_EQ(broker_res.responses[0].error_code, invalid_request);
    EXPECT_NE(broker_res.responses[0].error_message->find("static"), std::string::npos);
    EXPECT_EQ(alter(broker::resource_broker, "1", {}).responses[0].error_code, 0);  // nothing to change
}

TEST_F(configs_handler_test, incremental_alter_sets_deletes_appends_and_subtracts) {
    for (int16_t v : {int16_t{0}, int16_t{1}}) {
        SCOPED_TRACE(v);
        auto r = incremental(v, broker::resource_topic, "t",
                             {{"retention.ms", 0, "1000"}, {"segment.bytes", 1, std::nullopt}});
        ASSERT_EQ(r.responses.size(), 1u);
        EXPECT_EQ(r.responses[0].error_code, 0);
        EXPECT_EQ(stored("t"), (std::map<std::string, std::string>{{"retention.ms", "1000"}}));
        // APPEND to a list starts from the value in effect ("delete"), SUBTRACT removes.
        EXPECT_EQ(incremental(v, broker::resource_topic, "t", {{"cleanup.policy", 2, "compact"}}).responses[0].error_code, 0);
        EXPECT_EQ(stored("t").at("cleanup.policy"), "delete,compact");
        EXPECT_EQ(incremental(v, broker::resource_topic, "t", {{"cleanup.policy", 3, "delete"}}).responses[0].error_code, 0);
        EXPECT_EQ(stored("t").at("cleanup.policy"), "compact");
        // Restore for the next version.
        ASSERT_EQ(alter(broker::resource_topic, "t", {{"segment.bytes", "4096"}}).responses[0].error_code, 0);
    }
    EXPECT_EQ(notifications().size(), 8u);

    auto append_int = incremental(1, broker::resource_topic, "t", {{"retention.ms", 2, "5"}});
    EXPECT_EQ(append_int.responses[0].error_code, invalid_request);
    EXPECT_EQ(append_int.responses[0].error_message, "Config value append is not allowed for config key: retention.ms");
    EXPECT_EQ(incremental(1, broker::resource_topic, "t", {{"retention.ms", 9, "5"}}).responses[0].error_code,
              invalid_request);
    EXPECT_EQ(incremental(1, broker::resource_topic, "t", {{"retention.ms", 0, "x"}}).responses[0].error_code,
              invalid_config);
    // Removing the last policy leaves an empty list: not a valid cleanup.policy.
    EXPECT_EQ(incremental(1, broker::resource_topic, "t", {{"cleanup.policy", 3, "delete"}}).responses[0].error_code,
              invalid_config);
    EXPECT_EQ(incremental(1, broker::resource_topic, "missing", {{"retention.ms", 0, "5"}}).responses[0].error_code,
              unknown_topic_or_partition);
    EXPECT_EQ(incremental(1, broker::resource_topic, "t", {{"retention.ms", 0, "5"}}, true).responses[0].error_code, 0);
    EXPECT_EQ(stored("t"), (std::map<std::string, std::string>{{"segment.bytes", "4096"}}));
    EXPECT_EQ(notifications().size(), 8u);
}

TEST_F(configs_handler_test, create_topics_validates_configs) {
    protocol::create_topics_request req;
    auto& t = req.topics.emplace_back();
    t.name = "bad";
    t.num_partitions = 1;
    t.replication_factor = 1;
    t.configs.push_back({"retention.ms", "forever", {}});
    publish({}, {1});
    auto r = broker_test::decode_response<protocol::create_topics_response>(send(req, 4), 4);
    ASSERT_EQ(r.topics.size(), 1u);
    EXPECT_EQ(r.topics[0].error_code, invalid_config);
    EXPECT_EQ(r.topics[0].error_message, "Invalid value forever for configuration retention.ms: Not a number of type LONG");
    EXPECT_FALSE(zk_server_->node_data(coordination::znodes::topic_path("bad")).has_value());
}

TEST(topic_config, parse_overrides_types_values_and_skips_what_is_invalid) {
    auto o = broker::parse_topic_overrides("t", {{"segment.bytes", "8192"},
                                                 {"retention.ms", " 1000 "},
                                                 {"retention.bytes", "-1"},
                                                 {"cleanup.policy", "compact , delete"},
                                                 {"max.message.bytes", "2048"},
                                                 {"min.insync.replicas", "2"},
                                                 {"retention.ms.bad", "1"},
                                                 {"unclean.leader.election.enable", "TRUE"}});
    EXPECT_EQ(o.log.segment_bytes, 8192u);
    EXPECT_EQ(o.log.retention_ms, 1000);
    EXPECT_EQ(o.log.retention_bytes, -1);
    EXPECT_EQ(o.log.cleanup_policy, "compact,delete");
    EXPECT_EQ(o.log.max_message_bytes, 2048u);
    EXPECT_EQ(o.min_insync_replicas, 2);
    auto bad = broker::parse_topic_overrides("t", {{"segment.bytes", "12"}, {"min.insync.replicas", "0"}});
    EXPECT_EQ(bad.log.segment_bytes, std::nullopt);
    EXPECT_EQ(bad.min_insync_replicas, std::nullopt);
    EXPECT_TRUE(broker::is_list_config("cleanup.policy"));
    EXPECT_FALSE(broker::is_list_config("retention.ms"));
}

TEST_F(configs_handler_test, topic_overrides_reach_the_open_logs) {
    publish({{"t", {broker_test::partition_spec{}}}}, {1});
    broker::topic_overrides o;
    o.log.segment_bytes = 8192;
    o.log.max_message_bytes = 5000;
    replicas_->apply_topic_overrides("t", o);
    auto* log = logs_->get("t", 0);
    ASSERT_NE(log, nullptr);
    EXPECT_EQ(log->config().segment_bytes, 8192u);
    EXPECT_EQ(log->config().max_batch_bytes, 5000u);
    replicas_->apply_topic_overrides("t", {});
    EXPECT_EQ(log->config().segment_bytes, cfg_.log_segment_bytes);
    EXPECT_EQ(log->config().max_batch_bytes, static_cast<uint32_t>(cfg_.message_max_bytes));
}

}  // namespace
