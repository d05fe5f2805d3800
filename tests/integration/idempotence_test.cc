// Issue 7 acceptance: the idempotent producer. InitProducerId hands out cluster-unique producer
// ids on every broker; a partition leader remembers, per producer id, the epoch and the sequence
// ranges of the last 5 batches, so a retried batch is acknowledged at its ORIGINAL offset without
// being appended again, a sequence gap gets OUT_OF_ORDER_SEQUENCE_NUMBER (45) and an older epoch
// INVALID_PRODUCER_EPOCH (47); followers keep the same state, and it survives crashes.
// Real brokers (3, RF 3, min.insync.replicas 2 unless a test says otherwise) under a per-test
// chroot; clients: librdkafka, the blocking protocol client (exact requests), and KafkaJS 2.2.4
// run by /usr/bin/node.
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "protocol/client/client.h"
#include "protocol/errors.h"
#include "protocol/messages/init_producer_id.h"
#include "protocol/messages/list_offsets.h"
#include "protocol/messages/produce.h"
#include "protocol/records/record_batch_builder.h"
#include "tests/integration/replication_fixture.h"
#include "tests/support/temp_dir.h"

#ifndef BROOK_KAFKAJS_DIR
#error "BROOK_KAFKAJS_DIR must point at tests/integration/kafkajs"
#endif
#ifndef BROOK_KAFKAJS_INSTALL_DIR
#error "BROOK_KAFKAJS_INSTALL_DIR must name a build-tree directory for KafkaJS's node_modules"
#endif

namespace integration {
namespace {

using namespace std::chrono_literals;
using test_support::cluster_view;
namespace client = protocol::client;

/// Time for ZooKeeper to expire a kill -9ed broker and the controller to act on it.
constexpr auto failover_timeout = std::chrono::milliseconds(test_session_timeout_ms) + 15s;

using idempotence_test = replication_test;

std::string kafka_error_name(std::int16_t code) {
    return std::string(protocol::error_name(static_cast<protocol::error_code>(code))) + " (" +
           std::to_string(code) + ")";
}

// ---- the producer fields of a stored batch ----

std::int64_t load_be64(const std::string& s, std::size_t at) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(s[at + i]);
    return static_cast<std::int64_t>(v);
}

std::int32_t load_be32(const std::string& s, std::size_t at) {
    std::uint32_t v = 0;
    for (std::size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(s[at + i]);
    return static_cast<std::int32_t>(v);
}

std::int16_t load_be16(const std::string& s, std::size_t at) {
    return static_cast<std::int16_t>((static_cast<unsigned char>(s[at]) << 8) | static_cast<unsigned char>(s[at + 1]));
}

/// The idempotence fields of one on-disk batch. Offsets within disk_batch::bytes (12-byte log
/// entry header, then the v2 batch header): producerId int64 at 43, producerEpoch int16 at 51,
/// baseSequence int32 at 53, record count int32 at 57 (61 bytes in all before the records).
struct producer_fields {
    std::int64_t base_offset = 0;
    std::int64_t producer_id = -1;
    std::int16_t epoch = -1;
    std::int32_t base_sequence = -1;
    std::int32_t last_offset_delta = 0;
};

producer_fields producer_fields_of(const disk_batch& b) {
    producer_fields f;
    f.base_offset = b.base_offset;
    f.last_offset_delta = b.last_offset_delta;
    if (b.bytes.size() >= 61) {
        f.producer_id = load_be64(b.bytes, 43);
        f.epoch = load_be16(b.bytes, 51);
        f.base_sequence = load_be32(b.bytes, 53);
    }
    return f;
}

/// Every batch in a partition's log carries a producer id, and per producer id the sequences run
/// without a gap or a repeat: within an epoch each batch starts one after the previous batch's
/// last sequence; a higher epoch starts at 0; an epoch never goes back. Fills `producer_ids`.
::testing::AssertionResult sequences_contiguous(const std::vector<disk_batch>& batches,
                                                std::set<std::int64_t>* producer_ids) {
    struct last_seen {
        std::int16_t epoch;
        std::int32_t last_sequence;
        std::int64_t base_offset;
    };
    std::map<std::int64_t, last_seen> last;
    for (const auto& b : batches) {
        auto f = producer_fields_of(b);
        if (f.producer_id < 0 || f.base_sequence < 0) {
            return ::testing::AssertionFailure() << "batch at offset " << f.base_offset << " has producer id "
                                                 << f.producer_id << ", base sequence " << f.base_sequence
                                                 << " (not idempotent)";
        }
        if (producer_ids != nullptr) producer_ids->insert(f.producer_id);
        auto it = last.find(f.producer_id);
        if (it != last.end()) {
            const auto& prev = it->second;
            bool ok = f.epoch == prev.epoch ? f.base_sequence == prev.last_sequence + 1
                                            : f.epoch > prev.epoch && f.base_sequence == 0;
            if (!ok) {
                return ::testing::AssertionFailure()
                       << "producer " << f.producer_id << ": batch at offset " << f.base_offset << " has epoch "
                       << f.epoch << " base sequence " << f.base_sequence << " after the batch at offset "
                       << prev.base_offset << " (epoch " << prev.epoch << ", last sequence " << prev.last_sequence
                       << "): a duplicate or a gap";
            }
        }
        last[f.producer_id] = {f.epoch, f.base_sequence + f.last_offset_delta, f.base_offset};
    }
    return ::testing::AssertionSuccess();
}

// ---- the blocking protocol client ----

client::result<client::connection> connect_raw(std::uint16_t port) {
    return client::connection::connect("127.0.0.1", port, 10s);
}

/// InitProducerId with a null transactional id (an idempotent producer).
client::result<protocol::init_producer_id_response> init_producer_id(client::connection& c, std::int16_t version) {
    protocol::init_producer_id_request req;
    req.transactional_id = std::nullopt;
    req.transaction_timeout_ms = 60000;
    return c.send<protocol::init_producer_id_api>(req, version);
}

/// One uncompressed batch of `count` records "<tag>-<sequence>" for producer (id, epoch) starting
/// at `base_sequence`.
std::vector<std::uint8_t> idempotent_batch(std::int64_t producer_id, std::int16_t epoch, std::int32_t base_sequence,
                                           int count, const std::string& tag) {
    protocol::records::record_batch_builder b(0);
    b.set_producer(producer_id, epoch, base_sequence);
    std::vector<std::string> values;
    for (int i = 0; i < count; ++i) values.push_back(tag + "-" + std::to_string(base_sequence + i));
    auto now = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
                   .count();
    for (const auto& v : values) {
        protocol::records::record_input r;
        r.value = protocol::records::as_bytes(v);
        r.timestamp = now;
        b.add(r);
    }
    return b.build();
}

struct produce_result {
    std::int16_t error_code = 0;
    std::int64_t base_offset = -1;

    std::string describe() const {
        return kafka_error_name(error_code) + ", base offset " + std::to_string(base_offset);
    }
};

/// Produce v7, acks = -1, one batch to one partition.
client::result<produce_result> produce_batch(client::connection& c, const std::string& topic, std::int32_t partition,
                                             const std::vector<std::uint8_t>& batch) {
    protocol::produce_request req;
    req.acks = -1;
    req.timeout_ms = 30000;
    protocol::produce_request::topic_produce_data t;
    t.name = topic;
    protocol::produce_request::topic_produce_data::partition_produce_data p;
    p.index = partition;
    p.records = protocol::record_set::owned(batch);
    t.partition_data.push_back(std::move(p));
    req.topic_data.push_back(std::move(t));
    auto r = c.send<protocol::produce_api>(req, 7);
    if (!r) return r.error();
    if (r.value().responses.size() != 1 || r.value().responses[0].partition_responses.size() != 1) {
        return client::make_error_code(client::errc::malformed_response);
    }
    const auto& pr = r.value().responses[0].partition_responses[0];
    return produce_result{pr.error_code, pr.base_offset};
}

/// ListOffsets v1, timestamp -1 (latest = the high watermark); -1 with `error` set on failure.
std::int64_t list_latest(client::connection& c, const std::string& topic, std::int32_t partition,
                         std::string* error) {
    protocol::list_offsets_request req;
    req.replica_id = -1;
    protocol::list_offsets_request::list_offsets_topic t;
    t.name = topic;
    protocol::list_offsets_request::list_offsets_topic::list_offsets_partition p;
    p.partition_index = partition;
    p.timestamp = -1;
    t.partitions.push_back(p);
    req.topics.push_back(std::move(t));
    auto r = c.send<protocol::list_offsets_api>(req, 1);
    if (!r) {
        *error = "ListOffsets: " + r.error().message();
        return -1;
    }
    if (r.value().topics.size() != 1 || r.value().topics[0].partitions.size() != 1) {
        *error = "ListOffsets: answer without exactly one partition";
        return -1;
    }
    const auto& pr = r.value().topics[0].partitions[0];
    if (pr.error_code != 0) {
        *error = "ListOffsets: " + kafka_error_name(pr.error_code);
        return -1;
    }
    return pr.offset;
}

/// `var`: a raw connection to 127.0.0.1:`port`; a fatal test failure when it cannot connect.
#define CONNECT_OR_FAIL(var, port)                                                         \
    auto var##_r = connect_raw(port);                                                      \
    ASSERT_TRUE(var##_r.has_value()) << "connect to port " << (port) << ": " << var##_r.error().message(); \
    client::connection var = std::move(var##_r.value())

// ---- 1: librdkafka, exactly once through five leader kills ----

TEST_F(idempotence_test, librdkafka_idempotent_producer_writes_every_record_exactly_once_in_order_through_five_leader_kills) {
    const std::string topic = "idem-six";
    constexpr int partitions = 6;
    constexpr int rounds = 5;
    constexpr int producers = 2;
    constexpr std::size_t total = 200000;
    constexpr std::size_t per_producer = total / producers;
    // Paced as replication_test's five-kill test: records are in flight during every kill, and
    // not all 200,000 are sent before the first one.
    constexpr double rate_per_producer = 2500.0;

    start_cluster(3);
    create_replicated_topic(topic, partitions, 3, {{"min.insync.replicas", "2"}});
    ASSERT_FALSE(HasFailure());

    // Idempotence allows up to 5 requests in flight per partition (librdkafka caps it there) and
    // unlimited retries; the order and the absence of duplicates are the broker's job. A message
    // timeout longer than the whole test: a timed-out record would be a loss we cannot tell from
    // a broker bug.
    const std::map<std::string, std::string> producer_conf{
        {"enable.idempotence", "true"},
        {"acks", "all"},
        {"max.in.flight.requests.per.connection", "5"},
        {"retry.backoff.ms", "100"},
        {"message.timeout.ms", "300000"},
        {"request.timeout.ms", "15000"},
        {"linger.ms", "5"},
    };
    std::vector<std::unique_ptr<keyed_producer>> prods;
    for (int j = 0; j < producers; ++j) {
        prods.push_back(std::make_unique<keyed_producer>(live_bootstrap(), producer_conf));
    }

    // Record i of producer j: key and value "p<j>-<i>", partition i % 6, so each partition gets
    // from each producer the records i = p, p + 6, p + 12, ... in that order.
    auto value_of = [](int j, std::size_t i) { return "p" + std::to_string(j) + "-" + std::to_string(i); };

    std::atomic<int> rounds_done{0};
    std::atomic<bool> kills_over{false};
    std::vector<std::thread> threads;
    for (int j = 0; j < producers; ++j) {
        threads.emplace_back([&, j] {
            auto& p = *prods[static_cast<std::size_t>(j)];
            auto start = std::chrono::steady_clock::now();
            for (std::size_t i = 0; i < per_producer; ++i) {
                while (!kills_over.load()) {
                    auto quota = per_producer * static_cast<std::size_t>(rounds_done.load() + 1) / (rounds + 1);
                    auto due = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                           std::chrono::duration<double>(static_cast<double>(i) / rate_per_producer));
                    if (i < quota && std::chrono::steady_clock::now() >= due) break;
                    p.poll(2ms);
                }
                auto v = value_of(j, i);
                p.send(topic, v, v, static_cast<std::int32_t>(i % partitions));
                if (i % 256 == 0) p.poll(0ms);
            }
            p.flush(300s);
        });
    }

    // Kills run here, on the thread that started the brokers (their PDEATHSIG is tied to it).
    // No ASSERT until the producers are joined.
    std::vector<std::string> round_log;
    for (int round = 0; round < rounds && !HasFailure(); ++round) {
        auto line = kill_leader_and_restart(topic, round % partitions, partitions, round + 1, failover_timeout, 60s);
        if (!line) break;
        round_log.push_back(std::move(*line));
        rounds_done = round + 1;
    }
    kills_over = true;
    for (auto& t : threads) t.join();
    for (const auto& line : round_log) std::cout << line << "\n";
    for (int j = 0; j < producers; ++j) {
        std::cout << "producer " << j << ": " << prods[static_cast<std::size_t>(j)]->summary() << "\n";
    }
    ASSERT_FALSE(HasFailure());
    EXPECT_EQ(rounds_done.load(), rounds);
    for (int j = 0; j < producers; ++j) {
        const auto& p = *prods[static_cast<std::size_t>(j)];
        EXPECT_EQ(p.acknowledged(), per_producer) << "producer " << j << ": " << p.summary();
    }

    // Exactly once means the partitions hold exactly the records sent, no more.
    std::map<std::int32_t, std::int64_t> ends;
    std::int64_t sum = 0;
    for (int p = 0; p < partitions; ++p) {
        std::string err;
        ends[p] = latest_offset(live_bootstrap(), topic, p, &err);
        ASSERT_GE(ends[p], 0) << err << "\n" << describe_partition(topic, p);
        sum += ends[p];
    }
    EXPECT_EQ(sum, static_cast<std::int64_t>(total)) << "sum of the high watermarks (more: duplicates were appended)";

    std::map<std::int32_t, std::int64_t> start;
    for (int p = 0; p < partitions; ++p) start[p] = RD_KAFKA_OFFSET_BEGINNING;
    partition_reader reader(live_bootstrap(), topic, start, {{"fetch.max.bytes", "52428800"}});
    reader.read_until(static_cast<std::size_t>(std::max<std::int64_t>(sum, total)), 120s);
    reader.read_for(500ms);
    ASSERT_TRUE(reader.errors().empty()) << reader.errors().front();

    // value -> times read; per (partition, producer) the records in log order.
    std::map<std::string, int> seen;
    std::map<std::pair<std::int32_t, int>, std::vector<std::size_t>> order;
    std::map<std::string, std::pair<std::int32_t, std::int64_t>> position;
    std::size_t foreign = 0;
    std::vector<const record*> sorted_records;
    for (const auto& r : reader.records()) sorted_records.push_back(&r);
    std::stable_sort(sorted_records.begin(), sorted_records.end(), [](const record* a, const record* b) {
        return std::tie(a->partition, a->offset) < std::tie(b->partition, b->offset);
    });
    for (const record* r : sorted_records) {
        ++seen[r->value];
        position[r->value] = {r->partition, r->offset};
        int j = -1;
        std::size_t i = 0;
        if (r->value.size() > 3 && r->value[0] == 'p' && r->value[2] == '-') {
            j = r->value[1] - '0';
            i = std::stoul(r->value.substr(3));
        }
        if (j < 0 || j >= producers || i >= per_producer || r->key != r->value) {
            if (++foreign <= 5) ADD_FAILURE() << "unexpected record " << r->key << " = " << r->value;
            continue;
        }
        order[{r->partition, j}].push_back(i);
    }
    EXPECT_EQ(foreign, 0u);

    std::size_t missing = 0;
    std::size_t duplicated = 0;
    std::size_t misplaced = 0;
    for (int j = 0; j < producers; ++j) {
        const auto& deliveries = prods[static_cast<std::size_t>(j)]->deliveries();
        for (std::size_t i = 0; i < per_producer; ++i) {
            auto v = value_of(j, i);
            auto it = seen.find(v);
            if (it == seen.end()) {
                if (++missing <= 10) ADD_FAILURE() << v << " was never read back";
                continue;
            }
            if (it->second != 1) {
                if (++duplicated <= 10) ADD_FAILURE() << v << " read " << it->second << " times";
            }
            const auto& d = deliveries[i];
            auto [p, off] = position[v];
            if (d.acknowledged() && (d.partition != p || d.offset != off)) {
                if (++misplaced <= 10) {
                    ADD_FAILURE() << v << " acknowledged at " << d.partition << "@" << d.offset << " but read at "
                                  << p << "@" << off;
                }
            }
        }
    }
    EXPECT_EQ(missing, 0u) << "records lost";
    EXPECT_EQ(duplicated, 0u) << "records duplicated";
    EXPECT_EQ(misplaced, 0u) << "records not where their delivery report put them";

    // Per partition and producer: exactly i = p, p + 6, p + 12, ... (send order, no gap, no repeat).
    for (int p = 0; p < partitions; ++p) {
        for (int j = 0; j < producers; ++j) {
            const auto& got = order[{p, j}];
            std::size_t k = 0;
            bool in_order = true;
            for (std::size_t i = static_cast<std::size_t>(p); i < per_producer; i += partitions, ++k) {
                if (k >= got.size() || got[k] != i) {
                    ADD_FAILURE() << topic << "-" << p << ", producer " << j << ": record #" << k << " in the log is "
                                  << (k < got.size() ? value_of(j, got[k]) : std::string("missing")) << ", expected "
                                  << value_of(j, i) << " (send order)";
                    in_order = false;
                    break;
                }
            }
            if (in_order) {
                EXPECT_EQ(got.size(), k) << topic << "-" << p << ", producer " << j << ": extra records at the end";
            }
        }
    }

    // On every replica's disk: every batch idempotent, sequences per producer id contiguous.
    std::set<std::int64_t> producer_ids;
    for (int p = 0; p < partitions; ++p) {
        for (int id = 1; id <= broker_count_; ++id) {
            std::string err;
            auto batches = read_disk_batches(by_id(id).log_dir(), topic, p, &err);
            EXPECT_TRUE(err.empty()) << err;
            EXPECT_TRUE(sequences_contiguous(batches, &producer_ids))
                << "broker " << id << ", " << topic << "-" << p;
        }
    }
    EXPECT_GE(producer_ids.size(), static_cast<std::size_t>(producers));
    std::cout << "read back " << reader.records().size() << " records; producer ids on disk:";
    for (auto id : producer_ids) std::cout << " " << id;
    std::cout << "\n";
}

// ---- 2: the broker's rules, request by request ----

TEST_F(idempotence_test, raw_protocol_duplicate_gets_original_offset_gap_gets_45_older_epoch_gets_47) {
    const std::string topic = "idem-raw";
    start_cluster(3);
    auto created = create_replicated_topic(topic, 1, 3, {{"min.insync.replicas", "2"}});
    ASSERT_FALSE(HasFailure());
    const int leader = created.partition(topic, 0)->leader;
    CONNECT_OR_FAIL(conn, by_id(leader).port());

    auto versions = conn.negotiate();
    ASSERT_TRUE(versions.has_value()) << versions.error().message();
    auto range = conn.broker_range(protocol::init_producer_id_api::key);
    ASSERT_TRUE(range.has_value()) << "InitProducerId (22) is not in ApiVersions: librdkafka will not enable idempotence";
    EXPECT_LE(range->first, 0);
    EXPECT_GE(range->second, 1);

    auto init = init_producer_id(conn, 1);
    ASSERT_TRUE(init.has_value()) << "InitProducerId v1: " << init.error().message();
    ASSERT_EQ(init.value().error_code, 0) << kafka_error_name(init.value().error_code);
    const std::int64_t pid = init.value().producer_id;
    const std::int16_t epoch = init.value().producer_epoch;
    ASSERT_GE(pid, 0);
    EXPECT_EQ(epoch, 0);
    // v0 too (librdkafka gates idempotence on it); a second producer gets another id.
    auto init0 = init_producer_id(conn, 0);
    ASSERT_TRUE(init0.has_value()) << "InitProducerId v0: " << init0.error().message();
    EXPECT_EQ(init0.value().error_code, 0) << kafka_error_name(init0.value().error_code);
    EXPECT_GE(init0.value().producer_id, 0);
    EXPECT_NE(init0.value().producer_id, pid);
    EXPECT_EQ(init0.value().producer_epoch, 0);

    std::string err;
    const auto a = idempotent_batch(pid, epoch, 0, 10, "a");
    auto r = produce_batch(conn, topic, 0, a);
    ASSERT_TRUE(r.has_value()) << r.error().message();
    EXPECT_EQ(r.value().error_code, 0) << r.value().describe();
    EXPECT_EQ(r.value().base_offset, 0);
    EXPECT_EQ(list_latest(conn, topic, 0, &err), 10) << err;

    // The same batch again (a retry whose answer was lost): success at the original offset, and
    // the log did not grow.
    r = produce_batch(conn, topic, 0, a);
    ASSERT_TRUE(r.has_value()) << r.error().message();
    EXPECT_EQ(r.value().error_code, 0) << "duplicate: " << r.value().describe();
    EXPECT_EQ(r.value().base_offset, 0) << "duplicate: " << r.value().describe();
    EXPECT_EQ(list_latest(conn, topic, 0, &err), 10) << "the duplicate must not be appended " << err;

    // A gap: sequence 20 when 10 is next.
    r = produce_batch(conn, topic, 0, idempotent_batch(pid, epoch, 20, 10, "gap"));
    ASSERT_TRUE(r.has_value()) << r.error().message();
    EXPECT_EQ(r.value().error_code, static_cast<std::int16_t>(protocol::error_code::out_of_order_sequence_number))
        << r.value().describe();
    EXPECT_EQ(list_latest(conn, topic, 0, &err), 10) << "a refused batch must not be appended " << err;

    // The refusal changed nothing: 10 is still next, and `a` (no longer the last batch, but one
    // of the last 5) is still a duplicate.
    const auto b = idempotent_batch(pid, epoch, 10, 10, "b");
    r = produce_batch(conn, topic, 0, b);
    ASSERT_TRUE(r.has_value()) << r.error().message();
    EXPECT_EQ(r.value().error_code, 0) << r.value().describe();
    EXPECT_EQ(r.value().base_offset, 10);
    r = produce_batch(conn, topic, 0, a);
    ASSERT_TRUE(r.has_value()) << r.error().message();
    EXPECT_EQ(r.value().error_code, 0) << "older duplicate: " << r.value().describe();
    EXPECT_EQ(r.value().base_offset, 0) << "older duplicate: " << r.value().describe();
    EXPECT_EQ(list_latest(conn, topic, 0, &err), 20) << err;

    // A higher epoch starts over at sequence 0 (librdkafka bumps epochs itself, so the broker
    // takes an epoch it never handed out); after it, the old epoch is fenced.
    r = produce_batch(conn, topic, 0, idempotent_batch(pid, static_cast<std::int16_t>(epoch + 1), 0, 5, "c"));
    ASSERT_TRUE(r.has_value()) << r.error().message();
    EXPECT_EQ(r.value().error_code, 0) << "new epoch: " << r.value().describe();
    EXPECT_EQ(r.value().base_offset, 20);
    r = produce_batch(conn, topic, 0, idempotent_batch(pid, epoch, 20, 10, "old"));
    ASSERT_TRUE(r.has_value()) << r.error().message();
    EXPECT_EQ(r.value().error_code, static_cast<std::int16_t>(protocol::error_code::invalid_producer_epoch))
        << "older epoch: " << r.value().describe();
    EXPECT_EQ(list_latest(conn, topic, 0, &err), 25) << err;

    // Another producer id has its own sequences.
    r = produce_batch(conn, topic, 0, idempotent_batch(init0.value().producer_id, 0, 0, 3, "other"));
    ASSERT_TRUE(r.has_value()) << r.error().message();
    EXPECT_EQ(r.value().error_code, 0) << "second producer: " << r.value().describe();
    EXPECT_EQ(r.value().base_offset, 25);
    EXPECT_EQ(list_latest(conn, topic, 0, &err), 28) << err;

    // The log holds each accepted batch once (a, b, c, other), on every replica.
    wait_until(
        [&] {
            auto e = disk_log_ends(topic, 0, {1, 2, 3});
            return e[1] == 28 && e[2] == 28 && e[3] == 28;
        },
        15s);
    for (int id = 1; id <= 3; ++id) {
        auto batches = read_disk_batches(by_id(id).log_dir(), topic, 0, &err);
        std::vector<std::int64_t> bases;
        for (const auto& x : batches) bases.push_back(x.base_offset);
        EXPECT_EQ(bases, (std::vector<std::int64_t>{0, 10, 20, 25})) << "broker " << id << "\n"
                                                                     << describe_partition(topic, 0);
        EXPECT_TRUE(sequences_contiguous(batches, nullptr)) << "broker " << id;
    }
}

// ---- 2b: followers keep the state; a restarted broker rebuilds it ----

TEST_F(idempotence_test, duplicates_are_recognised_by_a_new_leader_after_kill_9_and_by_a_restarted_broker) {
    const std::string topic = "idem-failover";
    start_cluster(3);
    auto created = create_replicated_topic(topic, 1, 3, {{"min.insync.replicas", "2"}});
    ASSERT_FALSE(HasFailure());
    const int first_leader = created.partition(topic, 0)->leader;

    std::int64_t pid = -1;
    const auto a = [&] { return idempotent_batch(pid, 0, 0, 10, "a"); };
    const auto b = [&] { return idempotent_batch(pid, 0, 10, 10, "b"); };
    {
        CONNECT_OR_FAIL(conn, by_id(first_leader).port());
        auto init = init_producer_id(conn, 1);
        ASSERT_TRUE(init.has_value()) << init.error().message();
        ASSERT_EQ(init.value().error_code, 0) << kafka_error_name(init.value().error_code);
        pid = init.value().producer_id;
        auto r = produce_batch(conn, topic, 0, a());
        ASSERT_TRUE(r.has_value()) << r.error().message();
        ASSERT_EQ(r.value().error_code, 0) << r.value().describe();
        ASSERT_EQ(r.value().base_offset, 0);
        r = produce_batch(conn, topic, 0, b());
        ASSERT_TRUE(r.has_value()) << r.error().message();
        ASSERT_EQ(r.value().error_code, 0) << r.value().describe();
        ASSERT_EQ(r.value().base_offset, 10);
    }

    // Checks, on whoever leads now, that a and b are duplicates at 0 and 10, that a gap is
    // refused, and that the next batch (sequence `next`) lands at offset `next`.
    auto check_leader = [&](const std::string& when, std::int32_t next) {
        auto v = wait_for(
            {topic},
            [&](const cluster_view& cv) {
                const auto* s = cv.partition(topic, 0);
                return s != nullptr && s->leader > 0 && by_id(s->leader).running();
            },
            failover_timeout, when + ": a live leader");
        const int leader = v.partition(topic, 0)->leader;
        auto c = connect_raw(by_id(leader).port());
        ASSERT_TRUE(c.has_value()) << when << ": connect to broker " << leader << ": " << c.error().message();
        auto& conn = c.value();
        // The new leader may still be taking over (NOT_LEADER_OR_FOLLOWER for a moment).
        client::result<produce_result> r = produce_result{};
        bool led = wait_until(
            [&] {
                r = produce_batch(conn, topic, 0, b());
                return r.has_value() && r.value().error_code !=
                                            static_cast<std::int16_t>(protocol::error_code::not_leader_or_follower);
            },
            20s);
        ASSERT_TRUE(led && r.has_value()) << when << ": broker " << leader << " never answered as leader";
        EXPECT_EQ(r.value().error_code, 0) << when << ", duplicate b on broker " << leader << ": " << r.value().describe();
        EXPECT_EQ(r.value().base_offset, 10) << when << ", duplicate b on broker " << leader << ": "
                                             << r.value().describe();
        r = produce_batch(conn, topic, 0, a());
        ASSERT_TRUE(r.has_value()) << r.error().message();
        EXPECT_EQ(r.value().error_code, 0) << when << ", duplicate a: " << r.value().describe();
        EXPECT_EQ(r.value().base_offset, 0) << when << ", duplicate a: " << r.value().describe();
        r = produce_batch(conn, topic, 0, idempotent_batch(pid, 0, next + 7, 1, "gap"));
        ASSERT_TRUE(r.has_value()) << r.error().message();
        EXPECT_EQ(r.value().error_code, static_cast<std::int16_t>(protocol::error_code::out_of_order_sequence_number))
            << when << ", gap: " << r.value().describe();
        r = produce_batch(conn, topic, 0, idempotent_batch(pid, 0, next, 5, "next"));
        ASSERT_TRUE(r.has_value()) << r.error().message();
        EXPECT_EQ(r.value().error_code, 0) << when << ", next batch: " << r.value().describe();
        EXPECT_EQ(r.value().base_offset, next) << when << ", next batch: " << r.value().describe();
        std::string err;
        EXPECT_EQ(list_latest(conn, topic, 0, &err), next + 5) << when << " " << err << "\n"
                                                               << describe_partition(topic, 0);
        std::cout << when << ": broker " << leader << " leads and knows producer " << pid << "\n";
    };

    // A follower takes over: it learnt the producer state from replication alone.
    by_id(first_leader).kill();
    wait_for(
        {topic},
        [&](const cluster_view& v) {
            const auto* s = v.partition(topic, 0);
            return s != nullptr && s->leader > 0 && s->leader != first_leader;
        },
        failover_timeout, "a new leader after kill -9 of broker " + std::to_string(first_leader));
    ASSERT_FALSE(HasFailure());
    ASSERT_NO_FATAL_FAILURE(check_leader("after kill -9 of the leader", 20));

    // The killed broker restarts (rebuilding the state from its log, then following the new
    // leader), catches up, and then leaders are killed and restarted until it leads again. It is
    // the preferred replica (first in the assignment), which the controller picks first among the
    // live ISR members, so one round normally does it.
    by_id(first_leader).start();
    wait_for_isr(topic, 0, {1, 2, 3}, -2, 60s);
    ASSERT_FALSE(HasFailure()) << describe_partition(topic, 0);
    for (int round = 0; round < 4; ++round) {
        auto v = view({topic});
        const int leader = v.partition(topic, 0)->leader;
        if (leader == first_leader) break;
        by_id(leader).kill();
        wait_for(
            {topic},
            [&](const cluster_view& cv) {
                const auto* s = cv.partition(topic, 0);
                return s != nullptr && s->leader > 0 && s->leader != leader;
            },
            failover_timeout, "a new leader after kill -9 of broker " + std::to_string(leader));
        ASSERT_FALSE(HasFailure());
        by_id(leader).start();
        wait_for_isr(topic, 0, {1, 2, 3}, -2, 60s);
        ASSERT_FALSE(HasFailure()) << describe_partition(topic, 0);
    }
    ASSERT_EQ(view({topic}).partition(topic, 0)->leader, first_leader) << describe_partition(topic, 0);
    ASSERT_NO_FATAL_FAILURE(check_leader("restarted broker leading", 25));
}

// ---- 3: producer ids are unique across brokers and restarts ----

TEST_F(idempotence_test, one_thousand_init_producer_id_calls_over_three_brokers_with_a_restart_get_unique_ids) {
    constexpr int calls = 1000;
    constexpr int threads_n = 4;
    // Tickets [0, 300) run before the kill, [300, 700) while the victim is down, [700, 850)
    // while it starts again (refused until its listener opens), [850, 1000) once it is up; each
    // thread pauses 10 ms between calls so calls are running throughout.
    constexpr int kill_at = 300;
    constexpr int restarting_at = 700;
    constexpr int restarted_at = 850;
    constexpr int victim = 2;

    start_cluster(3);
    ASSERT_FALSE(HasFailure());
    std::map<int, std::uint16_t> ports;
    for (int id = 1; id <= 3; ++id) ports[id] = by_id(id).port();

    struct grant {
        std::int64_t id;
        std::int16_t epoch;
        int broker;
        int ticket;
    };
    std::mutex mu;
    std::vector<grant> grants;
    std::vector<std::string> failures;  // calls no broker answered
    std::map<std::string, int> retry_reasons;

    std::atomic<int> next_ticket{0};
    std::atomic<int> done{0};
    // Set once 10 calls failed on every broker: the rest would fail the same way, slowly.
    std::atomic<bool> give_up{false};
    std::atomic<bool> killed{false};
    std::atomic<bool> restarting{false};
    std::atomic<bool> restarted{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < threads_n; ++t) {
        threads.emplace_back([&] {
            std::map<int, std::optional<client::connection>> conns;
            while (true) {
                int ticket = next_ticket.fetch_add(1);
                if (ticket >= calls || give_up.load()) return;
                auto deadline = std::chrono::steady_clock::now() + 120s;
                while ((ticket >= kill_at && !killed.load()) || (ticket >= restarting_at && !restarting.load()) ||
                       (ticket >= restarted_at && !restarted.load())) {
                    if (std::chrono::steady_clock::now() > deadline || give_up.load()) break;
                    std::this_thread::sleep_for(5ms);
                }
                bool ok = false;
                std::string last_error;
                // First choice by ticket, then the others; a few passes with a pause between.
                for (int attempt = 0; attempt < 30 && !ok; ++attempt) {
                    const int broker = (ticket + attempt) % 3 + 1;
                    if (attempt > 0 && attempt % 3 == 0) std::this_thread::sleep_for(200ms);
                    auto& c = conns[broker];
                    if (!c) {
                        auto fresh = connect_raw(ports.at(broker));
                        if (!fresh) {
                            last_error = "connect " + std::to_string(broker) + ": " + fresh.error().message();
                            std::lock_guard lock(mu);
                            ++retry_reasons["connect: " + fresh.error().message()];
                            continue;
                        }
                        c.emplace(std::move(fresh.value()));
                        c->set_timeout(10s);
                    }
                    auto r = init_producer_id(*c, static_cast<std::int16_t>(ticket % 2));
                    if (!r) {
                        last_error = "broker " + std::to_string(broker) + ": " + r.error().message();
                        c.reset();
                        std::lock_guard lock(mu);
                        ++retry_reasons["request: " + r.error().message()];
                        continue;
                    }
                    if (r.value().error_code != 0) {
                        last_error = "broker " + std::to_string(broker) + ": " + kafka_error_name(r.value().error_code);
                        std::lock_guard lock(mu);
                        ++retry_reasons["error code " + kafka_error_name(r.value().error_code)];
                        continue;
                    }
                    std::lock_guard lock(mu);
                    grants.push_back({r.value().producer_id, r.value().producer_epoch, broker, ticket});
                    ok = true;
                }
                if (!ok) {
                    std::lock_guard lock(mu);
                    failures.push_back("call " + std::to_string(ticket) + ": " + last_error);
                    if (failures.size() >= 10) give_up = true;
                }
                done.fetch_add(1);
                std::this_thread::sleep_for(10ms);
            }
        });
    }

    // The broker processes belong to this thread (PDEATHSIG), so the restart happens here.
    wait_until([&] { return done.load() >= kill_at || give_up.load(); }, 120s);
    by_id(victim).kill();
    killed = true;
    // Its registration must be gone (session expiry) before it can register again.
    wait_for({}, [&](const cluster_view& v) { return !v.has_broker(victim); }, failover_timeout,
             "broker " + std::to_string(victim) + "'s registration gone after kill -9");
    const int done_at_restart = done.load();
    restarting = true;
    try {
        by_id(victim).start();
    } catch (const std::exception& e) {
        ADD_FAILURE() << "restarting broker " << victim << ": " << e.what();
    }
    const int done_when_up = done.load();
    restarted = true;
    for (auto& t : threads) t.join();

    std::cout << grants.size() << " producer ids granted, " << failures.size() << " calls failed everywhere; "
              << done_at_restart << " calls done when broker " << victim << " was restarted, " << done_when_up
              << " when it was up again\n";
    for (const auto& [reason, n] : retry_reasons) std::cout << "  retried " << n << " x " << reason << "\n";
    for (std::size_t i = 0; i < failures.size() && i < 10; ++i) ADD_FAILURE() << failures[i];
    EXPECT_EQ(grants.size(), static_cast<std::size_t>(calls));
    EXPECT_GT(done_at_restart, kill_at) << "no call ran while broker " << victim << " was down";

    std::map<std::int64_t, const grant*> by_pid;
    std::map<int, std::pair<std::int64_t, std::int64_t>> range_by_broker;
    int after_restart_on_victim = 0;
    std::int64_t max_id = -1;
    for (const auto& g : grants) {
        EXPECT_GE(g.id, 0) << "call " << g.ticket << " on broker " << g.broker;
        EXPECT_EQ(g.epoch, 0) << "call " << g.ticket << " on broker " << g.broker << ", producer id " << g.id;
        auto [it, fresh] = by_pid.emplace(g.id, &g);
        if (!fresh) {
            ADD_FAILURE() << "producer id " << g.id << " granted twice: call " << it->second->ticket << " on broker "
                          << it->second->broker << " and call " << g.ticket << " on broker " << g.broker;
        }
        auto& range = range_by_broker.try_emplace(g.broker, g.id, g.id).first->second;
        range.first = std::min(range.first, g.id);
        range.second = std::max(range.second, g.id);
        if (g.broker == victim && g.ticket >= restarted_at) ++after_restart_on_victim;
        max_id = std::max(max_id, g.id);
    }
    EXPECT_EQ(by_pid.size(), grants.size()) << "producer ids are not unique";
    EXPECT_GT(after_restart_on_victim, 0) << "the restarted broker " << victim << " granted no producer id";
    for (const auto& [b, range] : range_by_broker) {
        std::cout << "  broker " << b << ": ids " << range.first << ".." << range.second << "\n";
    }

    // Every id comes from a block reserved in ZooKeeper (Kafka's /latest_producer_id_block:
    // {"version":1,"broker":b,"block_start":"s","block_end":"e"}, the numbers as strings or not).
    std::string block;
    try {
        block = reader().get(chroot() + "/latest_producer_id_block");
    } catch (const std::exception& e) {
        ADD_FAILURE() << "reading " << chroot() << "/latest_producer_id_block: " << e.what();
    }
    auto pos = block.find("\"block_end\"");
    ASSERT_NE(pos, std::string::npos) << "/latest_producer_id_block = " << block;
    pos = block.find_first_of("0123456789", pos + 11);
    ASSERT_NE(pos, std::string::npos) << "/latest_producer_id_block = " << block;
    const std::int64_t block_end = std::stoll(block.substr(pos));
    EXPECT_GE(block_end, max_id) << "an id above the last reserved block: " << block;
    std::cout << "/latest_producer_id_block = " << block << "\n";
}

// ---- 4: KafkaJS ----

/// The directory holding node_modules/kafkajs (2.2.4, from the committed package-lock.json),
/// installed with `npm ci` into the build tree the first time. Fails the test with the reason
/// when node or npm is missing or the registry cannot be reached; never skips.
std::string kafkajs_modules(std::string* error) {
    namespace fs = std::filesystem;
    const fs::path source = BROOK_KAFKAJS_DIR;
    const fs::path install = BROOK_KAFKAJS_INSTALL_DIR;
    if (!fs::exists("/usr/bin/node")) {
        *error = "/usr/bin/node not found: install Debian's nodejs (.ci/install-deps)";
        return {};
    }
    const fs::path installed = install / "node_modules" / "kafkajs" / "package.json";
    // An install left over from another package-lock.json (or half done) is redone.
    auto installed_lock = install / "package-lock.json";
    auto same_lock = fs::exists(installed_lock) &&
                     test_support::read_file(installed_lock.string()) ==
                         test_support::read_file((source / "package-lock.json").string());
    if (fs::exists(installed) && same_lock &&
        test_support::read_file(installed.string()).find("\"version\": \"2.2.4\"") != std::string::npos) {
        return (install / "node_modules").string();
    }
    if (!fs::exists("/usr/bin/npm")) {
        *error = "/usr/bin/npm not found: install Debian's npm (.ci/install-deps)";
        return {};
    }
    std::error_code ec;
    fs::create_directories(install, ec);
    for (const char* f : {"package.json", "package-lock.json"}) {
        fs::copy_file(source / f, install / f, fs::copy_options::overwrite_existing, ec);
        if (ec) {
            *error = "copying " + (source / f).string() + " to " + install.string() + ": " + ec.message();
            return {};
        }
    }
    auto r = test_support::run_command(
        {"/usr/bin/npm", "ci", "--prefix", install.string(), "--no-audit", "--no-fund", "--loglevel=error"}, 300s);
    if (r.exit_code() != 0 || !fs::exists(installed)) {
        *error = "npm ci of kafkajs 2.2.4 into " + install.string() +
                 " failed (is the npm registry reachable?): " + r.describe();
        return {};
    }
    return (install / "node_modules").string();
}

TEST_F(idempotence_test, kafkajs_idempotent_producer_round_trip) {
    const std::string topic = "idem-kafkajs";
    constexpr int partitions = 3;
    constexpr int count = 10000;

    std::string error;
    const std::string modules = kafkajs_modules(&error);
    ASSERT_FALSE(modules.empty()) << error;

    start_cluster(3);
    create_replicated_topic(topic, partitions, 3, {{"min.insync.replicas", "2"}});
    ASSERT_FALSE(HasFailure());

    const std::string script = std::string(BROOK_KAFKAJS_DIR) + "/idempotent_roundtrip.js";
    auto r = test_support::run_command({"/usr/bin/node", script, modules, live_bootstrap(), topic,
                                        std::to_string(count), std::to_string(partitions)},
                                       300s);
    ASSERT_EQ(r.exit_code(), 0) << r.describe();

    // "record <i> <partition> <offset>" per acknowledged record, "end <partition> <offset>" per
    // partition from admin.fetchTopicOffsets.
    std::map<int, std::pair<std::int32_t, std::int64_t>> acked;
    std::map<std::int32_t, std::int64_t> ends;
    std::istringstream out(r.out);
    std::string word;
    while (out >> word) {
        if (word == "record") {
            int i = 0;
            std::int32_t p = 0;
            std::int64_t off = 0;
            out >> i >> p >> off;
            EXPECT_TRUE(acked.emplace(i, std::make_pair(p, off)).second) << "record " << i << " reported twice";
        } else if (word == "end") {
            std::int32_t p = 0;
            std::int64_t off = 0;
            out >> p >> off;
            ends[p] = off;
        } else {
            std::string rest;
            std::getline(out, rest);
            ADD_FAILURE() << "unexpected output from " << script << ": " << word << rest;
        }
    }
    ASSERT_EQ(acked.size(), static_cast<std::size_t>(count)) << r.describe();
    ASSERT_EQ(ends.size(), static_cast<std::size_t>(partitions)) << r.describe();
    std::int64_t sum = 0;
    for (auto [p, end] : ends) sum += end;
    EXPECT_EQ(sum, count) << "high watermarks from KafkaJS admin.fetchTopicOffsets";

    std::map<std::int32_t, std::int64_t> start;
    for (int p = 0; p < partitions; ++p) start[p] = RD_KAFKA_OFFSET_BEGINNING;
    partition_reader reader(live_bootstrap(), topic, start);
    reader.read_until(static_cast<std::size_t>(count), 60s);
    reader.read_for(300ms);
    ASSERT_TRUE(reader.errors().empty()) << reader.errors().front();
    ASSERT_EQ(reader.records().size(), static_cast<std::size_t>(count));

    // KafkaJS sent record i ("k<i>" = "v<i>") to partition i % 3; each is in the log once, at the
    // offset KafkaJS was told, and in send order per partition.
    std::map<std::int32_t, std::int64_t> last_i;
    std::set<int> seen;
    std::vector<const record*> in_log;
    for (const auto& rec : reader.records()) in_log.push_back(&rec);
    std::sort(in_log.begin(), in_log.end(), [](const record* a, const record* b) {
        return std::tie(a->partition, a->offset) < std::tie(b->partition, b->offset);
    });
    std::size_t bad = 0;
    for (const record* rec : in_log) {
        int i = rec->value.size() > 1 && rec->value[0] == 'v' ? std::stoi(rec->value.substr(1)) : -1;
        auto it = acked.find(i);
        bool ok = i >= 0 && rec->key == "k" + std::to_string(i) && seen.insert(i).second && it != acked.end() &&
                  it->second == std::make_pair(rec->partition, rec->offset) && rec->partition == i % partitions &&
                  (last_i.count(rec->partition) == 0 ? i == rec->partition
                                                     : last_i[rec->partition] + partitions == i);
        if (!ok && ++bad <= 10) {
            ADD_FAILURE() << "read " << rec->key << " = " << rec->value << " at " << rec->partition << "@"
                          << rec->offset << (it != acked.end() ? ", acknowledged at " + std::to_string(it->second.first) +
                                                                     "@" + std::to_string(it->second.second)
                                                               : std::string(", never acknowledged"))
                          << (last_i.count(rec->partition) ? ", after v" + std::to_string(last_i[rec->partition])
                                                           : std::string());
        }
        last_i[rec->partition] = i;
    }
    EXPECT_EQ(bad, 0u);
    EXPECT_EQ(seen.size(), static_cast<std::size_t>(count));

    // KafkaJS really produced idempotently: batches carry its producer id with contiguous sequences.
    for (int p = 0; p < partitions; ++p) {
        const int leader = view({topic}).partition(topic, p)->leader;
        std::set<std::int64_t> ids;
        auto batches = read_disk_batches(by_id(leader).log_dir(), topic, p, &error);
        EXPECT_TRUE(error.empty()) << error;
        EXPECT_FALSE(batches.empty());
        EXPECT_TRUE(sequences_contiguous(batches, &ids)) << topic << "-" << p;
        EXPECT_EQ(ids.size(), 1u) << topic << "-" << p << ": one KafkaJS producer, one producer id";
    }
}

}  // namespace
}  // namespace integration
