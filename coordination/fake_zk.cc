#include "coordination/fake_zk.h"

#include <chrono>

#include <boost/asio/post.hpp>

#include <fmt/format.h>

namespace coordination {
namespace {

std::string parent_of(const std::string& path) {
    auto pos = path.rfind('/');
    if (pos == 0) return "/";
    return path.substr(0, pos);
}

bool valid_path(const std::string& path) {
    if (path.empty() || path[0] != '/') return false;
    if (path.size() > 1 && path.back() == '/') return false;
    return path.find("//") == std::string::npos;
}

}  // namespace

fake_zk_server::fake_zk_server() { state_.tree["/"] = node{}; }

bool fake_zk_server::node_exists(const std::string& path) const {
    std::lock_guard lk(mu_);
    return state_.tree.count(path) != 0;
}

std::optional<std::string> fake_zk_server::node_data(const std::string& path) const {
    std::lock_guard lk(mu_);
    auto it = state_.tree.find(path);
    if (it == state_.tree.end()) return std::nullopt;
    return it->second.data;
}

std::optional<zk_stat> fake_zk_server::node_stat(const std::string& path) const {
    std::lock_guard lk(mu_);
    auto it = state_.tree.find(path);
    if (it == state_.tree.end()) return std::nullopt;
    return it->second.stat;
}

std::vector<std::string> fake_zk_server::all_paths() const {
    std::lock_guard lk(mu_);
    std::vector<std::string> out;
    for (const auto& [p, n] : state_.tree) out.push_back(p);
    return out;
}

size_t fake_zk_server::watch_count() const {
    std::lock_guard lk(mu_);
    return watches_.size();
}

int64_t fake_zk_server::open_session() {
    std::lock_guard lk(mu_);
    int64_t id = next_session_++;
    sessions_[id] = true;
    return id;
}

bool fake_zk_server::session_alive(int64_t session) const {
    std::lock_guard lk(mu_);
    auto it = sessions_.find(session);
    return it != sessions_.end() && it->second;
}

void fake_zk_server::close_session(int64_t session) {
    std::lock_guard lk(mu_);
    auto it = sessions_.find(session);
    if (it == sessions_.end() || !it->second) return;
    it->second = false;
    for (auto w = watches_.begin(); w != watches_.end();) {
        w = w->second.session == session ? watches_.erase(w) : std::next(w);
    }
    std::vector<std::string> doomed;
    for (const auto& [p, n] : state_.tree) {
        if (n.stat.ephemeral_owner == session) doomed.push_back(p);
    }
    std::vector<fired> events;
    for (const auto& p : doomed) {
        zk_op_result r;
        apply(state_, session, zk_op::remove(p), r, events);
    }
    fire(std::move(events));
}

std::vector<std::string> fake_zk_server::children_locked(const state& s, const std::string& path) const {
    std::vector<std::string> out;
    std::string prefix = path == "/" ? "/" : path + "/";
    for (auto it = s.tree.lower_bound(prefix); it != s.tree.end(); ++it) {
        const std::string& p = it->first;
        if (p.compare(0, prefix.size(), prefix) != 0) break;
        if (p.size() == prefix.size()) continue;  // "/" itself
        if (p.find('/', prefix.size()) == std::string::npos) out.push_back(p.substr(prefix.size()));
    }
    return out;
}

std::error_code fake_zk_server::apply(state& s, int64_t session, const zk_op& op, zk_op_result& out,
                                      std::vector<fired>& events) {
    if (!valid_path(op.path)) return zk_errc::bad_arguments;
    auto it = s.tree.find(op.path);
    switch (op.type) {
        case zk_op::kind::create: {
            if (op.path == "/") return zk_errc::node_exists;
            std::string parent = parent_of(op.path);
            auto pit = s.tree.find(parent);
            if (pit == s.tree.end()) return zk_errc::no_node;
            if (pit->second.stat.ephemeral_owner != 0) return zk_errc::no_children_for_ephemerals;
            std::string path = op.path;
            bool sequential = op.mode == create_mode::persistent_sequential ||
                              op.mode == create_mode::ephemeral_sequential;
            if (sequential) path += fmt::format("{:010d}", pit->second.stat.cversion);
            if (s.tree.count(path)) return zk_errc::node_exists;
            ++s.zxid;
            node n;
            n.data = op.data;
            n.stat.czxid = n.stat.mzxid = s.zxid;
            // Wall-clock like the real server's (readers compare ctime with their own clock).
            n.stat.ctime = n.stat.mtime = std::chrono::duration_cast<std::chrono::milliseconds>(
                                              std::chrono::system_clock::now().time_since_epoch())
                                              .count();
            n.stat.data_length = static_cast<int32_t>(op.data.size());
            if (op.mode == create_mode::ephemeral || op.mode == create_mode::ephemeral_sequential) {
                n.stat.ephemeral_owner = session;
            }
            pit->second.stat.cversion++;
            pit->second.stat.num_children++;
            s.tree.emplace(path, std::move(n));
            out.path = path;
            events.push_back({watch_event_type::created, path});
            events.push_back({watch_event_type::child, parent});
            return {};
        }
        case zk_op::kind::remove: {
            if (it == s.tree.end()) return zk_errc::no_node;
            if (op.path == "/") return zk_errc::bad_arguments;
            if (op.version != -1 && op.version != it->second.stat.version) return zk_errc::bad_version;
            if (it->second.stat.num_children > 0) return zk_errc::not_empty;
            s.tree.erase(it);
            ++s.zxid;
            std::string parent = parent_of(op.path);
            auto& pn = s.tree.at(parent);
            pn.stat.cversion++;
            pn.stat.num_children--;
            events.push_back({watch_event_type::deleted, op.path});
            events.push_back({watch_event_type::child, parent});
            return {};
        }
        case zk_op::kind::set: {
            if (it == s.tree.end()) return zk_errc::no_node;
            if (op.version != -1 && op.version != it->second.stat.version) return zk_errc::bad_version;
            ++s.zxid;
            it->second.data = op.data;
            it->second.stat.version++;
            it->second.stat.mzxid = s.zxid;
            it->second.stat.data_length = static_cast<int32_t>(op.data.size());
            out.stat = it->second.stat;
            events.push_back({watch_event_type::changed, op.path});
            return {};
        }
        case zk_op::kind::check: {
            if (it == s.tree.end()) return zk_errc::no_node;
            if (op.version != -1 && op.version != it->second.stat.version) return zk_errc::bad_version;
            return {};
        }
    }
    return zk_errc::unimplemented;
}

void fake_zk_server::fire(std::vector<fired> events) {
    for (const auto& e : events) {
        auto [b, end] = watches_.equal_range(e.path);
        for (auto it = b; it != end;) {
            watch_kind k = it->second.kind;
            // created/changed: data watches; deleted: both kinds; child: child watches of the parent.
            bool match = e.type == watch_event_type::deleted ||
                         (e.type == watch_event_type::child ? k == watch_kind::child
                                                            : k == watch_kind::data);
            if (!match) {
                ++it;
                continue;
            }
            boost::asio::post(it->second.ex,
                              [cb = std::move(it->second.cb), ev = watch_event{e.type, e.path}] { cb(ev); });
            it = watches_.erase(it);
        }
    }
}

// ---------------------------------------------------------------------------------------------

fake_zk::fake_zk(std::shared_ptr<fake_zk_server> server, boost::asio::any_io_executor ex)
    : server_(std::move(server)), ex_(std::move(ex)) {
    session_ = server_->open_session();
}

fake_zk::~fake_zk() { close(); }

int64_t fake_zk::session_id() const {
    std::lock_guard lk(mu_);
    return expired_ || closed_ ? 0 : session_;
}

std::error_code fake_zk::precheck() {
    std::lock_guard lk(mu_);
    if (closed_) return zk_errc::closing;
    if (expired_) return zk_errc::session_expired;
    if (!injected_.empty()) {
        auto e = injected_.front();
        injected_.pop_front();
        return e;
    }
    return {};
}

void fake_zk::fail_next(zk_errc e) {
    std::lock_guard lk(mu_);
    injected_.push_back(e);
}

void fake_zk::notify(session_state st) {
    std::vector<session_listener> ls;
    int64_t sid;
    {
        std::lock_guard lk(mu_);
        for (auto& [id, l] : listeners_) ls.push_back(l);
        sid = session_;
    }
    for (auto& l : ls) boost::asio::post(ex_, [l, ev = session_event{st, sid}] { l(ev); });
}

void fake_zk::expire() {
    int64_t sid;
    {
        std::lock_guard lk(mu_);
        if (expired_ || closed_) return;
        expired_ = true;
        sid = session_;
    }
    server_->close_session(sid);
    notify(session_state::expired);
}

void fake_zk::reconnect() {
    int64_t old;
    {
        std::lock_guard lk(mu_);
        old = session_;
    }
    server_->close_session(old);
    int64_t sid = server_->open_session();
    {
        std::lock_guard lk(mu_);
        session_ = sid;
        expired_ = false;
        closed_ = false;
    }
    notify(session_state::connected);
}

void fake_zk::close() {
    int64_t sid;
    {
        std::lock_guard lk(mu_);
        if (closed_) return;
        closed_ = true;
        sid = session_;
    }
    server_->close_session(sid);
}

int fake_zk::add_session_listener(session_listener listener) {
    std::lock_guard lk(mu_);
    int id = next_listener_++;
    listeners_[id] = std::move(listener);
    return id;
}

void fake_zk::remove_session_listener(int id) {
    std::lock_guard lk(mu_);
    listeners_.erase(id);
}

void fake_zk::create(std::string path, std::string data, create_mode mode, create_callback cb) {
    std::error_code ec = precheck();
    zk_op_result r;
    if (!ec) {
        auto& s = *server_;
        std::lock_guard lk(s.mu_);
        std::vector<fake_zk_server::fired> events;
        ec = s.apply(s.state_, session_, zk_op::create(std::move(path), std::move(data), mode), r, events);
        s.fire(std::move(events));
    }
    boost::asio::post(ex_, [cb = std::move(cb), ec, p = std::move(r.path)]() mutable { cb(ec, std::move(p)); });
}

void fake_zk::get(std::string path, watch_callback watch, get_callback cb) {
    std::error_code ec = precheck();
    std::string data;
    zk_stat st;
    if (!ec) {
        auto& s = *server_;
        std::lock_guard lk(s.mu_);
        auto it = s.state_.tree.find(path);
        if (it == s.state_.tree.end()) {
            ec = zk_errc::no_node;
        } else {
            data = it->second.data;
            st = it->second.stat;
            if (watch) s.watches_.emplace(path, fake_zk_server::watch{session_, fake_zk_server::watch_kind::data, std::move(watch), ex_});
        }
    }
    boost::asio::post(ex_, [cb = std::move(cb), ec, d = std::move(data), st]() mutable { cb(ec, std::move(d), st); });
}

void fake_zk::set(std::string path, std::string data, int32_t expected_version, stat_callback cb) {
    std::error_code ec = precheck();
    zk_op_result r;
    if (!ec) {
        auto& s = *server_;
        std::lock_guard lk(s.mu_);
        std::vector<fake_zk_server::fired> events;
        ec = s.apply(s.state_, session_, zk_op::set(std::move(path), std::move(data), expected_version), r, events);
        s.fire(std::move(events));
    }
    boost::asio::post(ex_, [cb = std::move(cb), ec, st = r.stat] { cb(ec, st); });
}

void fake_zk::remove(std::string path, int32_t expected_version, void_callback cb) {
    std::error_code ec = precheck();
    if (!ec) {
        auto& s = *server_;
        std::lock_guard lk(s.mu_);
        std::vector<fake_zk_server::fired> events;
        zk_op_result r;
        ec = s.apply(s.state_, session_, zk_op::remove(std::move(path), expected_version), r, events);
        s.fire(std::move(events));
    }
    boost::asio::post(ex_, [cb = std::move(cb), ec] { cb(ec); });
}

void fake_zk::exists(std::string path, watch_callback watch, stat_callback cb) {
    std::error_code ec = precheck();
    zk_stat st;
    if (!ec) {
        auto& s = *server_;
        std::lock_guard lk(s.mu_);
        auto it = s.state_.tree.find(path);
        if (it == s.state_.tree.end()) {
            ec = zk_errc::no_node;
        } else {
            st = it->second.stat;
        }
        if (watch) s.watches_.emplace(path, fake_zk_server::watch{session_, fake_zk_server::watch_kind::data, std::move(watch), ex_});
    }
    boost::asio::post(ex_, [cb = std::move(cb), ec, st] { cb(ec, st); });
}

void fake_zk::get_children(std::string path, watch_callback watch, children_callback cb) {
    std::error_code ec = precheck();
    std::vector<std::string> kids;
    if (!ec) {
        auto& s = *server_;
        std::lock_guard lk(s.mu_);
        if (!s.state_.tree.count(path)) {
            ec = zk_errc::no_node;
        } else {
            kids = s.children_locked(s.state_, path);
            if (watch) s.watches_.emplace(path, fake_zk_server::watch{session_, fake_zk_server::watch_kind::child, std::move(watch), ex_});
        }
    }
    boost::asio::post(ex_, [cb = std::move(cb), ec, k = std::move(kids)]() mutable { cb(ec, std::move(k)); });
}

void fake_zk::multi(std::vector<zk_op> ops, multi_callback cb) {
    std::error_code ec = precheck();
    std::vector<zk_op_result> results(ops.size());
    if (!ec) {
        auto& s = *server_;
        std::lock_guard lk(s.mu_);
        fake_zk_server::state copy = s.state_;
        std::vector<fake_zk_server::fired> events;
        size_t i = 0;
        for (; i < ops.size(); ++i) {
            ec = s.apply(copy, session_, ops[i], results[i], events);
            if (ec) break;
        }
        if (ec) {
            // ZooKeeper's answer for a failed multi: ops before the failure ok, the failing op its
            // error, later ops runtime_inconsistency; nothing applied.
            for (size_t j = 0; j < ops.size(); ++j) {
                results[j] = zk_op_result{};
                if (j == i) results[j].ec = ec;
                if (j > i) results[j].ec = zk_errc::runtime_inconsistency;
            }
        } else {
            s.state_ = std::move(copy);
            s.fire(std::move(events));
        }
    }
    boost::asio::post(ex_, [cb = std::move(cb), ec, r = std::move(results)]() mutable { cb(ec, std::move(r)); });
}

}  // namespace coordination
