package pipeline_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"pipeline/pipeline"
)

// TestSinkFollowsAClaimItLostTo: another sink (a zombie) claims offsets a
// sink is about to claim, with other bounds, and dies before writing the
// claim's objects. The sink must not store those offsets under its own
// cut: it reads the partition again from there, adopts the claim, writes the
// claim's missing object from its own records of exactly those offsets, and
// goes on after it. Every event is stored once, and the claim's object holds
// exactly the claim's records.
func TestSinkFollowsAClaimItLostTo(t *testing.T) {
	const (
		n         = 6000
		maxRecs   = 300
		theirs    = 7 // records in the zombie's claim
		partition = 0
	)
	ctx := testContext(t, 60*time.Second)
	stack, kafka, s3c, cat := localStack(t)
	var once sync.Once
	var first int64 = -1
	claimPath := "/" + testBucket + "/" + pipeline.SinkFolder + "/" + pipeline.Topic + "/" + fmt.Sprint(partition) + "/"
	// The sink's second claim on the partition loses to the zombie's.
	var claims int
	var mu sync.Mutex
	stack.S3.InjectFaults(func(r *http.Request) (int, bool) {
		if r.Method != http.MethodPut || !strings.HasPrefix(r.URL.Path, claimPath) {
			return 0, false
		}
		mu.Lock()
		defer mu.Unlock()
		if claims++; claims != 2 {
			return 0, false
		}
		lost := false
		once.Do(func() {
			var f int64
			fmt.Sscanf(strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, claimPath), ".json"), "%d", &f)
			first = f
			body := fmt.Sprintf(`{"first":%d,"last":%d,"format":"json","records":%d,"dead_letters":0}`, f, f+theirs-1, theirs)
			key := strings.TrimPrefix(r.URL.Path, "/"+testBucket+"/")
			if _, err := stack.Store.PutObject(testBucket, key, strings.NewReader(body), int64(len(body)), nil); err != nil {
				t.Errorf("plant the zombie's claim: %v", err)
				return
			}
			lost = true
		})
		return http.StatusPreconditionFailed, lost
	})
	sink := startSink(t, kafka, s3c, pipeline.SinkOptions{Group: groupFor(t), MaxRecords: maxRecs, MaxAge: 50 * time.Millisecond})
	ticks := startTicks(t, ctx, kafka, streamOptions{Seed: 41, Events: n})
	st := ticks.finish(t, 30*time.Second, n)
	sink.waitCommitted(t, st.EndOffsets, 30*time.Second)
	sink.stop(t)
	if first < 0 {
		t.Fatal("the sink made no second claim on the partition")
	}
	if s := sink.Stats(); s.Resyncs != 1 || s.Adopted < 1 {
		t.Errorf("stats %+v: want one partition read again and the zombie's claim adopted", s)
	}

	// The claim's object holds its records, and the next object starts
	// right after them.
	var dataKeys []string
	for _, k := range listKeys(t, ctx, s3c, pipeline.Topic+"/") {
		if strings.Contains(k, fmt.Sprintf("+%d+", partition)) {
			dataKeys = append(dataKeys, k)
		}
	}
	var ofClaim, next []byte
	for _, k := range dataKeys {
		switch {
		case strings.HasSuffix(k, fmt.Sprintf("+%d+%010d.json", partition, first)):
			ofClaim = getObject(t, ctx, s3c, k)
		case strings.HasSuffix(k, fmt.Sprintf("+%d+%010d.json", partition, first+theirs)):
			next = getObject(t, ctx, s3c, k)
		}
	}
	if got := bytes.Count(ofClaim, []byte{'\n'}); got != theirs || next == nil {
		t.Errorf("partition %d: the object of the zombie's claim at %d holds %d records, want %d; an object starts after it: %v (objects %v)",
			partition, first, got, theirs, next != nil, dataKeys)
	}
	eng, _ := queryStore(t, ctx, stack, s3c, cat)
	assertExactlyOnce(t, eng, ticks.emitted)
}

// TestSinkAdoptsAnotherGroupsClaims: a sink of a new group, on a prefix
// where another group stored everything, adopts every claim (listed a few at
// a time) instead of storing anything again.
func TestSinkAdoptsAnotherGroupsClaims(t *testing.T) {
	const n = 3000
	defer pipeline.SetClaimsPage(7)()
	ctx := testContext(t, 60*time.Second)
	stack, kafka, s3c, cat := localStack(t)
	first := startSink(t, kafka, s3c, pipeline.SinkOptions{Group: groupFor(t), MaxRecords: 50, MaxAge: 50 * time.Millisecond})
	ticks := startTicks(t, ctx, kafka, streamOptions{Seed: 43, Events: n})
	st := ticks.finish(t, 30*time.Second, n)
	first.waitCommitted(t, st.EndOffsets, 30*time.Second)
	first.stop(t)
	stored := etags(t, ctx, s3c, "")

	second := startSink(t, kafka, s3c, pipeline.SinkOptions{Group: groupFor(t) + "-other", MaxRecords: 70, MaxAge: 50 * time.Millisecond})
	second.waitCommitted(t, st.EndOffsets, 30*time.Second)
	second.stop(t)
	claims := first.Stats().Claims + first.Stats().Adopted
	if s := second.Stats(); s.Adopted != claims || s.Claims != 0 || s.Objects != 0 || s.Resyncs != 0 || claims < 7*6 {
		t.Errorf("the other group's sink: %+v; want the %d claims adopted as listed (several pages a partition), none made, no object written, no partition read again", s, claims)
	}
	if after := etags(t, ctx, s3c, ""); len(after) != len(stored) {
		t.Errorf("%d objects after the other group's sink, %d before", len(after), len(stored))
	}
	eng, _ := queryStore(t, ctx, stack, s3c, cat)
	assertExactlyOnce(t, eng, ticks.emitted)
}
