#include "coordination/cluster_id.h"

#include "coordination/znodes.h"
#include "coordination/zk_util.h"

namespace coordination {

void get_or_create_cluster_id(zk_client& zk, std::function<void(result<std::string>)> cb) {
    zk.get(std::string(znodes::cluster_id_path), {},
           [&zk, cb = std::move(cb)](std::error_code ec, std::string data, zk_stat) mutable {
               if (!ec) {
                   cb(znodes::decode_cluster_id(data));
                   return;
               }
               if (ec != zk_errc::no_node) {
                   cb(ec);
                   return;
               }
               std::string id = znodes::generate_cluster_id();
               ensure_paths(zk, {std::string(znodes::cluster_path)}, [&zk, id, cb = std::move(cb)](std::error_code ec) mutable {
                   if (ec) {
                       cb(ec);
                       return;
                   }
                   zk.create(std::string(znodes::cluster_id_path), znodes::encode_cluster_id(id), create_mode::persistent,
                             [&zk, id, cb = std::move(cb)](std::error_code ec, std::string) mutable {
                                 if (!ec) {
                                     cb(id);
                                 } else if (ec == zk_errc::node_exists) {
                                     get_or_create_cluster_id(zk, std::move(cb));  // lost the race: read theirs
                                 } else {
                                     cb(ec);
                                 }
                             });
               });
           });
}

}  // namespace coordination
