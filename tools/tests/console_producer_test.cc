#include "tools/console_producer/console_producer.h"
#include "tools/console_producer/producer_options.h"

#include "protocol/records/record_batch.h"
#include "tools/common/murmur2.h"

#include <gtest/gtest.h>

#include <map>
#include <vector>

namespace tools {
namespace {

using protocol::records::as_bytes;

cli_result<producer_command_line> parse(std::vector<const char*> args) {
    args.insert(args.begin(), "brook-console-producer");
    return parse_producer_args(std::span<const char* const>(args.data(), args.size()));
}

TEST(producer_options, defaults_follow_kafka_console_producer) {
    auto cl = parse({"--bootstrap-server", "h:1", "--topic", "t"});
    ASSERT_TRUE(cl) << cl.error().message;
    const auto& o = cl.value().options;
    EXPECT_EQ(o.topic, "t");
    EXPECT_EQ(o.acks, -1);
    EXPECT_EQ(o.batch_size, 200);
    EXPECT_FALSE(o.parse_key);
    EXPECT_EQ(o.key_separator, "\t");
    EXPECT_EQ(o.linger.count(), 1000);
    EXPECT_EQ(o.request_timeout.count(), 1500);
    EXPECT_EQ(o.retries, 3);
}

TEST(producer_options, properties_and_acks_precedence) {
    auto cl = parse({"--bootstrap-server", "h:1,h:2", "--topic", "t", "--property", "parse.key=true",
                     "--property", "key.separator=:", "--producer-property", "acks=1",
                     "--batch-size", "50", "--compression-codec", "none"});
    ASSERT_TRUE(cl) << cl.error().message;
    const auto& o = cl.value().options;
    EXPECT_EQ(o.bootstrap.size(), 2u);
    EXPECT_TRUE(o.parse_key);
    EXPECT_EQ(o.key_separator, ":");
    EXPECT_EQ(o.acks, 1);
    EXPECT_EQ(o.batch_size, 50);

    auto both = parse({"--bootstrap-server", "h:1", "--topic", "t", "--producer-property", "acks=all",
                       "--request-required-acks", "0"});
    ASSERT_TRUE(both);
    EXPECT_EQ(both.value().options.acks, 0);
    auto all = parse({"--bootstrap-server", "h:1", "--topic", "t", "--producer-property", "acks=all"});
    ASSERT_TRUE(all);
    EXPECT_EQ(all.value().options.acks, -1);
}

TEST(producer_options, rejects_bad_command_lines) {
    EXPECT_FALSE(parse({"--topic", "t"}));
    EXPECT_FALSE(parse({"--bootstrap-server", "h:1"}));
    EXPECT_FALSE(parse({"--bootstrap-server", "h", "--topic", "t"}));
    EXPECT_FALSE(parse({"--bootstrap-server", "h:1", "--topic", "t", "--request-required-acks", "2"}));
    EXPECT_FALSE(parse({"--bootstrap-server", "h:1", "--topic", "t", "--batch-size", "0"}));
    auto gzip = parse({"--bootstrap-server", "h:1", "--topic", "t", "--compression-codec", "gzip"});
    ASSERT_FALSE(gzip);
    EXPECT_NE(gzip.error().message.find("gzip"), std::string::npos);
    EXPECT_EQ(gzip.error().exit_code, 1);
    EXPECT_TRUE(parse({"--help"}).value().help);
}

TEST(parse_line, keys_split_at_the_first_separator) {
    producer_options o;
    EXPECT_EQ(parse_line("a:b", 1, o).value(), (line_record{std::nullopt, "a:b"}));
    o.parse_key = true;
    o.key_separator = ":";
    EXPECT_EQ(parse_line("k:v:w", 1, o).value(), (line_record{"k", "v:w"}));
    EXPECT_EQ(parse_line("k:", 1, o).value(), (line_record{"k", ""}));
    auto bad = parse_line("novalue", 7, o);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().message, "Error: No key found on line 7: novalue");
    o.ignore_error = true;
    EXPECT_EQ(parse_line("novalue", 7, o).value(), (line_record{std::nullopt, "novalue"}));
    o.key_separator = "::";
    EXPECT_EQ(parse_line("a::b", 1, o).value(), (line_record{"a", "b"}));
}

// Answers from a scripted cluster and records every Produce request.
class fake_transport : public produce_transport {
public:
    topic_layout layout;
    std::vector<topic_layout> layouts_after;  ///< metadata answers after the first, in order
    /// error codes to answer per partition, consumed one per request.
    std::map<int32_t, std::vector<int16_t>> errors;
    struct request {
        int32_t leader;
        std::vector<partition_batch> batches;
        int16_t acks;
    };
    std::vector<request> requests;
    int metadata_calls = 0;
    int sleeps = 0;

    cli_result<topic_layout> topic_metadata(const std::string&) override {
        ++metadata_calls;
        if (metadata_calls > 1 && !layouts_after.empty()) {
            layout = layouts_after.front();
            layouts_after.erase(layouts_after.begin());
        }
        return layout;
    }
    cli_result<std::vector<partition_ack>> produce(int32_t leader, const std::string&,
                                                   const std::vector<partition_batch>& batches,
                                                   int16_t acks, int32_t) override {
        requests.push_back({leader, batches, acks});
        std::vector<partition_ack> out;
        for (const auto& b : batches) {
            int16_t code = 0;
            auto& e = errors[b.partition];
            if (!e.empty()) {
                code = e.front();
                e.erase(e.begin());
            }
            out.push_back({b.partition, code, 0});
        }
        return out;
    }
    void reset(int32_t) override {}
    void sleep(std::chrono::milliseconds) override { ++sleeps; }

    void set_partitions(int n, int leaders = 1) {
        layout = {};
        for (int p = 0; p < n; ++p) layout.partitions.push_back({p, 1 + p % leaders});
    }
    // Records per partition over all requests.
    std::map<int32_t, int32_t> records_by_partition() const {
        std::map<int32_t, int32_t> out;
        for (auto& r : requests)
            for (auto& b : r.batches) out[b.partition] += b.records;
        return out;
    }
};

producer_options options(int batch_size = 200) {
    producer_options o;
    o.topic = "t";
    o.batch_size = batch_size;
    return o;
}

TEST(console_producer, keyed_records_go_to_the_murmur2_partition) {
    fake_transport t;
    t.set_partitions(6, 3);
    auto o = options();
    console_producer p(o, t);
    std::map<int32_t, int32_t> expected;
    for (int i = 0; i < 100; ++i) {
        std::string key = "key-" + std::to_string(i);
        ASSERT_TRUE(p.send({key, "v"}, 1000));
        expected[partition_for_key(as_bytes(key), 6)] += 1;
    }
    ASSERT_TRUE(p.flush());
    EXPECT_EQ(t.records_by_partition(), expected);
    EXPECT_EQ(p.records_acknowledged(), 100);
    // One request per leader at the flush: 3 leaders.
    EXPECT_EQ(t.requests.size(), 3u);
    for (auto& r : t.requests) {
        for (auto& b : r.batches) EXPECT_EQ(r.leader, 1 + b.partition % 3);
    }
}

TEST(console_producer, batches_are_valid_v2_batches_with_keys_and_values) {
    fake_transport t;
    t.set_partitions(1);
    auto o = options();
    console_producer p(o, t);
    ASSERT_TRUE(p.send({"k", "hello"}, 1234));
    ASSERT_TRUE(p.send({std::nullopt, "world"}, 1235));
    ASSERT_TRUE(p.flush());
    ASSERT_EQ(t.requests.size(), 1u);
    const auto& bytes = t.requests[0].batches.at(0).bytes;
    EXPECT_FALSE(protocol::records::validate_batch(bytes));
    protocol::records::batch_view batch(bytes);
    EXPECT_EQ(batch.records_count(), 2);
    EXPECT_EQ(batch.first_timestamp(), 1234);
    protocol::records::record_reader reader(batch);
    auto r1 = reader.next();
    ASSERT_TRUE(r1 && r1->key && r1->value);
    EXPECT_EQ(std::string(r1->key->begin(), r1->key->end()), "k");
    EXPECT_EQ(std::string(r1->value->begin(), r1->value->end()), "hello");
    auto r2 = reader.next();
    ASSERT_TRUE(r2);
    EXPECT_FALSE(r2->key);
    EXPECT_EQ(t.requests[0].acks, -1);
}

TEST(console_producer, full_batches_are_sent_before_eof) {
    fake_transport t;
    t.set_partitions(1);
    auto o = options(10);
    console_producer p(o, t);
    for (int i = 0; i < 35; ++i) ASSERT_TRUE(p.send({std::nullopt, "line"}, 1));
    EXPECT_EQ(t.requests.size(), 3u);  // 3 full batches of 10
    ASSERT_TRUE(p.flush());
    ASSERT_EQ(t.requests.size(), 4u);
    EXPECT_EQ(t.requests.back().batches.at(0).records, 5);
    EXPECT_EQ(p.records_acknowledged(), 35);
}

TEST(console_producer, unkeyed_records_stick_to_a_partition_per_batch) {
    fake_transport t;
    t.set_partitions(3);
    auto o = options(4);
    console_producer p(o, t, 1);
    for (int i = 0; i < 12; ++i) ASSERT_TRUE(p.send({std::nullopt, "x"}, 1));
    ASSERT_EQ(t.requests.size(), 3u);
    EXPECT_EQ(t.requests[0].batches.at(0).partition, 1);
    EXPECT_EQ(t.requests[1].batches.at(0).partition, 2);
    EXPECT_EQ(t.requests[2].batches.at(0).partition, 0);
    for (auto& r : t.requests) EXPECT_EQ(r.batches.at(0).records, 4);
}

TEST(console_producer, sticky_partition_skips_partitions_without_leader) {
    fake_transport t;
    t.set_partitions(3);
    t.layout.partitions[0].leader = -1;
    auto o = options(2);
    console_producer p(o, t, 0);
    for (int i = 0; i < 6; ++i) ASSERT_TRUE(p.send({std::nullopt, "x"}, 1));
    auto by = t.records_by_partition();
    EXPECT_EQ(by.count(0), 0u);
    EXPECT_EQ(by[1] + by[2], 6);
}

TEST(console_producer, not_leader_rereads_metadata_and_resends_to_the_new_leader) {
    fake_transport t;
    t.set_partitions(1);
    topic_layout moved;
    moved.partitions.push_back({0, 2});
    t.layouts_after = {moved};
    t.errors[0] = {6};
    auto o = options();
    console_producer p(o, t);
    ASSERT_TRUE(p.send({std::nullopt, "x"}, 1));
    ASSERT_TRUE(p.flush());
    ASSERT_EQ(t.requests.size(), 2u);
    EXPECT_EQ(t.requests[0].leader, 1);
    EXPECT_EQ(t.requests[1].leader, 2);
    EXPECT_EQ(t.sleeps, 1);
    EXPECT_EQ(p.records_acknowledged(), 1);
}

TEST(console_producer, retries_are_bounded) {
    fake_transport t;
    t.set_partitions(1);
    t.errors[0] = {5, 5, 5, 5, 5, 5};
    auto o = options();
    o.retries = 2;
    console_producer p(o, t);
    ASSERT_TRUE(p.send({std::nullopt, "x"}, 1));
    auto r = p.flush();
    ASSERT_FALSE(r);
    EXPECT_EQ(t.requests.size(), 3u);
    EXPECT_NE(r.error().message.find("LEADER_NOT_AVAILABLE"), std::string::npos) << r.error().message;
    EXPECT_EQ(r.error().message.rfind("Error: ", 0), 0u);
}

TEST(console_producer, non_retriable_errors_fail_at_once) {
    fake_transport t;
    t.set_partitions(1);
    t.errors[0] = {10};
    auto o = options();
    console_producer p(o, t);
    ASSERT_TRUE(p.send({std::nullopt, "x"}, 1));
    auto r = p.flush();
    ASSERT_FALSE(r);
    EXPECT_EQ(t.requests.size(), 1u);
    EXPECT_NE(r.error().message.find("MESSAGE_TOO_LARGE"), std::string::npos);
}

TEST(console_producer, waits_for_a_topic_to_get_leaders_then_gives_up) {
    fake_transport t;
    t.layout.error_code = 5;
    topic_layout ready;
    ready.partitions.push_back({0, 3});
    t.layouts_after = {t.layout, ready};
    auto o = options();
    console_producer p(o, t);
    ASSERT_TRUE(p.prepare());
    EXPECT_EQ(t.metadata_calls, 3);

    fake_transport never;
    never.layout.error_code = 3;
    auto o2 = options();
    o2.max_block = std::chrono::milliseconds(500);
    console_producer q(o2, never);
    auto r = q.prepare();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "Error: Topic t not present in metadata after 500 ms.");
}

TEST(console_producer, acks_zero_counts_records_as_sent) {
    fake_transport t;
    t.set_partitions(2);
    auto o = options();
    o.acks = 0;
    console_producer p(o, t);
    ASSERT_TRUE(p.send({"a", "x"}, 1));
    ASSERT_TRUE(p.flush());
    EXPECT_EQ(t.requests.at(0).acks, 0);
    EXPECT_EQ(p.records_acknowledged(), 1);
}

}  // namespace
}  // namespace tools
