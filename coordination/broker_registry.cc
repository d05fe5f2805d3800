#include "coordination/broker_registry.h"

#include "coordination/zk_util.h"

#include <boost/asio/post.hpp>

#include <spdlog/spdlog.h>

namespace coordination {

std::shared_ptr<broker_registry> broker_registry::make(zk_client& zk, broker_info self) {
    std::shared_ptr<broker_registry> r(new broker_registry(zk, std::move(self)));
    std::weak_ptr<broker_registry> weak = r;
    r->listener_ = zk.add_session_listener([weak](const session_event& e) {
        if (auto self = weak.lock()) self->on_session(e);
    });
    return r;
}

broker_registry::~broker_registry() { zk_.remove_session_listener(listener_); }

void broker_registry::start(zk_client::void_callback cb) {
    started_ = true;
    do_register(std::move(cb));
}

void broker_registry::do_register(zk_client::void_callback cb) {
    auto self = shared_from_this();
    ensure_paths(zk_, {std::string(znodes::broker_ids_path)}, [self, cb = std::move(cb)](std::error_code ec) mutable {
        if (ec) return cb(ec);
        std::string path = znodes::broker_path(self->self_.id);
        int64_t session = self->zk_.session_id();
        self->zk_.create(path, znodes::encode_broker(self->self_, znodes::now_ms()), create_mode::ephemeral,
                         [self, path, session, cb = std::move(cb)](std::error_code ec, std::string) mutable {
            if (!ec) {
                self->registered_session_ = session;
                spdlog::info("registered broker {} at {} ({}:{})", self->self_.id, path, self->self_.host, self->self_.port);
                return cb({});
            }
            if (ec != zk_errc::node_exists) return cb(ec);
            // Ours (a create retried after connection loss) or another live broker's?
            self->zk_.exists(path, {}, [self, path, cb = std::move(cb)](std::error_code ec, zk_stat st) mutable {
                if (ec == zk_errc::no_node) return self->do_register(std::move(cb));  // it just went away
                if (ec) return cb(ec);
                if (st.ephemeral_owner != 0 && st.ephemeral_owner == self->zk_.session_id()) {
                    self->registered_session_ = st.ephemeral_owner;
                    return cb({});
                }
                spdlog::error("broker.id {} already registered at {} by another session (0x{:x})", self->self_.id,
                              path, st.ephemeral_owner);
                cb(errc::broker_already_registered);
            });
        });
    });
}

void broker_registry::stop(zk_client::void_callback cb) {
    started_ = false;
    if (registered_session_ == 0 || registered_session_ != zk_.session_id()) {
        registered_session_ = 0;
        boost::asio::post(zk_.executor(), [cb = std::move(cb)] { cb({}); });
        return;
    }
    registered_session_ = 0;
    zk_.remove(znodes::broker_path(self_.id), -1, [cb = std::move(cb)](std::error_code ec) {
        cb(ec == zk_errc::no_node ? std::error_code{} : ec);
    });
}

void broker_registry::on_session(const session_event& e) {
    if (e.state == session_state::expired) {
        registered_session_ = 0;
        return;
    }
    if (e.state != session_state::connected || !started_ || e.session_id == registered_session_) return;
    if (e.session_id != zk_.session_id()) return;  // stale: that session is already replaced
    spdlog::info("broker {}: new zookeeper session 0x{:x}, re-registering", self_.id, e.session_id);
    auto self = shared_from_this();
    do_register([self](std::error_code ec) {
        if (ec) spdlog::error("broker {}: re-registration failed: {}", self->self_.id, ec.message());
        if (self->on_reregistered_) self->on_reregistered_(ec);
    });
}

}  // namespace coordination
