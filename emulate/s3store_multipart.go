package emulate

import (
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Multipart uploads live on disk, each in its own directory:
//
//	<root>/.uploads/<id>/upload.json       bucket, key, initiation time, the object's metadata
//	<root>/.uploads/<id>/part-00001        a part's bytes, fsynced before UploadPart answers
//	<root>/.uploads/<id>/part-00001.json   its size, mtime, ETag and checksum
//	<root>/.uploads/<id>/completed.json    once completed: the result, for a retried Complete
//
// A part's JSON is renamed into place after its bytes and names their size
// and mtime, as an object's sidecar does: a part whose JSON does not match
// its file (a crash between the two renames) is not listed, and the client
// uploads it again.

// MinPartSize is the least size of every part but the last of a completed
// multipart upload (EntityTooSmall otherwise).
const MinPartSize = 5 << 20

// MaxPartNumber is the highest part number S3 accepts.
const MaxPartNumber = 10000

// Upload is a multipart upload in progress, or just completed.
type Upload struct {
	ID        string     `json:"-"`
	Bucket    string     `json:"bucket"`
	Key       string     `json:"key"`
	Initiated time.Time  `json:"initiated"`
	Initiator Owner      `json:"initiator"`
	Meta      ObjectMeta `json:"meta"` // the object's, once completed; Checksum names the algorithm and type only
	// Completed is the object the upload made, once it is completed: a
	// client that retries CompleteMultipartUpload gets it again, as from
	// S3. Every other call on the upload is NoSuchUpload then.
	Completed *CompletedUpload `json:"-"`
}

// CompletedUpload is what completing an upload made.
type CompletedUpload struct {
	Parts []CompletedPart `json:"parts"`
	Info  ObjectInfo      `json:"info"`
}

// completedTTL is how long a completed upload is remembered for retries.
const completedTTL = time.Hour

type partSidecar struct {
	PartInfo
	MTimeNano int64 `json:"mtime_unix_nano"`
}

func (s *DiskStore) uploadDir(id string) string { return filepath.Join(s.uploadsDir, id) }

func partFile(n int) string { return fmt.Sprintf("part-%05d", n) }

// newUploadID returns a fresh, unguessable upload ID. It never starts with
// "-", which command lines would read as an option (the AWS CLI's
// --upload-id refuses one), nor "_".
func newUploadID() string {
	for {
		var b [18]byte
		rand.Read(b[:])
		if id := base64.RawURLEncoding.EncodeToString(b[:]); id[0] != '-' && id[0] != '_' {
			return id
		}
	}
}

// validUploadID reports whether id could be one of newUploadID's, so that
// it is one harmless path segment.
func validUploadID(id string) bool {
	if len(id) != 24 {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(id)
	return err == nil
}

// CreateUpload starts a multipart upload of key in bucket. Errors:
// NoSuchBucket, KeyTooLongError.
func (s *DiskStore) CreateUpload(bucket, key string, initiator Owner, meta ObjectMeta) (Upload, error) {
	if _, err := s.locate(bucket, key); err != nil {
		return Upload{}, err
	}
	if !s.BucketExists(bucket) {
		return Upload{}, errNoSuchBucket(bucket)
	}
	s.forgetCompleted()
	u := Upload{ID: newUploadID(), Bucket: bucket, Key: key, Initiated: time.Now().UTC(), Initiator: initiator, Meta: meta}
	b, err := json.Marshal(u)
	if err != nil {
		return Upload{}, err
	}
	dir := s.uploadDir(u.ID)
	if err := os.Mkdir(dir, 0o755); err != nil {
		return Upload{}, s.wrote(dir, fmt.Errorf("create multipart upload: %w", err))
	}
	if err := s.writeFileDurably(filepath.Join(dir, "upload.json"), b); err != nil {
		os.RemoveAll(dir)
		return Upload{}, fmt.Errorf("create multipart upload: %w", err)
	}
	if err := s.syncDir(s.uploadsDir); err != nil {
		return Upload{}, fmt.Errorf("create multipart upload: %w", err)
	}
	return u, nil
}

func (s *DiskStore) readUpload(id string) (Upload, error) {
	var u Upload
	if !validUploadID(id) {
		return u, errNoSuchUpload(id)
	}
	b, err := os.ReadFile(filepath.Join(s.uploadDir(id), "upload.json"))
	if err != nil || json.Unmarshal(b, &u) != nil {
		return u, errNoSuchUpload(id)
	}
	u.ID = id
	if b, err := os.ReadFile(filepath.Join(s.uploadDir(id), "completed.json")); err == nil {
		var c CompletedUpload
		if json.Unmarshal(b, &c) == nil {
			u.Completed = &c
		}
	}
	return u, nil
}

// forgetCompleted removes the records of uploads completed more than
// completedTTL ago, at most once a minute.
func (s *DiskStore) forgetCompleted() {
	now := time.Now()
	if last := s.lastForget.Load(); last != nil && now.Sub(*last) < time.Minute {
		return
	}
	s.lastForget.Store(&now)
	ents, _ := os.ReadDir(s.uploadsDir)
	for _, e := range ents {
		fi, err := os.Stat(filepath.Join(s.uploadsDir, e.Name(), "completed.json"))
		if err == nil && now.Sub(fi.ModTime()) > completedTTL {
			os.RemoveAll(filepath.Join(s.uploadsDir, e.Name()))
		}
	}
}

// GetUpload returns the upload id of key in bucket: NoSuchUpload if there
// is none (or it is another key's), NoSuchBucket if the bucket is gone. A
// completed upload has Completed set.
func (s *DiskStore) GetUpload(bucket, key, id string) (Upload, error) {
	if !s.BucketExists(bucket) {
		return Upload{}, errNoSuchBucket(bucket)
	}
	u, err := s.readUpload(id)
	if err != nil || u.Bucket != bucket || u.Key != key {
		return Upload{}, errNoSuchUpload(id)
	}
	return u, nil
}

// ListUploads returns the bucket's uploads in progress, by key, then by
// initiation time.
func (s *DiskStore) ListUploads(bucket string) ([]Upload, error) {
	if !s.BucketExists(bucket) {
		return nil, errNoSuchBucket(bucket)
	}
	var out []Upload
	for _, id := range s.uploadsOf(bucket) {
		if u, err := s.readUpload(id); err == nil && u.Completed == nil {
			out = append(out, u)
		}
	}
	slices.SortFunc(out, func(a, b Upload) int {
		if c := strings.Compare(a.Key, b.Key); c != 0 {
			return c
		}
		if c := a.Initiated.Compare(b.Initiated); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// checksummedBody is a body that computes an additional checksum as it is
// read (see bodyReader).
type checksummedBody interface {
	Checksum() *Checksum
}

// PutPart stores part n of upload u from body (size bytes), replacing an
// earlier part n. Errors: IncompleteBody, the body's own (BadDigest),
// NoSuchUpload if the upload ended meanwhile.
func (s *DiskStore) PutPart(u Upload, n int, body io.Reader, size int64) (PartInfo, error) {
	op := fmt.Sprintf("upload part %d of s3://%s/%s", n, u.Bucket, u.Key)
	t, err := s.writeTemp(body)
	if err != nil {
		return PartInfo{}, s.wrapWrite(op, err)
	}
	defer t.discard()
	if size >= 0 && t.size != size {
		return PartInfo{}, s3Err("IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header: %d bytes received, %d announced", t.size, size)
	}
	p := PartInfo{Number: n, Size: t.size, ETag: hex.EncodeToString(t.md5), LastModified: t.mtime.UTC()}
	if cb, ok := body.(checksummedBody); ok {
		p.Checksum = cb.Checksum()
	}
	return p, s.installPart(u, &t, p, op)
}

// installPart renames a written part into place with its description.
func (s *DiskStore) installPart(u Upload, t *tempFile, p PartInfo, op string) error {
	b, err := json.Marshal(partSidecar{PartInfo: p, MTimeNano: t.mtime.UnixNano()})
	if err != nil {
		return err
	}
	sc, err := s.writeTemp(strings.NewReader(string(b)))
	if err != nil {
		return s.wrapWrite(op, err)
	}
	defer sc.discard()
	s.mu.Lock()
	defer s.mu.Unlock()
	dir := s.uploadDir(u.ID)
	if !isDir(dir) {
		return errNoSuchUpload(u.ID)
	}
	if err := t.renameTo(filepath.Join(dir, partFile(p.Number))); err != nil {
		return s.wrapWrite(op, err)
	}
	if err := sc.renameTo(filepath.Join(dir, partFile(p.Number)+".json")); err != nil {
		return s.wrapWrite(op, err)
	}
	return s.syncDir(dir)
}

// ListParts returns the upload's parts in part-number order.
func (s *DiskStore) ListParts(u Upload) ([]PartInfo, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	dir := s.uploadDir(u.ID)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, errNoSuchUpload(u.ID)
	}
	var out []PartInfo
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || !strings.HasPrefix(name, "part-") {
			continue
		}
		var sc partSidecar
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil || json.Unmarshal(b, &sc) != nil {
			continue
		}
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.Size() != sc.Size || fi.ModTime().UnixNano() != sc.MTimeNano || name != partFile(sc.Number) {
			continue // the part's bytes and description disagree: not uploaded
		}
		out = append(out, sc.PartInfo)
	}
	slices.SortFunc(out, func(a, b PartInfo) int { return a.Number - b.Number })
	return out, nil
}

// AbortUpload ends an upload and removes its parts.
func (s *DiskStore) AbortUpload(u Upload) error {
	s.mu.Lock()
	dir := s.uploadDir(u.ID)
	trash := filepath.Join(s.tmpDir, "aborted-"+u.ID)
	err := os.Rename(dir, trash)
	s.mu.Unlock()
	if isNotFound(err) {
		return errNoSuchUpload(u.ID)
	} else if err != nil {
		return fmt.Errorf("abort upload %s: %w", u.ID, err)
	}
	s.syncDir(s.uploadsDir)
	return os.RemoveAll(trash)
}

// CompletedPart is a part as CompleteMultipartUpload names it.
type CompletedPart struct {
	Number   int
	ETag     string // quoted or not
	Checksum string // the part's checksum of the upload's algorithm, if the client sent it
}

// CompleteUpload makes the object from the named parts, in order, with the
// upload's metadata and opts' conditions, and ends the upload. Its ETag is
// S3's: the MD5 of the parts' MD5s, "-", the number of parts. Errors:
// InvalidPartOrder, InvalidPart (a part not uploaded, or of another ETag or
// checksum), EntityTooSmall, PreconditionFailed, NoSuchUpload.
func (s *DiskStore) CompleteUpload(u Upload, parts []CompletedPart, opts *PutOptions) (ObjectInfo, error) {
	op := fmt.Sprintf("complete the upload of s3://%s/%s", u.Bucket, u.Key)
	if c := u.Completed; c != nil {
		if !slices.EqualFunc(c.Parts, parts, func(a, b CompletedPart) bool {
			return a.Number == b.Number && strings.Trim(a.ETag, `"`) == strings.Trim(b.ETag, `"`)
		}) {
			return ObjectInfo{}, errNoSuchUpload(u.ID)
		}
		return c.Info, nil
	}
	l, err := s.locate(u.Bucket, u.Key)
	if err != nil {
		return ObjectInfo{}, err
	}
	have, err := s.ListParts(u)
	if err != nil {
		return ObjectInfo{}, err
	}
	byNumber := map[int]PartInfo{}
	for _, p := range have {
		byNumber[p.Number] = p
	}
	var used []PartInfo
	for i, cp := range parts {
		if i > 0 && cp.Number <= parts[i-1].Number {
			return ObjectInfo{}, s3Err("InvalidPartOrder", "The list of parts was not in ascending order. The parts list must be specified in order by part number.")
		}
		p, ok := byNumber[cp.Number]
		if !ok || strings.Trim(cp.ETag, `"`) != p.ETag {
			return ObjectInfo{}, s3Err("InvalidPart", "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.").
				with("PartNumber", strconv.Itoa(cp.Number)).with("ETag", cp.ETag)
		}
		if cp.Checksum != "" && (p.Checksum == nil || p.Checksum.Value != cp.Checksum) {
			return ObjectInfo{}, s3Err("InvalidPart", "The checksum of part %d does not match the checksum its upload computed", cp.Number).
				with("PartNumber", strconv.Itoa(cp.Number))
		}
		used = append(used, p)
	}
	for i, p := range used[:max(len(used)-1, 0)] {
		if p.Size < MinPartSize {
			return ObjectInfo{}, s3Err("EntityTooSmall", "Your proposed upload is smaller than the minimum allowed object size. Each part must be at least 5 MB in size, except the last part.").
				with("ProposedSize", strconv.FormatInt(p.Size, 10)).with("MinSizeAllowed", strconv.Itoa(MinPartSize)).
				with("PartNumber", strconv.Itoa(used[i].Number)).with("ETag", p.ETag)
		}
	}

	meta := u.Meta
	meta.Parts = used
	var full hash.Hash // a full-object checksum, computed over the bytes
	if c := meta.Checksum; c != nil {
		if c.Type == "FULL_OBJECT" {
			full = newChecksumHash(c.Algorithm)
		} else {
			meta.Checksum = compositeChecksum(c.Algorithm, used)
		}
	}
	t, err := s.concatParts(u, used, full)
	if err != nil {
		return ObjectInfo{}, s.wrapWrite(op, err)
	}
	defer t.discard()
	if full != nil {
		meta.Checksum = &Checksum{Algorithm: meta.Checksum.Algorithm, Value: base64.StdEncoding.EncodeToString(full.Sum(nil)), Type: "FULL_OBJECT"}
	}
	if opts != nil && opts.Checksum != "" && (meta.Checksum == nil || meta.Checksum.Value != opts.Checksum) {
		return ObjectInfo{}, s3Err("BadDigest", "The %s you specified did not match the calculated checksum.", u.Meta.Checksum.Algorithm)
	}
	sum := md5.New()
	for _, p := range used {
		b, _ := hex.DecodeString(p.ETag)
		sum.Write(b)
	}
	etag := fmt.Sprintf("%x-%d", sum.Sum(nil), len(used))
	info, err := s.install(l, t, etag, meta, opts)
	if err != nil {
		return ObjectInfo{}, err
	}
	// The object is in place: keep the result for retries, drop the parts.
	if b, err := json.Marshal(CompletedUpload{Parts: parts, Info: info}); err == nil {
		s.writeFileDurably(filepath.Join(s.uploadDir(u.ID), "completed.json"), b)
	}
	for _, p := range have {
		os.Remove(filepath.Join(s.uploadDir(u.ID), partFile(p.Number)))
		os.Remove(filepath.Join(s.uploadDir(u.ID), partFile(p.Number)+".json"))
	}
	return info, nil
}

// concatParts writes the parts, in order, into one new temp file (with
// full, if not nil, hashing the bytes on the way).
func (s *DiskStore) concatParts(u Upload, parts []PartInfo, full hash.Hash) (*tempFile, error) {
	f, err := os.CreateTemp(s.tmpDir, "complete-*")
	if err != nil {
		return nil, s.wrote(s.tmpDir, err)
	}
	t := &tempFile{path: f.Name()}
	fail := func(err error) (*tempFile, error) {
		f.Close()
		t.discard()
		return nil, s.wrote(t.path, err)
	}
	for _, p := range parts {
		pf, err := os.Open(filepath.Join(s.uploadDir(u.ID), partFile(p.Number)))
		if isNotFound(err) {
			return fail(errNoSuchUpload(u.ID))
		} else if err != nil {
			return fail(err)
		}
		var n int64
		if full != nil {
			n, err = io.Copy(f, io.TeeReader(pf, full))
		} else {
			n, err = io.Copy(f, pf) // copy_file_range where the file system has it
		}
		pf.Close()
		if err != nil {
			return fail(err)
		}
		if n != p.Size {
			return fail(fmt.Errorf("part %d changed while the upload completed", p.Number))
		}
		t.size += n
	}
	if !s.noSync {
		if err := f.Sync(); err != nil {
			return fail(err)
		}
	}
	if err := f.Close(); err != nil {
		t.discard()
		return nil, s.wrote(t.path, err)
	}
	fi, err := os.Stat(t.path)
	if err != nil {
		t.discard()
		return nil, err
	}
	t.mtime = fi.ModTime()
	return t, nil
}
