// Log compaction (issue 6): a cleanup.policy=compact topic with small segments gets many keyed,
// zstd-compressed updates from librdkafka; every replica's cleaner compacts its own log (the
// files on each broker's disk end up with the latest value per key at its original offset), and
// a consumer from the beginning sees the latest value per key and fewer records than were sent.
// Three real brokers under the test's chroot.
#include <algorithm>
#include <map>
#include <set>

#include "protocol/records/record_batch.h"
#include "protocol/records/record_batch_builder.h"
#include "tests/integration/replication_fixture.h"

namespace integration {
namespace {

using namespace std::chrono_literals;
namespace rec = protocol::records;

using compaction_test = replication_test;

struct stored_record {
    std::int64_t offset;
    std::string key;
    std::string value;
};

// Every record in a replica's .log files, decompressed; `error` says what was wrong.
std::vector<stored_record> disk_records(const std::string& log_dir, const std::string& topic, std::string* error) {
    std::vector<stored_record> out;
    for (const auto& b : read_disk_batches(log_dir, topic, 0, error)) {
        std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(b.bytes.data()), b.bytes.size());
        if (rec::validate_batch(bytes, rec::validation_mode::stored)) {
            if (error) *error = "invalid batch at offset " + std::to_string(b.base_offset);
            return {};
        }
        rec::batch_view v(bytes);
        rec::batch_records records(v);
        while (auto r = records.next()) {
            stored_record s{v.base_offset() + r->offset_delta, {}, {}};
            if (r->key) s.key.assign(r->key->begin(), r->key->end());
            if (r->value) s.value.assign(r->value->begin(), r->value->end());
            out.push_back(std::move(s));
        }
        if (records.error() && error) *error = "undecodable batch at " + std::to_string(b.base_offset);
    }
    return out;
}

TEST_F(compaction_test, keyed_compressed_updates_compact_to_the_latest_value_per_key_on_every_replica) {
    start_cluster(3, {{"log.cleaner.backoff.ms", "200"}});
    const std::string topic = "compacted";
    create_replicated_topic(topic, 1, 3,
                            {{"cleanup.policy", "compact"},
                             {"segment.bytes", "4096"},
                             {"min.cleanable.dirty.ratio", "0.01"}});
    // zstd: the codec librdkafka 2.0.2 compresses with against Brook (it drops gzip/snappy/lz4
    // for brokers that advertise Produce from v3 only; see protocol/records/README.md).
    keyed_producer producer(live_bootstrap(), {{"acks", "all"}, {"linger.ms", "5"}, {"compression.codec", "zstd"}});
    constexpr int total = 4000;
    constexpr int keys = 40;
    for (int i = 0; i < total; ++i) {
        std::string value = "value-" + std::to_string(i) + "-";
        for (int j = 0; j < 6; ++j) value += std::to_string((i * 7919 + j * 104729) % 100003);
        producer.send(topic, "key-" + std::to_string(i % keys), value, 0);
        if (i % 50 == 0) producer.poll(5ms);
    }
    ASSERT_TRUE(producer.flush(60s)) << producer.summary();
    ASSERT_EQ(producer.acknowledged(), static_cast<std::size_t>(total)) << producer.summary();

    std::map<std::int64_t, std::string> value_at;                       // offset -> value sent
    std::map<std::string, std::pair<std::int64_t, std::string>> latest;  // key -> (offset, value)
    for (const auto& d : producer.deliveries()) {
        value_at[d.offset] = d.value;
        auto& l = latest[d.key];
        if (l.second.empty() || d.offset > l.first) l = {d.offset, d.value};
    }
    ASSERT_EQ(latest.size(), static_cast<std::size_t>(keys));

    // Each replica compacts its own log: all closed segments cleaned within a few rounds.
    std::map<int, std::size_t> counts;
    std::string error;
    const bool compacted = wait_until(
        [&] {
            for (int id = 1; id <= 3; ++id) counts[id] = disk_records(by_id(id).log_dir(), topic, &error).size();
            return std::all_of(counts.begin(), counts.end(),
                               [](const auto& kv) { return kv.second > 0 && kv.second < total / 2; });
        },
        60s);
    EXPECT_TRUE(compacted) << "records on brokers 1/2/3: " << counts[1] << "/" << counts[2] << "/" << counts[3]
                           << " " << error;
    for (int id = 1; id <= 3; ++id) {
        SCOPED_TRACE("broker " + std::to_string(id));
        std::string err;
        auto records = disk_records(by_id(id).log_dir(), topic, &err);
        EXPECT_TRUE(err.empty()) << err;
        std::map<std::string, std::pair<std::int64_t, std::string>> seen;
        std::int64_t prev = -1;
        for (const auto& r : records) {
            EXPECT_GT(r.offset, prev);
            prev = r.offset;
            EXPECT_EQ(r.value, value_at[r.offset]) << "offset " << r.offset << " changed";
            seen[r.key] = {r.offset, r.value};
        }
        EXPECT_EQ(seen, latest);
    }

    // A consumer from the beginning: fewer records than sent, the latest value of every key.
    // How many records survive is not known in advance: read until 5 s pass without a new one
    // (consume reports that idle stop as its only "error").
    auto out = consume(live_bootstrap(), topic, {{0, -2}}, total, 5s, 300ms);
    for (const auto& e : out.errors) EXPECT_NE(e.find("no new record"), std::string::npos) << e;
    ASSERT_FALSE(out.records.empty());
    EXPECT_LT(out.records.size(), static_cast<std::size_t>(total) / 2);
    std::map<std::string, std::pair<std::int64_t, std::string>> consumed;
    std::int64_t prev = -1;
    for (const auto& r : out.records) {
        EXPECT_GT(r.offset, prev);
        prev = r.offset;
        EXPECT_EQ(r.value, value_at[r.offset]);
        consumed[r.key] = {r.offset, r.value};
    }
    EXPECT_EQ(consumed, latest);
    EXPECT_EQ(latest_offset(live_bootstrap(), topic, 0), total);
}

// A follower that was down while the leader compacted catches up by fetching the leader's cleaned
// log: batches with offset gaps, which its compacted log accepts (Kafka allows them too).
TEST_F(compaction_test, a_follower_that_was_down_catches_up_from_the_leaders_cleaned_log) {
    start_cluster(3, {{"log.cleaner.backoff.ms", "200"}, {"replica.lag.time.max.ms", "3000"}});
    const std::string topic = "compacted-catch-up";
    auto created = create_replicated_topic(topic, 1, 3,
                                           {{"cleanup.policy", "compact"},
                                            {"segment.bytes", "4096"},
                                            {"min.cleanable.dirty.ratio", "0.01"}});
    ASSERT_FALSE(HasFailure());
    const int leader = created.partition(topic, 0)->leader;
    const auto others = followers(*created.partition(topic, 0));
    ASSERT_EQ(others.size(), 2u) << created.describe();
    const int down = others[0];
    by_id(down).kill();
    wait_for_isr(topic, 0, sorted({leader, others[1]}), leader, 30s);
    ASSERT_FALSE(HasFailure()) << describe_partition(topic, 0);

    keyed_producer producer(live_bootstrap(), {{"acks", "all"}, {"linger.ms", "5"}, {"compression.codec", "zstd"}});
    constexpr int total = 3000;
    for (int i = 0; i < total; ++i) {
        producer.send(topic, "key-" + std::to_string(i % 30), "value-" + std::to_string(i), 0);
        if (i % 50 == 0) producer.poll(5ms);
    }
    ASSERT_TRUE(producer.flush(60s)) << producer.summary();
    ASSERT_EQ(producer.acknowledged(), static_cast<std::size_t>(total)) << producer.summary();
    std::map<std::int64_t, std::string> value_at;
    std::map<std::string, std::pair<std::int64_t, std::string>> latest;
    for (const auto& d : producer.deliveries()) {
        value_at[d.offset] = d.value;
        auto& l = latest[d.key];
        if (l.second.empty() || d.offset > l.first) l = {d.offset, d.value};
    }

    // The leader compacts (its log then starts with a gap: offset 0 was superseded).
    std::string error;
    const bool cleaned = wait_until(
        [&] {
            auto batches = read_disk_batches(by_id(leader).log_dir(), topic, 0, &error);
            return !batches.empty() && batches.front().base_offset > 0 &&
                   disk_records(by_id(leader).log_dir(), topic, &error).size() < total / 2;
        },
        60s);
    ASSERT_TRUE(cleaned) << "the leader did not compact: " << error << "\n" << describe_partition(topic, 0);

    by_id(down).start();
    wait_for_isr(topic, 0, {1, 2, 3}, leader, 60s);
    ASSERT_FALSE(HasFailure()) << describe_partition(topic, 0);
    std::map<std::string, std::pair<std::int64_t, std::string>> seen;
    const bool caught_up = wait_until(
        [&] {
            seen.clear();
            for (const auto& r : disk_records(by_id(down).log_dir(), topic, &error)) seen[r.key] = {r.offset, r.value};
            return seen == latest;
        },
        30s);
    EXPECT_TRUE(caught_up) << error << "\n" << describe_partition(topic, 0);
    auto records = disk_records(by_id(down).log_dir(), topic, &error);
    EXPECT_LT(records.size(), static_cast<std::size_t>(total) / 2) << "the follower copied cleaned data";
    std::int64_t prev = -1;
    for (const auto& r : records) {
        EXPECT_GT(r.offset, prev);
        prev = r.offset;
        EXPECT_EQ(r.value, value_at[r.offset]);
    }
    EXPECT_EQ(disk_log_ends(topic, 0, {down}).at(down), total);
}

}  // namespace
}  // namespace integration
