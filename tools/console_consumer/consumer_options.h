#pragma once

#include "tools/common/args.h"
#include "tools/common/cli_result.h"
#include "tools/common/record_decoder.h"

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace tools {

/// Where a consumer without committed offset (or a --partition reader) starts.
enum class start_offset { earliest, latest, explicit_offset };

/// DefaultMessageFormatter properties (--property).
struct formatter_options {
    bool print_key = false;
    bool print_value = true;
    bool print_partition = false;
    bool print_offset = false;
    bool print_timestamp = false;
    bool print_headers = false;
    std::string key_separator = "\t";
    std::string line_separator = "\n";
    std::string headers_separator = ",";
    std::string null_literal = "null";
};

/// brook-console-consumer's validated command line (Kafka 2.8's kafka-console-consumer.sh).
struct consumer_options {
    std::vector<endpoint> bootstrap;
    std::string topic;
    std::optional<std::string> group;
    std::optional<int32_t> partition;
    start_offset start = start_offset::latest;  ///< also auto.offset.reset for a group
    int64_t offset = 0;                         ///< with start_offset::explicit_offset
    bool from_beginning = false;
    std::optional<int64_t> max_messages;
    std::optional<std::chrono::milliseconds> timeout;  ///< --timeout-ms
    formatter_options format;
    std::string client_id = "console-consumer";
    std::chrono::milliseconds session_timeout{10'000};
    std::chrono::milliseconds rebalance_timeout{300'000};  ///< max.poll.interval.ms
    std::chrono::milliseconds heartbeat_interval{3'000};
    bool auto_commit = true;
    std::chrono::milliseconds auto_commit_interval{5'000};
};

struct consumer_command_line {
    bool help = false;
    consumer_options options;
};

std::string consumer_usage();
cli_result<consumer_command_line> parse_consumer_args(std::span<const char* const> args);

/// DefaultMessageFormatter.writeTo for one record of `partition`: optional
/// "CreateTime:ts" / "Partition:p" / "Offset:o" / headers / key columns joined by key.separator,
/// then the value and line.separator; null keys and values print as "null".
std::string format_record(const consumed_record& r, int32_t partition, const formatter_options& f);

}  // namespace tools
