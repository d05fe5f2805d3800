#include "broker/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace {

using broker::config;
using broker::config_error;
using broker::make_config;
using broker::parse_properties;
using props = std::map<std::string, std::string>;

props base() { return {{"zookeeper.connect", "127.0.0.1:2181"}}; }

config ok(const props& p) {
    auto r = make_config(p);
    if (auto* e = std::get_if<config_error>(&r)) {
        ADD_FAILURE() << "unexpected config error: " << e->message;
        return {};
    }
    return std::get<config>(r);
}

std::string err(const props& p) {
    auto r = make_config(p);
    if (auto* e = std::get_if<config_error>(&r)) {
        return e->message;
    }
    ADD_FAILURE() << "expected a config error";
    return {};
}

props with(std::string key, std::string value) {
    auto p = base();
    p[std::move(key)] = std::move(value);
    return p;
}

TEST(parse_properties, comments_blank_lines_and_both_separators) {
    auto r = parse_properties(
        "# a comment\n"
        "! another comment\n"
        "\n"
        "   \t\n"
        "broker.id=3\n"
        "  log.dirs  =  /a , /b  \n"
        "zookeeper.connect: localhost:2181/chroot\n"
        "listeners = PLAINTEXT://h:1=2\n"
        "flag\n"
        "\tindented.key\t=\tvalue with spaces\t\r\n");
    ASSERT_TRUE(r.has_value());
    const auto& m = r.value();
    EXPECT_EQ(m.size(), 6u);
    EXPECT_EQ(m.at("broker.id"), "3");
    EXPECT_EQ(m.at("log.dirs"), "/a , /b");
    // The first of '=' or ':' separates; later ones belong to the value.
    EXPECT_EQ(m.at("zookeeper.connect"), "localhost:2181/chroot");
    EXPECT_EQ(m.at("listeners"), "PLAINTEXT://h:1=2");
    EXPECT_EQ(m.at("flag"), "");
    EXPECT_EQ(m.at("indented.key"), "value with spaces");
    EXPECT_FALSE(m.contains("# a comment"));
}

TEST(parse_properties, later_entries_override_earlier_ones) {
    auto r = parse_properties("a=1\nb=2\na=3\n");
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r.value().at("a"), "3");
    EXPECT_EQ(r.value().at("b"), "2");
}

TEST(parse_properties, empty_value_and_empty_text) {
    auto r = parse_properties("key=\n");
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r.value().at("key"), "");
    auto empty = parse_properties("");
    ASSERT_TRUE(empty.has_value());
    EXPECT_TRUE(empty.value().empty());
}

TEST(make_config, defaults_when_only_zookeeper_is_set) {
    auto c = ok(base());
    EXPECT_EQ(c.zookeeper_connect, "127.0.0.1:2181");
    EXPECT_EQ(c.broker_id, 0);
    EXPECT_EQ(c.listener.security_protocol, "PLAINTEXT");
    EXPECT_EQ(c.listener.host, "0.0.0.0");
    EXPECT_EQ(c.listener.port, 9092);
    // Nobody can connect to 0.0.0.0: the advertised default is loopback.
    EXPECT_EQ(c.advertised_listener.host, "127.0.0.1");
    EXPECT_EQ(c.advertised_listener.port, 9092);
    EXPECT_EQ(c.log_dirs, std::vector<std::string>{"/tmp/brook-logs"});
    EXPECT_EQ(c.zookeeper_session_timeout_ms, 18000);
    EXPECT_EQ(c.zookeeper_connection_timeout_ms, 18000);
    EXPECT_EQ(c.num_partitions, 1);
    EXPECT_EQ(c.default_replication_factor, 1);
    EXPECT_EQ(c.min_insync_replicas, 1);
    EXPECT_TRUE(c.auto_create_topics_enable);
    EXPECT_TRUE(c.delete_topic_enable);
    EXPECT_EQ(c.log_segment_bytes, 1073741824u);
    EXPECT_EQ(c.log_index_interval_bytes, 4096u);
    EXPECT_EQ(c.log_max_open_segments, 2);
    EXPECT_EQ(c.log_retention_ms, 7LL * 24 * 3600 * 1000);
    EXPECT_EQ(c.log_retention_bytes, -1);
    EXPECT_EQ(c.log_cleanup_policy, "delete");
    EXPECT_EQ(c.message_max_bytes, 1048588);
    EXPECT_EQ(c.socket_request_max_bytes, 104857600);
    EXPECT_EQ(c.num_network_threads, 0);
    EXPECT_FALSE(c.broker_rack.has_value());
    EXPECT_FALSE(c.unclean_leader_election_enable);
    EXPECT_EQ(c.replica_lag_time_max_ms, 30000);
    EXPECT_EQ(c.offsets_topic_replication_factor, 3);
    EXPECT_TRUE(c.unknown_keys.empty());
}

TEST(make_config, producer_id_expiration_falls_back_to_transactional_id_expiration) {
    auto from = [](std::map<std::string, std::string> extra) {
        extra["zookeeper.connect"] = "localhost:2181";
        auto r = broker::make_config(extra);
        EXPECT_TRUE(std::holds_alternative<broker::config>(r));
        return std::get<broker::config>(r).producer_id_expiration_ms;
    };
    EXPECT_EQ(from({}), 86400000);
    EXPECT_EQ(from({{"transactional.id.expiration.ms", "5000"}}), 5000);
    EXPECT_EQ(from({{"transactional.id.expiration.ms", "5000"}, {"producer.id.expiration.ms", "7000"}}), 7000);
    EXPECT_EQ(from({{"producer.id.expiration.ms", "7000"}}), 7000);
    auto bad = broker::make_config({{"zookeeper.connect", "x"}, {"producer.id.expiration.ms", "0"}});
    EXPECT_TRUE(std::holds_alternative<broker::config_error>(bad));
}

TEST(make_config, log_max_open_segments_must_be_positive) {
    for (const char* bad : {"0", "-1", "x"}) {
        auto r = broker::make_config({{"zookeeper.connect", "x"}, {"log.max.open.segments", bad}});
        EXPECT_TRUE(std::holds_alternative<broker::config_error>(r)) << bad;
    }
}

TEST(make_config, every_key_is_read) {
    props p{
        {"zookeeper.connect", "zk1:2181,zk2:2181/brook"},
        {"broker.id", "42"},
        {"listeners", "PLAINTEXT://10.0.0.5:19092"},
        {"advertised.listeners", "PLAINTEXT://broker42.example:29092"},
        {"log.dirs", "/d1, /d2,,/d3"},
        {"zookeeper.session.timeout.ms", "6000"},
        {"zookeeper.connection.timeout.ms", "7000"},
        {"num.partitions", "8"},
        {"default.replication.factor", "3"},
        {"offsets.topic.replication.factor", "2"},
        {"min.insync.replicas", "2"},
        {"auto.create.topics.enable", "false"},
        {"delete.topic.enable", "false"},
        {"log.segment.bytes", "1048576"},
        {"log.index.interval.bytes", "8192"},
        {"log.max.open.segments", "7"},
        {"log.retention.bytes", "123456789"},
        {"log.cleanup.policy", "compact"},
        {"message.max.bytes", "2000000"},
        {"socket.request.max.bytes", "5000000"},
        {"num.network.threads", "4"},
        {"broker.rack", "rack-a"},
        {"unclean.leader.election.enable", "true"},
        {"replica.lag.time.max.ms", "12345"},
    };
    auto c = ok(p);
    EXPECT_EQ(c.zookeeper_connect, "zk1:2181,zk2:2181/brook");
    EXPECT_EQ(c.broker_id, 42);
    EXPECT_EQ(c.listener.host, "10.0.0.5");
    EXPECT_EQ(c.listener.port, 19092);
    EXPECT_EQ(c.advertised_listener.host, "broker42.example");
    EXPECT_EQ(c.advertised_listener.port, 29092);
    EXPECT_EQ(c.log_dirs, (std::vector<std::string>{"/d1", "/d2", "/d3"}));
    EXPECT_EQ(c.zookeeper_session_timeout_ms, 6000);
    EXPECT_EQ(c.zookeeper_connection_timeout_ms, 7000);
    EXPECT_EQ(c.num_partitions, 8);
    EXPECT_EQ(c.default_replication_factor, 3);
    EXPECT_EQ(c.offsets_topic_replication_factor, 2);
    EXPECT_EQ(c.min_insync_replicas, 2);
    EXPECT_FALSE(c.auto_create_topics_enable);
    EXPECT_FALSE(c.delete_topic_enable);
    EXPECT_EQ(c.log_segment_bytes, 1048576u);
    EXPECT_EQ(c.log_index_interval_bytes, 8192u);
    EXPECT_EQ(c.log_max_open_segments, 7);
    EXPECT_EQ(c.log_retention_bytes, 123456789);
    EXPECT_EQ(c.log_cleanup_policy, "compact");
    EXPECT_EQ(c.message_max_bytes, 2000000);
    EXPECT_EQ(c.socket_request_max_bytes, 5000000);
    EXPECT_EQ(c.num_network_threads, 4);
    ASSERT_TRUE(c.broker_rack.has_value());
    EXPECT_EQ(*c.broker_rack, "rack-a");
    EXPECT_TRUE(c.unclean_leader_election_enable);
    EXPECT_EQ(c.replica_lag_time_max_ms, 12345);
    EXPECT_TRUE(c.unknown_keys.empty());
}

TEST(make_config, log_dir_is_used_only_without_log_dirs) {
    auto single = ok(with("log.dir", "/only"));
    EXPECT_EQ(single.log_dirs, std::vector<std::string>{"/only"});
    auto both = base();
    both["log.dir"] = "/ignored";
    both["log.dirs"] = "/wins";
    EXPECT_EQ(ok(both).log_dirs, std::vector<std::string>{"/wins"});
}

// Every numeric key with a value that is not a number, and one below its minimum: the message
// names the key and the value.
TEST(make_config, bad_numeric_values_name_the_key) {
    const std::vector<std::pair<std::string, std::string>> below_min{
        {"broker.id", "-1"},
        {"zookeeper.session.timeout.ms", "0"},
        {"zookeeper.connection.timeout.ms", "0"},
        {"num.partitions", "0"},
        {"default.replication.factor", "0"},
        {"offsets.topic.replication.factor", "0"},
        {"min.insync.replicas", "0"},
        {"log.segment.bytes", "1023"},
        {"log.index.interval.bytes", "-1"},
        {"log.retention.ms", "-2"},
        {"log.retention.minutes", "-2"},
        {"log.retention.hours", "-2"},
        {"log.retention.bytes", "-2"},
        {"message.max.bytes", "-1"},
        {"socket.request.max.bytes", "0"},
        {"num.network.threads", "-1"},
        {"replica.lag.time.max.ms", "0"},
    };
    for (const auto& [key, low] : below_min) {
        for (const std::string& bad : {std::string("abc"), std::string("12x"), std::string(""), low,
                                       std::string("99999999999999999999999")}) {
            auto msg = err(with(key, bad));
            EXPECT_THAT(msg, ::testing::HasSubstr(key)) << "value '" << bad << "'";
            EXPECT_THAT(msg, ::testing::HasSubstr("'" + bad + "'")) << key;
        }
    }
}

TEST(make_config, numeric_minimums_are_accepted) {
    EXPECT_EQ(ok(with("broker.id", "0")).broker_id, 0);
    EXPECT_EQ(ok(with("log.segment.bytes", "1024")).log_segment_bytes, 1024u);
    EXPECT_EQ(ok(with("log.index.interval.bytes", "0")).log_index_interval_bytes, 0u);
    EXPECT_EQ(ok(with("log.retention.bytes", "-1")).log_retention_bytes, -1);
    EXPECT_EQ(ok(with("log.segment.bytes", "4294967296")).log_segment_bytes, 4294967296u);
}

TEST(make_config, bad_booleans_name_the_key) {
    for (const std::string key : {"auto.create.topics.enable", "delete.topic.enable", "unclean.leader.election.enable"}) {
        for (const std::string bad : {"yes", "1", "TRUE", ""}) {
            auto msg = err(with(key, bad));
            EXPECT_THAT(msg, ::testing::HasSubstr(key));
            EXPECT_THAT(msg, ::testing::HasSubstr("true or false"));
        }
    }
}

TEST(make_config, replication_factor_above_int16_is_refused) {
    auto msg = err(with("default.replication.factor", "40000"));
    EXPECT_THAT(msg, ::testing::HasSubstr("default.replication.factor"));
    auto msg2 = err(with("offsets.topic.replication.factor", "32768"));
    EXPECT_THAT(msg2, ::testing::HasSubstr("offsets.topic.replication.factor"));
    EXPECT_EQ(ok(with("default.replication.factor", "32767")).default_replication_factor, 32767);
}

TEST(make_config, zookeeper_connect_is_required) {
    EXPECT_THAT(err({}), ::testing::HasSubstr("zookeeper.connect"));
    EXPECT_THAT(err({{"zookeeper.connect", ""}}), ::testing::HasSubstr("zookeeper.connect"));
    EXPECT_THAT(err({{"broker.id", "1"}}), ::testing::HasSubstr("zookeeper.connect"));
}

TEST(make_config, listener_parsing) {
    auto c = ok(with("listeners", "PLAINTEXT://0.0.0.0:9093"));
    EXPECT_EQ(c.listener.host, "0.0.0.0");
    EXPECT_EQ(c.listener.port, 9093);
    EXPECT_EQ(c.advertised_listener.host, "127.0.0.1");
    EXPECT_EQ(c.advertised_listener.port, 9093);
    EXPECT_EQ(c.advertised_listener.security_protocol, "PLAINTEXT");

    // An empty host binds every interface too, and is advertised as loopback.
    auto empty_host = ok(with("listeners", "PLAINTEXT://:9094"));
    EXPECT_EQ(empty_host.listener.host, "");
    EXPECT_EQ(empty_host.advertised_listener.host, "127.0.0.1");
    EXPECT_EQ(empty_host.advertised_listener.port, 9094);

    // A concrete host is advertised as it is.
    auto concrete = ok(with("listeners", "PLAINTEXT://broker-7:9095"));
    EXPECT_EQ(concrete.advertised_listener.host, "broker-7");
    EXPECT_EQ(concrete.advertised_listener.port, 9095);

    // Only the first of a list is used; IPv6 brackets are stripped.
    auto list = ok(with("listeners", " PLAINTEXT://[::1]:9096 , PLAINTEXT://other:1"));
    EXPECT_EQ(list.listener.host, "::1");
    EXPECT_EQ(list.listener.port, 9096);
}

TEST(make_config, advertised_listener_overrides) {
    auto p = with("listeners", "PLAINTEXT://0.0.0.0:9092");
    p["advertised.listeners"] = "PLAINTEXT://public.example:19092";
    auto c = ok(p);
    EXPECT_EQ(c.listener.host, "0.0.0.0");
    EXPECT_EQ(c.advertised_listener.host, "public.example");
    EXPECT_EQ(c.advertised_listener.port, 19092);
    // advertised.listeners without listeners: bind the default, advertise what was asked.
    auto only_adv = ok(with("advertised.listeners", "PLAINTEXT://adv:1234"));
    EXPECT_EQ(only_adv.listener.port, 9092);
    EXPECT_EQ(only_adv.advertised_listener.host, "adv");
    EXPECT_EQ(only_adv.advertised_listener.port, 1234);
}

TEST(make_config, malformed_listeners_are_errors_naming_the_key) {
    for (const std::string bad : {"localhost:9092", "PLAINTEXT://localhost", "PLAINTEXT://h:port",
                                  "PLAINTEXT://h:70000", "PLAINTEXT://h:-1", ""}) {
        EXPECT_THAT(err(with("listeners", bad)), ::testing::HasSubstr("listeners")) << bad;
        auto msg = err(with("advertised.listeners", bad));
        EXPECT_THAT(msg, ::testing::HasSubstr("advertised.listeners")) << bad;
    }
}

TEST(make_config, advertising_a_wildcard_address_is_refused) {
    for (const std::string wildcard : {"PLAINTEXT://0.0.0.0:9092", "PLAINTEXT://[::]:9092", "PLAINTEXT://:9092"}) {
        EXPECT_THAT(err(with("advertised.listeners", wildcard)), ::testing::HasSubstr("wildcard")) << wildcard;
    }
}

TEST(make_config, huge_retention_in_hours_or_minutes_clamps_instead_of_wrapping) {
    EXPECT_EQ(ok(with("log.retention.hours", "9223372036854775807")).log_retention_ms, INT64_MAX);
    EXPECT_EQ(ok(with("log.retention.minutes", "153722867280912931")).log_retention_ms, INT64_MAX);
}

TEST(make_config, only_plaintext_is_supported) {
    EXPECT_THAT(err(with("listeners", "SSL://h:9093")), ::testing::HasSubstr("SSL"));
}

TEST(make_config, retention_precedence_ms_over_minutes_over_hours) {
    EXPECT_EQ(ok(with("log.retention.hours", "2")).log_retention_ms, 2LL * 3600 * 1000);
    EXPECT_EQ(ok(with("log.retention.minutes", "3")).log_retention_ms, 3LL * 60 * 1000);
    EXPECT_EQ(ok(with("log.retention.ms", "4567")).log_retention_ms, 4567);

    auto hm = with("log.retention.hours", "2");
    hm["log.retention.minutes"] = "3";
    EXPECT_EQ(ok(hm).log_retention_ms, 3LL * 60 * 1000);

    auto all = hm;
    all["log.retention.ms"] = "4567";
    EXPECT_EQ(ok(all).log_retention_ms, 4567);

    // -1 means unlimited at every unit.
    EXPECT_EQ(ok(with("log.retention.hours", "-1")).log_retention_ms, -1);
    EXPECT_EQ(ok(with("log.retention.minutes", "-1")).log_retention_ms, -1);
    EXPECT_EQ(ok(with("log.retention.ms", "-1")).log_retention_ms, -1);
    auto unlimited_minutes = with("log.retention.hours", "5");
    unlimited_minutes["log.retention.minutes"] = "-1";
    EXPECT_EQ(ok(unlimited_minutes).log_retention_ms, -1);
}

TEST(make_config, unknown_keys_are_collected_not_fatal) {
    auto p = base();
    p["transaction.state.log.num.partitions"] = "50";
    p["some.future.key"] = "x";
    p["num.partitions"] = "2";
    auto c = ok(p);
    EXPECT_THAT(c.unknown_keys,
                ::testing::UnorderedElementsAre("transaction.state.log.num.partitions", "some.future.key"));
    EXPECT_EQ(c.num_partitions, 2);
}

TEST(make_config, group_coordinator_keys) {
    auto p = base();
    p["offsets.topic.num.partitions"] = "10";
    p["offsets.retention.minutes"] = "2";
    p["offsets.retention.check.interval.ms"] = "1000";
    p["offsets.commit.timeout.ms"] = "700";
    p["offset.metadata.max.bytes"] = "100";
    p["group.initial.rebalance.delay.ms"] = "0";
    p["group.min.session.timeout.ms"] = "1000";
    p["group.max.session.timeout.ms"] = "60000";
    p["group.max.size"] = "5";
    auto c = ok(p);
    EXPECT_TRUE(c.unknown_keys.empty());
    EXPECT_EQ(c.offsets_topic_num_partitions, 10);
    EXPECT_EQ(c.offsets_retention_ms, 120000);
    EXPECT_EQ(c.offsets_retention_check_interval_ms, 1000);
    EXPECT_EQ(c.offsets_commit_timeout_ms, 700);
    EXPECT_EQ(c.offset_metadata_max_bytes, 100);
    EXPECT_EQ(c.group_initial_rebalance_delay_ms, 0);
    EXPECT_EQ(c.group_min_session_timeout_ms, 1000);
    EXPECT_EQ(c.group_max_session_timeout_ms, 60000);
    EXPECT_EQ(c.group_max_size, 5);
    auto bad = base();
    bad["offsets.topic.num.partitions"] = "0";
    EXPECT_FALSE(std::holds_alternative<broker::config>(broker::make_config(bad)));
}

TEST(make_config, from_a_properties_file) {
    auto parsed = parse_properties(
        "# server.properties\n"
        "broker.id = 5\n"
        "listeners: PLAINTEXT://0.0.0.0:9092\n"
        "zookeeper.connect=localhost:2181\n"
        "log.retention.hours=168\n");
    ASSERT_TRUE(parsed.has_value());
    auto c = ok(parsed.value());
    EXPECT_EQ(c.broker_id, 5);
    EXPECT_EQ(c.advertised_listener.host, "127.0.0.1");
    EXPECT_EQ(c.log_retention_ms, 168LL * 3600 * 1000);
}

TEST(parse_listener, direct) {
    auto ep = broker::parse_listener("PLAINTEXT://example.org:1");
    ASSERT_TRUE(ep.has_value());
    EXPECT_EQ(ep->security_protocol, "PLAINTEXT");
    EXPECT_EQ(ep->host, "example.org");
    EXPECT_EQ(ep->port, 1);
    EXPECT_FALSE(broker::parse_listener("").has_value());
    EXPECT_FALSE(broker::parse_listener("PLAINTEXT://example.org:65536").has_value());
}

}  // namespace

TEST(make_config, log_cleaner_settings) {
    auto d = ok(base());
    EXPECT_TRUE(d.log_cleaner_enable);
    EXPECT_EQ(d.log_cleaner_threads, 1);
    EXPECT_EQ(d.log_cleaner_backoff_ms, 15000);
    EXPECT_DOUBLE_EQ(d.log_cleaner_min_cleanable_ratio, 0.5);
    EXPECT_EQ(d.log_cleaner_delete_retention_ms, 86400000);
    EXPECT_EQ(d.log_cleaner_min_compaction_lag_ms, 0);
    EXPECT_EQ(d.log_cleaner_dedupe_buffer_size, 134217728);
    auto p = base();
    p["log.cleaner.enable"] = "false";
    p["log.cleaner.threads"] = "0";
    p["log.cleaner.backoff.ms"] = "250";
    p["log.cleaner.min.cleanable.ratio"] = "0.25";
    p["log.cleaner.delete.retention.ms"] = "1000";
    p["log.cleaner.min.compaction.lag.ms"] = "5000";
    p["log.cleaner.dedupe.buffer.size"] = "1048576";
    auto c = ok(p);
    EXPECT_FALSE(c.log_cleaner_enable);
    EXPECT_EQ(c.log_cleaner_threads, 0);
    EXPECT_EQ(c.log_cleaner_backoff_ms, 250);
    EXPECT_DOUBLE_EQ(c.log_cleaner_min_cleanable_ratio, 0.25);
    EXPECT_EQ(c.log_cleaner_delete_retention_ms, 1000);
    EXPECT_EQ(c.log_cleaner_min_compaction_lag_ms, 5000);
    EXPECT_EQ(c.log_cleaner_dedupe_buffer_size, 1048576);
    for (const char* bad : {"1.5", "-0.1", "abc", "", "0.5x"}) {
        EXPECT_THAT(err(with("log.cleaner.min.cleanable.ratio", bad)),
                    ::testing::HasSubstr("log.cleaner.min.cleanable.ratio"));
    }
    EXPECT_THAT(err(with("log.cleaner.dedupe.buffer.size", "1000")), ::testing::HasSubstr("dedupe"));
    EXPECT_THAT(err(with("log.cleaner.delete.retention.ms", "-1")), ::testing::HasSubstr("delete.retention"));
    EXPECT_THAT(err(with("log.cleaner.enable", "yes")), ::testing::HasSubstr("log.cleaner.enable"));
}
