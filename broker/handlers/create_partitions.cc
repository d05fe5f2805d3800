#include <chrono>
#include <set>

#include <spdlog/spdlog.h>

#include "broker/error_mapping.h"
#include "broker/handlers/handlers.h"
#include "broker/metadata_cache.h"
#include "broker/topic_admin.h"
#include "coordination/topic_store.h"
#include "protocol/errors.h"
#include "protocol/messages/create_partitions.h"

namespace broker {
namespace asio = boost::asio;
using protocol::error_code;


asio::awaitable<dispatch_result> handlers::create_partitions(const protocol::request_header& h,
                                                             protocol::wire::reader& in, protocol::wire::writer& out) {
    protocol::create_partitions_request req;
    req.decode(in, h.api_version);
    protocol::create_partitions_response resp;
    const auto wait = std::chrono::milliseconds(std::max(req.timeout_ms, 0));
    std::set<std::string> seen;
    for (const auto& t : req.topics) {
        auto& r = resp.results.emplace_back();
        r.name = t.name;
        if (!seen.insert(t.name).second) {
            r.error_code = protocol::to_wire(error_code::invalid_request);
            r.error_message = "Duplicate topic in request: " + t.name;
            continue;
        }
        coordination::add_partitions_options opts;
        opts.validate_only = req.validate_only;
        if (t.assignments) {
            for (const auto& a : *t.assignments) {
                opts.assignment.push_back(a.broker_ids);
            }
        }
        using outcome = coordination::result<coordination::topic_assignment>;
        completion_starter<outcome> start = [&](std::function<void(outcome)> done) {
            ctx_.topics.add_partitions(t.name, t.count, std::move(done), opts);
        };
        auto result = co_await await_completion<outcome>(start);
        if (!result) {
            const auto& ec = result.error();
            r.error_code = protocol::to_wire(to_kafka_error(ec));
            if (ec == coordination::errc::partition_count_not_increased) {
                auto current = ctx_.metadata.get()->topics.find(t.name);
                size_t n = current == ctx_.metadata.get()->topics.end() ? 0 : current->second.partitions.size();
                r.error_message = "Topic currently has " + std::to_string(n) + " partitions, which is higher than the "
                                  "requested " + std::to_string(t.count) + ".";
                if (static_cast<size_t>(t.count) == n) {
                    r.error_message = "Topic already has " + std::to_string(n) + " partitions.";
                }
            } else {
                r.error_message = ec.message();
            }
            continue;
        }
        if (req.validate_only) {
            continue;
        }
        spdlog::info("topic {} grows to {} partitions", t.name, t.count);
        topic_admin admin(ctx_);
        co_await admin.wait_until_led(t.name, t.count, wait);
    }
    resp.encode(out, h.api_version);
    co_return dispatch_result::respond;
}

}  // namespace broker
