// brook-dump-log: print segments, indexes, producer snapshots and checkpoint files of a log dir
// (Kafka's kafka-dump-log.sh / DumpLogSegments flags and output). Reads files only.
#include "tools/dump_log/dump_log.h"
#include "tools/dump_log/dump_log_options.h"

#include <iostream>
#include <span>

int main(int argc, char** argv) {
    auto cl = tools::parse_dump_log_args(std::span<const char* const>(argv, static_cast<size_t>(argc)));
    if (!cl) {
        std::cerr << cl.error().message << '\n';
        return cl.error().exit_code;
    }
    if (cl.value().help) {
        std::cout << tools::dump_log_usage();
        return 0;
    }
    return tools::run_dump_log(cl.value().options, std::cout, std::cerr);
}
