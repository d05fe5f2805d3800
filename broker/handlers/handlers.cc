#include "broker/handlers/handlers.h"

namespace broker {

handlers::handler_fn handlers::find(int16_t api_key) {
    switch (api_key) {
        case 0: return &handlers::produce;
        case 1: return &handlers::fetch;
        case 2: return &handlers::list_offsets;
        case 3: return &handlers::metadata;
        case 18: return &handlers::api_versions;
        case 19: return &handlers::create_topics;
        case 20: return &handlers::delete_topics;
        default: return nullptr;
    }
}

boost::asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
    boost::asio::steady_timer t(co_await boost::asio::this_coro::executor, d);
    boost::system::error_code ec;
    co_await t.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
}

}  // namespace broker
