#include "tools/common/consumer_protocol.h"

#include <map>

namespace tools {

namespace {

class out_bytes {
public:
    void i16(int16_t v) {
        auto u = static_cast<uint16_t>(v);
        b_.push_back(static_cast<uint8_t>(u >> 8));
        b_.push_back(static_cast<uint8_t>(u));
    }
    void i32(int32_t v) {
        auto u = static_cast<uint32_t>(v);
        for (int s = 24; s >= 0; s -= 8) b_.push_back(static_cast<uint8_t>(u >> s));
    }
    void str(const std::string& s) {
        i16(static_cast<int16_t>(s.size()));
        b_.insert(b_.end(), s.begin(), s.end());
    }
    void nullable_bytes(const std::optional<std::vector<uint8_t>>& v) {
        if (!v) return i32(-1);
        i32(static_cast<int32_t>(v->size()));
        b_.insert(b_.end(), v->begin(), v->end());
    }
    std::vector<uint8_t> take() { return std::move(b_); }

private:
    std::vector<uint8_t> b_;
};

class in_bytes {
public:
    explicit in_bytes(std::span<const uint8_t> b) : b_(b) {}
    bool ok() const { return ok_; }
    bool at_end() const { return pos_ == b_.size(); }
    int16_t i16() {
        if (!need(2)) return 0;
        auto v = static_cast<int16_t>(uint16_t{b_[pos_]} << 8 | uint16_t{b_[pos_ + 1]});
        pos_ += 2;
        return v;
    }
    int32_t i32() {
        if (!need(4)) return 0;
        uint32_t v = 0;
        for (int i = 0; i < 4; ++i) v = v << 8 | b_[pos_ + static_cast<size_t>(i)];
        pos_ += 4;
        return static_cast<int32_t>(v);
    }
    std::string str() {
        int16_t n = i16();
        if (n < 0 || !need(static_cast<size_t>(n))) {
            ok_ = false;
            return {};
        }
        std::string s(reinterpret_cast<const char*>(b_.data() + pos_), static_cast<size_t>(n));
        pos_ += static_cast<size_t>(n);
        return s;
    }
    std::optional<std::vector<uint8_t>> nullable_bytes() {
        int32_t n = i32();
        if (!ok_ || n < 0) return std::nullopt;
        if (!need(static_cast<size_t>(n))) return std::nullopt;
        std::vector<uint8_t> v(b_.begin() + static_cast<std::ptrdiff_t>(pos_),
                               b_.begin() + static_cast<std::ptrdiff_t>(pos_) + n);
        pos_ += static_cast<size_t>(n);
        return v;
    }
    /// An array count that cannot exceed the bytes left (each element needs >= min_size bytes).
    int32_t count(size_t min_size) {
        int32_t n = i32();
        if (n < 0 || static_cast<size_t>(n) * min_size > b_.size() - pos_) {
            ok_ = false;
            return 0;
        }
        return n;
    }

private:
    bool need(size_t n) {
        if (!ok_ || b_.size() - pos_ < n) ok_ = false;
        return ok_;
    }
    std::span<const uint8_t> b_;
    size_t pos_ = 0;
    bool ok_ = true;
};

}  // namespace

std::string to_string(const topic_partition& tp) {
    return tp.topic + "-" + std::to_string(tp.partition);
}

std::vector<uint8_t> encode_subscription(const consumer_subscription& s) {
    out_bytes o;
    o.i16(0);
    o.i32(static_cast<int32_t>(s.topics.size()));
    for (const auto& t : s.topics) o.str(t);
    o.nullable_bytes(s.user_data);
    return o.take();
}

std::optional<consumer_subscription> decode_subscription(std::span<const uint8_t> bytes) {
    in_bytes in(bytes);
    consumer_subscription s;
    int16_t version = in.i16();
    if (!in.ok() || version < 0) return std::nullopt;
    int32_t n = in.count(2);
    for (int32_t i = 0; i < n && in.ok(); ++i) s.topics.push_back(in.str());
    if (!in.ok()) return std::nullopt;
    // user_data is nullable; Kafka's own encoder always writes it, but tolerate its absence.
    if (!in.at_end()) {
        s.user_data = in.nullable_bytes();
        if (!in.ok()) return std::nullopt;
    }
    return s;
}

std::vector<uint8_t> encode_assignment(const consumer_assignment& a) {
    std::vector<std::string> order;
    std::map<std::string, std::vector<int32_t>> by_topic;
    for (const auto& tp : a.partitions) {
        if (!by_topic.count(tp.topic)) order.push_back(tp.topic);
        by_topic[tp.topic].push_back(tp.partition);
    }
    out_bytes o;
    o.i16(0);
    o.i32(static_cast<int32_t>(order.size()));
    for (const auto& t : order) {
        o.str(t);
        o.i32(static_cast<int32_t>(by_topic[t].size()));
        for (int32_t p : by_topic[t]) o.i32(p);
    }
    o.nullable_bytes(a.user_data);
    return o.take();
}

std::optional<consumer_assignment> decode_assignment(std::span<const uint8_t> bytes) {
    consumer_assignment a;
    if (bytes.empty()) return a;
    in_bytes in(bytes);
    int16_t version = in.i16();
    if (!in.ok() || version < 0) return std::nullopt;
    int32_t topics = in.count(6);
    for (int32_t i = 0; i < topics && in.ok(); ++i) {
        std::string topic = in.str();
        int32_t n = in.count(4);
        for (int32_t j = 0; j < n && in.ok(); ++j) a.partitions.push_back({topic, in.i32()});
    }
    if (!in.ok()) return std::nullopt;
    if (!in.at_end()) {
        a.user_data = in.nullable_bytes();
        if (!in.ok()) return std::nullopt;
    }
    return a;
}

}  // namespace tools
