#include "tools/topics/topics_options.h"

#include <boost/program_options.hpp>

#include <limits>
#include <sstream>

namespace tools {

namespace po = boost::program_options;

namespace {

po::options_description make_description() {
    po::options_description d(
        "brook-topics: create, alter, delete, describe or list topics.\nOptions");
    // clang-format off
    d.add_options()
        ("bootstrap-server", po::value<std::string>()->value_name("H:P[,H:P]"),
         "REQUIRED: the brokers to connect to")
        ("alter", "Alter the number of partitions of a topic (or of all topics matching a regular "
         "expression); only increases are allowed.")
        ("create", "Create a new topic.")
        ("delete", "Delete a topic (or all topics matching a regular expression).")
        ("describe", "List details for the given topics (all topics without --topic).")
        ("list", "List all available topics.")
        ("topic", po::value<std::string>()->value_name("T"),
         "The topic to create, alter, describe or delete. Except with --create it may be a regular "
         "expression; ',' separates alternatives.")
        ("partitions", po::value<std::string>()->value_name("N"),
         "The number of partitions for the topic being created (default: the broker's "
         "num.partitions) or altered (required with --alter; must be larger than the current "
         "count).")
        ("replication-factor", po::value<std::string>()->value_name("R"),
         "The replication factor for each partition of the topic being created (default: the "
         "broker's default.replication.factor).")
        ("config", po::value<std::vector<std::string>>()->value_name("k=v")->composing(),
         "A topic configuration override for the topic being created (repeatable).")
        ("if-exists", "With --alter, --delete or --describe: only act if the topic exists.")
        ("if-not-exists", "With --create: only create the topic if it does not already exist.")
        ("exclude-internal", "With --list or --describe: leave out internal topics (names starting "
         "with '__').")
        ("under-replicated-partitions", "With --describe: only show partitions whose in-sync "
         "replica set is smaller than their replica set.")
        ("unavailable-partitions", "With --describe: only show partitions without a leader, or "
         "whose leader is not a live broker.")
        ("help", "Print usage information.");
    // clang-format on
    return d;
}

const char* action_flag(topics_action a) {
    switch (a) {
        case topics_action::create: return "--create";
        case topics_action::list: return "--list";
        case topics_action::describe: return "--describe";
        case topics_action::alter: return "--alter";
        case topics_action::remove: return "--delete";
    }
    return "?";
}

}  // namespace

std::string topics_usage() {
    std::ostringstream out;
    out << "Usage: brook-topics --bootstrap-server H:P[,H:P] (--create | --alter | --delete | "
           "--describe | --list) [--topic T] [options]\n\n"
        << make_description();
    return out.str();
}

cli_result<topics_command_line> parse_topics_args(std::span<const char* const> args) {
    auto description = make_description();
    auto parsed = parse_command_line(args, description);
    if (!parsed) return parsed.error();
    const po::variables_map& vm = parsed.value();

    topics_command_line cl;
    if (vm.count("help")) {
        cl.help = true;
        return cl;
    }

    auto& o = cl.options;
    int actions = 0;
    for (auto [flag, action] : {std::pair{"create", topics_action::create},
                                std::pair{"list", topics_action::list},
                                std::pair{"describe", topics_action::describe},
                                std::pair{"alter", topics_action::alter},
                                std::pair{"delete", topics_action::remove}}) {
        if (vm.count(flag)) {
            ++actions;
            o.action = action;
        }
    }
    if (actions != 1) {
        return make_cli_error(
            "Error: exactly one of --create, --list, --describe, --alter, --delete must be given");
    }
    if (!vm.count("bootstrap-server")) {
        return make_cli_error("Error: --bootstrap-server must be specified");
    }
    auto bootstrap = parse_bootstrap_servers(vm["bootstrap-server"].as<std::string>());
    if (!bootstrap) return bootstrap.error();
    o.bootstrap = std::move(bootstrap).value();

    if (vm.count("topic")) {
        o.topic = vm["topic"].as<std::string>();
        if (o.topic->empty()) return make_cli_error("Error: --topic must not be empty");
    }
    o.if_exists = vm.count("if-exists") > 0;
    o.if_not_exists = vm.count("if-not-exists") > 0;
    o.exclude_internal = vm.count("exclude-internal") > 0;
    o.under_replicated_partitions = vm.count("under-replicated-partitions") > 0;
    o.unavailable_partitions = vm.count("unavailable-partitions") > 0;

    // Which flag goes with which action: the same table kafka-topics checks (TopicCommand
    // checkArgs), for the flags brook-topics has. --alter takes no --config (kafka-topics refuses
    // it with --bootstrap-server too: topic configs are kafka-configs' job).
    auto only_with = [&](const char* flag, std::initializer_list<topics_action> allowed)
        -> std::optional<cli_error> {
        if (!vm.count(flag)) return std::nullopt;
        for (auto a : allowed) {
            if (a == o.action) return std::nullopt;
        }
        return make_cli_error(std::string("Error: --") + flag + " can't be used with " +
                              action_flag(o.action));
    };
    for (auto& check : {only_with("partitions", {topics_action::create, topics_action::alter}),
                        only_with("replication-factor", {topics_action::create}),
                        only_with("config", {topics_action::create}),
                        only_with("if-not-exists", {topics_action::create}),
                        only_with("if-exists", {topics_action::alter, topics_action::remove,
                                                topics_action::describe}),
                        only_with("exclude-internal",
                                  {topics_action::list, topics_action::describe}),
                        only_with("under-replicated-partitions", {topics_action::describe}),
                        only_with("unavailable-partitions", {topics_action::describe})}) {
        if (check) return *check;
    }
    if (o.under_replicated_partitions && o.unavailable_partitions) {
        return make_cli_error(
            "Error: --under-replicated-partitions and --unavailable-partitions can't be used "
            "together");
    }
    if ((o.action == topics_action::create || o.action == topics_action::alter ||
         o.action == topics_action::remove) &&
        !o.topic) {
        return make_cli_error(std::string("Error: --topic is required with ") +
                              action_flag(o.action));
    }
    if (o.action == topics_action::alter && !vm.count("partitions")) {
        return make_cli_error("Error: --partitions is required with --alter");
    }

    if (vm.count("partitions")) {
        auto n = parse_positive_int(vm["partitions"].as<std::string>(), "--partitions",
                                    std::numeric_limits<int32_t>::max());
        if (!n) return n.error();
        o.partitions = static_cast<int32_t>(n.value());
    }
    if (vm.count("replication-factor")) {
        auto r = parse_positive_int(vm["replication-factor"].as<std::string>(),
                                    "--replication-factor", std::numeric_limits<int16_t>::max());
        if (!r) return r.error();
        o.replication_factor = static_cast<int16_t>(r.value());
    }
    if (vm.count("config")) {
        for (auto& text : vm["config"].as<std::vector<std::string>>()) {
            auto entry = parse_config_entry(text);
            if (!entry) return entry.error();
            o.configs.push_back(std::move(entry).value());
        }
    }
    return cl;
}

}  // namespace tools
