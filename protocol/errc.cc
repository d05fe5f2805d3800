#include "protocol/errc.h"

#include <string>

namespace protocol {

namespace {
class category final : public std::error_category {
public:
    const char* name() const noexcept override { return "protocol"; }
    std::string message(int v) const override {
        switch (static_cast<errc>(v)) {
            case errc::malformed_message: return "malformed message";
            case errc::unsupported_version: return "unsupported version";
            case errc::trailing_bytes: return "trailing bytes after the message";
        }
        return "unknown protocol error " + std::to_string(v);
    }
};
}  // namespace

const std::error_category& error_category() {
    static const category c;
    return c;
}

}  // namespace protocol
