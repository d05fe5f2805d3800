#include "tools/configs/configs_options.h"

#include <boost/program_options.hpp>

#include <sstream>

namespace tools {

namespace po = boost::program_options;

namespace {

po::options_description make_description() {
    po::options_description d(
        "brook-configs: describe and change topic configs (and describe broker configs).\n"
        "Options");
    // clang-format off
    d.add_options()
        ("bootstrap-server", po::value<std::string>()->value_name("H:P[,H:P]"),
         "REQUIRED: the brokers to connect to")
        ("entity-type", po::value<std::string>()->value_name("topics|brokers"),
         "Type of entity: topics or brokers.")
        ("entity-name", po::value<std::string>()->value_name("NAME"),
         "Name of the entity: the topic, or the broker id.")
        ("entity-default", "With --entity-type brokers: the cluster-wide default.")
        ("topic", po::value<std::string>()->value_name("T"), "Same as --entity-type topics --entity-name T.")
        ("broker", po::value<std::string>()->value_name("ID"), "Same as --entity-type brokers --entity-name ID.")
        ("describe", "List configs for the given entity.")
        ("all", "With --describe: list all configs (with their sources), not only the overrides.")
        ("alter", "Alter the configuration of the entity.")
        ("add-config", po::value<std::string>()->value_name("k1=v1,k2=[v1,v2]"),
         "Configs to add or change; values with commas go in square brackets.")
        ("delete-config", po::value<std::string>()->value_name("k1,k2"), "Configs to remove (back to their defaults).")
        ("command-config", po::value<std::string>()->value_name("FILE"),
         "Accepted for compatibility and ignored (no security protocols are supported).")
        ("help", "Print usage information.");
    // clang-format on
    return d;
}

std::string trimmed(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return std::string(s);
}

}  // namespace

std::string configs_usage() {
    std::ostringstream out;
    out << make_description();
    return out.str();
}

cli_result<std::vector<config_entry>> parse_add_config(std::string_view text) {
    std::vector<config_entry> out;
    std::vector<std::string> pieces;
    std::string current;
    int depth = 0;
    for (char ch : text) {
        if (ch == '[') ++depth;
        if (ch == ']' && depth > 0) --depth;
        if (ch == ',' && depth == 0) {
            pieces.push_back(current);
            current.clear();
            continue;
        }
        current += ch;
    }
    pieces.push_back(current);
    for (const auto& piece : pieces) {
        auto eq = piece.find('=');
        std::string key = trimmed(std::string_view(piece).substr(0, eq));
        if (eq == std::string::npos || key.empty() || piece.find('=', eq + 1) != std::string::npos) {
            return make_cli_error(
                "Error: Invalid entity config: all configs to be added must be in the format \"key=val\", got '" +
                piece + "'");
        }
        std::string value;
        for (char ch : piece.substr(eq + 1)) {
            if (ch != '[' && ch != ']') value += ch;
        }
        out.push_back({key, trimmed(value)});
    }
    return out;
}

cli_result<configs_command_line> parse_configs_args(std::span<const char* const> args) {
    auto parsed = parse_command_line(args, make_description());
    if (!parsed) return parsed.error();
    const auto& vm = parsed.value();
    configs_command_line cl;
    if (vm.count("help")) {
        cl.help = true;
        return cl;
    }
    auto& o = cl.options;
    for (size_t i = 1; i < args.size(); ++i) o.args_text += (i > 1 ? " " : "") + std::string(args[i]);

    if (!vm.count("bootstrap-server")) return make_cli_error("Error: --bootstrap-server must be specified");
    auto servers = parse_bootstrap_servers(vm["bootstrap-server"].as<std::string>());
    if (!servers) return servers.error();
    o.bootstrap = std::move(servers).value();

    const int actions = static_cast<int>(vm.count("describe") + vm.count("alter"));
    if (actions != 1) return make_cli_error("Error: Command must include exactly one action: --describe, --alter");
    o.describe = vm.count("describe") > 0;

    std::optional<std::string> type;
    if (vm.count("entity-type")) type = vm["entity-type"].as<std::string>();
    if (vm.count("entity-name")) o.entity_name = vm["entity-name"].as<std::string>();
    for (const char* shorthand : {"topic", "broker"}) {
        if (!vm.count(shorthand)) continue;
        const std::string implied = std::string(shorthand) + "s";
        if ((type && *type != implied) || (vm.count("topic") && vm.count("broker")) || o.entity_name) {
            return make_cli_error("Error: --" + std::string(shorthand) +
                                  " cannot be combined with --entity-type, --entity-name or another entity");
        }
        type = implied;
        o.entity_name = vm[shorthand].as<std::string>();
    }
    if (!type) return make_cli_error("Error: --entity-type (or --topic / --broker) must be specified");
    if (*type == "topics") {
        o.entity = configs_entity::topics;
    } else if (*type == "brokers") {
        o.entity = configs_entity::brokers;
    } else if (*type == "users" || *type == "clients" || *type == "broker-loggers" || *type == "ips") {
        return make_cli_error("Error: entity type " + *type + " is not supported by Brook (topics and brokers are)");
    } else {
        return make_cli_error("Error: Invalid entity type " + *type + ", the entity type must be one of topics, brokers");
    }
    o.entity_default = vm.count("entity-default") > 0;
    if (o.entity_default && o.entity != configs_entity::brokers) {
        return make_cli_error("Error: --entity-default is only valid with --entity-type brokers");
    }
    if (o.entity_default && o.entity_name) {
        return make_cli_error("Error: --entity-name and --entity-default cannot both be given");
    }
    if (o.entity_name && o.entity == configs_entity::brokers) {
        const std::string& n = *o.entity_name;
        if (n.empty() || n.find_first_not_of("0123456789") != std::string::npos) {
            return make_cli_error("Error: The entity name for brokers must be a valid integer broker id, but it is: " + n);
        }
    }
    if (o.entity_name && o.entity_name->empty()) return make_cli_error("Error: --entity-name must not be empty");

    o.all = vm.count("all") > 0;
    if (o.all && !o.describe) return make_cli_error("Error: --all is only valid with --describe");
    if (o.describe && (vm.count("add-config") || vm.count("delete-config"))) {
        return make_cli_error("Error: --add-config and --delete-config are only valid with --alter");
    }
    if (!o.describe) {
        if (!vm.count("add-config") && !vm.count("delete-config")) {
            return make_cli_error("Error: --add-config or --delete-config must be specified with --alter");
        }
        if (!o.entity_name && !o.entity_default) {
            return make_cli_error("Error: an entity name must be specified with --alter of " + *type);
        }
        if (vm.count("add-config")) {
            auto add = parse_add_config(vm["add-config"].as<std::string>());
            if (!add) return add.error();
            o.add = std::move(add).value();
        }
        if (vm.count("delete-config")) {
            std::string_view rest = vm["delete-config"].as<std::string>();
            while (true) {
                auto comma = rest.find(',');
                std::string key = trimmed(rest.substr(0, comma));
                if (!key.empty()) o.remove.push_back(key);
                if (comma == std::string_view::npos) break;
                rest.remove_prefix(comma + 1);
            }
            if (o.remove.empty()) return make_cli_error("Error: --delete-config needs at least one config name");
        }
        for (const auto& a : o.add) {
            for (const auto& r : o.remove) {
                if (a.name == r) {
                    return make_cli_error("Error: Invalid entity config: " + r +
                                          " is in both --add-config and --delete-config");
                }
            }
        }
    }
    return cl;
}

}  // namespace tools
