#pragma once

#include <filesystem>
#include <string>

namespace test_support {

/// A fresh directory under /tmp (mkdtemp), removed recursively when the object dies.
/// Owned by one test or fixture; not thread-safe. Set BROOK_KEEP_TEST_DIRS=1 in the environment
/// to keep the directories for a post-mortem (their paths are printed when kept).
class temp_dir {
public:
    explicit temp_dir(const std::string& prefix = "brook-test");
    ~temp_dir();
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;

    const std::filesystem::path& path() const { return path_; }
    std::string str() const { return path_.string(); }
    /// path() / name, as a string (convenience for config files).
    std::string file(const std::string& name) const { return (path_ / name).string(); }

private:
    std::filesystem::path path_;
};

/// Reads a whole file; empty string when it does not exist.
std::string read_file(const std::string& path);
/// Last `lines` lines of a file (for failure messages).
std::string tail_file(const std::string& path, std::size_t lines);
/// Writes (truncates) a file; throws fixture_error on failure.
void write_file(const std::string& path, const std::string& content);

}  // namespace test_support
