#include "tools/common/args.h"

#include <gtest/gtest.h>

namespace tools {
namespace {

TEST(parse_bootstrap_servers, single_and_multiple_hosts) {
    auto one = parse_bootstrap_servers("localhost:9092");
    ASSERT_TRUE(one);
    EXPECT_EQ(one.value(), (std::vector<endpoint>{{"localhost", 9092}}));

    auto many = parse_bootstrap_servers("a:1, b:2 ,[::1]:9093,");
    ASSERT_TRUE(many);
    EXPECT_EQ(many.value(), (std::vector<endpoint>{{"a", 1}, {"b", 2}, {"::1", 9093}}));
}

TEST(parse_bootstrap_servers, rejects_missing_or_bad_ports) {
    for (const char* bad : {"", ",", "localhost", "localhost:", "localhost:0", "localhost:65536",
                            "localhost:90x", ":9092", "::1:9092", "[::1]9092"}) {
        auto r = parse_bootstrap_servers(bad);
        EXPECT_FALSE(r) << bad;
        if (!r) {
            EXPECT_EQ(r.error().message.rfind("Error: ", 0), 0u) << r.error().message;
            EXPECT_EQ(r.error().exit_code, 1);
        }
    }
}

TEST(parse_positive_int, accepts_range_and_names_the_flag_on_error) {
    EXPECT_EQ(parse_positive_int("3", "--partitions", 100).value(), 3);
    EXPECT_EQ(parse_positive_int("100", "--partitions", 100).value(), 100);
    for (const char* bad : {"0", "-1", "abc", "1.5", "", "101", "3x"}) {
        auto r = parse_positive_int(bad, "--partitions", 100);
        ASSERT_FALSE(r) << bad;
        EXPECT_EQ(r.error().message.rfind("Error: --partitions must be a positive integer", 0), 0u)
            << r.error().message;
    }
}

TEST(parse_config_entry, splits_at_first_equals) {
    auto e = parse_config_entry("cleanup.policy=compact");
    ASSERT_TRUE(e);
    EXPECT_EQ(e.value(), (config_entry{"cleanup.policy", "compact"}));

    auto with_eq = parse_config_entry("a=b=c");
    ASSERT_TRUE(with_eq);
    EXPECT_EQ(with_eq.value(), (config_entry{"a", "b=c"}));

    auto empty_value = parse_config_entry("retention.ms=");
    ASSERT_TRUE(empty_value);
    EXPECT_EQ(empty_value.value().value, "");

    EXPECT_FALSE(parse_config_entry("novalue"));
    EXPECT_FALSE(parse_config_entry("=v"));
}

}  // namespace
}  // namespace tools
