package emulate

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// BucketConfig is a bucket's owner and settings, kept in
// <root>/.meta/<bucket>/.bucket.json.
type BucketConfig struct {
	// Owner is the zero Owner for a bucket whose settings file is missing
	// (made by hand, or by an older build): the front end gives it to its
	// default identity.
	Owner   Owner     `json:"owner"`
	Created time.Time `json:"created"`
	// Region is the bucket's LocationConstraint; "" is us-east-1.
	Region string `json:"region,omitempty"`
	// ACL is nil for a bucket private to its owner.
	ACL *ACL `json:"acl,omitempty"`
	// Ownership is the bucket's object ownership setting (ObjectWriter,
	// BucketOwnerPreferred, BucketOwnerEnforced); "" when none was set.
	Ownership string `json:"ownership,omitempty"`
	// Versioning is "", Enabled or Suspended.
	Versioning string `json:"versioning,omitempty"`
	// Tags is nil when the bucket has no tag set.
	Tags              []Tag              `json:"tags,omitempty"`
	CORS              []CORSRule         `json:"cors,omitempty"`
	Policy            string             `json:"policy,omitempty"`
	PublicAccessBlock *PublicAccessBlock `json:"public_access_block,omitempty"`
}

// PublicAccessBlock is a bucket's block-public-access setting.
type PublicAccessBlock struct {
	BlockPublicAcls       bool `json:"block_public_acls"`
	IgnorePublicAcls      bool `json:"ignore_public_acls"`
	BlockPublicPolicy     bool `json:"block_public_policy"`
	RestrictPublicBuckets bool `json:"restrict_public_buckets"`
}

// bucketConfigName is the settings file in a bucket's .meta directory. No
// escaped segment starts with a dot, so no object's sidecar has this name.
const bucketConfigName = ".bucket.json"

func (s *DiskStore) bucketConfigPath(name string) string {
	return filepath.Join(s.metaDir, name, bucketConfigName)
}

// BucketExists reports whether the bucket exists. An invalid name does not.
func (s *DiskStore) BucketExists(name string) bool {
	return checkBucketName(name) == nil && isDir(filepath.Join(s.root, name))
}

// Bucket returns a bucket's settings. Errors: NoSuchBucket.
func (s *DiskStore) Bucket(name string) (BucketConfig, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.bucketLocked(name)
}

func (s *DiskStore) bucketLocked(name string) (BucketConfig, error) {
	if checkBucketName(name) != nil {
		return BucketConfig{}, errNoSuchBucket(name)
	}
	fi, err := os.Stat(filepath.Join(s.root, name))
	if err != nil || !fi.IsDir() {
		return BucketConfig{}, errNoSuchBucket(name)
	}
	var c BucketConfig
	if b, err := os.ReadFile(s.bucketConfigPath(name)); err == nil && json.Unmarshal(b, &c) == nil {
		return c, nil
	}
	return BucketConfig{Created: fi.ModTime()}, nil
}

// BucketInfo is a bucket's name and settings.
type BucketInfo struct {
	Name   string
	Config BucketConfig
}

// ListBuckets returns every bucket in name order.
func (s *DiskStore) ListBuckets() ([]BucketInfo, error) {
	entries, err := os.ReadDir(s.root)
	if err != nil {
		return nil, fmt.Errorf("list buckets in %s: %w", s.root, err)
	}
	var out []BucketInfo
	for _, e := range entries {
		if !e.IsDir() || checkBucketName(e.Name()) != nil {
			continue
		}
		c, err := s.Bucket(e.Name())
		if err != nil {
			continue // removed since ReadDir
		}
		out = append(out, BucketInfo{Name: e.Name(), Config: c})
	}
	return out, nil
}

// CreateBucket creates a bucket owned by the emulator's default identity,
// or does nothing if it exists. An invalid name is InvalidBucketName.
func (s *DiskStore) CreateBucket(name string) error {
	err := s.createBucket(name, BucketConfig{})
	if hasS3Code(err, "BucketAlreadyOwnedByYou") || hasS3Code(err, "BucketAlreadyExists") {
		return nil
	}
	return err
}

// createBucket creates a bucket with settings c. If the bucket exists, the
// error is BucketAlreadyOwnedByYou when c.Owner owns it and
// BucketAlreadyExists otherwise; the front end decides what to answer. An
// invalid name is InvalidBucketName.
func (s *DiskStore) createBucket(name string, c BucketConfig) error {
	if err := checkNewBucketName(name); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	dir := filepath.Join(s.root, name)
	if cur, err := s.bucketLocked(name); err == nil {
		if cur.Owner == c.Owner || cur.Owner == (Owner{}) {
			return s3Err("BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded and you already own it.").with("BucketName", name)
		}
		return s3Err("BucketAlreadyExists", "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.").with("BucketName", name)
	}
	if c.Created.IsZero() {
		c.Created = time.Now()
	}
	if err := os.MkdirAll(filepath.Join(s.metaDir, name), 0o755); err != nil {
		return s.wrote(s.metaDir, fmt.Errorf("create bucket %s: %w", name, err))
	}
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	// The settings first: a crash before the bucket's directory exists
	// leaves no bucket.
	if err := s.writeFileDurably(s.bucketConfigPath(name), b); err != nil {
		return fmt.Errorf("create bucket %s: %w", name, err)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		return s.wrote(dir, fmt.Errorf("create bucket %s: %w", name, err))
	}
	if err := errors.Join(s.syncDir(s.root), s.syncDir(s.metaDir)); err != nil {
		return fmt.Errorf("create bucket %s: %w", name, err)
	}
	return nil
}

// UpdateBucket changes a bucket's settings: fn edits them, and they are
// written back durably. Errors: NoSuchBucket, fn's.
func (s *DiskStore) UpdateBucket(name string, fn func(*BucketConfig) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.bucketLocked(name)
	if err != nil {
		return err
	}
	if err := fn(&c); err != nil {
		return err
	}
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(s.metaDir, name), 0o755); err != nil {
		return s.wrote(s.metaDir, err)
	}
	if err := s.writeFileDurably(s.bucketConfigPath(name), b); err != nil {
		return fmt.Errorf("update bucket %s: %w", name, err)
	}
	return nil
}

// DeleteBucket deletes an empty bucket: NoSuchBucket if it does not exist,
// BucketNotEmpty if it holds an object. Its unfinished multipart uploads
// are aborted.
func (s *DiskStore) DeleteBucket(name string) error {
	return s.deleteBucket(name, false)
}

// ForceDeleteBucket deletes a bucket and every object in it.
func (s *DiskStore) ForceDeleteBucket(name string) error {
	return s.deleteBucket(name, true)
}

func (s *DiskStore) deleteBucket(name string, force bool) error {
	trash, err := s.detachBucket(name, force)
	if err != nil {
		return err
	}
	// The bucket is gone once detached; removing its files can take a
	// while, so it happens outside the lock.
	if err := os.RemoveAll(trash); err != nil {
		return fmt.Errorf("delete bucket %s: remove its files: %w", name, err)
	}
	for _, u := range s.uploadsOf(name) {
		os.RemoveAll(filepath.Join(s.uploadsDir, u))
	}
	return nil
}

// detachBucket moves the bucket's object and sidecar trees into a new
// directory under .tmp, atomically with respect to other operations, and
// returns that directory.
func (s *DiskStore) detachBucket(name string, force bool) (string, error) {
	if checkBucketName(name) != nil {
		return "", errNoSuchBucket(name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	dir := filepath.Join(s.root, name)
	if !isDir(dir) {
		return "", errNoSuchBucket(name)
	}
	if !force {
		has, err := hasObject(dir)
		if err != nil {
			return "", fmt.Errorf("delete bucket %s: %w", name, err)
		}
		if !has {
			// Noncurrent versions and delete markers count, as in S3.
			w := lister{s: s, bucket: name, versions: true}
			_, has = w.firstKey(filepath.Join(s.versionsDir, name))
		}
		if has {
			return "", s3Err("BucketNotEmpty", "The bucket you tried to delete is not empty").with("BucketName", name)
		}
	}
	trash, err := os.MkdirTemp(s.tmpDir, "deleted-"+name+"-*")
	if err != nil {
		return "", fmt.Errorf("delete bucket %s: %w", name, err)
	}
	if err := os.Rename(dir, filepath.Join(trash, "objects")); err != nil {
		os.Remove(trash)
		return "", fmt.Errorf("delete bucket %s: %w", name, err)
	}
	if err := os.Rename(filepath.Join(s.metaDir, name), filepath.Join(trash, "meta")); err != nil && !isNotFound(err) {
		return "", fmt.Errorf("delete bucket %s: %w", name, err)
	}
	if err := os.Rename(filepath.Join(s.versionsDir, name), filepath.Join(trash, "versions")); err != nil && !isNotFound(err) {
		return "", fmt.Errorf("delete bucket %s: %w", name, err)
	}
	if err := errors.Join(s.syncDir(s.root), s.syncDir(s.metaDir), s.syncDir(s.versionsDir)); err != nil {
		return "", fmt.Errorf("delete bucket %s: %w", name, err)
	}
	return trash, nil
}

// hasObject reports whether the tree at dir holds at least one object file.
func hasObject(dir string) (bool, error) {
	f, err := os.Open(dir)
	if isNotFound(err) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	defer f.Close()
	for {
		entries, err := f.ReadDir(256)
		for _, e := range entries {
			if _, ok := parseEntry(e.Name(), e.IsDir()); !ok {
				continue
			}
			switch {
			case e.Type().IsRegular():
				return true, nil
			case e.IsDir():
				if has, err := hasObject(filepath.Join(dir, e.Name())); has || err != nil {
					return has, err
				}
			}
		}
		if errors.Is(err, io.EOF) {
			return false, nil
		} else if err != nil {
			return false, err
		}
	}
}

// uploadsOf returns the IDs of the bucket's multipart uploads, sorted.
func (s *DiskStore) uploadsOf(bucket string) []string {
	ents, _ := os.ReadDir(s.uploadsDir)
	var out []string
	for _, e := range ents {
		if u, err := s.readUpload(e.Name()); err == nil && u.Bucket == bucket {
			out = append(out, e.Name())
		}
	}
	slices.Sort(out)
	return out
}
