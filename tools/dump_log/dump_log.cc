#include "tools/dump_log/dump_log.h"

#include "protocol/records/byte_order.h"
#include "protocol/records/compression.h"
#include "storage/checkpoint_file.h"
#include "storage/file_names.h"
#include "storage/offset_checkpoint.h"
#include "storage/producer_state.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <ostream>
#include <string_view>
#include <utility>

namespace tools {

namespace fs = std::filesystem;
namespace rec = protocol::records;
using rec::detail::load_be32;
using rec::detail::load_be64;

namespace {

/// A read-only fd, closed on destruction.
class input_file {
public:
    explicit input_file(const fs::path& p) : fd_(::open(p.c_str(), O_RDONLY | O_CLOEXEC)) {
        if (fd_ < 0) {
            error_ = std::strerror(errno);
            return;
        }
        struct stat st{};
        if (::fstat(fd_, &st) != 0) {
            error_ = std::strerror(errno);
            return;
        }
        size_ = static_cast<uint64_t>(st.st_size);
    }
    ~input_file() {
        if (fd_ >= 0) ::close(fd_);
    }
    input_file(const input_file&) = delete;
    input_file& operator=(const input_file&) = delete;

    bool ok() const { return fd_ >= 0 && error_.empty(); }
    const std::string& error() const { return error_; }
    uint64_t size() const { return size_; }

    /// Reads exactly out.size() bytes at position; false on a short read or an I/O error.
    bool read_at(uint64_t position, std::span<uint8_t> out) const {
        size_t done = 0;
        while (done < out.size()) {
            ssize_t n = ::pread(fd_, out.data() + done, out.size() - done,
                                static_cast<off_t>(position + done));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return false;
            done += static_cast<size_t>(n);
        }
        return true;
    }
    std::optional<std::vector<uint8_t>> read_all() const {
        std::vector<uint8_t> buf(static_cast<size_t>(size_));
        if (!read_at(0, buf)) return std::nullopt;
        return buf;
    }

private:
    int fd_ = -1;
    uint64_t size_ = 0;
    std::string error_;
};

/// "<20 digits>.<suffix>" -> the offset; Kafka parses the part before the first '.'.
std::optional<int64_t> offset_from_name(const fs::path& file) {
    const std::string name = file.filename().string();
    const auto dot = name.find('.');
    if (dot == 0 || dot == std::string::npos) return std::nullopt;
    return storage::parse_int64(std::string_view(name).substr(0, dot));
}

fs::path sibling(const fs::path& file, std::string_view suffix) {
    const std::string name = file.filename().string();
    return file.parent_path() / (name.substr(0, name.find('.')) + std::string(suffix));
}

std::string abs_path(const fs::path& p) {
    std::error_code ec;
    auto a = fs::absolute(p, ec);
    return ec ? p.string() : a.string();
}

const char* bool_text(bool b) { return b ? "true" : "false"; }

const char* timestamp_type_name(rec::timestamp_type t) {
    return t == rec::timestamp_type::log_append_time ? "LogAppendTime" : "CreateTime";
}

/// Kafka's DefaultRecordBatch.incrementSequence: sequences wrap from INT32_MAX to 0.
int32_t increment_sequence(int32_t sequence, int32_t increment) {
    if (sequence > INT32_MAX - increment) return increment - (INT32_MAX - sequence) - 1;
    return sequence + increment;
}

void print_bytes(std::ostream& out, rec::bytes_view b) {
    out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

void print_batch_line(std::ostream& out, const rec::batch_view& b, uint64_t position) {
    const int32_t base_seq = b.base_sequence();
    const int32_t last_seq = base_seq < 0 ? -1 : increment_sequence(base_seq, b.last_offset_delta());
    out << "baseOffset: " << b.base_offset() << " lastOffset: " << b.last_offset()
        << " count: " << b.records_count() << " baseSequence: " << base_seq
        << " lastSequence: " << last_seq << " producerId: " << b.producer_id()
        << " producerEpoch: " << b.producer_epoch()
        << " partitionLeaderEpoch: " << b.partition_leader_epoch()
        << " isTransactional: " << bool_text(b.is_transactional())
        << " isControl: " << bool_text(b.is_control()) << " position: " << position << ' '
        << timestamp_type_name(b.ts_type()) << ": " << b.max_timestamp()
        << " size: " << b.size_bytes() << " magic: " << static_cast<int>(b.magic())
        << " compresscodec: " << codec_name(b.codec()) << " crc: " << b.crc()
        << " isvalid: " << bool_text(b.crc() == b.compute_crc()) << '\n';
}

/// Control record key: version int16, type int16 (0 ABORT, 1 COMMIT); value of a transaction
/// marker: version int16, coordinator epoch int32 (Kafka's EndTransactionMarker).
void print_control(std::ostream& out, const rec::record_view& r) {
    if (!r.key || r.key->size() < 4) {
        out << " controlType: UNKNOWN(-1)";
        return;
    }
    const auto type = static_cast<int16_t>((r.key->data()[2] << 8) | r.key->data()[3]);
    if ((type == 0 || type == 1) && r.value && r.value->size() >= 6) {
        out << " endTxnMarker: " << (type == 0 ? "ABORT" : "COMMIT")
            << " coordinatorEpoch: " << static_cast<int32_t>(load_be32(r.value->data() + 2));
    } else {
        out << " controlType: UNKNOWN(" << type << ")";
    }
}

void print_record_line(std::ostream& out, const rec::batch_view& b, const rec::record_view& r,
                       bool print_data) {
    const int64_t ts = b.ts_type() == rec::timestamp_type::log_append_time
                           ? b.max_timestamp()
                           : b.first_timestamp() + r.timestamp_delta;
    const int32_t seq = b.base_sequence() < 0 ? -1 : increment_sequence(b.base_sequence(), r.offset_delta);
    out << "| offset: " << b.base_offset() + r.offset_delta << ' ' << timestamp_type_name(b.ts_type())
        << ": " << ts << " keySize: " << (r.key ? static_cast<int64_t>(r.key->size()) : -1)
        << " valueSize: " << (r.value ? static_cast<int64_t>(r.value->size()) : -1)
        << " sequence: " << seq << " headerKeys: [";
    for (size_t i = 0; i < r.headers.size(); ++i) {
        if (i) out << ',';
        out << r.headers[i].key;
    }
    out << ']';
    if (b.is_control()) {
        print_control(out, r);
    } else if (print_data) {
        if (r.key) {
            out << " key: ";
            print_bytes(out, *r.key);
        }
        if (r.value) {
            out << " payload: ";
            print_bytes(out, *r.value);
        }
    }
    out << '\n';
}

// ---- .log ----

bool dump_segment(const fs::path& file, const dump_log_options& o, std::ostream& out,
                  std::ostream& err) {
    const auto base = offset_from_name(file);
    if (!base) {
        err << "Error: " << file.string() << ": the name is not <offset>.log\n";
        return false;
    }
    out << "Starting offset: " << *base << '\n';
    input_file in(file);
    if (!in.ok()) {
        err << "Error: cannot read " << file.string() << ": " << in.error() << '\n';
        return false;
    }
    const uint64_t size = in.size();
    const uint64_t limit = std::min<uint64_t>(size, static_cast<uint64_t>(o.max_bytes));
    bool good = true;
    uint64_t pos = 0;
    int64_t prev_last = -1;
    std::vector<std::pair<int64_t, int64_t>> non_consecutive;
    int64_t prev_record = -1;
    std::vector<uint8_t> buf;
    bool torn = false;  // the walk stopped at bytes that are not a whole batch
    auto fail = [&](uint64_t at, const std::string& why) {
        err << "Error: " << file.string() << ": invalid batch at position " << at << ": " << why << '\n';
        good = false;
    };
    auto fail_and_stop = [&](uint64_t at, const std::string& why) {
        fail(at, why);
        torn = true;
    };
    while (pos < limit) {
        const uint64_t left = size - pos;
        if (left < rec::batch_log_overhead) {
            if (limit < size) break;  // --max-bytes ends here, not the file
            fail_and_stop(pos, "record batch truncated (" + std::to_string(left) + " bytes left, no whole length field)");
            break;
        }
        uint8_t prefix[rec::batch_log_overhead];
        if (!in.read_at(pos, prefix)) {
            fail_and_stop(pos, std::string("read failed: ") + std::strerror(errno));
            break;
        }
        const auto length = static_cast<int32_t>(load_be32(prefix + 8));
        if (length < static_cast<int32_t>(rec::batch_header_size - rec::batch_log_overhead)) {
            fail_and_stop(pos, make_error_code(rec::batch_error::bad_length).message() + " (batch length " +
                          std::to_string(length) + ")");
            break;
        }
        const uint64_t batch_size = rec::batch_log_overhead + static_cast<uint64_t>(length);
        if (batch_size > left) {
            if (pos + batch_size > limit && limit < size) break;
            fail_and_stop(pos, make_error_code(rec::batch_error::truncated).message() + " (batch size " +
                          std::to_string(batch_size) + ", " + std::to_string(left) +
                          " bytes left in the file)");
            break;
        }
        if (pos + batch_size > limit) break;  // only whole batches within --max-bytes
        buf.resize(static_cast<size_t>(batch_size));
        if (!in.read_at(pos, buf)) {
            fail_and_stop(pos, std::string("read failed: ") + std::strerror(errno));
            break;
        }
        const rec::batch_view b(buf);
        if (b.magic() != rec::current_magic) {
            fail_and_stop(pos, make_error_code(rec::batch_error::bad_magic).message() + " (magic " +
                          std::to_string(b.magic()) + ")");
            break;
        }
        print_batch_line(out, b, pos);
        const auto invalid = rec::validate_batch(b.bytes(), rec::validation_mode::stored);
        if (invalid) {
            fail(pos, invalid.message() + " (baseOffset " + std::to_string(b.base_offset()) + ")");
        } else if (b.base_offset() < *base) {
            fail(pos, "base offset " + std::to_string(b.base_offset()) +
                          " is below the segment's base offset " + std::to_string(*base));
        } else if (prev_last >= 0 && b.base_offset() <= prev_last) {
            fail(pos, "base offset " + std::to_string(b.base_offset()) +
                          " is not above the previous batch's last offset " + std::to_string(prev_last));
        }
        if (!invalid) {
            prev_last = std::max(prev_last, b.last_offset());
            if (o.deep_iteration) {
                auto records = records_of(b);
                for (const auto& r : records.records) {
                    const int64_t off = b.base_offset() + r.offset_delta;
                    if (prev_record >= 0 && off != prev_record + 1) non_consecutive.emplace_back(prev_record, off);
                    prev_record = off;
                    print_record_line(out, b, r, o.print_data_log);
                }
                if (!records.unavailable.empty()) out << "| " << records.unavailable << '\n';
            }
        }
        pos += batch_size;
    }
    // Kafka's line for bytes that are not whole batches (a torn tail, garbage).
    if (torn) {
        out << "Found " << (size - pos) << " invalid bytes at the end of " << file.filename().string() << '\n';
    }
    if (!non_consecutive.empty()) {
        err << "Non-consecutive offsets in " << abs_path(file) << '\n';
        for (auto [a, b] : non_consecutive) err << "  " << a << " is followed by " << b << '\n';
    }
    return good;
}

// ---- .index / .timeindex ----

/// The header of the batch at position of a .log, if a whole plausible header is there.
std::optional<rec::batch_view> header_at(const input_file& log, uint64_t position,
                                         std::array<uint8_t, rec::batch_header_size>& buf) {
    if (position + rec::batch_header_size > log.size() || !log.read_at(position, buf)) return std::nullopt;
    rec::batch_view b(buf);
    if (b.batch_length() < static_cast<int32_t>(rec::batch_header_size - rec::batch_log_overhead)) {
        return std::nullopt;
    }
    return b;
}

struct index_entry {
    int64_t offset;
    uint32_t position;
};

/// Why an .index would be rebuilt at open (storage's offset_index::load rules), or empty.
std::string index_problem(const std::vector<uint8_t>& bytes, int64_t base, uint64_t log_size,
                          std::vector<index_entry>& entries) {
    std::string problem;
    if (bytes.size() % 8 != 0) {
        problem = "size " + std::to_string(bytes.size()) + " is not a multiple of 8";
    }
    for (size_t i = 0; i + 8 <= bytes.size(); i += 8) {
        const auto rel = static_cast<int32_t>(load_be32(&bytes[i]));
        const uint32_t position = load_be32(&bytes[i + 4]);
        const size_t n = i / 8;
        if (problem.empty()) {
            if (rel < 0) {
                problem = "entry " + std::to_string(n) + " has a negative relative offset";
            } else if (position >= log_size) {
                problem = "entry " + std::to_string(n) + " position " + std::to_string(position) +
                          " is at or past the end of the log (" + std::to_string(log_size) + " bytes)";
            } else if (!entries.empty() && (base + rel <= entries.back().offset ||
                                            position <= entries.back().position)) {
                problem = "entry " + std::to_string(n) + " does not increase";
            }
        }
        entries.push_back({base + rel, position});
    }
    return problem;
}

/// What both index dumps start from: the base offset in the file's name, the index bytes and the
/// segment's .log beside it (entries are checked against it). nullopt after saying why on err.
struct index_dump_input {
    int64_t base = 0;
    std::vector<uint8_t> bytes;
    std::unique_ptr<input_file> log;
};

std::optional<index_dump_input> open_index_dump(const fs::path& file, std::string_view kind, std::ostream& err) {
    const auto base = offset_from_name(file);
    if (!base) {
        err << "Error: " << file.string() << ": the name is not <offset>." << kind << '\n';
        return std::nullopt;
    }
    input_file in(file);
    auto bytes = in.ok() ? in.read_all() : std::nullopt;
    if (!bytes) {
        err << "Error: cannot read " << file.string() << ": " << (in.ok() ? "short read" : in.error()) << '\n';
        return std::nullopt;
    }
    const fs::path log_path = sibling(file, storage::log_suffix);
    auto log = std::make_unique<input_file>(log_path);
    if (!log->ok()) {
        err << "Error: cannot read " << log_path.string() << " (needed to check the index): " << log->error() << '\n';
        return std::nullopt;
    }
    return index_dump_input{*base, std::move(*bytes), std::move(log)};
}

bool dump_offset_index(const fs::path& file, const dump_log_options& o, std::ostream& out,
                       std::ostream& err) {
    auto opened = open_index_dump(file, "index", err);
    if (!opened) return false;
    const int64_t base = opened->base;
    const std::vector<uint8_t>& bytes = opened->bytes;
    const input_file& log = *opened->log;
    std::vector<index_entry> entries;
    const std::string problem = index_problem(bytes, base, log.size(), entries);
    if (o.index_sanity_check) {
        if (!problem.empty()) {
            err << "Error: " << file.string() << " failed sanity check: " << problem << '\n';
            return false;
        }
        out << file.string() << " passed sanity check.\n";
        return true;
    }
    std::vector<std::pair<int64_t, int64_t>> mismatches;
    std::array<uint8_t, rec::batch_header_size> hdr{};
    for (size_t i = 0; i < entries.size(); ++i) {
        const auto& e = entries[i];
        // Kafka: a preallocated index ends in zero entries after a crash; stop at the first.
        if (i > 0 && e.offset == base) break;
        auto b = header_at(log, e.position, hdr);
        const int64_t log_offset = b ? b->last_offset() : -1;
        if (log_offset != e.offset) mismatches.emplace_back(e.offset, log_offset);
        if (!o.verify_index_only) out << "offset: " << e.offset << " position: " << e.position << '\n';
    }
    if (!mismatches.empty()) {
        err << "Mismatches in :" << abs_path(file) << '\n';
        for (auto [index_offset, log_offset] : mismatches) {
            err << "  Index offset: " << index_offset << ", log offset: " << log_offset << '\n';
        }
    }
    if (bytes.size() % 8 != 0) {
        err << "Error: " << file.string() << ": " << bytes.size() % 8
            << " trailing bytes are not a whole 8-byte entry\n";
    }
    return mismatches.empty() && bytes.size() % 8 == 0;
}

bool dump_time_index(const fs::path& file, const dump_log_options& o, std::ostream& out,
                     std::ostream& err) {
    auto opened = open_index_dump(file, "timeindex", err);
    if (!opened) return false;
    const int64_t base = opened->base;
    const std::vector<uint8_t>& bytes = opened->bytes;
    const input_file& log = *opened->log;
    // The offset index only narrows the walk; without a usable one the walk starts at 0.
    std::vector<index_entry> offsets;
    {
        input_file idx(sibling(file, storage::index_suffix));
        auto idx_bytes = idx.ok() ? idx.read_all() : std::nullopt;
        if (idx_bytes && index_problem(*idx_bytes, base, log.size(), offsets).empty()) {
        } else {
            offsets.clear();
        }
    }
    struct ts_entry {
        int64_t timestamp;
        int64_t offset;
    };
    std::vector<ts_entry> entries;
    for (size_t i = 0; i + 12 <= bytes.size(); i += 12) {
        entries.push_back({static_cast<int64_t>(load_be64(&bytes[i])),
                           base + static_cast<int32_t>(load_be32(&bytes[i + 8]))});
    }
    std::string problem;
    if (bytes.size() % 12 != 0) problem = "size " + std::to_string(bytes.size()) + " is not a multiple of 12";
    for (size_t i = 1; problem.empty() && i < entries.size(); ++i) {
        if (entries[i].timestamp <= entries[i - 1].timestamp) {
            problem = "entry " + std::to_string(i) + " timestamp does not increase";
        } else if (entries[i].offset < entries[i - 1].offset) {
            problem = "entry " + std::to_string(i) + " offset decreases";
        }
    }
    for (size_t i = 0; problem.empty() && i < entries.size(); ++i) {
        if (entries[i].offset < base) problem = "entry " + std::to_string(i) + " has a negative relative offset";
    }
    if (o.index_sanity_check) {
        if (!problem.empty()) {
            err << "Error: " << file.string() << " failed sanity check: " << problem << '\n';
            return false;
        }
        out << file.string() << " passed sanity check.\n";
        return true;
    }
    std::vector<std::pair<int64_t, int64_t>> ts_mismatch, out_of_order, not_found;
    std::array<uint8_t, rec::batch_header_size> hdr{};
    int64_t prev_ts = -1;
    for (size_t i = 0; i < entries.size(); ++i) {
        const auto& e = entries[i];
        if (i > 0 && e.offset == base) break;  // Kafka: zero-filled tail of a preallocated file
        uint64_t pos = 0;
        for (const auto& oe : offsets) {
            if (oe.offset > e.offset) break;
            pos = oe.position;
        }
        std::optional<rec::batch_view> found;
        while (auto b = header_at(log, pos, hdr)) {
            if (b->last_offset() >= e.offset) {
                found = b;
                break;
            }
            pos += b->size_bytes();
        }
        if (!found) {
            not_found.emplace_back(e.offset, -1);
        } else if (found->last_offset() != e.offset) {
            not_found.emplace_back(e.offset, found->last_offset());
        } else {
            if (found->max_timestamp() != e.timestamp) ts_mismatch.emplace_back(e.timestamp, found->max_timestamp());
            if (prev_ts >= e.timestamp) out_of_order.emplace_back(e.timestamp, prev_ts);
        }
        if (!o.verify_index_only) out << "timestamp: " << e.timestamp << " offset: " << e.offset << '\n';
        prev_ts = e.timestamp;
    }
    const std::string name = abs_path(file);
    if (!ts_mismatch.empty()) {
        err << "Found timestamp mismatch in :" << name << '\n';
        for (auto [a, b] : ts_mismatch) err << "  Index timestamp: " << a << ", log timestamp: " << b << '\n';
    }
    if (!out_of_order.empty()) {
        err << "Found out of order timestamp in :" << name << '\n';
        for (auto [a, b] : out_of_order) err << "  Index timestamp: " << a << ", Previously indexed timestamp: " << b << '\n';
    }
    if (!not_found.empty()) {
        err << "Shallow offset not found in :" << name << '\n';
        for (auto [a, b] : not_found) err << "  Index offset: " << a << ", log offset: " << b << '\n';
    }
    if (bytes.size() % 12 != 0) {
        err << "Error: " << file.string() << ": " << bytes.size() % 12
            << " trailing bytes are not a whole 12-byte entry\n";
    }
    return ts_mismatch.empty() && out_of_order.empty() && not_found.empty() && bytes.size() % 12 == 0;
}

// ---- .snapshot and checkpoints ----

bool dump_snapshot(const fs::path& file, std::ostream& out, std::ostream& err) {
    const auto offset = offset_from_name(file);
    input_file in(file);
    auto bytes = in.ok() ? in.read_all() : std::nullopt;
    if (!bytes || !offset) {
        err << "Error: cannot read " << file.string() << ": "
            << (!offset ? "the name is not <offset>.snapshot" : in.ok() ? "short read" : in.error()) << '\n';
        return false;
    }
    auto state = storage::decode_producer_snapshot(*bytes, *offset);
    if (!state) {
        err << "Error: " << file.string() << ": not a valid producer snapshot at offset " << *offset
            << " (" << state.error().message() << ")\n";
        return false;
    }
    // Kafka's line per producer; its snapshot keeps one batch, ours the last five: the newest
    // one fills Kafka's fields. No transactions yet: coordinator epoch -1, no open transaction.
    for (const auto& [id, entry] : state.value()) {
        out << "producerId: " << id << " producerEpoch: " << entry.epoch
            << " coordinatorEpoch: -1 currentTxnFirstOffset: None ";
        if (!entry.batches.empty()) {
            const auto& b = entry.batches.back();
            out << "firstSequence: " << b.first_seq << " lastSequence: " << b.last_seq
                << " lastOffset: " << b.last_offset << " offsetDelta: " << b.last_offset - b.first_offset
                << " timestamp: " << b.max_timestamp;
        }
        out << '\n';
    }
    return true;
}

bool dump_leader_epochs(const fs::path& file, std::ostream& out, std::ostream& err) {
    auto r = storage::read_checkpoint_file(file, 2);
    if (!r || !r.value()) {
        err << "Error: cannot read " << file.string() << ": "
            << (r ? std::string("no such file") : r.error().message()) << '\n';
        return false;
    }
    for (const auto& fields : *r.value()) {
        out << "leaderEpoch: " << fields[0] << " startOffset: " << fields[1] << '\n';
    }
    return true;
}

bool dump_offset_checkpoint(const fs::path& file, std::ostream& out, std::ostream& err) {
    if (!fs::exists(file)) {
        err << "Error: cannot read " << file.string() << ": " << std::strerror(ENOENT) << '\n';
        return false;
    }
    auto r = storage::read_offset_checkpoint(file);
    if (!r) {
        err << "Error: cannot read " << file.string() << ": " << r.error().message() << '\n';
        return false;
    }
    for (const auto& [tp, offset] : r.value()) {
        out << "topic: " << tp.first << " partition: " << tp.second << " offset: " << offset << '\n';
    }
    return true;
}

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

std::string codec_name(rec::compression c) {
    switch (c) {
        case rec::compression::none: return "NONE";
        case rec::compression::gzip: return "GZIP";
        case rec::compression::snappy: return "SNAPPY";
        case rec::compression::lz4: return "LZ4";
        case rec::compression::zstd: return "ZSTD";
    }
    return "UNKNOWN(" + std::to_string(static_cast<int>(c)) + ")";
}

batch_records records_of(const rec::batch_view& batch) {
    batch_records out;
    if (batch.codec() != rec::compression::none) {
        // The records section decompressed into out.decompressed (bounded: a garbage or huge
        // stream is a note, never a crash), then walked like an uncompressed one.
        if (auto ec = rec::decompress(batch.codec(), batch.bytes().subspan(rec::batch_header_size), out.decompressed)) {
            out.decompressed.clear();
            out.unavailable = "records not shown: the " + codec_name(batch.codec()) +
                              " records section does not decompress: " + ec.message();
            return out;
        }
        rec::record_reader reader(out.decompressed, batch.records_count());
        while (auto r = reader.next()) out.records.push_back(std::move(*r));
        if (reader.error()) out.unavailable = "records after the ones shown are malformed: " + reader.error().message();
        return out;
    }
    rec::record_reader reader(batch);
    while (auto r = reader.next()) out.records.push_back(std::move(*r));
    if (reader.error()) out.unavailable = "records after the ones shown are malformed: " + reader.error().message();
    return out;
}

int run_dump_log(const dump_log_options& options, std::ostream& out, std::ostream& err) {
    bool all_good = true;
    for (const auto& name : options.files) {
        const fs::path file(name);
        out << "Dumping " << name << '\n';
        const std::string base = file.filename().string();
        bool good = true;
        if (ends_with(base, storage::log_suffix)) {
            good = dump_segment(file, options, out, err);
        } else if (ends_with(base, storage::index_suffix)) {
            good = dump_offset_index(file, options, out, err);
        } else if (ends_with(base, storage::time_index_suffix)) {
            good = dump_time_index(file, options, out, err);
        } else if (ends_with(base, ".snapshot")) {
            good = dump_snapshot(file, out, err);
        } else if (base == storage::leader_epoch_checkpoint_file) {
            good = dump_leader_epochs(file, out, err);
        } else if (ends_with(base, "-checkpoint")) {
            good = dump_offset_checkpoint(file, out, err);
        } else {
            err << "Ignoring unknown file " << name << '\n';
        }
        all_good = all_good && good;
    }
    out.flush();
    return all_good ? 0 : 1;
}

}  // namespace tools
