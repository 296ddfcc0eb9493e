#!/usr/bin/python3
"""The emulated S3's own behaviours with boto3 (Debian's) as the client, on a
bucket of its own: ListObjectVersions of an unversioned bucket (version
"null"), versioning (two versions, a delete marker, reading an old version),
metadata (names in lower case, a default Content-Type), copy with replaced
metadata, DeleteObjects, a conditional GET, and a call the emulator does not
serve answering NotImplemented without touching the bucket.

Usage: /usr/bin/python3 interop/boto3_s3_check.py ENDPOINT
"""
import sys

import boto3
import botocore.exceptions


def code(fn, **kw):
    """The error code (or HTTP status) of a call that must fail."""
    try:
        fn(**kw)
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"]
    raise AssertionError("%s succeeded" % fn.__name__)


def main():
    endpoint = sys.argv[1]
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                      aws_access_key_id="test", aws_secret_access_key="test")
    b = "interop-boto3-features"
    s3.create_bucket(Bucket=b)

    s3.put_object(Bucket=b, Key="plain", Body=b"one", Metadata={"Mixed-Case": "v"})
    vs = s3.list_object_versions(Bucket=b)["Versions"]
    assert [(v["Key"], v["VersionId"], v["IsLatest"]) for v in vs] == [("plain", "null", True)], vs
    head = s3.head_object(Bucket=b, Key="plain")
    assert head["Metadata"] == {"mixed-case": "v"}, head["Metadata"]
    assert head["ContentType"] == "binary/octet-stream", head["ContentType"]
    s3.copy_object(Bucket=b, Key="copy", CopySource={"Bucket": b, "Key": "plain"},
                   MetadataDirective="REPLACE", Metadata={"k": "w"}, ContentType="text/plain")
    head = s3.head_object(Bucket=b, Key="copy")
    assert (head["Metadata"], head["ContentType"]) == ({"k": "w"}, "text/plain"), head
    assert code(s3.get_object, Bucket=b, Key="plain", IfNoneMatch=head["ETag"]) == "304"
    print("    ok: boto3 %s: list_object_versions unversioned (null), lower-case metadata, "
          "binary/octet-stream, copy REPLACE, If-None-Match 304" % boto3.__version__)

    s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
    v1 = s3.put_object(Bucket=b, Key="doc", Body=b"v1")["VersionId"]
    v2 = s3.put_object(Bucket=b, Key="doc", Body=b"v2")["VersionId"]
    assert v1 != v2 and "null" not in (v1, v2), (v1, v2)
    marker = s3.delete_object(Bucket=b, Key="doc")
    assert marker.get("DeleteMarker") is True, marker
    assert code(s3.get_object, Bucket=b, Key="doc") == "NoSuchKey"
    assert s3.get_object(Bucket=b, Key="doc", VersionId=v1)["Body"].read() == b"v1"
    out = s3.list_object_versions(Bucket=b, Prefix="doc")
    assert [v["VersionId"] for v in out["Versions"]] == [v2, v1], out["Versions"]
    assert len(out["DeleteMarkers"]) == 1 and out["DeleteMarkers"][0]["IsLatest"], out["DeleteMarkers"]
    s3.delete_object(Bucket=b, Key="doc", VersionId=out["DeleteMarkers"][0]["VersionId"])
    assert s3.get_object(Bucket=b, Key="doc")["Body"].read() == b"v2"
    print("    ok: versioning: two versions, a delete marker, the old version read, the marker removed")

    assert code(s3.put_bucket_lifecycle_configuration, Bucket=b, LifecycleConfiguration={
        "Rules": [{"ID": "x", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 1}}]}) == "NotImplemented"
    deleted = s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "plain"}, {"Key": "copy"}], "Quiet": False})
    assert sorted(d["Key"] for d in deleted["Deleted"]) == ["copy", "plain"], deleted
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=b).get("Contents", [])]
    assert keys == ["doc"], keys
    print("    ok: put_bucket_lifecycle_configuration: NotImplemented; delete_objects")


if __name__ == "__main__":
    main()
