#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "broker/config.h"

namespace broker {

class connection;
class request_dispatcher;
struct broker_metrics;

/// The Kafka listener: accepts connections and gives each its own strand. Owned by the
/// application; `stop()` closes the acceptor and every live connection (any thread).
class server {
public:
    server(boost::asio::io_context& io, request_dispatcher& dispatcher, broker_metrics& metrics,
           int32_t max_request_bytes);
    server(const server&) = delete;
    server& operator=(const server&) = delete;

    /// Binds and listens; errors (port in use, bad address) come back as a message.
    result<void> listen(const endpoint& ep);
    void stop();
    uint16_t port() const { return port_; }

private:
    boost::asio::awaitable<void> accept_loop();

    boost::asio::io_context& io_;
    boost::asio::ip::tcp::acceptor acceptor_;
    request_dispatcher& dispatcher_;
    broker_metrics& metrics_;
    int32_t max_request_bytes_;
    uint16_t port_ = 0;

    std::mutex mutex_;  // guards connections_
    std::vector<std::weak_ptr<connection>> connections_;
};

}  // namespace broker
