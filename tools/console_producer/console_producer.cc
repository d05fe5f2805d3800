#include "tools/console_producer/console_producer.h"

#include "tools/common/error_text.h"
#include "tools/common/murmur2.h"

#include <algorithm>
#include <set>

namespace tools {

namespace {

constexpr int16_t unknown_topic_or_partition = 3;
constexpr int16_t leader_not_available = 5;
constexpr int16_t not_leader_or_follower = 6;
constexpr int16_t request_timed_out = 7;
constexpr int16_t not_enough_replicas = 19;
constexpr int16_t not_enough_replicas_after_append = 20;

bool retriable(int16_t code) {
    return code == leader_not_available || code == not_leader_or_follower ||
           code == request_timed_out || code == not_enough_replicas ||
           code == not_enough_replicas_after_append || code == unknown_topic_or_partition;
}

protocol::records::bytes_view bytes_of(std::string_view s) { return protocol::records::as_bytes(s); }

}  // namespace

cli_result<line_record> parse_line(std::string_view line, int64_t line_number,
                                   const producer_options& options) {
    if (!options.parse_key) return line_record{std::nullopt, std::string(line)};
    auto n = line.find(options.key_separator);
    if (n == std::string_view::npos) {
        if (options.ignore_error) return line_record{std::nullopt, std::string(line)};
        return make_cli_error("Error: No key found on line " + std::to_string(line_number) + ": " +
                              std::string(line));
    }
    return line_record{std::string(line.substr(0, n)),
                       std::string(line.substr(n + options.key_separator.size()))};
}

int32_t partition_chooser::choose(const std::optional<std::string>& key, const topic_layout& layout) {
    const auto count = static_cast<int32_t>(layout.partitions.size());
    if (key) return partition_for_key(bytes_of(*key), count);
    // Keep the sticky partition while it has a leader; otherwise move to the next one that has.
    for (int32_t i = 0; i < count; ++i) {
        int32_t p = ((sticky_ % count) + i) % count;
        if (layout.partitions[static_cast<size_t>(p)].leader >= 0) {
            sticky_ = p;
            return p;
        }
    }
    sticky_ %= count;
    return sticky_;
}

void partition_chooser::batch_sent(int32_t partition, const topic_layout& layout) {
    const auto count = static_cast<int32_t>(layout.partitions.size());
    if (count == 0 || partition != sticky_) return;
    for (int32_t i = 1; i <= count; ++i) {
        int32_t p = (partition + i) % count;
        if (layout.partitions[static_cast<size_t>(p)].leader >= 0) {
            sticky_ = p;
            return;
        }
    }
    sticky_ = (partition + 1) % count;
}

console_producer::console_producer(const producer_options& options, produce_transport& transport,
                                   int32_t first_sticky)
    : options_(options), transport_(transport), chooser_(first_sticky) {}

cli_result<void> console_producer::refresh_metadata() {
    auto md = transport_.topic_metadata(options_.topic);
    if (!md) return md.error();
    auto& layout = md.value();
    if (layout.error_code != 0 || layout.partitions.empty()) {
        return make_cli_error("Error: metadata for topic " + options_.topic + ": " +
                              kafka_error_text(layout.error_code));
    }
    std::sort(layout.partitions.begin(), layout.partitions.end(),
              [](auto& a, auto& b) { return a.partition < b.partition; });
    for (size_t i = 0; i < layout.partitions.size(); ++i) {
        if (layout.partitions[i].partition != static_cast<int32_t>(i)) {
            return make_cli_error("Error: metadata for topic " + options_.topic +
                                  " does not list partitions 0.." +
                                  std::to_string(layout.partitions.size() - 1));
        }
    }
    layout_ = std::move(layout);
    return cli_result<void>(boost::outcome_v2::success());
}

cli_result<void> console_producer::prepare() {
    if (prepared_) return cli_result<void>(boost::outcome_v2::success());
    // The Java producer waits up to max.block.ms for the topic to appear (auto-creation, leader
    // election); poll at the retry back-off (at least 100 ms) within that budget.
    auto step = std::max<std::chrono::milliseconds>(options_.retry_backoff, std::chrono::milliseconds(100));
    int64_t attempts = std::max<int64_t>(1, options_.max_block / step);
    for (int64_t attempt = 1;; ++attempt) {
        auto r = refresh_metadata();
        if (r) {
            bool any_leader = false;
            for (auto& p : layout_.partitions) any_leader = any_leader || p.leader >= 0;
            if (any_leader) break;
        } else if (r.error().message.rfind("Error: metadata for topic", 0) != 0) {
            return r.error();  // transport failure: no point in waiting
        }
        if (attempt >= attempts) {
            return make_cli_error("Error: Topic " + options_.topic + " not present in metadata after " +
                                  std::to_string(options_.max_block.count()) + " ms.");
        }
        transport_.sleep(step);
    }
    prepared_ = true;
    return cli_result<void>(boost::outcome_v2::success());
}

int32_t console_producer::leader_of(int32_t partition) const {
    if (partition < 0 || static_cast<size_t>(partition) >= layout_.partitions.size()) return -1;
    return layout_.partitions[static_cast<size_t>(partition)].leader;
}

cli_result<void> console_producer::send(const line_record& record, int64_t timestamp_ms) {
    if (auto r = prepare(); !r) return r;
    int32_t p = chooser_.choose(record.key, layout_);
    auto [it, inserted] = pending_.try_emplace(p);
    auto& batch = it->second;
    protocol::records::record_input in;
    if (record.key) in.key = bytes_of(*record.key);
    in.value = bytes_of(record.value);
    in.timestamp = timestamp_ms;
    batch.builder.add(in);
    // Record overhead: up to 5 varints and the attributes byte, ~20 bytes.
    batch.bytes += record.value.size() + (record.key ? record.key->size() : 0) + 20;
    bool full = static_cast<int64_t>(batch.builder.record_count()) >= options_.batch_size ||
                batch.bytes >= static_cast<size_t>(options_.max_batch_bytes);
    if (!full) return cli_result<void>(boost::outcome_v2::success());
    // Ship every pending batch for the same leader along with the full one: one request.
    std::vector<int32_t> same_leader;
    int32_t leader = leader_of(p);
    for (auto& [q, b] : pending_) {
        if (q == p || (leader >= 0 && leader_of(q) == leader)) same_leader.push_back(q);
    }
    return send_partitions(std::move(same_leader));
}

cli_result<void> console_producer::flush() {
    std::vector<int32_t> all;
    for (auto& [p, b] : pending_) all.push_back(p);
    if (all.empty()) return cli_result<void>(boost::outcome_v2::success());
    return send_partitions(std::move(all));
}

cli_result<void> console_producer::send_partitions(std::vector<int32_t> partitions) {
    std::map<int32_t, partition_batch> unacked;
    for (int32_t p : partitions) {
        auto it = pending_.find(p);
        if (it == pending_.end()) continue;
        partition_batch b;
        b.partition = p;
        b.records = static_cast<int32_t>(it->second.builder.record_count());
        b.bytes = it->second.builder.build();
        unacked.emplace(p, std::move(b));
        pending_.erase(it);
        chooser_.batch_sent(p, layout_);
    }
    std::string last_error;
    for (int32_t attempt = 0;; ++attempt) {
        std::map<int32_t, std::vector<int32_t>> by_leader;
        for (auto& [p, b] : unacked) {
            int32_t leader = leader_of(p);
            if (leader < 0) {
                last_error = kafka_error_text(leader_not_available);
                continue;
            }
            by_leader[leader].push_back(p);
        }
        for (auto& [leader, ps] : by_leader) {
            std::vector<partition_batch> batches;
            for (int32_t p : ps) batches.push_back(unacked.at(p));
            ++requests_;
            auto acks = transport_.produce(leader, options_.topic, batches, options_.acks,
                                           static_cast<int32_t>(options_.request_timeout.count()));
            if (!acks) {
                last_error = acks.error().message;
                transport_.reset(leader);
                continue;
            }
            if (options_.acks == 0) {
                for (int32_t p : ps) {
                    acknowledged_ += unacked.at(p).records;
                    unacked.erase(p);
                }
                continue;
            }
            for (const auto& a : acks.value()) {
                auto it = unacked.find(a.partition);
                if (it == unacked.end()) continue;
                if (a.error_code == 0) {
                    acknowledged_ += it->second.records;
                    unacked.erase(it);
                } else if (!retriable(a.error_code)) {
                    return make_cli_error("Error: producing to " + options_.topic + "-" +
                                          std::to_string(a.partition) + " failed: " +
                                          kafka_error_text(a.error_code));
                } else {
                    last_error = kafka_error_text(a.error_code);
                }
            }
        }
        if (unacked.empty()) return cli_result<void>(boost::outcome_v2::success());
        if (attempt >= options_.retries) {
            int32_t p = unacked.begin()->first;
            int64_t records = 0;
            for (auto& [q, b] : unacked) records += b.records;
            return make_cli_error("Error: producing " + std::to_string(records) + " record(s) to " +
                                  options_.topic + "-" + std::to_string(p) + " failed after " +
                                  std::to_string(options_.retries) + " retries: " + last_error);
        }
        transport_.sleep(options_.retry_backoff);
        // A failed refresh keeps the old leaders; the next round then fails the same way.
        (void)refresh_metadata();
    }
}

}  // namespace tools
