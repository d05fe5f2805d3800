#include "storage/errc.h"

#include <string>

namespace storage {

namespace {

struct category final : std::error_category {
    const char* name() const noexcept override { return "storage"; }
    std::string message(int ev) const override {
        switch (static_cast<errc>(ev)) {
            case errc::offset_out_of_range: return "offset out of range";
            case errc::corrupt_batch: return "corrupt record batch";
            case errc::message_too_large: return "record batch larger than max_batch_bytes";
            case errc::io_error: return "storage i/o error";
            case errc::invalid_argument: return "invalid argument";
            case errc::log_closed: return "log is closed";
            case errc::already_exists: return "partition log already exists";
            case errc::inconsistent_broker_id: return "meta.properties has another broker.id";
            case errc::inconsistent_cluster_id: return "meta.properties has another cluster.id";
            case errc::corrupt_checkpoint:
                return "malformed checkpoint file (storage error: the log dir needs repair)";
            case errc::offset_mismatch:
                return "replicated batches do not continue the log end offset";
            case errc::invalid_producer_epoch:
                return "producer epoch is older than the partition's current one for this id";
            case errc::out_of_order_sequence:
                return "batch sequence does not continue the producer's last sequence";
        }
        return "unknown storage error";
    }
};

}  // namespace

const std::error_category& error_category() noexcept {
    static const category c;
    return c;
}

}  // namespace storage
