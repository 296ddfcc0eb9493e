package emulate

import (
	"io"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestS3Versioning: with versioning enabled, each PUT is a version, a
// DELETE adds a delete marker, and versions are read, listed and deleted
// by ID; the object's file always holds the current version, so readers
// of the files (DuckDB) see what S3 lists.
func TestS3Versioning(t *testing.T) {
	ctx := t.Context()
	store, _, c := startS3(t, "")
	bkt, key := aws.String("bkt"), aws.String("v")
	if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: bkt,
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	if v, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: bkt}); err != nil || v.Status != types.BucketVersioningStatusEnabled {
		t.Fatalf("GetBucketVersioning: %+v, %v", v, err)
	}
	var ids []string
	for _, body := range []string{"one", "two"} {
		out, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: bkt, Key: key, Body: strings.NewReader(body)})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(out.VersionId) == "" {
			t.Fatal("a PUT in a versioned bucket answered no version ID")
		}
		ids = append(ids, aws.ToString(out.VersionId))
	}
	read := func(id string) string {
		t.Helper()
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: bkt, Key: key, VersionId: aws.String(id)})
		if err != nil {
			t.Fatalf("get version %s: %v", id, err)
		}
		defer out.Body.Close()
		b, _ := io.ReadAll(out.Body)
		if aws.ToString(out.VersionId) != id {
			t.Errorf("get version %s answered version %s", id, aws.ToString(out.VersionId))
		}
		return string(b)
	}
	if read(ids[0]) != "one" || read(ids[1]) != "two" {
		t.Error("the versions do not hold what was put")
	}
	path, _ := store.ObjectPath("bkt", "v")
	if b, err := os.ReadFile(path); err != nil || string(b) != "two" {
		t.Errorf("the object's file holds %q, %v; want the current version", b, err)
	}

	del, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: bkt, Key: key})
	if err != nil || !aws.ToBool(del.DeleteMarker) || aws.ToString(del.VersionId) == "" {
		t.Fatalf("DELETE: %+v, %v; want a delete marker", del, err)
	}
	if _, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: bkt, Key: key}); apiCode(err) != "NoSuchKey" {
		t.Errorf("GET after the delete: %v, want NoSuchKey", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("the object's file is still there after the delete: %v", err)
	}
	if l, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: bkt}); err != nil || len(l.Contents) != 0 {
		t.Errorf("ListObjectsV2 after the delete: %+v, %v", l.Contents, err)
	}
	lv, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: bkt})
	if err != nil || len(lv.Versions) != 2 || len(lv.DeleteMarkers) != 1 || !aws.ToBool(lv.DeleteMarkers[0].IsLatest) ||
		aws.ToString(lv.Versions[0].VersionId) != ids[1] || aws.ToBool(lv.Versions[0].IsLatest) {
		t.Fatalf("ListObjectVersions: %+v %+v, %v; want the marker latest, then two, then one", lv.DeleteMarkers, lv.Versions, err)
	}
	if _, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: bkt, Key: key, VersionId: del.VersionId}); httpStatus(err) != 405 {
		t.Errorf("GET of the delete marker: %v, want 405", err)
	}
	// Deleting the marker brings the last version back.
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: bkt, Key: key, VersionId: del.VersionId}); err != nil {
		t.Fatal(err)
	}
	if got, _ := sdkGet(t, c, "v"); got != "two" {
		t.Errorf("after deleting the marker: %q, want two", got)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "two" {
		t.Errorf("the object's file after deleting the marker: %q, %v", b, err)
	}
	// Deleting the current version makes the one before it current.
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: bkt, Key: key, VersionId: aws.String(ids[1])}); err != nil {
		t.Fatal(err)
	}
	if got, _ := sdkGet(t, c, "v"); got != "one" {
		t.Errorf("after deleting the current version: %q, want one", got)
	}
	// Suspended: a PUT replaces the "null" version.
	if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: bkt,
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusSuspended}}); err != nil {
		t.Fatal(err)
	}
	sdkPut(t, c, "v", "null-1")
	sdkPut(t, c, "v", "null-2")
	lv, err = c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: bkt})
	if err != nil || len(lv.Versions) != 2 || aws.ToString(lv.Versions[0].VersionId) != "null" || aws.ToString(lv.Versions[1].VersionId) != ids[0] {
		t.Errorf("versions after suspending: %+v, %v; want null, then one", lv.Versions, err)
	}
	if read("null") != "null-2" {
		t.Error("the null version is not the last PUT")
	}
	// A versioned bucket holding only noncurrent versions is not empty.
	for _, v := range lv.Versions {
		c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: bkt, Key: key, VersionId: v.VersionId})
	}
	if lv, _ := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: bkt}); len(lv.Versions)+len(lv.DeleteMarkers) != 0 {
		t.Errorf("versions left: %+v %+v", lv.Versions, lv.DeleteMarkers)
	}
	sdkPut(t, c, "w", "x")
	c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: bkt, Key: aws.String("w")}) // a null delete marker
	if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: bkt}); apiCode(err) != "BucketNotEmpty" {
		t.Errorf("deleting a bucket holding a delete marker: %v, want BucketNotEmpty", err)
	}
}
