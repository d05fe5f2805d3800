// brook-console-consumer: prints a topic's records (kafka-console-consumer.sh flags and output).
#include "tools/console_consumer/consumer_options.h"
#include "tools/console_consumer/kafka_console_consumer.h"

#include <csignal>
#include <atomic>
#include <iostream>
#include <span>

namespace {
std::atomic<bool> stop_requested{false};
extern "C" void on_signal(int) { stop_requested = true; }
}  // namespace

int main(int argc, char** argv) {
    auto cl = tools::parse_consumer_args(std::span<const char* const>(argv, static_cast<size_t>(argc)));
    if (!cl) {
        std::cerr << cl.error().message << '\n';
        return cl.error().exit_code;
    }
    if (cl.value().help) {
        std::cout << tools::consumer_usage();
        return 0;
    }
    struct sigaction sa {};
    sa.sa_handler = on_signal;  // no SA_RESTART: a blocked read returns and the loop sees the flag
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
    tools::kafka_console_consumer consumer(cl.value().options, stop_requested);
    int rc = consumer.run(std::cout, std::cerr);
    std::cout.flush();
    std::cerr << "Processed a total of " << consumer.processed() << " messages\n";
    return rc;
}
