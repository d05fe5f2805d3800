#pragma once

#include "protocol/client/client.h"
#include "tools/common/cli_result.h"

#include <boost/program_options.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tools {

/// One `host:port` of a `--bootstrap-server` list (the protocol client's own type).
using endpoint = protocol::client::bootstrap;

/// One `--config key=value` entry.
struct config_entry {
    std::string name;
    std::string value;

    friend bool operator==(const config_entry&, const config_entry&) = default;
};

/// Parses "h:p[,h:p...]" as Kafka tools accept it (protocol::client::parse_bootstrap); IPv6 hosts
/// are written "[::1]:9092". Blank entries are skipped; an empty list, a missing or bad port is
/// an "Error: ..." line with exit code 1.
cli_result<std::vector<endpoint>> parse_bootstrap_servers(std::string_view text);

/// Parses a decimal integer in [1, max]; anything else gives "Error: <flag> must be a positive
/// integer" (the flag is spelled with its dashes, e.g. "--partitions").
cli_result<int64_t> parse_positive_int(std::string_view text, std::string_view flag, int64_t max);

/// Parses a tool's command line against its options (Boost.Program_options); a parse error is
/// "Error: <what Boost says>" with exit code 1.
cli_result<boost::program_options::variables_map> parse_command_line(
    std::span<const char* const> args, const boost::program_options::options_description& description);

/// Parses "key=value" (the value may itself contain '='; the key may not be empty).
cli_result<config_entry> parse_config_entry(std::string_view text);

}  // namespace tools
