// brook-replication-bench: what replication costs a producer. Starts its own ZooKeeper and 3
// brook-server processes on this machine (tests/support fixtures, temp dirs, everything killed
// on exit), creates a topic with replication factor 3 and min.insync.replicas=2 (--partitions,
// default 1), waits for full ISRs, then with ONE librdkafka producer, acks=all,
// max.in.flight.requests.per.connection=5 (--max-in-flight) and --record-size-byte records:
//   (a) throughput: --records records as fast as possible; prints msg/s and MB/s;
//   (b) latency: --rate records/s for --seconds s, paced, each record carrying its send time
//       (steady_clock nanoseconds in its first 8 bytes). A consumer thread of the same process,
//       started at every partition's end offset before the first send, with fetch.wait.max.ms=1,
//       takes receive - send per record (end-to-end: the producer's batching, the leader's
//       append, follower fetches, the high watermark, the consumer's fetch). Also the
//       acknowledgement latency (delivery report - send). Prints p50, p99, p99.9 and max of both.
// A program, not a test: it prints figures and fails only if records are lost or refused.
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <atomic>
#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/bench/rdkafka_bench.h"
#include "tests/support/broker_process.h"
#include "tests/support/process.h"
#include "tests/support/zk_reader.h"
#include "tests/support/zookeeper_server.h"

namespace {

namespace po = boost::program_options;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct options {
    long records = 500000;
    std::size_t record_size = 100;
    int partitions = 1;
    int rate = 10000;
    int seconds = 10;
    int linger_ms = 5;          // throughput phase
    int latency_linger_ms = 0;  // latency phase: send each record as soon as possible
    // librdkafka's default is 1,000,000: with linger.ms 0 every record then leaves as its own
    // request, and above a few thousand acks=all requests/s (one connection's requests are
    // served in order) they queue without bound. 5 is the Java producer's default.
    int max_in_flight = 5;
    bool skip_throughput = false;
    bool skip_latency = false;
};

using bench::bench_error;
using bench::make_client;

std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now().time_since_epoch()).count();
}

/// Delivery reports; they run inside rd_kafka_poll/flush, on one thread at a time (the latency
/// phase's poller thread, or the producing thread in the throughput phase).
struct delivery_stats {
    long ok = 0;
    long failed = 0;
    std::string first_error;
    bool stamped = false;                // payloads carry a send time (latency phase)
    std::vector<std::int64_t> ack_ns;   // delivery report - send, latency phase
};

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    auto* s = static_cast<delivery_stats*>(opaque);
    if (m->err) {
        if (s->failed++ == 0) s->first_error = rd_kafka_err2str(m->err);
        return;
    }
    s->ok++;
    if (s->stamped && m->len >= 8) {
        std::int64_t sent = 0;
        std::memcpy(&sent, m->payload, 8);
        s->ack_ns.push_back(now_ns() - sent);
    }
}

std::vector<std::pair<std::string, std::string>> producer_conf(const std::string& bootstrap, int linger_ms,
                                                               int max_in_flight) {
    return {{"bootstrap.servers", bootstrap},
            {"acks", "all"},
            {"linger.ms", std::to_string(linger_ms)},
            {"max.in.flight.requests.per.connection", std::to_string(max_in_flight)},
            {"batch.size", "1000000"},
            {"batch.num.messages", "1000000"},
            {"queue.buffering.max.messages", "2000000"},
            {"queue.buffering.max.kbytes", "2097151"},
            {"message.timeout.ms", "120000"}};
}

/// Fetches metadata for `topic` so the clock does not include the first leader lookup.
rd_kafka_topic_t* topic_with_metadata(rd_kafka_t* rk, const std::string& topic) {
    rd_kafka_topic_t* t = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
    const rd_kafka_metadata_t* md = nullptr;
    rd_kafka_metadata(rk, 0, t, &md, 10000);
    if (md) rd_kafka_metadata_destroy(md);
    return t;
}

void throughput_phase(const options& o, const std::string& bootstrap, const std::string& topic) {
    delivery_stats stats;
    rd_kafka_t* rk =
        make_client(RD_KAFKA_PRODUCER, producer_conf(bootstrap, o.linger_ms, o.max_in_flight), on_delivery, &stats);
    rd_kafka_topic_t* t = topic_with_metadata(rk, topic);
    std::string payload(o.record_size, 'x');
    auto start = clock_type::now();
    for (long i = 0; i < o.records; ++i) {
        auto partition = static_cast<std::int32_t>(i % o.partitions);
        while (rd_kafka_produce(t, partition, RD_KAFKA_MSG_F_COPY, payload.data(), payload.size(), nullptr, 0,
                                nullptr) != 0) {
            if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                throw bench_error(std::string("produce: ") + rd_kafka_err2str(rd_kafka_last_error()));
            }
            rd_kafka_poll(rk, 10);
        }
        if ((i & 0xfff) == 0) rd_kafka_poll(rk, 0);
    }
    rd_kafka_flush(rk, 300000);
    double s = std::chrono::duration<double>(clock_type::now() - start).count();
    rd_kafka_topic_destroy(t);
    rd_kafka_destroy(rk);
    if (stats.failed > 0 || stats.ok != o.records) {
        throw bench_error("throughput: " + std::to_string(stats.ok) + " acknowledged, " +
                          std::to_string(stats.failed) + " failed (first: " + stats.first_error + ")");
    }
    std::printf("throughput: %ld records x %zu B, acks=all, RF 3, min.insync.replicas 2, %d partition(s), "
                "linger.ms=%d, max.in.flight=%d: %.3f s = %.0f msg/s, %.1f MB/s\n",
                o.records, o.record_size, o.partitions, o.linger_ms, o.max_in_flight, s,
                static_cast<double>(o.records) / s,
                static_cast<double>(o.records) * static_cast<double>(o.record_size) / s / 1e6);
    std::fflush(stdout);
}

std::string percentiles(std::vector<std::int64_t> ns) {
    if (ns.empty()) return "no samples";
    std::sort(ns.begin(), ns.end());
    auto at = [&](double q) {
        auto i = static_cast<std::size_t>(q * static_cast<double>(ns.size() - 1) + 0.5);
        return static_cast<double>(ns[std::min(i, ns.size() - 1)]) / 1e6;
    };
    char buf[200];
    std::snprintf(buf, sizeof buf, "p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, max %.3f ms (%zu samples)", at(0.5),
                  at(0.99), at(0.999), static_cast<double>(ns.back()) / 1e6, ns.size());
    return buf;
}

void latency_phase(const options& o, const std::string& bootstrap, const std::string& topic) {
    const long total = static_cast<long>(o.rate) * o.seconds;
    // The consumer first: every partition read from its current end offset, asked for
    // explicitly (RD_KAFKA_OFFSET_END would be resolved asynchronously, racing the first sends).
    rd_kafka_t* consumer = make_client(RD_KAFKA_CONSUMER, {{"bootstrap.servers", bootstrap},
                                                           {"enable.partition.eof", "false"},
                                                           {"fetch.wait.max.ms", "1"},
                                                           {"fetch.min.bytes", "1"},
                                                           {"fetch.error.backoff.ms", "10"}});
    rd_kafka_topic_t* ct = rd_kafka_topic_new(consumer, topic.c_str(), nullptr);
    rd_kafka_queue_t* queue = rd_kafka_queue_new(consumer);
    for (int p = 0; p < o.partitions; ++p) {
        std::int64_t low = 0;
        std::int64_t high = 0;
        auto err = rd_kafka_query_watermark_offsets(consumer, topic.c_str(), p, &low, &high, 10000);
        if (err) throw bench_error(std::string("ListOffsets: ") + rd_kafka_err2str(err));
        if (rd_kafka_consume_start_queue(ct, p, high, queue) != 0) {
            throw bench_error(std::string("consume_start: ") + rd_kafka_err2str(rd_kafka_last_error()));
        }
    }
    std::vector<std::int64_t> e2e_ns;
    e2e_ns.reserve(static_cast<std::size_t>(total));
    std::atomic<bool> producing_done{false};
    std::atomic<long> consume_errors{0};
    // Consumer thread: owns e2e_ns until joined.
    // One message per call: rd_kafka_consume_batch_queue waits for a full batch or its timeout,
    // which would add up to that timeout to every latency.
    std::thread reader([&] {
        auto last = clock_type::now();
        while (static_cast<long>(e2e_ns.size()) < total) {
            rd_kafka_message_t* m = rd_kafka_consume_queue(queue, 100);
            std::int64_t received = now_ns();
            if (m == nullptr) {
                if (producing_done.load() && clock_type::now() - last > 15s) break;
                continue;
            }
            last = clock_type::now();
            if (m->err) {
                if (consume_errors++ == 0) std::fprintf(stderr, "consume error: %s\n", rd_kafka_message_errstr(m));
            } else if (m->len >= 8) {
                std::int64_t sent = 0;
                std::memcpy(&sent, m->payload, 8);
                e2e_ns.push_back(received - sent);
            }
            rd_kafka_message_destroy(m);
        }
    });
    // Give the consumer its first (empty) fetch so its connections are up before the clock runs.
    std::this_thread::sleep_for(1s);

    delivery_stats stats;
    stats.stamped = true;
    stats.ack_ns.reserve(static_cast<std::size_t>(total));
    rd_kafka_t* rk = make_client(RD_KAFKA_PRODUCER, producer_conf(bootstrap, o.latency_linger_ms, o.max_in_flight),
                                 on_delivery, &stats);
    rd_kafka_topic_t* t = topic_with_metadata(rk, topic);
    // Delivery reports are served here as soon as they arrive; served from the pacing loop they
    // would wait for the next send (up to 1 / rate) and inflate the acknowledgement latency.
    std::atomic<bool> sending_done{false};
    std::thread poller([&] {
        while (!sending_done.load()) rd_kafka_poll(rk, 10);
        rd_kafka_flush(rk, 120000);
    });
    std::string payload(std::max<std::size_t>(o.record_size, 16), 'x');
    const auto interval = std::chrono::duration<double>(1.0 / o.rate);
    auto start = clock_type::now();
    std::string produce_error;
    for (long i = 0; i < total && produce_error.empty(); ++i) {
        auto due = start + std::chrono::duration_cast<clock_type::duration>(interval * static_cast<double>(i));
        if (clock_type::now() < due) std::this_thread::sleep_until(due);
        std::int64_t sent = now_ns();
        std::memcpy(payload.data(), &sent, 8);
        std::memcpy(payload.data() + 8, &i, 8);
        auto partition = static_cast<std::int32_t>(i % o.partitions);
        while (rd_kafka_produce(t, partition, RD_KAFKA_MSG_F_COPY, payload.data(), payload.size(), nullptr, 0,
                                nullptr) != 0) {
            if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                produce_error = std::string("produce: ") + rd_kafka_err2str(rd_kafka_last_error());
                break;
            }
            std::this_thread::sleep_for(1ms);
        }
    }
    double send_s = std::chrono::duration<double>(clock_type::now() - start).count();
    sending_done = true;
    poller.join();
    producing_done = true;
    reader.join();
    if (!produce_error.empty()) throw bench_error(produce_error);
    rd_kafka_topic_destroy(t);
    rd_kafka_destroy(rk);
    for (int p = 0; p < o.partitions; ++p) rd_kafka_consume_stop(ct, p);
    rd_kafka_queue_destroy(queue);
    rd_kafka_topic_destroy(ct);
    rd_kafka_destroy(consumer);

    std::printf("latency: %ld records x %zu B at %d msg/s for %d s (sent in %.3f s = %.0f msg/s), acks=all, "
                "linger.ms=%d, max.in.flight=%d, %d partition(s)\n",
                total, payload.size(), o.rate, o.seconds, send_s, static_cast<double>(total) / send_s,
                o.latency_linger_ms, o.max_in_flight, o.partitions);
    std::printf("  acknowledgement (delivery report - send): %s\n", percentiles(stats.ack_ns).c_str());
    std::printf("  end-to-end (consumer receive - send):     %s\n", percentiles(e2e_ns).c_str());
    std::fflush(stdout);
    if (stats.failed > 0 || stats.ok != total) {
        throw bench_error("latency: " + std::to_string(stats.ok) + " acknowledged, " + std::to_string(stats.failed) +
                          " failed (first: " + stats.first_error + ")");
    }
    if (static_cast<long>(e2e_ns.size()) != total || consume_errors > 0) {
        throw bench_error("latency: the consumer received " + std::to_string(e2e_ns.size()) + " of " +
                          std::to_string(total) + " records (" + std::to_string(consume_errors.load()) + " errors)");
    }
}

}  // namespace

int main(int argc, char** argv) {
    options o;
    po::options_description desc("brook-replication-bench options");
    desc.add_options()("help,h", "this help")
        ("records,n", po::value(&o.records)->default_value(o.records), "throughput phase: record count")
        ("record-size,s", po::value(&o.record_size)->default_value(o.record_size), "value bytes per record (>= 16)")
        ("partitions,p", po::value(&o.partitions)->default_value(o.partitions), "partitions of the RF 3 topic")
        ("rate", po::value(&o.rate)->default_value(o.rate), "latency phase: records per second")
        ("seconds", po::value(&o.seconds)->default_value(o.seconds), "latency phase: duration")
        ("linger-ms", po::value(&o.linger_ms)->default_value(o.linger_ms), "throughput phase: producer linger.ms")
        ("latency-linger-ms", po::value(&o.latency_linger_ms)->default_value(o.latency_linger_ms),
         "latency phase: producer linger.ms")
        ("max-in-flight", po::value(&o.max_in_flight)->default_value(o.max_in_flight),
         "producer max.in.flight.requests.per.connection (both phases)")
        ("skip-throughput", po::bool_switch(&o.skip_throughput), "run only the latency phase")
        ("skip-latency", po::bool_switch(&o.skip_latency), "run only the throughput phase");
    po::variables_map vm;
    try {
        po::store(po::parse_command_line(argc, argv, desc), vm);
        po::notify(vm);
    } catch (const std::exception& e) {
        std::cerr << "brook-replication-bench: " << e.what() << "\n" << desc;
        return 1;
    }
    if (vm.count("help")) {
        std::cout << desc;
        return 0;
    }
    if (o.records < 1 || o.partitions < 1 || o.rate < 1 || o.seconds < 1 || o.record_size < 16) {
        std::cerr << "brook-replication-bench: --records, --partitions, --rate, --seconds must be >= 1 and "
                     "--record-size >= 16\n";
        return 1;
    }
    const std::string chroot = "/brook-replication-bench";
    const std::string topic = "replicated";
    try {
        test_support::zookeeper_server zk;
        std::vector<std::unique_ptr<test_support::broker_process>> brokers;
        std::string bootstrap;
        for (int id = 1; id <= 3; ++id) {
            test_support::broker_options bo;
            bo.broker_id = id;
            bo.zookeeper_connect = zk.connect_string() + chroot;
            bo.properties = {{"message.max.bytes", "10485760"}, {"log.segment.bytes", "1073741824"}};
            brokers.push_back(std::make_unique<test_support::broker_process>(bo));
            bootstrap += (bootstrap.empty() ? "" : ",") + brokers.back()->bootstrap();
            std::printf("broker %d: %s (log %s)\n", id, brokers.back()->bootstrap().c_str(),
                        brokers.back()->log_path().c_str());
        }
        auto reader = zk.reader();
        // Listeners open before the brokers register: create the topic once all three are.
        auto deadline = clock_type::now() + 30s;
        while (reader.cluster(chroot).brokers.size() != 3) {
            if (clock_type::now() > deadline) throw bench_error("3 brokers did not register within 30 s");
            std::this_thread::sleep_for(100ms);
        }
        auto r = test_support::run_command(
            {test_support::brook_topics_binary(), "--bootstrap-server", bootstrap, "--create", "--topic", topic,
             "--partitions", std::to_string(o.partitions), "--replication-factor", "3", "--config",
             "min.insync.replicas=2"},
            60s);
        if (!r.status.success()) throw bench_error("brook-topics --create: " + r.describe());
        deadline = clock_type::now() + 60s;
        while (true) {
            auto v = reader.cluster(chroot, {topic});
            auto parts = v.topic_partitions(topic);
            bool ready = static_cast<int>(parts.size()) == o.partitions && v.all_led_by_live_brokers(topic) &&
                         std::all_of(parts.begin(), parts.end(), [](const auto& p) { return p.isr.size() == 3; });
            if (ready) break;
            if (clock_type::now() > deadline) throw bench_error("topic not ready with full ISRs:\n" + v.describe());
            std::this_thread::sleep_for(200ms);
        }
        std::printf("topic %s: %d partition(s), RF 3, min.insync.replicas=2, full ISRs\n", topic.c_str(),
                    o.partitions);
        if (!o.skip_throughput) throughput_phase(o, bootstrap, topic);
        if (!o.skip_latency) latency_phase(o, bootstrap, topic);
        for (auto& b : brokers) b->stop();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "brook-replication-bench: %s\n", e.what());
        return 1;
    }
    return 0;
}
