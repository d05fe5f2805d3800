#include "tools/consumer_groups/groups_command.h"
#include "tools/consumer_groups/groups_options.h"

#include "tools/common/consumer_protocol.h"

#include <gtest/gtest.h>

#include <sstream>

namespace tools {
namespace {

cli_result<groups_command_line> parse(std::vector<const char*> args) {
    args.insert(args.begin(), "brook-consumer-groups");
    args.insert(args.begin() + 1, {"--bootstrap-server", "h:1"});
    return parse_groups_args(std::span<const char* const>(args.data(), args.size()));
}

TEST(groups_options, actions_and_scopes) {
    auto d = parse({"--describe", "--group", "a", "--group", "b"});
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_EQ(d.value().options.action, groups_action::describe);
    EXPECT_EQ(d.value().options.groups, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(d.value().options.view, describe_view::offsets);
    EXPECT_EQ(parse({"--describe", "--all-groups", "--state"}).value().options.view, describe_view::state);
    EXPECT_FALSE(parse({"--describe"}));
    EXPECT_FALSE(parse({"--list", "--describe", "--group", "g"}));
    EXPECT_FALSE(parse({"--describe", "--group", "g", "--members", "--state"}));
    EXPECT_FALSE(parse({"--delete"}));
    auto none = parse({});
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().message,
              "Error: Command must include exactly one action: --list, --describe, --delete, --reset-offsets");

    auto r = parse({"--reset-offsets", "--group", "g", "--topic", "t:0,2", "--topic", "u",
                    "--to-offset", "5", "--execute"});
    ASSERT_TRUE(r) << r.error().message;
    const auto& o = r.value().options;
    EXPECT_EQ(o.scenario, reset_scenario::to_offset);
    EXPECT_EQ(o.scenario_value, 5);
    EXPECT_TRUE(o.execute);
    ASSERT_EQ(o.topics.size(), 2u);
    EXPECT_EQ(o.topics[0], (topic_scope{"t", {0, 2}}));
    EXPECT_EQ(o.topics[1], (topic_scope{"u", {}}));
    EXPECT_FALSE(parse({"--reset-offsets", "--group", "g", "--all-topics"}));  // no scenario
    EXPECT_FALSE(parse({"--reset-offsets", "--group", "g", "--to-earliest"}));  // no scope
    EXPECT_FALSE(parse({"--reset-offsets", "--group", "g", "--all-topics", "--to-earliest", "--to-latest"}));
    EXPECT_FALSE(parse({"--reset-offsets", "--group", "g", "--all-topics", "--to-earliest", "--dry-run", "--execute"}));
    EXPECT_FALSE(parse({"--reset-offsets", "--group", "g", "--topic", "t:x", "--to-earliest"}));
    auto shift = parse({"--reset-offsets", "--group", "g", "--all-topics", "--shift-by", "-3"});
    ASSERT_TRUE(shift);
    EXPECT_EQ(shift.value().options.scenario_value, -3);
    EXPECT_FALSE(shift.value().options.execute);
}

TEST(groups_options, datetime_like_kafka_utils_get_date_time) {
    EXPECT_EQ(parse_datetime("1970-01-01T00:00:00.000"), 0);
    EXPECT_EQ(parse_datetime("1970-01-01T00:00:01.234Z"), 1234);
    EXPECT_EQ(parse_datetime("2021-03-04T05:06:07.089Z"), 1614834367089);
    EXPECT_EQ(parse_datetime("2021-03-04T07:06:07.089+02:00"), 1614834367089);
    EXPECT_EQ(parse_datetime("2021-03-04T03:06:07.089-0200"), 1614834367089);
    EXPECT_EQ(parse_datetime("2021-03-04T07:06:07.089+02"), 1614834367089);
    EXPECT_FALSE(parse_datetime("2021-03-04T05:06:07"));
    EXPECT_FALSE(parse_datetime("2021-02-30T05:06:07.000"));
    EXPECT_FALSE(parse_datetime("2021-03-04 05:06:07.000"));
    EXPECT_FALSE(parse({"--reset-offsets", "--group", "g", "--all-topics", "--to-datetime", "yesterday"}));
}

TEST(consumer_protocol, subscription_round_trip_and_bytes) {
    consumer_subscription s{{"ab", "c"}, std::nullopt};
    auto bytes = encode_subscription(s);
    std::vector<uint8_t> expected{0, 0, 0, 0, 0, 2, 0, 2, 'a', 'b', 0, 1, 'c', 0xff, 0xff, 0xff, 0xff};
    EXPECT_EQ(bytes, expected);
    EXPECT_EQ(decode_subscription(bytes), s);
    consumer_subscription with_data{{"t"}, std::vector<uint8_t>{1, 2}};
    EXPECT_EQ(decode_subscription(encode_subscription(with_data)), with_data);
    bytes.resize(5);
    EXPECT_FALSE(decode_subscription(bytes));
}

TEST(consumer_protocol, assignment_round_trip_groups_topics) {
    consumer_assignment a{{{"t", 0}, {"u", 1}, {"t", 2}}, std::nullopt};
    auto bytes = encode_assignment(a);
    std::vector<uint8_t> expected{0, 0, 0, 0, 0, 2,                     // version, 2 topics
                                  0, 1, 't', 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 2,  // t: 0, 2
                                  0, 1, 'u', 0, 0, 0, 1, 0, 0, 0, 1,    // u: 1
                                  0xff, 0xff, 0xff, 0xff};
    EXPECT_EQ(bytes, expected);
    auto back = decode_assignment(bytes);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->partitions, (std::vector<topic_partition>{{"t", 0}, {"t", 2}, {"u", 1}}));
    EXPECT_TRUE(decode_assignment({})->partitions.empty());
    std::vector<uint8_t> bad{0, 0, 0x7f, 0xff, 0xff, 0xff};
    EXPECT_FALSE(decode_assignment(bad));
}

class fake_groups : public groups_admin {
public:
    std::vector<std::pair<std::string, std::string>> listed;
    std::map<std::string, group_description> groups;
    std::map<std::string, std::map<topic_partition, int64_t>> committed;
    std::map<topic_partition, int64_t> starts, ends;
    std::map<int64_t, std::map<topic_partition, int64_t>> by_time;
    std::map<std::string, std::vector<int32_t>> topics;
    std::map<std::string, int16_t> delete_answers;
    std::vector<std::pair<std::string, std::map<topic_partition, int64_t>>> commits;

    cli_result<std::vector<std::pair<std::string, std::string>>> list_groups() override { return listed; }
    cli_result<group_description> describe_group(const std::string& g) override {
        auto it = groups.find(g);
        if (it != groups.end()) return it->second;
        group_description dead;
        dead.group_id = g;
        dead.state = "Dead";
        return dead;
    }
    cli_result<std::map<topic_partition, int64_t>> committed_offsets(const std::string& g) override {
        return committed[g];
    }
    cli_result<std::map<topic_partition, int64_t>> list_offsets(const std::vector<topic_partition>& tps,
                                                                int64_t ts) override {
        const auto& src = ts == latest_timestamp ? ends : ts == earliest_timestamp ? starts : by_time[ts];
        std::map<topic_partition, int64_t> out;
        for (auto& tp : tps) {
            if (src.count(tp)) out[tp] = src.at(tp);
        }
        return out;
    }
    cli_result<std::vector<int32_t>> partitions_of(const std::string& t) override {
        if (!topics.count(t)) return make_cli_error("Error: topic '" + t + "' does not exist");
        return topics[t];
    }
    cli_result<std::map<topic_partition, int16_t>> commit_offsets(
        const std::string& g, const std::map<topic_partition, int64_t>& offs) override {
        commits.emplace_back(g, offs);
        std::map<topic_partition, int16_t> out;
        for (auto& [tp, o] : offs) out[tp] = 0;
        return out;
    }
    cli_result<std::map<std::string, int16_t>> delete_groups(const std::vector<std::string>& gs) override {
        std::map<std::string, int16_t> out;
        for (auto& g : gs) out[g] = delete_answers.count(g) ? delete_answers[g] : 0;
        return out;
    }
};

struct run_result {
    int rc;
    std::string out, err;
};

run_result run(std::vector<const char*> args, fake_groups& admin) {
    auto cl = parse(std::move(args));
    EXPECT_TRUE(cl) << cl.error().message;
    std::ostringstream out, err;
    int rc = run_groups_command(cl.value().options, admin, out, err);
    return {rc, out.str(), err.str()};
}

group_description stable_group() {
    group_description g;
    g.group_id = "g1";
    g.state = "Stable";
    g.protocol_type = "consumer";
    g.protocol = "range";
    g.coordinator = {2, "127.0.0.1", 9093};
    g.members.push_back({"console-consumer-1234-abcd", "console-consumer", "/127.0.0.1", {{"orders", 1}, {"orders", 0}}});
    g.members.push_back({"m2", "c2", "/10.0.0.2", {}});
    return g;
}

TEST(groups_command, describe_offsets_table_matches_kafka_layout) {
    fake_groups f;
    f.groups["g1"] = stable_group();
    f.committed["g1"] = {{{"orders", 0}, 5}, {{"orders", 1}, 7}, {{"old", 0}, 3}};
    f.ends = {{{"orders", 0}, 5}, {{"orders", 1}, 10}, {{"old", 0}, 3}};
    auto r = run({"--describe", "--group", "g1"}, f);
    EXPECT_EQ(r.rc, 0) << r.err;
    EXPECT_EQ(r.err, "");
    // GROUP/TOPIC/HOST at least 15 wide; CONSUMER-ID as wide as the longest id (26).
    std::string expected =
        "\n"
        "GROUP           TOPIC           PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG             CONSUMER-ID                HOST            CLIENT-ID\n"
        "g1              orders          0          5               5               0               console-consumer-1234-abcd /127.0.0.1      console-consumer\n"
        "g1              orders          1          7               10              3               console-consumer-1234-abcd /127.0.0.1      console-consumer\n"
        "g1              old             0          3               3               0               -                          -               -\n";
    EXPECT_EQ(r.out, expected);
}

TEST(groups_command, describe_widens_columns_to_the_longest_value) {
    group_description g;
    g.group_id = "a-rather-long-group-name";
    g.state = "Empty";
    fake_groups f;
    f.groups[g.group_id] = g;
    f.committed[g.group_id] = {{{"a-topic-with-a-long-name", 0}, 1}};
    auto r = run({"--describe", "--group", "a-rather-long-group-name"}, f);
    EXPECT_EQ(r.rc, 0);
    EXPECT_EQ(r.err, "\nConsumer group 'a-rather-long-group-name' has no active members.\n");
    EXPECT_EQ(r.out,
              "\nGROUP                    TOPIC                    PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG             CONSUMER-ID     HOST            CLIENT-ID\n"
              "a-rather-long-group-name a-topic-with-a-long-name 0          1               -               -               -               -               -\n");
}

TEST(groups_command, unknown_group_is_an_error) {
    fake_groups f;
    auto r = run({"--describe", "--group", "nope"}, f);
    EXPECT_EQ(r.rc, 1);
    EXPECT_EQ(r.err, "Error: Consumer group 'nope' does not exist.\n");
    EXPECT_EQ(r.out, "");
}

TEST(groups_command, empty_group_without_offsets_prints_only_the_notice) {
    fake_groups f;
    group_description g;
    g.group_id = "e";
    g.state = "Empty";
    f.groups["e"] = g;
    auto r = run({"--describe", "--group", "e"}, f);
    EXPECT_EQ(r.rc, 0);
    EXPECT_EQ(r.err, "\nConsumer group 'e' has no active members.\n");
    EXPECT_EQ(r.out, "");
}

TEST(groups_command, members_and_state_views) {
    fake_groups f;
    f.groups["g1"] = stable_group();
    auto m = run({"--describe", "--group", "g1", "--members", "--verbose"}, f);
    EXPECT_EQ(m.rc, 0);
    EXPECT_EQ(m.out,
              "\nGROUP           CONSUMER-ID                HOST            CLIENT-ID        #PARTITIONS     ASSIGNMENT\n"
              "g1              console-consumer-1234-abcd /127.0.0.1      console-consumer 2               orders(0,1)\n"
              "g1              m2                         /10.0.0.2       c2               0               -\n");
    auto s = run({"--describe", "--group", "g1", "--state"}, f);
    EXPECT_EQ(s.rc, 0);
    EXPECT_EQ(s.out,
              "\nGROUP                     COORDINATOR (ID)          ASSIGNMENT-STRATEGY  STATE           #MEMBERS"
              "\ng1                        127.0.0.1:9093 (2)        range                Stable          2\n");
}

TEST(groups_command, list_is_sorted_unique_consumer_groups) {
    fake_groups f;
    f.listed = {{"b", "consumer"}, {"a", ""}, {"b", "consumer"}, {"connect", "connect"}};
    auto r = run({"--list"}, f);
    EXPECT_EQ(r.rc, 0);
    EXPECT_EQ(r.out, "a\nb\n");
}

TEST(groups_command, reset_refuses_an_active_group) {
    fake_groups f;
    f.groups["g1"] = stable_group();
    auto r = run({"--reset-offsets", "--group", "g1", "--all-topics", "--to-earliest", "--execute"}, f);
    EXPECT_EQ(r.rc, 1);
    EXPECT_EQ(r.err,
              "Error: Assignments can only be reset if the group 'g1' is inactive, but the current state is Stable.\n");
    EXPECT_TRUE(f.commits.empty());
}

TEST(groups_command, reset_to_earliest_dry_run_prints_the_plan_only) {
    fake_groups f;
    group_description g;
    g.group_id = "g";
    g.state = "Empty";
    f.groups["g"] = g;
    f.topics["t"] = {0, 1};
    f.starts = {{{"t", 0}, 0}, {{"t", 1}, 4}};
    auto r = run({"--reset-offsets", "--group", "g", "--topic", "t", "--to-earliest"}, f);
    EXPECT_EQ(r.rc, 0) << r.err;
    EXPECT_EQ(r.out,
              "\nGROUP                          TOPIC                          PARTITION  NEW-OFFSET     \n"
              "g                              t                              0          0              \n"
              "g                              t                              1          4              \n");
    EXPECT_TRUE(f.commits.empty());
    auto ex = run({"--reset-offsets", "--group", "g", "--topic", "t:1", "--to-earliest", "--execute"}, f);
    EXPECT_EQ(ex.rc, 0);
    ASSERT_EQ(f.commits.size(), 1u);
    EXPECT_EQ(f.commits[0].second, (std::map<topic_partition, int64_t>{{{"t", 1}, 4}}));
}

TEST(groups_command, reset_planning_scenarios) {
    fake_groups f;
    group_description g;
    g.group_id = "g";
    g.state = "Dead";  // unknown groups may be reset too (they are created by the commit)
    f.groups["g"] = g;
    f.topics["t"] = {0, 1};
    f.committed["g"] = {{{"t", 0}, 5}, {{"t", 1}, 9}};
    f.starts = {{{"t", 0}, 2}, {{"t", 1}, 0}};
    f.ends = {{{"t", 0}, 8}, {{"t", 1}, 10}};
    f.by_time[1000] = {{{"t", 0}, 3}, {{"t", 1}, -1}};
    auto plan = [&](std::vector<const char*> extra) {
        std::vector<const char*> args{"--reset-offsets", "--group", "g", "--all-topics"};
        args.insert(args.end(), extra.begin(), extra.end());
        auto cl = parse(args);
        EXPECT_TRUE(cl) << cl.error().message;
        return plan_reset(cl.value().options, "g", f);
    };
    using m = std::map<topic_partition, int64_t>;
    EXPECT_EQ(plan({"--to-latest"}).value(), (m{{{"t", 0}, 8}, {{"t", 1}, 10}}));
    EXPECT_EQ(plan({"--to-offset", "1"}).value(), (m{{{"t", 0}, 2}, {{"t", 1}, 1}}));   // clamped up
    EXPECT_EQ(plan({"--to-offset", "99"}).value(), (m{{{"t", 0}, 8}, {{"t", 1}, 10}}));  // clamped down
    EXPECT_EQ(plan({"--shift-by", "-4"}).value(), (m{{{"t", 0}, 2}, {{"t", 1}, 5}}));
    EXPECT_EQ(plan({"--shift-by", "2"}).value(), (m{{{"t", 0}, 7}, {{"t", 1}, 10}}));
    EXPECT_EQ(plan({"--to-current"}).value(), (m{{{"t", 0}, 5}, {{"t", 1}, 9}}));
    // No record at or after the time on partition 1: log end.
    EXPECT_EQ(plan({"--to-datetime", "1970-01-01T00:00:01.000"}).value(), (m{{{"t", 0}, 3}, {{"t", 1}, 10}}));
    f.starts.erase({"t", 1});
    auto bad = plan({"--to-earliest"});
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().message, "Error: Error getting starting offset of topic partition: t-1");
}

TEST(groups_command, shift_by_needs_a_committed_offset) {
    fake_groups f;
    f.topics["t"] = {0};
    f.ends = {{{"t", 0}, 1}};
    auto cl = parse({"--reset-offsets", "--group", "g", "--topic", "t", "--shift-by", "1"});
    auto r = plan_reset(cl.value().options, "g", f);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("Cannot shift offset for partition t-0 since there is no current committed offset"),
              std::string::npos);
}

TEST(groups_command, delete_messages_are_kafkas) {
    fake_groups f;
    auto ok = run({"--delete", "--group", "g"}, f);
    EXPECT_EQ(ok.rc, 0);
    EXPECT_EQ(ok.out, "Deletion of requested consumer groups ('g') was successful.\n");
    f.delete_answers["busy"] = 68;
    auto busy = run({"--delete", "--group", "busy", "--group", "g"}, f);
    EXPECT_EQ(busy.rc, 1);
    EXPECT_EQ(busy.err,
              "Error: Deletion of some consumer groups failed:\n"
              "* Group 'busy' could not be deleted due to: java.util.concurrent.ExecutionException: "
              "org.apache.kafka.common.errors.GroupNotEmptyException: The group is not empty.\n");
    EXPECT_EQ(busy.out, "\nThese consumer groups were deleted successfully: 'g'\n");
}

}  // namespace
}  // namespace tools
