#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "broker/config.h"
#include "broker/request_dispatcher.h"
#include "protocol/request_header.h"
#include "protocol/wire/reader.h"
#include "protocol/wire/writer.h"

namespace coordination {
class topic_store;
class producer_id_manager;
}

namespace broker::group {
class group_coordinator;
}

namespace broker {

class metadata_cache;
class replica_manager;
struct broker_metrics;

/// What the ControlledShutdown handler needs from the controller role of this broker. Implemented
/// by the application; calls may come from any thread, the callback runs on any thread.
class controller_gateway {
public:
    using shutdown_callback =
        std::function<void(std::error_code, std::vector<std::pair<std::string, int32_t>> remaining)>;
    virtual ~controller_gateway() = default;
    /// Moves the leaderships of `broker_id` away (Kafka's controlled shutdown); fails with a
    /// not-controller error when this broker is not the controller.
    virtual void controlled_shutdown(int32_t broker_id, shutdown_callback cb) = 0;
};

/// Everything a request handler may use. Owned by the application; outlives every connection.
struct handler_context {
    const config& cfg;
    metadata_cache& metadata;
    replica_manager& replicas;
    coordination::topic_store& topics;
    broker_metrics& metrics;
    controller_gateway* controller = nullptr;  // null in tests that need no controller
    /// Cluster-unique producer ids (InitProducerId); null: answered COORDINATOR_NOT_AVAILABLE.
    coordination::producer_id_manager* producer_ids = nullptr;
    /// The consumer-group coordinator; null: group requests are answered COORDINATOR_NOT_AVAILABLE.
    group::group_coordinator* groups = nullptr;
};

/// One handler per Kafka API, each in handlers/<api>.cc. A handler decodes its request body from
/// `in`, encodes the response body into `out` (the header is already written) and returns what
/// the connection should do. Handlers run on the calling connection's strand and may co_await
/// (long-poll fetch, topic creation); they reach logs only through the replica_manager.
class handlers {
public:
    explicit handlers(handler_context ctx) : ctx_(ctx) {}

    using handler_fn = boost::asio::awaitable<dispatch_result> (handlers::*)(const protocol::request_header&,
                                                                             protocol::wire::reader&,
                                                                             protocol::wire::writer&);

    boost::asio::awaitable<dispatch_result> api_versions(const protocol::request_header&, protocol::wire::reader&,
                                                         protocol::wire::writer&);
    boost::asio::awaitable<dispatch_result> metadata(const protocol::request_header&, protocol::wire::reader&,
                                                     protocol::wire::writer&);
    boost::asio::awaitable<dispatch_result> produce(const protocol::request_header&, protocol::wire::reader&,
                                                    protocol::wire::writer&);
    boost::asio::awaitable<dispatch_result> fetch(const protocol::request_header&, protocol::wire::reader&,
                                                  protocol::wire::writer&);
    boost::asio::awaitable<dispatch_result> init_producer_id(const protocol::request_header&, protocol::wire::reader&,
                                                             protocol::wire::writer&);
    boost::asio::awaitable<dispatch_result> offset_for_leader_epoch(const protocol::request_header&,
                                                                    protocol::wire::reader&, protocol::wire::writer&);
    boost::asio::awaitable<dispatch_result> list_offsets(const protocol::request_header&, protocol::wire::reader&,
                                                         protocol::wire::writer&);
    /// DeleteRecords (handlers/delete_records.cc): moves log starts on the leader, waits for the ISR.
    boost::asio::awaitable<dispatch_result> delete_records(const protocol::request_header&, protocol::wire::reader&,
                                                           protocol::wire::writer&);
    boost::asio::awaitable<dispatch_result> create_topics(const protocol::request_header&, protocol::wire::reader&,
                                                          protocol::wire::writer&);
    boost::asio::awaitable<dispatch_result> create_partitions(const protocol::request_header&,
                                                              protocol::wire::reader&, protocol::wire::writer&);
    // Controller -> broker requests (Kafka's inter-broker APIs, ZooKeeper era).
    boost::asio::awaitable<dispatch_result> leader_and_isr(const protocol::request_header&, protocol::wire::reader&,
                                                           protocol::wire::writer&);
    boost::asio::awaitable<dispatch_result> update_metadata(const protocol::request_header&,
                                                            protocol::wire::reader&, protocol::wire::writer&);
    boost::asio::awaitable<dispatch_result> stop_replica(const protocol::request_header&, protocol::wire::reader&,
                                                         protocol::wire::writer&);
    boost::asio::awaitable<dispatch_result> controlled_shutdown(const protocol::request_header&,
                                                                protocol::wire::reader&, protocol::wire::writer&);
    // Consumer groups (handlers/groups.cc).
    boost::asio::awaitable<dispatch_result> find_coordinator(const protocol::request_header&,
                                                             protocol::wire::reader&, protocol::wire::writer&);
    boost::asio::awaitable<dispatch_result> join_group(const protocol::request_header&, protocol::wire::reader&,
                                                       protocol::wire::writer&);
    boost::asio::awaitable<dispatch_result> sync_group(const protocol::request_header&, protocol::wire::reader&,
                                                       protocol::wire::writer&);
    boost::asio::awaitable<dispatch_result> heartbeat(const protocol::request_header&, protocol::wire::reader&,
                                                      protocol::wire::writer&);
    boost::asio::awaitable<dispatch_result> leave_group(const protocol::request_header&, protocol::wire::reader&,
                                                        protocol::wire::writer&);
    boost::asio::awaitable<dispatch_result> offset_commit(const protocol::request_header&, protocol::wire::reader&,
                                                          protocol::wire::writer&);
    boost::asio::awaitable<dispatch_result> offset_fetch(const protocol::request_header&, protocol::wire::reader&,
                                                         protocol::wire::writer&);
    boost::asio::awaitable<dispatch_result> list_groups(const protocol::request_header&, protocol::wire::reader&,
                                                        protocol::wire::writer&);
    boost::asio::awaitable<dispatch_result> describe_groups(const protocol::request_header&,
                                                            protocol::wire::reader&, protocol::wire::writer&);
    boost::asio::awaitable<dispatch_result> delete_groups(const protocol::request_header&, protocol::wire::reader&,
                                                          protocol::wire::writer&);
    boost::asio::awaitable<dispatch_result> offset_delete(const protocol::request_header&, protocol::wire::reader&,
                                                          protocol::wire::writer&);
    // Configs (handlers/configs.cc).
    boost::asio::awaitable<dispatch_result> describe_configs(const protocol::request_header&,
                                                             protocol::wire::reader&, protocol::wire::writer&);
    boost::asio::awaitable<dispatch_result> alter_configs(const protocol::request_header&, protocol::wire::reader&,
                                                          protocol::wire::writer&);
    boost::asio::awaitable<dispatch_result> incremental_alter_configs(const protocol::request_header&,
                                                                      protocol::wire::reader&,
                                                                      protocol::wire::writer&);
    boost::asio::awaitable<dispatch_result> delete_topics(const protocol::request_header&, protocol::wire::reader&,
                                                          protocol::wire::writer&);

    /// Until the controller's first UpdateMetadata arrives (shortly after start-up) client requests
    /// wait here, bounded by `max`, instead of seeing a cluster without brokers or topics.
    boost::asio::awaitable<void> await_metadata(std::chrono::milliseconds max);

    /// The handler for an API key, or null if this broker does not serve it.
    static handler_fn find(int16_t api_key);

    /// Writes the v0-format UNSUPPORTED_VERSION ApiVersions answer (Kafka's reply to a version it
    /// does not know; librdkafka then retries with v0).
    static void write_api_versions_unsupported(protocol::wire::writer& out);

private:
    handler_context ctx_;
};

/// The address of the client whose JoinGroup is being dispatched on this thread (recorded as the
/// member's host, as Kafka does). Set by the dispatcher right before it starts that handler; valid
/// there only before its first co_await (a coroutine may resume on another thread).
const std::string& current_client_host();
void set_current_client_host(std::string host);

template <class T>
using completion_starter = std::function<void(std::function<void(T)>)>;

/// Waits for a callback-style asynchronous operation from a coroutine. `start` receives the
/// completion function; it may be called from any thread, exactly once. The result is handed
/// back on the awaiting coroutine's executor. `start` is a reference to a named local of the
/// caller (GCC 12 mishandles temporaries with destructors inside co_await expressions).
template <class T>
boost::asio::awaitable<T> await_completion(const completion_starter<T>& start) {
    namespace asio = boost::asio;
    struct state {
        explicit state(asio::any_io_executor ex) : timer(ex) {}
        asio::steady_timer timer;
        std::optional<T> value;
    };
    auto st = std::make_shared<state>(co_await asio::this_coro::executor);
    st->timer.expires_at(std::chrono::steady_clock::time_point::max());
    start([st](T v) {
        asio::post(st->timer.get_executor(), [st, v = std::move(v)]() mutable {
            st->value = std::move(v);
            st->timer.cancel();
        });
    });
    while (!st->value) {
        boost::system::error_code ec;
        co_await st->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    co_return std::move(*st->value);
}

/// Sleeps on the current executor without blocking a thread.
boost::asio::awaitable<void> sleep_for(std::chrono::milliseconds d);

}  // namespace broker
