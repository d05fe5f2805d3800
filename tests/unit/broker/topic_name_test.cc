#include "broker/topic_admin.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace {

using broker::check_topic_name;

TEST(check_topic_name, legal_names) {
    for (const std::string name : {"a", "orders", "Orders-2024_v1.0", "...", ".hidden", "__consumer_offsets",
                                   "0", "a..b", "-", "_"}) {
        EXPECT_FALSE(check_topic_name(name).has_value()) << name << ": " << check_topic_name(name).value_or("");
    }
    EXPECT_FALSE(check_topic_name(std::string(249, 'x')).has_value());
}

TEST(check_topic_name, empty_dot_and_dotdot) {
    auto empty = check_topic_name("");
    ASSERT_TRUE(empty.has_value());
    EXPECT_THAT(*empty, ::testing::HasSubstr("empty"));
    for (const std::string name : {".", ".."}) {
        auto msg = check_topic_name(name);
        ASSERT_TRUE(msg.has_value()) << name;
        EXPECT_THAT(*msg, ::testing::HasSubstr("\".\" or \"..\""));
    }
}

TEST(check_topic_name, too_long) {
    for (size_t n : {250u, 251u, 1000u}) {
        auto msg = check_topic_name(std::string(n, 'a'));
        ASSERT_TRUE(msg.has_value()) << n;
        EXPECT_THAT(*msg, ::testing::HasSubstr("249"));
    }
}

TEST(check_topic_name, illegal_characters) {
    for (const std::string& name : std::vector<std::string>{"a b", "a/b", "a:b", "a*", "topic!", "t\xc3\xa9", std::string("a\0b", 3), "a\tb",
                                   "a,b", "a+b", "\"q\"", "a\\b"}) {
        auto msg = check_topic_name(name);
        ASSERT_TRUE(msg.has_value()) << name;
        EXPECT_THAT(*msg, ::testing::HasSubstr("character")) << name;
    }
}

}  // namespace
