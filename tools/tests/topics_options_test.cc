#include "tools/topics/topics_options.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <vector>

namespace tools {
namespace {

cli_result<topics_command_line> parse(std::initializer_list<const char*> flags) {
    std::vector<const char*> argv{"brook-topics"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    return parse_topics_args(argv);
}

std::string error_of(std::initializer_list<const char*> flags) {
    auto r = parse(flags);
    if (r) return "<parsed>";
    EXPECT_EQ(r.error().exit_code, 1);
    return r.error().message;
}

TEST(parse_topics_args, create_with_everything) {
    auto r = parse({"--bootstrap-server", "h1:9092,h2:9093", "--create", "--topic", "orders",
                    "--partitions", "6", "--replication-factor", "3", "--config",
                    "cleanup.policy=compact", "--config", "retention.ms=1000", "--if-not-exists"});
    ASSERT_TRUE(r) << r.error().message;
    const auto& o = r.value().options;
    EXPECT_FALSE(r.value().help);
    EXPECT_EQ(o.action, topics_action::create);
    EXPECT_EQ(o.bootstrap, (std::vector<endpoint>{{"h1", 9092}, {"h2", 9093}}));
    EXPECT_EQ(o.topic, "orders");
    EXPECT_EQ(o.partitions, 6);
    EXPECT_EQ(o.replication_factor, 3);
    EXPECT_EQ(o.configs, (std::vector<config_entry>{{"cleanup.policy", "compact"},
                                                    {"retention.ms", "1000"}}));
    EXPECT_TRUE(o.if_not_exists);
    EXPECT_FALSE(o.if_exists);
}

TEST(parse_topics_args, create_without_sizes_leaves_them_to_the_broker) {
    auto r = parse({"--bootstrap-server", "h:1", "--create", "--topic", "t"});
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_FALSE(r.value().options.partitions);
    EXPECT_FALSE(r.value().options.replication_factor);
}

TEST(parse_topics_args, list_describe_delete) {
    auto list = parse({"--list", "--bootstrap-server", "h:1", "--exclude-internal"});
    ASSERT_TRUE(list);
    EXPECT_EQ(list.value().options.action, topics_action::list);
    EXPECT_TRUE(list.value().options.exclude_internal);

    auto describe = parse({"--describe", "--bootstrap-server", "h:1"});
    ASSERT_TRUE(describe);
    EXPECT_EQ(describe.value().options.action, topics_action::describe);
    EXPECT_FALSE(describe.value().options.topic);

    auto del = parse({"--delete", "--bootstrap-server", "h:1", "--topic", "t", "--if-exists"});
    ASSERT_TRUE(del);
    EXPECT_EQ(del.value().options.action, topics_action::remove);
    EXPECT_TRUE(del.value().options.if_exists);
}

TEST(parse_topics_args, help_needs_nothing_else) {
    auto r = parse({"--help"});
    ASSERT_TRUE(r);
    EXPECT_TRUE(r.value().help);
    EXPECT_NE(topics_usage().find("--bootstrap-server"), std::string::npos);
}

TEST(parse_topics_args, exactly_one_action) {
    const std::string msg =
        "Error: exactly one of --create, --list, --describe, --alter, --delete must be given";
    EXPECT_EQ(error_of({"--bootstrap-server", "h:1"}), msg);
    EXPECT_EQ(error_of({"--bootstrap-server", "h:1", "--list", "--describe"}), msg);
    EXPECT_EQ(error_of({"--bootstrap-server", "h:1", "--create", "--delete", "--topic", "t"}), msg);
    EXPECT_EQ(error_of({"--bootstrap-server", "h:1", "--alter", "--describe", "--topic", "t",
                        "--partitions", "3"}),
              msg);
}

TEST(parse_topics_args, alter_partitions) {
    auto r = parse({"--bootstrap-server", "h:1", "--alter", "--topic", "orders", "--partitions",
                    "12", "--if-exists"});
    ASSERT_TRUE(r) << r.error().message;
    const auto& o = r.value().options;
    EXPECT_EQ(o.action, topics_action::alter);
    EXPECT_EQ(o.topic, "orders");
    EXPECT_EQ(o.partitions, 12);
    EXPECT_TRUE(o.if_exists);
}

TEST(parse_topics_args, alter_needs_topic_and_a_positive_partition_count) {
    EXPECT_EQ(error_of({"--bootstrap-server", "h:1", "--alter", "--partitions", "3"}),
              "Error: --topic is required with --alter");
    EXPECT_EQ(error_of({"--bootstrap-server", "h:1", "--alter", "--topic", "t"}),
              "Error: --partitions is required with --alter");
    for (const char* bad : {"0", "-1", "3x", "", "2147483648", "1.5"}) {
        EXPECT_EQ(error_of({"--bootstrap-server", "h:1", "--alter", "--topic", "t",
                            "--partitions", bad}),
                  "Error: --partitions must be a positive integer")
            << bad;
    }
    EXPECT_EQ(error_of({"--bootstrap-server", "h:1", "--alter", "--topic", "t", "--partitions",
                        "3", "--replication-factor", "2"}),
              "Error: --replication-factor can't be used with --alter");
    EXPECT_EQ(error_of({"--bootstrap-server", "h:1", "--alter", "--topic", "t", "--partitions",
                        "3", "--config", "a=b"}),
              "Error: --config can't be used with --alter");
    EXPECT_EQ(error_of({"--bootstrap-server", "h:1", "--alter", "--topic", "t", "--partitions",
                        "3", "--if-not-exists"}),
              "Error: --if-not-exists can't be used with --alter");
}

TEST(parse_topics_args, describe_reports) {
    auto under = parse({"--bootstrap-server", "h:1", "--describe", "--under-replicated-partitions"});
    ASSERT_TRUE(under) << under.error().message;
    EXPECT_TRUE(under.value().options.under_replicated_partitions);
    EXPECT_FALSE(under.value().options.unavailable_partitions);

    auto unavailable = parse({"--bootstrap-server", "h:1", "--describe", "--topic", "t",
                              "--unavailable-partitions"});
    ASSERT_TRUE(unavailable) << unavailable.error().message;
    EXPECT_TRUE(unavailable.value().options.unavailable_partitions);
    EXPECT_FALSE(unavailable.value().options.under_replicated_partitions);

    auto plain = parse({"--bootstrap-server", "h:1", "--describe"});
    ASSERT_TRUE(plain);
    EXPECT_FALSE(plain.value().options.under_replicated_partitions);
    EXPECT_FALSE(plain.value().options.unavailable_partitions);

    EXPECT_EQ(error_of({"--bootstrap-server", "h:1", "--describe", "--under-replicated-partitions",
                        "--unavailable-partitions"}),
              "Error: --under-replicated-partitions and --unavailable-partitions can't be used "
              "together");
    EXPECT_EQ(error_of({"--bootstrap-server", "h:1", "--list", "--under-replicated-partitions"}),
              "Error: --under-replicated-partitions can't be used with --list");
    EXPECT_EQ(error_of({"--bootstrap-server", "h:1", "--alter", "--topic", "t", "--partitions",
                        "2", "--unavailable-partitions"}),
              "Error: --unavailable-partitions can't be used with --alter");
    EXPECT_EQ(error_of({"--bootstrap-server", "h:1", "--delete", "--topic", "t",
                        "--unavailable-partitions"}),
              "Error: --unavailable-partitions can't be used with --delete");
}

TEST(parse_topics_args, bootstrap_server_is_required_and_checked) {
    EXPECT_EQ(error_of({"--list"}), "Error: --bootstrap-server must be specified");
    EXPECT_NE(error_of({"--list", "--bootstrap-server", "nohostport"}).find("invalid"),
              std::string::npos);
}

TEST(parse_topics_args, topic_required_for_create_and_delete) {
    EXPECT_EQ(error_of({"--bootstrap-server", "h:1", "--create"}),
              "Error: --topic is required with --create");
    EXPECT_EQ(error_of({"--bootstrap-server", "h:1", "--delete"}),
              "Error: --topic is required with --delete");
}

TEST(parse_topics_args, sizes_must_be_positive_integers) {
    EXPECT_EQ(error_of({"--bootstrap-server", "h:1", "--create", "--topic", "t", "--partitions",
                        "zero"}),
              "Error: --partitions must be a positive integer");
    EXPECT_EQ(error_of({"--bootstrap-server", "h:1", "--create", "--topic", "t", "--partitions",
                        "0"}),
              "Error: --partitions must be a positive integer");
    EXPECT_EQ(error_of({"--bootstrap-server", "h:1", "--create", "--topic", "t",
                        "--replication-factor", "-2"})
                  .rfind("Error: --replication-factor must be a positive integer", 0),
              0u);
    EXPECT_EQ(error_of({"--bootstrap-server", "h:1", "--create", "--topic", "t",
                        "--replication-factor", "40000"})
                  .rfind("Error: --replication-factor must be a positive integer", 0),
              0u);
}

TEST(parse_topics_args, bad_config_syntax) {
    EXPECT_EQ(error_of({"--bootstrap-server", "h:1", "--create", "--topic", "t", "--config",
                        "retention"}),
              "Error: invalid --config 'retention': expected key=value");
}

TEST(parse_topics_args, flags_that_do_not_fit_the_action) {
    EXPECT_EQ(error_of({"--bootstrap-server", "h:1", "--list", "--partitions", "3"}),
              "Error: --partitions can't be used with --list");
    EXPECT_EQ(error_of({"--bootstrap-server", "h:1", "--delete", "--topic", "t",
                        "--replication-factor", "3"}),
              "Error: --replication-factor can't be used with --delete");
    EXPECT_EQ(error_of({"--bootstrap-server", "h:1", "--describe", "--config", "a=b"}),
              "Error: --config can't be used with --describe");
    EXPECT_EQ(error_of({"--bootstrap-server", "h:1", "--create", "--topic", "t", "--if-exists"}),
              "Error: --if-exists can't be used with --create");
    EXPECT_EQ(error_of({"--bootstrap-server", "h:1", "--delete", "--topic", "t",
                        "--if-not-exists"}),
              "Error: --if-not-exists can't be used with --delete");
    EXPECT_EQ(error_of({"--bootstrap-server", "h:1", "--delete", "--topic", "t",
                        "--exclude-internal"}),
              "Error: --exclude-internal can't be used with --delete");
}

TEST(parse_topics_args, unknown_and_repeated_flags) {
    EXPECT_EQ(error_of({"--bootstrap-server", "h:1", "--list", "--bogus"}).rfind("Error: ", 0), 0u);
    EXPECT_EQ(error_of({"--bootstrap-server", "h:1", "--describe", "--topic", "a", "--topic", "b"})
                  .rfind("Error: ", 0),
              0u);
    EXPECT_EQ(error_of({"--bootstrap-server", "h:1", "--create", "--topic"}).rfind("Error: ", 0),
              0u);
}

}  // namespace
}  // namespace tools
