#pragma once
// The real zk_client over the ZooKeeper C library (zookeeper_mt). The library runs its own IO and
// completion threads; every completion, watch and session event is copied there and posted to the
// executor given at construction, so no user code ever runs on them.
// Owned by the broker's composition root (unique_ptr). zk_client methods, close() and reconnect()
// may be called from any thread; the *_sync helpers block, so keep them to startup code.
// Destroy it after the executor has stopped running handlers that use it.

#include "coordination/zk_client.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>

typedef struct _zhandle zhandle_t;

namespace coordination {

namespace detail {
struct handle_ctx;
struct watch_registry;
struct listener_set;
}  // namespace detail

class zk_session final : public zk_client {
  public:
    /// Connects and BLOCKS until the session is established or connect_timeout passes
    /// (errc::connect_timeout). connect_string is "host:port,host:port[/chroot]". With a chroot,
    /// a first chroot-less session creates the chroot path (persistent, empty, recursively) if it
    /// is missing and is closed at once; the real session is then opened inside the chroot, so
    /// nothing else ever touches znodes outside it.
    static result<std::unique_ptr<zk_session>> connect(std::string connect_string, int session_timeout_ms,
                                                       boost::asio::any_io_executor ex,
                                                       std::chrono::milliseconds connect_timeout);
    ~zk_session() override;
    zk_session(const zk_session&) = delete;
    zk_session& operator=(const zk_session&) = delete;

    void create(std::string path, std::string data, create_mode mode, create_callback cb) override;
    void get(std::string path, watch_callback watch, get_callback cb) override;
    void set(std::string path, std::string data, int32_t expected_version, stat_callback cb) override;
    void remove(std::string path, int32_t expected_version, void_callback cb) override;
    void exists(std::string path, watch_callback watch, stat_callback cb) override;
    void get_children(std::string path, watch_callback watch, children_callback cb) override;
    void multi(std::vector<zk_op> ops, multi_callback cb) override;
    int add_session_listener(session_listener listener) override;
    void remove_session_listener(int id) override;
    int64_t session_id() const override;
    boost::asio::any_io_executor executor() const override { return ex_; }

    /// Ends the session (the server deletes its ephemerals at once). Pending requests complete
    /// with zk_errc::closing. Idempotent.
    void close();
    /// After expiry (or close): opens a new session, BLOCKING until connected. Listeners hear
    /// `connected` with the new session id; components re-register from there.
    std::error_code reconnect(std::chrono::milliseconds timeout);

    /// Negotiated session timeout (ms) of the current session.
    int session_timeout_ms() const;
    const std::string& chroot() const { return chroot_; }

    // Blocking helpers for startup code (C library sync calls; never from a completion).
    result<std::string> get_sync(const std::string& path);
    std::error_code create_sync(const std::string& path, const std::string& data, create_mode mode);
    std::error_code set_sync(const std::string& path, const std::string& data, int32_t expected_version = -1);
    std::error_code remove_sync(const std::string& path, int32_t expected_version = -1);
    result<bool> exists_sync(const std::string& path);
    result<std::vector<std::string>> get_children_sync(const std::string& path);

  private:
    zk_session(std::string connect_string, std::string chroot, int timeout_ms, boost::asio::any_io_executor ex);
    std::error_code open(std::chrono::milliseconds timeout);  // new handle with the full string
    zhandle_t* handle_locked() const { return zh_; }

    const std::string connect_string_;
    const std::string chroot_;
    const int timeout_ms_;
    boost::asio::any_io_executor ex_;
    std::shared_ptr<detail::listener_set> listeners_;
    std::shared_ptr<detail::watch_registry> watches_;
    mutable std::mutex mu_;  // guards zh_ and ctx_ (swapped by close/reconnect)
    zhandle_t* zh_ = nullptr;
    detail::handle_ctx* ctx_ = nullptr;
};

}  // namespace coordination
