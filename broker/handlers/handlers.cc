#include "broker/handlers/handlers.h"

#include "broker/metadata_cache.h"

namespace broker {

handlers::handler_fn handlers::find(int16_t api_key) {
    switch (api_key) {
        case 0: return &handlers::produce;
        case 1: return &handlers::fetch;
        case 2: return &handlers::list_offsets;
        case 3: return &handlers::metadata;
        case 4: return &handlers::leader_and_isr;
        case 5: return &handlers::stop_replica;
        case 6: return &handlers::update_metadata;
        case 7: return &handlers::controlled_shutdown;
        case 8: return &handlers::offset_commit;
        case 9: return &handlers::offset_fetch;
        case 10: return &handlers::find_coordinator;
        case 11: return &handlers::join_group;
        case 12: return &handlers::heartbeat;
        case 13: return &handlers::leave_group;
        case 14: return &handlers::sync_group;
        case 15: return &handlers::describe_groups;
        case 16: return &handlers::list_groups;
        case 18: return &handlers::api_versions;
        case 19: return &handlers::create_topics;
        case 20: return &handlers::delete_topics;
        case 21: return &handlers::delete_records;
        case 22: return &handlers::init_producer_id;
        case 23: return &handlers::offset_for_leader_epoch;
        case 32: return &handlers::describe_configs;
        case 33: return &handlers::alter_configs;
        case 37: return &handlers::create_partitions;
        case 42: return &handlers::delete_groups;
        case 44: return &handlers::incremental_alter_configs;
        case 47: return &handlers::offset_delete;
        default: return nullptr;
    }
}

boost::asio::awaitable<void> handlers::await_metadata(std::chrono::milliseconds max) {
    const auto deadline = std::chrono::steady_clock::now() + max;
    while (!ctx_.metadata.ready() && std::chrono::steady_clock::now() < deadline) {
        co_await sleep_for(std::chrono::milliseconds(10));
    }
}

namespace {
thread_local std::string client_host;
}

const std::string& current_client_host() { return client_host; }
void set_current_client_host(std::string host) { client_host = std::move(host); }

boost::asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
    boost::asio::steady_timer t(co_await boost::asio::this_coro::executor, d);
    boost::system::error_code ec;
    co_await t.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
}

}  // namespace broker
