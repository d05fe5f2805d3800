#include "broker/group/offsets_format.h"

#include "protocol/wire/decode_error.h"
#include "protocol/wire/reader.h"
#include "protocol/wire/writer.h"

namespace broker::group {

namespace {
constexpr int16_t offset_key_version = 1;
constexpr int16_t group_key_version = 2;
constexpr int16_t group_value_version = 3;

std::vector<uint8_t> bytes_of(const protocol::wire::writer& w) { return w.to_bytes(); }
}  // namespace

std::vector<uint8_t> encode_key(const offset_key& k) {
    protocol::wire::writer w;
    w.write_int16(offset_key_version);
    w.write_string(k.group);
    w.write_string(k.topic);
    w.write_int32(k.partition);
    return bytes_of(w);
}

std::vector<uint8_t> encode_key(const group_key& k) {
    protocol::wire::writer w;
    w.write_int16(group_key_version);
    w.write_string(k.group);
    return bytes_of(w);
}

std::vector<uint8_t> encode_value(const offset_value& v) {
    protocol::wire::writer w;
    if (v.expire_timestamp) {
        w.write_int16(1);
        w.write_int64(v.offset);
        w.write_string(v.metadata);
        w.write_int64(v.commit_timestamp);
        w.write_int64(*v.expire_timestamp);
    } else {
        w.write_int16(3);
        w.write_int64(v.offset);
        w.write_int32(v.leader_epoch);
        w.write_string(v.metadata);
        w.write_int64(v.commit_timestamp);
    }
    return bytes_of(w);
}

std::vector<uint8_t> encode_value(const group_value& v) {
    protocol::wire::writer w;
    w.write_int16(group_value_version);
    w.write_string(v.protocol_type);
    w.write_int32(v.generation);
    w.write_nullable_string(v.protocol);
    w.write_nullable_string(v.leader);
    w.write_int64(v.current_state_timestamp);
    w.write_int32(static_cast<int32_t>(v.members.size()));
    for (const auto& m : v.members) {
        w.write_string(m.member_id);
        w.write_nullable_string(m.group_instance_id);
        w.write_string(m.client_id);
        w.write_string(m.client_host);
        w.write_int32(m.rebalance_timeout_ms);
        w.write_int32(m.session_timeout_ms);
        w.write_bytes(m.subscription);
        w.write_bytes(m.assignment);
    }
    return bytes_of(w);
}

namespace {

offset_value decode_offset_value(protocol::wire::reader& r) {
    offset_value v;
    const int16_t version = r.read_int16();
    if (version < 0 || version > 3) {
        throw protocol::wire::decode_error("unknown offset commit value version " + std::to_string(version));
    }
    v.offset = r.read_int64();
    if (version >= 3) v.leader_epoch = r.read_int32();
    v.metadata = r.read_string();
    v.commit_timestamp = r.read_int64();
    if (version == 1) v.expire_timestamp = r.read_int64();
    return v;
}

group_value decode_group_value(protocol::wire::reader& r) {
    group_value v;
    const int16_t version = r.read_int16();
    if (version < 0 || version > 3) {
        throw protocol::wire::decode_error("unknown group metadata value version " + std::to_string(version));
    }
    v.protocol_type = r.read_string();
    v.generation = r.read_int32();
    v.protocol = r.read_nullable_string();
    v.leader = r.read_nullable_string();
    if (version >= 2) v.current_state_timestamp = r.read_int64();
    const int32_t n = r.read_int32();
    if (n < 0) throw protocol::wire::decode_error("negative member count");
    for (int32_t i = 0; i < n; ++i) {
        member_value m;
        m.member_id = r.read_string();
        if (version >= 3) m.group_instance_id = r.read_nullable_string();
        m.client_id = r.read_string();
        m.client_host = r.read_string();
        if (version >= 1) m.rebalance_timeout_ms = r.read_int32();
        m.session_timeout_ms = r.read_int32();
        if (version == 0) m.rebalance_timeout_ms = m.session_timeout_ms;
        m.subscription = r.read_bytes();
        m.assignment = r.read_bytes();
        v.members.push_back(std::move(m));
    }
    return v;
}

}  // namespace

decoded_record decode_record(std::span<const uint8_t> key, std::optional<std::span<const uint8_t>> value) {
    try {
        protocol::wire::reader kr(key);
        const int16_t key_version = kr.read_int16();
        if (key_version == 0 || key_version == 1) {
            offset_record rec;
            rec.key.group = kr.read_string();
            rec.key.topic = kr.read_string();
            rec.key.partition = kr.read_int32();
            if (value) {
                protocol::wire::reader vr(*value);
                rec.value = decode_offset_value(vr);
            }
            return rec;
        }
        if (key_version == 2) {
            group_record rec;
            rec.key.group = kr.read_string();
            if (value) {
                protocol::wire::reader vr(*value);
                rec.value = decode_group_value(vr);
            }
            return rec;
        }
        return bad_record{"unknown key version " + std::to_string(key_version)};
    } catch (const protocol::wire::decode_error& e) {
        return bad_record{e.what()};
    }
}

}  // namespace broker::group
