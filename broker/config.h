#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <system_error>
#include <variant>
#include <vector>

#include <boost/outcome.hpp>

namespace broker {

template <class T>
using result = boost::outcome_v2::std_result<T>;

/// A host:port endpoint of a listener, parsed from "PLAINTEXT://host:port".
struct endpoint {
    std::string security_protocol = "PLAINTEXT";
    std::string host;
    uint16_t port = 0;
};

/// The broker's static configuration: Kafka's key names (server.properties), parsed once at start-up
/// and then read-only, so any thread may read it without locking.
struct config {
    int32_t broker_id = 0;
    endpoint listener;             // listeners
    endpoint advertised_listener;  // advertised.listeners, defaults to the listener
    std::vector<std::string> log_dirs{"/tmp/brook-logs"};
    std::string zookeeper_connect;
    int32_t zookeeper_session_timeout_ms = 18000;
    int32_t zookeeper_connection_timeout_ms = 18000;
    int32_t num_partitions = 1;
    int16_t default_replication_factor = 1;
    int32_t min_insync_replicas = 1;
    bool auto_create_topics_enable = true;
    bool delete_topic_enable = true;
    uint64_t log_segment_bytes = 1073741824;
    uint32_t log_index_interval_bytes = 4096;
    // Brook's own: per partition, sealed segments kept open (fd + index entries); the least
    // recently read beyond it are closed until read again (storage/README.md, open segments).
    int32_t log_max_open_segments = 2;
    int64_t log_retention_ms = 7LL * 24 * 3600 * 1000;
    int64_t log_retention_bytes = -1;
    int64_t log_retention_check_interval_ms = 300000;
    // Roll by age (log.roll.ms over log.roll.hours, default 168 h) and by index size
    // (log.index.size.max.bytes: offset index max/8 entries, time index max/12).
    int64_t log_roll_ms = 7LL * 24 * 3600 * 1000;
    int32_t log_index_size_max_bytes = 10485760;
    // Flush policy (Kafka's names and defaults: off, the page cache and replication suffice).
    // Long.MAX means "never"; log.flush.interval.ms unset falls back to the scheduler interval,
    // as in Kafka.
    int64_t log_flush_interval_messages = std::numeric_limits<int64_t>::max();
    int64_t log_flush_interval_ms = std::numeric_limits<int64_t>::max();
    int64_t log_flush_scheduler_interval_ms = std::numeric_limits<int64_t>::max();
    // How often the log-start-offset and recovery-point checkpoints are written.
    int64_t log_flush_start_offset_checkpoint_interval_ms = 60000;
    int64_t log_flush_offset_checkpoint_interval_ms = 60000;
    std::string log_cleanup_policy = "delete";
    // Log cleaner (compaction of cleanup.policy=compact topics; Kafka's names and defaults). One
    // cleaner thread whatever log.cleaner.threads says.
    bool log_cleaner_enable = true;
    int32_t log_cleaner_threads = 1;
    int64_t log_cleaner_backoff_ms = 15000;
    double log_cleaner_min_cleanable_ratio = 0.5;
    int64_t log_cleaner_delete_retention_ms = 86400000;
    int64_t log_cleaner_min_compaction_lag_ms = 0;
    int64_t log_cleaner_dedupe_buffer_size = 134217728;
    int32_t message_max_bytes = 1048588;
    int32_t socket_request_max_bytes = 104857600;
    int32_t num_network_threads = 0;  // 0 = number of cores
    std::optional<std::string> broker_rack;
    bool unclean_leader_election_enable = false;
    int64_t replica_lag_time_max_ms = 30000;
    // Follower fetches (Kafka's names and defaults).
    int32_t replica_fetch_wait_max_ms = 500;
    int32_t replica_fetch_min_bytes = 1;
    int32_t replica_fetch_max_bytes = 1048576;
    int32_t replica_fetch_response_max_bytes = 10485760;
    int32_t replica_fetch_backoff_ms = 1000;
    int64_t replica_high_watermark_checkpoint_interval_ms = 5000;
    // Idempotent producers: state of a producer id silent this long is dropped (Kafka's names).
    int64_t producer_id_expiration_ms = 86400000;
    int64_t producer_id_expiration_check_interval_ms = 600000;
    // Group coordinator and __consumer_offsets (Kafka's names and defaults).
    int16_t offsets_topic_replication_factor = 3;
    int32_t offsets_topic_num_partitions = 50;
    int64_t offsets_topic_segment_bytes = 104857600;
    int64_t offsets_retention_ms = 7LL * 24 * 3600 * 1000;  // offsets.retention.minutes = 10080
    int64_t offsets_retention_check_interval_ms = 600000;
    int32_t offsets_commit_timeout_ms = 5000;
    int32_t offset_metadata_max_bytes = 4096;
    int32_t group_initial_rebalance_delay_ms = 3000;
    int32_t group_min_session_timeout_ms = 6000;
    int32_t group_max_session_timeout_ms = 1800000;
    int32_t group_max_size = std::numeric_limits<int32_t>::max();
    bool auto_leader_rebalance_enable = true;
    int64_t leader_imbalance_check_interval_seconds = 300;
    int32_t leader_imbalance_per_broker_percentage = 10;
    bool controlled_shutdown_enable = true;

    /// Keys that were set but that this broker does not know (warned about, never fatal).
    std::vector<std::string> unknown_keys;
    /// The known keys as given (server.properties and overrides): DescribeConfigs reports them
    /// as static broker settings, and topic configs tell whether their default was set here.
    std::map<std::string, std::string> properties;
};

/// Parses `key=value` lines (Java properties subset: '#'/'!' comments, blank lines, `key: value`,
/// trailing whitespace trimmed). Later entries override earlier ones.
result<std::map<std::string, std::string>> parse_properties(const std::string& text);

/// Builds a config from properties; bad values (non-numeric, out of range, malformed listener) are
/// errors with a message naming the key.
struct config_error {
    std::string message;
};
std::variant<config, config_error> make_config(const std::map<std::string, std::string>& props);

/// "PLAINTEXT://host:port" (first entry of a comma-separated list).
std::optional<endpoint> parse_listener(const std::string& value);

}  // namespace broker
