#include "broker/net/connection.h"

#include <sys/sendfile.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include "broker/metrics.h"
#include "broker/request_dispatcher.h"

namespace broker {
namespace asio = boost::asio;
using asio::use_awaitable;

namespace {
// The read buffer starts at 64 KiB and grows to hold the largest frame seen; a produce request of
// librdkafka's default batch size (1 MB) then needs a single read when the socket has it all.
constexpr size_t initial_read_buffer = 64 * 1024;
// Above this a grown read buffer is released when empty (one 100 MB request must not pin 100 MB).
constexpr size_t max_retained_read_buffer = 8 * 1024 * 1024;
// The reader pauses while this much response data waits for a slow client (fetch responses can
// be large); it bounds memory per connection without dropping anything.
constexpr size_t max_outbox_bytes = 64 * 1024 * 1024;

int32_t read_be32(const uint8_t* p) {
    return static_cast<int32_t>((uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) |
                                uint32_t(p[3]));
}
}  // namespace

connection::connection(asio::ip::tcp::socket socket, request_dispatcher& dispatcher, int32_t max_request_bytes,
                       broker_metrics& metrics)
    : socket_(std::move(socket)),
      dispatcher_(dispatcher),
      metrics_(metrics),
      max_request_bytes_(max_request_bytes),
      writer_signal_(socket_.get_executor()),
      reader_signal_(socket_.get_executor()) {
    boost::system::error_code ec;
    auto ep = socket_.remote_endpoint(ec);
    peer_ = ec ? std::string("unknown") : ep.address().to_string() + ":" + std::to_string(ep.port());
    socket_.set_option(asio::ip::tcp::no_delay(true), ec);
    writer_signal_.expires_at(std::chrono::steady_clock::time_point::max());
    reader_signal_.expires_at(std::chrono::steady_clock::time_point::max());
}

void connection::start() {
    metrics_.connections_opened++;
    asio::co_spawn(socket_.get_executor(), [self = shared_from_this()] { return self->reader(); }, asio::detached);
    asio::co_spawn(socket_.get_executor(), [self = shared_from_this()] { return self->writer(); }, asio::detached);
}

void connection::stop() {
    asio::post(socket_.get_executor(), [self = shared_from_this()] { self->close(nullptr); });
}

void connection::close(const char* why) {
    if (closed_) {
        return;
    }
    closed_ = true;
    metrics_.connections_closed++;
    if (why != nullptr) {
        spdlog::warn("closing connection from {}: {}", peer_, why);
    }
    boost::system::error_code ec;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    socket_.close(ec);
    writer_signal_.cancel();
    reader_signal_.cancel();
}

asio::awaitable<void> connection::reader() {
    std::vector<uint8_t> buf(initial_read_buffer);
    size_t begin = 0;  // first unconsumed byte
    size_t end = 0;    // one past the last byte read
    try {
        while (!closed_) {
            // Split and handle every complete frame already buffered.
            while (!closed_ && end - begin >= 4) {
                int32_t size = read_be32(buf.data() + begin);
                if (size < 0 || size > max_request_bytes_) {
                    metrics_.bad_requests++;
                    spdlog::warn("request of {} bytes from {} exceeds socket.request.max.bytes ({}) or is invalid",
                                 size, peer_, max_request_bytes_);
                    close("frame size out of range");
                    co_return;
                }
                size_t frame_end = begin + 4 + static_cast<size_t>(size);
                if (frame_end > end) {
                    // Incomplete: make room for the whole frame behind `begin`, moving the partial
                    // frame to the front and growing the buffer if the frame is larger than it.
                    if (frame_end > buf.size()) {
                        std::memmove(buf.data(), buf.data() + begin, end - begin);
                        end -= begin;
                        begin = 0;
                        buf.resize(std::max(buf.size(), 4 + static_cast<size_t>(size)));
                    }
                    break;
                }
                auto out = std::make_unique<protocol::wire::writer>();
                out->write_int32(0);  // size, patched below
                auto result = co_await dispatcher_.dispatch(
                    std::span<uint8_t>(buf.data() + begin + 4, static_cast<size_t>(size)), peer_, *out);
                begin = frame_end;
                metrics_.requests++;
                if (result == dispatch_result::close) {
                    metrics_.bad_requests++;
                    close("bad request");
                    co_return;
                }
                if (result == dispatch_result::respond && !closed_) {
                    out->patch_int32(0, static_cast<int32_t>(out->size() - 4));
                    outbox_bytes_ += out->size();
                    outbox_.push_back(std::move(out));
                    writer_signal_.cancel_one();
                }
            }
            if (closed_) {
                break;
            }
            // Back-pressure: wait for the writer when a slow client lets responses pile up.
            while (!closed_ && outbox_bytes_ > max_outbox_bytes) {
                boost::system::error_code ec;
                co_await reader_signal_.async_wait(asio::redirect_error(use_awaitable, ec));
            }
            if (begin == end) {
                begin = end = 0;
                if (buf.size() > max_retained_read_buffer) {
                    // A rare huge request grew the buffer; give the memory back once it is handled.
                    // Ordinary produce requests (up to ~1 MB) keep theirs: no allocation per request.
                    buf.resize(initial_read_buffer);
                    buf.shrink_to_fit();
                }
            } else if (begin > 0 && buf.size() - end < 4096) {
                std::memmove(buf.data(), buf.data() + begin, end - begin);
                end -= begin;
                begin = 0;
            }
            boost::system::error_code ec;
            size_t n = co_await socket_.async_read_some(asio::buffer(buf.data() + end, buf.size() - end),
                                                        asio::redirect_error(use_awaitable, ec));
            if (ec) {
                close(nullptr);
                break;
            }
            end += n;
        }
    } catch (const std::exception& e) {
        spdlog::error("connection {}: {}", peer_, e.what());
        close("internal error");
    }
}

asio::awaitable<void> connection::write_batch(const std::deque<std::unique_ptr<protocol::wire::writer>>& outs) {
    // Memory pieces of consecutive responses are gathered into one write; a file piece flushes
    // what was gathered and then goes out with sendfile.
    std::vector<asio::const_buffer> batch;
    for (const auto& out : outs) {
    for (const auto& piece : out->pieces()) {
        if (piece.kind == protocol::wire::writer::piece::memory) {
            batch.emplace_back(piece.data, piece.size);
            continue;
        }
        if (!batch.empty()) {
            co_await asio::async_write(socket_, batch, use_awaitable);
            batch.clear();
        }
        // Log bytes go file -> socket without passing through user space.
        auto offset = static_cast<off_t>(piece.file_offset);
        size_t left = piece.size;
        while (left > 0) {
            ssize_t n = ::sendfile(socket_.native_handle(), piece.fd, &offset, left);
            if (n > 0) {
                left -= static_cast<size_t>(n);
                metrics_.bytes_sent_sendfile += static_cast<uint64_t>(n);
                continue;
            }
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                co_await socket_.async_wait(asio::ip::tcp::socket::wait_write, use_awaitable);
                continue;
            }
            if (n < 0 && errno == EINTR) {
                continue;
            }
            throw std::runtime_error(n == 0 ? "sendfile: log file shorter than expected"
                                            : std::string("sendfile: ") + std::strerror(errno));
        }
    }
    }
    if (!batch.empty()) {
        co_await asio::async_write(socket_, batch, use_awaitable);
    }
}

asio::awaitable<void> connection::writer() {
    try {
        socket_.native_non_blocking(true);
        while (!closed_) {
            if (outbox_.empty()) {
                boost::system::error_code ec;
                co_await writer_signal_.async_wait(asio::redirect_error(use_awaitable, ec));
                continue;
            }
            // Take everything queued so far: consecutive responses go out in few syscalls.
            auto batch = std::move(outbox_);
            outbox_.clear();
            co_await write_batch(batch);
            for (auto& out : batch) {
                outbox_bytes_ -= out->size();
            }
            reader_signal_.cancel_one();
        }
    } catch (const std::exception& e) {
        close(nullptr);
    }
}

}  // namespace broker
