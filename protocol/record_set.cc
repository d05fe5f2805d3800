#include "protocol/record_set.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <cstring>

namespace protocol {

record_set record_set::view(std::span<const uint8_t> bytes, std::shared_ptr<const void> owner) {
    record_set rs;
    rs.null_ = false;
    rs.memory_ = bytes;
    rs.owner_ = std::move(owner);
    return rs;
}

record_set record_set::owned(std::vector<uint8_t> bytes) {
    auto holder = std::make_shared<const std::vector<uint8_t>>(std::move(bytes));
    std::span<const uint8_t> span(holder->data(), holder->size());
    return view(span, std::move(holder));
}

void record_set::append_file_slice(file_slice slice) {
    null_ = false;
    slices_.push_back(std::move(slice));
}

size_t record_set::size() const {
    size_t n = memory_.size();
    for (const auto& s : slices_) n += s.size;
    return n;
}

std::vector<uint8_t> record_set::to_bytes() const {
    std::vector<uint8_t> out(memory_.begin(), memory_.end());
    for (const auto& s : slices_) {
        size_t at = out.size();
        out.resize(at + s.size);
        size_t done = 0;
        while (done < s.size) {
            ssize_t n = ::pread(s.fd, out.data() + at + done, s.size - done,
                                static_cast<off_t>(s.offset + done));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                std::fprintf(stderr, "record_set::to_bytes: pread fd %d offset %llu failed: %s\n", s.fd,
                             static_cast<unsigned long long>(s.offset + done),
                             n < 0 ? std::strerror(errno) : "end of file");
                std::abort();
            }
            done += static_cast<size_t>(n);
        }
    }
    return out;
}

bool record_set::operator==(const record_set& other) const {
    if (null_ || other.null_) return null_ == other.null_;
    if (size() != other.size()) return false;
    if (slices_.empty() && other.slices_.empty()) {
        return std::equal(memory_.begin(), memory_.end(), other.memory_.begin());
    }
    return to_bytes() == other.to_bytes();
}

}  // namespace protocol
