#include "tools/common/record_decoder.h"
#include "tools/console_consumer/consumer_options.h"
#include "tools/console_consumer/range_assignor.h"

#include "protocol/records/crc32c.h"
#include "protocol/records/record_batch_builder.h"

#include <gtest/gtest.h>

namespace tools {
namespace {

namespace pr = protocol::records;

cli_result<consumer_command_line> parse(std::vector<const char*> args) {
    args.insert(args.begin(), {"brook-console-consumer", "--bootstrap-server", "h:1", "--topic", "t"});
    return parse_consumer_args(std::span<const char* const>(args.data(), args.size()));
}

TEST(consumer_options, defaults_and_flags) {
    auto d = parse({});
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_EQ(d.value().options.start, start_offset::latest);
    EXPECT_FALSE(d.value().options.group);
    EXPECT_EQ(d.value().options.session_timeout.count(), 10000);
    auto g = parse({"--group", "g", "--from-beginning", "--max-messages", "5", "--timeout-ms", "100",
                    "--property", "print.key=true", "--property", "key.separator=:"});
    ASSERT_TRUE(g) << g.error().message;
    const auto& o = g.value().options;
    EXPECT_EQ(o.group, "g");
    EXPECT_EQ(o.start, start_offset::earliest);
    EXPECT_EQ(o.max_messages, 5);
    EXPECT_EQ(o.timeout->count(), 100);
    EXPECT_TRUE(o.format.print_key);
    EXPECT_EQ(o.format.key_separator, ":");
    auto p = parse({"--partition", "2", "--offset", "17"});
    ASSERT_TRUE(p);
    EXPECT_EQ(p.value().options.partition, 2);
    EXPECT_EQ(p.value().options.start, start_offset::explicit_offset);
    EXPECT_EQ(p.value().options.offset, 17);
    EXPECT_EQ(parse({"--consumer-property", "group.id=x"}).value().options.group, "x");
}

TEST(consumer_options, kafkas_refusals) {
    EXPECT_EQ(parse({"--offset", "3"}).error().message,
              "Error: The partition is required when offset is specified.");
    EXPECT_EQ(parse({"--group", "g", "--partition", "0"}).error().message,
              "Error: Options group and partition cannot be specified together.");
    EXPECT_FALSE(parse({"--partition", "0", "--offset", "soon"}));
    EXPECT_FALSE(parse({"--partition", "0", "--offset", "1", "--from-beginning"}));
    EXPECT_FALSE(parse({"--from-beginning", "--consumer-property", "auto.offset.reset=latest"}));
    EXPECT_FALSE(parse({"--group", "a", "--consumer-property", "group.id=b"}));
    EXPECT_FALSE(parse({"--max-messages", "0"}));
}

consumed_record rec(std::optional<std::string> key, std::optional<std::string> value) {
    consumed_record r;
    r.offset = 42;
    r.timestamp = 1000;
    r.key = std::move(key);
    r.value = std::move(value);
    return r;
}

TEST(format_record, default_message_formatter) {
    formatter_options f;
    EXPECT_EQ(format_record(rec("k", "v"), 3, f), "v\n");
    f.print_key = true;
    EXPECT_EQ(format_record(rec("k", "v"), 3, f), "k\tv\n");
    EXPECT_EQ(format_record(rec(std::nullopt, std::nullopt), 3, f), "null\tnull\n");
    f.key_separator = ":";
    f.print_partition = true;
    f.print_offset = true;
    EXPECT_EQ(format_record(rec("k", "v"), 3, f), "Partition:3:Offset:42:k:v\n");
    f.print_timestamp = true;
    f.print_value = false;
    f.print_key = false;
    f.print_offset = false;
    EXPECT_EQ(format_record(rec("k", "v"), 3, f), "CreateTime:1000:Partition:3\n");
}

TEST(range_assignor, matches_kafkas_range_assignor) {
    using a = std::vector<topic_partition>;
    // 7 partitions over 3 members: 3, 2, 2 in member id order.
    auto r = range_assign({{"c", {"t"}}, {"a", {"t"}}, {"b", {"t"}}}, {{"t", 7}});
    EXPECT_EQ(r["a"], (a{{"t", 0}, {"t", 1}, {"t", 2}}));
    EXPECT_EQ(r["b"], (a{{"t", 3}, {"t", 4}}));
    EXPECT_EQ(r["c"], (a{{"t", 5}, {"t", 6}}));
    // More members than partitions: the last ones get nothing but are listed.
    auto s = range_assign({{"m1", {"t"}}, {"m2", {"t"}}, {"m3", {"u"}}}, {{"t", 1}});
    EXPECT_EQ(s["m1"], (a{{"t", 0}}));
    EXPECT_TRUE(s["m2"].empty());
    EXPECT_TRUE(s.count("m3") && s["m3"].empty());
    // Per topic independently.
    auto two = range_assign({{"x", {"t", "u"}}, {"y", {"t"}}}, {{"t", 2}, {"u", 2}});
    EXPECT_EQ(two["x"], (a{{"t", 0}, {"u", 0}, {"u", 1}}));
    EXPECT_EQ(two["y"], (a{{"t", 1}}));
}

std::vector<uint8_t> batch(int64_t base_offset, std::vector<std::pair<std::string, std::string>> kv,
                           pr::compression codec = pr::compression::none) {
    pr::record_batch_builder b(base_offset);
    b.set_compression(codec);
    for (auto& [k, v] : kv) {
        pr::record_input in;
        in.key = pr::as_bytes(k);
        in.value = pr::as_bytes(v);
        in.timestamp = 5000;
        b.add(in);
    }
    return b.build();
}

TEST(record_decoder, whole_batches_skipping_below_the_fetch_offset) {
    auto bytes = batch(10, {{"a", "1"}, {"b", "2"}, {"c", "3"}});
    auto second = batch(13, {{"d", "4"}});
    bytes.insert(bytes.end(), second.begin(), second.end());
    auto partial = batch(14, {{"e", "5"}});
    bytes.insert(bytes.end(), partial.begin(), partial.begin() + 20);  // cut off: left for later
    auto r = decode_records(bytes, 11);
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r.value().records.size(), 3u);
    EXPECT_EQ(r.value().records[0].offset, 11);
    EXPECT_EQ(r.value().records[0].key, "b");
    EXPECT_EQ(r.value().records[2].value, "4");
    EXPECT_EQ(r.value().records[2].timestamp, 5000);
    EXPECT_EQ(r.value().next_offset, 14);
    auto empty = decode_records({}, 7);
    ASSERT_TRUE(empty);
    EXPECT_EQ(empty.value().next_offset, 7);
}

TEST(record_decoder, batches_of_every_codec_are_decoded) {
    for (auto codec : {pr::compression::gzip, pr::compression::snappy, pr::compression::lz4, pr::compression::zstd}) {
        auto bytes = batch(0, {{"k1", "hello"}, {"k2", "world"}}, codec);
        ASSERT_EQ(pr::batch_view(bytes).codec(), codec);
        ASSERT_FALSE(pr::validate_batch(bytes));
        auto r = decode_records(bytes, 1);
        ASSERT_TRUE(r) << r.error().message;
        ASSERT_EQ(r.value().records.size(), 1u);
        EXPECT_EQ(r.value().records[0].offset, 1);
        EXPECT_EQ(r.value().records[0].key, "k2");
        EXPECT_EQ(r.value().records[0].value, "world");
        EXPECT_EQ(r.value().next_offset, 2);
    }
}

TEST(record_decoder, undecodable_records_and_corruption_are_errors) {
    auto bytes = batch(0, {{"k", "v"}});
    // Codec bits say snappy over records that are not snappy: a clear error, not a crash.
    auto snappy = bytes;
    snappy[22] = static_cast<uint8_t>((snappy[22] & ~0x07) | 0x02);
    uint32_t crc = pr::crc32c(std::span<const uint8_t>(snappy).subspan(pr::crc_covered_from));
    for (int i = 0; i < 4; ++i) snappy[17 + static_cast<size_t>(i)] = static_cast<uint8_t>(crc >> (24 - 8 * i));
    auto r = decode_records(snappy, 0);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("snappy batch at offset 0"), std::string::npos) << r.error().message;
    bytes.back() ^= 0xff;
    EXPECT_FALSE(decode_records(bytes, 0));
}

}  // namespace
}  // namespace tools
