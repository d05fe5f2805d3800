// Issue 6, time lookups: ListOffsets by timestamp through the clients users run it with —
// `kcat -Q -t T:P:<ts>`, `kcat -o s@<ts>` and librdkafka's rd_kafka_offsets_for_times — over a
// topic whose records carry producer-set CreateTimes, spread over many batches and segments, one
// partition uncompressed and one compressed (the answer must be the exact record, not its batch).
#include <librdkafka/rdkafka.h>

#include <map>
#include <memory>
#include <regex>

#include "tests/integration/cluster_fixture.h"

namespace integration {
namespace {

using time_lookup_test = cluster_test;

constexpr int64_t base_ts = 1'700'000'000'000;  // ms; record i has base_ts + 10 * i
constexpr int records_per_partition = 400;

// Produces records 0..n-1 to `partition` with timestamp base_ts + 10 * i, in batches of at most
// 10 records (batch.num.messages), each delivery checked.
void produce_timestamped(const std::string& bootstrap, const std::string& topic, int32_t partition,
                         const std::string& codec) {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    for (auto [k, v] : std::map<std::string, std::string>{{"bootstrap.servers", bootstrap},
                                                          {"linger.ms", "20"},
                                                          {"batch.num.messages", "10"},
                                                          {"compression.codec", codec}}) {
        ASSERT_EQ(rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err), RD_KAFKA_CONF_OK) << err;
    }
    static int failures;
    failures = 0;
    rd_kafka_conf_set_dr_msg_cb(conf, [](rd_kafka_t*, const rd_kafka_message_t* m, void*) {
        if (m->err) ++failures;
    });
    std::unique_ptr<rd_kafka_t, void (*)(rd_kafka_t*)> rk(rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err),
                                                          rd_kafka_destroy);
    ASSERT_TRUE(rk) << err;
    for (int i = 0; i < records_per_partition; ++i) {
        std::string key = "k" + std::to_string(i), value = "value-" + std::to_string(i) + std::string(40, 'x');
        rd_kafka_resp_err_t e = rd_kafka_producev(
            rk.get(), RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
            RD_KAFKA_V_KEY(key.data(), key.size()), RD_KAFKA_V_VALUE(value.data(), value.size()),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_TIMESTAMP(base_ts + 10 * i), RD_KAFKA_V_END);
        ASSERT_EQ(e, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2str(e);
        rd_kafka_poll(rk.get(), 0);
    }
    ASSERT_EQ(rd_kafka_flush(rk.get(), 60000), RD_KAFKA_RESP_ERR_NO_ERROR);
    ASSERT_EQ(failures, 0);
}

// The offsets librdkafka's offsetsForTimes answers for `timestamps` on `partition`.
std::vector<int64_t> offsets_for_times(const std::string& bootstrap, const std::string& topic, int32_t partition,
                                       const std::vector<int64_t>& timestamps) {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof err);
    rd_kafka_conf_set(conf, "group.id", "time-lookup", err, sizeof err);
    std::unique_ptr<rd_kafka_t, void (*)(rd_kafka_t*)> rk(rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err),
                                                          rd_kafka_destroy);
    std::vector<int64_t> out;
    if (!rk) return out;
    for (int64_t ts : timestamps) {
        rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(list, topic.c_str(), partition)->offset = ts;
        rd_kafka_resp_err_t e = rd_kafka_offsets_for_times(rk.get(), list, 10000);
        const rd_kafka_topic_partition_t& p = list->elems[0];
        out.push_back(e == RD_KAFKA_RESP_ERR_NO_ERROR && p.err == RD_KAFKA_RESP_ERR_NO_ERROR ? p.offset : -1000 - e);
        rd_kafka_topic_partition_list_destroy(list);
    }
    rd_kafka_consumer_close(rk.get());
    return out;
}

TEST_F(time_lookup_test, kcat_and_offsets_for_times_find_the_first_record_at_or_after_a_timestamp) {
    start_broker();
    // Small segments so lookups cross segment boundaries and the time index of several segments.
    auto created = topics({"--create", "--topic", "times", "--partitions", "2", "--replication-factor", "1",
                           "--config", "segment.bytes=4096"});
    ASSERT_EQ(created.exit_code(), 0) << created.describe();
    ASSERT_NO_FATAL_FAILURE(produce_timestamped(broker().bootstrap(), "times", 0, "none"));
    ASSERT_NO_FATAL_FAILURE(produce_timestamped(broker().bootstrap(), "times", 1, "lz4"));
    // Partition 1 really is lz4 on disk (batches are stored as the producer sent them).
    auto codecs = stored_batch_codecs(broker().log_dir(), "times", 2);
    EXPECT_GT(codecs[3], 0u);
    EXPECT_GT(codecs[0], 0u);

    // {timestamp, expected offset}: records are at offsets 0..399 with timestamps base + 10 * i.
    const std::vector<std::pair<int64_t, int64_t>> cases{
        {0, 0},                                       // before everything: the first record
        {base_ts, 0},
        {base_ts + 1, 1},                             // between two records: the later one
        {base_ts + 10 * 37, 37},
        {base_ts + 10 * 123 + 9, 124},
        {base_ts + 10 * 250 - 5, 250},
        {base_ts + 10 * (records_per_partition - 1), records_per_partition - 1},
        {base_ts + 10 * records_per_partition, -1},   // after everything: none (-1)
    };
    std::vector<int64_t> timestamps;
    for (const auto& c : cases) timestamps.push_back(c.first);

    for (int32_t partition : {0, 1}) {
        SCOPED_TRACE("partition " + std::to_string(partition));
        auto answers = offsets_for_times(broker().bootstrap(), "times", partition, timestamps);
        ASSERT_EQ(answers.size(), cases.size());
        for (size_t i = 0; i < cases.size(); ++i) {
            EXPECT_EQ(answers[i], cases[i].second) << "offsetsForTimes(" << cases[i].first << ")";
        }

        for (const auto& [ts, expected] : cases) {
            // kcat -Q prints "<topic> [<partition>] offset <n>".
            auto q = kcat({"-Q", "-t", "times:" + std::to_string(partition) + ":" + std::to_string(ts)});
            ASSERT_EQ(q.exit_code(), 0) << q.describe();
            std::smatch m;
            ASSERT_TRUE(std::regex_search(q.out, m, std::regex(R"(times \[(\d+)\] offset (-?\d+))"))) << q.out;
            EXPECT_EQ(std::stoi(m[1]), partition);
            EXPECT_EQ(std::stoll(m[2]), expected) << "kcat -Q at " << ts;
        }

        // kcat -o s@<ts>: consumption starts at that record.
        auto c = kcat({"-C", "-t", "times", "-p", std::to_string(partition), "-o",
                       "s@" + std::to_string(base_ts + 10 * 300 - 3), "-c", "3", "-e", "-q", "-f", "%o %T %k\n"});
        ASSERT_EQ(c.exit_code(), 0) << c.describe();
        EXPECT_EQ(c.out, "300 " + std::to_string(base_ts + 3000) + " k300\n301 " + std::to_string(base_ts + 3010) +
                             " k301\n302 " + std::to_string(base_ts + 3020) + " k302\n");
    }
}

}  // namespace
}  // namespace integration
