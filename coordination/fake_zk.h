#pragma once
// In-memory ZooKeeper for unit tests (the ClickHouse TestKeeper idea): one fake_zk_server holds the
// tree, any number of fake_zk clients are sessions on it (two brokers racing for /controller are two
// fake_zk on one server). Semantics follow ZooKeeper: versions, ephemerals owned by a session,
// sequential names from the parent's cversion, one-shot watches, atomic multi.

#include "coordination/zk_client.h"

#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

namespace coordination {

/// The shared tree. Thread-safe (one mutex); clients call it, tests may inspect it directly.
class fake_zk_server : public std::enable_shared_from_this<fake_zk_server> {
  public:
    struct node {
        std::string data;
        zk_stat stat;
    };

    static std::shared_ptr<fake_zk_server> make() { return std::make_shared<fake_zk_server>(); }
    fake_zk_server();

    /// Test inspection helpers (synchronous, no watches).
    bool node_exists(const std::string& path) const;
    std::optional<std::string> node_data(const std::string& path) const;
    std::optional<zk_stat> node_stat(const std::string& path) const;
    std::vector<std::string> all_paths() const;
    /// Number of watches registered (data + child), for leak checks in tests.
    size_t watch_count() const;

  private:
    friend class fake_zk;
    enum class watch_kind { data, child };
    struct watch {
        int64_t session;
        watch_kind kind;
        watch_callback cb;
        boost::asio::any_io_executor ex;
    };
    struct state {
        std::map<std::string, node> tree;
        int64_t zxid = 0;
    };
    struct fired {
        watch_event_type type;
        std::string path;
    };

    int64_t open_session();
    void close_session(int64_t session);  // deletes its ephemerals and forgets its watches
    bool session_alive(int64_t session) const;

    std::error_code apply(state& s, int64_t session, const zk_op& op, zk_op_result& out,
                          std::vector<fired>& events);
    void fire(std::vector<fired> events);  // caller holds mu_; posts outside the tree update
    std::vector<std::string> children_locked(const state& s, const std::string& path) const;

    mutable std::mutex mu_;
    state state_;
    std::multimap<std::string, watch> watches_;  // by path
    std::map<int64_t, bool> sessions_;           // id -> alive
    int64_t next_session_ = 0x1000;
};

/// One fake session. Requests are applied to the server at once; completions are posted to the
/// executor like the real client's. Usable from any thread; callbacks run on the executor.
class fake_zk final : public zk_client {
  public:
    fake_zk(std::shared_ptr<fake_zk_server> server, boost::asio::any_io_executor ex);
    ~fake_zk() override;
    fake_zk(const fake_zk&) = delete;
    fake_zk& operator=(const fake_zk&) = delete;

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

    /// The server expires this session: ephemerals go, watches are dropped, listeners hear
    /// `expired`, requests fail with session_expired until reconnect().
    void expire();
    /// Opens a new session (new id); listeners hear `connected`.
    void reconnect();
    /// Like zookeeper_close: ends the session (its ephemerals go at once).
    void close();
    /// The next request fails with `e` without touching the tree (fault injection).
    void fail_next(zk_errc e);

    fake_zk_server& server() { return *server_; }

  private:
    std::error_code precheck();  // injected failure or dead session
    void notify(session_state st);

    std::shared_ptr<fake_zk_server> server_;
    boost::asio::any_io_executor ex_;
    mutable std::mutex mu_;
    int64_t session_ = 0;
    bool expired_ = false;
    bool closed_ = false;
    std::deque<zk_errc> injected_;
    std::map<int, session_listener> listeners_;
    int next_listener_ = 1;
};

}  // namespace coordination
