#!/usr/bin/python3
"""kafka-python producing to a topic that does not exist yet: Apache Kafka
creates it on the producer's metadata request (auto.create.topics.enable,
on by default), and so must `pipeline emulate`. Sends N values, reads them
back with a consumer, exit 1 unless exactly those come back.

Usage: /usr/bin/python3 interop/autocreate_check.py BROKER TOPIC N
"""
import sys

from kafka import KafkaConsumer, KafkaProducer


def main():
    broker, topic, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    producer = KafkaProducer(bootstrap_servers=[broker], max_block_ms=20000)
    sent = [("auto-%d" % i).encode() for i in range(n)]
    for v in sent:
        producer.send(topic, v).get(timeout=20)
    producer.flush()
    consumer = KafkaConsumer(topic, bootstrap_servers=[broker], auto_offset_reset="earliest",
                             consumer_timeout_ms=10000)
    got = []
    for m in consumer:
        got.append(m.value)
        if len(got) == n:
            break
    consumer.close()
    if sorted(got) != sorted(sent):
        print("    read back %d of %d values from %s: %s" % (len(got), n, topic, got), file=sys.stderr)
        sys.exit(1)
    print("    ok: kafka-python produced %d values to the new topic %s (auto-created) and read them back" % (n, topic))


if __name__ == "__main__":
    main()
