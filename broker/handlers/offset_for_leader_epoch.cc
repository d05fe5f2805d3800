// OffsetForLeaderEpoch (KIP-101/KIP-279): where does leader epoch N end in the leader's log? A
// rejoining follower asks with its latest epoch and cuts its log at the answer, so a tail it
// wrote as a leader that was never replicated (and so never acknowledged with acks=all) goes.
#include "broker/handlers/handlers.h"
#include "broker/replica_manager.h"
#include "protocol/errors.h"
#include "protocol/messages/offset_for_leader_epoch.h"

namespace broker {
namespace asio = boost::asio;
using protocol::error_code;

asio::awaitable<dispatch_result> handlers::offset_for_leader_epoch(const protocol::request_header& h,
                                                                   protocol::wire::reader& in,
                                                                   protocol::wire::writer& out) {
    protocol::offset_for_leader_epoch_request req;
    req.decode(in, h.api_version);
    protocol::offset_for_leader_epoch_response resp;
    resp.throttle_time_ms = 0;
    for (const auto& t : req.topics) {
        auto& tr = resp.topics.emplace_back();
        tr.topic = t.topic;
        for (const auto& p : t.partitions) {
            auto& pr = tr.partitions.emplace_back();
            pr.partition = p.partition;
            pr.leader_epoch = -1;
            pr.end_offset = -1;
            auto part = ctx_.replicas.get(t.topic, p.partition);
            if (!part) {
                pr.error_code = protocol::to_wire(error_code::unknown_topic_or_partition);
                continue;
            }
            int32_t epoch = -1;
            int64_t end = -1;
            auto ec = part->end_offset_for_epoch(p.leader_epoch, p.current_leader_epoch, epoch, end);
            pr.error_code = protocol::to_wire(ec);
            if (ec == error_code::none) {
                pr.leader_epoch = epoch;
                pr.end_offset = end;
            }
        }
    }
    resp.encode(out, h.api_version);
    co_return dispatch_result::respond;
}

}  // namespace broker
