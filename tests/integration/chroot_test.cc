// Acceptance item 4 of issue 2: the broker keeps to its chroot: it registers
// /<chroot>/brokers/ids/<id> (ephemeral), /<chroot>/cluster/id and /<chroot>/controller, creates
// nothing outside the chroot, and a clean stop removes its registration at once.
#include "tests/integration/cluster_fixture.h"

namespace integration {
namespace {

using chroot_test = cluster_test;

TEST_F(chroot_test, registration_lives_under_chroot_and_goes_away_on_stop) {
    auto& b = start_broker(3);
    const std::string ids = chroot() + "/brokers/ids";
    // The listener opens only after registration, so the znode must already be there.
    ASSERT_TRUE(zk().exists(ids + "/3")) << zk().dump("/");
    auto owner = zk().ephemeral_owner(ids + "/3");
    ASSERT_TRUE(owner.has_value());
    EXPECT_NE(*owner, 0) << "/brokers/ids/3 must be ephemeral";
    std::string reg = zk().get(ids + "/3");
    EXPECT_NE(reg.find("\"port\":" + std::to_string(b.port())), std::string::npos) << reg;
    EXPECT_NE(reg.find("PLAINTEXT://127.0.0.1:" + std::to_string(b.port())), std::string::npos)
        << reg;
    EXPECT_EQ(zk().children(ids), std::vector<std::string>{"3"});

    EXPECT_TRUE(zk().exists(chroot() + "/cluster/id"));
    EXPECT_NE(zk().get(chroot() + "/cluster/id").find("\"id\""), std::string::npos);
    ASSERT_TRUE(wait_until([&] { return zk().exists(chroot() + "/controller"); },
                           std::chrono::seconds(10)));
    EXPECT_NE(zk().get(chroot() + "/controller").find("\"brokerid\":3"), std::string::npos);

    // Nothing outside the chroots: the root holds only "zookeeper" and /brook-* chroots.
    auto root = zk().children("/");
    EXPECT_NE(std::find(root.begin(), root.end(), chroot().substr(1)), root.end());
    for (const auto& name : root) {
        EXPECT_TRUE(name == "zookeeper" || name.rfind("brook-", 0) == 0)
            << "znode /" << name << " outside any chroot";
    }

    auto s = b.stop();
    EXPECT_TRUE(s.success()) << s.to_string();
    // Clean shutdown closes the session, so the ephemeral node goes at once (no session timeout).
    EXPECT_FALSE(zk().exists(ids + "/3"));
    EXPECT_TRUE(zk().exists(chroot() + "/cluster/id"));  // persistent state stays
}

TEST_F(chroot_test, crashed_broker_registration_expires_with_its_session) {
    auto& b = start_broker(1);
    const std::string node = chroot() + "/brokers/ids/1";
    ASSERT_TRUE(zk().exists(node));
    b.kill();
    // zookeeper.session.timeout.ms=6000: gone within the timeout plus a tick or two.
    EXPECT_TRUE(wait_until([&] { return !zk().exists(node); }, std::chrono::seconds(15)));
    b.start();
    EXPECT_TRUE(wait_until([&] { return zk().exists(node); }, std::chrono::seconds(10)));
}

}  // namespace
}  // namespace integration
