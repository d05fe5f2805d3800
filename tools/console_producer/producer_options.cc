#include "tools/console_producer/producer_options.h"

#include <boost/program_options.hpp>

#include <limits>
#include <sstream>

namespace tools {

namespace po = boost::program_options;

namespace {

po::options_description make_description() {
    po::options_description d(
        "brook-console-producer: reads lines from standard input and produces them to a topic.\n"
        "Options");
    // clang-format off
    d.add_options()
        ("bootstrap-server", po::value<std::string>()->value_name("H:P[,H:P]"),
         "REQUIRED: the brokers to connect to")
        ("broker-list", po::value<std::string>()->value_name("H:P[,H:P]"),
         "DEPRECATED, use --bootstrap-server instead")
        ("topic", po::value<std::string>()->value_name("T"), "REQUIRED: the topic to produce to")
        ("property", po::value<std::vector<std::string>>()->value_name("k=v")->composing(),
         "Line reader properties: parse.key=true|false, key.separator=S (default TAB), "
         "ignore.error=true|false")
        ("producer-property", po::value<std::vector<std::string>>()->value_name("k=v")->composing(),
         "Producer properties; acks, linger.ms, request.timeout.ms, max.block.ms, retries, "
         "retry.backoff.ms and compression.type are honoured")
        ("request-required-acks", po::value<std::string>()->value_name("N"),
         "The acks of the produce requests: -1 (all), 0 or 1 (default -1)")
        ("batch-size", po::value<std::string>()->value_name("N"),
         "Number of lines per partition sent in one batch (default 200)")
        ("timeout", po::value<std::string>()->value_name("MS"),
         "Time lines wait for a batch to fill before it is sent (linger.ms, default 1000)")
        ("request-timeout-ms", po::value<std::string>()->value_name("MS"),
         "How long the leader may take to acknowledge (default 1500)")
        ("max-block-ms", po::value<std::string>()->value_name("MS"),
         "How long to wait for the topic's metadata (default 60000)")
        ("message-send-max-retries", po::value<std::string>()->value_name("N"),
         "Retries of a batch after a retriable error such as a leader change (default 3)")
        ("retry-backoff-ms", po::value<std::string>()->value_name("MS"),
         "Wait before re-reading metadata and retrying (default 100)")
        ("compression-codec", po::value<std::string>()->value_name("none")->implicit_value("gzip"),
         "Compression codec; only 'none' is supported")
        ("sync", "Accepted for compatibility: every batch is acknowledged before the next one is sent")
        ("help", "Print usage information.");
    // clang-format on
    return d;
}

cli_result<int64_t> parse_non_negative(const std::string& text, std::string_view flag) {
    if (text == "0") return int64_t{0};
    return parse_positive_int(text, flag, std::numeric_limits<int32_t>::max());
}

bool parse_bool(std::string_view v) { return v == "true" || v == "TRUE" || v == "True"; }

}  // namespace

std::optional<int16_t> parse_acks(std::string_view text) {
    if (text == "all" || text == "-1") return int16_t{-1};
    if (text == "0") return int16_t{0};
    if (text == "1") return int16_t{1};
    return std::nullopt;
}

std::string producer_usage() {
    std::ostringstream out;
    out << "Usage: brook-console-producer --bootstrap-server H:P[,H:P] --topic T [options] < lines\n\n"
        << make_description();
    return out.str();
}

cli_result<producer_command_line> parse_producer_args(std::span<const char* const> args) {
    auto description = make_description();
    auto parsed = parse_command_line(args, description);
    if (!parsed) return parsed.error();
    const po::variables_map& vm = parsed.value();
    producer_command_line cl;
    if (vm.count("help")) {
        cl.help = true;
        return cl;
    }
    auto& o = cl.options;
    std::string servers;
    if (vm.count("bootstrap-server")) {
        servers = vm["bootstrap-server"].as<std::string>();
    } else if (vm.count("broker-list")) {
        servers = vm["broker-list"].as<std::string>();
    } else {
        return make_cli_error("Error: --bootstrap-server must be specified");
    }
    auto bootstrap = parse_bootstrap_servers(servers);
    if (!bootstrap) return bootstrap.error();
    o.bootstrap = std::move(bootstrap).value();
    if (!vm.count("topic") || vm["topic"].as<std::string>().empty()) {
        return make_cli_error("Error: --topic must be specified");
    }
    o.topic = vm["topic"].as<std::string>();

    if (vm.count("property")) {
        for (const auto& text : vm["property"].as<std::vector<std::string>>()) {
            auto e = parse_config_entry(text);
            if (!e) return make_cli_error("Error: invalid --property '" + text + "': expected key=value");
            const auto& [k, v] = e.value();
            if (k == "parse.key") o.parse_key = parse_bool(v);
            else if (k == "key.separator") o.key_separator = v;
            else if (k == "ignore.error") o.ignore_error = parse_bool(v);
        }
        if (o.key_separator.empty()) return make_cli_error("Error: key.separator must not be empty");
    }

    // Producer properties first, then the dedicated flags (which win when given).
    std::optional<std::string> codec;
    auto set_ms = [](std::chrono::milliseconds& field, const std::string& text,
                     std::string_view name) -> std::optional<cli_error> {
        auto n = parse_non_negative(text, name);
        if (!n) return n.error();
        field = std::chrono::milliseconds(n.value());
        return std::nullopt;
    };
    if (vm.count("producer-property")) {
        for (const auto& text : vm["producer-property"].as<std::vector<std::string>>()) {
            auto e = parse_config_entry(text);
            if (!e) {
                return make_cli_error("Error: invalid --producer-property '" + text +
                                      "': expected key=value");
            }
            const auto& [k, v] = e.value();
            std::optional<cli_error> bad;
            if (k == "acks") {
                auto a = parse_acks(v);
                if (!a) return make_cli_error("Error: invalid acks '" + v + "': expected all, -1, 0 or 1");
                o.acks = *a;
            } else if (k == "linger.ms") {
                bad = set_ms(o.linger, v, "linger.ms");
            } else if (k == "request.timeout.ms") {
                bad = set_ms(o.request_timeout, v, "request.timeout.ms");
            } else if (k == "max.block.ms") {
                bad = set_ms(o.max_block, v, "max.block.ms");
            } else if (k == "retry.backoff.ms") {
                bad = set_ms(o.retry_backoff, v, "retry.backoff.ms");
            } else if (k == "retries") {
                auto n = parse_non_negative(v, "retries");
                if (!n) return n.error();
                o.retries = static_cast<int32_t>(n.value());
            } else if (k == "compression.type") {
                codec = v;
            }
            if (bad) return *bad;
        }
    }
    if (vm.count("request-required-acks")) {
        auto a = parse_acks(vm["request-required-acks"].as<std::string>());
        if (!a) {
            return make_cli_error("Error: --request-required-acks must be -1, 0, 1 or all");
        }
        o.acks = *a;
    }
    if (vm.count("batch-size")) {
        auto n = parse_positive_int(vm["batch-size"].as<std::string>(), "--batch-size",
                                    std::numeric_limits<int32_t>::max());
        if (!n) return n.error();
        o.batch_size = static_cast<int32_t>(n.value());
    }
    for (auto [flag, field] : {std::pair{"timeout", &o.linger},
                               std::pair{"request-timeout-ms", &o.request_timeout},
                               std::pair{"max-block-ms", &o.max_block},
                               std::pair{"retry-backoff-ms", &o.retry_backoff}}) {
        if (!vm.count(flag)) continue;
        if (auto bad = set_ms(*field, vm[flag].as<std::string>(), std::string("--") + flag)) return *bad;
    }
    if (vm.count("message-send-max-retries")) {
        auto n = parse_non_negative(vm["message-send-max-retries"].as<std::string>(),
                                    "--message-send-max-retries");
        if (!n) return n.error();
        o.retries = static_cast<int32_t>(n.value());
    }
    if (vm.count("compression-codec")) codec = vm["compression-codec"].as<std::string>();
    if (codec && *codec != "none") {
        return make_cli_error("Error: compression codec '" + *codec +
                              "' is not supported by brook-console-producer (only none)");
    }
    return cl;
}

}  // namespace tools
