#include "tools/common/cluster_ops.h"

#include "protocol/messages/find_coordinator.h"
#include "protocol/messages/list_offsets.h"
#include "tools/common/error_text.h"

#include <algorithm>
#include <thread>

namespace tools {

cli_result<topics_layout> read_layout(broker_pool& pool, const std::vector<std::string>& topics) {
    auto md = pool.metadata(topics, false);
    if (!md) return md.error();
    topics_layout out;
    for (const auto& name : topics) out.topic_errors[name] = 3;
    for (const auto& t : md.value().topics) {
        out.topic_errors[t.name] = t.error_code;
        for (const auto& p : t.partitions) out.leaders[{t.name, p.partition_index}] = p.leader_id;
    }
    return out;
}

cli_result<std::map<topic_partition, int64_t>> list_offsets(broker_pool& pool,
                                                            const std::vector<topic_partition>& partitions,
                                                            int64_t timestamp) {
    std::vector<std::string> topics;
    for (const auto& tp : partitions) {
        if (topics.empty() || topics.back() != tp.topic) topics.push_back(tp.topic);
    }
    std::sort(topics.begin(), topics.end());
    topics.erase(std::unique(topics.begin(), topics.end()), topics.end());
    std::map<topic_partition, int64_t> out;
    if (topics.empty()) return out;
    auto layout = read_layout(pool, topics);
    if (!layout) return layout.error();
    std::map<int32_t, std::map<std::string, std::vector<int32_t>>> by_leader;
    for (const auto& tp : partitions) {
        auto it = layout.value().leaders.find(tp);
        if (it == layout.value().leaders.end() || it->second < 0) continue;
        by_leader[it->second][tp.topic].push_back(tp.partition);
    }
    for (const auto& [leader, topic_parts] : by_leader) {
        auto conn = pool.broker(leader);
        if (!conn) return conn.error();
        int16_t version = conn.value()->pick_version<protocol::list_offsets_api>();
        if (version < 1) {
            return make_cli_error("Error: broker " + std::to_string(leader) +
                                  " does not support ListOffsets v1 or newer");
        }
        protocol::list_offsets_request req;
        req.replica_id = -1;
        req.isolation_level = 0;
        for (const auto& [topic, ps] : topic_parts) {
            auto& t = req.topics.emplace_back();
            t.name = topic;
            for (int32_t p : ps) {
                auto& rp = t.partitions.emplace_back();
                rp.partition_index = p;
                rp.timestamp = timestamp;
            }
        }
        auto resp = conn.value()->send<protocol::list_offsets_api>(req, version);
        if (!resp) {
            pool.forget(leader);
            auto where = pool.address(leader);
            return request_failed("ListOffsets", where ? to_string(*where) : std::to_string(leader),
                                  resp.error());
        }
        for (const auto& t : resp.value().topics) {
            for (const auto& p : t.partitions) {
                if (p.error_code != 0 || p.offset < 0) continue;
                out[{t.name, p.partition_index}] = p.offset;
            }
        }
    }
    return out;
}

cli_result<coordinator_ref> find_coordinator(broker_pool& pool, const std::string& group,
                                             std::chrono::milliseconds patience) {
    auto deadline = std::chrono::steady_clock::now() + patience;
    while (true) {
        auto conn = pool.any();
        if (!conn) return conn.error();
        int16_t version = conn.value()->pick_version<protocol::find_coordinator_api>();
        if (version < 0) return make_cli_error("Error: the broker does not support FindCoordinator");
        protocol::find_coordinator_request req;
        req.key = group;
        req.key_type = 0;
        auto resp = conn.value()->send<protocol::find_coordinator_api>(req, version);
        if (!resp) return request_failed("FindCoordinator", "the bootstrap server", resp.error());
        const auto& r = resp.value();
        if (r.error_code == 0) {
            if (r.port <= 0 || r.port > 65535) {
                return make_cli_error("Error: FindCoordinator answered an invalid port " +
                                      std::to_string(r.port));
            }
            coordinator_ref ref;
            ref.node_id = r.node_id;
            ref.where = endpoint{r.host, static_cast<uint16_t>(r.port)};
            auto c = pool.broker(coordinator_connection_offset + r.node_id, ref.where);
            if (!c) return c.error();
            ref.conn = c.value();
            return ref;
        }
        bool retriable = r.error_code == 15 || r.error_code == 14 || r.error_code == 16;
        if (!retriable || std::chrono::steady_clock::now() >= deadline) {
            return make_cli_error("Error: finding the coordinator of group '" + group + "' failed: " +
                                  kafka_error_text(r.error_code));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
}

}  // namespace tools
