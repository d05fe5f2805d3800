#include "coordination/znodes.h"

#include <gtest/gtest.h>

using namespace coordination;

TEST(znodes, paths_match_kafka_layout) {
    EXPECT_EQ(znodes::broker_path(3), "/brokers/ids/3");
    EXPECT_EQ(znodes::topic_path("t"), "/brokers/topics/t");
    EXPECT_EQ(znodes::partition_state_path("t", 2), "/brokers/topics/t/partitions/2/state");
    EXPECT_EQ(znodes::config_topic_path("t"), "/config/topics/t");
    EXPECT_EQ(znodes::delete_topic_path("t"), "/admin/delete_topics/t");
}

TEST(znodes, broker_json_has_exact_kafka_shape) {
    broker_info b{1, "localhost", 9092, std::nullopt};
    EXPECT_EQ(znodes::encode_broker(b, 1700000000000),
              R"({"version":5,"host":"localhost","port":9092,"endpoints":["PLAINTEXT://localhost:9092"],)"
              R"("listener_security_protocol_map":{"PLAINTEXT":"PLAINTEXT"},"rack":null,"jmx_port":-1,)"
              R"("timestamp":"1700000000000"})");
    b.rack = "r1";
    auto back = znodes::decode_broker(1, znodes::encode_broker(b, 1));
    ASSERT_TRUE(back);
    EXPECT_EQ(back.value(), b);
}

TEST(znodes, broker_without_plaintext_host_uses_first_endpoint) {
    auto b = znodes::decode_broker(
        7, R"({"version":4,"host":null,"port":-1,"endpoints":["SSL://h.example:9093"],"jmx_port":-1})");
    ASSERT_TRUE(b);
    EXPECT_EQ(b.value().host, "h.example");
    EXPECT_EQ(b.value().port, 9093);
    EXPECT_EQ(b.value().id, 7);
}

TEST(znodes, controller_and_epoch) {
    EXPECT_EQ(znodes::encode_controller(2, 5), R"({"version":1,"brokerid":2,"timestamp":"5"})");
    EXPECT_EQ(znodes::decode_controller(R"({"version":1,"brokerid":2,"timestamp":"5"})").value(), 2);
    EXPECT_EQ(znodes::decode_controller("4").value(), 4);  // Kafka 0.8 format
    EXPECT_EQ(znodes::encode_controller_epoch(12), "12");
    EXPECT_EQ(znodes::decode_controller_epoch("12").value(), 12);
    EXPECT_FALSE(znodes::decode_controller_epoch("12x"));
    EXPECT_FALSE(znodes::decode_controller_epoch(""));
}

TEST(znodes, topic_assignment_round_trip_and_shape) {
    topic_assignment t{"orders", {{0, {1, 2, 3}}, {1, {2, 3, 1}}}};
    std::string enc = znodes::encode_topic_assignment(t);
    EXPECT_EQ(enc, R"({"version":2,"partitions":{"0":[1,2,3],"1":[2,3,1]},"adding_replicas":{},"removing_replicas":{}})");
    auto back = znodes::decode_topic_assignment("orders", enc);
    ASSERT_TRUE(back);
    EXPECT_EQ(back.value(), t);
    // Version 1 (Kafka < 2.4) has no adding/removing replicas.
    auto v1 = znodes::decode_topic_assignment("x", R"({"version":1,"partitions":{"10":[5]}})");
    ASSERT_TRUE(v1);
    EXPECT_EQ(v1.value().partitions.at(10), std::vector<int32_t>{5});
}

TEST(znodes, partition_state_round_trip_and_shape) {
    partition_state s{2, 7, {2, 3}, 4, 9};
    EXPECT_EQ(znodes::encode_partition_state(s),
              R"({"controller_epoch":4,"leader":2,"version":1,"leader_epoch":7,"isr":[2,3]})");
    auto back = znodes::decode_partition_state(znodes::encode_partition_state(s), 9);
    ASSERT_TRUE(back);
    EXPECT_EQ(back.value(), s);
}

TEST(znodes, cluster_id_and_config) {
    std::string id = znodes::generate_cluster_id();
    EXPECT_EQ(id.size(), 22u);
    EXPECT_EQ(id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
              std::string::npos);
    EXPECT_NE(id, znodes::generate_cluster_id());
    EXPECT_EQ(znodes::encode_cluster_id("abc"), R"({"version":"1","id":"abc"})");
    EXPECT_EQ(znodes::decode_cluster_id(znodes::encode_cluster_id(id)).value(), id);
    std::map<std::string, std::string> cfg{{"cleanup.policy", "compact"}, {"retention.ms", "100"}};
    EXPECT_EQ(znodes::encode_topic_config(cfg),
              R"({"version":1,"config":{"cleanup.policy":"compact","retention.ms":"100"}})");
    EXPECT_EQ(znodes::decode_topic_config(znodes::encode_topic_config(cfg)).value(), cfg);
}

TEST(znodes, malformed_input_is_an_error_value) {
    const char* bad[] = {"", "{", "[]", "null", "42x", R"({"partitions":[1]})", "\xff\xfe"};
    for (const char* b : bad) {
        EXPECT_EQ(znodes::decode_topic_assignment("t", b).error(), errc::malformed_znode) << b;
        EXPECT_EQ(znodes::decode_partition_state(b, 0).error(), errc::malformed_znode) << b;
        EXPECT_EQ(znodes::decode_cluster_id(b).error(), errc::malformed_znode) << b;
        EXPECT_EQ(znodes::decode_topic_config(b).error(), errc::malformed_znode) << b;
        EXPECT_FALSE(znodes::decode_broker(1, b)) << b;
    }
    EXPECT_FALSE(znodes::decode_topic_assignment("t", R"({"partitions":{"x":[1]}})"));
    EXPECT_FALSE(znodes::decode_topic_assignment("t", R"({"partitions":{"0":["1"]}})"));
    EXPECT_FALSE(znodes::decode_partition_state(R"({"leader":1,"leader_epoch":0,"controller_epoch":1})", 0));
    EXPECT_FALSE(znodes::decode_partition_state(R"({"leader":"1","leader_epoch":0,"controller_epoch":1,"isr":[]})", 0));
    EXPECT_FALSE(znodes::decode_controller(R"({"version":1})"));
    EXPECT_FALSE(znodes::decode_broker(1, R"({"host":"h","port":-1,"endpoints":["nonsense"]})"));
}

TEST(znodes, topic_name_rule) {
    EXPECT_TRUE(znodes::valid_topic_name("a.b-c_D9"));
    EXPECT_FALSE(znodes::valid_topic_name(""));
    EXPECT_FALSE(znodes::valid_topic_name(".."));
    EXPECT_FALSE(znodes::valid_topic_name("a/b"));
    EXPECT_FALSE(znodes::valid_topic_name(std::string(250, 'a')));
}

TEST(znodes, preferred_replica_election_request) {
    EXPECT_EQ(znodes::preferred_replica_election_path, "/admin/preferred_replica_election");
    std::vector<partition_key> parts{{"t", 0}, {"u", 3}};
    auto encoded = znodes::encode_preferred_replica_election(parts);
    EXPECT_EQ(encoded, R"({"version":1,"partitions":[{"topic":"t","partition":0},{"topic":"u","partition":3}]})");
    EXPECT_EQ(znodes::decode_preferred_replica_election(encoded).value(), parts);
    EXPECT_EQ(znodes::decode_preferred_replica_election(R"({"partitions":[{"topic":"t"}]})").error(), errc::malformed_znode);
    EXPECT_EQ(znodes::decode_preferred_replica_election("{}").error(), errc::malformed_znode);
    EXPECT_EQ(znodes::decode_preferred_replica_election(R"({"version":1,"partitions":[]})").value().size(), 0u);
}
