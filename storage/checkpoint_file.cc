#include "storage/checkpoint_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <iterator>
#include <system_error>

#include "storage/errc.h"
#include "storage/index_files.h"

namespace storage {

namespace fs = std::filesystem;

namespace {

constexpr int checkpoint_version = 0;

template <class Int>
std::optional<Int> parse_whole(std::string_view s) {
    Int v{};
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc{} || ptr != s.data() + s.size()) return std::nullopt;
    return v;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\f' || c == '\v'; }

// Java's readLine: lines end at "\n", "\r\n" or "\r"; the last line may lack a terminator.
std::vector<std::string_view> split_lines(std::string_view text) {
    std::vector<std::string_view> lines;
    size_t start = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '\n' && text[i] != '\r') continue;
        lines.push_back(text.substr(start, i - start));
        if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
        start = i + 1;
    }
    if (start < text.size()) lines.push_back(text.substr(start));
    return lines;
}

// Kafka splits entry lines with the regex "\s+": a leading blank gives an empty first token
// (malformed there too), trailing blanks are dropped.
std::optional<std::vector<std::string>> split_fields(std::string_view line, size_t fields) {
    if (line.empty() || is_space(line.front())) return std::nullopt;
    std::vector<std::string> out;
    size_t i = 0;
    while (i < line.size()) {
        size_t j = i;
        while (j < line.size() && !is_space(line[j])) ++j;
        out.emplace_back(line.substr(i, j - i));
        while (j < line.size() && is_space(line[j])) ++j;
        i = j;
    }
    if (out.size() != fields) return std::nullopt;
    return out;
}

}  // namespace

std::optional<int64_t> parse_int64(std::string_view s) { return parse_whole<int64_t>(s); }
std::optional<int32_t> parse_int32(std::string_view s) { return parse_whole<int32_t>(s); }

result<std::optional<std::vector<std::vector<std::string>>>> read_checkpoint_file(
    const fs::path& file, size_t fields) {
    using entries = std::vector<std::vector<std::string>>;
    std::error_code ec;
    if (!fs::exists(file, ec)) {
        if (ec) return errc::io_error;
        return std::optional<entries>{};
    }
    std::ifstream in(file, std::ios::binary);
    if (!in) return errc::io_error;
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) return errc::io_error;

    const auto lines = split_lines(text);
    entries out;
    if (lines.empty()) return std::optional<entries>(std::move(out));
    if (parse_int32(lines[0]) != checkpoint_version) return errc::corrupt_checkpoint;
    if (lines.size() == 1) return std::optional<entries>(std::move(out));
    const auto count = parse_int32(lines[1]);
    if (!count || *count < 0) return errc::corrupt_checkpoint;
    for (size_t i = 2; i < lines.size(); ++i) {
        auto f = split_fields(lines[i], fields);
        if (!f) return errc::corrupt_checkpoint;
        out.push_back(std::move(*f));
    }
    if (out.size() != static_cast<size_t>(*count)) return errc::corrupt_checkpoint;
    return std::optional<entries>(std::move(out));
}

result<void> write_checkpoint_file(const fs::path& file, const std::vector<std::string>& lines) {
    std::string text = std::to_string(checkpoint_version) + "\n" + std::to_string(lines.size()) + "\n";
    for (const auto& l : lines) {
        text += l;
        text += '\n';
    }
    return write_file_atomically(file, text);
}

result<void> write_file_atomically(const fs::path& file, std::string_view content) {
    const fs::path tmp = file.string() + ".tmp";
    {
        int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) return errc::io_error;
        file_handle h(fd);
        BROOK_STORAGE_TRYV(pwrite_all(
            fd, std::span(reinterpret_cast<const uint8_t*>(content.data()), content.size()), 0));
        if (::fsync(fd) != 0) return errc::io_error;
    }
    std::error_code ec;
    fs::rename(tmp, file, ec);
    if (ec) return errc::io_error;
    // The rename is durable only once the directory entry is.
    const fs::path dir = file.has_parent_path() ? file.parent_path() : fs::path(".");
    int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) return errc::io_error;
    file_handle dh(dfd);
    if (::fsync(dfd) != 0) return errc::io_error;
    return success();
}

}  // namespace storage
