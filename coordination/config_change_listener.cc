#include "coordination/config_change_listener.h"

#include "coordination/zk_util.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <chrono>

namespace coordination {

namespace {

/// "config_change_0000000042" -> 42; nullopt for anything else in the directory.
std::optional<int64_t> sequence_of(const std::string& child) {
    if (!child.starts_with(znodes::config_change_prefix)) return std::nullopt;
    std::string_view digits = std::string_view(child).substr(znodes::config_change_prefix.size());
    int64_t seq = 0;
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), seq);
    if (ec != std::errc{} || p != digits.data() + digits.size() || digits.empty()) return std::nullopt;
    return seq;
}

int64_t system_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

std::shared_ptr<config_change_listener> config_change_listener::make(zk_client& zk, callback cb,
                                                                     std::chrono::milliseconds expiry, clock_fn now_ms) {
    std::shared_ptr<config_change_listener> l(new config_change_listener(zk, std::move(cb), expiry, std::move(now_ms)));
    std::weak_ptr<config_change_listener> weak = l;
    l->listener_ = zk.add_session_listener([weak](const session_event& e) {
        if (auto s = weak.lock()) s->on_session(e);
    });
    return l;
}

config_change_listener::config_change_listener(zk_client& zk, callback cb, std::chrono::milliseconds expiry,
                                               clock_fn now_ms)
    : zk_(zk), cb_(std::move(cb)), expiry_(expiry), now_ms_(now_ms ? std::move(now_ms) : clock_fn(system_ms)) {}

config_change_listener::~config_change_listener() { zk_.remove_session_listener(listener_); }

void config_change_listener::start() {
    running_ = true;
    session_ = zk_.session_id();
    auto self = shared_from_this();
    ensure_paths(zk_, {std::string(znodes::config_changes_path)}, [self](std::error_code ec) {
        if (ec && !is_session_error(ec)) spdlog::warn("config change listener: creating {}: {}", znodes::config_changes_path, ec.message());
        self->read_changes();
    });
}

// A new session lost the watch: list again (notifications made meanwhile have higher sequence
// numbers than the last one processed, so none is missed and none is handled twice).
void config_change_listener::on_session(const session_event& e) {
    if (!running_ || e.state != session_state::connected || e.session_id == session_) return;
    session_ = e.session_id;
    read_changes();
}

void config_change_listener::read_changes() {
    if (!running_) return;
    if (busy_) {
        again_ = true;
        return;
    }
    busy_ = true;
    std::weak_ptr<config_change_listener> weak = shared_from_this();
    zk_.get_children(std::string(znodes::config_changes_path),
                     [weak](const watch_event&) {
                         if (auto s = weak.lock()) s->read_changes();
                     },
                     [weak](std::error_code ec, std::vector<std::string> children) {
                         auto self = weak.lock();
                         if (!self || !self->running_) return;
                         if (ec) {
                             self->busy_ = false;
                             if (!is_session_error(ec)) {
                                 spdlog::warn("config change listener: listing {}: {}", znodes::config_changes_path,
                                              ec.message());
                             }
                             return;
                         }
                         std::vector<std::pair<int64_t, std::string>> all;
                         for (auto& c : children) {
                             if (auto seq = sequence_of(c)) all.emplace_back(*seq, std::move(c));
                         }
                         std::sort(all.begin(), all.end());
                         self->process(std::move(all), 0);
                     });
}

// One notification at a time, in sequence order: read it, hand its entity over if it is new,
// delete it if it has expired.
void config_change_listener::process(std::vector<std::pair<int64_t, std::string>> all, size_t next) {
    if (!running_) return;
    if (next == all.size()) {
        busy_ = false;
        if (again_) {
            again_ = false;
            read_changes();
        }
        return;
    }
    auto [seq, name] = all[next];
    std::string path = std::string(znodes::config_changes_path) + "/" + name;
    std::weak_ptr<config_change_listener> weak = shared_from_this();
    zk_.get(path, {}, [weak, all = std::move(all), next, seq, path](std::error_code ec, std::string data, zk_stat st) mutable {
        auto self = weak.lock();
        if (!self || !self->running_) return;
        if (!ec) {
            if (seq > self->last_processed_) {
                self->last_processed_ = seq;
                if (auto entity = znodes::decode_config_change(data)) {
                    self->cb_(entity.value());
                } else {
                    spdlog::warn("config change listener: ignoring malformed notification {}: {}", path, data);
                }
            }
            if (st.ctime < self->now_ms_() - self->expiry_.count()) {
                self->zk_.remove(path, -1, [](std::error_code) {});  // another broker may win
            }
        } else if (ec != zk_errc::no_node && !is_session_error(ec)) {
            spdlog::warn("config change listener: reading {}: {}", path, ec.message());
        }
        self->process(std::move(all), next + 1);
    });
}

}  // namespace coordination
