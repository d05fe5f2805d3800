#pragma once

#include "tools/topics/topics_admin.h"
#include "tools/topics/topics_options.h"

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

namespace tools {

/// Runs one brook-topics action against `admin`, writing results to `out` and error lines to
/// `err`. Returns the process exit code: 0 on success, 1 on any failure.
int run_topics_command(const topics_options& options, topics_admin& admin, std::ostream& out,
                       std::ostream& err);

/// Kafka's description of an error code (the default exception message in Errors.java), or an
/// empty view for codes brook-topics has no text for.
std::string_view kafka_error_description(int16_t code);

/// The text after "Error while executing topic command : " for a failed topic operation:
/// the broker's message if it sent one, else Kafka's default description; followed by the error
/// name in parentheses. TOPIC_ALREADY_EXISTS reads exactly as kafka-topics prints it.
std::string topic_error_text(const std::string& topic, int16_t code,
                             const std::optional<std::string>& message);

}  // namespace tools
