#!/usr/bin/python3
"""The paper's producer, as its tutorial writes it, against `pipeline emulate`.

    producer = KafkaProducer(bootstrap_servers=[...],
                             value_serializer=lambda x: dumps(x).encode('utf-8'))
    producer.send('stock_topic', value=...)

It sends N events shaped like the pipeline's own ({"symbol", "ts": UTC ISO 8601
with milliseconds and Z, "seq": per-symbol from 0, "price"}) under symbols of
its own (PY-*), so that a query can tell them apart, then the tutorial's
test message {'surnasdasdame':'parasdasdmar'}: JSON of another shape, which
the sink stores as a row with a column of its own. Every send is waited on:
exit 1 if any failed.

Usage: /usr/bin/python3 interop/paper_producer.py BROKER TOPIC N
"""
import random
import sys
from datetime import datetime, timezone
from json import dumps

from kafka import KafkaProducer

SYMBOLS = ["PY-AAPL", "PY-MSFT", "PY-NVDA", "PY-TSLA", "PY-AMZN"]


def ts_now():
    # 2006-01-02T15:04:05.000Z, the pipeline's TimeLayout.
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def main():
    broker, topic, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    producer = KafkaProducer(bootstrap_servers=[broker],
                             value_serializer=lambda x: dumps(x).encode('utf-8'))
    rng = random.Random(7)
    seq = {s: 0 for s in SYMBOLS}
    price = {s: 100.0 + 50 * i for i, s in enumerate(SYMBOLS)}
    futures = []
    for _ in range(n):
        s = SYMBOLS[rng.randrange(len(SYMBOLS))]
        price[s] = round(price[s] * (1 + rng.gauss(0, 0.001)), 2)
        futures.append(producer.send(topic, value={"symbol": s, "ts": ts_now(), "seq": seq[s], "price": price[s]}))
        seq[s] += 1
    # The tutorial's own test message, through the same serializer.
    futures.append(producer.send(topic, value={'surnasdasdame': 'parasdasdmar'}))
    producer.flush()
    partitions, failed = {}, 0
    for f in futures:
        try:
            md = f.get(timeout=30)
            partitions[md.partition] = partitions.get(md.partition, 0) + 1
        except Exception as e:  # noqa: BLE001 - report every failure kind
            failed += 1
            print("send failed: %r" % (e,), file=sys.stderr)
    producer.close()
    print("    kafka-python %s: sent %d events + the test message, %d failed, per partition %s" % (
        __import__("kafka").__version__, n, failed, dict(sorted(partitions.items()))))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
