#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tools {

/// Kafka's default message for an error code (Errors.java, Kafka 2.8) for the codes producers,
/// consumers and group commands meet; empty for others.
std::string_view kafka_error_message(int16_t code);

/// "<message> (<NAME>)", e.g. "The group is not empty. (NON_EMPTY_GROUP)"; codes without a
/// known message read "error code N (<NAME>)".
std::string kafka_error_text(int16_t code);

/// The Java exception class Kafka's admin client raises for a code
/// ("org.apache.kafka.common.errors.GroupNotEmptyException"), for texts that quote it; empty
/// when unknown.
std::string_view kafka_exception_class(int16_t code);

}  // namespace tools
