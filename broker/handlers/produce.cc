#include <algorithm>
#include <chrono>

#include "broker/group/replica_offsets_log.h"
#include "broker/handlers/handlers.h"
#include "broker/metrics.h"
#include "broker/replica_manager.h"
#include "protocol/errors.h"
#include "protocol/messages/produce.h"

namespace broker {
namespace asio = boost::asio;
using protocol::error_code;

asio::awaitable<dispatch_result> handlers::produce(const protocol::request_header& h, protocol::wire::reader& in,
                                                   protocol::wire::writer& out) {
    protocol::produce_request req;
    req.decode(in, h.api_version);

    // An acks=all append is acknowledged once the high watermark passes it (every ISR member has
    // it); until then the request is parked here, woken by high-watermark moves, ISR changes and
    // leadership changes, or answered REQUEST_TIMED_OUT at its timeout.
    struct pending {
        protocol::produce_response::topic_produce_response::partition_produce_response* response;
        std::shared_ptr<partition> part;
        int64_t required_offset;
    };
    std::vector<pending> waiting;

    const bool acks_valid = req.acks == 0 || req.acks == 1 || req.acks == -1;
    protocol::produce_response resp;
    resp.responses.reserve(req.topic_data.size());
    for (auto& topic : req.topic_data) {
        auto& tr = resp.responses.emplace_back();
        tr.name = topic.name;
        tr.partition_responses.reserve(topic.partition_data.size());
        for (auto& pd : topic.partition_data) {
            auto& pr = tr.partition_responses.emplace_back();
            pr.index = pd.index;
            pr.base_offset = -1;
            if (!acks_valid) {
                pr.error_code = static_cast<int16_t>(error_code::invalid_required_acks);
                continue;
            }
            if (req.transactional_id.has_value()) {
                // Transactions are not served yet: refuse rather than store what we cannot commit.
                pr.error_code = static_cast<int16_t>(error_code::transactional_id_authorization_failed);
                continue;
            }
            if (topic.name == group::offsets_topic) {
                // Only the group coordinator writes its log (Kafka: "Cannot append to internal topic").
                pr.error_code = static_cast<int16_t>(error_code::invalid_topic_exception);
                continue;
            }
            auto part = ctx_.replicas.get(topic.name, pd.index);
            if (!part) {
                pr.error_code = static_cast<int16_t>(error_code::unknown_topic_or_partition);
                continue;
            }
            auto bytes = pd.records.memory();
            if (pd.records.is_null() || bytes.empty()) {
                pr.error_code = static_cast<int16_t>(error_code::corrupt_message);
                continue;
            }
            // Produce v0-v2 (advertised for librdkafka's compression gate, see api_registry.h) may
            // carry MessageSet v0/v1; Brook stores only record batch v2 (magic at byte 16) and
            // converts nothing, so such a partition is refused with the code Kafka uses for a
            // message format the broker will not handle.
            if (bytes.size() > 16 && bytes[16] < 2) {
                pr.error_code = static_cast<int16_t>(error_code::unsupported_for_message_format);
                continue;
            }
            // The records are a view into this connection's read buffer, which it owns and lets us
            // rewrite: offsets and leader epoch are assigned in place, the bytes are stored as they are.
            std::span<uint8_t> writable(const_cast<uint8_t*>(bytes.data()), bytes.size());
            auto r = part->append(writable, ctx_.cfg.message_max_bytes, req.acks);
            pr.error_code = static_cast<int16_t>(r.error);
            pr.base_offset = r.base_offset;
            pr.log_start_offset = r.log_start_offset;
            if (r.error == error_code::none) {
                if (r.duplicate) {
                    ctx_.metrics.duplicate_batches++;
                } else {
                    ctx_.metrics.produced_batches++;
                    ctx_.metrics.produced_bytes += bytes.size();
                }
                // A duplicate's original may not be committed yet either: it waits the same way.
                if (req.acks == -1) {
                    waiting.push_back(pending{&pr, part, r.last_offset + 1});
                }
            }
        }
    }
    if (req.acks == 0) {
        co_return dispatch_result::no_response;
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(std::max(req.timeout_ms, 0));
    while (!waiting.empty()) {
        // Register before checking, so a high-watermark move between check and wait is not missed.
        auto waiter = std::make_shared<fetch_waiter>(co_await asio::this_coro::executor);
        for (auto& w : waiting) {
            w.part->add_waiter(waiter, wake_on::high_watermark);
        }
        std::erase_if(waiting, [](pending& w) {
            auto status = w.part->acks_all_status(w.required_offset);
            if (!status) return false;
            w.response->error_code = static_cast<int16_t>(*status);
            if (*status != error_code::none) w.response->base_offset = -1;
            return true;
        });
        if (waiting.empty()) break;
        if (std::chrono::steady_clock::now() >= deadline) {
            for (auto& w : waiting) {
                w.response->error_code = static_cast<int16_t>(error_code::request_timed_out);
                w.response->base_offset = -1;
            }
            break;
        }
        waiter->timer.expires_at(deadline);
        if (!waiter->notified) {
            boost::system::error_code ec;
            co_await waiter->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        }
    }
    resp.encode(out, h.api_version);
    co_return dispatch_result::respond;
}

}  // namespace broker
