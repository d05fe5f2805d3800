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
            // The records are a view into this connection's read buffer, which it owns and lets us
            // rewrite: offsets and leader epoch are assigned in place, the bytes are stored as they are.
            std::span<uint8_t> writable(const_cast<uint8_t*>(bytes.data()), bytes.size());
            auto r = part->append(writable, ctx_.cfg.message_max_bytes);
            pr.error_code = static_cast<int16_t>(r.error);
            pr.base_offset = r.base_offset;
            pr.log_start_offset = r.log_start_offset;
            if (r.error == error_code::none) {
                ctx_.metrics.produced_batches++;
                ctx_.metrics.produced_bytes += bytes.size();
            }
        }
    }
    // Until replication lands the leader is the whole ISR, so acks=all completes once the leader
    // has appended (min.insync.replicas is checked by the replication work).
    if (req.acks == 0) {
        co_return dispatch_result::no_response;
    }
    resp.encode(out, h.api_version);
    co_return dispatch_result::respond;
}

}  // namespace broker
