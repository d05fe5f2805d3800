// Acceptance item 5 of issue 2: data and topics survive a broker restart (clean and crash),
// and a consumer can resume from a given offset.
#include <librdkafka/rdkafka.h>

#include "tests/integration/cluster_fixture.h"
#include "tests/integration/rdkafka_client.h"

namespace integration {
namespace {

using restart_test = cluster_test;

std::vector<record> make_records(std::size_t from, std::size_t to) {
    std::vector<record> r;
    for (std::size_t i = from; i < to; ++i) r.push_back({"k" + std::to_string(i), "v" + std::to_string(i), 0, -1});
    return r;
}

void expect_sequence(const consume_outcome& c, std::size_t from, std::size_t to) {
    ASSERT_TRUE(c.errors.empty()) << c.errors.front();
    ASSERT_EQ(c.records.size(), to - from);
    for (std::size_t i = 0; i < c.records.size(); ++i) {
        const auto& r = c.records[i];
        ASSERT_EQ(r.offset, static_cast<std::int64_t>(from + i));
        ASSERT_EQ(r.value, "v" + std::to_string(from + i));
        ASSERT_EQ(r.key, "k" + std::to_string(from + i));
    }
}

TEST_F(restart_test, clean_restart_keeps_topics_and_data_and_resumes_from_offset) {
    auto& b = start_broker();
    ASSERT_NO_FATAL_FAILURE(create_topic("restart-t", 2));
    auto p = produce(b.bootstrap(), "restart-t", make_records(0, 1000), {{"acks", "all"}});
    ASSERT_TRUE(p.errors.empty()) << p.errors.front();
    for (std::size_t i = 0; i < p.delivered.size(); ++i) ASSERT_EQ(p.delivered[i].offset, static_cast<std::int64_t>(i));

    auto s = b.stop();
    ASSERT_TRUE(s.success()) << s.to_string();
    b.start();

    auto list = topics({"--list"});
    ASSERT_EQ(list.exit_code(), 0) << list.describe();
    auto names = lines(list.out);
    EXPECT_NE(std::find(names.begin(), names.end(), "restart-t"), names.end()) << list.out;
    auto d = topics({"--describe", "--topic", "restart-t"});
    EXPECT_NE(d.out.find("PartitionCount: 2"), std::string::npos) << d.describe();

    expect_sequence(consume(b.bootstrap(), "restart-t", {{0, RD_KAFKA_OFFSET_BEGINNING}}, 1000), 0, 1000);
    expect_sequence(consume(b.bootstrap(), "restart-t", {{0, 500}}, 500), 500, 1000);

    // Appends continue at the old log end offset.
    auto more = produce(b.bootstrap(), "restart-t", make_records(1000, 1100), {{"acks", "1"}});
    ASSERT_TRUE(more.errors.empty()) << more.errors.front();
    EXPECT_EQ(more.delivered.front().offset, 1000);
    expect_sequence(consume(b.bootstrap(), "restart-t", {{0, 990}}, 110), 990, 1100);
}

TEST_F(restart_test, acknowledged_data_survives_a_crash) {
    auto& b = start_broker(1, {{"log.segment.bytes", "65536"}});  // several segments to recover
    ASSERT_NO_FATAL_FAILURE(create_topic("crash-t", 1));
    auto p = produce(b.bootstrap(), "crash-t", make_records(0, 5000), {{"acks", "all"}});
    ASSERT_TRUE(p.errors.empty()) << p.errors.front();
    b.kill();  // SIGKILL: no flush, no clean shutdown marker
    // The crashed session's /brokers/ids/1 lives until zookeeper.session.timeout.ms (6 s);
    // like Kafka 2.x, brook refuses to register over it, so restart once it has expired.
    const std::string node = chroot() + "/brokers/ids/1";
    ASSERT_TRUE(wait_until([&] { return !zk().exists(node); }, std::chrono::seconds(15)));
    b.start();
    expect_sequence(consume(b.bootstrap(), "crash-t", {{0, RD_KAFKA_OFFSET_BEGINNING}}, 5000), 0, 5000);
    expect_sequence(consume(b.bootstrap(), "crash-t", {{0, 4321}}, 679), 4321, 5000);
}

}  // namespace
}  // namespace integration
