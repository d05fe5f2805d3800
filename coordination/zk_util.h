#pragma once
// Small asynchronous recipes over zk_client shared by the coordination components. Callbacks run
// on the client's executor like every other completion.

#include "coordination/zk_client.h"
#include "coordination/znodes.h"

#include <map>

namespace coordination {

/// Creates `path` and every missing ancestor as persistent nodes; the last one gets `data`.
/// Existing nodes are fine (no error). All creates are in flight together: one session applies
/// them in order, so parents exist before their children.
void create_recursive(zk_client& zk, const std::string& path, std::string data, zk_client::void_callback cb);

/// Creates every path in `paths` (and their ancestors); ZNODEEXISTS is fine.
void ensure_paths(zk_client& zk, const std::vector<std::string>& paths, zk_client::void_callback cb);

/// Deletes `path` and its whole subtree, children first. A node that is already gone is fine.
void delete_recursive(zk_client& zk, const std::string& path, zk_client::void_callback cb);

/// A registered broker and the creation zxid of its ephemeral znode: a different czxid under the
/// same id means the broker restarted (a new session) between two reads.
struct registered_broker {
    broker_info info;
    int64_t czxid = 0;
};

/// Reads /brokers/ids (setting `children_watch`, may be empty) and then every broker znode, all
/// gets in flight together. A broker whose znode vanished in between or does not decode is left
/// out (with a warning for the latter). Errors: the children read's (no_node gives an empty map).
void read_brokers(zk_client& zk, watch_callback children_watch,
                  std::function<void(std::error_code, std::map<int32_t, registered_broker>)> cb);

/// "/a/b/c" -> {"/a", "/a/b", "/a/b/c"}.
std::vector<std::string> path_prefixes(const std::string& path);

}  // namespace coordination
