#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "broker/group/offsets_format.h"
#include "protocol/errors.h"

namespace broker::group {

/// The coordinator's view of the `__consumer_offsets` partitions this broker leads. Implemented
/// over the replica manager in the broker (replica_offsets_log) and in memory by unit tests.
class offsets_log {
public:
    virtual ~offsets_log() = default;
    /// Appends one uncompressed record batch to partition `p` as its leader at `leader_epoch` and
    /// calls `done` once every ISR member has it (acks=all), or with why not. Any thread.
    virtual void append(int32_t p, int32_t leader_epoch, std::vector<uint8_t> batch,
                        std::function<void(protocol::error_code)> done) = 0;
    /// Every stored batch of partition `p`, from its log start to its log end. Called on an io
    /// thread while the partition loads (never on the coordinator strand).
    virtual protocol::error_code read_all(int32_t p, std::vector<uint8_t>& out) = 0;
    /// The offset the next append to `p` gets (appends take their offsets in call order); -1 when
    /// unknown, which turns state snapshots (and so log trimming) off.
    virtual int64_t log_end_offset(int32_t) { return -1; }
    /// Deletes the oldest whole segments of `p` whose records are all below `offset`.
    virtual void delete_segments_below(int32_t, int64_t) {}
};

struct coordinator_config {
    int32_t offsets_partitions = 50;
    int32_t initial_rebalance_delay_ms = 3000;
    int32_t min_session_timeout_ms = 6000;
    int32_t max_session_timeout_ms = 1800000;
    int32_t max_group_size = 1 << 30;
    int32_t offset_metadata_max_bytes = 4096;
    int64_t offsets_retention_ms = 7LL * 24 * 3600 * 1000;
    int64_t offsets_retention_check_interval_ms = 600000;
    /// How often member deadlines (sessions, rebalance timeouts, initial delays) are checked.
    int64_t tick_ms = 100;
    /// When this many bytes were loaded or appended to a partition since its last state
    /// snapshot, the live state is written again and the segments below it deleted, which keeps
    /// __consumer_offsets bounded (storage has no compaction yet). Twice offsets.topic.segment.bytes
    /// in the broker, so a snapshot can free whole segments; <= 0: never.
    int64_t snapshot_after_bytes = 200LL << 20;
};

/// Kafka's group states, named as DescribeGroups and ListGroups report them.
enum class group_state { empty, preparing_rebalance, completing_rebalance, stable, dead };
const char* state_name(group_state s);

/// Java's String.hashCode over the UTF-16 form of `s` (invalid UTF-8 bytes count as U+FFFD), and
/// Kafka's partition choice abs(hash) % n with Utils.abs (INT_MIN -> 0): the same coordinator
/// partition a Kafka cluster would pick for the group.
int32_t java_string_hash(const std::string& s);
int32_t partition_for_group(const std::string& group, int32_t partitions);

struct protocol_metadata {
    std::string name;
    std::vector<uint8_t> metadata;
};

struct join_request {
    std::string group_id;
    std::string member_id;  // "" for a new member
    std::optional<std::string> group_instance_id;
    std::string client_id;
    std::string client_host;
    int32_t session_timeout_ms = 0;
    int32_t rebalance_timeout_ms = 0;  // v0 has none: the handler passes the session timeout
    std::string protocol_type;
    std::vector<protocol_metadata> protocols;
    bool require_known_member_id = false;  // JoinGroup v4+
};

struct join_member {
    std::string member_id;
    std::optional<std::string> group_instance_id;
    std::vector<uint8_t> metadata;
};

struct join_result {
    protocol::error_code error = protocol::error_code::none;
    int32_t generation = -1;
    std::optional<std::string> protocol_name;
    std::string leader;
    std::string member_id;
    std::vector<join_member> members;  // only for the leader
};

struct sync_request {
    std::string group_id;
    int32_t generation = -1;
    std::string member_id;
    std::map<std::string, std::vector<uint8_t>> assignments;  // only from the leader
};

struct sync_result {
    protocol::error_code error = protocol::error_code::none;
    std::vector<uint8_t> assignment;
};

struct leave_member {
    std::string member_id;
    std::optional<std::string> group_instance_id;
};

struct leave_result {
    protocol::error_code error = protocol::error_code::none;  // group level
    std::vector<protocol::error_code> members;                 // per leave_member
};

struct topic_partition {
    std::string topic;
    int32_t partition = 0;
    auto operator<=>(const topic_partition&) const = default;
};

struct offset_commit {
    topic_partition tp;
    int64_t offset = 0;
    int32_t leader_epoch = -1;
    std::string metadata;
    int64_t commit_timestamp = -1;  // -1: now (OffsetCommit v1 may set one)
};

struct commit_request {
    std::string group_id;
    int32_t generation = -1;  // < 0: a commit from outside group management ("simple" consumer)
    std::string member_id;
    int64_t retention_ms = -1;  // v2-v4; -1: offsets.retention
    std::vector<offset_commit> offsets;
};

struct commit_result {
    protocol::error_code error = protocol::error_code::none;  // when set, every partition has it
    std::vector<protocol::error_code> partitions;              // per request offset
};

struct fetched_offset {
    topic_partition tp;
    int64_t offset = -1;  // -1: nothing committed (the client applies auto.offset.reset)
    int32_t leader_epoch = -1;
    std::string metadata;
};

struct fetch_offsets_result {
    protocol::error_code error = protocol::error_code::none;
    std::vector<fetched_offset> offsets;
};

struct group_listing {
    std::string group_id;
    std::string protocol_type;
    group_state state = group_state::empty;
};

struct member_description {
    std::string member_id;
    std::optional<std::string> group_instance_id;
    std::string client_id;
    std::string client_host;
    std::vector<uint8_t> metadata;
    std::vector<uint8_t> assignment;
};

struct group_description {
    protocol::error_code error = protocol::error_code::none;
    group_state state = group_state::dead;
    std::string protocol_type;
    std::string protocol;
    std::vector<member_description> members;
};

/// Kafka's group coordinator (GroupCoordinator + GroupMetadataManager of Kafka 2.8): the groups
/// whose `__consumer_offsets` partition this broker leads, their membership state machine
/// (Empty -> PreparingRebalance -> CompletingRebalance -> Stable, Dead), and their committed
/// offsets, persisted to that partition before they are acknowledged and loaded back from it
/// when the broker becomes the partition's leader.
///
/// Threading: every public call may come from any thread; the work runs on one strand, which
/// owns all group state. Callbacks are invoked on that strand, exactly once each (a held
/// JoinGroup or SyncGroup answer is invoked later, when the rebalance completes, the member's
/// time runs out or the partition moves away). Loading reads the log off the strand.
class group_coordinator : public std::enable_shared_from_this<group_coordinator> {
public:
    using clock_fn = std::function<int64_t()>;  // wall clock, ms

    static std::shared_ptr<group_coordinator> make(boost::asio::any_io_executor ex, offsets_log& log,
                                                   coordinator_config cfg, clock_fn clock);
    ~group_coordinator();

    /// Starts the deadline tick and the offsets retention task.
    void start();
    /// Cancels the timers and answers every held request with NOT_COORDINATOR.
    void stop();

    const coordinator_config& config() const { return cfg_; }
    int32_t partition_for(const std::string& group) const {
        return partition_for_group(group, cfg_.offsets_partitions);
    }

    /// LeaderAndIsr made this broker leader of __consumer_offsets-p: its groups load from the log
    /// (COORDINATOR_LOAD_IN_PROGRESS meanwhile). A newer epoch of a partition already loaded
    /// only updates the epoch.
    void became_leader(int32_t p, int32_t leader_epoch);
    /// The partition went to another leader (or away): its groups are dropped from memory.
    void resigned(int32_t p);

    void join_group(join_request req, std::function<void(join_result)> done);
    void sync_group(sync_request req, std::function<void(sync_result)> done);
    void heartbeat(std::string group_id, std::string member_id, int32_t generation,
                   std::function<void(protocol::error_code)> done);
    void leave_group(std::string group_id, std::vector<leave_member> members, std::function<void(leave_result)> done);
    void commit_offsets(commit_request req, std::function<void(commit_result)> done);
    /// `partitions` nullopt: every offset the group has (OffsetFetch v2+ with null topics).
    void fetch_offsets(std::string group_id, std::optional<std::vector<topic_partition>> partitions,
                       std::function<void(fetch_offsets_result)> done);
    /// Groups of every loaded partition; COORDINATOR_LOAD_IN_PROGRESS if one is still loading.
    void list_groups(std::function<void(protocol::error_code, std::vector<group_listing>)> done);
    void describe_group(std::string group_id, std::function<void(group_description)> done);
    void delete_groups(std::vector<std::string> groups, std::function<void(std::vector<protocol::error_code>)> done);
    /// OffsetDelete: refused per partition (GROUP_SUBSCRIBED_TO_TOPIC) while a consumer member of
    /// a non-empty group subscribes to its topic.
    void delete_offsets(std::string group_id, std::vector<topic_partition> partitions,
                        std::function<void(protocol::error_code, std::vector<protocol::error_code>)> done);

    /// One round of deadline checks at `now_ms` (what the tick timer runs; tests call it); also
    /// starts state snapshots of partitions past snapshot_after_bytes.
    void tick(int64_t now_ms);
    /// One round of offsets retention at `now_ms` (what the retention timer runs).
    void expire_offsets(int64_t now_ms);

private:
    struct member;
    struct group;
    struct owned_partition {
        int32_t leader_epoch = -1;
        bool loaded = false;
        uint64_t load_id = 0;  // a load finishing for an older ownership is discarded
        int64_t bytes_since_snapshot = 0;  // loaded + appended
        int in_flight = 0;                 // appends not yet completed
        bool snapshotting = false;
    };

    group_coordinator(boost::asio::any_io_executor ex, offsets_log& log, coordinator_config cfg, clock_fn clock);

    template <class F>
    void on_strand(F&& f);

    /// NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS / none for the group's partition.
    protocol::error_code ownership_error(const std::string& group_id) const;
    group* find(const std::string& group_id);
    group& get_or_create(const std::string& group_id);

    void join_new_member(group& g, join_request& req, std::function<void(join_result)>& done);
    void join_known_member(group& g, join_request& req, std::function<void(join_result)>& done);
    void add_member_and_rebalance(group& g, join_request& req, std::string member_id,
                                  std::function<void(join_result)> done);
    void update_member_and_rebalance(group& g, member& m, join_request& req, std::function<void(join_result)> done);
    bool protocols_supported(const group& g, const std::string& type,
                             const std::vector<protocol_metadata>& protocols) const;
    void resigned_now(int32_t p);
    void prepare_rebalance(group& g, const char* reason);
    bool all_members_joined(const group& g) const;
    void maybe_complete_join(group& g, int64_t now_ms);
    void complete_join(group& g);
    void remove_member(group& g, const std::string& member_id, const char* reason);
    void reset_and_answer_syncs(group& g, protocol::error_code error);
    void store_group(group& g, std::function<void(protocol::error_code)> done);
    void append(int32_t p, std::vector<uint8_t> batch, std::function<void(protocol::error_code)> done);
    group_value snapshot(const group& g) const;
    void schedule_tick();
    void schedule_retention();
    void load(int32_t p, uint64_t load_id);
    void apply_loaded(int32_t p, uint64_t load_id, std::vector<uint8_t> bytes, protocol::error_code error);
    std::set<std::string> subscribed_topics(const group& g) const;
    void remove_group_if_dead(const std::string& group_id);
    /// Writes the live state of partition `p` (every stored group, every offset) again and, once
    /// the ISR has it, deletes the segments it supersedes. Only with no append in flight, so the
    /// in-memory state is exactly what the log says up to its end.
    void snapshot_and_trim(int32_t p);

    boost::asio::strand<boost::asio::any_io_executor> strand_;
    offsets_log& log_;
    const coordinator_config cfg_;
    clock_fn clock_;
    boost::asio::steady_timer tick_timer_;
    boost::asio::steady_timer retention_timer_;
    bool stopped_ = false;
    uint64_t next_load_id_ = 1;
    std::map<int32_t, owned_partition> owned_;
    std::map<std::string, std::unique_ptr<group>> groups_;
};

}  // namespace broker::group
