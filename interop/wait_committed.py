#!/usr/bin/python3
"""Wait until a consumer group has committed every partition of a topic up to
its end, as kafka-python sees it (OffsetFetch against ListOffsets): the
pipeline's sink commits an offset only once the records before it are stored
in S3, so this means everything produced is stored.

Usage: /usr/bin/python3 interop/wait_committed.py BROKER TOPIC GROUP RECORDS TIMEOUT_S SINK_PID
Exit 1 if the end offsets do not add up to RECORDS, if the sink process dies,
or on timeout.
"""
import os
import sys
import time

from kafka import KafkaConsumer, TopicPartition


def alive(pid):
    """Whether pid runs: an exited child its parent has not reaped yet is a
    zombie, which kill(pid, 0) still finds."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        try:
            os.kill(pid, 0)
            return True
        except OSError:
            return False


def main():
    broker, topic, group = sys.argv[1:4]
    records, timeout, pid = int(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
    c = KafkaConsumer(bootstrap_servers=[broker], group_id=group, enable_auto_commit=False)
    parts = c.partitions_for_topic(topic)
    if not parts:
        print("kafka-python sees no partitions of %s" % topic, file=sys.stderr)
        sys.exit(1)
    tps = [TopicPartition(topic, p) for p in sorted(parts)]
    end = c.end_offsets(tps)
    if sum(end.values()) != records:
        print("the topic's end offsets add up to %d records, want %d: %s" % (sum(end.values()), records, end), file=sys.stderr)
        sys.exit(1)
    start, last = time.monotonic(), None
    while True:
        committed = {tp: c.committed(tp) or 0 for tp in tps}
        lag = sum(end[tp] - committed[tp] for tp in tps)
        if lag != last:
            print("    [%4.1fs] group %s: committed %d of %d records (lag %d)" % (
                time.monotonic() - start, group, records - lag, records, lag))
            last = lag
        if lag == 0:
            break
        if not alive(pid):
            print("the sink (pid %d) exited" % pid, file=sys.stderr)
            sys.exit(1)
        if time.monotonic() - start > timeout:
            print("timed out after %gs with lag %d" % (timeout, lag), file=sys.stderr)
            sys.exit(1)
        time.sleep(0.25)
    c.close()


if __name__ == "__main__":
    main()
