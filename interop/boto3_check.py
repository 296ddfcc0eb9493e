#!/usr/bin/python3
"""boto3 (Debian's) through the emulator's one endpoint: list the topic's
objects (ListObjectsV2, paginated), read one, and ask Glue for the table.

Usage: /usr/bin/python3 interop/boto3_check.py ENDPOINT BUCKET TOPIC DATABASE N_OBJECTS
"""
import json
import sys

import boto3


def main():
    endpoint, bucket, topic, db = sys.argv[1:5]
    n_objects = int(sys.argv[5])
    kw = dict(endpoint_url=endpoint, region_name="us-east-1",
              aws_access_key_id="test", aws_secret_access_key="test")
    s3 = boto3.client("s3", **kw)
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=topic + "/", PaginationConfig={"PageSize": 2}):
        keys += [o["Key"] for o in page.get("Contents", [])]
    assert len(keys) == n_objects, "boto3 lists %d objects, the AWS CLI %d" % (len(keys), n_objects)
    body = s3.get_object(Bucket=bucket, Key=keys[0])["Body"].read().decode()
    lines = [json.loads(l) for l in body.splitlines()]
    # Every line a tick, but the tutorial's test message, stored as it is.
    assert lines and all("symbol" in e or e == {"surnasdasdame": "parasdasdmar"} for e in lines), body[:200]
    t = boto3.client("glue", **kw).get_table(DatabaseName=db, Name=topic)["Table"]
    print("    ok: boto3 %s: %d objects (pages of 2), %s holds %d events; glue get_table: %s, %d columns" % (
        boto3.__version__, len(keys), keys[0], len(lines), t["Name"], len(t["StorageDescriptor"]["Columns"])))


if __name__ == "__main__":
    main()
