#include "protocol/records/crc32c.h"

#include <gtest/gtest.h>

#include <numeric>
#include <string_view>
#include <vector>

namespace protocol::records {
namespace {

using impl = uint32_t (*)(std::span<const uint8_t>, uint32_t);

std::span<const uint8_t> bytes_of(std::string_view s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// RFC 3720 appendix B.4 vectors plus the usual check value; run against both implementations.
void check_vectors(impl f) {
    std::vector<uint8_t> zeros(32, 0x00), ones(32, 0xff), asc(32), desc(32);
    std::iota(asc.begin(), asc.end(), 0);
    for (size_t i = 0; i < 32; ++i) desc[i] = static_cast<uint8_t>(31 - i);
    EXPECT_EQ(f(zeros, 0), 0x8A9136AAu);
    EXPECT_EQ(f(ones, 0), 0x62A8AB43u);
    EXPECT_EQ(f(asc, 0), 0x46DD794Eu);
    EXPECT_EQ(f(desc, 0), 0x113FDB5Cu);
    EXPECT_EQ(f(bytes_of("123456789"), 0), 0xE3069283u);
    EXPECT_EQ(f({}, 0), 0u);
}

TEST(records_crc32c, table_matches_known_vectors) { check_vectors(detail::crc32c_table); }

TEST(records_crc32c, sse42_matches_known_vectors) {
    if (!detail::crc32c_hardware_available()) GTEST_SKIP() << "CPU without SSE4.2";
    check_vectors(detail::crc32c_sse42);
}

TEST(records_crc32c, dispatcher_matches_known_vectors) {
    check_vectors([](std::span<const uint8_t> d, uint32_t c) { return crc32c(d, c); });
}

TEST(records_crc32c, incremental_equals_one_shot_for_every_split_and_length) {
    std::vector<uint8_t> data(1000);
    for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 131 + 7);
    for (size_t len : {0u, 1u, 7u, 8u, 9u, 63u, 64u, 65u, 1000u}) {
        std::span<const uint8_t> all(data.data(), len);
        const uint32_t whole = crc32c(all);
        EXPECT_EQ(detail::crc32c_table(all, 0), whole) << len;
        for (size_t cut = 0; cut <= len; cut += 3) {
            EXPECT_EQ(crc32c(all.subspan(cut), crc32c(all.first(cut))), whole) << len << "/" << cut;
        }
    }
}

}  // namespace
}  // namespace protocol::records
