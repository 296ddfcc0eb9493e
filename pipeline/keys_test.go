package pipeline

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"pipeline/catalog"
	"pipeline/internal/eventjson"
)

func TestCleanPrefix(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""}, {"landing", "landing/"}, {"landing/", "landing/"}, {"a/b", "a/b/"}, {"BRK.B/x y", "BRK.B/x y/"},
	} {
		if got, err := CleanPrefix(tc.in); err != nil || got != tc.want {
			t.Errorf("CleanPrefix(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"/", "../x", "a/../b", "a//b", "./a", "a/\x00", "/abs"} {
		if _, err := CleanPrefix(bad); err == nil || !strings.Contains(err.Error(), "bad key prefix") {
			t.Errorf("CleanPrefix(%q) = %v, want a bad key prefix error", bad, err)
		}
	}
}

// FuzzObjectKey: whatever prefix a user passes, and whatever symbol and time
// an event carries, the key of the object the sink stores the event in (a
// table object, or a dead letter if the sink refuses the event) stays under
// the prefix, in the dt= folder of the event's date, with no dot-dot
// segment, names its own partition and offset, and owes nothing to the
// symbol: the event is encoded as the producer sends it, decoded as the
// sink decodes it, and its key made as the sink makes it.
func FuzzObjectKey(f *testing.F) {
	f.Add("landing/", "AAPL", int32(3), int64(42), int64(1764150000000))
	f.Add("../../x", "../../x", int32(0), int64(0), int64(0))
	for _, sym := range []string{"../../x", "a/b", "/abs", ".", "..", "%2e%2e", `back\slash`, "it's", `x"; DROP TABLE t; --`,
		"dt=2020-01-01", "stock_topic+1+0000000000.json", "日本", "\x00", strings.Repeat("L", 300)} {
		f.Add("", sym, int32(1), int64(7), int64(1764150000000))
	}
	shape := regexp.MustCompile(`^(?:` + Topic + `/dt=(\d{4}-\d{2}-\d{2})|` + ErrorsFolder + `/` + Topic + `)/` +
		Topic + `\+(\d+)\+(\d{10,})\.(?:json|parquet)$`)
	f.Fuzz(func(t *testing.T, prefix, symbol string, partition int32, offset int64, ms int64) {
		prefix, err := CleanPrefix(prefix)
		if err != nil || partition < 0 || offset < 0 {
			return
		}
		format := catalog.FormatJSON
		if offset%2 == 1 {
			format = catalog.FormatParquet
		}
		ev := Event{Symbol: symbol, TS: time.UnixMilli(ms), Seq: offset, Names: []string{"price"}, Values: []Value{Float(1)}}
		// As the sink places it by its Kafka timestamp: a JSON object whose
		// time is in the years 1..9999 is stored in its UTC date's folder.
		ts := time.UnixMilli(ms)
		var key, dt string
		var dec eventjson.Decoder
		if _, _, err := dec.Object(ev.AppendJSON(nil), nil); err == nil && ts.Unix() >= minPartitionTime && ts.Unix() <= maxPartitionTime {
			dt = dayDate(daysOf(ts))
			key = DataKey(prefix, Topic, dt, format, partition, offset)
		} else {
			key = DeadLetterKey(prefix, Topic, partition, offset)
		}
		rest, ok := strings.CutPrefix(key, prefix)
		if !ok {
			t.Fatalf("key %q is not under %q", key, prefix)
		}
		m := shape.FindStringSubmatch(rest)
		if m == nil {
			t.Fatalf("key %q (symbol %q) is not of the sink's shape", key, symbol)
		}
		if want := time.UnixMilli(ms).UTC().Format("2006-01-02"); dt != "" && m[1] != want {
			t.Fatalf("key %q: the folder of an event of %s (symbol %q) is dt=%s", key, want, symbol, m[1])
		}
		for _, seg := range strings.Split(key, "/") {
			if seg == ".." || seg == "." || seg == "" {
				t.Fatalf("key %q has segment %q", key, seg)
			}
		}
		p, o, ok := parseObjectName(key, Topic)
		if !ok || p != partition || o != offset {
			t.Fatalf("parseObjectName(%q) = %d, %d, %v", key, p, o, ok)
		}
	})
}

func TestObjectKeys(t *testing.T) {
	k := DataKey("p/", Topic, "2026-11-26", catalog.FormatJSON, 3, 1234)
	if k != "p/stock_topic/dt=2026-11-26/stock_topic+3+0000001234.json" {
		t.Fatalf("DataKey = %q", k)
	}
	p, off, ok := parseObjectName(k, Topic)
	if !ok || p != 3 || off != 1234 {
		t.Fatalf("parseObjectName(%q) = %d, %d, %v", k, p, off, ok)
	}
	if k := DataKey("", Topic, "2026-11-26", catalog.FormatParquet, 3, 1234); k != "stock_topic/dt=2026-11-26/stock_topic+3+0000001234.parquet" {
		t.Fatalf("DataKey(parquet) = %q", k)
	}
	p, off, ok = parseObjectName(DeadLetterKey("", Topic, 5, 7), Topic)
	if !ok || p != 5 || off != 7 {
		t.Fatalf("parseObjectName(dead letter) = %d, %d, %v", p, off, ok)
	}
	for _, bad := range []string{"x/other+1+2.json", "stock_topic/dt=1/stock_topic+a+2.json", "stock_topic+1+2.csv", "stock_topic+1+2.parquet.tmp", "stock_topic+1.json"} {
		if _, _, ok := parseObjectName(bad, Topic); ok {
			t.Errorf("parseObjectName(%q) accepted", bad)
		}
	}
}
