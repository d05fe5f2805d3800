#include <algorithm>
#include <chrono>

#include "broker/handlers/handlers.h"
#include "broker/metrics.h"
#include "broker/replica_manager.h"
#include "protocol/errors.h"
#include "protocol/messages/fetch.h"

namespace broker {
namespace asio = boost::asio;
using protocol::error_code;

namespace {
using response = protocol::fetch_response;

// Reads every requested partition once. Returns the number of record bytes gathered.
// KIP-74: the first partition with data returns at least one whole batch even above max_bytes;
// after that, partitions get data only while the response stays under max_bytes.
// A follower's fetch (replica_id >= 0) reads up to the log end and, on the first pass only,
// reports the follower's position to the partition (its fetch offset says what it has).
size_t read_all(replica_manager& replicas, const protocol::fetch_request& req, response& resp,
                std::vector<std::shared_ptr<partition>>& touched, bool first_pass) {
    const bool follower = req.replica_id >= 0;
    size_t total = 0;
    const auto max_bytes = static_cast<size_t>(std::max<int32_t>(req.max_bytes, 0));
    resp.responses.clear();
    touched.clear();
    for (const auto& topic : req.topics) {
        auto& tr = resp.responses.emplace_back();
        tr.topic = topic.topic;
        for (const auto& fp : topic.partitions) {
            auto& pr = tr.partitions.emplace_back();
            pr.partition_index = fp.partition;
            pr.high_watermark = -1;
            pr.last_stable_offset = -1;
            pr.log_start_offset = -1;
            pr.preferred_read_replica = -1;
            pr.aborted_transactions = std::vector<response::fetchable_topic_response::partition_data::aborted_transaction>{};
            auto part = replicas.get(topic.topic, fp.partition);
            if (!part) {
                pr.error_code = static_cast<int16_t>(error_code::unknown_topic_or_partition);
                pr.records = protocol::record_set::view({});
                continue;
            }
            touched.push_back(part);
            uint32_t budget = 0;
            if (total < max_bytes || total == 0) {
                size_t left = total == 0 ? std::max<size_t>(max_bytes, 1) : max_bytes - total;
                budget = static_cast<uint32_t>(std::min<size_t>({left, static_cast<size_t>(std::max(fp.partition_max_bytes, 0)), UINT32_MAX}));
            }
            if (budget == 0 && total > 0) {
                // Over the response budget: report offsets only.
                pr.error_code = static_cast<int16_t>(error_code::none);
                pr.high_watermark = part->high_watermark();
                pr.last_stable_offset = pr.high_watermark;
                pr.log_start_offset = part->log_start_offset();
                pr.records = protocol::record_set::view({});
                continue;
            }
            if (follower && first_pass) {
                replicas.follower_fetched(part, req.replica_id, fp.fetch_offset, fp.log_start_offset);
            }
            auto r = part->read(fp.fetch_offset, budget == 0 ? 1 : budget,
                                follower ? reader_kind::follower : reader_kind::consumer, fp.current_leader_epoch);
            pr.error_code = static_cast<int16_t>(r.error);
            pr.high_watermark = r.high_watermark;
            // No transactions yet: the last stable offset is the high watermark.
            pr.last_stable_offset = r.high_watermark;
            pr.log_start_offset = r.log_start_offset;
            pr.records = r.error == error_code::none ? std::move(r.records) : protocol::record_set::view({});
            total += r.bytes;
        }
    }
    return total;
}
}  // namespace

asio::awaitable<dispatch_result> handlers::fetch(const protocol::request_header& h, protocol::wire::reader& in,
                                                 protocol::wire::writer& out) {
    protocol::fetch_request req;
    req.decode(in, h.api_version);
    ctx_.metrics.fetch_requests++;

    response resp;
    resp.session_id = 0;  // sessionless full fetches only (every target client sends session 0 / epoch -1)
    std::vector<std::shared_ptr<partition>> touched;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(std::max(req.max_wait_ms, 0));
    const size_t min_bytes = static_cast<size_t>(std::max(req.min_bytes, 0));

    size_t bytes = read_all(ctx_.replicas, req, resp, touched, true);
    // Long poll: park until one of the partitions has more to give (an append for a follower, a
    // high-watermark move for a consumer), or the deadline. Registration happens before the
    // re-read, so a change between read and wait is never missed.
    const wake_on wake = req.replica_id >= 0 ? wake_on::append : wake_on::high_watermark;
    while (min_bytes > 0 && bytes < min_bytes && std::chrono::steady_clock::now() < deadline) {
        bool any_error = std::any_of(resp.responses.begin(), resp.responses.end(), [](const auto& t) {
            return std::any_of(t.partitions.begin(), t.partitions.end(),
                               [](const auto& p) { return p.error_code != 0; });
        });
        if (any_error || touched.empty()) {
            break;
        }
        auto waiter = std::make_shared<fetch_waiter>(co_await asio::this_coro::executor);
        for (auto& p : touched) {
            p->add_waiter(waiter, wake);
        }
        bytes = read_all(ctx_.replicas, req, resp, touched, false);
        if (bytes >= min_bytes) {
            break;
        }
        waiter->timer.expires_at(deadline);
        if (!waiter->notified) {
            boost::system::error_code ec;
            co_await waiter->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        }
        bytes = read_all(ctx_.replicas, req, resp, touched, false);
    }
    resp.encode(out, h.api_version);
    co_return dispatch_result::respond;
}

}  // namespace broker
