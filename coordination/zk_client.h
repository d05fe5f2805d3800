#pragma once
// The asynchronous ZooKeeper interface every coordination component is written against. Two
// implementations: zk_session (real, over zookeeper_mt) and fake_zk (in memory, unit tests).

#include "coordination/errc.h"

#include <boost/asio/any_io_executor.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace coordination {

enum class create_mode { persistent, ephemeral, persistent_sequential, ephemeral_sequential };

/// The parts of ZooKeeper's Stat that Brook uses.
struct zk_stat {
    int64_t czxid = 0;
    int64_t mzxid = 0;
    int64_t ctime = 0;
    int64_t mtime = 0;
    int32_t version = 0;           // data version: the expected_version of conditional writes
    int32_t cversion = 0;          // children version
    int64_t ephemeral_owner = 0;   // session id of the owner, 0 for persistent nodes
    int32_t data_length = 0;
    int32_t num_children = 0;
};

enum class watch_event_type { created, deleted, changed, child };

struct watch_event {
    watch_event_type type;
    std::string path;  // relative to the chroot
};

/// One-shot: fires at most once, on the client's executor. An empty function means "no watch".
/// A watch whose session expires never fires; the session listener reports the expiry instead.
using watch_callback = std::function<void(const watch_event&)>;

enum class session_state {
    connected,     // a session is established (new, or the same one after a connection loss)
    disconnected,  // connection lost; the session may still be alive, requests fail meanwhile
    expired,       // the session is gone with its ephemerals and watches; call reconnect()
};

struct session_event {
    session_state state;
    int64_t session_id;
};
using session_listener = std::function<void(const session_event&)>;

/// One operation of an atomic multi(): all succeed or none is applied.
struct zk_op {
    enum class kind { create, remove, set, check };
    kind type;
    std::string path;
    std::string data;
    create_mode mode = create_mode::persistent;
    int32_t version = -1;  // remove / set / check: expected version, -1 = any

    static zk_op create(std::string path, std::string data, create_mode m = create_mode::persistent) {
        return {kind::create, std::move(path), std::move(data), m, -1};
    }
    static zk_op remove(std::string path, int32_t version = -1) {
        return {kind::remove, std::move(path), {}, create_mode::persistent, version};
    }
    static zk_op set(std::string path, std::string data, int32_t version = -1) {
        return {kind::set, std::move(path), std::move(data), create_mode::persistent, version};
    }
    static zk_op check(std::string path, int32_t version) {
        return {kind::check, std::move(path), {}, create_mode::persistent, version};
    }
};

struct zk_op_result {
    std::error_code ec;
    std::string path;  // create: the created path (with the sequence suffix)
    zk_stat stat;      // set: the new stat
};

/// Abstract ZooKeeper client (one session). Requests may be issued from any thread; requests from
/// one client are applied by the server in the order they were issued, so a create of a parent
/// followed by a create of its child may be in flight together.
///
/// THREADING CONTRACT: every completion, watch and session event is delivered through
/// boost::asio::post onto executor() (the broker passes a strand). No user code ever runs on the
/// ZooKeeper client's own threads.
class zk_client {
  public:
    using create_callback = std::function<void(std::error_code, std::string created_path)>;
    using get_callback = std::function<void(std::error_code, std::string data, zk_stat)>;
    using stat_callback = std::function<void(std::error_code, zk_stat)>;
    using void_callback = std::function<void(std::error_code)>;
    using children_callback = std::function<void(std::error_code, std::vector<std::string>)>;
    using multi_callback = std::function<void(std::error_code, std::vector<zk_op_result>)>;

    virtual ~zk_client() = default;

    virtual void create(std::string path, std::string data, create_mode mode, create_callback cb) = 0;
    /// The watch is set only if the node exists (ZooKeeper semantics).
    virtual void get(std::string path, watch_callback watch, get_callback cb) = 0;
    virtual void set(std::string path, std::string data, int32_t expected_version, stat_callback cb) = 0;
    virtual void remove(std::string path, int32_t expected_version, void_callback cb) = 0;
    /// ZNONODE (zk_errc::no_node) if missing; the watch is set either way and fires on creation.
    virtual void exists(std::string path, watch_callback watch, stat_callback cb) = 0;
    /// Child names (not full paths), unsorted. The watch is set only if the node exists.
    virtual void get_children(std::string path, watch_callback watch, children_callback cb) = 0;
    /// Atomic, version-checked batch. The first failing op's error is the overall error.
    virtual void multi(std::vector<zk_op> ops, multi_callback cb) = 0;

    /// Returns an id for remove_session_listener. Listeners run on executor().
    virtual int add_session_listener(session_listener listener) = 0;
    virtual void remove_session_listener(int id) = 0;
    /// Current session id (0 when none). Ephemeral nodes carry it as stat.ephemeral_owner.
    virtual int64_t session_id() const = 0;

    virtual boost::asio::any_io_executor executor() const = 0;
};

}  // namespace coordination
