#!/usr/bin/python3
"""The paper's producer as its notebook writes it: each row of the stock index
CSV (indexProcessed.csv) sampled with pandas and sent as a dict,

    dict_stock = df.sample(1).to_dict(orient="records")[0]
    producer.send(topic, value=dict_stock)

with kafka-python's JSON serializer. Its records are not the pipeline's ticks:
{"Index": "HSI", "Date": "1986-12-31", "Open": 2568.300049, ..., "Adj Close":
..., "Volume": 0.0, "CloseUSD": 333.879006}, mixed-case keys, one with a
space, no symbol, ts or seq. The rows here are made in that shape (pandas
gives every numeric column as a float), N of them, then one whose "Open" is
the text "abc": once the table's Open is a double, that record must become a
dead letter. The topic is created with one partition first, so that the sink
reads the records in the order sent.

Usage: /usr/bin/python3 interop/paper_rows_producer.py BROKER TOPIC N
"""
import datetime
import random
import sys
from json import dumps

from kafka import KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

INDEXES = ["HSI", "NYA", "IXIC", "000001.SS", "N225", "N100", "399001.SZ", "GSPTSE", "NSEI", "GDAXI", "KS11", "SSMI", "TWII", "J203.JO"]


def row(rng, i):
    price = round(1000 + 30000 * rng.random(), 6)
    low, high = round(price * 0.99, 6), round(price * 1.01, 6)
    return {
        "Index": INDEXES[i % len(INDEXES)],
        "Date": (datetime.date(2021, 1, 1) + datetime.timedelta(days=i // len(INDEXES))).isoformat(),
        "Open": price, "High": high, "Low": low, "Close": price, "Adj Close": price,
        "Volume": float(rng.randrange(0, 10**9)),
        "CloseUSD": round(price / 7.8, 8),
    }


def main():
    broker, topic, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    admin = KafkaAdminClient(bootstrap_servers=[broker])
    try:
        admin.create_topics([NewTopic(name=topic, num_partitions=1, replication_factor=1)])
    except TopicAlreadyExistsError:
        pass
    admin.close()
    producer = KafkaProducer(bootstrap_servers=[broker],
                             value_serializer=lambda x: dumps(x).encode('utf-8'))
    rng = random.Random(11)
    futures = [producer.send(topic, value=row(rng, i)) for i in range(n)]
    producer.flush()
    drift = row(rng, n)
    drift["Open"] = "abc"
    futures.append(producer.send(topic, value=drift))
    producer.flush()
    failed = 0
    for f in futures:
        try:
            f.get(timeout=30)
        except Exception as e:  # noqa: BLE001 - report every failure kind
            failed += 1
            print("send failed: %r" % (e,), file=sys.stderr)
    producer.close()
    print("    kafka-python: sent %d of the paper's rows + 1 with Open \"abc\" to %s, %d failed" % (n, topic, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
