#include "broker/application.h"

#include <future>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "broker/clock.h"
#include "broker/controller_channel.h"
#include "broker/controller_requests.h"
#include "broker/group/group_coordinator.h"
#include "broker/group/replica_offsets_log.h"
#include "broker/handlers/handlers.h"
#include "broker/metadata_cache.h"
#include "broker/net/server.h"
#include "broker/replica_manager.h"
#include "broker/topic_config.h"
#include "broker/request_dispatcher.h"
#include "coordination/broker_registry.h"
#include "coordination/cluster_id.h"
#include "coordination/controller.h"
#include "coordination/controller_election.h"
#include "coordination/producer_id_manager.h"
#include "coordination/config_change_listener.h"
#include "coordination/topic_store.h"
#include "coordination/zk_session.h"
#include "protocol/client/client.h"
#include "protocol/messages/controlled_shutdown.h"
#include "storage/log_manager.h"

namespace broker {
namespace asio = boost::asio;

namespace {
// Waits on the main thread for a callback-style operation that completes on an io thread.
template <class T, class Start>
T wait_for(Start start) {
    std::promise<T> p;
    auto f = p.get_future();
    start([&p](T v) { p.set_value(std::move(v)); });
    return f.get();
}
}  // namespace

application::application(config cfg) : cfg_(std::move(cfg)), zk_strand_(asio::make_strand(io_)) {}

application::~application() = default;

int application::run() {
    for (const auto& key : cfg_.unknown_keys) {
        spdlog::warn("unknown configuration key '{}' ignored", key);
    }
    auto work = asio::make_work_guard(io_);
    unsigned n = cfg_.num_network_threads > 0 ? static_cast<unsigned>(cfg_.num_network_threads)
                                              : std::max(2u, std::thread::hardware_concurrency());
    for (unsigned i = 0; i < n; ++i) {
        threads_.emplace_back([this] { io_.run(); });
    }

    std::promise<int> stopped;
    auto stop_future = stopped.get_future();
    asio::signal_set signals(io_, SIGINT, SIGTERM);
    signals.async_wait([&stopped](const boost::system::error_code& ec, int sig) {
        if (!ec) {
            spdlog::info("signal {} received, shutting down", sig);
        }
        stopped.set_value(0);
    });

    int exit_code = 0;
    if (start()) {
        spdlog::info("brook broker {} started, listening on {}:{}", cfg_.broker_id, cfg_.listener.host,
                     server_->port());
        exit_code = stop_future.get();
    } else {
        exit_code = 1;
        signals.cancel();
    }
    stop();
    work.reset();
    io_.stop();
    for (auto& t : threads_) {
        t.join();
    }
    threads_.clear();
    spdlog::info("brook broker {} stopped", cfg_.broker_id);
    return exit_code;
}

bool application::start() {
    // 1. ZooKeeper session under the cluster's chroot (created if missing).
    auto zk = coordination::zk_session::connect(cfg_.zookeeper_connect, cfg_.zookeeper_session_timeout_ms, zk_strand_,
                                                std::chrono::milliseconds(cfg_.zookeeper_connection_timeout_ms));
    if (!zk) {
        spdlog::error("cannot connect to ZooKeeper at {}: {}", cfg_.zookeeper_connect, zk.error().message());
        return false;
    }
    zk_ = std::move(zk.value());
    // After an expiry the ephemerals and watches are gone: open a new session; the registry,
    // election and watcher re-register and re-read on their own once it is up.
    zk_->add_session_listener([this](const coordination::session_event& e) {
        if (e.state == coordination::session_state::expired) {
            spdlog::warn("ZooKeeper session 0x{:x} expired; opening a new one", e.session_id);
            on_session_expired();
        }
    });

    auto cluster_id = wait_for<coordination::result<std::string>>(
        [&](auto done) { coordination::get_or_create_cluster_id(*zk_, std::move(done)); });
    if (!cluster_id) {
        spdlog::error("cannot read or create /cluster/id: {}", cluster_id.error().message());
        return false;
    }
    spdlog::info("cluster id {}", cluster_id.value());

    // 2. Local logs (recovered if the last shutdown was not clean).
    storage::log_config log_cfg;
    log_cfg.segment_bytes = cfg_.log_segment_bytes;
    log_cfg.index_interval_bytes = cfg_.log_index_interval_bytes;
    log_cfg.max_open_sealed_segments = static_cast<uint32_t>(cfg_.log_max_open_segments);
    log_cfg.max_batch_bytes = static_cast<uint32_t>(cfg_.message_max_bytes);
    log_cfg.producer_id_expiration_ms = cfg_.producer_id_expiration_ms;
    std::vector<std::filesystem::path> dirs(cfg_.log_dirs.begin(), cfg_.log_dirs.end());
    // Reopened segments count their age (segment.ms) from now, not from the epoch: otherwise
    // each one would roll at its first append after a restart.
    auto logs = storage::log_manager::open(dirs, log_cfg, wall_clock_ms());
    if (!logs) {
        spdlog::error("cannot open log dirs: {}", logs.error().message());
        return false;
    }
    logs_ = std::move(logs.value());
    if (auto r = logs_->check_meta(cfg_.broker_id, cluster_id.value()); !r) {
        spdlog::error("log dirs belong to another broker or cluster: {}", r.error().message());
        return false;
    }

    // 3. Metadata and replicas come from the controller (UpdateMetadata, LeaderAndIsr, StopReplica);
    //    until its first UpdateMetadata the cache knows only the cluster id.
    metadata_ = std::make_unique<metadata_cache>();
    metadata_->set_cluster_id(cluster_id.value());
    replicas_ = std::make_unique<replica_manager>(*logs_, cfg_);
    topic_store_ = std::make_unique<coordination::topic_store>(*zk_);
    producer_ids_ = coordination::producer_id_manager::make(*zk_, cfg_.broker_id);
    // Leaders write their ISR changes themselves (conditional on the state's zk version) and
    // tell the controller through /isr_change_notification.
    replicas_->start(io_.get_executor(), [this](const coordination::partition_key& key,
                                                 const coordination::partition_state& state,
                                                 std::function<void(std::optional<int32_t>)> done) {
        topic_store_->update_isr(key, state, [done = std::move(done)](coordination::result<int32_t> r) {
            done(r ? std::optional<int32_t>(r.value()) : std::nullopt);
        });
    });

    // 4. The listener opens before registration: the controller connects to it as soon as it sees
    //    our znode. Client requests wait (bounded) for the first UpdateMetadata.
    // The group coordinator serves the groups of the __consumer_offsets partitions this broker
    // leads; LeaderAndIsr tells it which (handlers/inter_broker.cc).
    offsets_log_ = std::make_unique<group::replica_offsets_log>(*replicas_, io_.get_executor(),
                                                                cfg_.offsets_commit_timeout_ms);
    group::coordinator_config group_cfg;
    group_cfg.offsets_partitions = cfg_.offsets_topic_num_partitions;
    group_cfg.initial_rebalance_delay_ms = cfg_.group_initial_rebalance_delay_ms;
    group_cfg.min_session_timeout_ms = cfg_.group_min_session_timeout_ms;
    group_cfg.max_session_timeout_ms = cfg_.group_max_session_timeout_ms;
    group_cfg.max_group_size = cfg_.group_max_size;
    group_cfg.offset_metadata_max_bytes = cfg_.offset_metadata_max_bytes;
    group_cfg.offsets_retention_ms = cfg_.offsets_retention_ms;
    group_cfg.offsets_retention_check_interval_ms = cfg_.offsets_retention_check_interval_ms;
    group_cfg.snapshot_after_bytes = 2 * cfg_.offsets_topic_segment_bytes;
    groups_ = group::group_coordinator::make(io_.get_executor(), *offsets_log_, group_cfg, [] { return wall_clock_ms(); });
    groups_->start();
    handlers_ = std::make_unique<handlers>(handler_context{cfg_, *metadata_, *replicas_, *topic_store_, metrics_, this,
                                                           producer_ids_.get(), groups_.get()});
    dispatcher_ = std::make_unique<request_dispatcher>(*handlers_);
    server_ = std::make_unique<server>(io_, *dispatcher_, metrics_, cfg_.socket_request_max_bytes);
    if (auto r = server_->listen(cfg_.listener); !r) {
        return false;
    }

    // Dynamic topic configs: AlterConfigs on any broker rewrites /config/topics/<t> and announces
    // it under /config/changes; every broker re-reads the topic's config and applies it to its
    // replicas at once (retention, segment size, min.insync.replicas, ...).
    config_changes_ = coordination::config_change_listener::make(*zk_, [this](const coordination::znodes::config_entity& e) {
        if (e.type != "topics") return;  // Brook has no dynamic broker, user or client configs
        topic_store_->get_config(e.name, [this, topic = e.name](coordination::result<std::map<std::string, std::string>> r) {
            if (!r) {
                spdlog::warn("config change for topic {}: cannot read its config: {}", topic, r.error().message());
                return;
            }
            spdlog::info("topic {}: config changed to {}", topic, coordination::znodes::encode_topic_config(r.value()));
            replicas_->apply_topic_overrides(topic, parse_topic_overrides(topic, r.value()));
            // The controller (if it is this broker) owns unclean.leader.election.enable.
            if (controller_ && controller_->running()) controller_->topic_config_changed(topic);
        });
    });
    asio::post(zk_strand_, [this] { config_changes_->start(); });

    // 5. Register (ephemeral /brokers/ids/<id>) and take part in the controller election.
    coordination::broker_info me;
    me.id = cfg_.broker_id;
    me.host = cfg_.advertised_listener.host;
    me.port = cfg_.advertised_listener.port;
    me.rack = cfg_.broker_rack;
    registry_ = coordination::broker_registry::make(*zk_, me);
    registry_->on_reregistered([this](std::error_code ec) {
        if (ec) {
            spdlog::error("re-registration of broker {} failed: {}", cfg_.broker_id, ec.message());
        } else {
            spdlog::info("broker {} re-registered on a new ZooKeeper session", cfg_.broker_id);
        }
    });
    // After a crash the previous process's ephemeral node lives on until its session times out.
    // Kafka refuses to start then; we wait for it to expire (bounded by the session timeout), so a
    // supervisor's immediate restart just works.
    const auto register_deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(cfg_.zookeeper_session_timeout_ms) +
        std::chrono::seconds(5);
    std::error_code registered;
    for (;;) {
        registered = wait_for<std::error_code>([&](auto done) {
            asio::post(zk_strand_, [this, done = std::move(done)]() mutable { registry_->start(std::move(done)); });
        });
        if (registered != coordination::errc::broker_already_registered ||
            std::chrono::steady_clock::now() >= register_deadline || stopping_) {
            break;
        }
        spdlog::info("waiting for the previous session of broker {} to expire", cfg_.broker_id);
        std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    if (registered) {
        spdlog::error("cannot register broker {}: {}", cfg_.broker_id, registered.message());
        return false;
    }
    registered_ = true;
    election_ = coordination::controller_election::make(
        *zk_, cfg_.broker_id,
        [this](int32_t controller_id, int32_t epoch, bool is_me) { on_controller_change(controller_id, epoch, is_me); });
    asio::post(zk_strand_, [this] { election_->start(); });

    // Report "started" once the controller has told us about the cluster (bounded: a controller
    // that is slow to appear does not keep the broker from serving what it can).
    const auto visible_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!metadata_->get()->brokers.contains(cfg_.broker_id) && std::chrono::steady_clock::now() < visible_deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    for (const auto& [topic, index] : replicas_->unclaimed_logs()) {
        spdlog::warn("log {}-{} on disk is assigned to no replica here; leaving it untouched", topic, index);
    }
    return true;
}

void application::on_controller_change(int32_t controller_id, int32_t epoch, bool is_me) {
    // On zk_strand_.
    stop_controller();
    if (!is_me) {
        spdlog::info("controller is broker {} (epoch {})", controller_id, epoch);
        return;
    }
    spdlog::info("broker {} is the controller (epoch {})", cfg_.broker_id, epoch);
    coordination::controller_options opts;
    opts.controller_epoch = epoch;
    opts.epoch_zk_version = election_->epoch_zk_version();
    opts.unclean_leader_election = cfg_.unclean_leader_election_enable;
    opts.delete_topic_enable = cfg_.delete_topic_enable;
    opts.auto_leader_rebalance = cfg_.auto_leader_rebalance_enable;
    opts.leader_imbalance_check_interval = std::chrono::seconds(cfg_.leader_imbalance_check_interval_seconds);
    opts.leader_imbalance_per_broker_percentage = cfg_.leader_imbalance_per_broker_percentage;
    controller_ = coordination::controller::make(*zk_, cfg_.broker_id, opts);
    channel_ = std::make_unique<controller_channel>("controller-" + std::to_string(cfg_.broker_id));
    requests_ = std::make_unique<controller_requests>(*controller_, *channel_);
    controller_->on_loaded([this] { requests_->send_full_state(); });
    controller_->on_partitions_changed([this](std::vector<coordination::partition_change> changes) {
        for (const auto& c : changes) {
            spdlog::info("{}-{}: leader {} epoch {} isr [{}]", c.topic, c.partition, c.state.leader,
                         c.state.leader_epoch, fmt::join(c.state.isr, ","));
        }
        requests_->partitions_changed(changes);
    });
    controller_->on_brokers_changed([this](std::vector<int32_t> added, std::vector<int32_t> removed) {
        spdlog::info("brokers joined [{}], left [{}]", fmt::join(added, ","), fmt::join(removed, ","));
        requests_->brokers_changed(added, removed);
    });
    controller_->on_topic_deleted([this](const std::string& topic, const std::map<int32_t, std::vector<int32_t>>& r) {
        spdlog::info("topic {} deleted", topic);
        requests_->topic_deleted(topic, r);
    });
    controller_->on_fenced([this](std::error_code ec) {
        spdlog::warn("controller fenced by a newer controller: {}", ec.message());
    });
    controller_->start();
}

void application::stop_controller() {
    // On zk_strand_.
    if (controller_) {
        controller_->stop();
    }
    if (channel_) {
        channel_->stop();
    }
    requests_.reset();
    channel_.reset();
    controller_.reset();
}

void application::controlled_shutdown(int32_t broker_id, shutdown_callback cb) {
    asio::post(zk_strand_, [this, broker_id, cb = std::move(cb)]() mutable {
        if (!controller_ || !controller_->running()) {
            cb(coordination::errc::not_controller, {});
            return;
        }
        controller_->controlled_shutdown(
            broker_id, [cb = std::move(cb)](std::error_code ec, std::vector<coordination::partition_key> remaining) {
                std::vector<std::pair<std::string, int32_t>> out;
                for (auto& k : remaining) {
                    out.emplace_back(std::move(k.topic), k.partition);
                }
                cb(ec, std::move(out));
            });
    });
}

void application::request_controlled_shutdown() {
    // Kafka's controlled shutdown: ask the controller (possibly ourselves, through our own still
    // open listener) to move our leaderships away before we deregister, so producers see a leader
    // change instead of a dead leader. Bounded retries; a failure only costs the clean handover.
    constexpr int attempts = 3;
    for (int attempt = 1; attempt <= attempts; ++attempt) {
        auto snapshot = metadata_->get();
        auto controller = snapshot->brokers.find(snapshot->controller_id);
        if (controller == snapshot->brokers.end()) {
            spdlog::warn("controlled shutdown: no controller known (attempt {})", attempt);
            std::this_thread::sleep_for(std::chrono::milliseconds(500));
            continue;
        }
        auto conn = protocol::client::connection::connect(controller->second.host,
                                                          static_cast<uint16_t>(controller->second.port),
                                                          std::chrono::seconds(3));
        if (!conn) {
            spdlog::warn("controlled shutdown: cannot reach controller {}: {}", controller->first,
                         conn.error().message());
            std::this_thread::sleep_for(std::chrono::milliseconds(500));
            continue;
        }
        conn.value().set_timeout(std::chrono::seconds(30));
        protocol::controlled_shutdown_request req;
        req.broker_id = cfg_.broker_id;
        auto resp = conn.value().send<protocol::controlled_shutdown_api>(req, 2);
        if (!resp) {
            spdlog::warn("controlled shutdown request failed: {}", resp.error().message());
            continue;
        }
        if (resp.value().error_code != 0) {
            spdlog::warn("controlled shutdown refused by controller {}: {}", controller->first,
                         protocol::error_name(static_cast<protocol::error_code>(resp.value().error_code)));
            std::this_thread::sleep_for(std::chrono::milliseconds(500));
            continue;
        }
        spdlog::info("controlled shutdown done; {} partition(s) had no other in-sync replica to move to",
                     resp.value().remaining_partitions.size());
        return;
    }
    spdlog::warn("controlled shutdown did not complete; stopping anyway");
}

void application::on_session_expired() {
    // reconnect() blocks until the new session is up, so it runs on an io thread rather than on
    // zk_strand_ (whose handlers the new session's start-up needs). Retries until it works or
    // the broker stops.
    asio::post(io_, [this] {
        if (stopping_) {
            return;
        }
        if (auto ec = zk_->reconnect(std::chrono::milliseconds(cfg_.zookeeper_connection_timeout_ms)); ec) {
            spdlog::error("cannot open a new ZooKeeper session: {}; retrying", ec.message());
            auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::seconds(1));
            timer->async_wait([this, timer](const boost::system::error_code&) { on_session_expired(); });
        }
    });
}

void application::stop() {
    stopping_ = true;
    if (replicas_) {
        replicas_->begin_shutdown();
    }
    if (registered_ && cfg_.controlled_shutdown_enable) {
        request_controlled_shutdown();
    }
    if (server_) {
        server_->stop();
    }
    // Leave the cluster first (our ephemeral znodes go at once, so the controller moves
    // leadership immediately instead of after the session timeout), then flush the logs.
    if (election_) {
        wait_for<bool>([&](auto done) {
            asio::post(zk_strand_, [this, done] {
                stop_controller();
                if (config_changes_) config_changes_->stop();
                election_->stop([this, done](std::error_code) {
                    registry_->stop([done](std::error_code) { done(true); });
                });
            });
        });
    }
    if (producer_ids_) {
        producer_ids_->stop();
    }
    // Held JoinGroup/SyncGroup answers go out as NOT_COORDINATOR before the logs close.
    if (groups_) {
        groups_->stop();
    }
    // Followers stop fetching before the logs close; the last high watermarks are checkpointed.
    if (replicas_) {
        replicas_->stop();
    }
    if (zk_) {
        zk_->close();
    }
    if (logs_) {
        if (auto r = logs_->shutdown(); !r) {
            spdlog::error("log shutdown failed (the next start will run recovery): {}", r.error().message());
        }
    }
}

}  // namespace broker
