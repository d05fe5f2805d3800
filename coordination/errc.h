#pragma once
// Error values of the coordination library: ZooKeeper return codes (zk_errc) and the library's own
// outcomes (errc). Expected failures are values; nothing here throws across the library API.

#include <boost/outcome.hpp>

#include <cstdlib>
#include <string>
#include <system_error>

#include <spdlog/spdlog.h>

namespace coordination {

template <class T>
using result = boost::outcome_v2::std_result<T>;

/// ZooKeeper's ZOO_ERRORS, same numeric values as <zookeeper/zookeeper.h> so a C return code converts
/// with a cast. ZNODEEXISTS, ZNONODE and ZBADVERSION are normal answers, not failures.
enum class zk_errc : int {
    ok = 0,
    system_error = -1,
    runtime_inconsistency = -2,
    data_inconsistency = -3,
    connection_loss = -4,
    marshalling_error = -5,
    unimplemented = -6,
    operation_timeout = -7,
    bad_arguments = -8,
    invalid_state = -9,
    api_error = -100,
    no_node = -101,
    no_auth = -102,
    bad_version = -103,
    no_children_for_ephemerals = -108,
    node_exists = -110,
    not_empty = -111,
    session_expired = -112,
    invalid_callback = -113,
    invalid_acl = -114,
    auth_failed = -115,
    closing = -116,
    nothing = -117,
    session_moved = -118,
    not_read_only = -119,
    ephemeral_on_local_session = -120,
    no_watcher = -121,
    throttled_op = -127,
};

const std::error_category& zk_category() noexcept;
inline std::error_code make_error_code(zk_errc e) noexcept {
    return {static_cast<int>(e), zk_category()};
}

/// Connection loss, expiry, closing, a dead handle: the session (not the request) is the problem.
/// The broker reacts by waiting for reconnection or, after expiry, opening a new session and
/// re-registering its ephemerals.
bool is_session_error(std::error_code ec) noexcept;

/// Outcomes of the coordination library's own operations.
enum class errc : int {
    broker_already_registered = 1,  // /brokers/ids/<id> is held by another live session
    topic_already_exists,
    unknown_topic,
    topic_marked_for_deletion,
    malformed_znode,               // a znode's JSON did not decode
    invalid_partitions,            // partition count < 1
    invalid_replication_factor,    // < 1 or more than the live brokers
    connect_timeout,               // no session established in time
    not_controller,                // lost the election or the epoch moved on (fenced)
    stopped,                       // the component was stopped before the operation finished
    partition_count_not_increased, // add_partitions with a count <= the current one (Kafka: INVALID_PARTITIONS)
    missing_rack_information,      // some brokers have broker.rack and some not (rack-aware placement)
    invalid_replica_assignment,    // a manual assignment names unknown brokers, duplicates or mixed sizes
    broker_not_available,          // controlled shutdown of a broker that is not registered
    election_not_needed,           // preferred election: the preferred replica already leads
    preferred_leader_not_available,// preferred election: preferred replica dead or out of the ISR
    unknown_topic_or_partition,    // preferred election / lookups: no such partition
};

const std::error_category& error_category() noexcept;
inline std::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), error_category()};
}

}  // namespace coordination

namespace std {
template <>
struct is_error_code_enum<coordination::zk_errc> : true_type {};
template <>
struct is_error_code_enum<coordination::errc> : true_type {};
}  // namespace std

/// Always-on invariant check (also in Release): logs where and why, then aborts.
#define COORDINATION_ASSERT(cond, ...)                                                        \
    do {                                                                                      \
        if (!(cond)) [[unlikely]] {                                                           \
            spdlog::critical("assertion failed at {}:{}: {}: {}", __FILE__, __LINE__, #cond,  \
                             fmt::format(__VA_ARGS__));                                       \
            spdlog::shutdown();                                                               \
            std::abort();                                                                     \
        }                                                                                     \
    } while (0)
