#include "broker/error_mapping.h"

#include "coordination/errc.h"
#include "storage/errc.h"

namespace broker {

protocol::error_code to_kafka_error(const std::error_code& ec) {
    using protocol::error_code;
    if (!ec) {
        return error_code::none;
    }
    if (ec.category() == storage::error_category()) {
        switch (static_cast<storage::errc>(ec.value())) {
            case storage::errc::offset_out_of_range: return error_code::offset_out_of_range;
            case storage::errc::corrupt_batch: return error_code::corrupt_message;
            case storage::errc::message_too_large: return error_code::message_too_large;
            case storage::errc::io_error: return error_code::kafka_storage_error;
            case storage::errc::invalid_argument: return error_code::invalid_request;
            case storage::errc::log_closed: return error_code::unknown_topic_or_partition;
            case storage::errc::corrupt_checkpoint: return error_code::kafka_storage_error;
            // A follower's fetched batches do not continue its log: its fetcher re-syncs by epoch.
            case storage::errc::offset_mismatch: return error_code::offset_out_of_range;
            case storage::errc::invalid_producer_epoch: return error_code::invalid_producer_epoch;
            case storage::errc::out_of_order_sequence:
                return error_code::out_of_order_sequence_number;
            default: return error_code::unknown_server_error;
        }
    }
    if (ec.category() == coordination::error_category()) {
        switch (static_cast<coordination::errc>(ec.value())) {
            case coordination::errc::topic_already_exists: return error_code::topic_already_exists;
            case coordination::errc::unknown_topic: return error_code::unknown_topic_or_partition;
            case coordination::errc::topic_marked_for_deletion: return error_code::topic_already_exists;
            case coordination::errc::invalid_partitions: return error_code::invalid_partitions;
            case coordination::errc::invalid_replication_factor: return error_code::invalid_replication_factor;
            case coordination::errc::not_controller: return error_code::not_controller;
            case coordination::errc::malformed_znode: return error_code::unknown_server_error;
            case coordination::errc::partition_count_not_increased: return error_code::invalid_partitions;
            case coordination::errc::invalid_replica_assignment: return error_code::invalid_replica_assignment;
            case coordination::errc::missing_rack_information: return error_code::invalid_replica_assignment;
            case coordination::errc::broker_not_available: return error_code::broker_not_available;
            case coordination::errc::unknown_topic_or_partition: return error_code::unknown_topic_or_partition;
            case coordination::errc::stopped: return error_code::not_controller;
            default: return error_code::unknown_server_error;
        }
    }
    if (ec.category() == coordination::zk_category()) {
        // ZooKeeper unreachable: the request may be retried once the session is back.
        return coordination::is_session_error(ec) ? error_code::request_timed_out : error_code::unknown_server_error;
    }
    return error_code::unknown_server_error;
}

}  // namespace broker
