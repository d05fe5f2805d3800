// Acceptance items 1 and 8 of issue 2: kcat produces and consumes through brook-server, and
// producing to an unknown topic auto-creates it with num.partitions partitions.
#include <map>
#include <set>
#include <sstream>

#include "tests/integration/cluster_fixture.h"
#include "tests/integration/rdkafka_client.h"

namespace integration {
namespace {

using kcat_test = cluster_test;

struct kcat_line {
    int partition;
    std::string key;
    std::string value;
};

// Lines of `kcat -C -f '%p %k %s\n'`.
std::vector<kcat_line> parse(const std::string& out) {
    std::vector<kcat_line> result;
    for (const auto& l : lines(out)) {
        std::istringstream in(l);
        kcat_line k;
        in >> k.partition >> k.key >> k.value;
        result.push_back(k);
    }
    return result;
}

TEST_F(kcat_test, ten_thousand_keyed_messages_round_trip_with_stable_key_partitioning) {
    start_broker();
    ASSERT_NO_FATAL_FAILURE(create_topic("kcat-t", 3));

    constexpr int n = 10000;
    std::string input;
    std::multiset<std::pair<std::string, std::string>> sent;
    for (int i = 0; i < n; ++i) {
        std::string k = "k" + std::to_string(i % 100), v = "v" + std::to_string(i);
        input += k + ":" + v + "\n";
        sent.emplace(k, v);
    }
    auto p = kcat({"-P", "-t", "kcat-t", "-K:"}, input);
    ASSERT_EQ(p.exit_code(), 0) << p.describe();

    auto c = kcat({"-C", "-t", "kcat-t", "-e", "-q", "-o", "beginning", "-f", "%p %k %s\n"});
    ASSERT_EQ(c.exit_code(), 0) << c.describe();
    auto got = parse(c.out);
    ASSERT_EQ(got.size(), static_cast<std::size_t>(n)) << c.describe();

    std::multiset<std::pair<std::string, std::string>> received;
    std::map<std::string, std::set<int>> partitions_of_key;
    std::set<int> partitions_used;
    for (const auto& g : got) {
        received.emplace(g.key, g.value);
        partitions_of_key[g.key].insert(g.partition);
        partitions_used.insert(g.partition);
    }
    EXPECT_TRUE(received == sent) << "key/value multiset differs";
    EXPECT_EQ(partitions_of_key.size(), 100u);
    for (const auto& [key, parts] : partitions_of_key) {
        EXPECT_EQ(parts.size(), 1u) << "key " << key << " landed in " << parts.size() << " partitions";
    }
    // 100 keys over 3 partitions: all three are used with overwhelming probability.
    EXPECT_EQ(partitions_used, (std::set<int>{0, 1, 2}));
}

TEST_F(kcat_test, producing_to_unknown_topic_auto_creates_it_with_num_partitions) {
    // num.partitions comes through --override, which also checks the flag.
    start_broker(1, {{"auto.create.topics.enable", "true"}}, {"num.partitions=4"});
    std::string input;
    for (int i = 0; i < 20; ++i) input += "auto-" + std::to_string(i) + "\n";
    auto p = kcat({"-P", "-t", "auto-t"}, input);
    ASSERT_EQ(p.exit_code(), 0) << p.describe();

    std::string error;
    EXPECT_EQ(partition_count(broker().bootstrap(), "auto-t", &error), 4) << error;
    auto d = topics({"--describe", "--topic", "auto-t"});
    EXPECT_EQ(d.exit_code(), 0) << d.describe();
    EXPECT_NE(d.out.find("PartitionCount: 4"), std::string::npos) << d.out;

    auto c = kcat({"-C", "-t", "auto-t", "-e", "-q", "-o", "beginning", "-f", "%s\n"});
    ASSERT_EQ(c.exit_code(), 0) << c.describe();
    auto got = lines(c.out);
    std::multiset<std::string> values(got.begin(), got.end());
    std::multiset<std::string> expected;
    for (int i = 0; i < 20; ++i) expected.insert("auto-" + std::to_string(i));
    EXPECT_TRUE(values == expected) << c.out;
    EXPECT_TRUE(zk().exists(chroot() + "/brokers/topics/auto-t"));
}

}  // namespace
}  // namespace integration
