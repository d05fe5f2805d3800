#pragma once

#include <atomic>
#include <cstdint>

namespace broker {

/// Process-wide counters (relaxed atomics: read for logs and tests, never for decisions).
/// Counters instead of per-request log lines keep the data path cheap.
struct broker_metrics {
    std::atomic<uint64_t> connections_opened{0};
    std::atomic<uint64_t> connections_closed{0};
    std::atomic<uint64_t> requests{0};
    std::atomic<uint64_t> bad_requests{0};
    std::atomic<uint64_t> produced_batches{0};
    std::atomic<uint64_t> duplicate_batches{0};  // idempotent retries answered without appending
    std::atomic<uint64_t> produced_bytes{0};
    std::atomic<uint64_t> fetch_requests{0};
    std::atomic<uint64_t> bytes_sent_sendfile{0};
};

}  // namespace broker
