package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"pipeline/catalog"
	"pipeline/internal/eventjson"
)

// Batching: the poll loop places each record in its partition's open batch
// and cuts a batch (hands it to an upload, see sealLocked) when it is full,
// when the next record is of another date, when it has waited MaxAge, when
// it holds the record before FlushAt's end, or when the open batches hold
// more than half of MaxBuffered. The methods on Sink here run under Sink.mu,
// in the poll loop or a rebalance callback, but for untilNextCut, which
// takes it, and decodeAll, which the poll loop runs before taking it.

// partBatch is what the sink holds of one partition: a contiguous range of
// offsets, all with the same event date, or the offsets of another sink's
// claim that this one reads again (see sink_claim.go).
type partBatch struct {
	dt     string
	day    int64  // dt as days since 1970
	first  int64  // offset of the first record: the batch's objects are named by it
	data   chunks // JSON lines
	nData  int
	pq     *parquetBatch // the events, if the format is Parquet
	bad    []byte        // dead-letter JSON lines
	nBad   int
	last   *kgo.Record // newest record held
	opened time.Time
	// claim is another sink's claim on the offsets this batch reads again:
	// the batch is cut at its last offset and at no other point. complete
	// says the batch holds all of it.
	claim    *claim
	complete bool
}

func (b *partBatch) empty() bool { return b.last == nil }

// bytes is what the batch holds in memory, for MaxBuffered.
func (b *partBatch) bytes() int {
	n := b.data.Len() + len(b.bad)
	if b.pq != nil {
		n += b.pq.memory()
	}
	return n
}

// recycle empties a batch whose objects are stored, to be filled again if
// keep, else to be let go: its Parquet memory goes back to the pool.
func (b *partBatch) recycle(keep bool) {
	b.data.Reset()
	if b.pq != nil {
		if keep {
			b.pq.reset()
		} else {
			b.pq.release() // for the pool, as the batch goes
			b.pq = nil
		}
	}
	*b = partBatch{data: b.data, bad: b.bad[:0], pq: b.pq}
}

// atEnd lists the partitions whose batch holds the record before their end.
func (s *Sink) atEnd() []int32 {
	var ps []int32
	for p, b := range s.parts {
		if end, ok := s.ends[p]; ok && !b.empty() && b.claim == nil && b.last.Offset+1 >= end {
			ps = append(ps, p)
		}
	}
	return ps
}

// untilNextCut is how long the poll may block before a batch is due by age.
func (s *Sink) untilNextCut() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	wait := s.opts.MaxAge
	now := time.Now()
	for _, b := range s.parts {
		if !b.empty() && b.claim == nil {
			if d := b.opened.Add(s.opts.MaxAge).Sub(now); d < wait {
				wait = d
			}
		}
	}
	return max(wait, time.Millisecond)
}

// add places one record in its partition's batch, cutting the batch first if
// the record belongs to another date or the batch is full. A record the
// decoders could not settle against the schema they had is settled first
// (admit), which may add columns to the catalog.
func (s *Sink) add(ctx context.Context, r *kgo.Record, d *decoded) error {
	b := s.parts[r.Partition]
	if b == nil {
		b = &partBatch{}
		s.parts[r.Partition] = b
	}
	b, err := s.followClaims(ctx, r, b)
	if err != nil {
		return err
	}
	if d.err == nil && (d.pending || d.narrowed != s.table.cur.Load().narrowed) {
		if err := s.admit(ctx, r, d); err != nil {
			return err
		}
	}
	if d.err == nil && b.claim == nil {
		if b.nData > 0 && b.day != d.day {
			if err := s.sealLocked(ctx, []int32{r.Partition}); err != nil {
				return err
			}
			b = s.parts[r.Partition]
		}
	}
	if b.empty() {
		b.opened = time.Now()
		b.first = r.Offset
		b.claim = s.bindClaim(r.Partition, r.Offset)
	}
	before := b.bytes()
	if d.err != nil {
		b.bad = appendDeadLetter(b.bad, r, d.err)
		b.nBad++
	} else {
		if b.nData == 0 {
			b.day, b.dt = d.day, dayDate(d.day)
		}
		if s.opts.Format == catalog.FormatParquet {
			if b.pq == nil {
				b.pq = newParquetBatch(s.pqSizes.hint(r.Partition))
			}
			b.pq.add(d.fields, len(r.Value))
		} else if d.line != nil {
			writeLine(&b.data, d.line)
		} else {
			writeLine(&b.data, r.Value)
		}
		b.nData++
	}
	b.last = r
	s.heldBytes += b.bytes() - before
	if b.claim != nil {
		if r.Offset >= b.claim.Last {
			b.complete = true
			return s.sealLocked(ctx, []int32{r.Partition})
		}
	} else if b.nData >= s.opts.MaxRecords || s.dataSize(b) >= s.opts.MaxBytes || b.nBad >= s.opts.MaxRecords {
		return s.sealLocked(ctx, []int32{r.Partition})
	}
	if s.heldBytes > s.opts.MaxBuffered/2 {
		if p, ok := s.biggest(); ok {
			return s.sealLocked(ctx, []int32{p})
		}
	}
	return nil
}

// admit settles a record against the table's schema as it is now: it found
// a field with no column, or a value its column must widen to hold, or the
// schema changed on purpose since the record was checked. New columns and
// widenings go to the catalog first (sinkTable.evolve), which has the last
// word on types; then the record is checked against what it says, and is a
// dead letter if it does not fit. The error is only for a sink that cannot
// go on (ctx ended, the catalog refuses the sink).
func (s *Sink) admit(ctx context.Context, r *kgo.Record, d *decoded) error {
	fields := d.fields
	if fields == nil {
		var err error
		if fields, _, err = s.adm.dec.Object(r.Value, s.adm.fields[:0]); err != nil {
			d.err = err // decoded once already: cannot happen
			return nil
		}
		s.adm.fields = fields
	}
	a := &s.adm
	k := &a.keys
	sc := s.table.cur.Load()
	if a.sc != sc || !a.sameKeys(fields) {
		a.set(fields, sc, s.opts.TimeField)
	}
	var changes []catalog.Column
	var unq []byte
	room := s.opts.MaxColumns - len(sc.cols) // new columns the table takes
	for i := range fields {
		f := &fields[i]
		if k.cols[i] < 0 {
			if f.Kind == 'n' {
				continue // no type yet: a column once a value says which
			}
			if f.IsNumber() && beyondBigint(f.Raw) {
				d.err = bigintError(k.name(i, f), &f.Value)
				return nil
			}
			if room--; room < 0 {
				d.err = fmt.Errorf("would add column %s past the table's %d columns (--max-columns)", k.name(i, f), s.opts.MaxColumns)
				return nil
			}
			text := f.Raw
			if f.Escaped {
				unq = eventjson.AppendUnquoted(unq[:0], f.Raw)
				text = unq
			}
			changes = append(changes, catalog.Column{Name: string(k.name(i, f)), Type: cellType[valueKind(&f.Value, text)]})
			continue
		}
		col := &sc.cols[k.cols[i]]
		switch fits(col.check, &f.Value) {
		case rejected:
			d.err = columnError(k.name(i, f), &f.Value, col.typ)
			return nil
		case widensColumn:
			changes = append(changes, catalog.Column{Name: col.name, Type: widened(col.typ, col.check)})
		}
	}
	// A record without a time changes no table.
	if d.day, d.err = s.recordDay(r, fields, k); d.err != nil {
		return nil
	}
	if len(changes) > 0 {
		var err error
		if sc, err = s.table.evolve(ctx, changes); err != nil {
			return err
		}
		a.set(fields, sc, s.opts.TimeField)
	}
	// What the catalog says now is what the record must fit.
	for i := range fields {
		f := &fields[i]
		if k.cols[i] < 0 {
			if f.Kind != 'n' {
				d.err = fmt.Errorf("%s: the table has no such column", k.name(i, f))
				return nil
			}
			continue
		}
		if col := &sc.cols[k.cols[i]]; fits(col.check, &f.Value) != fitsColumn {
			d.err = columnError(k.name(i, f), &f.Value, col.typ)
			return nil
		}
	}
	d.pending, d.narrowed = false, sc.narrowed
	d.fields, d.line = nil, nil
	if s.opts.Format == catalog.FormatParquet {
		d.fields = k.rename(fields)
	} else if k.renamed {
		s.adm.line = appendRenamed(s.adm.line[:0], fields, k.names)
		d.line = s.adm.line
	}
	return nil
}

// addPollColumns adds the new columns that the poll's records bring, each
// typed by its first value, in one catalog change: a topic whose every
// record brings a field (a map-shaped record) costs a catalog write a poll,
// not one a record. A record that admit would refuse (a value its column
// cannot read, no time, past MaxColumns) adds nothing. It reports whether it
// added any; admit then settles each record still pending against what the
// catalog says, as before. checked is the schema decs were checked against.
//
// A record with the keys of the one before it, each of whose fields with a
// value has a column or one added by now, adds nothing: it is not read
// again. So the first poll of a topic, every record of which brings its
// keys, reads again only the records whose keys or nulls differ.
func (s *Sink) addPollColumns(ctx context.Context, recs []*kgo.Record, decs []decoded, skip map[int32]bool, checked *tableSchema) (bool, error) {
	sc := s.table.cur.Load()
	room := s.opts.MaxColumns - len(sc.cols)
	a := &s.adm
	var changes, recNew []catalog.Column
	added := map[string]colType{} // the check of each new column, by lower-case name
	var unq []byte
	// known says that the keys of the records since the last one read here
	// are that one's, mapped by a.keys to checked's columns; covered has
	// the bit (fieldBit) of each of those keys that has a column or is in
	// added.
	known := false
	var covered uint64
	for i, r := range recs {
		d := &decs[i]
		if !d.sameKeys {
			known = false
		}
		if d.err != nil || !d.pending || skip[r.Partition] || known && d.newFields&^covered == 0 {
			continue
		}
		fields := d.fields
		if fields == nil {
			var err error
			if fields, _, err = a.dec.Object(r.Value, a.fields[:0]); err != nil {
				known = false
				continue
			}
			a.fields = fields
		}
		if a.sc != sc || !a.sameKeys(fields) {
			a.set(fields, sc, s.opts.TimeField)
		}
		k := &a.keys
		recNew = recNew[:0]
		ok := true
		for j := range fields {
			f := &fields[j]
			if f.Kind == 'n' {
				continue
			}
			if k.cols[j] >= 0 {
				ok = fits(sc.cols[k.cols[j]].check, &f.Value) != rejected
			} else if f.IsNumber() && beyondBigint(f.Raw) {
				ok = false
			} else if c, seen := added[string(k.lowerName(j, f))]; seen {
				ok = fits(c, &f.Value) != rejected
			} else {
				text := f.Raw
				if f.Escaped {
					unq = eventjson.AppendUnquoted(unq[:0], f.Raw)
					text = unq
				}
				recNew = append(recNew, catalog.Column{Name: string(k.name(j, f)), Type: cellType[valueKind(&f.Value, text)]})
			}
			if !ok {
				break
			}
		}
		if ok && len(recNew) > 0 && len(changes)+len(recNew) <= room {
			if _, err := s.recordDay(r, fields, k); err == nil {
				for _, c := range recNew {
					added[strings.ToLower(c.Name)] = colTypeOf(c.Type)
				}
				changes = append(changes, recNew...)
			}
		}
		known, covered = sc == checked, k.covered(fields, added)
	}
	if len(changes) == 0 {
		return false, nil
	}
	_, err := s.table.evolve(ctx, changes)
	return err == nil, err
}

// biggest is the partition whose open batch holds the most bytes, of those
// that may be cut now (not re-reading a claim).
func (s *Sink) biggest() (int32, bool) {
	var big int32
	most := -1
	for p, b := range s.parts {
		if n := b.bytes(); n > most && !b.empty() && b.claim == nil {
			big, most = p, n
		}
	}
	return big, most >= 0
}

// admission is admit's memory, the poll loop's own: the first poll of a
// new topic, or after a new field, has many records to admit, nearly all
// with the keys of the one before.
type admission struct {
	dec    eventjson.Decoder
	fields []eventjson.Field
	line   []byte
	keys   keyMap       // of the last record admitted, with sc
	sc     *tableSchema // the schema keys was made for
	names  [][]byte     // the last record's keys, copied
}

// set makes a.keys the map of fields' keys to sc.
func (a *admission) set(fields []eventjson.Field, sc *tableSchema, timeField string) {
	a.keys.set(fields, sc, timeField)
	a.sc = sc
	a.names = a.names[:0]
	for i := range fields {
		a.names = append(a.names, slices.Clone(fields[i].Name))
	}
}

// sameKeys says whether fields have the last record's keys.
func (a *admission) sameKeys(fields []eventjson.Field) bool {
	if len(fields) != len(a.names) {
		return false
	}
	for i := range fields {
		if string(fields[i].Name) != string(a.names[i]) {
			return false
		}
	}
	return true
}

// decoded is what the sink's decoders found in a record.
type decoded struct {
	err error // not for the table: a dead letter, for this reason
	day int64 // the record's partition: its UTC date, as days since 1970
	// fields are the record's members with their stored names (pending:
	// their own), if the format is Parquet.
	fields []eventjson.Field
	line   []byte // the record's JSON with its fields renamed, if any is
	// pending says the record has a field with no column, or a value that
	// widens its column: admit settles it, in order.
	pending  bool
	narrowed uint64 // the schema's narrowed count when it was checked
	// newFields has the bit (fieldBit) of each field with a value and no
	// column, if pending.
	newFields uint64
	// sameKeys says the record is an object with the keys of the record
	// before it in the poll, in the same order; false when in doubt.
	sameKeys bool
}

// fieldBit is field i's bit in a mask of a record's fields: its own for the
// first 63, one for all the others.
func fieldBit(i int) uint64 { return 1 << min(i, 63) }

// decodeWorker is what one of decodeAll's goroutines keeps between polls:
// its Decoder, the fields it decodes into, and what the last record's keys
// are to the schema, which holds while records have the same keys.
type decodeWorker struct {
	dec     eventjson.Decoder
	flat    []eventjson.Field
	lines   []byte       // the renamed records' JSON
	sc      *tableSchema // the schema keys was made for
	keys    keyMap
	pending int // records of this poll found pending
}

// keyMap is what a record's keys are to the table's schema: each one's
// column and stored name, and where the time field is.
type keyMap struct {
	cols    []int     // column of each field, -1 for none
	checks  []colType // the check of each field's column, colNone for none
	names   [][]byte  // stored name of each field, nil where it is its own
	renamed bool      // some name is not its own
	timeAt  int       // the time field's index, -1 if none
	lower   []byte    // scratch
	// times parses timestamps of the events' own shape, the day kept:
	// the records of a stream are nearly all of one day.
	times eventjson.TimeMemo
}

// set makes k the map of fields' keys to sc's columns.
func (k *keyMap) set(fields []eventjson.Field, sc *tableSchema, timeField string) {
	k.cols, k.names, k.renamed, k.timeAt = k.cols[:0], k.names[:0], false, -1
	defer k.setChecks(sc)
	for i := range fields {
		name := fields[i].Name
		col := sc.lookup(name, &k.lower)
		k.cols = append(k.cols, col)
		k.names = append(k.names, nil)
		if timeField != "" && len(name) == len(timeField) && strings.EqualFold(string(name), timeField) {
			k.timeAt = i
		}
		k.renamed = k.renamed || needsNewName(name, col, sc)
	}
	if !k.renamed {
		return
	}
	has := func(lower string) bool {
		return slices.ContainsFunc(fields, func(f eventjson.Field) bool { return strings.EqualFold(string(f.Name), lower) })
	}
	for i := range fields {
		if name := fields[i].Name; needsNewName(name, k.cols[i], sc) {
			stored := storedName(name, sc, has)
			k.names[i] = []byte(stored)
			k.cols[i] = sc.lookup(k.names[i], &k.lower)
		}
	}
}

// setChecks sets k.checks from k.cols.
func (k *keyMap) setChecks(sc *tableSchema) {
	k.checks = k.checks[:0]
	for _, c := range k.cols {
		check := colNone
		if c >= 0 {
			check = sc.cols[c].check
		}
		k.checks = append(k.checks, check)
	}
}

// name is the stored name of field i, f.
func (k *keyMap) name(i int, f *eventjson.Field) []byte {
	if k.names[i] != nil {
		return k.names[i]
	}
	return f.Name
}

// lowerName is the stored name of field i, f, in lower case, valid until
// the next call.
func (k *keyMap) lowerName(i int, f *eventjson.Field) []byte {
	k.lower = appendLower(k.lower[:0], k.name(i, f))
	return k.lower
}

// newFields is the mask of fields that have a value and no column.
func (k *keyMap) newFields(fields []eventjson.Field) uint64 {
	var m uint64
	for i := range fields {
		if k.cols[i] < 0 && fields[i].Kind != 'n' {
			m |= fieldBit(i)
		}
	}
	return m
}

// covered is the mask of fields that have a column or whose stored name
// is in added, by lower-case name.
func (k *keyMap) covered(fields []eventjson.Field, added map[string]colType) uint64 {
	m := ^uint64(0)
	for i := range fields {
		if k.cols[i] >= 0 {
			continue
		}
		if _, ok := added[string(k.lowerName(i, &fields[i]))]; !ok {
			m &^= fieldBit(i)
		}
	}
	return m
}

// rename gives fields their stored names.
func (k *keyMap) rename(fields []eventjson.Field) []eventjson.Field {
	if k.renamed {
		for i := range fields {
			if k.names[i] != nil {
				fields[i].Name = k.names[i]
			}
		}
	}
	return fields
}

// check checks a record's fields against sc's columns, as mapped by k. It
// returns why the record cannot be stored, or whether it is pending: a
// field with a value and no column, or a value that widens its column.
func (k *keyMap) check(fields []eventjson.Field, sc *tableSchema) (pending bool, err error) {
	for i := range fields {
		f := &fields[i]
		// The common cases first, without a call: this runs for every
		// value of every record.
		switch check := k.checks[i]; {
		case check == colString, f.Kind == 'n':
			continue
		case check == colNone:
			pending = true // a value and no column
			continue
		case check == colDouble && f.IsNumber() && (len(f.Raw) <= 18 || hasFraction(f.Raw)):
			continue
		case check == colBigint && f.IsNumber() && len(f.Raw) <= 18 && !hasFraction(f.Raw):
			continue
		case check == colTimestamp && f.Kind == '"' && !f.Escaped:
			if _, ok := k.times.ParseUTCTime(f.Raw); ok {
				continue
			}
		}
		c := k.cols[i]
		switch fits(sc.cols[c].check, &f.Value) {
		case rejected:
			return false, columnError(k.name(i, f), &f.Value, sc.cols[c].typ)
		case widensColumn:
			pending = true
		}
	}
	return pending, nil
}

// minDecodeShare is the fewest records worth handing to another decoder.
const minDecodeShare = 512

// decodeStep is how many records a decoder takes at a time: one that waits
// for a core (the client's fetching and the uploads want them too) leaves
// the rest of the poll to the others.
const decodeStep = 2048

// decodeAll decodes the records of a poll and checks them against the
// schema sc, on as many goroutines as there are CPUs: checking every record
// is most of the sink's own work, and the records of one poll are
// independent. It returns how many are pending. The results are valid until
// the next call.
func (s *Sink) decodeAll(recs []*kgo.Record, sc *tableSchema) ([]decoded, int) {
	out := slices.Grow(s.decBuf[:0], len(recs))[:len(recs)]
	workers := max(1, min(runtime.GOMAXPROCS(0), len(recs)/minDecodeShare))
	for len(s.decoders) < workers {
		s.decoders = append(s.decoders, new(decodeWorker))
	}
	var next atomic.Int64 // the first record no decoder has taken
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			dw := s.decoders[w]
			dw.flat, dw.lines, dw.pending = dw.flat[:0], dw.lines[:0], 0
			for {
				from := int(next.Add(decodeStep) - decodeStep)
				if from >= len(recs) {
					return
				}
				// The decoder's last object before this step's first
				// is not the record before it in the poll.
				prevOK := false
				for i := from; i < min(from+decodeStep, len(recs)); i++ {
					ok := s.decodeOne(dw, recs[i], sc, &out[i])
					out[i].sameKeys = out[i].sameKeys && prevOK
					prevOK = prevOK || ok
				}
			}
		})
	}
	wg.Wait()
	pending := 0
	for _, dw := range s.decoders[:workers] {
		pending += dw.pending
	}
	s.decBuf = out
	return out, pending
}

// decodeOne decodes and checks one record into d, with dw's memory, and
// says whether it is a JSON object (a table's row or not).
func (s *Sink) decodeOne(dw *decodeWorker, r *kgo.Record, sc *tableSchema, d *decoded) bool {
	*d = decoded{narrowed: sc.narrowed}
	start := len(dw.flat)
	fields, same, err := dw.dec.Object(r.Value, dw.flat)
	if err != nil {
		d.err = err
		dw.flat = fields[:start]
		return false
	}
	fs := fields[start:len(fields):len(fields)]
	k := &dw.keys
	if !same || dw.sc != sc {
		k.set(fs, sc, s.opts.TimeField)
		dw.sc = sc
	}
	d.sameKeys = same
	// A value that does not fit its column is the reason before a time
	// that is not one; a pending record's time is admit's to read.
	if d.pending, d.err = k.check(fs, sc); d.err == nil && !d.pending {
		d.day, d.err = s.recordDay(r, fs, k)
	}
	if d.err == nil && d.pending {
		d.newFields = k.newFields(fs)
		dw.pending++
	}
	switch {
	case d.err != nil:
		dw.flat = fields[:start]
	case s.opts.Format == catalog.FormatParquet && d.pending:
		d.fields, dw.flat = fs, fields // admit renames them
	case s.opts.Format == catalog.FormatParquet:
		d.fields, dw.flat = k.rename(fs), fields
	case d.pending:
		dw.flat = fields[:start] // admit decodes it again
	default:
		dw.flat = fields[:start]
		if k.renamed {
			n := len(dw.lines)
			dw.lines = appendRenamed(dw.lines, fs, k.names)
			d.line = dw.lines[n:len(dw.lines):len(dw.lines)]
		}
	}
	return true
}

// recordDay is the record's partition date: its time field's, or its Kafka
// timestamp's.
func (s *Sink) recordDay(r *kgo.Record, fields []eventjson.Field, k *keyMap) (int64, error) {
	if s.opts.TimeField == "" {
		if sec := r.Timestamp.Unix(); sec < minPartitionTime || sec > maxPartitionTime {
			return 0, fmt.Errorf("the record's Kafka timestamp %d is outside the years 1..9999", r.Timestamp.UnixMilli())
		}
		return daysOf(r.Timestamp), nil
	}
	if k.timeAt < 0 {
		return 0, fmt.Errorf("no time field %q (--time-field)", s.opts.TimeField)
	}
	t, err := recordTime(fields[k.timeAt].Name, &fields[k.timeAt].Value)
	if err != nil {
		return 0, err
	}
	return daysOf(t), nil
}

// dataSize is the size of the table object a batch makes, or for Parquet an
// estimate of it, so that MaxBytes is the size of the objects in either format.
func (s *Sink) dataSize(b *partBatch) int {
	if b.pq == nil {
		return b.data.Len()
	}
	return s.pqSizes.estimate(b.pq)
}

// writeLine appends one JSON value as one line, compacting it if it spans
// several (JSON lines readers need one object a line).
func writeLine(dst *chunks, v []byte) {
	if bytes.IndexByte(v, '\n') >= 0 || bytes.IndexByte(v, '\r') >= 0 {
		var c bytes.Buffer
		if json.Compact(&c, v) == nil {
			v = c.Bytes()
		}
	}
	dst.Write(v)
	dst.WriteByte('\n')
}

// deadLetter is one line of a dead-letter object.
type deadLetter struct {
	Topic     string    `json:"topic"`
	Partition int32     `json:"partition"`
	Offset    int64     `json:"offset"`
	Timestamp time.Time `json:"timestamp"`
	Reason    string    `json:"reason"`
	Key       []byte    `json:"key_base64"`
	Value     []byte    `json:"value_base64"`
	ValueText string    `json:"value_text,omitempty"`
}

func appendDeadLetter(dst []byte, r *kgo.Record, reason error) []byte {
	dl := deadLetter{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Timestamp: r.Timestamp.UTC(),
		Reason: reason.Error(), Key: r.Key, Value: r.Value}
	if len(r.Value) <= 4096 && json.Valid(r.Value) {
		dl.ValueText = string(r.Value)
	}
	b, _ := json.Marshal(dl) // cannot fail: plain types only
	dst = append(dst, b...)
	return append(dst, '\n')
}

// due lists the partitions whose batch has waited MaxAge.
func (s *Sink) due(now time.Time) []int32 {
	var ps []int32
	for p, b := range s.parts {
		if !b.empty() && b.claim == nil && now.Sub(b.opened) >= s.opts.MaxAge {
			ps = append(ps, p)
		}
	}
	return ps
}

// held lists every partition with records held.
func (s *Sink) held() []int32 {
	var ps []int32
	for p, b := range s.parts {
		if !b.empty() {
			ps = append(ps, p)
		}
	}
	return ps
}

// dropLocked forgets what is held of partition p.
func (s *Sink) dropLocked(p int32) {
	if b := s.parts[p]; b != nil {
		s.heldBytes -= b.bytes()
		b.data.Reset()
	}
	delete(s.parts, p)
	delete(s.chains, p)
}

// parquetSizes is what the sink has learned of its Parquet objects' sizes:
// how to estimate a batch's encoded size before it is encoded (so that
// MaxBytes cuts Parquet objects too), and how much room a partition's next
// batch makes at once. It is safe for concurrent use.
type parquetSizes struct {
	// ratio is the float64 bits of JSON bytes in over Parquet bytes out of
	// the last Parquet object; 0 until there is one.
	ratio atomic.Uint64
	mu    sync.Mutex
	last  map[int32]pqSize // guarded by mu: what the last object of each partition held (partitions differ in size)
}

// estimate is how large the Parquet object of b would be.
func (z *parquetSizes) estimate(b *parquetBatch) int {
	ratio := 1.0
	if bits := z.ratio.Load(); bits != 0 {
		ratio = math.Float64frombits(bits)
	}
	return b.size(ratio)
}

// hint is what the last object of partition p held.
func (z *parquetSizes) hint(p int32) pqSize {
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.last[p]
}

// stored learns from the Parquet object of partition p that b encoded to
// size bytes.
func (z *parquetSizes) stored(p int32, b *parquetBatch, size int) {
	z.ratio.Store(math.Float64bits(max(1, float64(b.in)/float64(size))))
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.last == nil {
		z.last = map[int32]pqSize{}
	}
	z.last[p] = b.held()
}
