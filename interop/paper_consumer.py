#!/usr/bin/python3
"""The paper's consumer (kafka-python), reading the whole topic back.

    consumer = KafkaConsumer('stock_topic', bootstrap_servers=[...],
                             value_deserializer=lambda x: loads(x.decode('utf-8')))
    for c in consumer: ...

plus auto_offset_reset='earliest' and no group, so it reads from the start.
It checks that every record arrived once and decodes as JSON: N_PY events of
paper_producer.py (PY-*), N_KP of codec_producer.py (KP-*), N_KCAT of kcat
(KC-*), N_OURS of `pipeline produce`, and the tutorial's garbage. It also
counts the record batches by compression codec as kafka-python decodes them,
and fails unless it decoded every codec: none (the paper's producer, kcat),
gzip, snappy, lz4, zstd (codec_producer.py), zstd (kcat -z), lz4 (ours).

Usage: /usr/bin/python3 interop/paper_consumer.py BROKER TOPIC TOTAL N_PY N_KP N_KCAT N_OURS
"""
import collections
import sys
import time
from json import loads

from kafka import KafkaConsumer
from kafka.record.default_records import DefaultRecordBatch

CODECS = {0: "none", 1: "gzip", 2: "snappy", 3: "lz4", 4: "zstd"}
batches = collections.Counter()
_uncompress = DefaultRecordBatch._maybe_uncompress


def counting_uncompress(self):
    # Observe only: which codec each batch kafka-python decodes carries.
    if not self._decompressed:
        batches[CODECS.get(self.compression_type, str(self.compression_type))] += 1
    return _uncompress(self)


DefaultRecordBatch._maybe_uncompress = counting_uncompress


def main():
    broker, topic = sys.argv[1], sys.argv[2]
    total, n_py, n_kp, n_kcat, n_ours = map(int, sys.argv[3:8])
    consumer = KafkaConsumer(topic, bootstrap_servers=[broker],
                             value_deserializer=lambda x: loads(x.decode('utf-8')),
                             auto_offset_reset='earliest', group_id=None,
                             consumer_timeout_ms=10000)
    seen = set()
    kinds = collections.Counter()
    first = []
    deadline = time.monotonic() + 60
    for c in consumer:
        pos = (c.partition, c.offset)
        if pos in seen:
            print("record read twice: partition %d offset %d" % pos, file=sys.stderr)
            sys.exit(1)
        seen.add(pos)
        v = c.value
        if len(first) < 3:
            first.append(v)
        sym = v.get("symbol") if isinstance(v, dict) else None
        if v == {"surnasdasdame": "parasdasdmar"}:
            kinds["garbage"] += 1
        elif not isinstance(sym, str):
            kinds["unexpected"] += 1
        elif sym.startswith("PY-"):
            kinds["kafka-python"] += 1
        elif sym.startswith("KP-"):
            kinds["kafka-python codecs"] += 1
        elif sym.startswith("KC-"):
            kinds["kcat"] += 1
        else:
            kinds["ours"] += 1
        if len(seen) >= total or time.monotonic() > deadline:
            break
    consumer.close()
    print("    first records: %s" % first)
    print("    read %d records: %s; record batches by codec: %s" % (
        len(seen), dict(kinds), dict(batches)))
    want = {"kafka-python": n_py, "kafka-python codecs": n_kp, "kcat": n_kcat, "ours": n_ours, "garbage": 1}
    if len(seen) != total or dict(kinds) != want:
        print("want %d records: %s" % (total, want), file=sys.stderr)
        sys.exit(1)
    missing = {"none", "gzip", "snappy", "lz4", "zstd"} - set(batches)
    if missing:
        print("no record batch compressed with %s was decoded" % sorted(missing), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
