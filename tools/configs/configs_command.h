#pragma once

#include "tools/configs/configs_admin.h"
#include "tools/configs/configs_options.h"

#include <iosfwd>
#include <string>

namespace tools {

/// Kafka's ConfigEntry.ConfigSource name for a DescribeConfigs source number.
std::string_view config_source_name(int8_t source);

/// One describe line as kafka-configs 2.8 prints it:
/// "  name=value sensitive=false synonyms={SOURCE:name=value, ...}".
std::string format_config_line(const config_item& item);

/// Runs one --describe or --alter; results to `out`, errors to `err` ("Error while executing
/// config command with args '...'" and the Java exception line Kafka prints). Returns the exit code.
int run_configs_command(const configs_options& options, configs_admin& admin, std::ostream& out, std::ostream& err);

}  // namespace tools
