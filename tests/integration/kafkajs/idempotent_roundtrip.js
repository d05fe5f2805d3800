'use strict';
// KafkaJS 2.2.4 idempotent producer against brook, run by tests/integration/idempotence_test.cc:
//   node idempotent_roundtrip.js <node_modules dir> <bootstrap h:p,...> <topic> <records> <partitions>
// Sends record i (key "k<i>", value "v<i>") to partition i % partitions, 100 records per send()
// with acks -1, then asks admin.fetchTopicOffsets for every partition's high watermark.
// Prints "record <i> <partition> <offset>" per acknowledged record (offset = the batch's base
// offset from the Produce answer + the record's place in that batch) and "end <partition>
// <offset>" per partition; the C++ side reads the topic back and compares. Exit code 1 with the
// error on stderr on any failure. The node_modules directory is passed in because it lives in the
// build tree, not next to this script.
const path = require('path');

const [modules, bootstrap, topic, countText, partitionsText] = process.argv.slice(2);
if (!partitionsText) {
  console.error('usage: idempotent_roundtrip.js <node_modules dir> <bootstrap> <topic> <records> <partitions>');
  process.exit(2);
}
// Every record names its partition, so KafkaJS's v2 partitioner notice is noise on stderr.
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
const { Kafka, logLevel } = require(path.join(modules, 'kafkajs'));
const count = Number(countText);
const partitions = Number(partitionsText);
const perSend = 100;

const kafka = new Kafka({
  clientId: 'brook-idempotence-test',
  brokers: bootstrap.split(','),
  logLevel: logLevel.WARN,
  // Bounded so a broker that never answers fails the run with KafkaJS's error instead of
  // hanging until the test's timeout (KafkaJS warns that limited retries weaken EoS: a record it
  // gave up on would be missing, which the C++ side reports).
  retry: { retries: 10 },
});

async function main() {
  // KafkaJS refuses idempotent with more than one request in flight; it sends InitProducerId to
  // the controller (Metadata's controller_id).
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  const lines = [];
  for (let first = 0; first < count; first += perSend) {
    const messages = [];
    const byPartition = new Map();  // partition -> record numbers in this send, in order
    for (let i = first; i < Math.min(count, first + perSend); ++i) {
      const partition = i % partitions;
      messages.push({ key: `k${i}`, value: `v${i}`, partition });
      if (!byPartition.has(partition)) byPartition.set(partition, []);
      byPartition.get(partition).push(i);
    }
    const answers = await producer.send({ topic, acks: -1, messages });
    for (const a of answers) {
      if (a.errorCode !== 0) throw new Error(`partition ${a.partition}: error code ${a.errorCode}`);
      const base = BigInt(a.baseOffset);
      (byPartition.get(a.partition) || []).forEach((i, k) => lines.push(`record ${i} ${a.partition} ${base + BigInt(k)}`));
      byPartition.delete(a.partition);
    }
    if (byPartition.size !== 0) throw new Error(`no answer for partitions ${[...byPartition.keys()]}`);
  }
  await producer.disconnect();

  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  for (const o of offsets) lines.push(`end ${o.partition} ${o.high}`);
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((e) => {
  console.error(`kafkajs: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});
