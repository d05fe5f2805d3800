#pragma once

#include <chrono>
#include <cstdint>

namespace test_support {

/// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read it back, close).
/// Another process may take it before the caller binds it; on this single test machine that
/// race has not been worth a lock file.
std::uint16_t free_port();

/// True once a TCP connect to 127.0.0.1:port succeeds (polling every 50 ms), false after timeout.
bool wait_for_port(std::uint16_t port, std::chrono::milliseconds timeout);

/// One connect attempt to 127.0.0.1:port.
bool port_accepts(std::uint16_t port);

}  // namespace test_support
