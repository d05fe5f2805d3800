#include "broker/net/server.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "broker/net/connection.h"

namespace broker {
namespace asio = boost::asio;

server::server(asio::io_context& io, request_dispatcher& dispatcher, broker_metrics& metrics,
               int32_t max_request_bytes)
    : io_(io), acceptor_(io), dispatcher_(dispatcher), metrics_(metrics), max_request_bytes_(max_request_bytes) {}

result<void> server::listen(const endpoint& ep) {
    boost::system::error_code ec;
    auto address = asio::ip::make_address(ep.host.empty() ? "0.0.0.0" : ep.host, ec);
    if (ec) {
        asio::ip::tcp::resolver resolver(io_);
        auto results = resolver.resolve(ep.host, std::to_string(ep.port), ec);
        if (ec || results.empty()) {
            spdlog::error("cannot resolve listener host '{}': {}", ep.host, ec.message());
            return ec ? ec : std::make_error_code(std::errc::invalid_argument);
        }
        address = results.begin()->endpoint().address();
    }
    asio::ip::tcp::endpoint endpoint(address, ep.port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) {
        acceptor_.set_option(asio::ip::tcp::acceptor::reuse_address(true), ec);
    }
    if (!ec) {
        acceptor_.bind(endpoint, ec);
    }
    if (!ec) {
        acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    }
    if (ec) {
        spdlog::error("cannot listen on {}:{}: {}", ep.host, ep.port, ec.message());
        return ec;
    }
    port_ = acceptor_.local_endpoint().port();
    asio::co_spawn(acceptor_.get_executor(), accept_loop(), asio::detached);
    return boost::outcome_v2::success();
}

asio::awaitable<void> server::accept_loop() {
    while (acceptor_.is_open()) {
        boost::system::error_code ec;
        asio::ip::tcp::socket socket(asio::make_strand(io_));
        co_await acceptor_.async_accept(socket, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            if (ec == asio::error::operation_aborted || !acceptor_.is_open()) {
                co_return;
            }
            spdlog::warn("accept failed: {}", ec.message());
            continue;
        }
        auto conn = std::make_shared<connection>(std::move(socket), dispatcher_, max_request_bytes_, metrics_);
        {
            std::lock_guard lock(mutex_);
            std::erase_if(connections_, [](const auto& w) { return w.expired(); });
            connections_.push_back(conn);
        }
        conn->start();
    }
}

void server::stop() {
    asio::post(acceptor_.get_executor(), [this] {
        boost::system::error_code ec;
        acceptor_.close(ec);
    });
    std::vector<std::weak_ptr<connection>> conns;
    {
        std::lock_guard lock(mutex_);
        conns.swap(connections_);
    }
    for (auto& w : conns) {
        if (auto c = w.lock()) {
            c->stop();
        }
    }
}

}  // namespace broker
