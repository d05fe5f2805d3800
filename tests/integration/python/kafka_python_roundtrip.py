#!/usr/bin/python3
"""kafka-python round trip against a brook broker.

Usage: kafka_python_roundtrip.py BOOTSTRAP TOPIC ACKS N
ACKS is 0, 1 or all. Sends N keyed records with KafkaProducer, waits for every future, then
reads them back with a group-less KafkaConsumer (assign + seek_to_beginning) and compares keys,
values and the offsets the producer futures returned. Exit 0 on success, 1 on any mismatch.
"""
import sys

from kafka import KafkaConsumer, KafkaProducer, TopicPartition


def main():
    bootstrap, topic, acks, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    acks = acks if acks == "all" else int(acks)
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks=acks, linger_ms=5,
                             request_timeout_ms=30000)
    futures = [producer.send(topic, key=b"k%d" % (i % 10), value=b"value-%d" % i)
               for i in range(n)]
    producer.flush(timeout=60)
    sent = {}
    for i, f in enumerate(futures):
        md = f.get(timeout=30)
        sent[(md.partition, md.offset)] = (b"k%d" % (i % 10), b"value-%d" % i)
    producer.close()
    if len(sent) != n:
        print("duplicate (partition, offset) in producer metadata: %d distinct of %d" % (len(sent), n))
        return 1

    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                             auto_offset_reset="earliest", enable_auto_commit=False,
                             consumer_timeout_ms=15000)
    partitions = consumer.partitions_for_topic(topic)
    if not partitions:
        print("no partitions for topic %s" % topic)
        return 1
    tps = [TopicPartition(topic, p) for p in sorted(partitions)]
    consumer.assign(tps)
    consumer.seek_to_beginning(*tps)
    got = {}
    for m in consumer:
        got[(m.partition, m.offset)] = (m.key, m.value)
        if len(got) >= n:
            break
    consumer.close()
    if got != sent:
        missing = [k for k in sent if k not in got][:5]
        extra = [k for k in got if k not in sent][:5]
        wrong = [k for k in sent if k in got and got[k] != sent[k]][:5]
        print("mismatch: sent %d got %d; missing %s extra %s wrong %s" % (len(sent), len(got), missing, extra, wrong))
        return 1
    print("ok %d records, acks=%s" % (n, acks))
    return 0


if __name__ == "__main__":
    sys.exit(main())
