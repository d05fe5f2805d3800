#include "broker/handlers/handlers.h"
#include "broker/replica_manager.h"
#include "protocol/errors.h"
#include "protocol/messages/list_offsets.h"

namespace broker {
namespace asio = boost::asio;
using protocol::error_code;

namespace {
constexpr int64_t latest_timestamp = -1;
constexpr int64_t earliest_timestamp = -2;
}  // namespace

asio::awaitable<dispatch_result> handlers::list_offsets(const protocol::request_header& h,
                                                        protocol::wire::reader& in, protocol::wire::writer& out) {
    protocol::list_offsets_request req;
    req.decode(in, h.api_version);

    protocol::list_offsets_response resp;
    for (const auto& topic : req.topics) {
        auto& tr = resp.topics.emplace_back();
        tr.name = topic.name;
        for (const auto& p : topic.partitions) {
            auto& pr = tr.partitions.emplace_back();
            pr.partition_index = p.partition_index;
            pr.timestamp = -1;
            pr.offset = -1;
            auto part = ctx_.replicas.get(topic.name, p.partition_index);
            if (!part) {
                pr.error_code = static_cast<int16_t>(error_code::unknown_topic_or_partition);
                continue;
            }
            if (!part->is_leader()) {
                pr.error_code = static_cast<int16_t>(error_code::not_leader_or_follower);
                continue;
            }
            int64_t offset = -1;
            if (p.timestamp == latest_timestamp) {
                // Without open transactions the last stable offset equals the high watermark.
                offset = part->high_watermark();
            } else if (p.timestamp == earliest_timestamp) {
                offset = part->log_start_offset();
            } else {
                int64_t found_timestamp = -1;
                auto ec = part->offset_for_timestamp(p.timestamp, found_timestamp, offset);
                if (ec != error_code::none) {
                    pr.error_code = static_cast<int16_t>(ec);
                    continue;
                }
                pr.timestamp = found_timestamp;
            }
            pr.offset = offset;
            if (h.api_version == 0) {
                // v0 answers a list of offsets; Kafka returns at most max_num_offsets of
                // [latest..earliest] segment bases. The single exact offset is what clients use.
                if (offset >= 0 && p.max_num_offsets > 0) {
                    pr.old_style_offsets.push_back(offset);
                }
            }
        }
    }
    resp.encode(out, h.api_version);
    co_return dispatch_result::respond;
}

}  // namespace broker
