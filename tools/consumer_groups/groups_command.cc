#include "tools/consumer_groups/groups_command.h"

#include "tools/common/error_text.h"

#include <algorithm>
#include <ostream>
#include <set>

namespace tools {

namespace {

constexpr std::string_view missing = "-";

// Java's "%-Ns": left-aligned, padded to at least n characters, never cut.
std::string pad(std::string_view s, size_t n) {
    std::string out(s);
    if (out.size() < n) out.append(n - out.size(), ' ');
    return out;
}

template <class T>
std::string or_missing(const std::optional<T>& v) {
    if (!v) return std::string(missing);
    if constexpr (std::is_same_v<T, std::string>) {
        return *v;
    } else {
        return std::to_string(*v);
    }
}

int fail(std::ostream& err, std::string_view text) {
    err << text << '\n';
    return 1;
}

// ConsumerGroupCommand.shouldPrintMemberState's notices (stderr, each after an empty line).
void state_notice(const std::string& group, const std::string& state, std::ostream& err) {
    if (state == "Empty") {
        err << "\nConsumer group '" << group << "' has no active members.\n";
    } else if (state == "PreparingRebalance" || state == "CompletingRebalance") {
        err << "\nWarning: Consumer group '" << group << "' is rebalancing.\n";
    }
}

cli_result<std::vector<std::string>> consumer_group_ids(groups_admin& admin) {
    auto listed = admin.list_groups();
    if (!listed) return listed.error();
    std::set<std::string> ids;
    // Admin.listConsumerGroups keeps protocol type "consumer" and "" (offsets-only groups).
    for (auto& [id, type] : listed.value()) {
        if (type == "consumer" || type.empty()) ids.insert(id);
    }
    return std::vector<std::string>(ids.begin(), ids.end());
}

cli_result<std::vector<std::string>> selected_groups(const groups_options& o, groups_admin& admin) {
    if (o.all_groups) return consumer_group_ids(admin);
    return o.groups;
}

std::string describe_failed(const std::string& group, int16_t code) {
    return "Error: Executing consumer group command failed due to describing group '" + group +
           "': " + kafka_error_text(code);
}

int run_list(groups_admin& admin, std::ostream& out, std::ostream& err) {
    auto ids = consumer_group_ids(admin);
    if (!ids) return fail(err, ids.error().message);
    for (const auto& id : ids.value()) out << id << '\n';
    return 0;
}

int run_describe(const groups_options& o, groups_admin& admin, std::ostream& out, std::ostream& err) {
    auto groups = selected_groups(o, admin);
    if (!groups) return fail(err, groups.error().message);
    // Kafka keeps the groups in a TreeMap: sorted by id.
    auto ids = groups.value();
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    int rc = 0;
    for (const auto& group : ids) {
        auto d = admin.describe_group(group);
        if (!d) {
            rc = fail(err, d.error().message);
            continue;
        }
        const auto& desc = d.value();
        if (desc.error_code != 0) {
            rc = fail(err, describe_failed(group, desc.error_code));
            continue;
        }
        if (desc.state == "Dead") {
            rc = fail(err, "Error: Consumer group '" + group + "' does not exist.");
            continue;
        }
        if (o.view == describe_view::state) {
            state_notice(group, desc.state, err);
            out << format_state(desc);
            continue;
        }
        if (o.view == describe_view::members) {
            state_notice(group, desc.state, err);
            if (!desc.members.empty()) out << format_members(desc, o.verbose);
            continue;
        }
        auto committed = admin.committed_offsets(group);
        if (!committed) {
            rc = fail(err, committed.error().message);
            continue;
        }
        std::set<topic_partition> partitions;
        for (const auto& m : desc.members) partitions.insert(m.assignment.begin(), m.assignment.end());
        for (const auto& [tp, off] : committed.value()) partitions.insert(tp);
        std::map<topic_partition, int64_t> log_end;
        if (!partitions.empty()) {
            auto ends = admin.list_offsets({partitions.begin(), partitions.end()}, latest_timestamp);
            if (!ends) {
                rc = fail(err, ends.error().message);
                continue;
            }
            log_end = std::move(ends).value();
        }
        auto rows = offset_rows(desc, committed.value(), log_end);
        state_notice(group, desc.state, err);
        if (!rows.empty()) out << format_offsets(rows);
    }
    return rc;
}

int run_reset(const groups_options& o, groups_admin& admin, std::ostream& out, std::ostream& err) {
    auto groups = selected_groups(o, admin);
    if (!groups) return fail(err, groups.error().message);
    std::map<std::string, std::map<topic_partition, int64_t>> plans;
    int rc = 0;
    for (const auto& group : groups.value()) {
        auto d = admin.describe_group(group);
        if (!d) return fail(err, d.error().message);
        if (d.value().error_code != 0) return fail(err, describe_failed(group, d.value().error_code));
        const auto& state = d.value().state;
        if (state != "Empty" && state != "Dead") {
            rc = fail(err, "Error: Assignments can only be reset if the group '" + group +
                               "' is inactive, but the current state is " + state + ".");
            plans[group];  // Kafka still lists the group, with nothing to reset
            continue;
        }
        auto plan = plan_reset(o, group, admin);
        if (!plan) return fail(err, plan.error().message);
        if (o.execute && !plan.value().empty()) {
            auto committed = admin.commit_offsets(group, plan.value());
            if (!committed) return fail(err, committed.error().message);
            for (const auto& [tp, code] : committed.value()) {
                if (code != 0) {
                    rc = fail(err, "Error: Executing consumer group command failed due to committing the offset of " +
                                       to_string(tp) + " for group '" + group + "': " + kafka_error_text(code));
                }
            }
        }
        plans[group] = std::move(plan).value();
    }
    out << format_reset_plan(plans);
    return rc;
}

std::string delete_failure(int16_t code) {
    auto cls = kafka_exception_class(code);
    auto message = kafka_error_message(code);
    if (cls.empty() || message.empty()) return kafka_error_text(code);
    return "java.util.concurrent.ExecutionException: " + std::string(cls) + ": " + std::string(message);
}

std::string quoted_list(const std::vector<std::string>& ids) {
    std::string s;
    for (const auto& id : ids) s += (s.empty() ? "'" : ", '") + id + "'";
    return s;
}

int run_delete(const groups_options& o, groups_admin& admin, std::ostream& out, std::ostream& err) {
    auto groups = selected_groups(o, admin);
    if (!groups) return fail(err, groups.error().message);
    if (groups.value().empty()) {
        out << "Deletion of requested consumer groups () was successful.\n";
        return 0;
    }
    auto results = admin.delete_groups(groups.value());
    if (!results) return fail(err, results.error().message);
    std::vector<std::string> ok;
    std::vector<std::pair<std::string, int16_t>> failed;
    for (const auto& g : groups.value()) {
        auto it = results.value().find(g);
        int16_t code = it == results.value().end() ? int16_t{-1} : it->second;
        if (code == 0) {
            if (std::find(ok.begin(), ok.end(), g) == ok.end()) ok.push_back(g);
        } else {
            failed.emplace_back(g, code);
        }
    }
    if (failed.empty()) {
        out << "Deletion of requested consumer groups (" << quoted_list(ok) << ") was successful.\n";
        return 0;
    }
    err << "Error: Deletion of some consumer groups failed:\n";
    for (const auto& [g, code] : failed) {
        err << "* Group '" << g << "' could not be deleted due to: " << delete_failure(code) << '\n';
    }
    if (!ok.empty()) out << "\nThese consumer groups were deleted successfully: " << quoted_list(ok) << '\n';
    return 1;
}

}  // namespace

std::string format_offsets(const std::vector<offset_row>& rows) {
    size_t g = 15, t = 15, c = 15, h = 15;
    for (const auto& r : rows) {
        g = std::max(g, r.group.size());
        t = std::max(t, or_missing(r.topic).size());
        c = std::max(c, or_missing(r.consumer_id).size());
        h = std::max(h, or_missing(r.host).size());
    }
    auto line = [&](std::string_view a, std::string_view b, std::string_view p, std::string_view cur,
                    std::string_view end, std::string_view lag, std::string_view id,
                    std::string_view host, std::string_view client) {
        return pad(a, g) + " " + pad(b, t) + " " + pad(p, 10) + " " + pad(cur, 15) + " " +
               pad(end, 15) + " " + pad(lag, 15) + " " + pad(id, c) + " " + pad(host, h) + " " +
               std::string(client) + "\n";
    };
    std::string out = "\n" + line("GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET",
                                  "LAG", "CONSUMER-ID", "HOST", "CLIENT-ID");
    for (const auto& r : rows) {
        out += line(r.group, or_missing(r.topic), or_missing(r.partition), or_missing(r.current_offset),
                    or_missing(r.log_end_offset), or_missing(r.lag), or_missing(r.consumer_id),
                    or_missing(r.host), or_missing(r.client_id));
    }
    return out;
}

std::vector<offset_row> offset_rows(const group_description& group,
                                    const std::map<topic_partition, int64_t>& committed,
                                    const std::map<topic_partition, int64_t>& log_end) {
    auto find = [](const std::map<topic_partition, int64_t>& m, const topic_partition& tp) {
        auto it = m.find(tp);
        return it == m.end() ? std::nullopt : std::optional<int64_t>(it->second);
    };
    auto row = [&](const topic_partition& tp, std::optional<std::string> id,
                   std::optional<std::string> host, std::optional<std::string> client) {
        offset_row r;
        r.group = group.group_id;
        r.topic = tp.topic;
        r.partition = tp.partition;
        r.current_offset = find(committed, tp);
        r.log_end_offset = find(log_end, tp);
        // getLag: a committed -1 means none.
        if (r.current_offset && *r.current_offset != -1 && r.log_end_offset) {
            r.lag = *r.log_end_offset - *r.current_offset;
        }
        r.consumer_id = std::move(id);
        r.host = std::move(host);
        r.client_id = std::move(client);
        return r;
    };
    std::vector<const group_member*> members;
    for (const auto& m : group.members) {
        if (!m.assignment.empty()) members.push_back(&m);
    }
    std::stable_sort(members.begin(), members.end(),
                     [](auto* a, auto* b) { return a->assignment.size() > b->assignment.size(); });
    std::vector<offset_row> rows;
    std::set<topic_partition> assigned;
    for (const auto* m : members) {
        auto tps = m->assignment;
        std::stable_sort(tps.begin(), tps.end(),
                         [](auto& a, auto& b) { return a.partition < b.partition; });
        for (const auto& tp : tps) {
            assigned.insert(tp);
            rows.push_back(row(tp, m->member_id, m->host, m->client_id));
        }
    }
    for (const auto& [tp, offset] : committed) {
        if (assigned.count(tp)) continue;
        rows.push_back(row(tp, std::string(missing), std::string(missing), std::string(missing)));
    }
    return rows;
}

std::string format_members(const group_description& group, bool verbose) {
    size_t g = std::max<size_t>(15, group.group_id.size()), c = 15, h = 15, cl = 15;
    for (const auto& m : group.members) {
        c = std::max(c, m.member_id.size());
        h = std::max(h, m.host.size());
        cl = std::max(cl, m.client_id.size());
    }
    std::string out = "\n" + pad("GROUP", g) + " " + pad("CONSUMER-ID", c) + " " + pad("HOST", h) + " " +
                      pad("CLIENT-ID", cl) + " " + pad("#PARTITIONS", 15) + " " +
                      (verbose ? "ASSIGNMENT" : "") + "\n";
    for (const auto& m : group.members) {
        out += pad(group.group_id, g) + " " + pad(m.member_id, c) + " " + pad(m.host, h) + " " +
               pad(m.client_id, cl) + " " + pad(std::to_string(m.assignment.size()), 15) + " ";
        if (verbose) {
            std::map<std::string, std::vector<int32_t>> by_topic;
            for (const auto& tp : m.assignment) by_topic[tp.topic].push_back(tp.partition);
            std::string text;
            for (auto& [topic, ps] : by_topic) {
                std::sort(ps.begin(), ps.end());
                text += text.empty() ? "" : ", ";
                text += topic + "(";
                for (size_t i = 0; i < ps.size(); ++i) text += (i ? "," : "") + std::to_string(ps[i]);
                text += ")";
            }
            out += text.empty() ? std::string(missing) : text;
        }
        out += "\n";
    }
    return out;
}

std::string format_state(const group_description& group) {
    // As Kafka 2.8 prints it: the coordinator column's width is applied to the first (GROUP)
    // column, and the coordinator gets a fixed 25.
    std::string coordinator = group.coordinator.host + ":" + std::to_string(group.coordinator.port) +
                              " (" + std::to_string(group.coordinator.id) + ")";
    size_t w = std::max<size_t>(25, coordinator.size());
    auto line = [&](std::string_view a, std::string_view b, std::string_view c, std::string_view d,
                    std::string_view e) {
        return "\n" + pad(a, w) + " " + pad(b, 25) + " " + pad(c, 20) + " " + pad(d, 15) + " " +
               std::string(e);
    };
    return line("GROUP", "COORDINATOR (ID)", "ASSIGNMENT-STRATEGY", "STATE", "#MEMBERS") +
           line(group.group_id, coordinator, group.protocol, group.state,
                std::to_string(group.members.size())) +
           "\n";
}

std::string format_reset_plan(const std::map<std::string, std::map<topic_partition, int64_t>>& plan) {
    if (plan.empty()) return {};
    auto line = [](std::string_view g, std::string_view t, std::string_view p, std::string_view o) {
        return pad(g, 30) + " " + pad(t, 30) + " " + pad(p, 10) + " " + pad(o, 15) + "\n";
    };
    std::string out = "\n" + line("GROUP", "TOPIC", "PARTITION", "NEW-OFFSET");
    for (const auto& [group, offsets] : plan) {
        for (const auto& [tp, offset] : offsets) {
            out += line(group, tp.topic, std::to_string(tp.partition), std::to_string(offset));
        }
    }
    return out;
}

int64_t clamp_offset(int64_t offset, std::optional<int64_t> log_start, std::optional<int64_t> log_end) {
    if (log_end && offset > *log_end) return *log_end;
    if (log_start && offset < *log_start) return *log_start;
    return offset;
}

cli_result<std::map<topic_partition, int64_t>> plan_reset(const groups_options& o,
                                                          const std::string& group,
                                                          groups_admin& admin) {
    std::optional<std::map<topic_partition, int64_t>> committed;
    auto get_committed = [&]() -> cli_result<const std::map<topic_partition, int64_t>*> {
        if (!committed) {
            auto c = admin.committed_offsets(group);
            if (!c) return c.error();
            committed = std::move(c).value();
        }
        return &*committed;
    };
    std::vector<topic_partition> partitions;
    if (o.all_topics) {
        auto c = get_committed();
        if (!c) return c.error();
        for (const auto& [tp, off] : *c.value()) partitions.push_back(tp);
    } else {
        for (const auto& scope : o.topics) {
            if (!scope.partitions.empty()) {
                for (int32_t p : scope.partitions) partitions.push_back({scope.topic, p});
                continue;
            }
            auto ps = admin.partitions_of(scope.topic);
            if (!ps) return ps.error();
            for (int32_t p : ps.value()) partitions.push_back({scope.topic, p});
        }
    }
    std::sort(partitions.begin(), partitions.end());
    partitions.erase(std::unique(partitions.begin(), partitions.end()), partitions.end());
    std::map<topic_partition, int64_t> plan;
    if (partitions.empty()) return plan;

    auto offsets_at = [&](int64_t ts) { return admin.list_offsets(partitions, ts); };
    auto need = [&](const std::map<topic_partition, int64_t>& m, const topic_partition& tp,
                    std::string_view what) -> cli_result<int64_t> {
        auto it = m.find(tp);
        if (it == m.end()) {
            return make_cli_error("Error: Error getting " + std::string(what) +
                                  " of topic partition: " + to_string(tp));
        }
        return it->second;
    };
    switch (o.scenario) {
        case reset_scenario::to_earliest:
        case reset_scenario::to_latest: {
            bool earliest = o.scenario == reset_scenario::to_earliest;
            auto offs = offsets_at(earliest ? earliest_timestamp : latest_timestamp);
            if (!offs) return offs.error();
            for (const auto& tp : partitions) {
                auto v = need(offs.value(), tp, earliest ? "starting offset" : "ending offset");
                if (!v) return v.error();
                plan[tp] = v.value();
            }
            return plan;
        }
        case reset_scenario::to_datetime: {
            auto offs = offsets_at(o.scenario_value);
            if (!offs) return offs.error();
            auto ends = offsets_at(latest_timestamp);
            if (!ends) return ends.error();
            for (const auto& tp : partitions) {
                // No record at or after the time: Kafka falls back to the log end offset.
                auto it = offs.value().find(tp);
                if (it != offs.value().end() && it->second >= 0) {
                    plan[tp] = it->second;
                    continue;
                }
                auto v = need(ends.value(), tp, "offset by timestamp");
                if (!v) return v.error();
                plan[tp] = v.value();
            }
            return plan;
        }
        case reset_scenario::to_current: {
            auto c = get_committed();
            if (!c) return c.error();
            auto ends = offsets_at(latest_timestamp);
            if (!ends) return ends.error();
            for (const auto& tp : partitions) {
                auto it = c.value()->find(tp);
                if (it != c.value()->end()) {
                    plan[tp] = it->second;
                    continue;
                }
                auto v = need(ends.value(), tp, "ending offset");
                if (!v) return v.error();
                plan[tp] = v.value();
            }
            return plan;
        }
        case reset_scenario::to_offset:
        case reset_scenario::shift_by: {
            std::map<topic_partition, int64_t> requested;
            if (o.scenario == reset_scenario::to_offset) {
                for (const auto& tp : partitions) requested[tp] = o.scenario_value;
            } else {
                auto c = get_committed();
                if (!c) return c.error();
                for (const auto& tp : partitions) {
                    auto it = c.value()->find(tp);
                    if (it == c.value()->end()) {
                        return make_cli_error(
                            "Error: Executing consumer group command failed due to Cannot shift offset for partition " +
                            to_string(tp) + " since there is no current committed offset");
                    }
                    requested[tp] = it->second + o.scenario_value;
                }
            }
            auto starts = offsets_at(earliest_timestamp);
            if (!starts) return starts.error();
            auto ends = offsets_at(latest_timestamp);
            if (!ends) return ends.error();
            for (const auto& [tp, offset] : requested) {
                auto end = ends.value().find(tp);
                if (end == ends.value().end()) {
                    return make_cli_error("Error: Executing consumer group command failed due to Unexpected non-existing offset value for topic partition " +
                                          to_string(tp));
                }
                auto start = starts.value().find(tp);
                plan[tp] = clamp_offset(offset,
                                        start == starts.value().end() ? std::nullopt
                                                                      : std::optional<int64_t>(start->second),
                                        end->second);
            }
            return plan;
        }
    }
    return plan;
}

int run_groups_command(const groups_options& options, groups_admin& admin, std::ostream& out,
                       std::ostream& err) {
    switch (options.action) {
        case groups_action::list: return run_list(admin, out, err);
        case groups_action::describe: return run_describe(options, admin, out, err);
        case groups_action::reset_offsets: return run_reset(options, admin, out, err);
        case groups_action::remove: return run_delete(options, admin, out, err);
    }
    return 1;
}

}  // namespace tools
