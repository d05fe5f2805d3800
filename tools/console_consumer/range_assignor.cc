#include "tools/console_consumer/range_assignor.h"

#include <algorithm>
#include <set>

namespace tools {

std::map<std::string, std::vector<topic_partition>> range_assign(
    const std::map<std::string, std::vector<std::string>>& subscriptions,
    const std::map<std::string, int32_t>& partition_counts) {
    std::map<std::string, std::vector<topic_partition>> out;
    std::map<std::string, std::vector<std::string>> members_by_topic;
    for (const auto& [member, topics] : subscriptions) {
        out[member];
        for (const auto& t : std::set<std::string>(topics.begin(), topics.end())) {
            members_by_topic[t].push_back(member);
        }
    }
    for (auto& [topic, members] : members_by_topic) {
        auto count = partition_counts.find(topic);
        if (count == partition_counts.end()) continue;
        std::sort(members.begin(), members.end());
        const auto n = static_cast<int32_t>(members.size());
        const int32_t per = count->second / n;
        const int32_t extra = count->second % n;
        for (int32_t i = 0; i < n; ++i) {
            int32_t start = per * i + std::min(i, extra);
            int32_t length = per + (i + 1 > extra ? 0 : 1);
            for (int32_t p = start; p < start + length; ++p) out[members[static_cast<size_t>(i)]].push_back({topic, p});
        }
    }
    return out;
}

}  // namespace tools
