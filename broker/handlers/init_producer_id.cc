// InitProducerId for idempotent (non-transactional) producers: a cluster-unique producer id at
// epoch 0, from the block this broker claimed in /latest_producer_id_block. Any broker answers
// (librdkafka asks any broker, KafkaJS the controller). A transactional id needs a transaction
// coordinator, which Brook does not have yet: refused, as Produce with a transactional id is.
#include "broker/handlers/handlers.h"
#include "coordination/producer_id_manager.h"
#include "protocol/errors.h"
#include "protocol/messages/init_producer_id.h"

#include <spdlog/spdlog.h>

namespace broker {
namespace asio = boost::asio;
using protocol::error_code;

asio::awaitable<dispatch_result> handlers::init_producer_id(const protocol::request_header& h,
                                                            protocol::wire::reader& in, protocol::wire::writer& out) {
    protocol::init_producer_id_request req;
    req.decode(in, h.api_version);
    protocol::init_producer_id_response resp;
    resp.throttle_time_ms = 0;
    resp.producer_id = -1;
    resp.producer_epoch = -1;
    if (req.transactional_id.has_value()) {
        resp.error_code = protocol::to_wire(error_code::transactional_id_authorization_failed);
    } else if (ctx_.producer_ids == nullptr) {
        resp.error_code = protocol::to_wire(error_code::coordinator_not_available);
    } else {
        using id_result = coordination::result<int64_t>;
        auto* ids = ctx_.producer_ids;
        completion_starter<id_result> next = [ids](std::function<void(id_result)> done) { ids->next_id(std::move(done)); };
        id_result id = co_await await_completion<id_result>(next);
        if (id) {
            resp.error_code = protocol::to_wire(error_code::none);
            resp.producer_id = id.value();
            resp.producer_epoch = 0;
        } else {
            // Retriable for every client: they ask again (ZooKeeper may be between sessions).
            spdlog::warn("InitProducerId: no producer id available: {}", id.error().message());
            resp.error_code = protocol::to_wire(error_code::coordinator_not_available);
        }
    }
    resp.encode(out, h.api_version);
    co_return dispatch_result::respond;
}

}  // namespace broker
