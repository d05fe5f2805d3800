#pragma once

#include "protocol/records/record_batch_builder.h"
#include "tools/console_producer/produce_transport.h"
#include "tools/console_producer/producer_options.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace tools {

/// One line turned into a record (LineMessageReader): key absent unless parse.key.
struct line_record {
    std::optional<std::string> key;
    std::string value;

    friend bool operator==(const line_record&, const line_record&) = default;
};

/// Kafka's LineMessageReader for one line (without its '\n'; a trailing '\r' is kept, as Java's
/// BufferedReader.readLine would not). With parse.key the key is the text before the first
/// key.separator and the value the rest; a line without separator is an error
/// ("No key found on line N: <line>") unless ignore.error, which sends it whole as an unkeyed value.
cli_result<line_record> parse_line(std::string_view line, int64_t line_number,
                                   const producer_options& options);

/// Partition choice of the console producer: keyed records exactly as the Java client's
/// DefaultPartitioner (toPositive(murmur2(key)) % partition count, all partitions counted);
/// unkeyed records are sticky per batch: they go to one partition until its batch is sent,
/// then to the next partition id (round robin over the partitions that have a leader, the
/// deterministic cousin of Kafka 2.4+'s StickyPartitionCache).
class partition_chooser {
public:
    explicit partition_chooser(int32_t first_sticky = 0) : sticky_(first_sticky) {}

    int32_t choose(const std::optional<std::string>& key, const topic_layout& layout);
    /// The sticky partition's batch was sent: move on.
    void batch_sent(int32_t partition, const topic_layout& layout);

private:
    int32_t sticky_;
};

/// Batches records per partition and sends them to the partition leaders: a batch goes out when
/// it holds options.batch_size records or options.max_batch_bytes bytes (together with every
/// other pending batch for the same leader, in one Produce request), or on flush(). Retriable
/// answers (NOT_LEADER_OR_FOLLOWER, LEADER_NOT_AVAILABLE, REQUEST_TIMED_OUT, NOT_ENOUGH_REPLICAS*,
/// or a lost connection) re-read Metadata and resend to the new leader, at most options.retries
/// times per batch. Any other failure is returned as a cli_error and stops the producer.
/// Owns its buffers; the transport must outlive it. One thread.
class console_producer {
public:
    console_producer(const producer_options& options, produce_transport& transport,
                     int32_t first_sticky = 0);

    /// Reads the topic's metadata (retrying until options.max_block for a topic without leaders
    /// yet, e.g. one just auto-created). Called by the first send; callable early to fail fast.
    cli_result<void> prepare();
    /// Adds one record (timestamp: CreateTime in ms) and sends any batch that became full.
    cli_result<void> send(const line_record& record, int64_t timestamp_ms);
    /// Sends every pending batch and waits for the acknowledgements.
    cli_result<void> flush();
    bool has_pending() const { return !pending_.empty(); }

    int64_t records_acknowledged() const { return acknowledged_; }
    int64_t requests_sent() const { return requests_; }
    const topic_layout& layout() const { return layout_; }

private:
    struct pending_batch {
        protocol::records::record_batch_builder builder;
        size_t bytes = 0;
    };
    cli_result<void> refresh_metadata();
    int32_t leader_of(int32_t partition) const;
    /// Sends the pending batches of `partitions` grouped by leader, with retries.
    cli_result<void> send_partitions(std::vector<int32_t> partitions);

    const producer_options& options_;
    produce_transport& transport_;
    partition_chooser chooser_;
    topic_layout layout_;
    bool prepared_ = false;
    std::map<int32_t, pending_batch> pending_;
    int64_t acknowledged_ = 0;
    int64_t requests_ = 0;
};

}  // namespace tools
