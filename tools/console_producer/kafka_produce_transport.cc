#include "tools/console_producer/kafka_produce_transport.h"

#include "protocol/messages/produce.h"

#include <thread>

namespace tools {

kafka_produce_transport::kafka_produce_transport(std::vector<endpoint> bootstrap)
    : pool_(std::move(bootstrap), "console-producer", broker_pool::timeouts{}) {}

void kafka_produce_transport::sleep(std::chrono::milliseconds d) { std::this_thread::sleep_for(d); }

cli_result<topic_layout> kafka_produce_transport::topic_metadata(const std::string& topic) {
    auto md = pool_.metadata(std::vector<std::string>{topic}, true);
    if (!md) return md.error();
    topic_layout out;
    out.error_code = 3;  // not in the answer at all: unknown
    for (const auto& t : md.value().topics) {
        if (t.name != topic) continue;
        out.error_code = t.error_code;
        for (const auto& p : t.partitions) out.partitions.push_back({p.partition_index, p.leader_id});
    }
    return out;
}

cli_result<std::vector<partition_ack>> kafka_produce_transport::produce(
    int32_t leader, const std::string& topic, const std::vector<partition_batch>& batches,
    int16_t acks, int32_t timeout_ms) {
    auto conn = pool_.broker(leader);
    if (!conn) return conn.error();
    auto& c = *conn.value();
    int16_t version = c.pick_version<protocol::produce_api>();
    auto where = pool_.address(leader);
    const std::string name = where ? to_string(*where) : "broker " + std::to_string(leader);
    if (version < 3) return make_cli_error("Error: broker " + name + " does not support Produce v3+");
    protocol::produce_request req;
    req.acks = acks;
    req.timeout_ms = timeout_ms;
    auto& t = req.topic_data.emplace_back();
    t.name = topic;
    for (const auto& b : batches) {
        auto& p = t.partition_data.emplace_back();
        p.index = b.partition;
        p.records = protocol::record_set::view(b.bytes);
    }
    if (acks == 0) {
        protocol::wire::writer body;
        req.encode(body, version);
        auto sent = c.send_only(protocol::produce_api::key, version, body);
        if (!sent) return request_failed("Produce", name, sent.error());
        return std::vector<partition_ack>{};
    }
    auto resp = c.send<protocol::produce_api>(req, version);
    if (!resp) return request_failed("Produce", name, resp.error());
    std::vector<partition_ack> out;
    for (const auto& rt : resp.value().responses) {
        if (rt.name != topic) continue;
        for (const auto& rp : rt.partition_responses) {
            out.push_back({rp.index, rp.error_code, rp.base_offset});
        }
    }
    return out;
}

}  // namespace tools
