#!/usr/bin/python3
"""confluent-kafka round trip against a brook broker.

Usage: confluent_roundtrip.py BOOTSTRAP TOPIC N
Produces N keyed records (acks=all), checks every delivery report, then consumes them with a
group-less assign from OFFSET_BEGINNING and compares (partition, offset) -> key/value.
Exit 0 on success, 1 on mismatch.
"""
import sys
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition


def main():
    bootstrap, topic, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5})
    sent, errors = {}, []

    def on_delivery(err, msg):
        if err is not None:
            errors.append(str(err))
        else:
            sent[(msg.partition(), msg.offset())] = (msg.key(), msg.value())

    for i in range(n):
        producer.produce(topic, key=b"ck%d" % (i % 7), value=b"cvalue-%d" % i, on_delivery=on_delivery)
        producer.poll(0)
    remaining = producer.flush(60)
    if remaining or errors or len(sent) != n:
        print("produce failed: %d not delivered, errors %s, %d reports" % (remaining, errors[:5], len(sent)))
        return 1

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "unused",
                         "enable.auto.commit": False})
    md = consumer.list_topics(topic, timeout=10)
    parts = sorted(md.topics[topic].partitions)
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in parts])
    got = {}
    deadline = time.time() + 30
    while len(got) < n and time.time() < deadline:
        m = consumer.poll(0.5)
        if m is None:
            continue
        if m.error():
            print("consume error: %s" % m.error())
            continue
        got[(m.partition(), m.offset())] = (m.key(), m.value())
    consumer.close()
    if got != sent:
        print("mismatch: sent %d got %d" % (len(sent), len(got)))
        return 1
    print("ok %d records" % n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
