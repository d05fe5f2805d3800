#pragma once

#include <chrono>
#include <cstdint>

namespace broker {

/// Milliseconds since the Unix epoch: what Kafka stores (batch append times, segment ages,
/// follower caught-up times), comparable across restarts.
inline int64_t wall_clock_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace broker
