#include "coordination/errc.h"

#include <gtest/gtest.h>

using namespace coordination;

TEST(errc, zookeeper_codes_keep_their_c_values_and_messages) {
    std::error_code ec = zk_errc::node_exists;
    EXPECT_EQ(ec.value(), -110);  // ZNODEEXISTS
    EXPECT_EQ(make_error_code(zk_errc::bad_version).value(), -103);
    EXPECT_EQ(ec.message(), "node already exists");
    EXPECT_STREQ(ec.category().name(), "zookeeper");
}

TEST(errc, session_errors_are_told_apart_from_normal_answers) {
    EXPECT_TRUE(is_session_error(zk_errc::connection_loss));
    EXPECT_TRUE(is_session_error(zk_errc::session_expired));
    EXPECT_TRUE(is_session_error(zk_errc::closing));
    EXPECT_FALSE(is_session_error(zk_errc::node_exists));
    EXPECT_FALSE(is_session_error(zk_errc::no_node));
    EXPECT_FALSE(is_session_error(zk_errc::bad_version));
    EXPECT_FALSE(is_session_error(errc::unknown_topic));
    EXPECT_FALSE(is_session_error(std::make_error_code(std::errc::timed_out)));
}

TEST(errc, library_errors_have_their_own_category) {
    std::error_code ec = errc::broker_already_registered;
    EXPECT_STREQ(ec.category().name(), "coordination");
    EXPECT_NE(ec, std::error_code(zk_errc::node_exists));
    EXPECT_EQ(ec.message(), "broker id already registered");
}
