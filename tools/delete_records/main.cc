// brook-delete-records: moves partitions' log start offsets (kafka-delete-records.sh flags, JSON
// file and output). Finds each partition's leader with Metadata and sends it DeleteRecords.
#include "protocol/messages/delete_records.h"
#include "tools/common/broker_pool.h"
#include "tools/common/cluster_ops.h"
#include "tools/delete_records/delete_records_command.h"

#include <fstream>
#include <iostream>
#include <iterator>
#include <span>

namespace {

constexpr int16_t leader_not_available = 5;
constexpr int16_t unknown_topic_or_partition = 3;
// The Java admin client's default request timeout, also what it sends as timeout_ms.
constexpr int32_t request_timeout_ms = 30000;

int run(const tools::delete_records_command_line& cl) {
    std::ifstream in(cl.offset_json_file, std::ios::binary);
    if (!in) {
        std::cerr << "Error: cannot read " << cl.offset_json_file << "\n";
        return 1;
    }
    const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    auto targets = tools::parse_offset_json(text);
    if (!targets) {
        std::cerr << targets.error().message << "\n";
        return targets.error().exit_code;
    }
    tools::broker_pool pool(cl.bootstrap, "brook-delete-records",
                            {std::chrono::milliseconds(10000), std::chrono::milliseconds(request_timeout_ms + 10000)});
    std::vector<std::string> topics;
    for (const auto& [tp, offset] : targets.value()) {
        if (topics.empty() || topics.back() != tp.first) topics.push_back(tp.first);
    }
    auto layout = tools::read_layout(pool, topics);
    if (!layout) {
        std::cerr << layout.error().message << "\n";
        return layout.error().exit_code;
    }
    std::map<tools::delete_records_partition, tools::delete_records_outcome> results;
    std::map<int32_t, protocol::delete_records_request> by_leader;
    for (const auto& [tp, offset] : targets.value()) {
        auto it = layout.value().leaders.find({tp.first, tp.second});
        if (it == layout.value().leaders.end()) {
            results[tp] = {unknown_topic_or_partition, -1};
            continue;
        }
        if (it->second < 0) {
            results[tp] = {leader_not_available, -1};
            continue;
        }
        auto& req = by_leader[it->second];
        if (req.topics.empty() || req.topics.back().name != tp.first) req.topics.emplace_back().name = tp.first;
        req.topics.back().partitions.push_back({tp.second, offset});
    }
    for (auto& [leader, req] : by_leader) {
        req.timeout_ms = request_timeout_ms;
        auto conn = pool.broker(leader);
        if (!conn) {
            std::cerr << conn.error().message << "\n";
            return conn.error().exit_code;
        }
        const int16_t version = conn.value()->pick_version<protocol::delete_records_api>();
        if (version < 0) {
            std::cerr << "Error: broker " << leader << " does not support DeleteRecords\n";
            return 1;
        }
        auto resp = conn.value()->send<protocol::delete_records_api>(req, version);
        if (!resp) {
            std::cerr << tools::request_failed("DeleteRecords", "broker " + std::to_string(leader), resp.error()).message
                      << "\n";
            return 1;
        }
        for (const auto& t : resp.value().topics) {
            for (const auto& p : t.partitions) results[{t.name, p.partition_index}] = {p.error_code, p.low_watermark};
        }
    }
    std::cout << tools::format_delete_records_result(results);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    auto cl = tools::parse_delete_records_args(std::span<const char* const>(argv, static_cast<size_t>(argc)));
    if (!cl) {
        std::cerr << cl.error().message << '\n';
        return cl.error().exit_code;
    }
    if (cl.value().help) {
        std::cout << tools::delete_records_usage();
        return 0;
    }
    int rc = run(cl.value());
    std::cout.flush();
    return rc;
}
