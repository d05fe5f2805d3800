#include "tools/consumer_groups/groups_options.h"

#include <boost/program_options.hpp>

#include <charconv>
#include <ctime>
#include <sstream>

namespace tools {

namespace po = boost::program_options;

namespace {

po::options_description make_description() {
    po::options_description d(
        "brook-consumer-groups: list, describe, delete consumer groups or reset their offsets.\n"
        "Options");
    // clang-format off
    d.add_options()
        ("bootstrap-server", po::value<std::string>()->value_name("H:P[,H:P]"),
         "REQUIRED: the brokers to connect to")
        ("list", "List all consumer groups.")
        ("describe", "Describe consumer groups and list offset lag (number of messages not yet "
         "processed).")
        ("delete", "Delete consumer groups (they must have no active members).")
        ("reset-offsets", "Reset offsets of inactive consumer groups: --dry-run (the default) "
         "prints the plan, --execute commits it.")
        ("group", po::value<std::vector<std::string>>()->value_name("G")->composing(),
         "The consumer group to act on (repeatable).")
        ("all-groups", "Apply to all consumer groups.")
        ("topic", po::value<std::vector<std::string>>()->value_name("T[:P,P]")->composing(),
         "With --reset-offsets: a topic, or some of its partitions as T:0,1,2 (repeatable).")
        ("all-topics", "With --reset-offsets: every topic partition the group has offsets for.")
        ("members", "With --describe: describe the members of the group.")
        ("state", "With --describe: describe the group state.")
        ("offsets", "With --describe: the offsets and lag of each partition (the default).")
        ("verbose", "With --describe --members: also print each member's assignment.")
        ("dry-run", "Only show the offsets --reset-offsets would commit (the default).")
        ("execute", "Commit the offsets --reset-offsets computed.")
        ("to-earliest", "Reset offsets to the earliest offset.")
        ("to-latest", "Reset offsets to the latest offset.")
        ("to-current", "Reset offsets to the current offset.")
        ("to-offset", po::value<std::string>()->value_name("N"), "Reset offsets to offset N.")
        ("to-datetime", po::value<std::string>()->value_name("YYYY-MM-DDTHH:mm:SS.sss"),
         "Reset offsets to the first offset at or after a time (zone Z, +hh:mm, or UTC when absent).")
        ("shift-by", po::value<std::string>()->value_name("N"),
         "Reset offsets shifting the current offset by N (negative or positive).")
        ("timeout", po::value<std::string>()->value_name("MS"), "Request timeout (default 5000).")
        ("command-config", po::value<std::string>()->value_name("FILE"),
         "Accepted for compatibility and ignored (no security protocols are supported).")
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

std::optional<int> digits(std::string_view s, size_t pos, size_t n) {
    if (pos + n > s.size()) return std::nullopt;
    int v = 0;
    for (size_t i = pos; i < pos + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return std::nullopt;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

}  // namespace

std::optional<int64_t> parse_datetime(std::string_view s) {
    // yyyy-MM-ddTHH:mm:ss.SSS = 23 characters, then the zone.
    if (s.size() < 23 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
        s[16] != ':' || s[19] != '.') {
        return std::nullopt;
    }
    auto y = digits(s, 0, 4), mo = digits(s, 5, 2), d = digits(s, 8, 2), h = digits(s, 11, 2),
         mi = digits(s, 14, 2), se = digits(s, 17, 2), ms = digits(s, 20, 3);
    if (!y || !mo || !d || !h || !mi || !se || !ms) return std::nullopt;
    // Non-lenient SimpleDateFormat: fields must be in range.
    static constexpr int days_in_month[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (*mo < 1 || *mo > 12 || *d < 1 || *d > days_in_month[*mo - 1] || *h > 23 || *mi > 59 || *se > 59) {
        return std::nullopt;
    }
    bool leap = (*y % 4 == 0 && *y % 100 != 0) || *y % 400 == 0;
    if (*mo == 2 && *d == 29 && !leap) return std::nullopt;
    auto zone = s.substr(23);
    int offset_minutes = 0;
    if (zone.empty() || zone == "Z") {
        offset_minutes = 0;
    } else if (zone[0] == '+' || zone[0] == '-') {
        auto zh = digits(zone, 1, 2);
        std::optional<int> zm = 0;
        if (zone.size() == 6 && zone[3] == ':') zm = digits(zone, 4, 2);
        else if (zone.size() == 5) zm = digits(zone, 3, 2);
        else if (zone.size() != 3) return std::nullopt;
        if (!zh || !zm || *zh > 23 || *zm > 59) return std::nullopt;
        offset_minutes = (*zh * 60 + *zm) * (zone[0] == '-' ? -1 : 1);
    } else {
        return std::nullopt;
    }
    std::tm tm{};
    tm.tm_year = *y - 1900;
    tm.tm_mon = *mo - 1;
    tm.tm_mday = *d;
    tm.tm_hour = *h;
    tm.tm_min = *mi;
    tm.tm_sec = *se;
    int64_t seconds = static_cast<int64_t>(::timegm(&tm)) - int64_t{offset_minutes} * 60;
    return seconds * 1000 + *ms;
}

cli_result<topic_scope> parse_topic_scope(std::string_view text) {
    topic_scope out;
    auto colon = text.find(':');
    out.topic = std::string(text.substr(0, colon));
    if (out.topic.empty()) return make_cli_error("Error: invalid --topic '" + std::string(text) + "'");
    if (colon == std::string_view::npos) return out;
    auto rest = text.substr(colon + 1);
    while (true) {
        auto comma = rest.find(',');
        auto part = rest.substr(0, comma);
        auto p = parse_long(part);
        if (!p || *p < 0 || *p > std::numeric_limits<int32_t>::max()) {
            return make_cli_error("Error: invalid partition '" + std::string(part) + "' in --topic '" +
                                  std::string(text) + "'");
        }
        out.partitions.push_back(static_cast<int32_t>(*p));
        if (comma == std::string_view::npos) break;
        rest = rest.substr(comma + 1);
    }
    return out;
}

std::string groups_usage() {
    std::ostringstream out;
    out << "Usage: brook-consumer-groups --bootstrap-server H:P[,H:P] (--list | --describe | "
           "--delete | --reset-offsets) [--group G | --all-groups] [options]\n\n"
        << make_description();
    return out.str();
}

cli_result<groups_command_line> parse_groups_args(std::span<const char* const> args) {
    auto description = make_description();
    auto parsed = parse_command_line(args, description);
    if (!parsed) return parsed.error();
    const po::variables_map& vm = parsed.value();
    groups_command_line cl;
    if (vm.count("help")) {
        cl.help = true;
        return cl;
    }
    auto& o = cl.options;
    int actions = 0;
    for (auto [flag, action] : {std::pair{"list", groups_action::list},
                                std::pair{"describe", groups_action::describe},
                                std::pair{"delete", groups_action::remove},
                                std::pair{"reset-offsets", groups_action::reset_offsets}}) {
        if (vm.count(flag)) {
            ++actions;
            o.action = action;
        }
    }
    if (actions != 1) {
        return make_cli_error(
            "Error: Command must include exactly one action: --list, --describe, --delete, "
            "--reset-offsets");
    }
    if (!vm.count("bootstrap-server")) {
        return make_cli_error("Error: --bootstrap-server must be specified");
    }
    auto bootstrap = parse_bootstrap_servers(vm["bootstrap-server"].as<std::string>());
    if (!bootstrap) return bootstrap.error();
    o.bootstrap = std::move(bootstrap).value();

    if (vm.count("group")) o.groups = vm["group"].as<std::vector<std::string>>();
    for (const auto& g : o.groups) {
        if (g.empty()) return make_cli_error("Error: --group must not be empty");
    }
    o.all_groups = vm.count("all-groups") > 0;
    o.all_topics = vm.count("all-topics") > 0;
    o.verbose = vm.count("verbose") > 0;
    o.execute = vm.count("execute") > 0;

    auto needs = [&](const char* flag, groups_action a, const char* action) -> std::optional<cli_error> {
        if (vm.count(flag) && o.action != a) {
            return make_cli_error(std::string("Error: Option [") + flag + "] can only be used with [" +
                                  action + "]");
        }
        return std::nullopt;
    };
    for (auto check : {needs("members", groups_action::describe, "describe"),
                       needs("state", groups_action::describe, "describe"),
                       needs("offsets", groups_action::describe, "describe"),
                       needs("verbose", groups_action::describe, "describe"),
                       needs("topic", groups_action::reset_offsets, "reset-offsets"),
                       needs("all-topics", groups_action::reset_offsets, "reset-offsets"),
                       needs("dry-run", groups_action::reset_offsets, "reset-offsets"),
                       needs("execute", groups_action::reset_offsets, "reset-offsets"),
                       needs("to-earliest", groups_action::reset_offsets, "reset-offsets"),
                       needs("to-latest", groups_action::reset_offsets, "reset-offsets"),
                       needs("to-current", groups_action::reset_offsets, "reset-offsets"),
                       needs("to-offset", groups_action::reset_offsets, "reset-offsets"),
                       needs("to-datetime", groups_action::reset_offsets, "reset-offsets"),
                       needs("shift-by", groups_action::reset_offsets, "reset-offsets")}) {
        if (check) return *check;
    }
    if (o.action == groups_action::list && (o.all_groups || !o.groups.empty())) {
        return make_cli_error("Error: Option [list] does not take [group] or [all-groups]");
    }
    if (o.action != groups_action::list) {
        if (o.groups.empty() && !o.all_groups) {
            return make_cli_error("Error: Option [" +
                                  std::string(o.action == groups_action::describe ? "describe"
                                              : o.action == groups_action::remove ? "delete"
                                                                                   : "reset-offsets") +
                                  "] takes one of these options: [all-groups], [group]");
        }
        if (!o.groups.empty() && o.all_groups) {
            return make_cli_error("Error: Option [group] can't be used with [all-groups]");
        }
    }
    if (o.action == groups_action::describe) {
        int views = static_cast<int>(vm.count("members") + vm.count("state") + vm.count("offsets"));
        if (views > 1) {
            return make_cli_error("Error: Option [members], [offsets] and [state] are mutually exclusive");
        }
        if (vm.count("members")) o.view = describe_view::members;
        if (vm.count("state")) o.view = describe_view::state;
    }
    if (o.action == groups_action::reset_offsets) {
        if (vm.count("dry-run") && o.execute) {
            return make_cli_error("Error: Option [dry-run] can't be used with [execute]");
        }
        int scenarios = 0;
        for (auto [flag, s] : {std::pair{"to-earliest", reset_scenario::to_earliest},
                               std::pair{"to-latest", reset_scenario::to_latest},
                               std::pair{"to-current", reset_scenario::to_current},
                               std::pair{"to-offset", reset_scenario::to_offset},
                               std::pair{"to-datetime", reset_scenario::to_datetime},
                               std::pair{"shift-by", reset_scenario::shift_by}}) {
            if (vm.count(flag)) {
                ++scenarios;
                o.scenario = s;
            }
        }
        if (scenarios != 1) {
            return make_cli_error(
                "Error: Option [reset-offsets] takes exactly one of these options: [to-earliest], "
                "[to-latest], [to-current], [to-offset], [to-datetime], [shift-by]");
        }
        if (o.scenario == reset_scenario::to_offset || o.scenario == reset_scenario::shift_by) {
            const char* flag = o.scenario == reset_scenario::to_offset ? "to-offset" : "shift-by";
            auto v = parse_long(vm[flag].as<std::string>());
            if (!v || (o.scenario == reset_scenario::to_offset && *v < 0)) {
                return make_cli_error(std::string("Error: --") + flag + " must be " +
                                      (o.scenario == reset_scenario::to_offset ? "a non-negative integer"
                                                                               : "an integer"));
            }
            o.scenario_value = *v;
        }
        if (o.scenario == reset_scenario::to_datetime) {
            const auto& text = vm["to-datetime"].as<std::string>();
            auto ts = parse_datetime(text);
            if (!ts) {
                return make_cli_error("Error: --to-datetime '" + text +
                                      "' is not of the form YYYY-MM-DDTHH:mm:SS.sss[Z|+hh:mm]");
            }
            o.scenario_value = *ts;
        }
        if (vm.count("topic")) {
            for (const auto& t : vm["topic"].as<std::vector<std::string>>()) {
                auto scope = parse_topic_scope(t);
                if (!scope) return scope.error();
                o.topics.push_back(std::move(scope).value());
            }
        }
        if (o.topics.empty() == !o.all_topics) {
            return make_cli_error(o.all_topics
                                      ? "Error: Option [all-topics] can't be used with [topic]"
                                      : "Error: One of the reset scopes should be defined: --all-topics, --topic.");
        }
    }
    if (vm.count("timeout")) {
        auto n = parse_positive_int(vm["timeout"].as<std::string>(), "--timeout",
                                    std::numeric_limits<int32_t>::max());
        if (!n) return n.error();
        o.timeout_ms = n.value();
    }
    return cl;
}

}  // namespace tools
