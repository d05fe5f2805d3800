#!/usr/bin/python3
"""Topic configs through the Python admin clients against brook.

Usage: admin_configs.py BOOTSTRAP TOPIC
confluent-kafka (librdkafka's DescribeConfigs / AlterConfigs): describe the topic, check the
defaults and sources, set retention.ms and segment.bytes, read them back; a bad value is refused
with INVALID_CONFIG and changes nothing. kafka-python: describe_configs sees the same values and
alter_configs (which replaces the whole set) leaves only what it names.
Exit 0 on success, 1 with a message on the first mismatch.
"""
import sys

from confluent_kafka.admin import AdminClient, ConfigResource
from confluent_kafka import KafkaException


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def confluent_describe(admin, topic):
    res = ConfigResource("topic", topic)
    return admin.describe_configs([res])[res].result(timeout=30)


def main():
    bootstrap, topic = sys.argv[1], sys.argv[2]
    admin = AdminClient({"bootstrap.servers": bootstrap})
    configs = confluent_describe(admin, topic)
    for name, want in (("cleanup.policy", "delete"), ("min.insync.replicas", "1"),
                       ("segment.bytes", "1073741824")):
        if name not in configs or configs[name].value != want:
            fail("default %s: %r" % (name, configs.get(name)))
        if not configs[name].is_default:
            fail("%s should be a default" % name)

    res = ConfigResource("topic", topic, set_config={"retention.ms": "3600000", "segment.bytes": "65536"})
    admin.alter_configs([res])[res].result(timeout=30)
    configs = confluent_describe(admin, topic)
    if configs["retention.ms"].value != "3600000" or configs["segment.bytes"].value != "65536":
        fail("after alter: retention.ms=%s segment.bytes=%s" % (configs["retention.ms"].value,
                                                               configs["segment.bytes"].value))
    if configs["retention.ms"].source != 1:  # DYNAMIC_TOPIC_CONFIG
        fail("retention.ms source %s" % configs["retention.ms"].source)

    bad = ConfigResource("topic", topic, set_config={"retention.ms": "soon"})
    try:
        admin.alter_configs([bad])[bad].result(timeout=30)
        fail("retention.ms=soon was accepted")
    except KafkaException as e:
        if e.args[0].code() != 40 and "INVALID_CONFIG" not in str(e):  # INVALID_CONFIG
            fail("bad value: unexpected error %s" % e)
    if confluent_describe(admin, topic)["retention.ms"].value != "3600000":
        fail("a refused change changed retention.ms")

    missing = ConfigResource("topic", topic + "-missing")
    try:
        admin.describe_configs([missing])[missing].result(timeout=30)
        fail("describe of a missing topic succeeded")
    except KafkaException as e:
        if "UNKNOWN_TOPIC" not in str(e) and e.args[0].code() != 3:
            fail("missing topic: unexpected error %s" % e)

    from kafka.admin import KafkaAdminClient, ConfigResource as KConfigResource, ConfigResourceType
    kadmin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="brook-admin-test")
    resp = kadmin.describe_configs([KConfigResource(ConfigResourceType.TOPIC, topic)])
    entries = {}
    for r in resp:
        for (error_code, _msg, _type, _name, cfgs) in r.resources:
            if error_code != 0:
                fail("kafka-python describe error %d" % error_code)
            for c in cfgs:
                entries[c[0]] = c[1]
    if entries.get("retention.ms") != "3600000":
        fail("kafka-python sees retention.ms=%r" % entries.get("retention.ms"))
    kadmin.alter_configs([KConfigResource(ConfigResourceType.TOPIC, topic, configs={"retention.ms": "7200000"})])
    configs = confluent_describe(admin, topic)
    if configs["retention.ms"].value != "7200000":
        fail("kafka-python alter: retention.ms=%s" % configs["retention.ms"].value)
    if configs["segment.bytes"].value != "1073741824":  # AlterConfigs replaces the whole set
        fail("kafka-python alter kept segment.bytes=%s" % configs["segment.bytes"].value)
    kadmin.close()
    print("OK")


if __name__ == "__main__":
    main()
