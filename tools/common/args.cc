#include "tools/common/args.h"

#include <charconv>
#include <limits>

namespace tools {

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

cli_result<endpoint> parse_endpoint(std::string_view item) {
    auto bad = [&](std::string_view why) {
        return make_cli_error("Error: invalid --bootstrap-server entry '" + std::string(item) +
                              "': " + std::string(why));
    };
    std::string_view host;
    std::string_view port_text;
    if (item.front() == '[') {  // [v6-address]:port
        auto close = item.find(']');
        if (close == std::string_view::npos || close + 1 >= item.size() || item[close + 1] != ':') {
            return bad("expected [host]:port");
        }
        host = item.substr(1, close - 1);
        port_text = item.substr(close + 2);
    } else {
        auto colon = item.rfind(':');
        if (colon == std::string_view::npos) return bad("expected host:port");
        host = item.substr(0, colon);
        port_text = item.substr(colon + 1);
        if (host.find(':') != std::string_view::npos) return bad("write IPv6 hosts as [host]:port");
    }
    if (host.empty()) return bad("empty host");
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535) {
        return bad("port must be a number in 1..65535");
    }
    return endpoint{std::string(host), static_cast<uint16_t>(port)};
}

}  // namespace

cli_result<std::vector<endpoint>> parse_bootstrap_servers(std::string_view text) {
    std::vector<endpoint> out;
    while (true) {
        auto comma = text.find(',');
        auto item = trim(text.substr(0, comma));
        if (!item.empty()) {
            auto ep = parse_endpoint(item);
            if (!ep) return ep.error();
            out.push_back(std::move(ep).value());
        }
        if (comma == std::string_view::npos) break;
        text.remove_prefix(comma + 1);
    }
    if (out.empty()) return make_cli_error("Error: --bootstrap-server must list at least one host:port");
    return out;
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

}  // namespace tools
