// The controller's requests as a broker receives them: LeaderAndIsr opens logs and sets roles,
// UpdateMetadata replaces the metadata, StopReplica deletes, and a request from an older
// controller epoch is refused with STALE_CONTROLLER_EPOCH and changes nothing.
#include "protocol/messages/leader_and_isr.h"
#include "protocol/messages/stop_replica.h"
#include "protocol/messages/update_metadata.h"
#include "tests/unit/broker/broker_test_util.h"

namespace broker_test {
namespace {

class inter_broker_test : public broker_fixture {};

protocol::leader_and_isr_request leader_and_isr(int32_t controller_epoch, int32_t leader, int32_t leader_epoch) {
    protocol::leader_and_isr_request req;
    req.controller_id = 2;
    req.controller_epoch = controller_epoch;
    auto& t = req.topic_states.emplace_back();
    t.topic_name = "li";
    auto& p = t.partition_states.emplace_back();
    p.partition_index = 0;
    p.controller_epoch = controller_epoch;
    p.leader = leader;
    p.leader_epoch = leader_epoch;
    p.isr = {1, 2};
    p.replicas = {1, 2};
    p.is_new = true;
    return req;
}

TEST_F(inter_broker_test, leader_and_isr_creates_the_log_and_sets_the_role_at_every_version) {
    for (int16_t v = 0; v <= 3; ++v) {
        auto req = leader_and_isr(5, 1, v);
        if (v < 2) {
            // v0-1 carry partitions flat, with the topic name on each.
            auto p = req.topic_states[0].partition_states[0];
            p.topic_name = "li";
            req.topic_states.clear();
            req.ungrouped_partition_states.push_back(p);
        }
        auto resp = decode_response<protocol::leader_and_isr_response>(send(req, v), v);
        EXPECT_EQ(resp.error_code, 0) << "v" << v;
        ASSERT_EQ(resp.partition_errors.size(), 1u) << "v" << v;
        EXPECT_EQ(resp.partition_errors[0].error_code, 0) << "v" << v;
        auto part = replicas_->get("li", 0);
        ASSERT_TRUE(part) << "v" << v;
        EXPECT_TRUE(part->is_leader());
        EXPECT_EQ(part->leader_epoch(), v);
    }
    // Leadership moves to broker 2: this broker becomes a follower.
    decode_response<protocol::leader_and_isr_response>(send(leader_and_isr(5, 2, 4), 3), 3);
    EXPECT_FALSE(replicas_->get("li", 0)->is_leader());
}

TEST_F(inter_broker_test, an_older_controller_epoch_or_leader_epoch_is_refused) {
    decode_response<protocol::leader_and_isr_response>(send(leader_and_isr(7, 1, 3), 3), 3);
    // A deposed controller (epoch 6) tries to hand leadership away: refused, nothing changes.
    auto stale = decode_response<protocol::leader_and_isr_response>(send(leader_and_isr(6, 2, 9), 3), 3);
    EXPECT_EQ(stale.error_code, protocol::to_wire(protocol::error_code::stale_controller_epoch));
    EXPECT_TRUE(replicas_->get("li", 0)->is_leader());
    // The current controller with an old leader epoch: that partition is refused.
    auto old = decode_response<protocol::leader_and_isr_response>(send(leader_and_isr(7, 2, 2), 3), 3);
    ASSERT_EQ(old.partition_errors.size(), 1u);
    EXPECT_EQ(old.partition_errors[0].error_code, protocol::to_wire(protocol::error_code::stale_controller_epoch));
    EXPECT_TRUE(replicas_->get("li", 0)->is_leader());

    protocol::update_metadata_request um;
    um.controller_id = 2;
    um.controller_epoch = 6;
    auto um_resp = decode_response<protocol::update_metadata_response>(send(um, 5), 5);
    EXPECT_EQ(um_resp.error_code, protocol::to_wire(protocol::error_code::stale_controller_epoch));
}

TEST_F(inter_broker_test, update_metadata_replaces_the_cluster_view_at_every_version) {
    publish({});  // the cluster id, as the application sets it from ZooKeeper at start-up
    for (int16_t v = 0; v <= 5; ++v) {
        protocol::update_metadata_request req;
        req.controller_id = 3;
        req.controller_epoch = 1;
        for (int32_t id : {1, 3}) {
            auto& b = req.live_brokers.emplace_back();
            b.id = id;
            b.v0_host = "h" + std::to_string(id);
            b.v0_port = 9000 + id;
            auto& ep = b.endpoints.emplace_back();
            ep.host = "h" + std::to_string(id);
            ep.port = 9000 + id;
            ep.listener = "PLAINTEXT";
            b.rack = std::nullopt;
        }
        protocol::update_metadata_request::update_metadata_partition_state p;
        p.topic_name = "um";
        p.partition_index = 0;
        p.leader = 3;
        p.leader_epoch = 4;
        p.isr = {3, 1};
        p.replicas = {3, 1};
        if (v < 5) {
            req.ungrouped_partition_states.push_back(p);
        } else {
            auto& t = req.topic_states.emplace_back();
            t.topic_name = "um";
            t.partition_states.push_back(p);
        }
        auto resp = decode_response<protocol::update_metadata_response>(send(req, v), v);
        EXPECT_EQ(resp.error_code, 0) << "v" << v;
        auto s = metadata_.get();
        EXPECT_EQ(s->controller_id, 3) << "v" << v;
        ASSERT_EQ(s->brokers.size(), 2u) << "v" << v;
        EXPECT_EQ(s->brokers.at(3).host, "h3");
        EXPECT_EQ(s->brokers.at(3).port, 9003);
        ASSERT_TRUE(s->topics.contains("um")) << "v" << v;
        const auto& st = s->topics.at("um").partitions.at(0).state;
        ASSERT_TRUE(st);
        EXPECT_EQ(st->leader, 3);
        EXPECT_EQ(st->leader_epoch, 4);
        EXPECT_EQ(st->isr, (std::vector<int32_t>{3, 1}));
        EXPECT_EQ(s->cluster_id, "test-cluster");  // kept: UpdateMetadata does not carry it
    }
}

TEST_F(inter_broker_test, stop_replica_with_delete_removes_the_log_directory) {
    decode_response<protocol::leader_and_isr_response>(send(leader_and_isr(1, 1, 0), 3), 3);
    ASSERT_TRUE(replicas_->get("li", 0));
    ASSERT_TRUE(fs::exists(dir_.path() / "li-0"));
    protocol::stop_replica_request req;
    req.controller_id = 2;
    req.controller_epoch = 1;
    req.delete_partitions = true;
    auto& t = req.topics.emplace_back();
    t.name = "li";
    t.partition_indexes = {0};
    auto resp = decode_response<protocol::stop_replica_response>(send(req, 1), 1);
    EXPECT_EQ(resp.error_code, 0);
    ASSERT_EQ(resp.partition_errors.size(), 1u);
    EXPECT_EQ(resp.partition_errors[0].error_code, 0);
    EXPECT_FALSE(replicas_->get("li", 0));
    EXPECT_FALSE(fs::exists(dir_.path() / "li-0"));
    // Resent (the controller retries): still fine.
    auto again = decode_response<protocol::stop_replica_response>(send(req, 1), 1);
    EXPECT_EQ(again.partition_errors[0].error_code, 0);
}

}  // namespace
}  // namespace broker_test
