// brook-bench: librdkafka produce and consume throughput against brook.
//
// By default it starts its own ZooKeeper and one brook-server (tests/support fixtures, temp
// dirs, everything killed on exit); --bootstrap H:P uses an existing cluster instead. It
// produces --records records of --record-size bytes to a fresh 1-partition topic, waits for every
// delivery report, then consumes them all from the beginning group-less (consume_start_queue). Prints
//   produce: N records in S s = X msg/s, Y MB/s
//   consume: N records in S s = X msg/s, Y MB/s
// A program, not a test: it asserts nothing beyond "all records came back".
#include <librdkafka/rdkafka.h>

#include <vector>

#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "tests/bench/rdkafka_bench.h"
#include "tests/support/broker_process.h"
#include "tests/support/process.h"
#include "tests/support/zookeeper_server.h"

namespace {

namespace po = boost::program_options;
using clock_type = std::chrono::steady_clock;

struct options {
    std::string bootstrap;
    std::string topic;
    long records = 1000000;
    std::size_t record_size = 100;
    std::string acks = "1";
    std::string compression = "none";
    int linger_ms = 5;
    int batch_size = 1000000;
    bool skip_consume = false;
};

using bench::bench_error;
using bench::make_client;

struct delivery_counts {
    long ok = 0;
    long failed = 0;
    std::string first_error;
};

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    auto* c = static_cast<delivery_counts*>(opaque);
    if (m->err) {
        if (c->failed++ == 0) c->first_error = rd_kafka_err2str(m->err);
    } else {
        c->ok++;
    }
}

void print_rate(const char* what, long n, std::size_t size, clock_type::duration d) {
    double s = std::chrono::duration<double>(d).count();
    std::printf("%s: %ld records in %.3f s = %.0f msg/s, %.1f MB/s\n", what, n, s, n / s,
                static_cast<double>(n) * static_cast<double>(size) / s / 1e6);
    std::fflush(stdout);
}

void produce_phase(const options& o) {
    delivery_counts counts;
    rd_kafka_t* rk = make_client(
        RD_KAFKA_PRODUCER,
        {{"bootstrap.servers", o.bootstrap},
         {"acks", o.acks},
         {"linger.ms", std::to_string(o.linger_ms)},
         {"batch.size", std::to_string(o.batch_size)},
         {"batch.num.messages", "1000000"},
         {"queue.buffering.max.messages", "2000000"},
         {"queue.buffering.max.kbytes", "2097151"},
         {"compression.codec", o.compression}},
        on_delivery, &counts);
    // Make sure the topic's leader is known before the clock starts.
    const rd_kafka_metadata_t* md = nullptr;
    rd_kafka_topic_t* t = rd_kafka_topic_new(rk, o.topic.c_str(), nullptr);
    rd_kafka_metadata(rk, 0, t, &md, 10000);
    if (md) rd_kafka_metadata_destroy(md);

    std::string payload(o.record_size, 'x');
    auto start = clock_type::now();
    for (long i = 0; i < o.records; ++i) {
        while (rd_kafka_produce(t, 0, RD_KAFKA_MSG_F_COPY, payload.data(), payload.size(), nullptr, 0,
                                nullptr) != 0) {
            if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                throw bench_error(std::string("produce: ") + rd_kafka_err2str(rd_kafka_last_error()));
            }
            rd_kafka_poll(rk, 10);
        }
        if ((i & 0xfff) == 0) rd_kafka_poll(rk, 0);
    }
    rd_kafka_flush(rk, 300000);
    auto elapsed = clock_type::now() - start;
    rd_kafka_topic_destroy(t);
    rd_kafka_destroy(rk);
    if (counts.failed > 0 || counts.ok != o.records) {
        throw bench_error("produce: " + std::to_string(counts.ok) + " delivered, " +
                          std::to_string(counts.failed) + " failed (first: " + counts.first_error + ")");
    }
    print_rate("produce", o.records, o.record_size, elapsed);
}

void consume_phase(const options& o) {
    rd_kafka_t* rk = make_client(RD_KAFKA_CONSUMER, {{"bootstrap.servers", o.bootstrap},
                                                     {"enable.partition.eof", "false"},
                                                     {"fetch.max.bytes", "52428800"},
                                                     {"max.partition.fetch.bytes", "10485760"},
                                                     {"queued.min.messages", "1000000"}});
    // Group-less read of partition 0 (rd_kafka_assign would need a group.id and a coordinator).
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, o.topic.c_str(), nullptr);
    rd_kafka_queue_t* queue = rd_kafka_queue_new(rk);
    if (rd_kafka_consume_start_queue(rkt, 0, RD_KAFKA_OFFSET_BEGINNING, queue) != 0) {
        throw bench_error(std::string("consume_start: ") + rd_kafka_err2str(rd_kafka_last_error()));
    }
    long got = 0;
    auto start = clock_type::now();
    auto last = start;
    // Batches of messages per call: one call per message would measure librdkafka's queue
    // overhead rather than the broker.
    std::vector<rd_kafka_message_t*> batch(10000);
    while (got < o.records) {
        ssize_t n = rd_kafka_consume_batch_queue(queue, 100, batch.data(), batch.size());
        if (n <= 0) {
            if (clock_type::now() - last > std::chrono::seconds(30)) {
                throw bench_error("consume: stalled after " + std::to_string(got) + " records");
            }
            continue;
        }
        last = clock_type::now();
        for (ssize_t i = 0; i < n; ++i) {
            rd_kafka_message_t* m = batch[static_cast<size_t>(i)];
            if (!m->err) {
                ++got;
            } else {
                std::fprintf(stderr, "consume error: %s\n", rd_kafka_message_errstr(m));
            }
            rd_kafka_message_destroy(m);
        }
    }
    auto elapsed = clock_type::now() - start;
    rd_kafka_consume_stop(rkt, 0);
    rd_kafka_queue_destroy(queue);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
    print_rate("consume", got, o.record_size, elapsed);
}

}  // namespace

int main(int argc, char** argv) {
    options o;
    po::options_description desc("brook-bench options");
    desc.add_options()("help,h", "this help")
        ("bootstrap", po::value(&o.bootstrap), "existing cluster H:P (default: start ZooKeeper + one brook-server)")
        ("topic", po::value(&o.topic), "topic (default: bench-<pid>, auto-created)")
        ("records,n", po::value(&o.records)->default_value(o.records), "record count")
        ("record-size,s", po::value(&o.record_size)->default_value(o.record_size), "value bytes per record")
        ("acks", po::value(&o.acks)->default_value(o.acks), "0, 1 or all")
        ("compression", po::value(&o.compression)->default_value(o.compression), "none, gzip, snappy, lz4, zstd")
        ("linger-ms", po::value(&o.linger_ms)->default_value(o.linger_ms), "producer linger.ms")
        ("batch-size", po::value(&o.batch_size)->default_value(o.batch_size), "producer batch.size bytes")
        ("produce-only", po::bool_switch(&o.skip_consume), "skip the consume phase");
    po::variables_map vm;
    try {
        po::store(po::parse_command_line(argc, argv, desc), vm);
        po::notify(vm);
    } catch (const std::exception& e) {
        std::cerr << "brook-bench: " << e.what() << "\n" << desc;
        return 1;
    }
    if (vm.count("help")) {
        std::cout << desc;
        return 0;
    }
    if (o.topic.empty()) o.topic = "bench-" + std::to_string(::getpid());
    try {
        std::unique_ptr<test_support::zookeeper_server> zk;
        std::unique_ptr<test_support::broker_process> broker;
        if (o.bootstrap.empty()) {
            zk = std::make_unique<test_support::zookeeper_server>();
            test_support::broker_options bo;
            bo.zookeeper_connect = zk->connect_string() + "/brook-bench";
            bo.properties = {{"num.partitions", "1"},
                             {"message.max.bytes", "10485760"},
                             {"log.segment.bytes", "1073741824"}};
            broker = std::make_unique<test_support::broker_process>(bo);
            o.bootstrap = broker->bootstrap();
            std::printf("started ZooKeeper %s and brook-server %s (log %s)\n", zk->connect_string().c_str(),
                        o.bootstrap.c_str(), broker->log_path().c_str());
        }
        // A 1-partition topic: create it via brook-topics when we own the broker, else rely on
        // auto-create (the default num.partitions of our own broker is 1).
        if (broker) {
            auto r = test_support::run_command({test_support::brook_topics_binary(), "--bootstrap-server",
                                                o.bootstrap, "--create", "--topic", o.topic, "--partitions",
                                                "1", "--replication-factor", "1"},
                                               std::chrono::seconds(30));
            if (!r.status.success()) std::fprintf(stderr, "brook-topics --create failed, relying on auto-create:\n%s\n", r.describe().c_str());
        }
        std::printf("topic %s: %ld records x %zu bytes, acks=%s, compression=%s, linger.ms=%d\n",
                    o.topic.c_str(), o.records, o.record_size, o.acks.c_str(), o.compression.c_str(), o.linger_ms);
        produce_phase(o);
        if (!o.skip_consume) consume_phase(o);
        if (broker) broker->stop();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "brook-bench: %s\n", e.what());
        return 1;
    }
    return 0;
}
