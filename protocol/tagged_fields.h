#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "protocol/wire/reader.h"
#include "protocol/wire/writer.h"

namespace protocol {

/// Tagged fields of a flexible-version struct that the generated decoder did not know, by tag,
/// with their raw value bytes. Kept so a message re-encodes byte for byte (round trip).
/// Section layout: uvarint count, then per field: uvarint tag, uvarint size, size bytes;
/// tags strictly ascending.
using tagged_fields = std::map<uint32_t, std::vector<uint8_t>>;

namespace wire {
/// Reads a whole tagged-field section into `out` (used where no field is known, e.g. headers).
void read_unknown_tags(reader& r, tagged_fields& out);
/// Writes a section made only of `tags` (used where no field is known).
void write_unknown_tags(writer& w, const tagged_fields& tags);
}  // namespace wire

}  // namespace protocol
