#include "coordination/controller_election.h"
#include "coordination/fake_zk.h"
#include "coordination/znodes.h"

#include "tests/unit/coordination/coord_test_util.h"

#include <gtest/gtest.h>

using namespace coordination;
using coord_test::run_until;

namespace {

struct seen {
    int32_t id = -2;
    int32_t epoch = -1;
    bool me = false;
    int calls = 0;
};

struct election_fixture : ::testing::Test {
    // Pending handlers hold components that refer to the clients: run them while all is alive.
    ~election_fixture() override { coord_test::drain(io); }
    boost::asio::io_context io;
    std::shared_ptr<fake_zk_server> server = fake_zk_server::make();
    fake_zk zk1{server, io.get_executor()};
    fake_zk zk2{server, io.get_executor()};
    seen s1, s2;
    std::shared_ptr<controller_election> e1 = controller_election::make(zk1, 1, [this](int32_t id, int32_t ep, bool me) {
        s1 = {id, ep, me, s1.calls + 1};
    });
    std::shared_ptr<controller_election> e2 = controller_election::make(zk2, 2, [this](int32_t id, int32_t ep, bool me) {
        s2 = {id, ep, me, s2.calls + 1};
    });
};

TEST_F(election_fixture, first_broker_wins_with_epoch_one) {
    e1->start();
    ASSERT_TRUE(run_until(io, [&] { return s1.calls > 0; }));
    EXPECT_EQ(s1.id, 1);
    EXPECT_EQ(s1.epoch, 1);
    EXPECT_TRUE(s1.me);
    EXPECT_EQ(*server->node_data("/controller_epoch"), "1");
    EXPECT_EQ(znodes::decode_controller(*server->node_data("/controller")).value(), 1);
    EXPECT_EQ(server->node_stat("/controller")->ephemeral_owner, zk1.session_id());
    e2->start();
    ASSERT_TRUE(run_until(io, [&] { return s2.calls > 0; }));
    EXPECT_EQ(s2.id, 1);
    EXPECT_EQ(s2.epoch, 1);
    EXPECT_FALSE(s2.me);
}

TEST_F(election_fixture, simultaneous_start_elects_exactly_one) {
    e1->start();
    e2->start();
    ASSERT_TRUE(run_until(io, [&] { return s1.calls > 0 && s2.calls > 0; }));
    coord_test::drain(io);
    EXPECT_NE(s1.me, s2.me);
    EXPECT_EQ(s1.id, s2.id);
    EXPECT_EQ(s1.epoch, 1);
    EXPECT_EQ(s2.epoch, 1);
}

TEST_F(election_fixture, failover_bumps_the_epoch) {
    e1->start();
    ASSERT_TRUE(run_until(io, [&] { return s1.me; }));
    e2->start();
    ASSERT_TRUE(run_until(io, [&] { return s2.calls > 0; }));
    zk1.expire();
    ASSERT_TRUE(run_until(io, [&] { return s2.me; }));
    EXPECT_EQ(s2.id, 2);
    EXPECT_EQ(s2.epoch, 2);
    EXPECT_EQ(s1.id, -1);  // the old controller hears it lost the job
    EXPECT_FALSE(s1.me);
    zk1.reconnect();
    ASSERT_TRUE(run_until(io, [&] { return s1.id == 2; }));
    EXPECT_FALSE(s1.me);
    EXPECT_EQ(s1.epoch, 2);
}

TEST_F(election_fixture, stop_hands_over_at_once) {
    e1->start();
    ASSERT_TRUE(run_until(io, [&] { return s1.me; }));
    e2->start();
    ASSERT_TRUE(run_until(io, [&] { return s2.calls > 0; }));
    bool stopped = false;
    e1->stop([&](std::error_code ec) { stopped = !ec; });
    ASSERT_TRUE(run_until(io, [&] { return stopped && s2.me; }));
    EXPECT_EQ(s2.epoch, 2);
    EXPECT_FALSE(e1->is_controller());
}

TEST_F(election_fixture, existing_epoch_is_continued) {
    coord_test::sync_zk s{io, zk1};
    ASSERT_FALSE(s.create("/controller_epoch", "41"));
    e1->start();
    ASSERT_TRUE(run_until(io, [&] { return s1.me; }));
    EXPECT_EQ(s1.epoch, 42);
    EXPECT_EQ(e1->epoch_zk_version(), 1);
}

}  // namespace
