#pragma once
// What the benchmark programs share: a librdkafka client built from key/value settings, failing
// with a message that names the bad setting.

#include <librdkafka/rdkafka.h>

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace bench {

struct bench_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

inline rd_kafka_t* make_client(rd_kafka_type_t type, const std::vector<std::pair<std::string, std::string>>& entries,
                               void (*dr)(rd_kafka_t*, const rd_kafka_message_t*, void*) = nullptr,
                               void* opaque = nullptr) {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    for (const auto& [k, v] : entries) {
        if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
            rd_kafka_conf_destroy(conf);
            throw bench_error("config " + k + "=" + v + ": " + err);
        }
    }
    if (dr) rd_kafka_conf_set_dr_msg_cb(conf, dr);
    if (opaque) rd_kafka_conf_set_opaque(conf, opaque);
    rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
    if (!rk) throw bench_error(std::string("rd_kafka_new: ") + err);
    return rk;
}

}  // namespace bench
