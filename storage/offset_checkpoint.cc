#include "storage/offset_checkpoint.h"

#include <string>
#include <vector>

#include "storage/checkpoint_file.h"
#include "storage/errc.h"
#include "storage/file_names.h"

namespace storage {

result<partition_offsets> read_offset_checkpoint(const std::filesystem::path& file) {
    BROOK_STORAGE_TRY(auto lines, read_checkpoint_file(file, 3));
    partition_offsets out;
    if (!lines) return out;
    for (const auto& f : *lines) {
        const auto partition = parse_int32(f[1]);
        const auto offset = parse_int64(f[2]);
        if (!partition || !offset || *partition < 0) return errc::corrupt_checkpoint;
        if (!out.emplace(std::make_pair(f[0], *partition), *offset).second) {
            return errc::corrupt_checkpoint;
        }
    }
    return out;
}

result<void> write_offset_checkpoint(const std::filesystem::path& file,
                                     const partition_offsets& offsets) {
    std::vector<std::string> lines;
    lines.reserve(offsets.size());
    for (const auto& [tp, offset] : offsets) {
        // A blank in a name would make the file unreadable; legal topic names have none.
        if (!is_valid_topic_name(tp.first) || tp.second < 0) return errc::invalid_argument;
        lines.push_back(tp.first + " " + std::to_string(tp.second) + " " + std::to_string(offset));
    }
    return write_checkpoint_file(file, lines);
}

}  // namespace storage
