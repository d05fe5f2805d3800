#pragma once
// brook-delete-records (kafka-delete-records.sh): the offset JSON file, the command line and the
// output, kept apart from the network so tools_test checks them without a broker.

#include "tools/common/args.h"
#include "tools/common/cli_result.h"

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tools {

using delete_records_partition = std::pair<std::string, int32_t>;  // (topic, partition)

/// Kafka's offset JSON (`{"partitions": [{"topic": "t", "partition": 0, "offset": 40}],
/// "version": 1}`; "version" defaults to 1, "offset" -1 means the high watermark) as
/// partition -> offset. Kafka's messages, prefixed "Error: ": "The input string is not a valid
/// JSON", "Not supported version field value N", "Missing partitions field", a field missing or of
/// the wrong type, "Offset json file contains duplicate topic partitions: t-0,...".
cli_result<std::map<delete_records_partition, int64_t>> parse_offset_json(std::string_view text);

struct delete_records_outcome {
    int16_t error_code = 0;
    int64_t low_watermark = -1;
};

/// Kafka's output: "Executing records delete operation", "Records delete operation completed:",
/// then per partition "partition: <t>-<p>\tlow_watermark: <n>" or
/// "partition: <t>-<p>\terror: <exception class>: <message>", in (topic, partition) order.
std::string format_delete_records_result(const std::map<delete_records_partition, delete_records_outcome>& results);

struct delete_records_command_line {
    bool help = false;
    std::vector<endpoint> bootstrap;
    std::string offset_json_file;
};
/// --bootstrap-server and --offset-json-file are required (Kafka's "Missing required argument"
/// wording), --help prints the usage.
cli_result<delete_records_command_line> parse_delete_records_args(std::span<const char* const> args);
std::string delete_records_usage();

}  // namespace tools
