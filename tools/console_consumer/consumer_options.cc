#include "tools/console_consumer/consumer_options.h"

#include <boost/program_options.hpp>

#include <charconv>
#include <limits>
#include <sstream>

namespace tools {

namespace po = boost::program_options;

namespace {

po::options_description make_description() {
    po::options_description d(
        "brook-console-consumer: prints the records of a topic, one per line.\nOptions");
    // clang-format off
    d.add_options()
        ("bootstrap-server", po::value<std::string>()->value_name("H:P[,H:P]"),
         "REQUIRED: the brokers to connect to")
        ("topic", po::value<std::string>()->value_name("T"), "REQUIRED: the topic to consume")
        ("group", po::value<std::string>()->value_name("G"),
         "Consume as a member of this consumer group (offsets committed every 5 s and at exit)")
        ("from-beginning", "Start at the earliest offset when there is no committed offset")
        ("partition", po::value<std::string>()->value_name("P"), "Only consume this partition")
        ("offset", po::value<std::string>()->value_name("earliest|latest|N"),
         "With --partition: where to start (default latest)")
        ("max-messages", po::value<std::string>()->value_name("N"), "Exit after N messages")
        ("timeout-ms", po::value<std::string>()->value_name("MS"),
         "Exit when no message arrived for this long")
        ("property", po::value<std::vector<std::string>>()->value_name("k=v")->composing(),
         "Formatter properties: print.key, print.value, print.partition, print.offset, "
         "print.timestamp, print.headers, key.separator, line.separator, headers.separator, null.literal")
        ("consumer-property", po::value<std::vector<std::string>>()->value_name("k=v")->composing(),
         "Consumer properties: group.id, client.id, auto.offset.reset, enable.auto.commit, "
         "auto.commit.interval.ms, session.timeout.ms, heartbeat.interval.ms, max.poll.interval.ms")
        ("skip-message-on-error", "Accepted for compatibility")
        ("help", "Print usage information.");
    // clang-format on
    return d;
}

std::optional<int64_t> parse_long(std::string_view t) {
    int64_t v = 0;
    auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (t.empty() || ec != std::errc{} || end != t.data() + t.size()) return std::nullopt;
    return v;
}

bool is_true(std::string_view v) { return v == "true" || v == "TRUE" || v == "True"; }

}  // namespace

std::string consumer_usage() {
    std::ostringstream out;
    out << "Usage: brook-console-consumer --bootstrap-server H:P[,H:P] --topic T [options]\n\n"
        << make_description();
    return out.str();
}

cli_result<consumer_command_line> parse_consumer_args(std::span<const char* const> args) {
    auto description = make_description();
    auto parsed = parse_command_line(args, description);
    if (!parsed) return parsed.error();
    const po::variables_map& vm = parsed.value();
    consumer_command_line cl;
    if (vm.count("help")) {
        cl.help = true;
        return cl;
    }
    auto& o = cl.options;
    if (!vm.count("bootstrap-server")) return make_cli_error("Error: --bootstrap-server must be specified");
    auto bootstrap = parse_bootstrap_servers(vm["bootstrap-server"].as<std::string>());
    if (!bootstrap) return bootstrap.error();
    o.bootstrap = std::move(bootstrap).value();
    if (!vm.count("topic") || vm["topic"].as<std::string>().empty()) {
        return make_cli_error("Error: --topic must be specified");
    }
    o.topic = vm["topic"].as<std::string>();
    o.from_beginning = vm.count("from-beginning") > 0;

    std::optional<std::string> reset;
    if (vm.count("consumer-property")) {
        for (const auto& text : vm["consumer-property"].as<std::vector<std::string>>()) {
            auto e = parse_config_entry(text);
            if (!e) return make_cli_error("Error: invalid --consumer-property '" + text + "': expected key=value");
            const auto& [k, v] = e.value();
            auto ms = [&](std::chrono::milliseconds& field) -> std::optional<cli_error> {
                auto n = parse_long(v);
                if (!n || *n <= 0) return make_cli_error("Error: " + k + " must be a positive integer");
                field = std::chrono::milliseconds(*n);
                return std::nullopt;
            };
            std::optional<cli_error> bad;
            if (k == "group.id") o.group = v;
            else if (k == "client.id") o.client_id = v;
            else if (k == "auto.offset.reset") reset = v;
            else if (k == "enable.auto.commit") o.auto_commit = is_true(v);
            else if (k == "auto.commit.interval.ms") bad = ms(o.auto_commit_interval);
            else if (k == "session.timeout.ms") bad = ms(o.session_timeout);
            else if (k == "heartbeat.interval.ms") bad = ms(o.heartbeat_interval);
            else if (k == "max.poll.interval.ms") bad = ms(o.rebalance_timeout);
            if (bad) return *bad;
        }
    }
    if (vm.count("group")) {
        if (o.group && *o.group != vm["group"].as<std::string>()) {
            return make_cli_error("Error: The group ids provided in different places (directly using "
                                  "'--group' and via a consumer property) do not match.");
        }
        o.group = vm["group"].as<std::string>();
    }
    if (o.group && o.group->empty()) return make_cli_error("Error: --group must not be empty");
    if (vm.count("partition")) {
        auto p = parse_long(vm["partition"].as<std::string>());
        if (!p || *p < 0 || *p > std::numeric_limits<int32_t>::max()) {
            return make_cli_error("Error: --partition must be a non-negative integer");
        }
        o.partition = static_cast<int32_t>(*p);
        if (o.group) return make_cli_error("Error: Options group and partition cannot be specified together.");
    }
    if (reset) {
        if (*reset == "earliest") o.start = start_offset::earliest;
        else if (*reset == "latest") o.start = start_offset::latest;
        else return make_cli_error("Error: auto.offset.reset must be earliest or latest");
        if (o.from_beginning && *reset != "earliest") {
            return make_cli_error("Error: Can't simultaneously specify --from-beginning and 'auto.offset.reset=" +
                                  *reset + "'");
        }
    }
    if (o.from_beginning) o.start = start_offset::earliest;
    if (vm.count("offset")) {
        if (!o.partition) return make_cli_error("Error: The partition is required when offset is specified.");
        if (o.from_beginning) {
            return make_cli_error("Error: Options from-beginning and offset cannot be specified together.");
        }
        const auto& v = vm["offset"].as<std::string>();
        if (v == "earliest") {
            o.start = start_offset::earliest;
        } else if (v == "latest") {
            o.start = start_offset::latest;
        } else if (auto n = parse_long(v); n && *n >= 0) {
            o.start = start_offset::explicit_offset;
            o.offset = *n;
        } else {
            return make_cli_error("Error: The provided offset value '" + v +
                                  "' is incorrect. Valid values are 'earliest', 'latest', or a non-negative long.");
        }
    }
    if (vm.count("max-messages")) {
        auto n = parse_long(vm["max-messages"].as<std::string>());
        if (!n || *n < 1) return make_cli_error("Error: --max-messages must be a positive integer");
        o.max_messages = *n;
    }
    if (vm.count("timeout-ms")) {
        auto n = parse_long(vm["timeout-ms"].as<std::string>());
        if (!n || *n < 0) return make_cli_error("Error: --timeout-ms must be a non-negative integer");
        o.timeout = std::chrono::milliseconds(*n);
    }
    if (vm.count("property")) {
        auto& f = o.format;
        for (const auto& text : vm["property"].as<std::vector<std::string>>()) {
            auto e = parse_config_entry(text);
            if (!e) return make_cli_error("Error: invalid --property '" + text + "': expected key=value");
            const auto& [k, v] = e.value();
            if (k == "print.key") f.print_key = is_true(v);
            else if (k == "print.value") f.print_value = is_true(v);
            else if (k == "print.partition") f.print_partition = is_true(v);
            else if (k == "print.offset") f.print_offset = is_true(v);
            else if (k == "print.timestamp") f.print_timestamp = is_true(v);
            else if (k == "print.headers") f.print_headers = is_true(v);
            else if (k == "key.separator") f.key_separator = v;
            else if (k == "line.separator") f.line_separator = v;
            else if (k == "headers.separator") f.headers_separator = v;
            else if (k == "null.literal") f.null_literal = v;
        }
    }
    return cl;
}

std::string format_record(const consumed_record& r, int32_t partition, const formatter_options& f) {
    std::string out;
    auto sep = [&](bool column) { out += column ? f.key_separator : f.line_separator; };
    if (f.print_timestamp) {
        out += (r.ts_type == protocol::records::timestamp_type::log_append_time ? "LogAppendTime:"
                                                                               : "CreateTime:") +
               std::to_string(r.timestamp);
        sep(f.print_partition || f.print_offset || f.print_headers || f.print_key || f.print_value);
    }
    if (f.print_partition) {
        out += "Partition:" + std::to_string(partition);
        sep(f.print_offset || f.print_headers || f.print_key || f.print_value);
    }
    if (f.print_offset) {
        out += "Offset:" + std::to_string(r.offset);
        sep(f.print_headers || f.print_key || f.print_value);
    }
    if (f.print_headers) {
        if (r.headers.empty()) {
            out += "NO_HEADERS";
        } else {
            for (size_t i = 0; i < r.headers.size(); ++i) {
                if (i) out += f.headers_separator;
                out += r.headers[i].first + ":" + r.headers[i].second.value_or(f.null_literal);
            }
        }
        sep(f.print_key || f.print_value);
    }
    if (f.print_key) {
        out += r.key.value_or(f.null_literal);
        sep(f.print_value);
    }
    if (f.print_value) {
        out += r.value.value_or(f.null_literal);
        out += f.line_separator;
    }
    return out;
}

}  // namespace tools
