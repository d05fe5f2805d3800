#pragma once
// Small asynchronous recipes over zk_client shared by the coordination components. Callbacks run
// on the client's executor like every other completion.

#include "coordination/zk_client.h"

namespace coordination {

/// Creates `path` and every missing ancestor as persistent nodes; the last one gets `data`.
/// Existing nodes are fine (no error). All creates are in flight together: one session applies
/// them in order, so parents exist before their children.
void create_recursive(zk_client& zk, const std::string& path, std::string data, zk_client::void_callback cb);

/// Creates every path in `paths` (and their ancestors); ZNODEEXISTS is fine.
void ensure_paths(zk_client& zk, const std::vector<std::string>& paths, zk_client::void_callback cb);

/// Deletes `path` and its whole subtree, children first. A node that is already gone is fine.
void delete_recursive(zk_client& zk, const std::string& path, zk_client::void_callback cb);

/// "/a/b/c" -> {"/a", "/a/b", "/a/b/c"}.
std::vector<std::string> path_prefixes(const std::string& path);

}  // namespace coordination
