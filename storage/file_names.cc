#include "storage/file_names.h"

#include <charconv>
#include <cstdio>

namespace storage {

std::string offset_file_stem(int64_t base_offset) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%020lld", static_cast<long long>(base_offset));
    return buf;
}

std::filesystem::path segment_file(const std::filesystem::path& dir, int64_t base_offset,
                                   std::string_view suffix) {
    std::string name = offset_file_stem(base_offset);
    name += suffix;
    return dir / name;
}

std::optional<int64_t> parse_segment_file(std::string_view name, std::string_view suffix) {
    if (name.size() != 20 + suffix.size() || !name.ends_with(suffix)) return std::nullopt;
    int64_t v = 0;
    auto [ptr, ec] = std::from_chars(name.data(), name.data() + 20, v);
    if (ec != std::errc{} || ptr != name.data() + 20 || v < 0) return std::nullopt;
    return v;
}

std::string partition_dir_name(std::string_view topic, int32_t partition) {
    std::string s(topic);
    s += '-';
    s += std::to_string(partition);
    return s;
}

std::optional<std::pair<std::string, int32_t>> parse_partition_dir(std::string_view name) {
    auto dash = name.rfind('-');
    if (dash == std::string_view::npos || dash == 0 || dash + 1 == name.size()) return std::nullopt;
    std::string_view topic = name.substr(0, dash);
    std::string_view part = name.substr(dash + 1);
    int32_t p = 0;
    auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), p);
    if (ec != std::errc{} || ptr != part.data() + part.size() || p < 0) return std::nullopt;
    if (!is_valid_topic_name(topic)) return std::nullopt;
    return std::pair{std::string(topic), p};
}

bool is_valid_topic_name(std::string_view t) {
    if (t.empty() || t.size() > 249 || t == "." || t == "..") return false;
    for (char c : t) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        if (!ok) return false;
    }
    return true;
}

}  // namespace storage
