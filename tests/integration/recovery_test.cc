// Recovery (issue 6): after a crash (no clean-shutdown marker, no recovery point yet) a broker
// re-validates every segment, cuts its log at a batch corrupted in a closed segment, deletes the
// later segments and never serves the corrupt data; appends continue from the cut.
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "tests/integration/replication_fixture.h"

namespace integration {
namespace {

namespace fs = std::filesystem;
using recovery_test = cluster_test;

std::vector<record> numbered(std::size_t from, std::size_t to) {
    std::vector<record> r;
    for (std::size_t i = from; i < to; ++i) r.push_back({"k" + std::to_string(i), "v" + std::to_string(i), 0, -1});
    return r;
}

std::vector<fs::path> segment_logs(const fs::path& dir) {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(dir)) {
        if (e.path().extension() == ".log") out.push_back(e.path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

TEST_F(recovery_test, a_corrupt_closed_segment_is_cut_after_a_crash_and_never_served) {
    auto& b = start_broker(1, {{"log.segment.bytes", "16384"}});
    ASSERT_NO_FATAL_FAILURE(create_topic("rot", 1));
    // Small batches, so the records spread over several segments.
    auto p = produce(b.bootstrap(), "rot", numbered(0, 3000), {{"acks", "all"}, {"batch.num.messages", "20"}});
    ASSERT_TRUE(p.errors.empty()) << p.errors.front();
    b.kill();  // SIGKILL: no clean-shutdown marker; no recovery-point checkpoint was written yet
    const std::string node = chroot() + "/brokers/ids/1";
    ASSERT_TRUE(wait_until([&] { return !zk().exists(node); }, std::chrono::seconds(15)));

    const fs::path dir = fs::path(b.log_dir()) / "rot-0";
    auto logs = segment_logs(dir);
    ASSERT_GE(logs.size(), 3u);
    const std::int64_t cut = std::stoll(logs[1].stem().string());
    {
        // A record byte of the first batch of the second segment: its CRC no longer matches.
        std::fstream f(logs[1], std::ios::in | std::ios::out | std::ios::binary);
        f.seekg(70);
        char c = 0;
        f.read(&c, 1);
        c = static_cast<char>(c ^ 0x5a);
        f.seekp(70);
        f.write(&c, 1);
    }
    b.start();

    auto c = consume(b.bootstrap(), "rot", {{0, RD_KAFKA_OFFSET_BEGINNING}}, static_cast<std::size_t>(cut),
                     std::chrono::seconds(10), std::chrono::milliseconds(1000));
    ASSERT_TRUE(c.errors.empty()) << c.errors.front();
    ASSERT_EQ(c.records.size(), static_cast<std::size_t>(cut));  // nothing at or after the cut
    for (std::size_t i = 0; i < c.records.size(); ++i) {
        ASSERT_EQ(c.records[i].offset, static_cast<std::int64_t>(i));
        ASSERT_EQ(c.records[i].value, "v" + std::to_string(i));
    }
    EXPECT_EQ(latest_offset(b.bootstrap(), "rot", 0), cut);
    EXPECT_EQ(segment_logs(dir).size(), 2u);  // the later segments are gone

    auto more = produce(b.bootstrap(), "rot", numbered(0, 10), {{"acks", "all"}});
    ASSERT_TRUE(more.errors.empty()) << more.errors.front();
    EXPECT_EQ(more.delivered.front().offset, cut);
}

}  // namespace
}  // namespace integration
