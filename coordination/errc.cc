#include "coordination/errc.h"

namespace coordination {
namespace {

class zk_category_impl final : public std::error_category {
  public:
    const char* name() const noexcept override { return "zookeeper"; }
    std::string message(int v) const override {
        switch (static_cast<zk_errc>(v)) {
            case zk_errc::ok: return "ok";
            case zk_errc::system_error: return "system error";
            case zk_errc::runtime_inconsistency: return "runtime inconsistency";
            case zk_errc::data_inconsistency: return "data inconsistency";
            case zk_errc::connection_loss: return "connection loss";
            case zk_errc::marshalling_error: return "marshalling error";
            case zk_errc::unimplemented: return "unimplemented";
            case zk_errc::operation_timeout: return "operation timeout";
            case zk_errc::bad_arguments: return "bad arguments";
            case zk_errc::invalid_state: return "invalid handle state";
            case zk_errc::api_error: return "api error";
            case zk_errc::no_node: return "node does not exist";
            case zk_errc::no_auth: return "not authenticated";
            case zk_errc::bad_version: return "version conflict";
            case zk_errc::no_children_for_ephemerals: return "ephemeral nodes may not have children";
            case zk_errc::node_exists: return "node already exists";
            case zk_errc::not_empty: return "node has children";
            case zk_errc::session_expired: return "session expired";
            case zk_errc::invalid_callback: return "invalid callback";
            case zk_errc::invalid_acl: return "invalid acl";
            case zk_errc::auth_failed: return "authentication failed";
            case zk_errc::closing: return "zookeeper is closing";
            case zk_errc::nothing: return "no server responses to process";
            case zk_errc::session_moved: return "session moved";
            case zk_errc::not_read_only: return "not read-only";
            case zk_errc::ephemeral_on_local_session: return "ephemeral on local session";
            case zk_errc::no_watcher: return "no watcher";
            case zk_errc::throttled_op: return "operation throttled";
        }
        return "zookeeper error " + std::to_string(v);
    }
};

class errc_category_impl final : public std::error_category {
  public:
    const char* name() const noexcept override { return "coordination"; }
    std::string message(int v) const override {
        switch (static_cast<errc>(v)) {
            case errc::broker_already_registered: return "broker id already registered";
            case errc::topic_already_exists: return "topic already exists";
            case errc::unknown_topic: return "unknown topic";
            case errc::topic_marked_for_deletion: return "topic is marked for deletion";
            case errc::malformed_znode: return "malformed znode data";
            case errc::invalid_partitions: return "number of partitions must be at least 1";
            case errc::invalid_replication_factor: return "invalid replication factor";
            case errc::connect_timeout: return "timed out connecting to zookeeper";
            case errc::not_controller: return "not the controller";
            case errc::stopped: return "stopped";
            case errc::partition_count_not_increased:
                return "the number of partitions for a topic can only be increased";
            case errc::missing_rack_information:
                return "not all brokers have rack information for replica rack aware assignment";
            case errc::invalid_replica_assignment: return "invalid replica assignment";
            case errc::broker_not_available: return "broker is not available";
            case errc::election_not_needed: return "leader election not needed: the preferred replica already leads";
            case errc::preferred_leader_not_available:
                return "the preferred leader is not available (not alive or not in the ISR)";
            case errc::unknown_topic_or_partition: return "unknown topic or partition";
        }
        return "coordination error " + std::to_string(v);
    }
};

}  // namespace

const std::error_category& zk_category() noexcept {
    static const zk_category_impl c;
    return c;
}

const std::error_category& error_category() noexcept {
    static const errc_category_impl c;
    return c;
}

bool is_session_error(std::error_code ec) noexcept {
    if (ec.category() != zk_category()) return false;
    switch (static_cast<zk_errc>(ec.value())) {
        case zk_errc::connection_loss:
        case zk_errc::operation_timeout:
        case zk_errc::invalid_state:
        case zk_errc::session_expired:
        case zk_errc::session_moved:
        case zk_errc::closing:
        case zk_errc::auth_failed:
            return true;
        default:
            return false;
    }
}

}  // namespace coordination
