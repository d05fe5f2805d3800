#include "storage/producer_state.h"

#include <climits>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>

#include "protocol/records/byte_order.h"
#include "protocol/records/crc32c.h"
#include "storage/checkpoint_file.h"
#include "storage/errc.h"
#include "storage/file_names.h"

namespace storage {

namespace fs = std::filesystem;
using protocol::records::detail::load_be16;
using protocol::records::detail::load_be32;
using protocol::records::detail::load_be64;
using protocol::records::detail::store_be16;
using protocol::records::detail::store_be32;
using protocol::records::detail::store_be64;

namespace {

constexpr std::string_view snapshot_suffix = ".snapshot";
constexpr std::string_view snapshot_tmp_suffix = ".snapshot.tmp";

// Snapshot layout (see producer_state.h): fixed sizes of its parts.
constexpr int16_t snapshot_version = 1;
constexpr size_t snapshot_crc_at = 2;
constexpr size_t snapshot_crc_from = 6;
constexpr size_t snapshot_header_size = 18;    // version, crc, offset, count
constexpr size_t snapshot_producer_size = 19;  // id, epoch, last_timestamp, batch count
constexpr size_t snapshot_batch_size = 32;

producer_batch to_cached(const producer_batch_header& b) {
    const auto delta = static_cast<int32_t>(b.last_offset - b.first_offset);
    return {b.base_sequence, last_sequence(b.base_sequence, delta), b.first_offset, b.last_offset,
            b.max_timestamp};
}

void apply(producer_entry& e, const producer_batch_header& b) {
    if (b.epoch != e.epoch) {
        e.epoch = b.epoch;
        e.batches.clear();
    }
    if (e.batches.size() == producer_batches_retained) e.batches.erase(e.batches.begin());
    e.batches.push_back(to_cached(b));
    e.last_timestamp = b.max_timestamp;
}

bool is_expired(const producer_entry& e, int64_t now_ms, int64_t expiration_ms) {
    int64_t idle = 0;
    if (__builtin_sub_overflow(now_ms, e.last_timestamp, &idle)) {
        idle = now_ms > e.last_timestamp ? INT64_MAX : INT64_MIN;
    }
    return idle >= expiration_ms;
}

}  // namespace

int32_t last_sequence(int32_t base_sequence, int32_t last_offset_delta) {
    const int64_t s = int64_t{base_sequence} + last_offset_delta;
    return static_cast<int32_t>(s > INT32_MAX ? s - INT32_MAX - 1 : s);
}

int32_t next_sequence(int32_t seq) { return seq == INT32_MAX ? 0 : seq + 1; }

const producer_batch* producer_entry::find_batch(int32_t first_seq, int32_t last_seq) const {
    for (const auto& b : batches) {
        if (b.first_seq == first_seq && b.last_seq == last_seq) return &b;
    }
    return nullptr;
}

std::vector<uint8_t> encode_producer_snapshot(const producer_map& producers, int64_t offset) {
    size_t size = snapshot_header_size;
    for (const auto& [id, e] : producers) {
        size += snapshot_producer_size + e.batches.size() * snapshot_batch_size;
    }
    std::vector<uint8_t> out(size);
    uint8_t* p = out.data();
    store_be16(p, static_cast<uint16_t>(snapshot_version));
    store_be64(p + 6, static_cast<uint64_t>(offset));
    store_be32(p + 14, static_cast<uint32_t>(producers.size()));
    p += snapshot_header_size;
    for (const auto& [id, e] : producers) {
        store_be64(p, static_cast<uint64_t>(id));
        store_be16(p + 8, static_cast<uint16_t>(e.epoch));
        store_be64(p + 10, static_cast<uint64_t>(e.last_timestamp));
        p[18] = static_cast<uint8_t>(e.batches.size());
        p += snapshot_producer_size;
        for (const auto& b : e.batches) {
            store_be32(p, static_cast<uint32_t>(b.first_seq));
            store_be32(p + 4, static_cast<uint32_t>(b.last_seq));
            store_be64(p + 8, static_cast<uint64_t>(b.first_offset));
            store_be64(p + 16, static_cast<uint64_t>(b.last_offset));
            store_be64(p + 24, static_cast<uint64_t>(b.max_timestamp));
            p += snapshot_batch_size;
        }
    }
    const uint32_t crc =
        protocol::records::crc32c(std::span<const uint8_t>(out).subspan(snapshot_crc_from));
    store_be32(out.data() + snapshot_crc_at, crc);
    return out;
}

result<producer_map> decode_producer_snapshot(std::span<const uint8_t> bytes,
                                              int64_t expected_offset) {
    if (bytes.size() < snapshot_header_size) return errc::corrupt_checkpoint;
    const uint8_t* p = bytes.data();
    if (static_cast<int16_t>(load_be16(p)) != snapshot_version) return errc::corrupt_checkpoint;
    if (load_be32(p + snapshot_crc_at) !=
        protocol::records::crc32c(bytes.subspan(snapshot_crc_from))) {
        return errc::corrupt_checkpoint;
    }
    const auto offset = static_cast<int64_t>(load_be64(p + 6));
    const auto count = static_cast<int32_t>(load_be32(p + 14));
    if (offset != expected_offset || count < 0) return errc::corrupt_checkpoint;

    producer_map out;
    size_t at = snapshot_header_size;
    for (int32_t i = 0; i < count; ++i) {
        if (bytes.size() - at < snapshot_producer_size) return errc::corrupt_checkpoint;
        p = bytes.data() + at;
        const auto id = static_cast<int64_t>(load_be64(p));
        producer_entry e;
        e.epoch = static_cast<int16_t>(load_be16(p + 8));
        e.last_timestamp = static_cast<int64_t>(load_be64(p + 10));
        const size_t k = p[18];
        at += snapshot_producer_size;
        if (id < 0 || (!out.empty() && id <= out.rbegin()->first) || k == 0 ||
            k > producer_batches_retained || bytes.size() - at < k * snapshot_batch_size) {
            return errc::corrupt_checkpoint;
        }
        for (size_t j = 0; j < k; ++j, at += snapshot_batch_size) {
            p = bytes.data() + at;
            producer_batch b{
                static_cast<int32_t>(load_be32(p)), static_cast<int32_t>(load_be32(p + 4)),
                static_cast<int64_t>(load_be64(p + 8)), static_cast<int64_t>(load_be64(p + 16)),
                static_cast<int64_t>(load_be64(p + 24))};
            if (b.first_offset < 0 || b.last_offset < b.first_offset || b.last_offset >= offset ||
                (!e.batches.empty() && b.first_offset <= e.batches.back().last_offset)) {
                return errc::corrupt_checkpoint;
            }
            e.batches.push_back(b);
        }
        out.emplace(id, std::move(e));
    }
    if (at != bytes.size()) return errc::corrupt_checkpoint;
    return out;
}

result<std::optional<duplicate_batch>> producer_state_manager::check(
    std::span<const producer_batch_header> batches) const {
    // One batch per append is what clients send (Produce v3+): check it against the stored entry
    // without copying anything.
    if (batches.size() == 1) {
        if (!batches[0].tracked()) return std::optional<duplicate_batch>{};
        return check_batch(find(batches[0].producer_id), batches[0], true);
    }
    // Producers this append touched, as its earlier batches leave them (usually one).
    std::vector<std::pair<int64_t, producer_entry>> pending;
    for (const auto& b : batches) {
        if (!b.tracked()) continue;
        size_t i = 0;
        while (i < pending.size() && pending[i].first != b.producer_id) ++i;
        if (i == pending.size()) {
            const producer_entry* current = find(b.producer_id);
            pending.emplace_back(b.producer_id, current ? *current : producer_entry{});
        }
        producer_entry& e = pending[i].second;
        BROOK_STORAGE_TRYV(check_batch(e.batches.empty() ? nullptr : &e, b, false));
        apply(e, b);
    }
    return std::optional<duplicate_batch>{};
}

result<std::optional<duplicate_batch>> producer_state_manager::check_batch(
    const producer_entry* e, const producer_batch_header& b, bool alone) {
    if (b.base_sequence < 0) return errc::corrupt_batch;
    if (!e) return std::optional<duplicate_batch>{};  // rule 5: no state, any sequence
    if (b.epoch < e->epoch) return errc::invalid_producer_epoch;
    if (b.epoch > e->epoch) {
        if (b.base_sequence != 0) return errc::out_of_order_sequence;
        return std::optional<duplicate_batch>{};
    }
    const auto delta = static_cast<int32_t>(b.last_offset - b.first_offset);
    if (const auto* dup = e->find_batch(b.base_sequence, last_sequence(b.base_sequence, delta))) {
        if (!alone) return errc::out_of_order_sequence;
        return std::optional<duplicate_batch>(
            duplicate_batch{dup->first_offset, dup->last_offset, dup->max_timestamp});
    }
    if (b.base_sequence != next_sequence(e->last_seq())) return errc::out_of_order_sequence;
    return std::optional<duplicate_batch>{};
}

void producer_state_manager::update(const producer_batch_header& b) {
    if (!b.tracked()) return;
    apply(producers_[b.producer_id], b);
}

size_t producer_state_manager::expire(int64_t now_ms, int64_t expiration_ms) {
    last_expiry_ = {now_ms, expiration_ms};
    return std::erase_if(
        producers_, [&](const auto& kv) { return is_expired(kv.second, now_ms, expiration_ms); });
}

void producer_state_manager::reapply_expiry() {
    if (last_expiry_) expire(last_expiry_->first, last_expiry_->second);
}

const producer_entry* producer_state_manager::find(int64_t producer_id) const {
    auto it = producers_.find(producer_id);
    return it == producers_.end() ? nullptr : &it->second;
}

fs::path producer_state_manager::snapshot_file(int64_t offset) const {
    return segment_file(dir_, offset, snapshot_suffix);
}

result<void> producer_state_manager::scan_snapshots() {
    snapshots_.clear();
    std::error_code ec;
    std::vector<fs::path> leftovers;
    for (const auto& entry : fs::directory_iterator(dir_, ec)) {
        const std::string name = entry.path().filename().string();
        if (auto o = parse_segment_file(name, snapshot_suffix)) {
            snapshots_.insert(*o);
        } else if (parse_segment_file(name, snapshot_tmp_suffix)) {
            leftovers.push_back(entry.path());
        }
    }
    if (ec) return errc::io_error;
    for (const auto& p : leftovers) {
        if (!fs::remove(p, ec) && ec) return errc::io_error;
    }
    return success();
}

result<void> producer_state_manager::take_snapshot(int64_t offset) {
    const auto bytes = encode_producer_snapshot(producers_, offset);
    BROOK_STORAGE_TRYV(write_file_atomically(
        snapshot_file(offset),
        std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size())));
    snapshots_.insert(offset);
    while (snapshots_.size() > producer_snapshots_retained) {
        BROOK_STORAGE_TRYV(delete_snapshot(*snapshots_.begin()));
    }
    return success();
}

result<void> producer_state_manager::delete_snapshot(int64_t offset) {
    std::error_code ec;
    fs::remove(snapshot_file(offset), ec);
    if (ec) return errc::io_error;
    snapshots_.erase(offset);
    return success();
}

result<void> producer_state_manager::delete_snapshots_outside(int64_t min_offset,
                                                              int64_t max_offset) {
    const std::vector<int64_t> all(snapshots_.begin(), snapshots_.end());
    for (int64_t o : all) {
        if (o < min_offset || o > max_offset) BROOK_STORAGE_TRYV(delete_snapshot(o));
    }
    return success();
}

result<void> producer_state_manager::delete_all_snapshots() {
    while (!snapshots_.empty()) BROOK_STORAGE_TRYV(delete_snapshot(*snapshots_.begin()));
    return success();
}

result<std::optional<int64_t>> producer_state_manager::load_latest_snapshot(int64_t max_offset) {
    producers_.clear();
    while (true) {
        auto it = snapshots_.upper_bound(max_offset);
        if (it == snapshots_.begin()) return std::optional<int64_t>{};
        const int64_t offset = *std::prev(it);
        std::ifstream in(snapshot_file(offset), std::ios::binary);
        if (!in) return errc::io_error;
        const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                         std::istreambuf_iterator<char>());
        if (in.bad()) return errc::io_error;
        if (auto decoded = decode_producer_snapshot(bytes, offset)) {
            producers_ = std::move(decoded).value();
            return std::optional<int64_t>(offset);
        }
        // Corrupt: Kafka deletes it too and falls back to the next older one (or a full replay).
        BROOK_STORAGE_TRYV(delete_snapshot(offset));
    }
}

}  // namespace storage
