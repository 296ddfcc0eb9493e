#!/usr/bin/python3
"""kafka-python producing with each compression codec it has: gzip, snappy
(xerial-framed, as kafka-python writes it), lz4 and zstd. N events per codec
under the symbol KP-<CODEC>, so the sink and the queries can tell them apart.
Exit 1 if a codec is missing or a send failed.

Usage: /usr/bin/python3 interop/codec_producer.py BROKER TOPIC N
"""
import sys
from datetime import datetime, timezone
from json import dumps

from kafka import KafkaProducer

CODECS = ["gzip", "snappy", "lz4", "zstd"]


def main():
    broker, topic, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    failed, sent = 0, {}
    for codec in CODECS:
        p = KafkaProducer(bootstrap_servers=[broker], compression_type=codec, linger_ms=50,
                          value_serializer=lambda x: dumps(x).encode('utf-8'))
        futures = []
        for i in range(n):
            ts = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
            futures.append(p.send(topic, key=b"kp-" + codec.encode(),
                                  value={"symbol": "KP-" + codec.upper(), "ts": ts, "seq": i, "price": 10.5 + i}))
        p.flush()
        for f in futures:
            try:
                f.get(timeout=30)
                sent[codec] = sent.get(codec, 0) + 1
            except Exception as e:  # noqa: BLE001
                failed += 1
                print("%s send failed: %r" % (codec, e), file=sys.stderr)
        p.close()
    print("    kafka-python sent per codec: %s, %d failed" % (sent, failed))
    sys.exit(1 if failed or len(sent) != len(CODECS) else 0)


if __name__ == "__main__":
    main()
