#pragma once
// In-process broker for handler tests: the real storage::log_manager on a temp dir, the real
// replica_manager, metadata_cache, handlers and request_dispatcher, and a topic_store over an
// in-memory ZooKeeper (fake_zk), all on one io_context run by the test thread. Requests are
// encoded with the generated message types exactly as a client would send them and go through
// request_dispatcher::dispatch, so header parsing, version checks and handlers are all exercised.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <algorithm>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "broker/config.h"
#include "broker/handlers/handlers.h"
#include "broker/metadata_cache.h"
#include "broker/metrics.h"
#include "broker/replica_manager.h"
#include "broker/request_dispatcher.h"
#include "coordination/cluster_watcher.h"
#include "coordination/fake_zk.h"
#include "coordination/producer_id_manager.h"
#include "coordination/topic_store.h"
#include "coordination/zk_util.h"
#include "coordination/znodes.h"
#include "protocol/api_registry.h"
#include "protocol/records/record_batch.h"
#include "protocol/records/record_batch_builder.h"
#include "protocol/request_header.h"
#include "protocol/wire/reader.h"
#include "protocol/wire/writer.h"
#include "storage/log_manager.h"

namespace broker_test {

namespace fs = std::filesystem;

/// A fresh directory under $TMPDIR, removed with everything in it on destruction.
class temp_dir {
public:
    temp_dir() {
        std::string pattern = (fs::temp_directory_path() / "brook-broker-test-XXXXXX").string();
        char* made = ::mkdtemp(pattern.data());
        if (made == nullptr) {
            ADD_FAILURE() << "mkdtemp failed";
        }
        path_ = pattern;
    }
    ~temp_dir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

/// One partition as a test describes it: replicas, and the leader (nullopt = no state znode yet).
struct partition_spec {
    std::vector<int32_t> replicas{1};
    std::optional<int32_t> leader = 1;
    int32_t leader_epoch = 0;
};

/// A batch of `n` records with values "v<i>" and timestamps ts0, ts0+1, ...
inline std::vector<uint8_t> make_batch(int n, int64_t ts0 = 1000, size_t value_size = 0) {
    protocol::records::record_batch_builder b;
    std::vector<std::string> values;
    for (int i = 0; i < n; ++i) {
        values.push_back(value_size ? std::string(value_size, static_cast<char>('a' + i % 26))
                                    : "v" + std::to_string(i));
    }
    for (int i = 0; i < n; ++i) {
        protocol::records::record_input r;
        r.value = protocol::records::as_bytes(values[static_cast<size_t>(i)]);
        r.timestamp = ts0 + i;
        b.add(r);
    }
    return b.build();
}

/// A request frame as the connection hands it to the dispatcher (after the 4-byte size).
template <class Request>
std::vector<uint8_t> encode_frame(const Request& req, int16_t version, int32_t correlation_id = 7) {
    protocol::wire::writer w;
    protocol::request_header h;
    h.api_key = Request::api_key;
    h.api_version = version;
    h.correlation_id = correlation_id;
    h.client_id = "broker-test";
    protocol::encode_request_header(w, h);
    req.encode(w, version);
    return w.to_bytes();
}

struct reply {
    broker::dispatch_result result = broker::dispatch_result::close;
    std::vector<uint8_t> bytes;  // response header + body, file slices materialised
    std::chrono::milliseconds elapsed{0};
    bool done = false;
};

/// Decodes a response of `Response` at `version`, checking the correlation id and that the body
/// is consumed exactly.
template <class Response>
Response decode_response(const reply& r, int16_t version, int32_t correlation_id = 7,
                         int header_version = -1) {
    Response out;
    EXPECT_EQ(r.result, broker::dispatch_result::respond);
    if (header_version < 0) {
        header_version = protocol::response_header_version(Response::api_key, version);
    }
    // The decoded record sets are views: they keep this copy of the bytes alive.
    auto bytes = std::make_shared<const std::vector<uint8_t>>(r.bytes);
    protocol::wire::reader in(*bytes, bytes);
    EXPECT_EQ(protocol::decode_response_header(in, header_version), correlation_id);
    out.decode(in, version);
    EXPECT_EQ(in.remaining(), 0u) << "trailing bytes in response";
    return out;
}

class broker_fixture : public ::testing::Test {
protected:
    broker_fixture() {
        cfg_.broker_id = 1;
        cfg_.log_dirs = {dir_.path().string()};
        cfg_.zookeeper_connect = "fake";
        cfg_.num_partitions = 1;
        cfg_.default_replication_factor = 1;
        open_logs();
        zk_ = std::make_unique<coordination::fake_zk>(zk_server_, io_.get_executor());
        topics_ = std::make_unique<coordination::topic_store>(*zk_);
        producer_ids_ = coordination::producer_id_manager::make(*zk_, cfg_.broker_id);
        handlers_ = std::make_unique<broker::handlers>(
            broker::handler_context{cfg_, metadata_, *replicas_, *topics_, metrics_, nullptr, producer_ids_.get()});
        dispatcher_ = std::make_unique<broker::request_dispatcher>(*handlers_);
    }

    void open_logs() {
        storage::log_config defaults;
        auto lm = storage::log_manager::open({dir_.path()}, defaults);
        EXPECT_TRUE(lm.has_value()) << lm.error().message();
        logs_ = std::move(lm.value());
        replicas_ = std::make_unique<broker::replica_manager>(*logs_, cfg_);
    }

    /// Builds a snapshot with broker ids `brokers` alive and the given topics, publishes it to the
    /// metadata cache and applies it to the replica manager (as the application does on update).
    void publish(const std::map<std::string, std::vector<partition_spec>>& topics, std::vector<int32_t> brokers = {1},
                 int32_t controller = 1) {
        auto s = std::make_shared<coordination::cluster_snapshot>();
        s->cluster_id = "test-cluster";
        s->controller_id = controller;
        for (int32_t id : brokers) {
            coordination::broker_info b;
            b.id = id;
            b.host = "host" + std::to_string(id);
            b.port = 9000 + id;
            s->brokers[id] = b;
        }
        for (const auto& [name, parts] : topics) {
            coordination::topic_metadata t;
            t.name = name;
            for (size_t i = 0; i < parts.size(); ++i) {
                coordination::partition_metadata p;
                p.replicas = parts[i].replicas;
                if (parts[i].leader) {
                    coordination::partition_state st;
                    st.leader = *parts[i].leader;
                    st.leader_epoch = parts[i].leader_epoch;
                    st.isr = parts[i].replicas;
                    p.state = st;
                }
                t.partitions[static_cast<int32_t>(i)] = p;
            }
            s->topics[name] = t;
        }
        metadata_.update(s);
        apply_as_controller(*s);
        register_brokers(brokers);
    }

    /// The registrations in (fake) ZooKeeper that topic placement reads: /brokers/ids/<id> for
    /// exactly `brokers`.
    void register_brokers(const std::vector<int32_t>& brokers) {
        // publish() may be called from a handler already running on io_: then the writes are only
        // queued, and complete with that run.
        const bool nested = io_.get_executor().running_in_this_thread();
        coordination::ensure_paths(*zk_, {"/brokers/ids"}, [](std::error_code) {});
        if (!nested) run();
        zk_->get_children("/brokers/ids", {}, [this, brokers](std::error_code, std::vector<std::string> ids) {
            for (const auto& id : ids) {
                if (std::find(brokers.begin(), brokers.end(), std::stoi(id)) == brokers.end()) {
                    zk_->remove("/brokers/ids/" + id, -1, [](std::error_code) {});
                }
            }
        });
        for (int32_t id : brokers) {
            coordination::broker_info b;
            b.id = id;
            b.host = "host" + std::to_string(id);
            b.port = 9000 + id;
            zk_->create("/brokers/ids/" + std::to_string(id), coordination::znodes::encode_broker(b, 0),
                        coordination::create_mode::persistent, [](std::error_code, std::string) {});
        }
        if (!nested) run();
    }

    /// What the controller's requests do to this broker (id cfg_.broker_id): LeaderAndIsr for every
    /// hosted partition, StopReplica with delete for hosted partitions that disappeared since the
    /// previous publish.
    void apply_as_controller(const coordination::cluster_snapshot& s) {
        std::set<std::pair<std::string, int32_t>> hosted;
        for (const auto& [name, t] : s.topics) {
            for (const auto& [index, p] : t.partitions) {
                if (std::find(p.replicas.begin(), p.replicas.end(), cfg_.broker_id) == p.replicas.end()) {
                    continue;
                }
                hosted.emplace(name, index);
                broker::leader_and_isr_state st;
                st.leader = p.state ? p.state->leader : -1;
                st.leader_epoch = p.state ? p.state->leader_epoch : 0;
                st.isr = p.state ? p.state->isr : std::vector<int32_t>{};
                st.replicas = p.replicas;
                st.zk_version = p.state ? p.state->zk_version : -1;
                replicas_->become_leader_or_follower(name, index, st, {});
            }
        }
        for (const auto& old : hosted_) {
            if (!hosted.contains(old)) {
                replicas_->stop_replica(old.first, old.second, true);
            }
        }
        hosted_ = std::move(hosted);
    }
    std::set<std::pair<std::string, int32_t>> hosted_;

    /// One topic with `n` partitions, each led by this broker (id 1).
    void publish_led_topic(const std::string& name, int n) {
        publish({{name, std::vector<partition_spec>(static_cast<size_t>(n))}});
    }

    /// Starts a dispatch of `frame` on the io_context; the result lands in *out when it completes.
    /// `frame` and `out` must outlive the run.
    void spawn(std::vector<uint8_t>& frame, reply& out) {
        auto writer = std::make_shared<protocol::wire::writer>();
        auto start = std::chrono::steady_clock::now();
        std::span<uint8_t> span(frame);
        boost::asio::co_spawn(io_, dispatcher_->dispatch(span, peer_, *writer),
                              [writer, start, &out](std::exception_ptr e, broker::dispatch_result r) {
                                  if (e) {
                                      ADD_FAILURE() << "dispatch threw";
                                      return;
                                  }
                                  out.result = r;
                                  out.bytes = writer->to_bytes();
                                  out.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::steady_clock::now() - start);
                                  out.done = true;
                              });
    }

    /// Runs the io_context until every spawned dispatch (and what it started) has finished.
    void run() {
        io_.restart();
        io_.run();
    }

    reply dispatch(std::vector<uint8_t> frame) {
        reply r;
        spawn(frame, r);
        run();
        EXPECT_TRUE(r.done);
        return r;
    }

    template <class Request>
    reply send(const Request& req, int16_t version, int32_t correlation_id = 7) {
        return dispatch(encode_frame(req, version, correlation_id));
    }

    int64_t log_end(const std::string& topic, int32_t p) const {
        auto part = replicas_->get(topic, p);
        return part ? part->log_end_offset() : -100;
    }

    temp_dir dir_;
    broker::config cfg_;
    std::unique_ptr<storage::log_manager> logs_;
    std::unique_ptr<broker::replica_manager> replicas_;
    broker::metadata_cache metadata_;
    boost::asio::io_context io_;
    std::shared_ptr<coordination::fake_zk_server> zk_server_ = coordination::fake_zk_server::make();
    std::unique_ptr<coordination::fake_zk> zk_;
    std::unique_ptr<coordination::topic_store> topics_;
    std::shared_ptr<coordination::producer_id_manager> producer_ids_;
    broker::broker_metrics metrics_;
    std::unique_ptr<broker::handlers> handlers_;
    std::unique_ptr<broker::request_dispatcher> dispatcher_;
    std::string peer_ = "127.0.0.1:1";
};

}  // namespace broker_test
