#include <chrono>

#include "broker/handlers/handlers.h"
#include "broker/topic_admin.h"
#include "protocol/errors.h"
#include "protocol/messages/delete_topics.h"

namespace broker {
namespace asio = boost::asio;

asio::awaitable<dispatch_result> handlers::delete_topics(const protocol::request_header& h,
                                                         protocol::wire::reader& in, protocol::wire::writer& out) {
    protocol::delete_topics_request req;
    req.decode(in, h.api_version);

    protocol::delete_topics_response resp;
    topic_admin admin(ctx_);
    auto wait = std::chrono::milliseconds(std::max(req.timeout_ms, 0));
    for (const auto& name : req.topic_names) {
        auto& r = resp.responses.emplace_back();
        r.name = name;
        auto result = co_await admin.remove(name, wait);
        r.error_code = static_cast<int16_t>(result.error);
    }
    resp.encode(out, h.api_version);
    co_return dispatch_result::respond;
}

}  // namespace broker
