#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <vector>

#include "tests/integration/failover_fixture.h"
#include "tests/integration/rdkafka_client.h"

namespace integration {

/// Helpers of the replication tests (issue 4): a librdkafka producer that keeps one delivery
/// report per record (error code, partition, offset), a group-less consumer that can be polled
/// again and again while the cluster changes, ListOffsets through librdkafka, and a reader of a
/// partition's log files on a broker's disk.

/// One record sent by keyed_producer and what its delivery report said.
struct delivery {
    std::string key;
    std::string value;
    std::int32_t partition = -1;
    std::int64_t offset = -1;
    /// librdkafka's rd_kafka_resp_err_t (Kafka codes keep their wire values, e.g. 19 =
    /// NOT_ENOUGH_REPLICAS); meaningful only once `reported`.
    int error = 0;
    bool reported = false;

    bool acknowledged() const { return reported && error == 0 && offset >= 0; }
};

/// A librdkafka producer (C API) that remembers every record it sent and fills in its delivery
/// report. Reports run inside poll()/flush(), so one thread at a time must use an instance
/// (not necessarily the one that created it).
class keyed_producer {
public:
    /// `conf` overrides the defaults (bootstrap.servers, linger.ms=5, a 1,000,000-message queue).
    /// Throws std::runtime_error when librdkafka refuses the configuration.
    keyed_producer(const std::string& bootstrap, const std::map<std::string, std::string>& conf);
    ~keyed_producer();
    keyed_producer(const keyed_producer&) = delete;
    keyed_producer& operator=(const keyed_producer&) = delete;

    /// Queues one record (partition -1: the partitioner decides from the key); waits while the
    /// local queue is full. Returns the record's index in deliveries(). A record librdkafka
    /// refuses outright is reported at once with that error.
    std::size_t send(const std::string& topic, const std::string& key, const std::string& value,
                     std::int32_t partition = -1);
    /// Serves delivery reports for up to `timeout`.
    void poll(std::chrono::milliseconds timeout);
    /// Waits for every outstanding report; false if some are still missing after `timeout`.
    bool flush(std::chrono::milliseconds timeout);

    const std::vector<delivery>& deliveries() const { return deliveries_; }
    std::size_t acknowledged() const;
    std::size_t failed() const;
    /// "<n> acknowledged, <m> failed (first: ...)" for messages.
    std::string summary() const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
    std::vector<delivery> deliveries_;
};

/// A group-less librdkafka consumer (consume_start_queue per partition) that stays open between
/// calls, so a test can read, change the cluster, and read on. Use from one thread.
class partition_reader {
public:
    /// `start`: partition -> first offset (RD_KAFKA_OFFSET_BEGINNING = -2 works).
    partition_reader(const std::string& bootstrap, const std::string& topic,
                     const std::map<std::int32_t, std::int64_t>& start,
                     const std::map<std::string, std::string>& conf = {});
    ~partition_reader();
    partition_reader(const partition_reader&) = delete;
    partition_reader& operator=(const partition_reader&) = delete;

    /// Reads until `total` records have arrived since construction or `timeout` passed; returns
    /// the total so far.
    std::size_t read_until(std::size_t total, std::chrono::milliseconds timeout);
    /// Reads for exactly `duration` (to see that nothing more arrives).
    std::size_t read_for(std::chrono::milliseconds duration);

    const std::vector<record>& records() const { return records_; }
    const std::vector<std::string>& errors() const { return errors_; }

private:
    void poll_once(int timeout_ms);

    struct impl;
    std::unique_ptr<impl> impl_;
    std::vector<record> records_;
    std::vector<std::string> errors_;
};

/// ListOffsets (through librdkafka's rd_kafka_query_watermark_offsets, which asks the leader):
/// the latest offset, i.e. the high watermark, of one partition; -1 with `error` set on failure.
std::int64_t latest_offset(const std::string& bootstrap, const std::string& topic, std::int32_t partition,
                           std::string* error = nullptr,
                           std::chrono::milliseconds timeout = std::chrono::seconds(10));

/// One record batch as stored in a partition's .log files: the 12-byte entry header (base offset
/// int64, batch length int32, both big-endian) and the v2 batch after it, whole.
struct disk_batch {
    std::int64_t base_offset = 0;
    std::int32_t leader_epoch = 0;     // partitionLeaderEpoch, bytes 12..15 of the entry
    std::int32_t last_offset_delta = 0;  // bytes 23..26 of the entry
    std::string bytes;                 // header + batch, exactly as on disk

    std::int64_t next_offset() const { return base_offset + last_offset_delta + 1; }
};

/// Every batch of `<log_dir>/<topic>-<partition>/*.log`, segments in name (= base offset) order.
/// Stops at the first incomplete entry (a crash can leave one; a follower may be appending);
/// `error` names the reason when the files are missing or hold garbage.
std::vector<disk_batch> read_disk_batches(const std::string& log_dir, const std::string& topic,
                                          std::int32_t partition, std::string* error = nullptr);
/// How many .log segment files `<log_dir>/<topic>-<partition>/` holds (0 if it is missing).
int segment_file_count(const std::string& log_dir, const std::string& topic, std::int32_t partition);
/// Log end offset of those batches (0 when there are none).
std::int64_t disk_log_end(const std::vector<disk_batch>& batches);

/// The replication tests' fixture: failover_test (3 brokers under a per-test chroot, kazoo view
/// of ZooKeeper) plus topics with configs, ISR waits, and on failure each broker's replication
/// log lines (fetcher, ISR, truncation) on top of the usual log tails and znode dump.
class replication_test : public failover_test {
protected:
    void TearDown() override;

    /// Starts brokers 1..n (failover_test::start_brokers: 4 s session timeout unless
    /// `properties` say otherwise), waits until all n are registered in ZooKeeper, and remembers
    /// n for the per-broker helpers below.
    void start_cluster(int n, const std::map<std::string, std::string>& properties = {});

    /// brook-topics --create with `--config k=v` entries, then waits until every partition has a
    /// live leader and a full ISR (30 s). Fatal failure if the tool fails.
    test_support::cluster_view create_replicated_topic(const std::string& topic, int partitions, int replication,
                                                       const std::map<std::string, std::string>& configs);
    /// Waits until partition `p`'s ISR (as a set) is `isr` and, if `leader` >= -1, its leader is
    /// `leader`.
    test_support::cluster_view wait_for_isr(const std::string& topic, int p, std::vector<int> isr, int leader,
                                            std::chrono::milliseconds timeout);
    /// Waits until partition `p` has leader `leader` (-1: offline) in ZooKeeper.
    test_support::cluster_view wait_for_leader(const std::string& topic, int p, int leader,
                                               std::chrono::milliseconds timeout);
    /// Broker id -> log end offset of `topic`-`p` on that broker's disk, for each of `replicas`.
    std::map<int, std::int64_t> disk_log_ends(const std::string& topic, int p, const std::vector<int>& replicas);
    /// For failure messages: the ZooKeeper view of `topic` plus every broker's on-disk log end.
    std::string describe_partition(const std::string& topic, int p);
    /// The replicas of `p` other than `leader`, in assignment order.
    static std::vector<int> followers(const test_support::partition_view& p);
    /// Bootstrap of one broker.
    std::string bootstrap_of(int id) { return by_id(id).bootstrap(); }

    /// One round of the kill loops (issues 4 and 7): kill -9 the leader of `topic`-`target`, wait
    /// until every partition has a live leader and the dead broker is out of every ISR, restart
    /// it, and wait until all `partitions` have a full ISR of 3 again (so the next kill never takes
    /// an ISR below min.insync.replicas). Returns a line with the timings, or nullopt after adding
    /// a test failure. Call from the thread that started the brokers (their PDEATHSIG is tied to it).
    std::optional<std::string> kill_leader_and_restart(const std::string& topic, int target, int partitions,
                                                       int round, std::chrono::milliseconds failover_timeout,
                                                       std::chrono::milliseconds rejoin_timeout);

    int broker_count_ = 0;
};

/// The sorted ids of `v` (ISRs are sets; their znode order carries no meaning).
std::vector<int> sorted(std::vector<int> v);

}  // namespace integration
