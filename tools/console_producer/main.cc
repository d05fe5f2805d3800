// brook-console-producer: lines from stdin to a topic (kafka-console-producer.sh flags and behaviour).
#include "tools/console_producer/console_producer.h"
#include "tools/console_producer/kafka_produce_transport.h"
#include "tools/console_producer/producer_options.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <iostream>
#include <random>
#include <span>
#include <string>

namespace {

int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Reads stdin in chunks; while records are buffered, waits at most `linger` for more input so an
// interactive user's lines leave within linger.ms, as with the Java producer.
int run(const tools::producer_options& o, tools::console_producer& producer) {
    auto fail = [](const tools::cli_error& e) {
        std::cerr << e.message << '\n';
        return e.exit_code;
    };
    if (auto r = producer.prepare(); !r) return fail(r.error());
    std::string buffer;
    int64_t line_number = 0;
    auto deadline = std::chrono::steady_clock::time_point::max();
    char chunk[65536];
    bool eof = false;
    while (!eof) {
        int timeout = -1;
        if (producer.has_pending()) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            timeout = static_cast<int>(std::max<int64_t>(0, left.count()));
        }
        pollfd fd{STDIN_FILENO, POLLIN, 0};
        int ready = ::poll(&fd, 1, timeout);
        if (ready < 0 && errno == EINTR) continue;
        if (ready == 0) {
            if (auto r = producer.flush(); !r) return fail(r.error());
            continue;
        }
        ssize_t n = ::read(STDIN_FILENO, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            eof = true;
        } else {
            buffer.append(chunk, static_cast<size_t>(n));
        }
        size_t start = 0;
        while (true) {
            auto nl = buffer.find('\n', start);
            if (nl == std::string::npos) break;
            std::string_view line(buffer.data() + start, nl - start);
            start = nl + 1;
            bool was_empty = !producer.has_pending();
            auto rec = tools::parse_line(line, ++line_number, o);
            if (!rec) {
                (void)producer.flush();  // what was read before the bad line still goes out
                return fail(rec.error());
            }
            if (auto r = producer.send(rec.value(), now_ms()); !r) return fail(r.error());
            if (was_empty && producer.has_pending()) deadline = std::chrono::steady_clock::now() + o.linger;
        }
        buffer.erase(0, start);
        if (eof && !buffer.empty()) {  // last line without '\n'
            auto rec = tools::parse_line(buffer, ++line_number, o);
            if (!rec) {
                (void)producer.flush();
                return fail(rec.error());
            }
            if (auto r = producer.send(rec.value(), now_ms()); !r) return fail(r.error());
        }
    }
    if (auto r = producer.flush(); !r) return fail(r.error());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    auto cl = tools::parse_producer_args(std::span<const char* const>(argv, static_cast<size_t>(argc)));
    if (!cl) {
        std::cerr << cl.error().message << '\n';
        return cl.error().exit_code;
    }
    if (cl.value().help) {
        std::cout << tools::producer_usage();
        return 0;
    }
    const auto& o = cl.value().options;
    tools::kafka_produce_transport transport(o.bootstrap);
    std::random_device rd;
    tools::console_producer producer(o, transport, static_cast<int32_t>(rd() % 1024));
    return run(o, producer);
}
