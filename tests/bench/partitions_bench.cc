// brook-partitions-bench: what thousands of idle partitions cost a broker process. A child
// process fills --partitions logs with --segments small segments each through storage's
// log_manager and shuts it down cleanly (a stopped broker's log dirs); the parent then opens
// them as a restarted broker does and reports open file descriptors (/proc/self/fd) and VmRSS
// (/proc/self/status) before and after the open, after one read from every partition's oldest
// segment (a consumer from the beginning) and after a timestamp lookup in each. Prints figures;
// not a ctest test.
#include <malloc.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "protocol/records/record_batch_builder.h"
#include "storage/log_manager.h"

namespace {

namespace fs = std::filesystem;
namespace po = boost::program_options;
namespace rec = protocol::records;

size_t open_fds() {
    size_t n = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator("/proc/self/fd")) ++n;
    return n - 1;  // the directory iterator's own fd
}

/// VmRSS in KiB.
long rss_kib() {
    std::ifstream f("/proc/self/status");
    std::string line;
    while (std::getline(f, line)) {
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    }
    return -1;
}

/// Bytes malloc has handed out and not got back (glibc mallinfo2: arena + mmapped chunks).
/// VmRSS keeps freed heap pages the allocator did not return, so it overstates what is live.
long heap_kib() {
    const auto mi = ::mallinfo2();
    return static_cast<long>((mi.uordblks + mi.hblkhd) / 1024);
}

struct sample {
    size_t fds;
    long rss;
    long heap;
};
sample now_sample() { return {open_fds(), rss_kib(), heap_kib()}; }

void report(const char* what, const sample& base, const sample& s, int partitions) {
    std::printf("%-44s fds %7zu (%+.2f/partition)  VmRSS %7.1f MiB (%+.2f KiB/partition)  "
                "heap in use %7.1f MiB (%+.2f KiB/partition)\n",
                what, s.fds, (static_cast<double>(s.fds) - static_cast<double>(base.fds)) / partitions,
                static_cast<double>(s.rss) / 1024.0, static_cast<double>(s.rss - base.rss) / partitions,
                static_cast<double>(s.heap) / 1024.0, static_cast<double>(s.heap - base.heap) / partitions);
}

std::vector<uint8_t> make_batch(size_t bytes, int64_t ts) {
    rec::record_batch_builder b;
    std::string value(bytes, 'v');
    rec::record_input r;
    r.value = rec::as_bytes(value);
    r.timestamp = ts;
    b.add(r);
    return b.build();
}

struct bench_settings {
    uint64_t segment_bytes = 16384;
    uint32_t index_interval_bytes = 1024;
    uint32_t max_open_sealed = 2;
    size_t batch_bytes = 1000;
};

storage::log_config bench_config(const bench_settings& b) {
    storage::log_config cfg;
    cfg.segment_bytes = b.segment_bytes;
    cfg.index_interval_bytes = b.index_interval_bytes;
    cfg.max_open_sealed_segments = b.max_open_sealed;
    return cfg;
}

/// Writes the partition dirs one log at a time (each closed before the next, so filling needs
/// few fds whatever the open segments cost), then the clean-shutdown marker, as log_manager's
/// shutdown() leaves a log dir.
int fill(const fs::path& dir, int partitions, int segments, const bench_settings& settings) {
    const size_t batch_bytes = settings.batch_bytes;
    for (int p = 0; p < partitions; ++p) {
        auto l = storage::log::open(dir / ("bench-" + std::to_string(p)), bench_config(settings));
        if (!l) {
            std::fprintf(stderr, "partition %d: %s\n", p, l.error().message().c_str());
            return 1;
        }
        int64_t ts = 1'700'000'000'000;
        // Until the last segment has started: `segments` segments, the last one active.
        while (static_cast<int>(l.value()->segment_count()) < segments) {
            auto b = make_batch(batch_bytes, ts++);
            if (auto r = l.value()->append(b, 0, 0); !r) {
                std::fprintf(stderr, "append: %s\n", r.error().message().c_str());
                return 1;
            }
        }
        if (!l.value()->flush()) return 1;
        l.value()->close();
    }
    std::ofstream(dir / storage::log_manager::clean_shutdown_file).flush();
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    po::options_description d("brook-partitions-bench: fds and memory of many idle partitions");
    // clang-format off
    d.add_options()
        ("partitions", po::value<int>()->default_value(5000), "partitions (one topic)")
        ("segments", po::value<int>()->default_value(3), "segments per partition (the last one active)")
        ("segment-bytes", po::value<uint64_t>()->default_value(16384), "segment.bytes")
        ("index-interval-bytes", po::value<uint32_t>()->default_value(1024), "index.interval.bytes")
        ("batch-bytes", po::value<size_t>()->default_value(1000), "value bytes of the one record per batch")
        ("max-open-sealed", po::value<uint32_t>()->default_value(2),
         "log_config::max_open_sealed_segments (a huge value: every segment read stays loaded)")
        ("dir", po::value<std::string>(),
         "log dir (default: a temp dir, removed at the end); one already holding bench-0 is reused as is")
        ("help", "usage");
    // clang-format on
    po::variables_map vm;
    try {
        po::store(po::parse_command_line(argc, argv, d), vm);
    } catch (const po::error& e) {
        std::cerr << "Error: " << e.what() << '\n';
        return 1;
    }
    if (vm.count("help")) {
        std::cout << d;
        return 0;
    }
    const int partitions = vm["partitions"].as<int>();
    const int segments = vm["segments"].as<int>();
    bench_settings settings;
    settings.segment_bytes = vm["segment-bytes"].as<uint64_t>();
    settings.index_interval_bytes = vm["index-interval-bytes"].as<uint32_t>();
    settings.batch_bytes = vm["batch-bytes"].as<size_t>();
    settings.max_open_sealed = vm["max-open-sealed"].as<uint32_t>();
    const uint64_t segment_bytes = settings.segment_bytes;
    fs::path dir;
    bool remove_dir = false;
    if (vm.count("dir")) {
        dir = vm["dir"].as<std::string>();
    } else {
        std::string tmpl = (fs::temp_directory_path() / "brook-partitions-bench-XXXXXX").string();
        if (!::mkdtemp(tmpl.data())) return 1;
        dir = tmpl;
        remove_dir = true;
    }
    rlimit lim{};
    ::getrlimit(RLIMIT_NOFILE, &lim);
    std::printf("%d partitions x %d segments of %llu bytes (%zu-byte values, index.interval.bytes %u, "
                "max_open_sealed_segments %u), RLIMIT_NOFILE %llu, dir %s\n",
                partitions, segments, static_cast<unsigned long long>(segment_bytes), settings.batch_bytes,
                settings.index_interval_bytes, settings.max_open_sealed,
                static_cast<unsigned long long>(lim.rlim_cur), dir.c_str());

    if (fs::exists(dir / "bench-0")) {
        std::printf("reusing the partitions in %s\n", dir.c_str());
    } else {
        // In a child, so that what filling allocated is not part of the figures below.
        const auto t0 = std::chrono::steady_clock::now();
        const pid_t child = ::fork();
        if (child == 0) ::_exit(fill(dir, partitions, segments, settings));
        int status = 0;
        ::waitpid(child, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            std::fprintf(stderr, "filling the logs failed\n");
            return 1;
        }
        std::printf("filled in %.1f s\n", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }

    const sample base = now_sample();
    report("before open", base, base, partitions);
    const auto t1 = std::chrono::steady_clock::now();
    auto m = storage::log_manager::open({dir}, bench_config(settings));
    if (!m) {
        std::fprintf(stderr, "open: %s\n", m.error().message().c_str());
        return 1;
    }
    const double open_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
    report("after open (clean shutdown before)", base, now_sample(), partitions);
    std::printf("  open took %.2f s\n", open_s);

    int failures = 0;
    for (int p = 0; p < partitions; ++p) {
        auto* l = m.value()->get("bench", p);
        if (!l || !l->read(l->log_start_offset(), 1 << 20, INT64_MAX)) ++failures;
    }
    report("after one read from every oldest segment", base, now_sample(), partitions);
    for (int p = 0; p < partitions; ++p) {
        auto* l = m.value()->get("bench", p);
        if (!l || !l->offset_for_timestamp(1'700'000'000'000 + 3)) ++failures;
    }
    report("after offset_for_timestamp in every log", base, now_sample(), partitions);
    for (int p = 0; p < partitions; ++p) {
        auto* l = m.value()->get("bench", p);
        if (!l) continue;
        for (int64_t b : l->segment_base_offsets()) {
            if (!l->read(b, 1, INT64_MAX)) ++failures;
        }
    }
    report("after a read from every segment of every log", base, now_sample(), partitions);
    if (failures) std::printf("%d reads failed\n", failures);
    // shutdown() leaves the clean-shutdown marker, so a reused --dir opens the same way again.
    (void)m.value()->shutdown();
    m.value().reset();
    report("after shutdown", base, now_sample(), partitions);
    if (remove_dir) {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
    return failures ? 1 : 0;
}
