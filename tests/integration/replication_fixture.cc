#include "tests/integration/replication_fixture.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "tests/support/temp_dir.h"

namespace integration {

using namespace test_support;
using namespace std::chrono_literals;

namespace {

rd_kafka_conf_t* conf_from(const std::map<std::string, std::string>& entries) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    char err[512];
    for (const auto& [k, v] : entries) {
        if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
            rd_kafka_conf_destroy(conf);
            throw std::runtime_error("librdkafka conf " + k + "=" + v + ": " + err);
        }
    }
    return conf;
}

rd_kafka_t* new_client(rd_kafka_type_t type, rd_kafka_conf_t* conf) {
    char err[512];
    rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
    if (rk == nullptr) {
        rd_kafka_conf_destroy(conf);
        throw std::runtime_error(std::string("rd_kafka_new: ") + err);
    }
    return rk;
}

std::int64_t be64(const char* p) {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
    return static_cast<std::int64_t>(v);
}

std::int32_t be32(const char* p) {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
    return static_cast<std::int32_t>(v);
}

std::string join(const std::vector<int>& ids) {
    std::string s;
    for (int id : ids) s += (s.empty() ? "" : ",") + std::to_string(id);
    return s;
}

}  // namespace

std::vector<int> sorted(std::vector<int> v) {
    std::sort(v.begin(), v.end());
    return v;
}

// ---- keyed_producer ----

struct keyed_producer::impl {
    rd_kafka_t* rk = nullptr;
    std::vector<delivery>* deliveries = nullptr;
};

namespace {
void on_keyed_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    auto* out = static_cast<std::vector<delivery>*>(opaque);
    auto i = reinterpret_cast<std::uintptr_t>(m->_private);
    if (i >= out->size()) return;
    auto& d = (*out)[i];
    d.reported = true;
    d.error = m->err;
    d.partition = m->partition;
    d.offset = m->err == RD_KAFKA_RESP_ERR_NO_ERROR ? m->offset : -1;
}
}  // namespace

keyed_producer::keyed_producer(const std::string& bootstrap, const std::map<std::string, std::string>& conf)
    : impl_(std::make_unique<impl>()) {
    std::map<std::string, std::string> entries{
        {"bootstrap.servers", bootstrap},
        {"linger.ms", "5"},
        {"queue.buffering.max.messages", "1000000"},
    };
    for (const auto& [k, v] : conf) entries[k] = v;
    rd_kafka_conf_t* c = conf_from(entries);
    rd_kafka_conf_set_dr_msg_cb(c, on_keyed_delivery);
    // deliveries_ grows only in send() on the thread that also runs the reports, so the
    // callback never sees the vector mid-reallocation.
    rd_kafka_conf_set_opaque(c, &deliveries_);
    impl_->rk = new_client(RD_KAFKA_PRODUCER, c);
    impl_->deliveries = &deliveries_;
}

keyed_producer::~keyed_producer() {
    if (impl_->rk != nullptr) {
        rd_kafka_flush(impl_->rk, 1000);
        rd_kafka_destroy(impl_->rk);
    }
}

std::size_t keyed_producer::send(const std::string& topic, const std::string& key, const std::string& value,
                                 std::int32_t partition) {
    std::size_t i = deliveries_.size();
    deliveries_.push_back({key, value, partition, -1, 0, false});
    while (true) {
        rd_kafka_resp_err_t err = rd_kafka_producev(
            impl_->rk, RD_KAFKA_V_TOPIC(topic.c_str()),
            RD_KAFKA_V_PARTITION(partition >= 0 ? partition : RD_KAFKA_PARTITION_UA),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(const_cast<char*>(key.data()), key.size()),
            RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
            RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(static_cast<std::uintptr_t>(i))), RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            rd_kafka_poll(impl_->rk, 20);
            continue;
        }
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            deliveries_[i].reported = true;
            deliveries_[i].error = err;
        }
        return i;
    }
}

void keyed_producer::poll(std::chrono::milliseconds timeout) {
    rd_kafka_poll(impl_->rk, static_cast<int>(timeout.count()));
}

bool keyed_producer::flush(std::chrono::milliseconds timeout) {
    return rd_kafka_flush(impl_->rk, static_cast<int>(timeout.count())) == RD_KAFKA_RESP_ERR_NO_ERROR;
}

std::size_t keyed_producer::acknowledged() const {
    return static_cast<std::size_t>(
        std::count_if(deliveries_.begin(), deliveries_.end(), [](const delivery& d) { return d.acknowledged(); }));
}

std::size_t keyed_producer::failed() const {
    return static_cast<std::size_t>(std::count_if(deliveries_.begin(), deliveries_.end(),
                                                  [](const delivery& d) { return d.reported && d.error != 0; }));
}

std::string keyed_producer::summary() const {
    std::ostringstream s;
    std::size_t unreported = 0;
    std::map<int, std::size_t> by_error;
    for (const auto& d : deliveries_) {
        if (!d.reported) {
            ++unreported;
        } else if (d.error != 0) {
            ++by_error[d.error];
        }
    }
    s << deliveries_.size() << " sent, " << acknowledged() << " acknowledged, " << failed() << " failed";
    for (const auto& [e, n] : by_error) {
        s << " [" << n << " x " << rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(e)) << "]";
    }
    if (unreported > 0) s << ", " << unreported << " without a report";
    return s.str();
}

// ---- partition_reader ----

struct partition_reader::impl {
    rd_kafka_t* rk = nullptr;
    rd_kafka_topic_t* rkt = nullptr;
    rd_kafka_queue_t* queue = nullptr;
    std::vector<std::int32_t> partitions;
};

partition_reader::partition_reader(const std::string& bootstrap, const std::string& topic,
                                   const std::map<std::int32_t, std::int64_t>& start,
                                   const std::map<std::string, std::string>& conf)
    : impl_(std::make_unique<impl>()) {
    std::map<std::string, std::string> entries{{"bootstrap.servers", bootstrap}, {"enable.partition.eof", "false"}};
    for (const auto& [k, v] : conf) entries[k] = v;
    impl_->rk = new_client(RD_KAFKA_CONSUMER, conf_from(entries));
    impl_->rkt = rd_kafka_topic_new(impl_->rk, topic.c_str(), nullptr);
    impl_->queue = rd_kafka_queue_new(impl_->rk);
    for (const auto& [p, off] : start) {
        if (rd_kafka_consume_start_queue(impl_->rkt, p, off, impl_->queue) != 0) {
            errors_.push_back("consume_start p" + std::to_string(p) + ": " +
                              rd_kafka_err2str(rd_kafka_last_error()));
        } else {
            impl_->partitions.push_back(p);
        }
    }
}

partition_reader::~partition_reader() {
    for (auto p : impl_->partitions) rd_kafka_consume_stop(impl_->rkt, p);
    rd_kafka_queue_destroy(impl_->queue);
    rd_kafka_topic_destroy(impl_->rkt);
    rd_kafka_destroy(impl_->rk);
}

void partition_reader::poll_once(int timeout_ms) {
    rd_kafka_message_t* batch[1000];
    ssize_t n = rd_kafka_consume_batch_queue(impl_->queue, timeout_ms, batch, 1000);
    for (ssize_t i = 0; i < n; ++i) {
        rd_kafka_message_t* m = batch[i];
        if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            if (errors_.size() < 20) errors_.push_back(std::string("consume: ") + rd_kafka_message_errstr(m));
        } else {
            record r;
            if (m->key != nullptr) r.key.assign(static_cast<const char*>(m->key), m->key_len);
            if (m->payload != nullptr) r.value.assign(static_cast<const char*>(m->payload), m->len);
            r.partition = m->partition;
            r.offset = m->offset;
            records_.push_back(std::move(r));
        }
        rd_kafka_message_destroy(m);
    }
}

std::size_t partition_reader::read_until(std::size_t total, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (records_.size() < total && std::chrono::steady_clock::now() < deadline) poll_once(100);
    return records_.size();
}

std::size_t partition_reader::read_for(std::chrono::milliseconds duration) {
    auto deadline = std::chrono::steady_clock::now() + duration;
    while (std::chrono::steady_clock::now() < deadline) poll_once(50);
    return records_.size();
}

// ---- ListOffsets ----

std::int64_t latest_offset(const std::string& bootstrap, const std::string& topic, std::int32_t partition,
                           std::string* error, std::chrono::milliseconds timeout) {
    rd_kafka_t* rk = nullptr;
    try {
        rk = new_client(RD_KAFKA_CONSUMER, conf_from({{"bootstrap.servers", bootstrap}}));
    } catch (const std::exception& e) {
        if (error) *error = e.what();
        return -1;
    }
    std::int64_t low = -1;
    std::int64_t high = -1;
    rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(rk, topic.c_str(), partition, &low, &high,
                                                               static_cast<int>(timeout.count()));
    rd_kafka_destroy(rk);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (error) *error = std::string("ListOffsets ") + topic + "-" + std::to_string(partition) + ": " +
                            rd_kafka_err2str(err);
        return -1;
    }
    return high;
}

// ---- on-disk batches ----

std::vector<disk_batch> read_disk_batches(const std::string& log_dir, const std::string& topic,
                                          std::int32_t partition, std::string* error) {
    namespace fs = std::filesystem;
    std::vector<disk_batch> out;
    fs::path dir = fs::path(log_dir) / (topic + "-" + std::to_string(partition));
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
        if (error) *error = dir.string() + " does not exist";
        return out;
    }
    std::vector<fs::path> segments;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        if (e.path().extension() == ".log") segments.push_back(e.path());
    }
    std::sort(segments.begin(), segments.end());  // 20-digit zero-padded base offsets
    for (const auto& seg : segments) {
        std::string data = read_file(seg.string());
        std::size_t pos = 0;
        // Entry: base offset int64 | batch length int32 | batch (length bytes; v2: leader epoch
        // int32 at +12, magic int8 at +16, crc at +17, attributes at +21, last offset delta int32
        // at +23 of the entry).
        while (data.size() - pos >= 12) {
            std::int32_t len = be32(data.data() + pos + 8);
            if (len < 49 || data.size() - pos - 12 < static_cast<std::size_t>(len)) {
                if (len < 49 && len != 0 && error) {
                    *error = seg.string() + ": bad batch length " + std::to_string(len) + " at " + std::to_string(pos);
                }
                break;
            }
            disk_batch b;
            b.base_offset = be64(data.data() + pos);
            b.leader_epoch = be32(data.data() + pos + 12);
            b.last_offset_delta = be32(data.data() + pos + 23);
            b.bytes = data.substr(pos, 12 + static_cast<std::size_t>(len));
            out.push_back(std::move(b));
            pos += 12 + static_cast<std::size_t>(len);
        }
    }
    return out;
}

std::int64_t disk_log_end(const std::vector<disk_batch>& batches) {
    return batches.empty() ? 0 : batches.back().next_offset();
}

// ---- replication_test ----

void replication_test::TearDown() {
    if (HasFailure()) {
        // The lines that tell a replication story; the plain tails (printed when the brokers
        // die) often show only the shutdown.
        static const std::vector<std::string> needles{"fetcher", "ISR", "isr", "truncat", "leader epoch",
                                                      "OffsetForLeaderEpoch", "high watermark", "LeaderAndIsr",
                                                      "NOT_ENOUGH", "error", "ERROR", "warn"};
        for (int id = 1; id <= broker_count_; ++id) {
            auto& b = by_id(id);
            std::vector<std::string> hits;
            for (const auto& line : lines(b.log())) {
                for (const auto& n : needles) {
                    if (line.find(n) != std::string::npos) {
                        hits.push_back(line);
                        break;
                    }
                }
            }
            std::size_t from = hits.size() > 80 ? hits.size() - 80 : 0;
            std::cerr << "---- broker " << id << ": last " << hits.size() - from << " of " << hits.size()
                      << " replication-related log lines (" << b.log_path() << ") ----\n";
            for (std::size_t i = from; i < hits.size(); ++i) std::cerr << hits[i] << "\n";
        }
    }
    failover_test::TearDown();
}

void replication_test::start_cluster(int n, const std::map<std::string, std::string>& properties) {
    broker_count_ = n;
    start_brokers(n, properties);
    // A broker's listener opens before it registers, so a topic created right away could be
    // placed on fewer than n brokers (or refused: replication factor above the live brokers).
    wait_for({}, [&](const cluster_view& v) { return static_cast<int>(v.brokers.size()) == n; }, 15s,
             std::to_string(n) + " brokers registered");
}

cluster_view replication_test::create_replicated_topic(const std::string& topic, int partitions, int replication,
                                                       const std::map<std::string, std::string>& configs) {
    std::vector<std::string> args{"--create", "--topic", topic, "--partitions", std::to_string(partitions),
                                  "--replication-factor", std::to_string(replication)};
    for (const auto& [k, v] : configs) {
        args.push_back("--config");
        args.push_back(k + "=" + v);
    }
    auto r = topics(args);
    if (r.exit_code() != 0) {
        ADD_FAILURE() << "brook-topics --create " << topic << ": " << r.describe();
        return view({topic});
    }
    return wait_for(
        {topic},
        [&](const cluster_view& v) {
            auto parts = v.topic_partitions(topic);
            if (static_cast<int>(parts.size()) != partitions || !v.all_led_by_live_brokers(topic)) return false;
            for (const auto& p : parts) {
                if (static_cast<int>(p.replicas.size()) != replication || p.isr.size() != p.replicas.size()) {
                    return false;
                }
            }
            return true;
        },
        std::chrono::seconds(30), "every partition of " + topic + " led with a full ISR");
}

cluster_view replication_test::wait_for_isr(const std::string& topic, int p, std::vector<int> isr, int leader,
                                            std::chrono::milliseconds timeout) {
    isr = sorted(std::move(isr));
    return wait_for(
        {topic},
        [&](const cluster_view& v) {
            const auto* s = v.partition(topic, p);
            return s != nullptr && sorted(s->isr) == isr && (leader < -1 || s->leader == leader);
        },
        timeout,
        topic + "-" + std::to_string(p) + " with ISR [" + join(isr) + "]" +
            (leader < -1 ? std::string() : " and leader " + std::to_string(leader)));
}

std::optional<std::string> replication_test::kill_leader_and_restart(const std::string& topic, int target,
                                                                    int partitions, int round,
                                                                    std::chrono::milliseconds failover_timeout,
                                                                    std::chrono::milliseconds rejoin_timeout) {
    const std::string tag = "round " + std::to_string(round);
    auto before = view({topic});
    const auto* state = before.partition(topic, target);
    if (state == nullptr || state->leader < 0) {
        ADD_FAILURE() << tag << ": " << topic << "-" << target << " has no leader:\n" << before.describe();
        return std::nullopt;
    }
    const int victim = state->leader;
    auto t0 = std::chrono::steady_clock::now();
    by_id(victim).kill();
    wait_for(
        {topic},
        [&](const cluster_view& v) {
            if (v.has_broker(victim) || !v.all_led_by_live_brokers(topic) || !v.led_by(victim).empty()) {
                return false;
            }
            // The controller also takes the dead broker out of the ISRs it was only a follower in;
            // the wait below then sees it rejoin them.
            for (const auto& p : v.topic_partitions(topic)) {
                if (std::count(p.isr.begin(), p.isr.end(), victim) != 0) return false;
            }
            return true;
        },
        failover_timeout, tag + ": new leaders after kill -9 of broker " + std::to_string(victim) +
                              ", and it out of every ISR");
    if (::testing::Test::HasFailure()) return std::nullopt;
    auto t1 = std::chrono::steady_clock::now();
    try {
        by_id(victim).start();
    } catch (const std::exception& e) {
        ADD_FAILURE() << tag << ": restarting broker " << victim << ": " << e.what();
        return std::nullopt;
    }
    wait_for(
        {topic},
        [&](const cluster_view& v) {
            auto parts = v.topic_partitions(topic);
            if (static_cast<int>(parts.size()) != partitions || !v.all_led_by_live_brokers(topic)) return false;
            for (const auto& p : parts) {
                if (p.isr.size() != 3) return false;
            }
            return true;
        },
        rejoin_timeout, tag + ": broker " + std::to_string(victim) + " back in every ISR");
    auto t2 = std::chrono::steady_clock::now();
    auto ms = [](auto d) { return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()); };
    return tag + ": kill -9 broker " + std::to_string(victim) + " (leader of " + topic + "-" + std::to_string(target) +
           "), new leaders after " + ms(t1 - t0) + " ms, full ISRs " + ms(t2 - t1) + " ms after restart";
}

cluster_view replication_test::wait_for_leader(const std::string& topic, int p, int leader,
                                               std::chrono::milliseconds timeout) {
    return wait_for(
        {topic},
        [&](const cluster_view& v) {
            const auto* s = v.partition(topic, p);
            return s != nullptr && s->leader == leader;
        },
        timeout, topic + "-" + std::to_string(p) + " led by " + std::to_string(leader));
}

std::map<int, std::int64_t> replication_test::disk_log_ends(const std::string& topic, int p,
                                                             const std::vector<int>& replicas) {
    std::map<int, std::int64_t> out;
    for (int id : replicas) {
        out[id] = disk_log_end(read_disk_batches(by_id(id).log_dir(), topic, p));
    }
    return out;
}

std::string replication_test::describe_partition(const std::string& topic, int p) {
    std::ostringstream s;
    try {
        s << view({topic}).describe();
    } catch (const std::exception& e) {
        s << "(no ZooKeeper view: " << e.what() << ")\n";
    }
    for (int id = 1; id <= broker_count_; ++id) {
        std::string err;
        auto batches = read_disk_batches(by_id(id).log_dir(), topic, p, &err);
        s << "  broker " << id << (by_id(id).running() ? "" : " (down)") << ": " << batches.size()
          << " batches on disk, log end " << disk_log_end(batches);
        if (!batches.empty()) s << ", last batch leader epoch " << batches.back().leader_epoch;
        if (!err.empty()) s << " (" << err << ")";
        s << "\n";
    }
    return s.str();
}

std::vector<int> replication_test::followers(const partition_view& p) {
    std::vector<int> out;
    for (int r : p.replicas) {
        if (r != p.leader) out.push_back(r);
    }
    return out;
}

int segment_file_count(const std::string& log_dir, const std::string& topic, std::int32_t partition) {
    int n = 0;
    std::error_code ec;
    const auto dir = std::filesystem::path(log_dir) / (topic + "-" + std::to_string(partition));
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
        if (e.path().extension() == ".log") ++n;
    }
    return n;
}

}  // namespace integration
