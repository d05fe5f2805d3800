#include "tools/common/args.h"

#include "protocol/client/client.h"

#include <charconv>
#include <limits>

namespace tools {

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

}  // namespace

cli_result<std::vector<endpoint>> parse_bootstrap_servers(std::string_view text) {
    std::string why;
    auto parsed = protocol::client::parse_bootstrap(text, &why);
    if (!parsed) return make_cli_error("Error: invalid --bootstrap-server '" + std::string(text) + "': " + why);
    return std::move(parsed).value();
}

cli_result<int64_t> parse_positive_int(std::string_view text, std::string_view flag, int64_t max) {
    auto t = trim(text);
    int64_t value = 0;
    auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
    if (t.empty() || ec != std::errc{} || end != t.data() + t.size() || value < 1 || value > max) {
        return make_cli_error("Error: " + std::string(flag) + " must be a positive integer" +
                              (max < std::numeric_limits<int32_t>::max()
                                   ? " (at most " + std::to_string(max) + ")"
                                   : std::string()));
    }
    return value;
}

cli_result<config_entry> parse_config_entry(std::string_view text) {
    auto eq = text.find('=');
    if (eq == std::string_view::npos || trim(text.substr(0, eq)).empty()) {
        return make_cli_error("Error: invalid --config '" + std::string(text) +
                              "': expected key=value");
    }
    return config_entry{std::string(trim(text.substr(0, eq))), std::string(text.substr(eq + 1))};
}

cli_result<boost::program_options::variables_map> parse_command_line(
    std::span<const char* const> args, const boost::program_options::options_description& description) {
    namespace po = boost::program_options;
    po::variables_map vm;
    try {
        po::store(po::command_line_parser(static_cast<int>(args.size()), args.data()).options(description).run(), vm);
        po::notify(vm);
    } catch (const po::error& e) {
        return make_cli_error(std::string("Error: ") + e.what());
    }
    return vm;
}

}  // namespace tools
