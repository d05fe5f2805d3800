#pragma once

#include <system_error>
#include <type_traits>

namespace storage {

/// Storage failures the broker maps to Kafka error codes (broker/error_mapping.h).
/// Values start at 1: 0 is success.
enum class errc {
    offset_out_of_range = 1,  // OFFSET_OUT_OF_RANGE (1)
    corrupt_batch,            // CORRUPT_MESSAGE (2): CRC, sizes, counts, magic
    message_too_large,        // MESSAGE_TOO_LARGE (10): batch > max_batch_bytes
    io_error,                 // KAFKA_STORAGE_ERROR (56): open/read/write/fsync failed
    invalid_argument,         // bad topic name / partition / empty append
    log_closed,               // the log was closed or removed
    already_exists,           // same topic-partition found in two log dirs
    inconsistent_broker_id,   // meta.properties says another broker.id
    inconsistent_cluster_id,  // meta.properties says another cluster.id
    corrupt_checkpoint,       // KAFKA_STORAGE_ERROR (56): malformed leader-epoch or offset
                              // checkpoint file (Kafka takes the log dir offline for this)
    offset_mismatch,          // follower append does not start at log_end_offset() or its
                              // offsets are not contiguous: the follower must re-sync (truncate)
    invalid_producer_epoch,   // INVALID_PRODUCER_EPOCH (47): an idempotent producer's batch
                              // carries an epoch older than the partition has seen for its id
    out_of_order_sequence,    // OUT_OF_ORDER_SEQUENCE_NUMBER (45): the batch's base sequence does
                              // not continue the producer's last one (or is not 0 in a new epoch)
};

const std::error_category& error_category() noexcept;
inline std::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), error_category()};
}

}  // namespace storage

template <>
struct std::is_error_code_enum<storage::errc> : std::true_type {};
