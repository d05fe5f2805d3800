#include "tests/integration/rdkafka_client.h"

#include <functional>

#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <memory>
#include <stdexcept>

namespace integration {
namespace {

struct kafka_deleter {
    void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using kafka_ptr = std::unique_ptr<rd_kafka_t, kafka_deleter>;

struct produce_state {
    produce_outcome* out;
};

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    auto* st = static_cast<produce_state*>(opaque);
    auto i = reinterpret_cast<std::uintptr_t>(m->_private);
    st->out->reports++;
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        st->out->errors.push_back("msg " + std::to_string(i) + ": " + rd_kafka_err2str(m->err));
        return;
    }
    if (i < st->out->delivered.size()) {
        st->out->delivered[i].partition = m->partition;
        st->out->delivered[i].offset = m->offset;
    }
}

rd_kafka_conf_t* make_conf(const std::map<std::string, std::string>& entries, std::string& error) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    char err[512];
    for (const auto& [k, v] : entries) {
        if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
            error = "conf " + k + "=" + v + ": " + err;
            rd_kafka_conf_destroy(conf);
            return nullptr;
        }
    }
    return conf;
}

kafka_ptr make_client(rd_kafka_type_t type, rd_kafka_conf_t* conf, std::string& error) {
    char err[512];
    rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
    if (rk == nullptr) {
        error = std::string("rd_kafka_new: ") + err;
        rd_kafka_conf_destroy(conf);
    }
    return kafka_ptr(rk);
}

}  // namespace

produce_outcome produce(const std::string& bootstrap, const std::string& topic,
                        const std::vector<record>& records,
                        const std::map<std::string, std::string>& conf_overrides,
                        std::chrono::milliseconds timeout) {
    produce_outcome out;
    out.delivered = records;
    for (auto& r : out.delivered) r.offset = -1;
    produce_state state{&out};

    std::map<std::string, std::string> entries{
        {"bootstrap.servers", bootstrap},
        {"linger.ms", "5"},
        {"queue.buffering.max.messages", "1000000"},
        {"message.timeout.ms", std::to_string(timeout.count())},
    };
    for (const auto& [k, v] : conf_overrides) entries[k] = v;
    std::string error;
    rd_kafka_conf_t* conf = make_conf(entries, error);
    if (conf == nullptr) {
        out.errors.push_back(error);
        return out;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_opaque(conf, &state);
    kafka_ptr rk = make_client(RD_KAFKA_PRODUCER, conf, error);
    if (!rk) {
        out.errors.push_back(error);
        return out;
    }
    for (std::size_t i = 0; i < records.size(); ++i) {
        const auto& r = records[i];
        while (true) {
            rd_kafka_resp_err_t err = rd_kafka_producev(
                rk.get(), RD_KAFKA_V_TOPIC(topic.c_str()),
                RD_KAFKA_V_PARTITION(r.partition >= 0 ? r.partition : RD_KAFKA_PARTITION_UA),
                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                RD_KAFKA_V_KEY(const_cast<char*>(r.key.data()), r.key.size()),
                RD_KAFKA_V_VALUE(const_cast<char*>(r.value.data()), r.value.size()),
                RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(static_cast<std::uintptr_t>(i))),
                RD_KAFKA_V_END);
            if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                rd_kafka_poll(rk.get(), 50);
                continue;
            }
            if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                out.errors.push_back("producev " + std::to_string(i) + ": " + rd_kafka_err2str(err));
            }
            break;
        }
        if (i % 1000 == 0) rd_kafka_poll(rk.get(), 0);
    }
    rd_kafka_resp_err_t ferr = rd_kafka_flush(rk.get(), static_cast<int>(timeout.count()));
    if (ferr != RD_KAFKA_RESP_ERR_NO_ERROR) {
        out.errors.push_back(std::string("flush: ") + rd_kafka_err2str(ferr) + ", " +
                             std::to_string(rd_kafka_outq_len(rk.get())) + " still queued");
    }
    return out;
}

produce_outcome produce_until(const std::string& bootstrap, const std::string& topic,
                              const std::atomic<bool>& stop, std::chrono::milliseconds interval,
                              const std::map<std::string, std::string>& conf_overrides,
                              std::chrono::milliseconds flush_timeout) {
    produce_outcome out;
    produce_state state{&out};
    std::map<std::string, std::string> entries{
        {"bootstrap.servers", bootstrap},
        {"linger.ms", "5"},
        {"message.timeout.ms", std::to_string(flush_timeout.count())},
    };
    for (const auto& [k, v] : conf_overrides) entries[k] = v;
    std::string error;
    rd_kafka_conf_t* conf = make_conf(entries, error);
    if (conf == nullptr) {
        out.errors.push_back(error);
        return out;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_opaque(conf, &state);
    kafka_ptr rk = make_client(RD_KAFKA_PRODUCER, conf, error);
    if (!rk) {
        out.errors.push_back(error);
        return out;
    }
    // Delivery reports run only inside rd_kafka_poll/flush on this thread, so growing
    // `delivered` between those calls is safe.
    for (std::size_t i = 0; !stop.load(); ++i) {
        out.delivered.push_back({"k" + std::to_string(i), "v" + std::to_string(i), -1, -1});
        const auto& r = out.delivered.back();
        rd_kafka_resp_err_t err = rd_kafka_producev(
            rk.get(), RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_KEY(const_cast<char*>(r.key.data()), r.key.size()),
            RD_KAFKA_V_VALUE(const_cast<char*>(r.value.data()), r.value.size()),
            RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(static_cast<std::uintptr_t>(i))), RD_KAFKA_V_END);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            out.errors.push_back("producev " + std::to_string(i) + ": " + rd_kafka_err2str(err));
        }
        rd_kafka_poll(rk.get(), static_cast<int>(interval.count()));
    }
    rd_kafka_resp_err_t ferr = rd_kafka_flush(rk.get(), static_cast<int>(flush_timeout.count()));
    if (ferr != RD_KAFKA_RESP_ERR_NO_ERROR) {
        out.errors.push_back(std::string("flush: ") + rd_kafka_err2str(ferr) + ", " +
                             std::to_string(rd_kafka_outq_len(rk.get())) + " still queued");
    }
    return out;
}

namespace {
// Polls `next` until `expected` records arrived (then `linger` more for extras) or nothing new
// came for `idle_timeout`.
void collect(const std::function<rd_kafka_message_t*()>& next, std::size_t expected,
             std::chrono::milliseconds idle_timeout, std::chrono::milliseconds linger, consume_outcome& out) {
    out.records.reserve(expected);
    auto last_progress = std::chrono::steady_clock::now();
    std::chrono::steady_clock::time_point done_at{};
    while (true) {
        auto now = std::chrono::steady_clock::now();
        if (out.records.size() >= expected) {
            if (done_at == std::chrono::steady_clock::time_point{}) done_at = now;
            if (now - done_at >= linger) break;
        } else if (now - last_progress >= idle_timeout) {
            out.errors.push_back("no new record for " + std::to_string(idle_timeout.count()) +
                                 " ms after " + std::to_string(out.records.size()) + " of " +
                                 std::to_string(expected));
            break;
        }
        rd_kafka_message_t* m = next();
        if (m == nullptr) continue;
        if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            if (out.errors.size() < 20) {
                out.errors.push_back(std::string("consume: ") + rd_kafka_message_errstr(m));
            }
        } else {
            record r;
            if (m->key != nullptr) r.key.assign(static_cast<const char*>(m->key), m->key_len);
            if (m->payload != nullptr) {
                r.value.assign(static_cast<const char*>(m->payload), m->len);
            }
            r.partition = m->partition;
            r.offset = m->offset;
            out.records.push_back(std::move(r));
            last_progress = std::chrono::steady_clock::now();
        }
        rd_kafka_message_destroy(m);
    }
}

kafka_ptr make_consumer(std::map<std::string, std::string> entries, const std::map<std::string, std::string>& overrides,
                        consume_outcome& out) {
    entries["enable.partition.eof"] = "false";
    for (const auto& [k, v] : overrides) entries[k] = v;
    std::string error;
    rd_kafka_conf_t* conf = make_conf(entries, error);
    if (conf == nullptr) {
        out.errors.push_back(error);
        return nullptr;
    }
    kafka_ptr rk = make_client(RD_KAFKA_CONSUMER, conf, error);
    if (!rk) out.errors.push_back(error);
    return rk;
}
}  // namespace

consume_outcome consume(const std::string& bootstrap, const std::string& topic,
                        const std::map<std::int32_t, std::int64_t>& start, std::size_t expected,
                        std::chrono::milliseconds idle_timeout, std::chrono::milliseconds linger,
                        const std::map<std::string, std::string>& conf_overrides) {
    consume_outcome out;
    kafka_ptr rk = make_consumer({{"bootstrap.servers", bootstrap}}, conf_overrides, out);
    if (!rk) return out;
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk.get(), topic.c_str(), nullptr);
    rd_kafka_queue_t* queue = rd_kafka_queue_new(rk.get());
    for (const auto& [p, off] : start) {
        if (rd_kafka_consume_start_queue(rkt, p, off, queue) != 0) {
            out.errors.push_back("consume_start p" + std::to_string(p) + ": " +
                                 rd_kafka_err2str(rd_kafka_last_error()));
        }
    }
    collect([&] { return rd_kafka_consume_queue(queue, 100); }, expected, idle_timeout, linger, out);
    for (const auto& [p, off] : start) rd_kafka_consume_stop(rkt, p);
    rd_kafka_queue_destroy(queue);
    rd_kafka_topic_destroy(rkt);
    return out;
}

consume_outcome consume_assigned(const std::string& bootstrap, const std::string& topic,
                                 const std::map<std::int32_t, std::int64_t>& start, std::size_t expected,
                                 std::chrono::milliseconds idle_timeout, std::chrono::milliseconds linger) {
    consume_outcome out;
    // The high-level consumer insists on a group.id even when it never joins the group; with
    // explicit offsets in the assignment and auto-commit off it never needs the coordinator.
    kafka_ptr rk = make_consumer({{"bootstrap.servers", bootstrap},
                                  {"group.id", "brook-assign-only"},
                                  {"enable.auto.commit", "false"},
                                  {"enable.auto.offset.store", "false"}},
                                 {}, out);
    if (!rk) return out;
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(static_cast<int>(start.size()));
    for (const auto& [p, off] : start) rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset = off;
    rd_kafka_resp_err_t err = rd_kafka_assign(rk.get(), list);
    rd_kafka_topic_partition_list_destroy(list);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        out.errors.push_back(std::string("assign: ") + rd_kafka_err2str(err));
        return out;
    }
    collect([&] { return rd_kafka_consumer_poll(rk.get(), 100); }, expected, idle_timeout, linger, out);
    rd_kafka_assign(rk.get(), nullptr);
    rd_kafka_consumer_close(rk.get());
    return out;
}

int partition_count(const std::string& bootstrap, const std::string& topic, std::string* error) {
    std::string err;
    rd_kafka_conf_t* conf = make_conf({{"bootstrap.servers", bootstrap}}, err);
    kafka_ptr rk = conf ? make_client(RD_KAFKA_PRODUCER, conf, err) : nullptr;
    if (!rk) {
        if (error) *error = err;
        return -1;
    }
    rd_kafka_topic_t* t = rd_kafka_topic_new(rk.get(), topic.c_str(), nullptr);
    const rd_kafka_metadata_t* md = nullptr;
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk.get(), 0, t, &md, 10000);
    int count = -1;
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (error) *error = rd_kafka_err2str(e);
    } else if (md->topic_cnt != 1 || md->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (error) {
            *error = md->topic_cnt == 1 ? rd_kafka_err2str(md->topics[0].err) : "no topic in metadata";
        }
    } else {
        count = md->topics[0].partition_cnt;
    }
    if (md) rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(t);
    return count;
}

std::string metadata_probe(const std::string& bootstrap, std::chrono::milliseconds timeout) {
    std::string err;
    rd_kafka_conf_t* conf = make_conf({{"bootstrap.servers", bootstrap}}, err);
    kafka_ptr rk = conf ? make_client(RD_KAFKA_PRODUCER, conf, err) : nullptr;
    if (!rk) return err;
    const rd_kafka_metadata_t* md = nullptr;
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk.get(), 1, nullptr, &md,
                                              static_cast<int>(timeout.count()));
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) return rd_kafka_err2str(e);
    std::string result = md->broker_cnt >= 1 ? "" : "metadata lists no broker";
    rd_kafka_metadata_destroy(md);
    return result;
}

}  // namespace integration
