// Compaction wiring: the cleanup.policy / delete.retention.ms / min.cleanable.dirty.ratio /
// min.compaction.lag.ms topic configs, replica_manager::compaction_targets and one
// log_cleaner_service round over real partitions (produce, clean, fetch back).
#include <gmock/gmock.h>

#include <thread>
#include <tuple>

#include "broker/log_cleaner_service.h"
#include "broker/topic_config.h"
#include "protocol/messages/fetch.h"
#include "protocol/messages/produce.h"
#include "storage/log_cleaner.h"
#include "storage/offset_checkpoint.h"
#include "tests/unit/broker/broker_test_util.h"

namespace {

using broker_test::broker_fixture;
using broker_test::partition_spec;
namespace rec = protocol::records;

TEST(topic_config, compaction_configs_are_validated_like_kafka) {
    EXPECT_FALSE(broker::validate_topic_config("delete.retention.ms", "0"));
    EXPECT_FALSE(broker::validate_topic_config("delete.retention.ms", "86400000"));
    EXPECT_TRUE(broker::validate_topic_config("delete.retention.ms", "-1"));
    EXPECT_TRUE(broker::validate_topic_config("delete.retention.ms", "x"));
    EXPECT_FALSE(broker::validate_topic_config("min.compaction.lag.ms", "0"));
    EXPECT_TRUE(broker::validate_topic_config("min.compaction.lag.ms", "-5"));
    EXPECT_FALSE(broker::validate_topic_config("min.cleanable.dirty.ratio", "0"));
    EXPECT_FALSE(broker::validate_topic_config("min.cleanable.dirty.ratio", "0.01"));
    EXPECT_FALSE(broker::validate_topic_config("min.cleanable.dirty.ratio", "1"));
    auto above = broker::validate_topic_config("min.cleanable.dirty.ratio", "1.5");
    ASSERT_TRUE(above);
    EXPECT_THAT(*above, ::testing::HasSubstr("no more than 1"));
    auto nan = broker::validate_topic_config("min.cleanable.dirty.ratio", "half");
    ASSERT_TRUE(nan);
    EXPECT_THAT(*nan, ::testing::HasSubstr("DOUBLE"));

    auto o = broker::parse_topic_overrides("t", {{"cleanup.policy", "compact, delete"},
                                                 {"delete.retention.ms", "10"},
                                                 {"min.compaction.lag.ms", "20"},
                                                 {"min.cleanable.dirty.ratio", "0.25"}});
    EXPECT_EQ(o.log.cleanup_policy, "compact,delete");
    EXPECT_EQ(o.log.delete_retention_ms, 10);
    EXPECT_EQ(o.log.min_compaction_lag_ms, 20);
    EXPECT_EQ(o.log.min_cleanable_dirty_ratio, 0.25);

    broker::config cfg;
    cfg.log_cleaner_min_cleanable_ratio = 0.5;
    std::map<std::string, std::string> described;
    for (const auto& c : broker::describe_topic_configs(cfg, {{"delete.retention.ms", "10"}}))
        described[c.name] = c.value.value_or("");
    EXPECT_EQ(described["delete.retention.ms"], "10");
    EXPECT_EQ(described["min.cleanable.dirty.ratio"], "0.5");
    EXPECT_EQ(described["min.compaction.lag.ms"], "0");
}

class log_cleaner_service_test : public broker_fixture {
protected:
    void produce(const std::string& topic, int first_value, int n) {
        rec::record_batch_builder b;
        b.set_compression(rec::compression::zstd);
        std::vector<std::string> keys, values;
        for (int i = 0; i < n; ++i) {
            keys.push_back("key-" + std::to_string((first_value + i) % 5));
            values.push_back("value-" + std::to_string(first_value + i));
        }
        for (int i = 0; i < n; ++i) {
            rec::record_input r;
            r.key = rec::as_bytes(keys[i]);
            r.value = rec::as_bytes(values[i]);
            r.timestamp = 1000 + first_value + i;
            b.add(r);
        }
        protocol::produce_request req;
        req.acks = 1;
        auto& t = req.topic_data.emplace_back();
        t.name = topic;
        auto& pd = t.partition_data.emplace_back();
        pd.index = 0;
        pd.records = protocol::record_set::owned(b.build());
        auto resp = broker_test::decode_response<protocol::produce_response>(send(req, 7), 7);
        ASSERT_EQ(resp.responses.at(0).partition_responses.at(0).error_code, 0);
    }

    // Every record from offset 0 as (offset, key, value), through the Fetch handler.
    std::vector<std::tuple<int64_t, std::string, std::string>> fetch_all(const std::string& topic) {
        std::vector<std::tuple<int64_t, std::string, std::string>> out;
        int64_t offset = 0;
        for (int round = 0; round < 100; ++round) {
            protocol::fetch_request req;
            req.replica_id = -1;
            auto& t = req.topics.emplace_back();
            t.topic = topic;
            auto& fp = t.partitions.emplace_back();
            fp.partition = 0;
            fp.fetch_offset = offset;
            fp.partition_max_bytes = 1 << 20;
            auto resp = broker_test::decode_response<protocol::fetch_response>(send(req, 11), 11);
            const auto& p = resp.responses.at(0).partitions.at(0);
            EXPECT_EQ(p.error_code, 0);
            std::vector<uint8_t> copy = p.records.to_bytes();
            if (copy.empty()) break;
            rec::for_each_batch(copy, [&](rec::batch_view b) {
                rec::batch_records recs(b);
                while (auto r = recs.next()) {
                    out.emplace_back(b.base_offset() + r->offset_delta, std::string(r->key->begin(), r->key->end()),
                                     std::string(r->value->begin(), r->value->end()));
                }
                EXPECT_FALSE(recs.error());
                offset = b.last_offset() + 1;
            });
            if (offset >= p.high_watermark) break;
        }
        return out;
    }
};

TEST_F(log_cleaner_service_test, compacts_compact_topics_only_and_checkpoints_the_dirty_offset) {
    broker::replica_manager::topic_log_config compacted;
    compacted.segment_bytes = 1024;
    compacted.cleanup_policy = "compact,delete";
    compacted.retention_ms = -1;
    compacted.delete_retention_ms = 5;
    compacted.min_cleanable_dirty_ratio = 0.2;
    replicas_->set_topic_log_config("compacted", compacted);
    broker::replica_manager::topic_log_config plain;
    plain.segment_bytes = 1024;
    replicas_->set_topic_log_config("plain", plain);
    publish({{"compacted", {partition_spec{{1}}}}, {"plain", {partition_spec{{1}}}}}, {1});
    for (int i = 0; i < 300; i += 10) {
        produce("compacted", i, 10);
        produce("plain", i, 10);
    }
    EXPECT_TRUE(replicas_->log_config_for("compacted").compacted);
    EXPECT_FALSE(replicas_->log_config_for("plain").compacted);

    auto targets = replicas_->compaction_targets();
    ASSERT_EQ(targets.size(), 1u);
    EXPECT_EQ(targets[0].part->topic(), "compacted");
    EXPECT_EQ(targets[0].cfg.delete_retention_ms, 5);
    EXPECT_EQ(targets[0].cfg.min_compaction_lag_ms, 0);  // the broker's default
    EXPECT_EQ(targets[0].cfg.dedupe_buffer_bytes, 134217728u);
    EXPECT_DOUBLE_EQ(targets[0].min_cleanable_ratio, 0.2);

    const auto before = fetch_all("compacted");
    ASSERT_EQ(before.size(), 300u);
    broker::log_cleaner_service cleaner([this] { return replicas_->compaction_targets(); }, 60000);
    auto stats = cleaner.clean_round(2'000'000);
    EXPECT_EQ(stats.partitions_cleaned, 1u);
    EXPECT_GT(stats.records_removed, 200);
    const int64_t active_base = replicas_->get("compacted", 0)->cleaning_snapshot()->active_base_offset;
    EXPECT_EQ(cleaner.checkpoint_of("compacted", 0), active_base);
    auto file = storage::read_offset_checkpoint(dir_.path() / "cleaner-offset-checkpoint");
    ASSERT_TRUE(file);
    EXPECT_EQ(file.value().at({"compacted", 0}), active_base);
    EXPECT_FALSE(file.value().contains({"plain", 0}));

    // Latest value per key at its original offset; the cleaned part has one record per key.
    auto after = fetch_all("compacted");
    EXPECT_LT(after.size(), 100u);
    std::map<std::string, std::pair<int64_t, std::string>> latest_before, latest_after;
    for (const auto& [o, k, v] : before) latest_before[k] = {o, v};
    for (const auto& [o, k, v] : after) {
        EXPECT_EQ(v, "value-" + std::to_string(o));
        latest_after[k] = {o, v};
    }
    EXPECT_EQ(latest_after, latest_before);
    EXPECT_EQ(fetch_all("plain").size(), 300u);

    // Nothing dirty now: the next round cleans nothing.
    EXPECT_EQ(cleaner.clean_round(2'000'000).partitions_cleaned, 0u);
    // A restarted cleaner reads the checkpoint back from the log dir.
    broker::log_cleaner_service again([this] { return replicas_->compaction_targets(); }, 60000);
    EXPECT_EQ(again.clean_round(2'000'000).partitions_cleaned, 0u);
    EXPECT_EQ(again.checkpoint_of("compacted", 0), active_base);
}

TEST_F(log_cleaner_service_test, the_thread_starts_cleans_and_stops) {
    broker::replica_manager::topic_log_config compacted;
    compacted.segment_bytes = 1024;
    compacted.cleanup_policy = "compact";
    replicas_->set_topic_log_config("c", compacted);
    publish({{"c", {partition_spec{{1}}}}}, {1});
    for (int i = 0; i < 200; i += 10) produce("c", i, 10);
    broker::log_cleaner_service cleaner([this] { return replicas_->compaction_targets(); }, 20);
    cleaner.start();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (cleaner.checkpoint_of("c", 0) < 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    cleaner.stop();
    EXPECT_GT(cleaner.checkpoint_of("c", 0), 0);
    EXPECT_LT(fetch_all("c").size(), 200u);
}

}  // namespace
