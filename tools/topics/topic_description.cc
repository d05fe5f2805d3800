#include "tools/topics/topic_description.h"

#include <algorithm>

namespace tools {

namespace {

void append_ids(std::string& out, const std::vector<int32_t>& ids) {
    for (size_t i = 0; i < ids.size(); ++i) {
        if (i) out += ',';
        out += std::to_string(ids[i]);
    }
}

std::vector<partition_description> sorted_partitions(const topic_description& topic) {
    auto partitions = topic.partitions;
    std::sort(partitions.begin(), partitions.end(),
              [](const auto& a, const auto& b) { return a.partition < b.partition; });
    return partitions;
}

}  // namespace

bool is_under_replicated(const partition_description& p) {
    return p.isr.size() < p.replicas.size();
}

bool is_unavailable(const partition_description& p, std::span<const int32_t> live_brokers) {
    return p.leader < 0 ||
           std::find(live_brokers.begin(), live_brokers.end(), p.leader) == live_brokers.end();
}

std::string format_partition(const std::string& topic, const partition_description& p) {
    std::string out;
    out += "\tTopic: " + topic;
    out += "\tPartition: " + std::to_string(p.partition);
    out += "\tLeader: " + (p.leader < 0 ? std::string("none") : std::to_string(p.leader));
    out += "\tReplicas: ";
    append_ids(out, p.replicas);
    out += "\tIsr: ";
    append_ids(out, p.isr);
    out += '\n';
    return out;
}

std::string format_describe(const topic_description& topic, describe_report report,
                            std::span<const int32_t> live_brokers) {
    if (report == describe_report::all) return format_describe(topic);
    std::string out;
    for (const auto& p : sorted_partitions(topic)) {
        bool selected = report == describe_report::under_replicated
                            ? is_under_replicated(p)
                            : is_unavailable(p, live_brokers);
        if (selected) out += format_partition(topic.name, p);
    }
    return out;
}

std::string format_describe(const topic_description& topic) {
    auto partitions = sorted_partitions(topic);

    std::string out;
    out += "Topic: " + topic.name;
    out += "\tTopicId: " + topic.topic_id;
    out += "\tPartitionCount: " + std::to_string(partitions.size());
    out += "\tReplicationFactor: " +
           std::to_string(partitions.empty() ? 0 : partitions.front().replicas.size());
    out += "\tConfigs: ";
    for (size_t i = 0; i < topic.configs.size(); ++i) {
        if (i) out += ',';
        out += topic.configs[i].name + "=" + topic.configs[i].value;
    }
    out += '\n';
    for (const auto& p : partitions) out += format_partition(topic.name, p);
    return out;
}

std::string format_list(std::vector<std::string> names) {
    std::sort(names.begin(), names.end());
    std::string out;
    for (const auto& n : names) out += n + '\n';
    return out;
}

cli_result<topic_filter> topic_filter::make(const std::optional<std::string>& pattern) {
    topic_filter f;
    if (!pattern) return f;
    // Same normalisation as Kafka's IncludeList (core/src/main/scala/kafka/utils/TopicFilter.scala).
    std::string p;
    for (char c : *pattern) {
        if (c == ' ') continue;
        p += c == ',' ? '|' : c;
    }
    while (!p.empty() && (p.front() == '"' || p.front() == '\'')) p.erase(p.begin());
    while (!p.empty() && (p.back() == '"' || p.back() == '\'')) p.pop_back();
    if (p.empty()) return make_cli_error("Error: --topic must not be empty");
    try {
        f.regex_.emplace(p, std::regex::ECMAScript);
    } catch (const std::regex_error&) {
        return make_cli_error("Error: --topic '" + *pattern + "' is not a valid regular expression");
    }
    return f;
}

bool topic_filter::matches(std::string_view name) const {
    if (!regex_) return true;
    return std::regex_match(name.begin(), name.end(), *regex_);
}

bool has_collision_chars(std::string_view topic) {
    return topic.find_first_of("._") != std::string_view::npos;
}

}  // namespace tools
