package emulate

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// newS3Client is an SDK client for the emulator at url, configured as the
// pipeline's local mode configures one.
func newS3Client(url string, opts ...func(*s3.Options)) *s3.Client {
	o := s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
	}
	if rt := inProcessClients[url]; rt != nil {
		o.HTTPClient = &http.Client{Transport: rt}
	}
	return s3.New(o, opts...)
}

// inProcessClients, while not nil, maps the URL of each server startS3
// starts to its in-process Transport, which newS3Client then uses; it
// counts the requests served so.
var (
	inProcessClients map[string]http.RoundTripper
	inProcessServed  atomic.Int64
)

type countingTransport struct{ http.RoundTripper }

func (c countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	inProcessServed.Add(1)
	return c.RoundTripper.RoundTrip(r)
}

// startS3 serves a store rooted at root (a fresh directory if "") with
// bucket "bkt", closing the server when the test ends.
func startS3(t *testing.T, root string) (*DiskStore, *S3Server, *s3.Client) {
	t.Helper()
	if root == "" {
		root = filepath.Join(t.TempDir(), "s3")
	}
	store, err := OpenDiskStore(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.CreateBucket("bkt"); err != nil {
		t.Fatal(err)
	}
	srv, err := StartS3(store, "", &S3Options{Credentials: DefaultCredentials})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
	})
	if inProcessClients != nil {
		inProcessClients[srv.URL()] = countingTransport{srv.Transport()}
	}
	return store, srv, newS3Client(srv.URL())
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

func sdkPut(t *testing.T, c *s3.Client, key, body string) {
	t.Helper()
	_, err := c.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String(key), Body: strings.NewReader(body)})
	if err != nil {
		t.Fatalf("put %q: %v", key, err)
	}
}

func sdkGet(t *testing.T, c *s3.Client, key string) (string, *s3.GetObjectOutput) {
	t.Helper()
	out, err := c.GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("get %q: %v", key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("read %q: %v", key, err)
	}
	return string(b), out
}

// listAll lists with ListObjectsV2Paginator and returns the keys and
// common prefixes in the order received, and the page count.
func listAll(t *testing.T, c *s3.Client, in *s3.ListObjectsV2Input) (keys, prefixes []string, pages int) {
	t.Helper()
	p := s3.NewListObjectsV2Paginator(c, in)
	for p.HasMorePages() {
		page, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatalf("list page %d: %v", pages, err)
		}
		pages++
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
		for _, cp := range page.CommonPrefixes {
			prefixes = append(prefixes, aws.ToString(cp.Prefix))
		}
		if n := len(page.Contents) + len(page.CommonPrefixes); aws.ToInt32(page.KeyCount) != int32(n) {
			t.Errorf("page %d: KeyCount %d, but %d entries", pages, aws.ToInt32(page.KeyCount), n)
		}
		if pages > 10_000 {
			t.Fatal("the paginator does not stop")
		}
	}
	return keys, prefixes, pages
}

func TestS3RoundTrip(t *testing.T) {
	ctx := t.Context()
	_, _, c := startS3(t, "")
	const key, body = "dir/hello.txt", "hello, world\n"
	etag := `"` + md5Hex(body) + `"`

	put, err := c.PutObject(ctx, &s3.PutObjectInput{
		Bucket:            aws.String("bkt"),
		Key:               aws.String(key),
		Body:              strings.NewReader(body),
		ContentType:       aws.String("text/plain"),
		Metadata:          map[string]string{"source": "test"},
		ChecksumAlgorithm: types.ChecksumAlgorithmCrc32,
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(put.ETag) != etag {
		t.Errorf("put ETag = %s, want %s", aws.ToString(put.ETag), etag)
	}
	crc := crc32.ChecksumIEEE([]byte(body))
	wantCRC := base64.StdEncoding.EncodeToString([]byte{byte(crc >> 24), byte(crc >> 16), byte(crc >> 8), byte(crc)})

	// The client checks the stored CRC32 against the bytes it receives.
	full, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(full.Body)
	full.Body.Close()
	if err != nil || string(b) != body || aws.ToString(full.ChecksumCRC32) != wantCRC {
		t.Errorf("checked get = %q, %v, CRC32 %q; want %q, CRC32 %q", b, err, aws.ToString(full.ChecksumCRC32), body, wantCRC)
	}

	got, out := sdkGet(t, c, key)
	if got != body || aws.ToString(out.ETag) != etag || aws.ToString(out.ContentType) != "text/plain" ||
		out.Metadata["source"] != "test" || aws.ToInt64(out.ContentLength) != int64(len(body)) {
		t.Errorf("get = %q etag %s type %q meta %v length %d",
			got, aws.ToString(out.ETag), aws.ToString(out.ContentType), out.Metadata, aws.ToInt64(out.ContentLength))
	}

	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("bkt"), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(head.ETag) != etag || aws.ToInt64(head.ContentLength) != int64(len(body)) ||
		head.Metadata["source"] != "test" || head.LastModified == nil || time.Since(*head.LastModified) > time.Hour {
		t.Errorf("head = etag %s length %d meta %v modified %v",
			aws.ToString(head.ETag), aws.ToInt64(head.ContentLength), head.Metadata, head.LastModified)
	}

	// A range, with checksum validation on: a whole-object checksum must not
	// come back with part of the object.
	rng, err := c.GetObject(ctx, &s3.GetObjectInput{
		Bucket: aws.String("bkt"), Key: aws.String(key), Range: aws.String("bytes=7-11"),
		ChecksumMode: types.ChecksumModeEnabled,
	})
	if err != nil {
		t.Fatal(err)
	}
	part, err := io.ReadAll(rng.Body)
	rng.Body.Close()
	if err != nil || string(part) != "world" || aws.ToString(rng.ContentRange) != "bytes 7-11/13" {
		t.Errorf("range = %q (%v), Content-Range %q; want \"world\", bytes 7-11/13", part, err, aws.ToString(rng.ContentRange))
	}

	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("bkt"), Key: aws.String(key)}); err != nil {
		t.Fatal(err)
	}
	var nsk *types.NoSuchKey
	if _, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String(key)}); !errors.As(err, &nsk) {
		t.Errorf("get after delete: %v, want NoSuchKey", err)
	}
	var nf *types.NotFound
	if _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("bkt"), Key: aws.String(key)}); !errors.As(err, &nf) {
		t.Errorf("head after delete: %v, want NotFound", err)
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("bkt"), Key: aws.String(key)}); err != nil {
		t.Errorf("deleting a missing key: %v, want success as in S3", err)
	}
}

func TestS3WeirdKeysStayInTheBucket(t *testing.T) {
	tmp := t.TempDir()
	store, _, c := startS3(t, filepath.Join(tmp, "s3"))

	keys := []string{
		"../../x", "a/b/../c", "./x", "sp ace", "é/日本", "a//b", "trailing/", "/leading", ".hidden",
		"%41", "100%", "back\\slash", "q?x=1#frag", "*glob*", "plus+sign", "tab\tkey", "dt=2024-01-02/part-0.parquet",
		strings.Repeat("y", 249),
		// S3 has no folders: a key beside the keys that continue it.
		"foo/bar", "foo/bar/xyzzy", "a/", "a/b", "a", "@", "@/x", "x~y",
		// Segments longer than a file name: cut and hashed.
		"long/" + strings.Repeat("x", 300), strings.Repeat("é", 100), strings.Repeat("z", 300) + "/" + strings.Repeat("z", 300) + ".parquet",
		strings.Repeat("k", MaxKeyBytes), strings.Repeat("/", MaxKeyBytes),
	}
	for _, k := range keys {
		sdkPut(t, c, k, "body of "+k)
	}
	for _, k := range keys {
		if got, _ := sdkGet(t, c, k); got != "body of "+k {
			t.Errorf("get %q = %q", k, got)
		}
	}
	listed, _, _ := listAll(t, c, &s3.ListObjectsV2Input{Bucket: aws.String("bkt")})
	if want := slices.Sorted(slices.Values(keys)); !slices.Equal(listed, want) {
		t.Errorf("listed %q, want %q", listed, want)
	}

	_, err := c.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String(strings.Repeat("k", MaxKeyBytes+1)), Body: strings.NewReader("x")})
	if apiCode(err) != "KeyTooLongError" || httpStatus(err) != http.StatusBadRequest {
		t.Errorf("put of a 1025-byte key: %v; want a 400 KeyTooLongError", err)
	}

	// Every file under the test's directory is an object of bkt, or its
	// sidecar, at the path ObjectPath names, or the layout's version, or
	// the bucket's settings.
	want := []string{"s3/.layout", "s3/.meta/bkt/" + bucketConfigName}
	for _, k := range keys {
		p, err := store.ObjectPath("bkt", k)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(tmp, p)
		metaRel, _ := filepath.Rel(filepath.Join(tmp, "s3", "bkt"), p)
		want = append(want, filepath.ToSlash(rel), "s3/.meta/bkt/"+filepath.ToSlash(metaRel))
	}
	slices.Sort(want)
	if got := filesUnder(t, tmp); !slices.Equal(got, want) {
		t.Errorf("files on disk:\n%q\nwant:\n%q", got, want)
	}
}

func TestS3ListObjectsV2Paging(t *testing.T) {
	store, _, c := startS3(t, "")
	store.noSync = true // bulk load; durability is another test's job
	var want []string
	for i := range 2500 {
		k := fmt.Sprintf("trades/dt=%02d/part-%04d.parquet", i%7, i)
		putString(t, store, "bkt", k, "x", nil)
		want = append(want, k)
	}
	slices.Sort(want)

	tests := []struct {
		name      string
		in        s3.ListObjectsV2Input
		wantKeys  []string
		wantPages int
	}{
		{"all, 1000 a page", s3.ListObjectsV2Input{MaxKeys: aws.Int32(1000)}, want, 3},
		{"default page size", s3.ListObjectsV2Input{}, want, 3},
		{"prefix, 100 a page", s3.ListObjectsV2Input{Prefix: aws.String("trades/dt=03/"), MaxKeys: aws.Int32(100)}, filterPrefix(want, "trades/dt=03/"), 4},
		{"start after", s3.ListObjectsV2Input{StartAfter: aws.String(want[2399]), MaxKeys: aws.Int32(1000)}, want[2400:], 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			in.Bucket = aws.String("bkt")
			keys, prefixes, pages := listAll(t, c, &in)
			if !slices.Equal(keys, tt.wantKeys) || len(prefixes) != 0 {
				t.Errorf("got %d keys (first diff at %d), %d prefixes; want %d keys", len(keys), firstDiff(keys, tt.wantKeys), len(prefixes), len(tt.wantKeys))
			}
			if pages != tt.wantPages {
				t.Errorf("%d pages, want %d", pages, tt.wantPages)
			}
		})
	}
}

func filterPrefix(keys []string, prefix string) []string {
	var out []string
	for _, k := range keys {
		if strings.HasPrefix(k, prefix) {
			out = append(out, k)
		}
	}
	return out
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func TestS3ListDelimiter(t *testing.T) {
	_, _, c := startS3(t, "")
	for _, k := range []string{"a/1", "a/2", "a/b/3", "b/c/d", "b/e", "top", "trailing/", "x-1", "x/y"} {
		sdkPut(t, c, k, k)
	}
	tests := []struct {
		prefix, delim string
		maxKeys       int32
		keys          []string
		prefixes      []string
	}{
		{"", "/", 0, []string{"top", "x-1"}, []string{"a/", "b/", "trailing/", "x/"}},
		{"", "/", 1, []string{"top", "x-1"}, []string{"a/", "b/", "trailing/", "x/"}},
		{"a/", "/", 0, []string{"a/1", "a/2"}, []string{"a/b/"}},
		{"b", "/", 0, nil, []string{"b/"}},
		{"b/", "/", 0, []string{"b/e"}, []string{"b/c/"}},
		{"trailing/", "/", 0, []string{"trailing/"}, nil},
		{"x", "/", 0, []string{"x-1"}, []string{"x/"}},
		{"a/", "", 0, []string{"a/1", "a/2", "a/b/3"}, nil},
		{"", "-", 0, []string{"a/1", "a/2", "a/b/3", "b/c/d", "b/e", "top", "trailing/", "x/y"}, []string{"x-"}},
		{"nope/", "/", 0, nil, nil},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q,%q,%d", tt.prefix, tt.delim, tt.maxKeys), func(t *testing.T) {
			in := &s3.ListObjectsV2Input{Bucket: aws.String("bkt"), Prefix: aws.String(tt.prefix), Delimiter: aws.String(tt.delim)}
			if tt.maxKeys > 0 {
				in.MaxKeys = aws.Int32(tt.maxKeys)
			}
			keys, prefixes, pages := listAll(t, c, in)
			if !slices.Equal(keys, tt.keys) || !slices.Equal(prefixes, tt.prefixes) {
				t.Errorf("keys %q prefixes %q, want %q %q", keys, prefixes, tt.keys, tt.prefixes)
			}
			if n := len(tt.keys) + len(tt.prefixes); tt.maxKeys == 1 && pages != n {
				t.Errorf("%d pages of one entry for %d entries", pages, n)
			}
		})
	}
}

func TestS3DurableAcrossRestart(t *testing.T) {
	ctx := t.Context()
	root := filepath.Join(t.TempDir(), "s3")
	store, err := OpenDiskStore(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.CreateBucket("bkt"); err != nil {
		t.Fatal(err)
	}
	srv, err := StartS3(store, "", &S3Options{Credentials: DefaultCredentials})
	if err != nil {
		t.Fatal(err)
	}
	c := newS3Client(srv.URL())
	objects := map[string]string{
		"trades/dt=2024-01-02/part-0.json": `{"sym":"ACME"}`,
		"trades/dt=2024-01-03/part-0.json": `{"sym":"INIT"}`,
		"empty":                            "",
		"é/日本":                             "unicode",
	}
	for k, body := range objects {
		_, err := c.PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String("bkt"), Key: aws.String(k), Body: strings.NewReader(body),
			ContentType: aws.String("application/json"), Metadata: map[string]string{"origin": k},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}

	store2, err := OpenDiskStore(root)
	if err != nil {
		t.Fatal(err)
	}
	srv2, err := StartS3(store2, "", &S3Options{Credentials: DefaultCredentials})
	if err != nil {
		t.Fatal(err)
	}
	defer srv2.Close()
	c2 := newS3Client(srv2.URL())
	for k, body := range objects {
		got, out := sdkGet(t, c2, k)
		if got != body || aws.ToString(out.ETag) != `"`+md5Hex(body)+`"` ||
			aws.ToString(out.ContentType) != "application/json" || out.Metadata["origin"] != k {
			t.Errorf("%q after restart: %q etag %s type %q meta %v", k, got, aws.ToString(out.ETag), aws.ToString(out.ContentType), out.Metadata)
		}
	}
	keys, _, _ := listAll(t, c2, &s3.ListObjectsV2Input{Bucket: aws.String("bkt")})
	if want := slices.Sorted(func(yield func(string) bool) {
		for k := range objects {
			if !yield(k) {
				return
			}
		}
	}); !slices.Equal(keys, want) {
		t.Errorf("listed %q after restart, want %q", keys, want)
	}
}

func TestS3IgnoresLeftoverTempFiles(t *testing.T) {
	store, _, c := startS3(t, "")
	sdkPut(t, c, "real", "1")
	for _, p := range []string{
		filepath.Join(store.tmpDir, "put-999"),
		filepath.Join(store.tmpDir, "deleted-bkt-1", "objects", "old"),
		filepath.Join(store.metaDir, "bkt", objectMark+"orphan"),
	} {
		if err := writeFileAll(p, "leftover"); err != nil {
			t.Fatal(err)
		}
	}
	keys, _, _ := listAll(t, c, &s3.ListObjectsV2Input{Bucket: aws.String("bkt")})
	if !slices.Equal(keys, []string{"real"}) {
		t.Errorf("listed %q, want only \"real\"", keys)
	}
	out, err := c.ListBuckets(t.Context(), &s3.ListBucketsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Buckets) != 1 || aws.ToString(out.Buckets[0].Name) != "bkt" {
		t.Errorf("buckets = %+v, want only bkt", out.Buckets)
	}
}

func writeFileAll(path, content string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(content), 0o644)
}

// TestS3ReservedBucketNames: the names AWS's naming rules reserve (shaped
// as an IP address; prefixes xn--, sthree-, amzn-s3-demo-; suffixes
// -s3alias, --ol-s3, .mrap, --x-s3, --table-s3) are InvalidBucketName 400
// and make no bucket; names that only come close are created. A bucket
// made before the rules (already on disk) is still served.
func TestS3ReservedBucketNames(t *testing.T) {
	ctx := t.Context()
	store, _, c := startS3(t, "")
	refused := []string{"192.168.1.1", "10.0.0.1", "xn--abc", "xn--ab", "sthree-x", "sthree-configurator", "amzn-s3-demo-x",
		"abc-s3alias", "b-s3alias", "abc--ol-s3", "x.mrap", "x--table-s3"}
	for _, name := range refused {
		_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)})
		if apiCode(err) != "InvalidBucketName" || httpStatus(err) != http.StatusBadRequest {
			t.Errorf("create %s: %v, want 400 InvalidBucketName", name, err)
		}
	}
	// The SDK takes a --x-s3 name for a directory bucket's, and asks for a
	// session first; TestS3ErrorDocuments sends one over plain HTTP.
	if err := store.CreateBucket("amzn-s3-demo-bucket--x-s3"); !hasS3Code(err, "InvalidBucketName") {
		t.Errorf("create amzn-s3-demo-bucket--x-s3 in the store: %v, want InvalidBucketName", err)
	}
	allowed := []string{"192.168.1", "1.2.3.4.5", "1.2.3.a", "axn--b", "my-sthree-x", "abc-s3aliasx", "x.mrapx", "x-x-s3", "x-ol-s3", "amzn-s3-demox"}
	for _, name := range allowed {
		if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
			t.Errorf("create %s: %v, want it made", name, err)
		}
	}
	out, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, b := range out.Buckets {
		names = append(names, aws.ToString(b.Name))
	}
	if want := append([]string{"bkt"}, allowed...); !slices.Equal(slices.Sorted(slices.Values(names)), slices.Sorted(slices.Values(want))) {
		t.Errorf("buckets = %q, want %q", names, want)
	}

	if err := os.Mkdir(filepath.Join(store.root, "xn--old"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("xn--old"), Key: aws.String("k"), Body: strings.NewReader("v")}); err != nil {
		t.Errorf("PUT into a bucket made before the rules: %v", err)
	}
	if _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("xn--old"), Key: aws.String("k")}); err != nil {
		t.Errorf("HEAD in a bucket made before the rules: %v", err)
	}
}

// TestS3ListObjectsV1NextMarker: a truncated ListObjects (v1) page carries
// NextMarker only when the request has a delimiter, as S3's; without one,
// the last key is the marker of the next page, and paging so lists every
// key once.
func TestS3ListObjectsV1NextMarker(t *testing.T) {
	ctx := t.Context()
	_, _, c := startS3(t, "")
	want := []string{"a", "b/1", "b/2", "c", "d"}
	for _, k := range want {
		sdkPut(t, c, k, "v")
	}
	var got []string
	marker := ""
	for range len(want) + 1 {
		out, err := c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: aws.String("bkt"), MaxKeys: aws.Int32(2), Marker: aws.String(marker)})
		if err != nil {
			t.Fatal(err)
		}
		if out.NextMarker != nil {
			t.Errorf("a page without a delimiter has NextMarker %q, want none", aws.ToString(out.NextMarker))
		}
		for _, o := range out.Contents {
			got = append(got, aws.ToString(o.Key))
		}
		if !aws.ToBool(out.IsTruncated) {
			break
		}
		marker = got[len(got)-1]
	}
	if !slices.Equal(got, want) {
		t.Errorf("paged by the last key: %q, want %q", got, want)
	}
	out, err := c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: aws.String("bkt"), MaxKeys: aws.Int32(2), Delimiter: aws.String("/")})
	if err != nil {
		t.Fatal(err)
	}
	if !aws.ToBool(out.IsTruncated) || aws.ToString(out.NextMarker) != "b/" {
		t.Errorf("with a delimiter: truncated %v, NextMarker %q, want truncated and b/", aws.ToBool(out.IsTruncated), aws.ToString(out.NextMarker))
	}
}

func TestS3Buckets(t *testing.T) {
	ctx := t.Context()
	_, _, c := startS3(t, "")
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("bkt")}); err != nil {
		t.Errorf("creating a bucket the caller owns: %v, want success (us-east-1)", err)
	}
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("other")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("Bad_Name")}); apiCode(err) != "InvalidBucketName" {
		t.Errorf("create Bad_Name: %v, want InvalidBucketName", err)
	}
	out, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, b := range out.Buckets {
		names = append(names, aws.ToString(b.Name))
	}
	if !slices.Equal(names, []string{"bkt", "other"}) {
		t.Errorf("buckets = %q", names)
	}
	sdkPut(t, c, "k", "v")
	if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("bkt")}); apiCode(err) != "BucketNotEmpty" || httpStatus(err) != http.StatusConflict {
		t.Errorf("delete non-empty bucket: %v, want 409 BucketNotEmpty", err)
	}
	if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("other")}); err != nil {
		t.Fatal(err)
	}
	var nf *types.NotFound
	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("other")}); !errors.As(err, &nf) {
		t.Errorf("head deleted bucket: %v, want NotFound", err)
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("other"), Key: aws.String("k"), Body: strings.NewReader("v")}); apiCode(err) != "NoSuchBucket" {
		t.Errorf("put into deleted bucket: %v, want NoSuchBucket", err)
	}
}

func TestS3ConditionalPut(t *testing.T) {
	ctx := t.Context()
	_, _, c := startS3(t, "")
	put := func(body string, in s3.PutObjectInput) error {
		in.Bucket, in.Key, in.Body = aws.String("bkt"), aws.String("k"), strings.NewReader(body)
		_, err := c.PutObject(ctx, &in)
		return err
	}
	etag1 := `"` + md5Hex("v1") + `"`
	tests := []struct {
		name string
		body string
		in   s3.PutObjectInput
		code string
	}{
		{"create if absent", "v1", s3.PutObjectInput{IfNoneMatch: aws.String("*")}, ""},
		{"create if absent, exists", "v2", s3.PutObjectInput{IfNoneMatch: aws.String("*")}, "PreconditionFailed"},
		{"if match, wrong", "v3", s3.PutObjectInput{IfMatch: aws.String(`"` + md5Hex("other") + `"`)}, "PreconditionFailed"},
		{"if match", "v4", s3.PutObjectInput{IfMatch: aws.String(etag1)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := put(tt.body, tt.in)
			if apiCode(err) != tt.code || (tt.code != "" && httpStatus(err) != http.StatusPreconditionFailed) {
				t.Errorf("put: %v, want code %q", err, tt.code)
			}
		})
	}
	if got, _ := sdkGet(t, c, "k"); got != "v4" {
		t.Errorf("k = %q, want v4", got)
	}
}

// TestS3ConditionalCompleteMultipart: a CompleteMultipartUpload with
// If-None-Match: * stores the object only if its key is absent, and of two
// racing for one key (with a conditional PutObject among them) exactly one
// wins.
func TestS3ConditionalCompleteMultipart(t *testing.T) {
	ctx := t.Context()
	_, _, c := startS3(t, "")
	complete := func(key, body string) error {
		up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("bkt"), Key: aws.String(key)})
		if err != nil {
			return err
		}
		part, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("bkt"), Key: aws.String(key), UploadId: up.UploadId,
			PartNumber: aws.Int32(1), Body: strings.NewReader(body)})
		if err != nil {
			return err
		}
		_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("bkt"), Key: aws.String(key),
			UploadId: up.UploadId, IfNoneMatch: aws.String("*"),
			MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{ETag: part.ETag, PartNumber: aws.Int32(1)}}}})
		return err
	}
	if err := complete("k", "first"); err != nil {
		t.Fatalf("complete if absent, absent: %v", err)
	}
	if err := complete("k", "second"); apiCode(err) != "PreconditionFailed" || httpStatus(err) != http.StatusPreconditionFailed {
		t.Errorf("complete if absent, present: %v, want 412 PreconditionFailed", err)
	}
	if got, _ := sdkGet(t, c, "k"); got != "first" {
		t.Errorf("k = %q, want the first upload's", got)
	}

	for round := range 10 {
		key := fmt.Sprintf("race/%d", round)
		errs := make([]error, 4)
		var wg sync.WaitGroup
		for i := range errs {
			wg.Go(func() {
				if i == 0 {
					_, errs[i] = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String(key),
						Body: strings.NewReader("put"), IfNoneMatch: aws.String("*")})
					return
				}
				errs[i] = complete(key, fmt.Sprint("upload ", i))
			})
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case apiCode(err) != "PreconditionFailed":
				t.Fatalf("round %d: %v, want success or PreconditionFailed", round, err)
			}
		}
		if won != 1 {
			t.Errorf("round %d: %d writers of one key with If-None-Match: * succeeded, want 1", round, won)
		}
	}
}

func TestS3CopyAndMultipart(t *testing.T) {
	ctx := t.Context()
	store, _, c := startS3(t, "")
	_, err := c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String("bkt"), Key: aws.String("src/a.txt"), Body: strings.NewReader("copy me"),
		ContentType: aws.String("text/plain"), Metadata: map[string]string{"m": "1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{
		Bucket: aws.String("bkt"), Key: aws.String("dst/b.txt"), CopySource: aws.String("bkt/src/a.txt"),
	}); err != nil {
		t.Fatal(err)
	}
	if got, out := sdkGet(t, c, "dst/b.txt"); got != "copy me" || aws.ToString(out.ContentType) != "text/plain" || out.Metadata["m"] != "1" {
		t.Errorf("copy = %q type %q meta %v", got, aws.ToString(out.ContentType), out.Metadata)
	}

	parts := [][]byte{bytes.Repeat([]byte("a"), 5<<20), []byte("tail")}
	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("bkt"), Key: aws.String("big/file")})
	if err != nil {
		t.Fatal(err)
	}
	var done []types.CompletedPart
	for i, p := range parts {
		out, err := c.UploadPart(ctx, &s3.UploadPartInput{
			Bucket: aws.String("bkt"), Key: aws.String("big/file"), UploadId: up.UploadId,
			PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(p),
		})
		if err != nil {
			t.Fatal(err)
		}
		done = append(done, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(int32(i + 1))})
	}
	if _, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: aws.String("bkt"), Key: aws.String("big/file"), UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: done},
	}); err != nil {
		t.Fatal(err)
	}
	path, err := store.ObjectPath("bkt", "big/file")
	if err != nil {
		t.Fatal(err)
	}
	onDisk, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := bytes.Join(parts, nil); !bytes.Equal(onDisk, want) {
		t.Errorf("completed upload on disk: %d bytes, want %d", len(onDisk), len(want))
	}
}

func TestS3FaultInjection(t *testing.T) {
	_, srv, _ := startS3(t, "")
	c := newS3Client(srv.URL(), func(o *s3.Options) { o.RetryMaxAttempts = 1 })
	ctx := t.Context()
	sdkPut(t, c, "existing", "v")

	tests := []struct {
		status int
		code   string
	}{
		{http.StatusInternalServerError, "InternalError"},
		{http.StatusServiceUnavailable, "SlowDown"},
		{http.StatusForbidden, "AccessDenied"},
		{http.StatusTooManyRequests, "TooManyRequests"},
		{200, "InternalError"}, // not an error status: sent as 500
	}
	for _, tt := range tests {
		t.Run(tt.code+fmt.Sprint(tt.status), func(t *testing.T) {
			srv.InjectFaults(func(r *http.Request) (int, bool) {
				return tt.status, r.Method == http.MethodPut
			})
			defer srv.InjectFaults(nil)
			_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("k"), Body: strings.NewReader("v")})
			wantStatus := tt.status
			if wantStatus < 400 {
				wantStatus = http.StatusInternalServerError
			}
			if httpStatus(err) != wantStatus || apiCode(err) != tt.code {
				t.Errorf("put: %v; want status %d, code %s", err, wantStatus, tt.code)
			}
			if got, _ := sdkGet(t, c, "existing"); got != "v" {
				t.Errorf("GET, which the fault skips, = %q", got)
			}
			var nf *types.NotFound
			if _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("bkt"), Key: aws.String("k")}); !errors.As(err, &nf) {
				t.Errorf("the failed put stored something: head = %v", err)
			}
		})
	}
	sdkPut(t, c, "k", "after")
	if got, _ := sdkGet(t, c, "k"); got != "after" {
		t.Errorf("after InjectFaults(nil): k = %q", got)
	}
}

func TestS3FaultsAreRetriedBySDK(t *testing.T) {
	_, srv, _ := startS3(t, "")
	c := newS3Client(srv.URL(), func(o *s3.Options) {
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = 3
			so.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		})
	})
	var attempts atomic.Int32
	srv.InjectFaults(func(r *http.Request) (int, bool) {
		if r.Method != http.MethodPut {
			return 0, false
		}
		return http.StatusServiceUnavailable, attempts.Add(1) <= 2
	})
	sdkPut(t, c, "flaky", "made it")
	if n := attempts.Load(); n != 3 {
		t.Errorf("%d attempts, want 2 failures and a success", n)
	}
	if got, _ := sdkGet(t, c, "flaky"); got != "made it" {
		t.Errorf("flaky = %q", got)
	}
}

func TestS3ServerLifecycle(t *testing.T) {
	store, err := OpenDiskStore(filepath.Join(t.TempDir(), "s3"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := StartS3(store, "0.0.0.0:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	host, port, err := net.SplitHostPort(strings.TrimPrefix(srv.URL(), "http://"))
	if err != nil || host != "127.0.0.1" || port == "0" || !strings.HasPrefix(srv.URL(), "http://") {
		t.Errorf("URL() = %q, want http://127.0.0.1:<port> (%v)", srv.URL(), err)
	}
	if _, err := StartS3(store, net.JoinHostPort("127.0.0.1", port), nil); err == nil {
		t.Error("StartS3 on a busy port succeeded")
	}
	c := newS3Client(srv.URL(), func(o *s3.Options) { o.RetryMaxAttempts = 1 })
	if _, err := c.ListBuckets(t.Context(), &s3.ListBucketsInput{}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := c.ListBuckets(t.Context(), &s3.ListBucketsInput{}); err == nil {
		t.Error("the server still answers after Close")
	}
	if _, err := StartS3(nil, "", nil); err == nil {
		t.Error("StartS3(nil) succeeded")
	}
}

// TestS3ListBucketsPaged: ListBuckets pages by max-buckets with a
// continuation token, and filters by prefix.
func TestS3ListBucketsPaged(t *testing.T) {
	ctx := t.Context()
	_, _, c := startS3(t, "")
	for _, b := range []string{"page-a", "page-b", "page-c"} {
		if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	var token *string
	for pages := 0; ; pages++ {
		out, err := c.ListBuckets(ctx, &s3.ListBucketsInput{MaxBuckets: aws.Int32(2), Prefix: aws.String("page-"), ContinuationToken: token})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Buckets) > 2 {
			t.Fatalf("a page of %d buckets, want at most 2", len(out.Buckets))
		}
		for _, b := range out.Buckets {
			got = append(got, aws.ToString(b.Name))
		}
		if token = out.ContinuationToken; token == nil {
			if pages != 1 {
				t.Errorf("%d pages, want 2", pages+1)
			}
			break
		}
	}
	if strings.Join(got, ",") != "page-a,page-b,page-c" {
		t.Errorf("buckets listed: %v", got)
	}
}

// TestS3CloseNamesOnlyRunningRequests: Close with a connection dialed but
// never used (a client's spare) succeeds; with a request still being
// served after the grace period it says so.
func TestS3CloseNamesOnlyRunningRequests(t *testing.T) {
	store, err := OpenDiskStore(filepath.Join(t.TempDir(), "s3"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := StartS3(store, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	spare, err := net.Dial("tcp", strings.TrimPrefix(srv.URL(), "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer spare.Close()
	if err := srv.Close(); err != nil {
		t.Errorf("Close with an unused connection: %v", err)
	}

	srv, err = StartS3(store, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	release, held := make(chan struct{}), make(chan struct{})
	srv.InjectFaults(func(*http.Request) (int, bool) {
		close(held)
		<-release
		return http.StatusServiceUnavailable, true
	})
	go http.Get(srv.URL() + "/bkt/k")
	<-held
	err = srv.Close()
	close(release)
	if err == nil || !strings.Contains(err.Error(), "1 requests still running") {
		t.Errorf("Close with a request held: %v, want it named", err)
	}
}
