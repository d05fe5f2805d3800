"""confluent-kafka (Debian python3-confluent-kafka over librdkafka 2.0.2) as a group consumer:
Consumer({'group.id': ...}) subscribes, reads every record from the earliest offset, commits
synchronously and closes (LeaveGroup). Exits 0 when it read exactly the expected count.

usage: confluent_group.py BOOTSTRAP TOPIC GROUP EXPECTED
"""
import sys
import time

from confluent_kafka import Consumer


def main():
    bootstrap, topic, group, expected = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest",
                         "enable.auto.commit": False, "session.timeout.ms": 10000})
    consumer.subscribe([topic])
    seen = set()
    deadline = time.time() + 90
    while len(seen) < expected and time.time() < deadline:
        msgs = consumer.consume(num_messages=500, timeout=0.5)
        for m in msgs:
            if m.error():
                continue
            seen.add((m.partition(), m.offset()))
        if msgs:
            consumer.commit(asynchronous=False)
    consumer.close()
    if len(seen) != expected:
        print(f"read {len(seen)} distinct records, expected {expected}", file=sys.stderr)
        return 1
    print(f"confluent-kafka group {group}: {len(seen)} records, committed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
