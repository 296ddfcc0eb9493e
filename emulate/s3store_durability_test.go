package emulate

// The store's durability promise, checked where it can fail: a PUT's body is
// written to a temporary file, fsynced, renamed into place and its
// directory fsynced before PutObject returns (seen in the system calls of a
// process that PUTs, traced by strace); and a process killed in the middle
// of a PUT never leaves part of an object visible. Both run the store in a
// child process: this test binary, run again as storeChild.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The child's environment: what to do, the store's root, and the bucket.
const (
	childEnv       = "EMULATE_STORE_CHILD" // "put" or "stall"
	childRootEnv   = "EMULATE_STORE_CHILD_ROOT"
	durableBucket  = "bkt"
	durableKey     = "trades/dt=2024-01-02/part-0.json"
	stalledKey     = "trades/dt=2024-01-02/part-1.json"
	durableBodyLen = 3<<20 + 123 // over a MiB: the store's O_DIRECT path on Linux
)

// durableBody is the body the child PUTs at durableKey.
func durableBody() []byte {
	b := make([]byte, durableBodyLen)
	for i := range b {
		b[i] = byte('a' + i%26)
	}
	return b
}

// The store's API as these tests use it: a change of that API changes only
// these three.

// storePut stores size bytes of body at key in durableBucket.
func storePut(s *DiskStore, key string, body io.Reader, size int64) error {
	_, err := s.PutObject(durableBucket, key, body, size, nil)
	return err
}

// storeGet reads key of durableBucket; found is false if there is no such
// object.
func storeGet(s *DiskStore, key string) (body []byte, found bool, err error) {
	f, _, err := s.OpenObject(durableBucket, key, "")
	if hasS3Code(err, "NoSuchKey") {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	body, err = io.ReadAll(f)
	return body, true, err
}

// storeKeys lists durableBucket.
func storeKeys(s *DiskStore) ([]string, error) {
	list, err := s.ListObjects(durableBucket, ListOptions{})
	if err != nil {
		return nil, err
	}
	var keys []string
	for _, c := range list.Objects {
		keys = append(keys, c.Key)
	}
	return keys, nil
}

// TestDiskStoreChild is not a test: run by the tests below as a child
// process (childEnv set), it PUTs durableBody at durableKey ("put"), and for
// "stall" then starts a PUT at stalledKey whose body stops after 2 MiB of
// 4, prints "stalled" and waits to be killed.
func TestDiskStoreChild(t *testing.T) {
	mode := os.Getenv(childEnv)
	if mode == "" {
		return
	}
	s, err := OpenDiskStore(os.Getenv(childRootEnv))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if mode == "overwrite" {
		overwriteChild(s)
	}
	body := durableBody()
	if err := storePut(s, durableKey, bytes.NewReader(body), int64(len(body))); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	fmt.Println("stored")
	if mode == "stall" {
		storePut(s, stalledKey, io.MultiReader(bytes.NewReader(body[:2<<20]), stallReader{}), 4<<20)
	}
	os.Exit(0)
}

// The overwrite the crash test interrupts: an object with metadata, then
// another body and metadata at its key.
var (
	oldBody = []byte("old-precious")
	oldMeta = ObjectMeta{ContentType: "text/x-old", User: map[string]string{"m": "keep"}, Tags: []Tag{{Key: "team", Value: "a"}}}
	newBody = []byte("the new body, of another length")
	newMeta = ObjectMeta{ContentType: "text/x-new"}
)

// overwriteChild PUTs newBody over the object the test stored and exits.
func overwriteChild(s *DiskStore) {
	if _, err := s.PutObject(durableBucket, durableKey, bytes.NewReader(newBody), -1, &PutOptions{Meta: newMeta}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	fmt.Println("stored")
	os.Exit(0)
}

// stallReader says so once it is read, and then blocks forever: the store
// has written what came before it.
type stallReader struct{}

func (stallReader) Read([]byte) (int, error) {
	fmt.Println("stalled")
	select {}
}

// childCmd is this test binary run as TestDiskStoreChild on root, under
// wrapper (a command and its arguments) if given.
func childCmd(t *testing.T, mode, root string, wrapper ...string) *exec.Cmd {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	args := append(wrapper, self, "-test.run=^TestDiskStoreChild$")
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), childEnv+"="+mode, childRootEnv+"="+root)
	cmd.Stderr = os.Stderr
	return cmd
}

// durableRoot makes a store root with the bucket.
func durableRoot(t *testing.T) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "s3")
	s, err := OpenDiskStore(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateBucket(durableBucket); err != nil {
		t.Fatal(err)
	}
	return root
}

// syscallLine is one system call strace saw: its name and its first
// argument, a file descriptor's path (strace -y) or a path.
var syscallLine = regexp.MustCompile(`^\d+ +(\w+)\((?:(\d+)<([^>]*)>|AT_FDCWD<[^>]*>, "([^"]*)", AT_FDCWD<[^>]*>, "([^"]*)")`)

type syscallSeen struct {
	name     string
	path     string // the file descriptor's path, or rename's source
	renameTo string
}

// TestDiskStorePutIsFsyncedAndRenamed traces the system calls of a process
// that PUTs one object and checks, for each file the PUT renames into place
// (the object and its sidecar), that it was written to elsewhere, fsynced
// after its last write, renamed, and its new directory fsynced after the
// rename; and that nothing wrote to the object's path itself. A store that
// skips an fsync, or writes the object in place, fails here even though no
// test that only reads it back could tell.
func TestDiskStorePutIsFsyncedAndRenamed(t *testing.T) {
	if _, err := exec.LookPath("strace"); err != nil {
		t.Skip("strace is not installed (apt-get install strace): it shows the store's system calls")
	}
	root := durableRoot(t)
	trace := filepath.Join(t.TempDir(), "strace.txt")
	cmd := childCmd(t, "put", root, "strace", "-f", "-y", "-qq", "-s", "0", "-e", "signal=none",
		"-e", "trace=write,pwrite64,fsync,fdatasync,rename,renameat,renameat2", "-o", trace)
	if out, err := cmd.Output(); err != nil || !strings.Contains(string(out), "stored") {
		t.Fatalf("strace of the child: %v\n%s", err, out)
	}
	b, err := os.ReadFile(trace)
	if err != nil {
		t.Fatal(err)
	}
	var calls []syscallSeen
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		m := syscallLine.FindStringSubmatch(sc.Text())
		if m == nil { // not a call's start (strace's "<... resumed>" lines)
			continue
		}
		c := syscallSeen{name: m[1], path: m[3]}
		if m[4] != "" {
			c.path, c.renameTo = m[4], m[5]
		}
		calls = append(calls, c)
	}

	s, err := OpenDiskStore(root)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := s.ObjectPath(durableBucket, durableKey)
	if err != nil {
		t.Fatal(err)
	}
	objAbs, _ := filepath.Abs(obj)
	renamed, inPlace := 0, false
	for i, c := range calls {
		if c.name == "write" || c.name == "pwrite64" {
			if c.path == objAbs && !inPlace {
				inPlace = true
				t.Errorf("the PUT wrote to the object's own path %s: a crash mid-write leaves part of it", objAbs)
			}
			continue
		}
		if c.renameTo == "" {
			continue
		}
		renamed++
		lastWrite, synced := -1, -1
		for j := range i {
			switch p := calls[j]; {
			case p.path == c.path && (p.name == "write" || p.name == "pwrite64"):
				lastWrite = j
			case p.path == c.path && (p.name == "fsync" || p.name == "fdatasync"):
				synced = j
			}
		}
		dirSynced := false
		for _, p := range calls[i+1:] {
			if (p.name == "fsync" || p.name == "fdatasync") && p.path == filepath.Dir(c.renameTo) {
				dirSynced = true
			}
		}
		switch {
		case lastWrite < 0:
			t.Errorf("%s was renamed to %s but never written", c.path, c.renameTo)
		case synced < lastWrite:
			t.Errorf("%s was renamed to %s without an fsync after its last write: a crash may leave the new name on an empty or partial file",
				c.path, c.renameTo)
		case !dirSynced:
			t.Errorf("%s was renamed to %s, but %s was not fsynced after: a crash may lose the rename",
				c.path, c.renameTo, filepath.Dir(c.renameTo))
		}
	}
	if renamed == 0 || !bytes.Contains(b, []byte(`"`+objAbs+`"`)) {
		t.Errorf("no rename into the object's path %s among %d renames; the trace:\n%s", objAbs, renamed, b)
	}
	if body, found, err := storeGet(s, durableKey); err != nil || !found || !bytes.Equal(body, durableBody()) {
		t.Errorf("the object reads back as %d bytes (found %v, %v), want the %d put", len(body), found, err, durableBodyLen)
	}
}

// TestDiskStoreKilledMidPutLeavesNoPartialObject kills a process with
// SIGKILL while it is in the middle of a PUT (2 MiB of a 4 MiB body written)
// after an earlier PUT returned. While the PUT is stalled and after the
// kill, another store on the same root must not see the unfinished object at
// all (no GET or listing of it), and must read the earlier one whole.
func TestDiskStoreKilledMidPutLeavesNoPartialObject(t *testing.T) {
	root := durableRoot(t)
	cmd := childCmd(t, "stall", root)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	t.Cleanup(func() {
		if !killed {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	for _, want := range []string{"stored", "stalled"} {
		select {
		case l := <-lines:
			if l != want {
				t.Fatalf("child said %q, want %q", l, want)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("waited 30s for the child to say %q", want)
		}
	}

	check := func(when string) {
		t.Helper()
		s, err := OpenDiskStore(root)
		if err != nil {
			t.Fatal(err)
		}
		if _, found, err := storeGet(s, stalledKey); err != nil || found {
			t.Errorf("%s: the unfinished object: found %v (%v), want no such key", when, found, err)
		}
		keys, err := storeKeys(s)
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) != 1 || keys[0] != durableKey {
			t.Errorf("%s: the bucket lists %q, want only %q", when, keys, durableKey)
		}
		if body, found, err := storeGet(s, durableKey); err != nil || !found || !bytes.Equal(body, durableBody()) {
			t.Errorf("%s: the stored object reads as %d bytes (found %v, %v), want the %d put", when, len(body), found, err, durableBodyLen)
		}
	}
	check("during the PUT")
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	killed = true
	var exit *exec.ExitError
	if err := cmd.Wait(); !errors.As(err, &exit) {
		t.Fatalf("the child was killed, but Wait says %v", err)
	}
	check("after SIGKILL")
}

// TestDiskStoreKilledBetweenRenamesKeepsObjectWithItsMetadata kills a
// process (strace injects SIGKILL) at the rename that moves an overwriting
// PUT's object file into place, after its sidecar's rename. The key must
// then still read as the old object with the old metadata and tags, in an
// unversioned bucket and in a versioned one (where it is also its only
// version).
func TestDiskStoreKilledBetweenRenamesKeepsObjectWithItsMetadata(t *testing.T) {
	if _, err := exec.LookPath("strace"); err != nil {
		t.Skip("strace is not installed (apt-get install strace): it kills the store between two renames")
	}
	for _, versioned := range []bool{false, true} {
		t.Run(fmt.Sprintf("versioned=%v", versioned), func(t *testing.T) {
			root := durableRoot(t)
			s, err := OpenDiskStore(root)
			if err != nil {
				t.Fatal(err)
			}
			if versioned {
				if err := s.UpdateBucket(durableBucket, func(c *BucketConfig) error { c.Versioning = "Enabled"; return nil }); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := s.PutObject(durableBucket, durableKey, bytes.NewReader(oldBody), -1, &PutOptions{Meta: oldMeta}); err != nil {
				t.Fatal(err)
			}
			obj, err := s.ObjectPath(durableBucket, durableKey)
			if err != nil {
				t.Fatal(err)
			}
			cmd := childCmd(t, "overwrite", root, "strace", "-f", "-qq", "-o", "/dev/null", "-P", obj,
				"-e", "trace=rename,renameat,renameat2", "-e", "inject=rename,renameat,renameat2:signal=SIGKILL")
			out, err := cmd.Output()
			var exit *exec.ExitError
			if strings.Contains(string(out), "stored") || !errors.As(err, &exit) {
				t.Fatalf("the child was not killed at the object's rename: %v\n%s", err, out)
			}
			meta, _ := os.ReadFile(strings.Replace(obj, root, filepath.Join(root, ".meta"), 1))
			if !bytes.Contains(meta, []byte(newMeta.ContentType)) {
				t.Fatalf("the child was killed before its sidecar's rename: the sidecar is %s", meta)
			}

			s, err = OpenDiskStore(root)
			if err != nil {
				t.Fatal(err)
			}
			body, found, err := storeGet(s, durableKey)
			if err != nil || !found {
				t.Fatalf("after the crash: found %v, %v", found, err)
			}
			info, err := s.StatObject(durableBucket, durableKey, "")
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(body, oldBody) || info.Meta.ContentType != oldMeta.ContentType || info.Meta.User["m"] != "keep" ||
				len(info.Meta.Tags) != 1 || info.Meta.Tags[0] != oldMeta.Tags[0] {
				t.Errorf("after a crash between the renames the key reads %q with %+v, want %q with %+v", body, info.Meta, oldBody, oldMeta)
			}
			if versioned {
				list, err := s.ListVersions(durableBucket, ListOptions{MaxKeys: 1000}, "")
				if err != nil {
					t.Fatal(err)
				}
				if len(list.Versions) != 1 || info.VersionID == "" || list.Versions[0].VersionID != info.VersionID ||
					list.Versions[0].Meta.ContentType != oldMeta.ContentType || !list.Versions[0].IsLatest {
					t.Errorf("the versions after the crash: %+v, want only the old one (%q), latest, with its metadata", list.Versions, info.VersionID)
				}
			}
		})
	}
}
