#include "storage/log_manager.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "storage/errc.h"
#include "tests/unit/storage/storage_test_util.h"

namespace storage {
namespace {

using namespace storage::test;
using tp = std::pair<std::string, int32_t>;

std::vector<tp> sorted(std::vector<tp> v) {
    std::sort(v.begin(), v.end());
    return v;
}

TEST(log_manager, discovers_topics_with_dashes_and_dots_after_restart) {
    temp_dir t;
    std::vector<uint8_t> stored;
    {
        auto m = log_manager::open({t.path()}, {}).value();
        auto l = m->get_or_create("my-topic.v2", 3, {}).value();
        stored = make_batch(3);
        ASSERT_TRUE(l->append(stored, 0, 0));
        ASSERT_TRUE(m->get_or_create("a-b-c", 0, {}));
        ASSERT_TRUE(m->get_or_create("plain", 11, {}));
        ASSERT_TRUE(m->shutdown());
    }
    EXPECT_TRUE(fs::exists(t.path() / "my-topic.v2-3"));
    EXPECT_TRUE(fs::exists(t.path() / log_manager::clean_shutdown_file));
    // Not partition dirs: ignored.
    fs::create_directories(t.path() / "lost+found");
    fs::create_directories(t.path() / "nopartition");
    fs::create_directories(t.path() / "t-0.4f3a-delete");

    auto m = log_manager::open({t.path()}, {}).value();
    EXPECT_FALSE(fs::exists(t.path() / log_manager::clean_shutdown_file));
    EXPECT_EQ(sorted(m->partitions()),
              (std::vector<tp>{{"a-b-c", 0}, {"my-topic.v2", 3}, {"plain", 11}}));
    log* l = m->get("my-topic.v2", 3);
    ASSERT_NE(l, nullptr);
    EXPECT_EQ(l->log_end_offset(), 3);
    EXPECT_EQ(read_all(*l, 0), stored);
    EXPECT_EQ(m->get("my-topic.v2", 4), nullptr);
    EXPECT_EQ(m->get("my-topic", 3), nullptr);
}

TEST(log_manager, unclean_restart_recovers_torn_tails) {
    temp_dir t;
    {
        auto m = log_manager::open({t.path()}, {}).value();
        auto l = m->get_or_create("t", 0, {}).value();
        auto a = make_batch(2), b = make_batch(2);
        ASSERT_TRUE(l->append(a, 0, 0));
        ASSERT_TRUE(l->append(b, 0, 0));
        ASSERT_TRUE(l->flush());
        // no shutdown(): the destructor path must not leave a clean marker after a crash, so
        // simulate the crash by removing the marker the destructor wrote.
    }
    fs::remove(t.path() / log_manager::clean_shutdown_file);
    const auto seg = t.path() / "t-0" / "00000000000000000000.log";
    truncate_file(seg, fs::file_size(seg) - 1);
    auto m = log_manager::open({t.path()}, {}).value();
    EXPECT_EQ(m->get("t", 0)->log_end_offset(), 2);
}

TEST(log_manager, new_logs_go_to_the_dir_with_fewest_partitions) {
    temp_dir a, b;
    auto m = log_manager::open({a.path(), b.path()}, {}).value();
    for (int p = 0; p < 4; ++p) ASSERT_TRUE(m->get_or_create("t", p, {}));
    ASSERT_TRUE(m->get_or_create("t", 0, {}));  // existing: no new dir
    auto count = [](const fs::path& d) {
        int n = 0;
        for (const auto& e : fs::directory_iterator(d)) n += e.is_directory();
        return n;
    };
    EXPECT_EQ(count(a.path()), 2);
    EXPECT_EQ(count(b.path()), 2);
}

TEST(log_manager, same_partition_in_two_dirs_is_an_error) {
    temp_dir a, b;
    fs::create_directories(a.path() / "t-0");
    fs::create_directories(b.path() / "t-0");
    auto m = log_manager::open({a.path(), b.path()}, {});
    ASSERT_FALSE(m);
    EXPECT_EQ(m.error(), errc::already_exists);
}

TEST(log_manager, remove_deletes_the_directory) {
    temp_dir t;
    auto m = log_manager::open({t.path()}, {}).value();
    ASSERT_TRUE(m->get_or_create("gone", 0, {}));
    ASSERT_TRUE(fs::exists(t.path() / "gone-0"));
    ASSERT_TRUE(m->remove("gone", 0));
    EXPECT_FALSE(fs::exists(t.path() / "gone-0"));
    EXPECT_EQ(m->get("gone", 0), nullptr);
    EXPECT_TRUE(m->partitions().empty());
    EXPECT_TRUE(m->remove("never", 0));
}

TEST(log_manager, rejects_illegal_names) {
    temp_dir t;
    auto m = log_manager::open({t.path()}, {}).value();
    EXPECT_EQ(m->get_or_create("bad/name", 0, {}).error(), errc::invalid_argument);
    EXPECT_EQ(m->get_or_create("", 0, {}).error(), errc::invalid_argument);
    EXPECT_EQ(m->get_or_create("..", 0, {}).error(), errc::invalid_argument);
    EXPECT_EQ(m->get_or_create("ok", -1, {}).error(), errc::invalid_argument);
    EXPECT_EQ(m->get_or_create(std::string(250, 'a'), 0, {}).error(), errc::invalid_argument);
}

TEST(log_manager, meta_properties_written_then_checked) {
    temp_dir a, b;
    {
        auto m = log_manager::open({a.path(), b.path()}, {}).value();
        ASSERT_TRUE(m->check_meta(7, "abc123"));
    }
    for (const auto& d : {a.path(), b.path()}) {
        std::ifstream f(d / "meta.properties");
        std::string all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
        EXPECT_NE(all.find("version=0\n"), std::string::npos);
        EXPECT_NE(all.find("broker.id=7\n"), std::string::npos);
        EXPECT_NE(all.find("cluster.id=abc123\n"), std::string::npos);
    }
    auto m = log_manager::open({a.path(), b.path()}, {}).value();
    EXPECT_TRUE(m->check_meta(7, "abc123"));
    EXPECT_EQ(m->check_meta(8, "abc123").error(), errc::inconsistent_broker_id);
    EXPECT_EQ(m->check_meta(7, "other").error(), errc::inconsistent_cluster_id);
}

TEST(log_manager, concurrent_get_or_create_is_safe) {
    temp_dir t;
    auto m = log_manager::open({t.path()}, {}).value();
    std::vector<std::thread> threads;
    std::vector<log*> seen(8);
    for (int i = 0; i < 8; ++i) {
        threads.emplace_back([&, i] { seen[i] = m->get_or_create("c", i % 2, {}).value(); });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(m->partitions().size(), 2u);
    for (int i = 0; i < 8; ++i) EXPECT_EQ(seen[i], m->get("c", i % 2));
}

TEST(log_manager, high_watermark_checkpoints_round_trip_across_two_dirs) {
    temp_dir a, b;
    const char* name = "replication-offset-checkpoint";
    {
        auto m = log_manager::open({a.path(), b.path()}, {}).value();
        // Fewest partitions first, ties to the first dir: t-0, t-2, u-0 in a; t-1, t-3 in b.
        for (int p = 0; p < 4; ++p) ASSERT_TRUE(m->get_or_create("t", p, {}));
        ASSERT_TRUE(m->get_or_create("u", 0, {}));
        ASSERT_TRUE(fs::exists(a.path() / "u-0"));
        EXPECT_FALSE(m->checkpointed_high_watermark("t", 0));
        // u-0 has no entry (omitted), gone-0 has no log (ignored).
        ASSERT_TRUE(m->checkpoint_high_watermarks({{{"t", 0}, 5},
                                                   {{"t", 1}, 7},
                                                   {{"t", 2}, 0},
                                                   {{"t", 3}, 12},
                                                   {{"gone", 0}, 9}}));
        EXPECT_EQ(read_text(a.path() / name), "0\n2\nt 0 5\nt 2 0\n");
        EXPECT_EQ(read_text(b.path() / name), "0\n2\nt 1 7\nt 3 12\n");
        EXPECT_EQ(m->checkpointed_high_watermark("t", 1), 7);
        EXPECT_FALSE(m->checkpointed_high_watermark("u", 0));
        EXPECT_FALSE(m->checkpointed_high_watermark("gone", 0));
        ASSERT_TRUE(m->shutdown());
        EXPECT_EQ(m->checkpoint_high_watermarks({}).error(), errc::log_closed);
    }
    auto m = log_manager::open({a.path(), b.path()}, {}).value();
    EXPECT_EQ(m->checkpointed_high_watermark("t", 0), 5);
    EXPECT_EQ(m->checkpointed_high_watermark("t", 1), 7);
    EXPECT_EQ(m->checkpointed_high_watermark("t", 2), 0);
    EXPECT_EQ(m->checkpointed_high_watermark("t", 3), 12);
    EXPECT_FALSE(m->checkpointed_high_watermark("u", 0));
    EXPECT_FALSE(m->checkpointed_high_watermark("gone", 0));

    // Each checkpoint replaces the previous one; a dir left without entries gets an empty file.
    ASSERT_TRUE(m->checkpoint_high_watermarks({{{"t", 2}, 4}, {{"u", 0}, 1}}));
    EXPECT_EQ(read_text(a.path() / name), "0\n2\nt 2 4\nu 0 1\n");
    EXPECT_EQ(read_text(b.path() / name), "0\n0\n");
    EXPECT_FALSE(m->checkpointed_high_watermark("t", 0));
    EXPECT_FALSE(m->checkpointed_high_watermark("t", 1));
    EXPECT_EQ(m->checkpointed_high_watermark("t", 2), 4);
    EXPECT_EQ(m->checkpointed_high_watermark("u", 0), 1);
}

TEST(log_manager, removed_partition_forgets_its_high_watermark) {
    temp_dir t;
    {
        auto m = log_manager::open({t.path()}, {}).value();
        ASSERT_TRUE(m->get_or_create("t", 0, {}));
        ASSERT_TRUE(m->checkpoint_high_watermarks({{{"t", 0}, 42}}));
    }
    auto m = log_manager::open({t.path()}, {}).value();
    EXPECT_EQ(m->checkpointed_high_watermark("t", 0), 42);
    ASSERT_TRUE(m->remove("t", 0));
    EXPECT_FALSE(m->checkpointed_high_watermark("t", 0));
    ASSERT_TRUE(m->get_or_create("t", 0, {}));  // created again: starts without one
    EXPECT_FALSE(m->checkpointed_high_watermark("t", 0));
}

TEST(log_manager, malformed_high_watermark_checkpoint_fails_the_open) {
    temp_dir t;
    write_text(t.path() / "replication-offset-checkpoint", "0\n3\nt 0 1\n");
    auto m = log_manager::open({t.path()}, {});
    ASSERT_FALSE(m);
    EXPECT_EQ(m.error(), errc::corrupt_checkpoint);
}

TEST(log_manager, logs_keep_their_leader_epochs_across_restart) {
    temp_dir t;
    {
        auto m = log_manager::open({t.path()}, {}).value();
        auto l = m->get_or_create("t", 0, {}).value();
        auto b = make_batch(2);
        ASSERT_TRUE(l->append(b, 4, 0));
        ASSERT_TRUE(l->assign_epoch(6, l->log_end_offset()));
        ASSERT_TRUE(l->append(b = make_batch(1), 6, 0));
        ASSERT_TRUE(m->shutdown());
    }
    auto m = log_manager::open({t.path()}, {}).value();
    EXPECT_EQ(m->get("t", 0)->leader_epochs().entries(),
              (std::vector<epoch_entry>{{4, 0}, {6, 2}}));
}

}  // namespace
}  // namespace storage
