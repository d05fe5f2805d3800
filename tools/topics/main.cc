// brook-topics: create, delete, describe and list topics (kafka-topics.sh flags and output).
#include "tools/topics/kafka_topics_admin.h"
#include "tools/topics/topics_command.h"
#include "tools/topics/topics_options.h"

#include <iostream>
#include <span>

int main(int argc, char** argv) {
    auto cl = tools::parse_topics_args(std::span<const char* const>(argv, static_cast<size_t>(argc)));
    if (!cl) {
        std::cerr << cl.error().message << '\n';
        return cl.error().exit_code;
    }
    if (cl.value().help) {
        std::cout << tools::topics_usage();
        return 0;
    }
    tools::kafka_topics_admin admin(cl.value().options.bootstrap);
    int rc = tools::run_topics_command(cl.value().options, admin, std::cout, std::cerr);
    std::cout.flush();
    return rc;
}
