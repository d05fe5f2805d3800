#pragma once
// The cluster id stored in /cluster/id, created once by whichever broker starts first.

#include "coordination/zk_client.h"

namespace coordination {

/// Reads /cluster/id; if missing, creates it (and /cluster) with a new random id. When another
/// broker wins the creation race (ZNODEEXISTS), reads theirs. cb runs on zk's executor; zk must
/// outlive the call.
void get_or_create_cluster_id(zk_client& zk, std::function<void(result<std::string>)> cb);

}  // namespace coordination
