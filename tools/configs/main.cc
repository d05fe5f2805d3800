// brook-configs: describe and alter topic configs, describe broker configs (kafka-configs.sh
// flags and output).
#include "tools/configs/configs_command.h"
#include "tools/configs/configs_options.h"
#include "tools/configs/kafka_configs_admin.h"

#include <iostream>
#include <span>

int main(int argc, char** argv) {
    auto cl = tools::parse_configs_args(std::span<const char* const>(argv, static_cast<size_t>(argc)));
    if (!cl) {
        std::cerr << cl.error().message << '\n';
        return cl.error().exit_code;
    }
    if (cl.value().help) {
        std::cout << tools::configs_usage();
        return 0;
    }
    tools::kafka_configs_admin admin(cl.value().options.bootstrap, std::chrono::milliseconds(30000));
    int rc = tools::run_configs_command(cl.value().options, admin, std::cout, std::cerr);
    std::cout.flush();
    return rc;
}
