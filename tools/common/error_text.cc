#include "tools/common/error_text.h"

#include "protocol/errors.h"

namespace tools {

std::string_view kafka_error_message(int16_t code) {
    switch (code) {
        case -1: return "The server experienced an unexpected error when processing the request.";
        case 1: return "The requested offset is not within the range of offsets maintained by the server.";
        case 2: return "This message has failed its CRC checksum, exceeds the valid size, has a null key for a compacted topic, or is otherwise corrupt.";
        case 3: return "This server does not host this topic-partition.";
        case 5: return "There is no leader for this topic-partition as we are in the middle of a leadership election.";
        case 6: return "For requests intended only for the leader, this error indicates that the broker is not the current leader. For requests intended for any replica, this error indicates that the broker is not a replica of the topic partition.";
        case 7: return "The request timed out.";
        case 8: return "The broker is not available.";
        case 10: return "The request included a message larger than the max message size the server will accept.";
        case 14: return "The coordinator is loading and hence can't process requests.";
        case 15: return "The coordinator is not available.";
        case 16: return "This is not the correct coordinator.";
        case 17: return "The request attempted to perform an operation on an invalid topic.";
        case 18: return "The request included message batch larger than the configured segment size on the server.";
        case 19: return "Messages are rejected since there are fewer in-sync replicas than required.";
        case 20: return "Messages are written to the log, but to fewer in-sync replicas than required.";
        case 21: return "Produce request specified an invalid value for required acks.";
        case 22: return "Specified group generation id is not valid.";
        case 23: return "The group member's supported protocols are incompatible with those of existing members or first group member tried to join with empty protocol type or empty protocol list.";
        case 24: return "The configured groupId is invalid.";
        case 25: return "The coordinator is not aware of this member.";
        case 26: return "The session timeout is not within the range allowed by the broker (as configured by group.min.session.timeout.ms and group.max.session.timeout.ms).";
        case 27: return "The group is rebalancing, so a rejoin is needed.";
        case 28: return "The committing offset data size is not valid.";
        case 29: return "Topic authorization failed.";
        case 30: return "Group authorization failed.";
        case 35: return "The version of API is not supported.";
        case 42: return "This most likely occurs because of a request being malformed by the client library or the message was sent to an incompatible broker. See the broker logs for more details.";
        case 68: return "The group is not empty.";
        case 69: return "The group id does not exist.";
        case 79: return "The group member needs to have a valid member id before actually entering a consumer group.";
        case 44: return "Request parameters do not satisfy the configured policy.";
        case 86: return "Broker rejected the record batch as invalid.";
        default: return {};
    }
}

std::string kafka_error_text(int16_t code) {
    std::string name(protocol::error_name(protocol::from_wire(code)));
    auto message = kafka_error_message(code);
    if (message.empty()) return "error code " + std::to_string(code) + " (" + name + ")";
    return std::string(message) + " (" + name + ")";
}

std::string_view kafka_exception_class(int16_t code) {
    switch (code) {
        case -1: return "org.apache.kafka.common.errors.UnknownServerException";
        case 1: return "org.apache.kafka.common.errors.OffsetOutOfRangeException";
        case 3: return "org.apache.kafka.common.errors.UnknownTopicOrPartitionException";
        case 5: return "org.apache.kafka.common.errors.LeaderNotAvailableException";
        case 6: return "org.apache.kafka.common.errors.NotLeaderOrFollowerException";
        case 7: return "org.apache.kafka.common.errors.TimeoutException";
        case 15: return "org.apache.kafka.common.errors.CoordinatorNotAvailableException";
        case 16: return "org.apache.kafka.common.errors.NotCoordinatorException";
        case 24: return "org.apache.kafka.common.errors.InvalidGroupIdException";
        case 30: return "org.apache.kafka.common.errors.GroupAuthorizationException";
        case 40: return "org.apache.kafka.common.errors.InvalidConfigurationException";
        case 44: return "org.apache.kafka.common.errors.PolicyViolationException";
        case 42: return "org.apache.kafka.common.errors.InvalidRequestException";
        case 68: return "org.apache.kafka.common.errors.GroupNotEmptyException";
        case 69: return "org.apache.kafka.common.errors.GroupIdNotFoundException";
        default: return {};
    }
}

}  // namespace tools
