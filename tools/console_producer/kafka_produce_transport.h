#pragma once

#include "tools/common/broker_pool.h"
#include "tools/console_producer/produce_transport.h"

namespace tools {

/// produce_transport over the Kafka protocol: Metadata (v1+, auto-creation allowed, like the Java
/// producer) from the bootstrap connection, Produce (highest common version, 3..7) to each
/// partition's leader, Produce without answer for acks = 0. Blocking; one thread.
class kafka_produce_transport : public produce_transport {
public:
    explicit kafka_produce_transport(std::vector<endpoint> bootstrap);

    cli_result<topic_layout> topic_metadata(const std::string& topic) override;
    cli_result<std::vector<partition_ack>> produce(int32_t leader, const std::string& topic,
                                                   const std::vector<partition_batch>& batches,
                                                   int16_t acks, int32_t timeout_ms) override;
    void reset(int32_t leader) override { pool_.forget(leader); }
    void sleep(std::chrono::milliseconds d) override;

private:
    broker_pool pool_;
};

}  // namespace tools
