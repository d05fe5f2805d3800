#include "protocol/tagged_fields.h"

#include <fmt/format.h>

namespace protocol::wire {

void read_unknown_tags(reader& r, tagged_fields& out) {
    uint32_t count = r.read_uvarint();
    if (count > r.remaining()) throw decode_error(fmt::format("tagged field count {} too large", count));
    int64_t last = -1;
    for (uint32_t i = 0; i < count; ++i) {
        uint32_t tag = r.read_uvarint();
        if (static_cast<int64_t>(tag) <= last) throw decode_error("tagged fields out of order");
        last = tag;
        uint32_t size = r.read_uvarint();
        auto raw = r.read_raw(size);
        out[tag] = std::vector<uint8_t>(raw.begin(), raw.end());
    }
}

void write_unknown_tags(writer& w, const tagged_fields& tags) {
    w.write_uvarint(static_cast<uint32_t>(tags.size()));
    for (const auto& [tag, value] : tags) {
        w.write_uvarint(tag);
        w.write_uvarint(static_cast<uint32_t>(value.size()));
        w.write_raw(value);
    }
}

}  // namespace protocol::wire
