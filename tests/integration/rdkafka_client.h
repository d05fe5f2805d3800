#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace integration {

/// One record as a librdkafka client saw it.
struct record {
    std::string key;
    std::string value;
    std::int32_t partition = -1;
    std::int64_t offset = -1;
};

struct produce_outcome {
    /// delivered[i] = record i with the partition/offset from its delivery report
    /// (offset -1 if no report came back).
    std::vector<record> delivered;
    /// Delivery errors and client errors, as text ("msg 17: Broker: Not leader for partition").
    std::vector<std::string> errors;
    std::size_t reports = 0;
};

/// Produces `records` (key/value; partition -1 = partitioner decides) with the librdkafka C API,
/// waits for every delivery report (rd_kafka_flush up to `timeout`). `conf` entries override
/// the defaults (bootstrap.servers, linger.ms=5). Blocking, one producer per call.
produce_outcome produce(const std::string& bootstrap, const std::string& topic,
                        const std::vector<record>& records,
                        const std::map<std::string, std::string>& conf = {},
                        std::chrono::milliseconds timeout = std::chrono::seconds(120));

/// Produces one keyed record ("k<i>"/"v<i>", partitioner decides) every `interval` until `stop`
/// is set, then flushes for up to `flush_timeout`. For a producer that keeps running while the
/// cluster changes under it; delivery errors it reports are errors librdkafka did not (or could
/// no longer) retry. Call from its own thread; `stop` is set by another.
produce_outcome produce_until(const std::string& bootstrap, const std::string& topic,
                              const std::atomic<bool>& stop, std::chrono::milliseconds interval,
                              const std::map<std::string, std::string>& conf = {},
                              std::chrono::milliseconds flush_timeout = std::chrono::seconds(60));

struct consume_outcome {
    std::vector<record> records;
    std::vector<std::string> errors;
};

/// Consumes without a group (librdkafka's per-partition consume_start_queue) from `start`
/// (partition -> offset, or RD_KAFKA_OFFSET_BEGINNING = -2) until `expected` records arrived, then keeps polling for
/// `linger` to catch extra records; stops early after `idle_timeout` without a new record.
consume_outcome consume(const std::string& bootstrap, const std::string& topic,
                        const std::map<std::int32_t, std::int64_t>& start, std::size_t expected,
                        std::chrono::milliseconds idle_timeout = std::chrono::seconds(30),
                        std::chrono::milliseconds linger = std::chrono::milliseconds(300),
                        const std::map<std::string, std::string>& conf = {});

/// Same, through the high-level consumer: rd_kafka_assign() with explicit start offsets (no group
/// join, no commits) and rd_kafka_consumer_poll().
consume_outcome consume_assigned(const std::string& bootstrap, const std::string& topic,
                                 const std::map<std::int32_t, std::int64_t>& start, std::size_t expected,
                                 std::chrono::milliseconds idle_timeout = std::chrono::seconds(30),
                                 std::chrono::milliseconds linger = std::chrono::milliseconds(300));

/// Partition count of `topic` from a Metadata request (-1 on error, error text in `error`).
int partition_count(const std::string& bootstrap, const std::string& topic, std::string* error);

/// A metadata round trip for all topics; empty string on success, otherwise the error.
std::string metadata_probe(const std::string& bootstrap,
                           std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace integration
