// DeleteRecords (key 21, v0-v1): kafka-delete-records / AdminClient.deleteRecords move a
// partition's log start offset on its leader. The leader answers once the low watermark (the
// lowest log start over itself and its ISR followers, which report theirs in every fetch) has
// reached the new start, or REQUEST_TIMED_OUT after timeout_ms, as Kafka's DelayedDeleteRecords.
#include <algorithm>
#include <chrono>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "broker/handlers/handlers.h"
#include "broker/replica_manager.h"
#include "protocol/errors.h"
#include "protocol/messages/delete_records.h"

namespace broker {
namespace asio = boost::asio;
using protocol::error_code;

namespace {
// Followers report their log start only in fetches; polling at this interval bounds the extra
// latency without any per-fetch wake-up machinery for a rare admin request.
constexpr auto low_watermark_poll = std::chrono::milliseconds(25);
}  // namespace

asio::awaitable<dispatch_result> handlers::delete_records(const protocol::request_header& h,
                                                          protocol::wire::reader& in, protocol::wire::writer& out) {
    protocol::delete_records_request req;
    req.decode(in, h.api_version);
    using result = protocol::delete_records_response::delete_records_topic_result::delete_records_partition_result;

    struct pending {
        result* slot;
        std::shared_ptr<partition> part;
        int64_t required;  // the log start the leader reached
    };
    protocol::delete_records_response resp;
    resp.throttle_time_ms = 0;
    std::vector<pending> waiting;
    // Every slot is in place before pointers to them are taken (no reallocation afterwards).
    resp.topics.reserve(req.topics.size());
    for (const auto& t : req.topics) {
        auto& tr = resp.topics.emplace_back();
        tr.name = t.name;
        tr.partitions.reserve(t.partitions.size());
        const bool allowed = ctx_.replicas.deletion_allowed(t.name);
        for (const auto& p : t.partitions) {
            auto& pr = tr.partitions.emplace_back();
            pr.partition_index = p.partition_index;
            pr.low_watermark = -1;
            auto part = ctx_.replicas.get(t.name, p.partition_index);
            if (!part) {
                pr.error_code = protocol::to_wire(error_code::unknown_topic_or_partition);
                continue;
            }
            if (!allowed && part->is_leader()) {
                // Kafka: records of a compact-only topic are removed by the cleaner alone.
                pr.error_code = protocol::to_wire(error_code::policy_violation);
                continue;
            }
            int64_t low = -1;
            const error_code ec = part->delete_records(p.offset, low);
            pr.error_code = protocol::to_wire(ec);
            if (ec == error_code::none) {
                waiting.push_back({&pr, part, low});
            }
        }
    }

    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(std::max(req.timeout_ms, 0));
    asio::steady_timer timer(co_await asio::this_coro::executor);
    while (true) {
        std::erase_if(waiting, [](const pending& w) {
            const int64_t low = w.part->low_watermark();
            if (low < 0 && !w.part->is_leader()) {
                // Leadership moved while waiting: the new leader has the request's effect or not.
                w.slot->error_code = protocol::to_wire(error_code::not_leader_or_follower);
                return true;
            }
            if (low >= w.required) {
                w.slot->low_watermark = low;
                return true;
            }
            return false;
        });
        if (waiting.empty() || std::chrono::steady_clock::now() >= deadline) break;
        timer.expires_after(std::min<std::chrono::steady_clock::duration>(low_watermark_poll,
                                                                           deadline - std::chrono::steady_clock::now()));
        boost::system::error_code ignored;
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
    for (auto& w : waiting) {
        // The leader's log start moved; some ISR follower has not caught up with it in time.
        w.slot->error_code = protocol::to_wire(error_code::request_timed_out);
        w.slot->low_watermark = w.part->low_watermark();
    }
    resp.encode(out, h.api_version);
    co_return dispatch_result::respond;
}

}  // namespace broker
