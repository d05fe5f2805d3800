#include "tools/common/murmur2.h"

#include "protocol/records/record_batch_builder.h"

#include <gtest/gtest.h>

#include <string>

namespace tools {
namespace {

int32_t hash(std::string_view s) { return murmur2(protocol::records::as_bytes(s)); }

// Kafka's UtilsTest.testMurmur2 vectors (Java ints).
TEST(murmur2, matches_kafka_utils_test_vectors) {
    EXPECT_EQ(hash("21"), -973932308);
    EXPECT_EQ(hash("foobar"), -790332482);
    EXPECT_EQ(hash("a-little-bit-long-string"), -985981536);
    EXPECT_EQ(hash("a-little-bit-longer-string"), -1486304829);
    EXPECT_EQ(hash("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"), -58897971);
    EXPECT_EQ(hash("abc"), 479470107);
}

TEST(murmur2, covers_every_tail_length) {
    // One vector per length mod 4: "abc" (3), "21" (2), "foobar" (2), 24 and 26 bytes (0 and 2),
    // plus the 48-byte one (0); a 1-byte tail:
    EXPECT_EQ(std::string("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8").size() % 4, 0u);
    // Empty input hashes the seed alone: stable and defined.
    EXPECT_EQ(hash(""), hash(""));
    EXPECT_NE(hash("a"), hash("b"));
}

TEST(murmur2, to_positive_clears_the_sign_bit) {
    EXPECT_EQ(to_positive(-973932308), -973932308 & 0x7fffffff);
    EXPECT_EQ(to_positive(std::numeric_limits<int32_t>::min()), 0);
    EXPECT_EQ(to_positive(-1), 0x7fffffff);
    EXPECT_EQ(to_positive(5), 5);
}

TEST(murmur2, partition_for_key_is_the_java_default_partitioner) {
    auto key = [](std::string_view s) { return protocol::records::as_bytes(s); };
    // (-973932308 & 0x7fffffff) = 1173551340; % 3 = 0, % 6 = 0, % 7 = 5
    EXPECT_EQ(partition_for_key(key("21"), 3), 1173551340 % 3);
    EXPECT_EQ(partition_for_key(key("21"), 7), 1173551340 % 7);
    // (479470107 & 0x7fffffff) = 479470107
    EXPECT_EQ(partition_for_key(key("abc"), 5), 479470107 % 5);
    EXPECT_EQ(partition_for_key(key("foobar"), 1), 0);
    for (int n = 1; n < 50; ++n) {
        auto p = partition_for_key(key("order-42"), n);
        EXPECT_GE(p, 0);
        EXPECT_LT(p, n);
    }
}

}  // namespace
}  // namespace tools
