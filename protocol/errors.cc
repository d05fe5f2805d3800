#include "protocol/errors.h"

namespace protocol {

std::string_view error_name(error_code ec) {
    switch (ec) {
#define BROOK_X(value, name, upper) \
    case error_code::name:          \
        return upper;
        BROOK_PROTOCOL_ERROR_CODES(BROOK_X)
#undef BROOK_X
    }
    return "UNKNOWN_ERROR_CODE";
}

}  // namespace protocol
