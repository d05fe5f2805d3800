#include "storage/leader_epoch_cache.h"

#include <gtest/gtest.h>

#include "storage/errc.h"
#include "tests/unit/storage/storage_test_util.h"

namespace storage {
namespace {

using namespace storage::test;
using entries = std::vector<epoch_entry>;
constexpr std::pair<int32_t, int64_t> undefined{-1, -1};

leader_epoch_cache must_load(const fs::path& file) {
    auto r = leader_epoch_cache::load(file);
    EXPECT_TRUE(r) << (r ? "" : r.error().message());
    return r ? std::move(r).value() : leader_epoch_cache(file);
}

// (1, 0), (3, 10), (6, 25), written by assign.
leader_epoch_cache three_epochs(const fs::path& file) {
    leader_epoch_cache c(file);
    EXPECT_TRUE(c.assign(1, 0));
    EXPECT_TRUE(c.assign(3, 10));
    EXPECT_TRUE(c.assign(6, 25));
    EXPECT_EQ(c.entries(), (entries{{1, 0}, {3, 10}, {6, 25}}));
    return c;
}

TEST(leader_epoch_cache, missing_file_is_an_empty_cache_and_nothing_is_written) {
    temp_dir t;
    const auto file = t.path() / "leader-epoch-checkpoint";
    auto c = must_load(file);
    EXPECT_TRUE(c.entries().empty());
    EXPECT_FALSE(c.latest());
    EXPECT_FALSE(c.latest_epoch());
    EXPECT_EQ(c.end_offset_for(0, 100), undefined);
    EXPECT_FALSE(fs::exists(file));
}

TEST(leader_epoch_cache, file_is_written_exactly_as_kafka_writes_it) {
    temp_dir t;
    const auto file = t.path() / "leader-epoch-checkpoint";
    auto c = three_epochs(file);
    // LeaderEpochCheckpointFile: version, count, "<epoch> <start offset>" lines, '\n' endings.
    EXPECT_EQ(read_text(file), "0\n3\n1 0\n3 10\n6 25\n");
    EXPECT_FALSE(fs::exists(t.path() / "leader-epoch-checkpoint.tmp"));
    ASSERT_TRUE(c.truncate_from_end(0));
    EXPECT_EQ(read_text(file), "0\n0\n");
}

TEST(leader_epoch_cache, persistence_round_trip) {
    temp_dir t;
    const auto file = t.path() / "leader-epoch-checkpoint";
    three_epochs(file);
    auto c = must_load(file);
    EXPECT_EQ(c.entries(), (entries{{1, 0}, {3, 10}, {6, 25}}));
    EXPECT_EQ(c.latest(), (epoch_entry{6, 25}));
    EXPECT_EQ(c.latest_epoch(), 6);
    ASSERT_TRUE(c.assign(7, 40));
    EXPECT_EQ(must_load(file).entries(), (entries{{1, 0}, {3, 10}, {6, 25}, {7, 40}}));
}

TEST(leader_epoch_cache, assign_appends_newer_epochs_and_ignores_older_or_later_starts) {
    temp_dir t;
    const auto file = t.path() / "leader-epoch-checkpoint";
    leader_epoch_cache c(file);
    ASSERT_TRUE(c.assign(1, 0));
    ASSERT_TRUE(c.assign(2, 10));
    EXPECT_EQ(c.entries(), (entries{{1, 0}, {2, 10}}));

    // Nothing to change: the file is not rewritten (deleted here to prove it).
    fs::remove(file);
    ASSERT_TRUE(c.assign(2, 15));  // same epoch, later start: it started at 10
    ASSERT_TRUE(c.assign(2, 10));
    ASSERT_TRUE(c.assign(1, 20));  // an older epoch never comes back
    ASSERT_TRUE(c.assign(0, 10));
    EXPECT_EQ(c.entries(), (entries{{1, 0}, {2, 10}}));
    EXPECT_FALSE(fs::exists(file));

    ASSERT_TRUE(c.assign(5, 30));
    EXPECT_EQ(c.entries(), (entries{{1, 0}, {2, 10}, {5, 30}}));
    EXPECT_EQ(must_load(file).entries(), c.entries());
}

TEST(leader_epoch_cache, assign_at_the_latest_start_replaces_an_epoch_that_wrote_nothing) {
    temp_dir t;
    leader_epoch_cache c(t.path() / "leader-epoch-checkpoint");
    ASSERT_TRUE(c.assign(1, 0));
    ASSERT_TRUE(c.assign(5, 100));  // became leader at 100, wrote nothing
    ASSERT_TRUE(c.assign(6, 100));  // leader again
    EXPECT_EQ(c.entries(), (entries{{1, 0}, {6, 100}}));
    EXPECT_EQ(must_load(c.file()).entries(), c.entries());
}

TEST(leader_epoch_cache, assign_below_later_starts_removes_them_as_kafka_does) {
    temp_dir t;
    leader_epoch_cache c(t.path() / "leader-epoch-checkpoint");
    ASSERT_TRUE(c.assign(1, 0));
    ASSERT_TRUE(c.assign(2, 10));
    ASSERT_TRUE(c.assign(3, 30));
    // Same epoch, earlier start: the entry moves down.
    ASSERT_TRUE(c.assign(3, 25));
    EXPECT_EQ(c.entries(), (entries{{1, 0}, {2, 10}, {3, 25}}));
    // Newer epoch starting below existing entries: those entries go.
    ASSERT_TRUE(c.assign(4, 12));
    EXPECT_EQ(c.entries(), (entries{{1, 0}, {2, 10}, {4, 12}}));
    // Older epoch below existing starts: every entry with epoch >= 2 or start >= 5 goes.
    ASSERT_TRUE(c.assign(2, 5));
    EXPECT_EQ(c.entries(), (entries{{1, 0}, {2, 5}}));
    EXPECT_EQ(must_load(c.file()).entries(), c.entries());
}

TEST(leader_epoch_cache, assign_rejects_negative_values) {
    temp_dir t;
    leader_epoch_cache c(t.path() / "leader-epoch-checkpoint");
    EXPECT_EQ(c.assign(-1, 0).error(), errc::invalid_argument);
    EXPECT_EQ(c.assign(0, -1).error(), errc::invalid_argument);
    EXPECT_TRUE(c.entries().empty());
    EXPECT_FALSE(fs::exists(c.file()));
}

TEST(leader_epoch_cache, end_offset_for_every_branch) {
    temp_dir t;
    auto c = three_epochs(t.path() / "leader-epoch-checkpoint");  // (1,0) (3,10) (6,25)
    const int64_t leo = 40;
    EXPECT_EQ(c.end_offset_for(-1, leo), undefined);  // UNDEFINED_EPOCH asked
    EXPECT_EQ(c.end_offset_for(0, leo), undefined);   // below the first known epoch
    EXPECT_EQ(c.end_offset_for(1, leo), std::make_pair(1, int64_t{10}));
    EXPECT_EQ(c.end_offset_for(2, leo), std::make_pair(1, int64_t{10}));  // between epochs
    EXPECT_EQ(c.end_offset_for(3, leo), std::make_pair(3, int64_t{25}));
    EXPECT_EQ(c.end_offset_for(5, leo), std::make_pair(3, int64_t{25}));
    EXPECT_EQ(c.end_offset_for(6, leo), std::make_pair(6, leo));  // latest: the log end
    EXPECT_EQ(c.end_offset_for(7, leo), undefined);               // above the latest

    leader_epoch_cache one(t.path() / "other");
    ASSERT_TRUE(one.assign(4, 7));
    EXPECT_EQ(one.end_offset_for(4, 9), std::make_pair(4, int64_t{9}));
    EXPECT_EQ(one.end_offset_for(3, 9), undefined);
}

TEST(leader_epoch_cache, truncate_from_end_drops_entries_starting_at_or_after_the_end) {
    temp_dir t;
    auto c = three_epochs(t.path() / "leader-epoch-checkpoint");
    fs::remove(c.file());
    ASSERT_TRUE(c.truncate_from_end(26));  // nothing starts at or after 26: no write
    EXPECT_FALSE(fs::exists(c.file()));
    ASSERT_TRUE(c.truncate_from_end(25));
    EXPECT_EQ(c.entries(), (entries{{1, 0}, {3, 10}}));
    EXPECT_EQ(read_text(c.file()), "0\n2\n1 0\n3 10\n");
    ASSERT_TRUE(c.truncate_from_end(11));
    EXPECT_EQ(c.entries(), (entries{{1, 0}, {3, 10}}));
    ASSERT_TRUE(c.truncate_from_end(10));
    EXPECT_EQ(c.entries(), (entries{{1, 0}}));
    ASSERT_TRUE(c.truncate_from_end(0));
    EXPECT_TRUE(c.entries().empty());
    EXPECT_TRUE(must_load(c.file()).entries().empty());
}

TEST(leader_epoch_cache, truncate_from_start_moves_the_last_earlier_entry_up) {
    temp_dir t;
    auto c = three_epochs(t.path() / "leader-epoch-checkpoint");
    fs::remove(c.file());
    ASSERT_TRUE(c.truncate_from_start(0));  // (1, 0) already starts there: no write
    EXPECT_FALSE(fs::exists(c.file()));
    ASSERT_TRUE(c.truncate_from_start(5));
    EXPECT_EQ(c.entries(), (entries{{1, 5}, {3, 10}, {6, 25}}));
    ASSERT_TRUE(c.truncate_from_start(10));
    EXPECT_EQ(c.entries(), (entries{{3, 10}, {6, 25}}));
    ASSERT_TRUE(c.truncate_from_start(12));
    EXPECT_EQ(c.entries(), (entries{{3, 12}, {6, 25}}));
    ASSERT_TRUE(c.truncate_from_start(30));
    EXPECT_EQ(c.entries(), (entries{{6, 30}}));
    EXPECT_EQ(read_text(c.file()), "0\n1\n6 30\n");
    // Everything still answers from the moved entry.
    EXPECT_EQ(c.end_offset_for(6, 31), std::make_pair(6, int64_t{31}));

    leader_epoch_cache empty(t.path() / "empty");
    ASSERT_TRUE(empty.truncate_from_start(10));
    EXPECT_TRUE(empty.entries().empty());
    EXPECT_FALSE(fs::exists(empty.file()));
}

TEST(leader_epoch_cache, malformed_files_are_corrupt_checkpoint) {
    temp_dir t;
    const auto file = t.path() / "leader-epoch-checkpoint";
    for (const char* text : {
             "1\n0\n",                // unknown version
             "x\n0\n",                // version not a number
             "0\nx\n",                // count not a number
             "0\n-1\n",               // negative count
             "0\n2\n1 0\n",           // fewer entries than counted
             "0\n1\n1 0\n2 5\n",      // more entries than counted
             "0\n1\n1\n",             // one field
             "0\n1\n1 0 5\n",         // three fields
             "0\n1\na 0\n",           // epoch not a number
             "0\n1\n1 0x10\n",        // offset not a decimal number
             "0\n1\n 1 0\n",          // leading blank (Kafka's split gives an empty field)
             "0\n1\n-1 0\n",          // negative epoch
             "0\n1\n1 -5\n",          // negative offset
             "0\n2\n3 10\n2 20\n",    // epochs not increasing
             "0\n2\n1 10\n2 10\n",    // offsets not increasing
             "0\n1\n99999999999 0\n"  // epoch does not fit int32
         }) {
        write_text(file, text);
        auto r = leader_epoch_cache::load(file);
        ASSERT_FALSE(r) << text;
        EXPECT_EQ(r.error(), errc::corrupt_checkpoint) << text;
    }
}

TEST(leader_epoch_cache, tolerates_what_kafkas_reader_tolerates) {
    temp_dir t;
    const auto file = t.path() / "leader-epoch-checkpoint";
    for (const char* text : {"", "0\n", "0\n0\n", "0"}) {
        write_text(file, text);
        EXPECT_TRUE(must_load(file).entries().empty()) << '"' << text << '"';
    }
    write_text(file, "0\r\n2\r\n1 0\r\n4\t\t7   \n");  // CRLF, tabs, trailing blanks
    EXPECT_EQ(must_load(file).entries(), (entries{{1, 0}, {4, 7}}));
    write_text(file, "0\n1\n2 3");  // no final newline
    EXPECT_EQ(must_load(file).entries(), (entries{{2, 3}}));
}

TEST(leader_epoch_cache, a_failed_write_changes_nothing) {
    temp_dir t;
    // The directory does not exist, so the temp file cannot be created.
    leader_epoch_cache c(t.path() / "missing-dir" / "leader-epoch-checkpoint");
    EXPECT_EQ(c.assign(1, 0).error(), errc::io_error);
    EXPECT_TRUE(c.entries().empty());
}

TEST(leader_epoch_cache, remove_file_empties_the_cache) {
    temp_dir t;
    auto c = three_epochs(t.path() / "leader-epoch-checkpoint");
    ASSERT_TRUE(c.remove_file());
    EXPECT_TRUE(c.entries().empty());
    EXPECT_FALSE(fs::exists(c.file()));
    ASSERT_TRUE(c.remove_file());  // already gone: fine
}

}  // namespace
}  // namespace storage
