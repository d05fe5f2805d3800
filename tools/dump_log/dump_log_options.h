#pragma once

#include "tools/common/cli_result.h"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace tools {

/// brook-dump-log's validated command line (Kafka 2.8's kafka-dump-log.sh flags). Plain value,
/// produced once on the main thread.
struct dump_log_options {
    std::vector<std::string> files;  ///< --files F1,F2 then positional FILEs, in order given
    bool print_data_log = false;     ///< record keys and payloads (implies deep_iteration)
    bool deep_iteration = false;     ///< one line per record under each batch line
    bool index_sanity_check = false; ///< .index/.timeindex: only the structural check
    bool verify_index_only = false;  ///< .index/.timeindex: check entries, print only mismatches
    /// .log: read at most this many bytes from the start of each file (whole batches only).
    int64_t max_bytes = INT32_MAX;
};

struct dump_log_command_line {
    bool help = false;
    dump_log_options options;
};

std::string dump_log_usage();

/// Parses argv (args[0] is the program name). No file at all is
/// `Error: Missing required argument "[files]"` (Kafka's text), exit code 1.
cli_result<dump_log_command_line> parse_dump_log_args(std::span<const char* const> args);

}  // namespace tools
