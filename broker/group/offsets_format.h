#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace broker::group {

/// The records of `__consumer_offsets`, in Kafka's formats (so Kafka's tools can read our log and
/// a log written by Kafka can be loaded): every key and value is an int16 schema version followed
/// by a big-endian struct with classic (int16-length) strings and int32-length bytes.
///
///   offset commit key  v0/v1: group string, topic string, partition int32
///   offset commit value v0: offset int64, metadata string, commit_timestamp int64
///                       v1: offset, metadata, commit_timestamp, expire_timestamp int64
///                       v2: offset, metadata, commit_timestamp
///                       v3: offset, leader_epoch int32, metadata, commit_timestamp
///   group metadata key  v2: group string
///   group metadata value v0: protocol_type string, generation int32, protocol nullable string,
///                            leader nullable string, members[]
///                        v1: + member rebalance_timeout;  v2: + current_state_timestamp int64
///                            after leader;  v3: + member group_instance_id nullable string
///       member: member_id, [group_instance_id v3], client_id, client_host,
///               [rebalance_timeout int32 v1+], session_timeout int32, subscription bytes,
///               assignment bytes
/// A record with a null value is a tombstone: the key's offset or group is deleted.
/// We write offset values v3 (v1 when the commit has an explicit expiry, as Kafka 2.8 does) and
/// group values v3.

struct offset_key {
    std::string group;
    std::string topic;
    int32_t partition = 0;
    bool operator==(const offset_key&) const = default;
};

struct group_key {
    std::string group;
    bool operator==(const group_key&) const = default;
};

struct offset_value {
    int64_t offset = -1;
    int32_t leader_epoch = -1;  // -1 = unknown (values before v3)
    std::string metadata;
    int64_t commit_timestamp = -1;
    std::optional<int64_t> expire_timestamp;  // only from v1 values / explicit retention
    bool operator==(const offset_value&) const = default;
};

struct member_value {
    std::string member_id;
    std::optional<std::string> group_instance_id;
    std::string client_id;
    std::string client_host;
    int32_t rebalance_timeout_ms = 0;
    int32_t session_timeout_ms = 0;
    std::vector<uint8_t> subscription;
    std::vector<uint8_t> assignment;
    bool operator==(const member_value&) const = default;
};

struct group_value {
    std::string protocol_type;
    int32_t generation = 0;
    std::optional<std::string> protocol;
    std::optional<std::string> leader;
    int64_t current_state_timestamp = -1;
    std::vector<member_value> members;
    bool operator==(const group_value&) const = default;
};

std::vector<uint8_t> encode_key(const offset_key& k);
std::vector<uint8_t> encode_key(const group_key& k);
std::vector<uint8_t> encode_value(const offset_value& v);
std::vector<uint8_t> encode_value(const group_value& v);

/// What one record of the log says. Decoding never throws: malformed input is `bad` with a reason
/// (the loader logs and skips it, as Kafka does for unknown key versions).
struct offset_record {
    offset_key key;
    std::optional<offset_value> value;  // nullopt: tombstone
};
struct group_record {
    group_key key;
    std::optional<group_value> value;  // nullopt: tombstone
};
struct bad_record {
    std::string reason;
};
using decoded_record = std::variant<offset_record, group_record, bad_record>;

decoded_record decode_record(std::span<const uint8_t> key, std::optional<std::span<const uint8_t>> value);

}  // namespace broker::group
