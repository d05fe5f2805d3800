// Acceptance item 3 of issue 2: kafka-python and confluent-kafka (Debian's /usr/bin/python3;
// the pyenv python3 first on PATH does not see those packages) round trip through brook.
#include "tests/integration/cluster_fixture.h"

#ifndef BROOK_PYTHON_DIR
#error "BROOK_PYTHON_DIR must point at tests/integration/python"
#endif

namespace integration {
namespace {

using python_clients_test = cluster_test;

std::string script(const std::string& name) { return std::string(BROOK_PYTHON_DIR) + "/" + name; }

TEST_F(python_clients_test, kafka_python_acks_1_and_all) {
    start_broker();
    ASSERT_NO_FATAL_FAILURE(create_topic("py-acks1", 3));
    ASSERT_NO_FATAL_FAILURE(create_topic("py-acksall", 1));
    auto r1 = test_support::run_command({"/usr/bin/python3", script("kafka_python_roundtrip.py"),
                                         broker().bootstrap(), "py-acks1", "1", "2000"},
                                        std::chrono::seconds(180));
    EXPECT_EQ(r1.exit_code(), 0) << r1.describe();
    auto r2 = test_support::run_command({"/usr/bin/python3", script("kafka_python_roundtrip.py"),
                                         broker().bootstrap(), "py-acksall", "all", "2000"},
                                        std::chrono::seconds(180));
    EXPECT_EQ(r2.exit_code(), 0) << r2.describe();
}

TEST_F(python_clients_test, confluent_kafka_round_trip) {
    start_broker();
    ASSERT_NO_FATAL_FAILURE(create_topic("py-confluent", 2));
    auto r = test_support::run_command({"/usr/bin/python3", script("confluent_roundtrip.py"),
                                        broker().bootstrap(), "py-confluent", "1000"},
                                       std::chrono::seconds(120));
    EXPECT_EQ(r.exit_code(), 0) << r.describe();
}

}  // namespace
}  // namespace integration
