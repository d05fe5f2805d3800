// brook-delete-records without a broker: Kafka's offset JSON, its error messages, the command line
// and the output lines.
#include "tools/delete_records/delete_records_command.h"

#include <gtest/gtest.h>

namespace {

using tools::delete_records_outcome;
using tools::parse_offset_json;

TEST(delete_records_json, kafkas_format_with_and_without_version) {
    auto r = parse_offset_json(R"({"partitions": [{"topic": "foo", "partition": 1, "offset": 40},
                                                   {"topic": "bar", "partition": 0, "offset": -1}], "version": 1})");
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r.value().size(), 2u);
    EXPECT_EQ(r.value().at({"foo", 1}), 40);
    EXPECT_EQ(r.value().at({"bar", 0}), -1);
    auto no_version = parse_offset_json(R"({"partitions": [{"topic": "t", "partition": 0, "offset": 3}]})");
    ASSERT_TRUE(no_version);
    EXPECT_EQ(no_version.value().at({"t", 0}), 3);
}

TEST(delete_records_json, errors_are_kafkas_messages) {
    auto message = [](std::string_view text) {
        auto r = parse_offset_json(text);
        return r ? std::string("(parsed)") : r.error().message;
    };
    EXPECT_EQ(message("{not json"), "Error: The input string is not a valid JSON");
    EXPECT_EQ(message(R"({"partitions": [], "version": 2})"), "Error: Not supported version field value 2");
    EXPECT_EQ(message(R"({"version": 1})"), "Error: Missing partitions field");
    EXPECT_EQ(message(R"({"partitions": [{"topic": "t", "partition": 0, "offset": 1},
                                         {"topic": "t", "partition": 0, "offset": 2}]})"),
              "Error: Offset json file contains duplicate topic partitions: t-0");
    EXPECT_NE(message(R"({"partitions": [{"partition": 0, "offset": 1}]})").find("topic"), std::string::npos);
    EXPECT_NE(message(R"({"partitions": [{"topic": "t", "partition": -1, "offset": 1}]})").find("partition"),
              std::string::npos);
    EXPECT_NE(message(R"({"partitions": [{"topic": "t", "partition": 0, "offset": "x"}]})").find("offset"),
              std::string::npos);
}

TEST(delete_records_output, low_watermarks_and_errors_as_kafka_prints_them) {
    std::map<tools::delete_records_partition, delete_records_outcome> results;
    results[{"t", 0}] = {0, 40};
    results[{"t", 1}] = {1, -1};
    results[{"a", 3}] = {3, -1};
    EXPECT_EQ(tools::format_delete_records_result(results),
              "Executing records delete operation\n"
              "Records delete operation completed:\n"
              "partition: a-3\terror: org.apache.kafka.common.errors.UnknownTopicOrPartitionException: "
              "This server does not host this topic-partition.\n"
              "partition: t-0\tlow_watermark: 40\n"
              "partition: t-1\terror: org.apache.kafka.common.errors.OffsetOutOfRangeException: "
              "The requested offset is not within the range of offsets maintained by the server.\n");
}

TEST(delete_records_args, required_flags) {
    const char* ok[] = {"brook-delete-records", "--bootstrap-server", "h:1", "--offset-json-file", "f.json"};
    auto cl = tools::parse_delete_records_args(ok);
    ASSERT_TRUE(cl) << cl.error().message;
    EXPECT_EQ(cl.value().offset_json_file, "f.json");
    EXPECT_EQ(cl.value().bootstrap.size(), 1u);
    const char* no_file[] = {"brook-delete-records", "--bootstrap-server", "h:1"};
    auto missing = tools::parse_delete_records_args(no_file);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().message, "Error: Missing required argument \"[offset-json-file]\"");
    const char* no_server[] = {"brook-delete-records", "--offset-json-file", "f.json"};
    EXPECT_FALSE(tools::parse_delete_records_args(no_server));
    const char* help[] = {"brook-delete-records", "--help"};
    EXPECT_TRUE(tools::parse_delete_records_args(help).value().help);
}

}  // namespace
