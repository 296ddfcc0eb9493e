package catalog

import "testing"

func TestSplitS3URI(t *testing.T) {
	for _, c := range []struct {
		uri, bucket, key string
		ok               bool
	}{
		{"s3://b/ticks/dt=1/", "b", "ticks/dt=1/", true},
		{"s3://b", "b", "", true},
		{"s3://b/", "b", "", true},
		{"S3://b/k", "", "", false},
		{"/b/k", "", "", false},
	} {
		b, k, ok := SplitS3URI(c.uri)
		if b != c.bucket || k != c.key || ok != c.ok {
			t.Errorf("SplitS3URI(%q) = %q, %q, %v; want %q, %q, %v", c.uri, b, k, ok, c.bucket, c.key, c.ok)
		}
		if ok && S3URI(b, k) != c.uri && c.uri != "s3://b" {
			t.Errorf("S3URI(%q, %q) = %q, want %q", b, k, S3URI(b, k), c.uri)
		}
	}
}
