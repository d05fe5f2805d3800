#include "coordination/controller_election.h"

#include "coordination/znodes.h"

#include <boost/asio/post.hpp>

#include <spdlog/spdlog.h>

namespace coordination {

std::shared_ptr<controller_election> controller_election::make(zk_client& zk, int32_t broker_id,
                                                               change_callback on_change) {
    std::shared_ptr<controller_election> e(new controller_election(zk, broker_id, std::move(on_change)));
    std::weak_ptr<controller_election> weak = e;
    e->listener_ = zk.add_session_listener([weak](const session_event& ev) {
        if (auto self = weak.lock()) self->on_session(ev);
    });
    return e;
}

controller_election::~controller_election() { zk_.remove_session_listener(listener_); }

void controller_election::start() {
    running_ = true;
    elect();
}

void controller_election::stop(zk_client::void_callback cb) {
    running_ = false;
    if (!is_me_) {
        boost::asio::post(zk_.executor(), [cb = std::move(cb)] { cb({}); });
        return;
    }
    is_me_ = false;
    zk_.remove(std::string(znodes::controller_path), -1,
               [cb = std::move(cb)](std::error_code ec) { cb(ec == zk_errc::no_node ? std::error_code{} : ec); });
}

void controller_election::report(int32_t id, int32_t epoch, bool is_me) {
    if (reported_ && id == controller_id_ && epoch == epoch_ && is_me == is_me_) return;
    reported_ = true;
    controller_id_ = id;
    epoch_ = epoch;
    is_me_ = is_me;
    if (is_me) spdlog::info("broker {} is now the controller (epoch {})", broker_id_, epoch);
    if (on_change_) on_change_(id, epoch, is_me);
}

void controller_election::retry_later(std::error_code ec) {
    // Session errors are retried from the session listener (connected / new session); anything
    // else is unexpected here: log, the next watch or session event runs the election again.
    if (!is_session_error(ec)) spdlog::warn("controller election on broker {}: {}", broker_id_, ec.message());
}

void controller_election::elect() {
    if (!running_) return;
    auto self = shared_from_this();
    watch_callback watch;
    if (!watch_armed_) {
        watch_armed_ = true;
        std::weak_ptr<controller_election> weak = self;
        watch = [weak](const watch_event&) {
            if (auto s = weak.lock()) {
                s->watch_armed_ = false;
                s->elect();
            }
        };
    }
    zk_.exists(std::string(znodes::controller_path), std::move(watch), [self](std::error_code ec, zk_stat st) {
        if (!self->running_) return;
        if (ec == zk_errc::no_node) return self->try_become();
        if (ec) {
            self->watch_armed_ = false;  // the exists failed, so no watch was set
            return self->retry_later(ec);
        }
        self->read_current(st.ephemeral_owner);
    });
}

void controller_election::read_current(int64_t owner) {
    auto self = shared_from_this();
    zk_.get(std::string(znodes::controller_path), {}, [self, owner](std::error_code ec, std::string data, zk_stat) {
        if (!self->running_) return;
        if (ec == zk_errc::no_node) return self->elect();
        if (ec) return self->retry_later(ec);
        auto id = znodes::decode_controller(data);
        if (!id) {
            spdlog::error("malformed /controller znode '{}'", data);
            return;
        }
        self->zk_.get(std::string(znodes::controller_epoch_path), {},
                      [self, owner, cid = id.value()](std::error_code ec, std::string data, zk_stat st) {
            if (!self->running_) return;
            int32_t epoch = 0;
            if (!ec) {
                auto e = znodes::decode_controller_epoch(data);
                if (e) epoch = e.value();
            } else if (ec != zk_errc::no_node) {
                return self->retry_later(ec);
            }
            bool mine = owner != 0 && owner == self->zk_.session_id();
            if (mine) self->epoch_zk_version_ = st.version;
            self->report(cid, epoch, mine);
        });
    });
}

void controller_election::try_become() {
    auto self = shared_from_this();
    zk_.get(std::string(znodes::controller_epoch_path), {}, [self](std::error_code ec, std::string data, zk_stat st) {
        if (!self->running_) return;
        if (ec == zk_errc::no_node) {
            // First controller of this cluster: epoch starts at 0 and the winner bumps it to 1.
            self->zk_.create(std::string(znodes::controller_epoch_path), znodes::encode_controller_epoch(0),
                             create_mode::persistent, [self](std::error_code ec, std::string) {
                                 if (ec && ec != zk_errc::node_exists) return self->retry_later(ec);
                                 self->try_become();
                             });
            return;
        }
        if (ec) return self->retry_later(ec);
        auto epoch = znodes::decode_controller_epoch(data);
        if (!epoch) {
            spdlog::error("malformed /controller_epoch '{}'", data);
            return;
        }
        int32_t next = epoch.value() + 1;
        std::vector<zk_op> ops{
            zk_op::create(std::string(znodes::controller_path), znodes::encode_controller(self->broker_id_, znodes::now_ms()),
                          create_mode::ephemeral),
            zk_op::set(std::string(znodes::controller_epoch_path), znodes::encode_controller_epoch(next), st.version),
        };
        self->zk_.multi(std::move(ops), [self, next](std::error_code ec, std::vector<zk_op_result> res) {
            if (!self->running_) return;
            if (!ec) {
                self->epoch_zk_version_ = res.at(1).stat.version;
                return self->report(self->broker_id_, next, true);
            }
            // Someone else created /controller or bumped the epoch first: see who won.
            if (ec == zk_errc::node_exists || ec == zk_errc::bad_version) return self->elect();
            self->retry_later(ec);
        });
    });
}

void controller_election::on_session(const session_event& e) {
    if (!running_) return;
    if (e.state == session_state::expired) {
        watch_armed_ = false;
        // Our ephemeral /controller died with the session: we are no longer the controller.
        report(-1, epoch_, false);
        return;
    }
    if (e.state == session_state::connected) {
        watch_armed_ = watch_armed_ && e.session_id == zk_.session_id();
        elect();
    }
}

}  // namespace coordination
