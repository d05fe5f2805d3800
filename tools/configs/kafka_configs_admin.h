#pragma once

#include "tools/common/broker_pool.h"
#include "tools/configs/configs_admin.h"

#include <chrono>

namespace tools {

/// configs_admin over the Kafka protocol, as Kafka's admin client routes it: topic resources and
/// the brokers' default to any broker, a broker resource to that broker. Alters use
/// IncrementalAlterConfigs; against a broker without it, the overrides are read
/// (DescribeConfigs) and written back whole with AlterConfigs. Blocking; one thread.
class kafka_configs_admin : public configs_admin {
public:
    kafka_configs_admin(std::vector<endpoint> bootstrap, std::chrono::milliseconds timeout);

    cli_result<resource_configs> describe(int8_t type, const std::string& name) override;
    cli_result<alter_outcome> alter(int8_t type, const std::string& name,
                                    const std::vector<config_change>& changes) override;
    cli_result<std::vector<std::string>> topics() override;
    cli_result<std::vector<int32_t>> brokers() override;

private:
    cli_result<protocol::client::connection*> route(int8_t type, const std::string& name);
    broker_pool pool_;
};

}  // namespace tools
