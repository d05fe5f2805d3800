// brook-storage-bench: Google Benchmark figures for storage::log on this machine's disk —
// append of 1 MiB batches, append of 100-byte-record batches (1,000 records and 1 record per
// batch), and sequential read (log::read + pread of the returned slices). Not a ctest test: it
// prints figures (bytes_per_second, items_per_second) to compare with `dd` buffered writes.
//
// The logs live in a fresh temp dir under $BROOK_BENCH_DIR (default: the system temp dir), which
// should be on the disk being measured; each benchmark run starts from an empty log and deletes
// it afterwards. Appends are buffered writes (no fsync: the broker flushes on its own schedule);
// the fdatasync of everything a run wrote is reported separately as the `flush_s` counter.
// Rates use wall-clock time (UseRealTime): I/O waits are what is being measured.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "protocol/records/record_batch_builder.h"
#include "storage/log.h"

namespace {

namespace fs = std::filesystem;
namespace rec = protocol::records;

fs::path bench_root() {
    const char* env = std::getenv("BROOK_BENCH_DIR");
    return env ? fs::path(env) : fs::temp_directory_path();
}

/// A directory removed (with the logs in it) when the run ends; setup and teardown are outside
/// the timed loop.
class run_dir {
public:
    run_dir() {
        std::string tmpl = (bench_root() / "brook-storage-bench-XXXXXX").string();
        if (!::mkdtemp(tmpl.data())) std::abort();
        path_ = tmpl;
    }
    ~run_dir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

storage::log_config bench_config() {
    storage::log_config cfg;  // broker defaults: 1 GiB segments, 4 KiB index interval
    cfg.max_batch_bytes = 2 << 20;
    return cfg;
}

std::unique_ptr<storage::log> open_log(const fs::path& dir) {
    auto r = storage::log::open(dir / "bench-0", bench_config());
    if (!r) std::abort();
    return std::move(r).value();
}

/// One uncompressed batch of `records` records with `value_size`-byte values and no key.
std::vector<uint8_t> make_batch(int records, size_t value_size) {
    rec::record_batch_builder b;
    std::string value(value_size, 'x');
    for (int i = 0; i < records; ++i) {
        value[0] = static_cast<char>('a' + i % 26);
        rec::record_input r;
        r.value = rec::as_bytes(value);
        r.timestamp = 1'700'000'000'000 + i;
        b.add(r);
    }
    return b.build();
}

void append_loop(benchmark::State& state, std::vector<uint8_t> batch, int records_per_batch) {
    run_dir dir;
    auto log = open_log(dir.path());
    int64_t now = 0;
    for (auto _ : state) {
        // append rewrites base offset and leader epoch in place (outside the CRC), so the same
        // buffer is valid for every call: what is measured is validation (CRC-32C) + pwrite.
        auto r = log->append(batch, 0, ++now);
        if (!r) {
            state.SkipWithError(r.error().message().c_str());
            break;
        }
    }
    const auto t0 = std::chrono::steady_clock::now();
    if (!log->flush()) state.SkipWithError("flush failed");
    const std::chrono::duration<double> flush = std::chrono::steady_clock::now() - t0;
    state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(batch.size()));
    state.SetItemsProcessed(state.iterations() * records_per_batch);
    state.counters["batch_bytes"] = static_cast<double>(batch.size());
    state.counters["flush_s"] = flush.count();
    state.counters["written_MiB"] =
        static_cast<double>(state.iterations()) * static_cast<double>(batch.size()) / (1 << 20);
}

/// 1 MiB batches: 16 records of 64 KiB (what a producer with batch.size=1 MiB sends).
void BM_append_1mib_batches(benchmark::State& state) {
    append_loop(state, make_batch(16, 65536 - 16), 16);
}
BENCHMARK(BM_append_1mib_batches)->Unit(benchmark::kMicrosecond)->MinTime(2.0)->UseRealTime();

/// Batches of state.range(0) records of 100 bytes each.
void BM_append_100b_records(benchmark::State& state) {
    const int n = static_cast<int>(state.range(0));
    append_loop(state, make_batch(n, 100), n);
}
BENCHMARK(BM_append_100b_records)->Arg(1000)->Arg(1)->Unit(benchmark::kMicrosecond)->MinTime(2.0)->UseRealTime();

/// Sequential read of a log of `log_mib` MiB made of batches of range(0) records of range(1)
/// bytes, in fetches of 1 MiB (a consumer's fetch.max.bytes): log::read for the slices, then
/// pread of each slice into a buffer. The file was just written, so this is page-cache speed
/// (as for a consumer at the head of the log), not disk speed.
void BM_sequential_read(benchmark::State& state) {
    const int records = static_cast<int>(state.range(0));
    const size_t value = static_cast<size_t>(state.range(1));
    constexpr uint64_t log_bytes = 512ull << 20;
    run_dir dir;
    auto log = open_log(dir.path());
    auto batch = make_batch(records, value);
    for (uint64_t written = 0; written < log_bytes; written += batch.size()) {
        if (!log->append(batch, 0, 0)) std::abort();
    }
    std::vector<uint8_t> buf(4 << 20);
    int64_t offset = 0;
    uint64_t bytes = 0;
    int64_t items = 0;
    for (auto _ : state) {
        if (offset >= log->log_end_offset()) offset = 0;  // wrap: the timed loop keeps reading
        auto r = log->read(offset, 1 << 20, INT64_MAX);
        if (!r) {
            state.SkipWithError(r.error().message().c_str());
            break;
        }
        uint64_t got = 0;
        for (const auto& s : r.value().slices) {
            if (s.size > buf.size()) buf.resize(s.size);
            ssize_t n = ::pread(s.fd, buf.data(), s.size, static_cast<off_t>(s.position));
            if (n != static_cast<ssize_t>(s.size)) {
                state.SkipWithError("short pread");
                break;
            }
            got += s.size;
        }
        benchmark::DoNotOptimize(buf.data());
        const int64_t fetched_batches = static_cast<int64_t>(got / batch.size());
        offset += fetched_batches * records;
        bytes += got;
        items += fetched_batches * records;
    }
    state.SetBytesProcessed(static_cast<int64_t>(bytes));
    state.SetItemsProcessed(items);
    state.counters["batch_bytes"] = static_cast<double>(batch.size());
}
BENCHMARK(BM_sequential_read)
    ->Args({16, 65536 - 16})  // 1 MiB batches
    ->Args({1000, 100})       // 1,000 x 100 B batches
    ->Args({1, 100})          // 1 x 100 B batches
    ->Unit(benchmark::kMicrosecond)
    ->MinTime(2.0)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
