#include "broker/group/replica_offsets_log.h"

#include <chrono>
#include <limits>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "broker/partition.h"
#include "broker/replica_manager.h"
#include "protocol/records/record_batch.h"

namespace broker::group {
namespace asio = boost::asio;
using protocol::error_code;

namespace {
// Loading reads the log in chunks of this size (whole batches; a larger batch comes whole).
constexpr uint32_t load_chunk_bytes = 4 << 20;
}

void replica_offsets_log::append(int32_t p, int32_t leader_epoch, std::vector<uint8_t> batch,
                                 std::function<void(error_code)> done) {
    auto part = replicas_.get(offsets_topic, p);
    if (!part) {
        done(error_code::not_leader_or_follower);
        return;
    }
    if (!part->is_leader() || part->leader_epoch() != leader_epoch) {
        // The coordinator loaded this partition under another leadership: its state may be stale.
        done(error_code::not_leader_or_follower);
        return;
    }
    auto r = part->append(batch, std::numeric_limits<int32_t>::max(), -1);
    if (r.error != error_code::none) {
        done(r.error);
        return;
    }
    const int64_t required = r.last_offset + 1;
    // Parked until the ISR has the batch: a waiter on its own strand, woken by high-watermark
    // moves and role changes (as an acks=all produce is), never a sleeping thread.
    asio::co_spawn(
        asio::make_strand(ex_),
        [part, required, timeout = commit_timeout_ms_, done = std::move(done)]() -> asio::awaitable<void> {
            const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout);
            for (;;) {
                auto waiter = std::make_shared<fetch_waiter>(co_await asio::this_coro::executor);
                part->add_waiter(waiter, wake_on::high_watermark);
                if (auto status = part->acks_all_status(required)) {
                    done(*status);
                    co_return;
                }
                if (std::chrono::steady_clock::now() >= deadline) {
                    done(error_code::request_timed_out);
                    co_return;
                }
                waiter->timer.expires_at(deadline);
                if (!waiter->notified) {
                    boost::system::error_code ec;
                    co_await waiter->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
                }
            }
        },
        asio::detached);
}

error_code replica_offsets_log::read_all(int32_t p, std::vector<uint8_t>& out) {
    auto part = replicas_.get(offsets_topic, p);
    if (!part) return error_code::not_leader_or_follower;
    int64_t offset = part->log_start_offset();
    const int64_t end = part->log_end_offset();
    while (offset < end) {
        auto r = part->read(offset, load_chunk_bytes, reader_kind::follower);
        if (r.error != error_code::none) return r.error;
        std::vector<uint8_t> chunk = r.records.to_bytes();
        if (chunk.empty()) break;
        protocol::records::batch_iterator it(chunk);
        int64_t next = offset;
        size_t whole = 0;
        while (auto b = it.next()) {
            next = b->last_offset() + 1;
            whole = it.position();
        }
        if (whole == 0) return error_code::corrupt_message;
        out.insert(out.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(whole));
        offset = next;
    }
    return error_code::none;
}

int64_t replica_offsets_log::log_end_offset(int32_t p) {
    auto part = replicas_.get(offsets_topic, p);
    return part && part->is_leader() ? part->log_end_offset() : -1;
}

void replica_offsets_log::delete_segments_below(int32_t p, int64_t offset) {
    // Followers follow through the log start offset of their fetch responses.
    if (auto part = replicas_.get(offsets_topic, p)) part->delete_segments_below(offset);
}

}  // namespace broker::group
