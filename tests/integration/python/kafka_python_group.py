"""kafka-python (Debian python3-kafka 2.0.2) as a group consumer: KafkaConsumer(group_id=...)
joins (JoinGroup v2 / SyncGroup v1, never MEMBER_ID_REQUIRED), reads every record from the
earliest offset, commits synchronously and leaves. Exits 0 when it read exactly the expected count.

usage: kafka_python_group.py BOOTSTRAP TOPIC GROUP EXPECTED
"""
import sys
import time

from kafka import KafkaConsumer


def main():
    bootstrap, topic, group, expected = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group, auto_offset_reset="earliest",
                             enable_auto_commit=False, session_timeout_ms=10000, heartbeat_interval_ms=1000)
    seen = set()
    deadline = time.time() + 90
    while len(seen) < expected and time.time() < deadline:
        for records in consumer.poll(timeout_ms=500).values():
            for r in records:
                seen.add((r.partition, r.offset))
        consumer.commit()
    consumer.commit()
    consumer.close()
    if len(seen) != expected:
        print(f"read {len(seen)} distinct records, expected {expected}", file=sys.stderr)
        return 1
    print(f"kafka-python group {group}: {len(seen)} records, committed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
