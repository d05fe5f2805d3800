#include "coordination/broker_registry.h"
#include "coordination/fake_zk.h"

#include "tests/unit/coordination/coord_test_util.h"

#include <gtest/gtest.h>

using namespace coordination;
using coord_test::run_until;

namespace {

struct registry_fixture : ::testing::Test {
    // Pending handlers hold components that refer to the clients: run them while all is alive.
    ~registry_fixture() override { coord_test::drain(io); }
    boost::asio::io_context io;
    std::shared_ptr<fake_zk_server> server = fake_zk_server::make();
    fake_zk zk1{server, io.get_executor()};
    fake_zk zk2{server, io.get_executor()};

    std::error_code start(broker_registry& r) {
        std::optional<std::error_code> out;
        r.start([&](std::error_code ec) { out = ec; });
        EXPECT_TRUE(run_until(io, [&] { return out.has_value(); }));
        return *out;
    }
};

TEST_F(registry_fixture, registers_ephemeral_node_with_kafka_json) {
    auto r = broker_registry::make(zk1, {1, "127.0.0.1", 9092, std::nullopt});
    ASSERT_FALSE(start(*r));
    auto st = server->node_stat("/brokers/ids/1");
    ASSERT_TRUE(st);
    EXPECT_EQ(st->ephemeral_owner, zk1.session_id());
    auto b = znodes::decode_broker(1, *server->node_data("/brokers/ids/1"));
    ASSERT_TRUE(b);
    EXPECT_EQ(b.value().port, 9092);
}

TEST_F(registry_fixture, second_broker_with_same_id_is_refused) {
    auto r1 = broker_registry::make(zk1, {1, "h", 1, std::nullopt});
    auto r2 = broker_registry::make(zk2, {1, "h", 2, std::nullopt});
    ASSERT_FALSE(start(*r1));
    EXPECT_EQ(start(*r2), errc::broker_already_registered);
    EXPECT_EQ(errc::broker_already_registered, start(*r2));
    // Once the first one's session is gone, the id is free.
    zk1.close();
    EXPECT_FALSE(start(*r2));
}

TEST_F(registry_fixture, retried_create_on_own_session_is_success) {
    auto r = broker_registry::make(zk1, {3, "h", 1, std::nullopt});
    ASSERT_FALSE(start(*r));
    EXPECT_FALSE(start(*r));  // node exists but is ours
}

TEST_F(registry_fixture, re_registers_after_session_expiry) {
    auto r = broker_registry::make(zk1, {1, "h", 1, std::nullopt});
    std::optional<std::error_code> again;
    r->on_reregistered([&](std::error_code ec) { again = ec; });
    ASSERT_FALSE(start(*r));
    zk1.expire();
    EXPECT_FALSE(server->node_exists("/brokers/ids/1"));
    zk1.reconnect();
    ASSERT_TRUE(run_until(io, [&] { return again.has_value(); }));
    EXPECT_FALSE(*again);
    EXPECT_EQ(server->node_stat("/brokers/ids/1")->ephemeral_owner, zk1.session_id());
}

TEST_F(registry_fixture, stop_deletes_the_node) {
    auto r = broker_registry::make(zk1, {1, "h", 1, std::nullopt});
    ASSERT_FALSE(start(*r));
    std::optional<std::error_code> out;
    r->stop([&](std::error_code ec) { out = ec; });
    ASSERT_TRUE(run_until(io, [&] { return out.has_value(); }));
    EXPECT_FALSE(*out);
    EXPECT_FALSE(server->node_exists("/brokers/ids/1"));
}

}  // namespace
