#include <chrono>
#include <set>

#include "broker/handlers/handlers.h"
#include "broker/topic_admin.h"
#include "broker/topic_config.h"
#include "protocol/errors.h"
#include "protocol/messages/create_topics.h"

namespace broker {
namespace asio = boost::asio;
using protocol::error_code;

asio::awaitable<dispatch_result> handlers::create_topics(const protocol::request_header& h,
                                                         protocol::wire::reader& in, protocol::wire::writer& out) {
    protocol::create_topics_request req;
    req.decode(in, h.api_version);

    protocol::create_topics_response resp;
    topic_admin admin(ctx_);
    auto wait = std::chrono::milliseconds(std::max(req.timeout_ms, 0));
    std::set<std::string> seen;
    for (const auto& t : req.topics) {
        auto& r = resp.topics.emplace_back();
        r.name = t.name;
        if (!seen.insert(t.name).second) {
            r.error_code = static_cast<int16_t>(error_code::invalid_request);
            r.error_message = "Create topics request from client contains multiple entries for topic " + t.name;
            continue;
        }
        topic_admin::create_spec spec;
        spec.name = t.name;
        spec.partitions = t.num_partitions;
        spec.replication_factor = t.replication_factor;
        for (const auto& a : t.assignments) {
            spec.assignment[a.partition_index] = a.broker_ids;
        }
        bool bad_config = false;
        for (const auto& c : t.configs) {
            if (!c.value) {
                bad_config = true;
                r.error_message = "Null value not supported for topic config " + c.name;
                break;
            }
            spec.configs[c.name] = *c.value;
        }
        if (!bad_config) {
            if (auto problem = validate_topic_configs(spec.configs)) {
                bad_config = true;
                r.error_message = *problem;
            }
        }
        if (bad_config) {
            r.error_code = static_cast<int16_t>(error_code::invalid_config);
            continue;
        }
        auto result = co_await admin.create(spec, req.validate_only, wait);
        r.error_code = static_cast<int16_t>(result.error);
        if (result.error != error_code::none) {
            r.error_message = result.message;
        }
    }
    resp.encode(out, h.api_version);
    co_return dispatch_result::respond;
}

}  // namespace broker
