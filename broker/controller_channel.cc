#include "broker/controller_channel.h"

#include <chrono>

#include <spdlog/spdlog.h>

#include "protocol/client/client.h"

namespace broker {

namespace {
constexpr auto connect_timeout = std::chrono::milliseconds(3000);
constexpr auto request_timeout = std::chrono::milliseconds(30000);
// Between attempts to reach a broker that is registered but not (yet) answering.
constexpr auto retry_backoff = std::chrono::milliseconds(100);
}  // namespace

struct controller_channel::destination {
    int32_t id = 0;
    std::mutex mutex;  // guards everything below
    std::condition_variable wake;
    std::string host;
    uint16_t port = 0;
    bool address_changed = false;
    bool stopped = false;
    std::deque<request> queue;
    bool in_flight = false;
    std::thread thread;
};

controller_channel::controller_channel(std::string client_id) : client_id_(std::move(client_id)) {}

controller_channel::~controller_channel() { stop(); }

void controller_channel::add_broker(int32_t id, const std::string& host, uint16_t port) {
    std::lock_guard lock(mutex_);
    auto it = destinations_.find(id);
    if (it != destinations_.end()) {
        std::lock_guard dlock(it->second->mutex);
        if (it->second->host != host || it->second->port != port) {
            it->second->host = host;
            it->second->port = port;
            it->second->address_changed = true;
        }
        return;
    }
    auto d = std::make_shared<destination>();
    d->id = id;
    d->host = host;
    d->port = port;
    d->thread = std::thread(&controller_channel::run, d, client_id_);
    destinations_[id] = d;
}

void controller_channel::remove_broker(int32_t id) {
    std::shared_ptr<destination> d;
    {
        std::lock_guard lock(mutex_);
        auto it = destinations_.find(id);
        if (it == destinations_.end()) {
            return;
        }
        d = it->second;
        destinations_.erase(it);
    }
    {
        std::lock_guard dlock(d->mutex);
        d->stopped = true;
        d->queue.clear();
    }
    d->wake.notify_all();
    // A sender blocked in a request to a dead broker finishes within the request timeout; it
    // owns a reference to its destination, so it is detached rather than joined here.
    d->thread.detach();
}

void controller_channel::send(int32_t id, request r) {
    std::shared_ptr<destination> d;
    {
        std::lock_guard lock(mutex_);
        auto it = destinations_.find(id);
        if (it == destinations_.end()) {
            spdlog::warn("controller channel: no sender for broker {}, request (key {}) dropped", id, r.api_key);
            return;
        }
        d = it->second;
    }
    {
        std::lock_guard dlock(d->mutex);
        d->queue.push_back(std::move(r));
    }
    d->wake.notify_one();
}

void controller_channel::stop() {
    std::map<int32_t, std::shared_ptr<destination>> all;
    {
        std::lock_guard lock(mutex_);
        all.swap(destinations_);
    }
    for (auto& [id, d] : all) {
        {
            std::lock_guard dlock(d->mutex);
            d->stopped = true;
            d->queue.clear();
        }
        d->wake.notify_all();
        d->thread.detach();
    }
}

size_t controller_channel::pending(int32_t id) const {
    std::lock_guard lock(mutex_);
    auto it = destinations_.find(id);
    if (it == destinations_.end()) {
        return 0;
    }
    std::lock_guard dlock(it->second->mutex);
    return it->second->queue.size() + (it->second->in_flight ? 1 : 0);
}

void controller_channel::run(std::shared_ptr<destination> d, std::string client_id) {
    std::optional<protocol::client::connection> conn;
    for (;;) {
        request r;
        std::string host;
        uint16_t port = 0;
        {
            std::unique_lock lock(d->mutex);
            d->wake.wait(lock, [&] { return d->stopped || !d->queue.empty(); });
            if (d->stopped) {
                return;
            }
            r = d->queue.front();
            d->in_flight = true;
            if (d->address_changed) {
                conn.reset();
                d->address_changed = false;
            }
            host = d->host;
            port = d->port;
        }
        // Retry this request until it is answered or the broker goes away.
        for (;;) {
            if (!conn) {
                auto c = protocol::client::connection::connect(host, port, connect_timeout);
                if (c) {
                    conn.emplace(std::move(c.value()));
                    conn->set_client_id(client_id);
                    conn->set_timeout(request_timeout);
                }
            }
            boost::outcome_v2::std_result<std::vector<uint8_t>> response = std::make_error_code(std::errc::not_connected);
            if (conn) {
                response = conn->round_trip(r.api_key, r.api_version, *r.body);
                if (!response) {
                    conn.reset();
                }
            }
            if (response) {
                if (r.on_response) {
                    r.on_response(response);
                }
                break;
            }
            std::unique_lock lock(d->mutex);
            if (d->wake.wait_for(lock, retry_backoff, [&] { return d->stopped; })) {
                return;
            }
            if (d->address_changed) {
                conn.reset();
                d->address_changed = false;
                host = d->host;
                port = d->port;
            }
        }
        std::lock_guard lock(d->mutex);
        d->in_flight = false;
        if (!d->queue.empty()) {
            d->queue.pop_front();
        }
    }
}

}  // namespace broker
