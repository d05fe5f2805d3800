#include "coordination/zk_session.h"

#include "coordination/zk_util.h"

#include <boost/asio/post.hpp>

#include <spdlog/spdlog.h>
#include <zookeeper/zookeeper.h>

#include <cstring>
#include <future>
#include <map>
#include <set>

namespace coordination {
namespace detail {

struct listener_set {
    std::mutex mu;
    std::map<int, session_listener> listeners;
    int next = 1;

    void notify(const boost::asio::any_io_executor& ex, session_event ev) {
        std::lock_guard lk(mu);
        for (auto& [id, l] : listeners) boost::asio::post(ex, [l, ev] { l(ev); });
    }
};

/// One per registered watch: owned by the registry until the watch fires, the request that would
/// have set it fails, or the handle is closed. Whoever take()s it deletes it.
struct watch_ctx {
    watch_callback cb;
    boost::asio::any_io_executor ex;
};

struct watch_registry {
    std::mutex mu;
    std::set<watch_ctx*> live;

    watch_ctx* add(watch_callback cb, boost::asio::any_io_executor ex) {
        auto* w = new watch_ctx{std::move(cb), std::move(ex)};
        std::lock_guard lk(mu);
        live.insert(w);
        return w;
    }
    std::unique_ptr<watch_ctx> take(watch_ctx* w) {
        std::lock_guard lk(mu);
        return live.erase(w) ? std::unique_ptr<watch_ctx>(w) : nullptr;
    }
    void clear() {
        std::lock_guard lk(mu);
        for (auto* w : live) delete w;
        live.clear();
    }
};

/// Per zhandle: what the global (session) watcher needs. Lives until after zookeeper_close.
struct handle_ctx {
    boost::asio::any_io_executor ex;
    std::shared_ptr<listener_set> listeners;
    std::promise<void> connected;
    bool connected_set = false;  // only touched on the library's completion thread
    std::atomic<int64_t> session_id{0};
    std::atomic<bool> expired{false};
};

}  // namespace detail

namespace {

using detail::handle_ctx;
using detail::watch_ctx;
using detail::watch_registry;

// Watch contexts carry a registry pointer so the C watcher can find it.
struct watch_arg {
    std::shared_ptr<watch_registry> reg;
    watch_ctx* w;
};

void global_watcher(zhandle_t* zh, int type, int state, const char*, void* ctx_ptr) {
    if (type != ZOO_SESSION_EVENT) return;
    auto* ctx = static_cast<handle_ctx*>(ctx_ptr);
    if (state == ZOO_CONNECTED_STATE) {
        const clientid_t* id = zoo_client_id(zh);
        ctx->session_id = id ? id->client_id : 0;
        // Listeners first: once the promise is set, connect() returns and components may add
        // listeners; they must not hear this (already reported) event as a new session.
        ctx->listeners->notify(ctx->ex, {session_state::connected, ctx->session_id.load()});
        if (!ctx->connected_set) {
            ctx->connected_set = true;
            ctx->connected.set_value();
        }
    } else if (state == ZOO_EXPIRED_SESSION_STATE || state == ZOO_AUTH_FAILED_STATE) {
        ctx->expired = true;
        spdlog::warn("zookeeper session 0x{:x} expired", ctx->session_id.load());
        ctx->listeners->notify(ctx->ex, {session_state::expired, ctx->session_id.load()});
    } else if (state == ZOO_CONNECTING_STATE || state == ZOO_ASSOCIATING_STATE) {
        if (ctx->connected_set) ctx->listeners->notify(ctx->ex, {session_state::disconnected, ctx->session_id.load()});
    }
}

void watch_trampoline(zhandle_t*, int type, int, const char* path, void* arg_ptr) {
    // Session events reach every registered watcher but do not consume it (the C library keeps it
    // armed across reconnects); only node events do.
    if (type == ZOO_SESSION_EVENT || type == ZOO_NOTWATCHING_EVENT) return;
    auto* arg = static_cast<watch_arg*>(arg_ptr);
    auto w = arg->reg->take(arg->w);
    delete arg;
    if (!w) return;
    watch_event ev;
    ev.path = path ? path : "";
    if (type == ZOO_CREATED_EVENT) {
        ev.type = watch_event_type::created;
    } else if (type == ZOO_DELETED_EVENT) {
        ev.type = watch_event_type::deleted;
    } else if (type == ZOO_CHANGED_EVENT) {
        ev.type = watch_event_type::changed;
    } else {
        ev.type = watch_event_type::child;
    }
    auto ex = w->ex;
    boost::asio::post(ex, [cb = std::move(w->cb), ev] { cb(ev); });
}

zk_stat convert(const Stat* s) {
    zk_stat out;
    if (!s) return out;
    out.czxid = s->czxid;
    out.mzxid = s->mzxid;
    out.ctime = s->ctime;
    out.mtime = s->mtime;
    out.version = s->version;
    out.cversion = s->cversion;
    out.ephemeral_owner = s->ephemeralOwner;
    out.data_length = s->dataLength;
    out.num_children = s->numChildren;
    return out;
}

std::error_code to_ec(int rc) { return rc == ZOK ? std::error_code{} : make_error_code(static_cast<zk_errc>(rc)); }

int to_flags(create_mode m) {
    switch (m) {
        case create_mode::persistent: return ZOO_PERSISTENT;
        case create_mode::ephemeral: return ZOO_EPHEMERAL;
        case create_mode::persistent_sequential: return ZOO_PERSISTENT_SEQUENTIAL;
        case create_mode::ephemeral_sequential: return ZOO_EPHEMERAL_SEQUENTIAL;
    }
    return ZOO_PERSISTENT;
}

// A request's completion context: the user callback and where to post it.
template <class Cb>
struct op_ctx {
    boost::asio::any_io_executor ex;
    Cb cb;
    std::shared_ptr<watch_registry> reg;
    watch_arg* watch = nullptr;  // set when the request registers a watch
    // The C library only registers the watch when the request succeeds (exists: also on ZNONODE).
    void drop_watch_unless(bool registered) {
        if (watch && !registered) {
            reg->take(watch->w);  // unique_ptr deletes the watch_ctx
            delete watch;
        }
        watch = nullptr;
    }
};

template <class Cb, class... Args>
void post_result(boost::asio::any_io_executor ex, Cb cb, Args... args) {
    boost::asio::post(ex, [cb = std::move(cb), ... args = std::move(args)]() mutable { cb(std::move(args)...); });
}

void string_done(int rc, const char* value, const void* data) {
    std::unique_ptr<op_ctx<zk_client::create_callback>> c(static_cast<op_ctx<zk_client::create_callback>*>(const_cast<void*>(data)));
    post_result(c->ex, std::move(c->cb), to_ec(rc), std::string(rc == ZOK && value ? value : ""));
}

void data_done(int rc, const char* value, int len, const Stat* stat, const void* data) {
    std::unique_ptr<op_ctx<zk_client::get_callback>> c(static_cast<op_ctx<zk_client::get_callback>*>(const_cast<void*>(data)));
    c->drop_watch_unless(rc == ZOK);
    std::string d = (rc == ZOK && value && len > 0) ? std::string(value, static_cast<size_t>(len)) : std::string();
    post_result(c->ex, std::move(c->cb), to_ec(rc), std::move(d), rc == ZOK ? convert(stat) : zk_stat{});
}

void stat_done(int rc, const Stat* stat, const void* data) {
    std::unique_ptr<op_ctx<zk_client::stat_callback>> c(static_cast<op_ctx<zk_client::stat_callback>*>(const_cast<void*>(data)));
    c->drop_watch_unless(rc == ZOK || rc == ZNONODE);
    post_result(c->ex, std::move(c->cb), to_ec(rc), rc == ZOK ? convert(stat) : zk_stat{});
}

void void_done(int rc, const void* data) {
    std::unique_ptr<op_ctx<zk_client::void_callback>> c(static_cast<op_ctx<zk_client::void_callback>*>(const_cast<void*>(data)));
    post_result(c->ex, std::move(c->cb), to_ec(rc));
}

void strings_done(int rc, const String_vector* strings, const void* data) {
    std::unique_ptr<op_ctx<zk_client::children_callback>> c(static_cast<op_ctx<zk_client::children_callback>*>(const_cast<void*>(data)));
    c->drop_watch_unless(rc == ZOK);
    std::vector<std::string> kids;
    if (rc == ZOK && strings) {
        for (int32_t i = 0; i < strings->count; ++i) kids.emplace_back(strings->data[i]);
    }
    post_result(c->ex, std::move(c->cb), to_ec(rc), std::move(kids));
}

// Everything a zoo_amulti needs alive until its completion.
struct multi_ctx {
    boost::asio::any_io_executor ex;
    zk_client::multi_callback cb;
    std::vector<zk_op> ops;
    std::vector<zoo_op_t> zops;
    std::vector<zoo_op_result_t> results;
    std::vector<std::array<char, 1024>> path_bufs;
    std::vector<Stat> stats;
};

void multi_done(int rc, const void* data) {
    std::unique_ptr<multi_ctx> c(static_cast<multi_ctx*>(const_cast<void*>(data)));
    std::vector<zk_op_result> out(c->ops.size());
    std::error_code first;
    for (size_t i = 0; i < c->ops.size(); ++i) {
        out[i].ec = to_ec(c->results[i].err);
        if (out[i].ec && !first && c->results[i].err != ZRUNTIMEINCONSISTENCY) first = out[i].ec;
        if (c->results[i].err == ZOK) {
            if (c->ops[i].type == zk_op::kind::create) out[i].path = c->path_bufs[i].data();
            if (c->ops[i].type == zk_op::kind::set) out[i].stat = convert(&c->stats[i]);
        }
    }
    std::error_code ec = to_ec(rc);
    if (ec && first) ec = first;  // the failing op's reason, not just "api error"
    post_result(c->ex, std::move(c->cb), ec, std::move(out));
}

}  // namespace

zk_session::zk_session(std::string connect_string, std::string chroot, int timeout_ms, boost::asio::any_io_executor ex)
    : connect_string_(std::move(connect_string)),
      chroot_(std::move(chroot)),
      timeout_ms_(timeout_ms),
      ex_(std::move(ex)),
      listeners_(std::make_shared<detail::listener_set>()),
      watches_(std::make_shared<watch_registry>()) {}

result<std::unique_ptr<zk_session>> zk_session::connect(std::string connect_string, int session_timeout_ms,
                                                        boost::asio::any_io_executor ex,
                                                        std::chrono::milliseconds connect_timeout) {
    static std::once_flag quiet;
    std::call_once(quiet, [] { zoo_set_debug_level(ZOO_LOG_LEVEL_WARN); });

    auto slash = connect_string.find('/');
    std::string hosts = connect_string.substr(0, slash);
    std::string chroot = slash == std::string::npos ? std::string() : connect_string.substr(slash);
    while (chroot.size() > 1 && chroot.back() == '/') chroot.pop_back();
    if (chroot == "/") chroot.clear();
    if (!chroot.empty()) {
        // Bootstrap session without the chroot, only to create the chroot itself.
        std::unique_ptr<zk_session> boot(new zk_session(hosts, "", session_timeout_ms, ex));
        if (auto ec = boot->open(connect_timeout)) return ec;
        for (const auto& p : path_prefixes(chroot)) {
            auto ec = boot->create_sync(p, "", create_mode::persistent);
            if (ec && ec != zk_errc::node_exists) return ec;
        }
        boot->close();
    }
    std::unique_ptr<zk_session> s(new zk_session(hosts + chroot, chroot, session_timeout_ms, std::move(ex)));
    if (auto ec = s->open(connect_timeout)) return ec;
    return s;
}

std::error_code zk_session::open(std::chrono::milliseconds timeout) {
    auto* ctx = new handle_ctx;
    ctx->ex = ex_;
    ctx->listeners = listeners_;
    auto connected = ctx->connected.get_future();
    zhandle_t* zh = zookeeper_init(connect_string_.c_str(), global_watcher, timeout_ms_, nullptr, ctx, 0);
    if (!zh) {
        int err = errno;
        delete ctx;
        spdlog::error("zookeeper_init('{}') failed: {}", connect_string_, std::strerror(err));
        return std::error_code(err ? err : EINVAL, std::generic_category());
    }
    // Published before the session is up: its "connected" event may be handled on another thread
    // before this function returns, and listeners compare the event's id with session_id().
    {
        std::lock_guard lk(mu_);
        zh_ = zh;
        ctx_ = ctx;
    }
    if (connected.wait_for(timeout) != std::future_status::ready) {
        {
            std::lock_guard lk(mu_);
            zh_ = nullptr;
            ctx_ = nullptr;
        }
        zookeeper_close(zh);
        delete ctx;
        spdlog::error("no zookeeper session with '{}' within {} ms", connect_string_, timeout.count());
        return errc::connect_timeout;
    }
    std::lock_guard lk(mu_);
    spdlog::info("zookeeper session 0x{:x} established with '{}' (timeout {} ms)", ctx->session_id.load(),
                 connect_string_, zoo_recv_timeout(zh));
    return {};
}

zk_session::~zk_session() { close(); }

void zk_session::close() {
    zhandle_t* zh;
    handle_ctx* ctx;
    {
        std::lock_guard lk(mu_);
        zh = zh_;
        ctx = ctx_;
        zh_ = nullptr;
        ctx_ = nullptr;
    }
    if (!zh) return;
    // Blocks until the library's threads are gone; pending completions run with ZCLOSING first.
    zookeeper_close(zh);
    delete ctx;
    // No watcher can fire any more: free the contexts of the ones that never did.
    watches_->clear();
}

std::error_code zk_session::reconnect(std::chrono::milliseconds timeout) {
    close();
    return open(timeout);
}

int64_t zk_session::session_id() const {
    std::lock_guard lk(mu_);
    return ctx_ && !ctx_->expired ? ctx_->session_id.load() : 0;
}

int zk_session::session_timeout_ms() const {
    std::lock_guard lk(mu_);
    return zh_ ? zoo_recv_timeout(zh_) : 0;
}

int zk_session::add_session_listener(session_listener listener) {
    std::lock_guard lk(listeners_->mu);
    int id = listeners_->next++;
    listeners_->listeners[id] = std::move(listener);
    return id;
}

void zk_session::remove_session_listener(int id) {
    std::lock_guard lk(listeners_->mu);
    listeners_->listeners.erase(id);
}

// Each async call: allocate the context, issue under the lock (zoo_a* only queues the request),
// and if the library refuses synchronously, no completion will come: report the error ourselves.

void zk_session::create(std::string path, std::string data, create_mode mode, create_callback cb) {
    auto* c = new op_ctx<create_callback>{ex_, std::move(cb), watches_};
    std::lock_guard lk(mu_);
    int rc = zh_ ? zoo_acreate(zh_, path.c_str(), data.data(), static_cast<int>(data.size()), &ZOO_OPEN_ACL_UNSAFE,
                               to_flags(mode), string_done, c)
                 : ZCLOSING;
    if (rc != ZOK) string_done(rc, nullptr, c);
}

void zk_session::get(std::string path, watch_callback watch, get_callback cb) {
    auto* c = new op_ctx<get_callback>{ex_, std::move(cb), watches_};
    if (watch) c->watch = new watch_arg{watches_, watches_->add(std::move(watch), ex_)};
    std::lock_guard lk(mu_);
    int rc = zh_ ? zoo_awget(zh_, path.c_str(), c->watch ? watch_trampoline : nullptr, c->watch, data_done, c) : ZCLOSING;
    if (rc != ZOK) data_done(rc, nullptr, 0, nullptr, c);
}

void zk_session::set(std::string path, std::string data, int32_t expected_version, stat_callback cb) {
    auto* c = new op_ctx<stat_callback>{ex_, std::move(cb), watches_};
    std::lock_guard lk(mu_);
    int rc = zh_ ? zoo_aset(zh_, path.c_str(), data.data(), static_cast<int>(data.size()), expected_version, stat_done, c)
                 : ZCLOSING;
    if (rc != ZOK) stat_done(rc, nullptr, c);
}

void zk_session::remove(std::string path, int32_t expected_version, void_callback cb) {
    auto* c = new op_ctx<void_callback>{ex_, std::move(cb), watches_};
    std::lock_guard lk(mu_);
    int rc = zh_ ? zoo_adelete(zh_, path.c_str(), expected_version, void_done, c) : ZCLOSING;
    if (rc != ZOK) void_done(rc, c);
}

void zk_session::exists(std::string path, watch_callback watch, stat_callback cb) {
    auto* c = new op_ctx<stat_callback>{ex_, std::move(cb), watches_};
    if (watch) c->watch = new watch_arg{watches_, watches_->add(std::move(watch), ex_)};
    std::lock_guard lk(mu_);
    int rc = zh_ ? zoo_awexists(zh_, path.c_str(), c->watch ? watch_trampoline : nullptr, c->watch, stat_done, c) : ZCLOSING;
    if (rc != ZOK) {
        c->drop_watch_unless(false);
        stat_done(rc, nullptr, c);
    }
}

void zk_session::get_children(std::string path, watch_callback watch, children_callback cb) {
    auto* c = new op_ctx<children_callback>{ex_, std::move(cb), watches_};
    if (watch) c->watch = new watch_arg{watches_, watches_->add(std::move(watch), ex_)};
    std::lock_guard lk(mu_);
    int rc = zh_ ? zoo_awget_children(zh_, path.c_str(), c->watch ? watch_trampoline : nullptr, c->watch, strings_done, c)
                 : ZCLOSING;
    if (rc != ZOK) strings_done(rc, nullptr, c);
}

void zk_session::multi(std::vector<zk_op> ops, multi_callback cb) {
    auto* c = new multi_ctx{ex_, std::move(cb), std::move(ops), {}, {}, {}, {}};
    size_t n = c->ops.size();
    c->zops.resize(n);
    c->results.resize(n);
    c->path_bufs.resize(n);
    c->stats.resize(n);
    for (size_t i = 0; i < n; ++i) {
        const zk_op& op = c->ops[i];
        switch (op.type) {
            case zk_op::kind::create:
                zoo_create_op_init(&c->zops[i], op.path.c_str(), op.data.data(), static_cast<int>(op.data.size()),
                                   &ZOO_OPEN_ACL_UNSAFE, to_flags(op.mode), c->path_bufs[i].data(),
                                   static_cast<int>(c->path_bufs[i].size()));
                break;
            case zk_op::kind::remove:
                zoo_delete_op_init(&c->zops[i], op.path.c_str(), op.version);
                break;
            case zk_op::kind::set:
                zoo_set_op_init(&c->zops[i], op.path.c_str(), op.data.data(), static_cast<int>(op.data.size()), op.version,
                                &c->stats[i]);
                break;
            case zk_op::kind::check:
                zoo_check_op_init(&c->zops[i], op.path.c_str(), op.version);
                break;
        }
    }
    std::lock_guard lk(mu_);
    int rc = zh_ ? zoo_amulti(zh_, static_cast<int>(n), c->zops.data(), c->results.data(), multi_done, c) : ZCLOSING;
    if (rc != ZOK) {
        for (auto& r : c->results) r.err = rc;
        multi_done(rc, c);
    }
}

result<std::string> zk_session::get_sync(const std::string& path) {
    std::lock_guard lk(mu_);
    if (!zh_) return zk_errc::closing;
    for (;;) {
        Stat st;
        int rc = zoo_exists(zh_, path.c_str(), 0, &st);
        if (rc != ZOK) return to_ec(rc);
        std::string buf(static_cast<size_t>(st.dataLength) + 1, '\0');
        int len = static_cast<int>(buf.size());
        rc = zoo_get(zh_, path.c_str(), 0, buf.data(), &len, &st);
        if (rc != ZOK) return to_ec(rc);
        if (len < static_cast<int>(buf.size())) {  // it fit: not grown in between
            buf.resize(len < 0 ? 0 : static_cast<size_t>(len));
            return buf;
        }
    }
}

std::error_code zk_session::create_sync(const std::string& path, const std::string& data, create_mode mode) {
    std::lock_guard lk(mu_);
    if (!zh_) return zk_errc::closing;
    return to_ec(zoo_create(zh_, path.c_str(), data.data(), static_cast<int>(data.size()), &ZOO_OPEN_ACL_UNSAFE,
                            to_flags(mode), nullptr, 0));
}

std::error_code zk_session::set_sync(const std::string& path, const std::string& data, int32_t expected_version) {
    std::lock_guard lk(mu_);
    if (!zh_) return zk_errc::closing;
    return to_ec(zoo_set(zh_, path.c_str(), data.data(), static_cast<int>(data.size()), expected_version));
}

std::error_code zk_session::remove_sync(const std::string& path, int32_t expected_version) {
    std::lock_guard lk(mu_);
    if (!zh_) return zk_errc::closing;
    return to_ec(zoo_delete(zh_, path.c_str(), expected_version));
}

result<bool> zk_session::exists_sync(const std::string& path) {
    std::lock_guard lk(mu_);
    if (!zh_) return zk_errc::closing;
    Stat st;
    int rc = zoo_exists(zh_, path.c_str(), 0, &st);
    if (rc == ZNONODE) return false;
    if (rc != ZOK) return to_ec(rc);
    return true;
}

result<std::vector<std::string>> zk_session::get_children_sync(const std::string& path) {
    std::lock_guard lk(mu_);
    if (!zh_) return zk_errc::closing;
    String_vector v{};
    int rc = zoo_get_children(zh_, path.c_str(), 0, &v);
    if (rc != ZOK) return to_ec(rc);
    std::vector<std::string> out;
    for (int32_t i = 0; i < v.count; ++i) out.emplace_back(v.data[i]);
    deallocate_String_vector(&v);
    return out;
}

}  // namespace coordination
