#pragma once

// Helpers shared by the storage tests: a temp dir removed on destruction, batch makers and
// small file surgery (truncate, flip a byte) for the corruption cases.

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "protocol/records/record_batch.h"
#include "protocol/records/record_batch_builder.h"
#include "storage/log.h"

namespace storage::test {

namespace rec = protocol::records;
namespace fs = std::filesystem;

class temp_dir {
public:
    temp_dir() {
        std::string tmpl = (fs::temp_directory_path() / "brook-storage-XXXXXX").string();
        char* p = ::mkdtemp(tmpl.data());
        if (!p) std::abort();
        path_ = p;
    }
    ~temp_dir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

/// One uncompressed batch of n records with values "<tag>-<i>" and timestamps ts0, ts0+1, ...
inline std::vector<uint8_t> make_batch(int n, int64_t ts0 = 1000, const std::string& tag = "v",
                                       size_t value_size = 0) {
    rec::record_batch_builder b;
    for (int i = 0; i < n; ++i) {
        std::string v = tag + "-" + std::to_string(i);
        if (v.size() < value_size) v.resize(value_size, 'x');
        rec::record_input r;
        r.value = rec::as_bytes(v);
        r.timestamp = ts0 + i;
        b.add(r);
    }
    return b.build();
}

/// One uncompressed batch of n records from an idempotent producer: producer id, epoch and base
/// sequence set in the header (records "<tag>-<i>", timestamps ts0, ts0+1, ...).
inline std::vector<uint8_t> make_producer_batch(int64_t producer_id, int16_t epoch,
                                                int32_t base_sequence, int n = 1,
                                                int64_t ts0 = 1000, const std::string& tag = "p") {
    rec::record_batch_builder b;
    b.set_producer(producer_id, epoch, base_sequence);
    for (int i = 0; i < n; ++i) {
        std::string v = tag + "-" + std::to_string(i);
        rec::record_input r;
        r.value = rec::as_bytes(v);
        r.timestamp = ts0 + i;
        b.add(r);
    }
    return b.build();
}

/// Copies a log dir as a crash would leave it: every byte written so far, nothing the log
/// would still write at flush or close (pending index entries, the close-time snapshot).
inline void copy_dir(const fs::path& from, const fs::path& to) {
    fs::copy(from, to, fs::copy_options::recursive);
}

inline std::vector<uint8_t> concat(std::initializer_list<std::vector<uint8_t>> parts) {
    std::vector<uint8_t> out;
    for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}

/// Splits bytes into batch views (the bytes must outlive the result).
inline std::vector<rec::batch_view> split(const std::vector<uint8_t>& bytes) {
    std::vector<rec::batch_view> out;
    rec::for_each_batch(bytes, [&](rec::batch_view v) { out.push_back(v); });
    return out;
}

inline std::vector<uint8_t> read_all(const log& l, int64_t start, uint32_t max_bytes = 1 << 30,
                                     int64_t max_offset = INT64_MAX) {
    auto r = l.read(start, max_bytes, max_offset);
    if (!r) return {};
    auto bytes = read_slices(r.value());
    return bytes ? bytes.value() : std::vector<uint8_t>{};
}

inline void truncate_file(const fs::path& p, uint64_t size) { fs::resize_file(p, size); }

inline void flip_byte(const fs::path& p, uint64_t position) {
    std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<std::streamoff>(position));
    char c = 0;
    f.read(&c, 1);
    c = static_cast<char>(c ^ 0x5a);
    f.seekp(static_cast<std::streamoff>(position));
    f.write(&c, 1);
}

inline std::vector<uint8_t> read_file(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

inline std::string read_text(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

inline void write_text(const fs::path& p, const std::string& text) {
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    f << text;
}

inline void write_file(const fs::path& p, const std::vector<uint8_t>& bytes) {
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace storage::test
