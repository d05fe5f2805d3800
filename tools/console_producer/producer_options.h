#pragma once

#include "tools/common/args.h"
#include "tools/common/cli_result.h"

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace tools {

/// brook-console-producer's validated command line (flags of Kafka 2.8's
/// kafka-console-producer.sh). Plain value, produced once on the main thread.
struct producer_options {
    std::vector<endpoint> bootstrap;
    std::string topic;
    /// LineMessageReader properties (--property): parse.key, key.separator, ignore.error.
    bool parse_key = false;
    std::string key_separator = "\t";
    bool ignore_error = false;
    /// -1 (all), 0 or 1: --request-required-acks wins over --producer-property acks, which wins
    /// over the console producer's default -1 (CommandLineUtils.maybeMergeOptions).
    int16_t acks = -1;
    /// Records per batch and partition before the batch is sent (--batch-size, default 200).
    int32_t batch_size = 200;
    /// A batch is also sent when it reaches this many bytes (producer batch.size is 16384 in
    /// Java; we cap the whole batch instead, at the broker's default message.max.bytes / 1.5).
    int32_t max_batch_bytes = 700'000;
    /// Buffered lines are sent after this long without a full batch (--timeout, linger.ms).
    std::chrono::milliseconds linger{1000};
    /// Produce timeout (--request-timeout-ms, the console producer's default 1500).
    std::chrono::milliseconds request_timeout{1500};
    /// How long to wait for the topic's metadata (--max-block-ms, default 60000).
    std::chrono::milliseconds max_block{60'000};
    /// Retries of a batch after a retriable error (--message-send-max-retries, default 3).
    int32_t retries = 3;
    std::chrono::milliseconds retry_backoff{100};  ///< --retry-backoff-ms
};

struct producer_command_line {
    bool help = false;
    producer_options options;
};

std::string producer_usage();

/// Parses and validates argv (args[0] is the program name); no socket is opened for a rejected
/// command line. Unknown --property / --producer-property keys are accepted and ignored, as
/// Kafka's tools pass them on to a producer that only warns about them.
cli_result<producer_command_line> parse_producer_args(std::span<const char* const> args);

/// Parses an acks value as the Java producer does: "all" or "-1", "0", "1".
std::optional<int16_t> parse_acks(std::string_view text);

}  // namespace tools
