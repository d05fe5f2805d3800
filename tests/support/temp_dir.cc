#include "tests/support/temp_dir.h"

#include <cstdlib>
#include <deque>
#include <fstream>
#include <iostream>
#include <sstream>
#include <vector>

#include "tests/support/fixture_error.h"

namespace test_support {

temp_dir::temp_dir(const std::string& prefix) {
    std::string pattern = "/tmp/" + prefix + "-XXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    if (::mkdtemp(buf.data()) == nullptr) {
        throw fixture_error("mkdtemp(" + pattern + ") failed");
    }
    path_ = buf.data();
}

temp_dir::~temp_dir() {
    const char* keep = std::getenv("BROOK_KEEP_TEST_DIRS");
    if (keep != nullptr && std::string(keep) == "1") {
        std::cerr << "[test_support] keeping " << path_ << "\n";
        return;
    }
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return {};
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

std::string tail_file(const std::string& path, std::size_t lines) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return "<no log file " + path + ">";
    std::deque<std::string> last;
    std::string line;
    while (std::getline(in, line)) {
        last.push_back(std::move(line));
        if (last.size() > lines) last.pop_front();
    }
    std::string out;
    for (const auto& l : last) {
        out += l;
        out += '\n';
    }
    return out;
}

void write_file(const std::string& path, const std::string& content) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out) throw fixture_error("cannot write " + path);
}

}  // namespace test_support
