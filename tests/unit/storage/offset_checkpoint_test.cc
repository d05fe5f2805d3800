#include "storage/offset_checkpoint.h"

#include <gtest/gtest.h>

#include "storage/errc.h"
#include "tests/unit/storage/storage_test_util.h"

namespace storage {
namespace {

using namespace storage::test;

TEST(offset_checkpoint, round_trip_with_kafkas_exact_text) {
    temp_dir t;
    const auto file = t.path() / "replication-offset-checkpoint";
    const partition_offsets offsets{
        {{"b.c-d", 0}, 100}, {{"a", 1}, 7}, {{"a", 0}, 5}, {{"__consumer_offsets", 12}, 0}};
    ASSERT_TRUE(write_offset_checkpoint(file, offsets));
    EXPECT_EQ(read_text(file), "0\n4\n__consumer_offsets 12 0\na 0 5\na 1 7\nb.c-d 0 100\n");
    EXPECT_FALSE(fs::exists(t.path() / "replication-offset-checkpoint.tmp"));
    auto back = read_offset_checkpoint(file);
    ASSERT_TRUE(back);
    EXPECT_EQ(back.value(), offsets);
}

TEST(offset_checkpoint, rewrite_replaces_the_whole_file) {
    temp_dir t;
    const auto file = t.path() / "replication-offset-checkpoint";
    ASSERT_TRUE(write_offset_checkpoint(file, {{{"a", 0}, 5}, {{"a", 1}, 6}}));
    ASSERT_TRUE(write_offset_checkpoint(file, {{{"a", 1}, 9}}));
    EXPECT_EQ(read_text(file), "0\n1\na 1 9\n");
    ASSERT_TRUE(write_offset_checkpoint(file, {}));
    EXPECT_EQ(read_text(file), "0\n0\n");
    EXPECT_TRUE(read_offset_checkpoint(file).value().empty());
}

TEST(offset_checkpoint, missing_file_is_empty) {
    temp_dir t;
    auto r = read_offset_checkpoint(t.path() / "replication-offset-checkpoint");
    ASSERT_TRUE(r);
    EXPECT_TRUE(r.value().empty());
}

TEST(offset_checkpoint, reads_a_file_in_kafkas_unsorted_order) {
    temp_dir t;
    const auto file = t.path() / "replication-offset-checkpoint";
    write_text(file, "0\n3\nz 0 3\na 2 1\nm-x 1 2\n");
    auto r = read_offset_checkpoint(file);
    ASSERT_TRUE(r);
    EXPECT_EQ(r.value(), (partition_offsets{{{"a", 2}, 1}, {{"m-x", 1}, 2}, {{"z", 0}, 3}}));
}

TEST(offset_checkpoint, malformed_files_are_corrupt_checkpoint) {
    temp_dir t;
    const auto file = t.path() / "replication-offset-checkpoint";
    for (const char* text : {
             "1\n0\n",               // unknown version
             "0\n2\nt 0 1\n",        // bad count: fewer lines
             "0\n0\nt 0 1\n",        // bad count: more lines
             "0\nmany\nt 0 1\n",     // count not a number
             "0\n1\nt 0\n",          // bad line: two fields
             "0\n1\nt 0 1 2\n",      // bad line: four fields
             "0\n1\nt x 1\n",        // partition not a number
             "0\n1\nt 0 1.5\n",      // offset not an integer
             "0\n1\nt -1 1\n",       // negative partition
             "0\n1\n\n",             // empty line
             "0\n2\nt 0 1\nt 0 2\n"  // same partition twice
         }) {
        write_text(file, text);
        auto r = read_offset_checkpoint(file);
        ASSERT_FALSE(r) << text;
        EXPECT_EQ(r.error(), errc::corrupt_checkpoint) << text;
    }
}

TEST(offset_checkpoint, illegal_names_are_not_written) {
    temp_dir t;
    const auto file = t.path() / "replication-offset-checkpoint";
    EXPECT_EQ(write_offset_checkpoint(file, {{{"a b", 0}, 1}}).error(), errc::invalid_argument);
    EXPECT_EQ(write_offset_checkpoint(file, {{{"a", -1}, 1}}).error(), errc::invalid_argument);
    EXPECT_FALSE(fs::exists(file));
}

}  // namespace
}  // namespace storage
