// brook-consumer-groups: list, describe, delete consumer groups and reset their offsets
// (kafka-consumer-groups.sh flags and output).
#include "tools/consumer_groups/groups_command.h"
#include "tools/consumer_groups/groups_options.h"
#include "tools/consumer_groups/kafka_groups_admin.h"

#include <iostream>
#include <span>

int main(int argc, char** argv) {
    auto cl = tools::parse_groups_args(std::span<const char* const>(argv, static_cast<size_t>(argc)));
    if (!cl) {
        std::cerr << cl.error().message << '\n';
        return cl.error().exit_code;
    }
    if (cl.value().help) {
        std::cout << tools::groups_usage();
        return 0;
    }
    const auto& o = cl.value().options;
    tools::kafka_groups_admin admin(o.bootstrap, std::chrono::milliseconds(o.timeout_ms));
    int rc = tools::run_groups_command(o, admin, std::cout, std::cerr);
    std::cout.flush();
    return rc;
}
