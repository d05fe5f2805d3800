#include "tools/consumer_groups/kafka_groups_admin.h"

#include "protocol/messages/delete_groups.h"
#include "protocol/messages/describe_groups.h"
#include "protocol/messages/list_groups.h"
#include "protocol/messages/offset_commit.h"
#include "protocol/messages/offset_fetch.h"
#include "tools/common/cluster_ops.h"
#include "tools/common/error_text.h"

namespace tools {

namespace {

template <class Api>
cli_result<int16_t> version_of(protocol::client::connection& c, int16_t at_least = 0) {
    int16_t v = c.pick_version<Api>();
    if (v < at_least) {
        return make_cli_error("Error: the broker does not support " + std::string(Api::name) +
                              (at_least > 0 ? " v" + std::to_string(at_least) + " or newer" : ""));
    }
    return v;
}

}  // namespace

kafka_groups_admin::kafka_groups_admin(std::vector<endpoint> bootstrap, std::chrono::milliseconds timeout)
    : pool_(std::move(bootstrap), "brook-consumer-groups",
            broker_pool::timeouts{std::chrono::milliseconds(10'000), std::max(timeout, std::chrono::milliseconds(5000))}) {}

cli_result<std::vector<std::pair<std::string, std::string>>> kafka_groups_admin::list_groups() {
    auto md = pool_.metadata(std::vector<std::string>{}, false);
    if (!md) return md.error();
    std::vector<std::pair<std::string, std::string>> out;
    for (int32_t id : pool_.broker_ids()) {
        auto conn = pool_.broker(id);
        if (!conn) return conn.error();
        auto v = version_of<protocol::list_groups_api>(*conn.value());
        if (!v) return v.error();
        auto resp = conn.value()->send<protocol::list_groups_api>(protocol::list_groups_request{}, v.value());
        if (!resp) return request_failed("ListGroups", to_string(*pool_.address(id)), resp.error());
        if (resp.value().error_code != 0) {
            return make_cli_error("Error: Executing consumer group command failed due to ListGroups on broker " +
                                  std::to_string(id) + ": " + kafka_error_text(resp.value().error_code));
        }
        for (const auto& g : resp.value().groups) out.emplace_back(g.group_id, g.protocol_type);
    }
    return out;
}

cli_result<group_description> kafka_groups_admin::describe_group(const std::string& group) {
    auto coord = find_coordinator(pool_, group);
    if (!coord) return coord.error();
    auto v = version_of<protocol::describe_groups_api>(*coord.value().conn);
    if (!v) return v.error();
    protocol::describe_groups_request req;
    req.groups = {group};
    auto resp = coord.value().conn->send<protocol::describe_groups_api>(req, v.value());
    if (!resp) return request_failed("DescribeGroups", to_string(coord.value().where), resp.error());
    for (const auto& g : resp.value().groups) {
        if (g.group_id != group) continue;
        group_description d;
        d.error_code = g.error_code;
        d.group_id = g.group_id;
        d.state = g.group_state;
        d.protocol_type = g.protocol_type;
        d.protocol = g.protocol_data;
        d.coordinator = {coord.value().node_id, coord.value().where.host, coord.value().where.port};
        // GROUP_ID_NOT_FOUND from newer coordinators means what "Dead" means in 2.8.
        if (d.error_code == 69) {
            d.error_code = 0;
            d.state = "Dead";
        }
        for (const auto& m : g.members) {
            group_member gm;
            gm.member_id = m.member_id;
            gm.client_id = m.client_id;
            gm.host = m.client_host;
            if (d.protocol_type == "consumer") {
                if (auto a = decode_assignment(m.member_assignment)) gm.assignment = a->partitions;
            }
            d.members.push_back(std::move(gm));
        }
        return d;
    }
    return make_cli_error("Error: the DescribeGroups answer does not mention group '" + group + "'");
}

cli_result<std::map<topic_partition, int64_t>> kafka_groups_admin::committed_offsets(const std::string& group) {
    auto coord = find_coordinator(pool_, group);
    if (!coord) return coord.error();
    auto v = version_of<protocol::offset_fetch_api>(*coord.value().conn, 2);
    if (!v) return v.error();
    protocol::offset_fetch_request req;
    req.group_id = group;
    req.topics = std::nullopt;  // v2+: every partition the group has an offset for
    auto resp = coord.value().conn->send<protocol::offset_fetch_api>(req, v.value());
    if (!resp) return request_failed("OffsetFetch", to_string(coord.value().where), resp.error());
    if (resp.value().error_code != 0) {
        return make_cli_error("Error: Executing consumer group command failed due to OffsetFetch for group '" +
                              group + "': " + kafka_error_text(resp.value().error_code));
    }
    std::map<topic_partition, int64_t> out;
    for (const auto& t : resp.value().topics) {
        for (const auto& p : t.partitions) {
            if (p.error_code != 0 || p.committed_offset < 0) continue;
            out[{t.name, p.partition_index}] = p.committed_offset;
        }
    }
    return out;
}

cli_result<std::map<topic_partition, int64_t>> kafka_groups_admin::list_offsets(
    const std::vector<topic_partition>& partitions, int64_t timestamp) {
    return tools::list_offsets(pool_, partitions, timestamp);
}

cli_result<std::vector<int32_t>> kafka_groups_admin::partitions_of(const std::string& topic) {
    auto layout = read_layout(pool_, {topic});
    if (!layout) return layout.error();
    auto code = layout.value().topic_errors[topic];
    if (code != 0) {
        return make_cli_error("Error: Executing consumer group command failed due to topic '" + topic +
                              "': " + kafka_error_text(code));
    }
    std::vector<int32_t> out;
    for (const auto& [tp, leader] : layout.value().leaders) out.push_back(tp.partition);
    return out;
}

cli_result<std::map<topic_partition, int16_t>> kafka_groups_admin::commit_offsets(
    const std::string& group, const std::map<topic_partition, int64_t>& offsets) {
    auto coord = find_coordinator(pool_, group);
    if (!coord) return coord.error();
    auto v = version_of<protocol::offset_commit_api>(*coord.value().conn, 2);
    if (!v) return v.error();
    protocol::offset_commit_request req;
    req.group_id = group;
    req.generation_id = -1;  // an admin commit: no member, the group must be empty
    req.member_id = "";
    for (const auto& [tp, offset] : offsets) {
        if (req.topics.empty() || req.topics.back().name != tp.topic) {
            req.topics.emplace_back().name = tp.topic;
        }
        auto& p = req.topics.back().partitions.emplace_back();
        p.partition_index = tp.partition;
        p.committed_offset = offset;
        p.committed_metadata = std::string();
    }
    auto resp = coord.value().conn->send<protocol::offset_commit_api>(req, v.value());
    if (!resp) return request_failed("OffsetCommit", to_string(coord.value().where), resp.error());
    std::map<topic_partition, int16_t> out;
    for (const auto& t : resp.value().topics) {
        for (const auto& p : t.partitions) out[{t.name, p.partition_index}] = p.error_code;
    }
    for (const auto& [tp, offset] : offsets) out.try_emplace(tp, int16_t{-1});
    return out;
}

cli_result<std::map<std::string, int16_t>> kafka_groups_admin::delete_groups(const std::vector<std::string>& groups) {
    std::map<std::string, int16_t> out;
    // Each group lives on its own coordinator: one DeleteGroups per group, as the admin client
    // batches per coordinator and most uses name one group.
    for (const auto& group : groups) {
        auto coord = find_coordinator(pool_, group);
        if (!coord) return coord.error();
        auto v = version_of<protocol::delete_groups_api>(*coord.value().conn);
        if (!v) return v.error();
        protocol::delete_groups_request req;
        req.groups_names = {group};
        auto resp = coord.value().conn->send<protocol::delete_groups_api>(req, v.value());
        if (!resp) return request_failed("DeleteGroups", to_string(coord.value().where), resp.error());
        out[group] = -1;
        for (const auto& r : resp.value().results) {
            if (r.group_id == group) out[group] = r.error_code;
        }
    }
    return out;
}

}  // namespace tools
