#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "protocol/wire/writer.h"

namespace broker {

class request_dispatcher;
struct broker_metrics;

/// One client connection. Owned by itself (shared_from_this) while its coroutines run; the
/// connection_manager keeps a weak reference to close it on shutdown.
///
/// Threading: everything runs on the connection's own strand. A reader coroutine splits frames
/// out of a large read buffer, hands each one to the dispatcher and queues the encoded response;
/// a writer coroutine drains the queue with gather writes, sending log-file pieces with sendfile.
/// Requests of one connection are handled strictly one after another, so responses leave in
/// request order (Kafka clients require it) and produce requests of one producer stay ordered.
class connection : public std::enable_shared_from_this<connection> {
public:
    connection(boost::asio::ip::tcp::socket socket, request_dispatcher& dispatcher,
               int32_t max_request_bytes, broker_metrics& metrics);
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    /// Spawns the reader and writer coroutines on the socket's executor (a strand).
    void start();
    /// Closes the socket; the coroutines end at their next wait. Safe from any thread.
    void stop();

    const std::string& peer() const { return peer_; }

private:
    boost::asio::awaitable<void> reader();
    boost::asio::awaitable<void> writer();
    boost::asio::awaitable<void> write_batch(const std::deque<std::unique_ptr<protocol::wire::writer>>& outs);
    void close(const char* why);

    boost::asio::ip::tcp::socket socket_;
    request_dispatcher& dispatcher_;
    broker_metrics& metrics_;
    int32_t max_request_bytes_;
    std::string peer_;

    // Encoded responses waiting for the writer, in request order. Each writer holds the
    // 4-byte size, the response header and the body (possibly with file pieces).
    std::deque<std::unique_ptr<protocol::wire::writer>> outbox_;
    size_t outbox_bytes_ = 0;
    // Wakes the writer when outbox_ gets work and the reader when the outbox drains.
    boost::asio::steady_timer writer_signal_;
    boost::asio::steady_timer reader_signal_;
    bool closed_ = false;
};

}  // namespace broker
