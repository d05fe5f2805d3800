#include "tools/configs/configs_command.h"

#include <gtest/gtest.h>

#include <sstream>

namespace tools {
namespace {

cli_result<configs_command_line> parse(std::vector<const char*> args) {
    args.insert(args.begin(), "brook-configs");
    return parse_configs_args(args);
}

std::string parse_error(std::vector<const char*> args) {
    auto r = parse(std::move(args));
    return r ? std::string("(parsed)") : r.error().message;
}

TEST(configs_options, topic_alter_and_describe) {
    auto r = parse({"--bootstrap-server", "h:9092", "--entity-type", "topics", "--entity-name", "t", "--alter",
                    "--add-config", "retention.ms=1000,cleanup.policy=[compact,delete]", "--delete-config",
                    "segment.bytes"});
    ASSERT_TRUE(r) << r.error().message;
    const auto& o = r.value().options;
    EXPECT_FALSE(o.describe);
    EXPECT_EQ(o.entity_name, "t");
    ASSERT_EQ(o.add.size(), 2u);
    EXPECT_EQ(o.add[0], (config_entry{"retention.ms", "1000"}));
    EXPECT_EQ(o.add[1], (config_entry{"cleanup.policy", "compact,delete"}));
    EXPECT_EQ(o.remove, std::vector<std::string>{"segment.bytes"});
    EXPECT_EQ(o.args_text,
              "--bootstrap-server h:9092 --entity-type topics --entity-name t --alter --add-config "
              "retention.ms=1000,cleanup.policy=[compact,delete] --delete-config segment.bytes");

    auto d = parse({"--bootstrap-server", "h:9092", "--topic", "t", "--describe", "--all"});
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_TRUE(d.value().options.describe);
    EXPECT_TRUE(d.value().options.all);
    EXPECT_EQ(d.value().options.entity, configs_entity::topics);
    EXPECT_EQ(d.value().options.entity_name, "t");

    auto b = parse({"--bootstrap-server", "h:9092", "--entity-type", "brokers", "--describe"});
    ASSERT_TRUE(b) << b.error().message;
    EXPECT_EQ(b.value().options.entity, configs_entity::brokers);
    EXPECT_FALSE(b.value().options.entity_name);
}

TEST(configs_options, kafka_configs_checks) {
    EXPECT_EQ(parse_error({"--topic", "t", "--describe"}), "Error: --bootstrap-server must be specified");
    EXPECT_EQ(parse_error({"--bootstrap-server", "h:1", "--topic", "t"}),
              "Error: Command must include exactly one action: --describe, --alter");
    EXPECT_EQ(parse_error({"--bootstrap-server", "h:1", "--topic", "t", "--describe", "--alter"}),
              "Error: Command must include exactly one action: --describe, --alter");
    EXPECT_EQ(parse_error({"--bootstrap-server", "h:1", "--describe"}),
              "Error: --entity-type (or --topic / --broker) must be specified");
    EXPECT_EQ(parse_error({"--bootstrap-server", "h:1", "--entity-type", "widgets", "--describe"}),
              "Error: Invalid entity type widgets, the entity type must be one of topics, brokers");
    EXPECT_EQ(parse_error({"--bootstrap-server", "h:1", "--entity-type", "users", "--describe"}),
              "Error: entity type users is not supported by Brook (topics and brokers are)");
    EXPECT_EQ(parse_error({"--bootstrap-server", "h:1", "--entity-type", "brokers", "--entity-name", "x1",
                           "--describe"}),
              "Error: The entity name for brokers must be a valid integer broker id, but it is: x1");
    EXPECT_EQ(parse_error({"--bootstrap-server", "h:1", "--topic", "t", "--entity-default", "--describe"}),
              "Error: --entity-default is only valid with --entity-type brokers");
    EXPECT_EQ(parse_error({"--bootstrap-server", "h:1", "--topic", "t", "--alter"}),
              "Error: --add-config or --delete-config must be specified with --alter");
    EXPECT_EQ(parse_error({"--bootstrap-server", "h:1", "--entity-type", "topics", "--alter", "--add-config", "a=1"}),
              "Error: an entity name must be specified with --alter of topics");
    EXPECT_EQ(parse_error({"--bootstrap-server", "h:1", "--topic", "t", "--describe", "--add-config", "a=1"}),
              "Error: --add-config and --delete-config are only valid with --alter");
    EXPECT_EQ(parse_error({"--bootstrap-server", "h:1", "--topic", "t", "--alter", "--all", "--add-config", "a=1"}),
              "Error: --all is only valid with --describe");
    EXPECT_EQ(parse_error({"--bootstrap-server", "h:1", "--topic", "t", "--alter", "--add-config", "a=1",
                           "--delete-config", "a"}),
              "Error: Invalid entity config: a is in both --add-config and --delete-config");
    EXPECT_EQ(parse_error({"--bootstrap-server", "h:1", "--topic", "t", "--entity-type", "brokers", "--describe"}),
              "Error: --topic cannot be combined with --entity-type, --entity-name or another entity");
}

TEST(configs_options, add_config_format) {
    auto ok = parse_add_config("a=1, b = x ,c=[p,q,r]");
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok.value(), (std::vector<config_entry>{{"a", "1"}, {"b", "x"}, {"c", "p,q,r"}}));
    for (const char* bad : {"a", "=1", "a=1,b", "a=1=2"}) {
        auto r = parse_add_config(bad);
        ASSERT_FALSE(r) << bad;
        EXPECT_NE(r.error().message.find("all configs to be added must be in the format \"key=val\""),
                  std::string::npos);
    }
}

class fake_configs_admin : public configs_admin {
public:
    std::map<std::string, resource_configs> topics_answer;
    alter_outcome alter_answer;
    std::optional<cli_error> transport_error;
    std::vector<std::pair<std::string, std::vector<config_change>>> altered;

    cli_result<resource_configs> describe(int8_t type, const std::string& name) override {
        if (transport_error) return *transport_error;
        EXPECT_EQ(type, topic_resource);
        auto it = topics_answer.find(name);
        if (it == topics_answer.end()) {
            return resource_configs{3, "The topic '" + name + "' does not exist.", {}};
        }
        return it->second;
    }
    cli_result<alter_outcome> alter(int8_t, const std::string& name, const std::vector<config_change>& changes) override {
        if (transport_error) return *transport_error;
        altered.emplace_back(name, changes);
        return alter_answer;
    }
    cli_result<std::vector<std::string>> topics() override {
        std::vector<std::string> out;
        for (const auto& [n, _] : topics_answer) out.push_back(n);
        return out;
    }
    cli_result<std::vector<int32_t>> brokers() override { return std::vector<int32_t>{1, 2}; }
};

resource_configs sample() {
    resource_configs r;
    r.configs.push_back({"segment.bytes", "1073741824", 5, false, false, {{"log.segment.bytes", "1073741824", 5}}});
    r.configs.push_back({"retention.ms", "1000", 1, false, false,
                         {{"retention.ms", "1000", 1}, {"log.retention.hours", "168", 4}}});
    r.configs.push_back({"cleanup.policy", "compact,delete", 1, false, false, {{"cleanup.policy", "compact,delete", 1}}});
    return r;
}

struct run_result {
    int code;
    std::string out, err;
};

run_result run(std::vector<const char*> args, fake_configs_admin& admin) {
    auto parsed = parse(std::move(args));
    EXPECT_TRUE(parsed) << parsed.error().message;
    std::ostringstream out, err;
    int code = run_configs_command(parsed.value().options, admin, out, err);
    return {code, out.str(), err.str()};
}

TEST(configs_command, describe_prints_overrides_like_kafka_configs) {
    fake_configs_admin admin;
    admin.topics_answer["t"] = sample();
    auto r = run({"--bootstrap-server", "h:1", "--entity-type", "topics", "--entity-name", "t", "--describe"}, admin);
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out,
              "Dynamic configs for topic t are:\n"
              "  cleanup.policy=compact,delete sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:cleanup.policy=compact,delete}\n"
              "  retention.ms=1000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=1000, "
              "STATIC_BROKER_CONFIG:log.retention.hours=168}\n");

    auto all = run({"--bootstrap-server", "h:1", "--topic", "t", "--describe", "--all"}, admin);
    EXPECT_EQ(all.code, 0);
    EXPECT_NE(all.out.find("All configs for topic t are:\n"), std::string::npos);
    EXPECT_NE(all.out.find("  segment.bytes=1073741824 sensitive=false synonyms={DEFAULT_CONFIG:log.segment.bytes=1073741824}\n"),
              std::string::npos);

    // Without a name: every topic in turn.
    admin.topics_answer["u"] = resource_configs{};
    auto every = run({"--bootstrap-server", "h:1", "--entity-type", "topics", "--describe"}, admin);
    EXPECT_EQ(every.code, 0);
    EXPECT_NE(every.out.find("Dynamic configs for topic u are:\n"), std::string::npos);
}

TEST(configs_command, sensitive_and_null_values_print_null) {
    config_item c{"secret", "x", 1, false, true, {{"secret", "x", 1}}};
    EXPECT_EQ(format_config_line(c), "  secret=null sensitive=true synonyms={DYNAMIC_TOPIC_CONFIG:secret=null}");
    config_item n{"k", std::nullopt, 5, false, false, {}};
    EXPECT_EQ(format_config_line(n), "  k=null sensitive=false synonyms={}");
}

TEST(configs_command, alter_sends_sets_then_deletes) {
    fake_configs_admin admin;
    admin.topics_answer["t"] = sample();
    auto r = run({"--bootstrap-server", "h:1", "--topic", "t", "--alter", "--add-config", "retention.ms=5",
                  "--delete-config", "cleanup.policy"},
                 admin);
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "Completed updating config for topic t.\n");
    ASSERT_EQ(admin.altered.size(), 1u);
    const auto& changes = admin.altered[0].second;
    ASSERT_EQ(changes.size(), 2u);
    EXPECT_EQ(changes[0].name, "retention.ms");
    EXPECT_EQ(changes[0].operation, 0);
    EXPECT_EQ(changes[0].value, "5");
    EXPECT_EQ(changes[1].name, "cleanup.policy");
    EXPECT_EQ(changes[1].operation, 1);
}

TEST(configs_command, errors_are_reported_as_kafka_configs_does) {
    fake_configs_admin admin;
    admin.topics_answer["t"] = sample();
    // Deleting a config the topic does not have: refused before anything is sent.
    auto del = run({"--bootstrap-server", "h:1", "--topic", "t", "--alter", "--delete-config", "nope,retention.ms,x"},
                   admin);
    EXPECT_EQ(del.code, 1);
    EXPECT_TRUE(admin.altered.empty());
    EXPECT_EQ(del.err,
              "Error while executing config command with args '--bootstrap-server h:1 --topic t --alter --delete-config "
              "nope,retention.ms,x'\n"
              "org.apache.kafka.common.errors.InvalidConfigurationException: Invalid config(s): nope,x\n");

    // The broker's INVALID_CONFIG message goes through as is.
    admin.alter_answer = {40, "Invalid value -5 for configuration segment.bytes"};
    auto bad = run({"--bootstrap-server", "h:1", "--topic", "t", "--alter", "--add-config", "segment.bytes=-5"}, admin);
    EXPECT_EQ(bad.code, 1);
    EXPECT_EQ(bad.out, "");
    EXPECT_NE(bad.err.find("org.apache.kafka.common.errors.InvalidConfigurationException: Invalid value -5 for "
                           "configuration segment.bytes\n"),
              std::string::npos);

    auto missing = run({"--bootstrap-server", "h:1", "--topic", "gone", "--describe"}, admin);
    EXPECT_EQ(missing.code, 1);
    EXPECT_NE(missing.err.find("org.apache.kafka.common.errors.UnknownTopicOrPartitionException: The topic 'gone' does "
                               "not exist.\n"),
              std::string::npos);

    admin.transport_error = make_cli_error("Error: cannot reach any of the bootstrap servers h:1", 1);
    auto down = run({"--bootstrap-server", "h:1", "--topic", "t", "--describe"}, admin);
    EXPECT_EQ(down.code, 1);
    EXPECT_EQ(down.err, "Error: cannot reach any of the bootstrap servers h:1\n");
}

}  // namespace
}  // namespace tools
