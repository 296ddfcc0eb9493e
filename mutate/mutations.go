package main

// The rows of the README's Guarantees table, by the start of each promise.
const (
	rowExactlyOnce = "Every event the producer had acknowledged is queryable exactly once"
	rowRebalance   = "Two or three sinks in one group"
	rowS3Faults    = "S3 failing"
	rowBroker      = "Broker faults"
	rowDeadLetters = "Bad records never stop the sink"
	rowHostile     = "Hostile names"
	rowOneTable    = "No object is stored where no query reads it"
	rowDurable     = "`kill -9` of `pipeline emulate`"
	rowCSV         = "A CSV source's bad cell, line or file"
	rowAthena      = "The emulated Athena gives Trino's answer or refuses"
	rowZombie      = "A sink that stalls past its session"
	rowRestarted   = "A sink restarted over and over"
	rowInstanceID  = "Two running sinks given one instance id"
	rowSIGTERM     = "SIGTERM ends a sink within 10 s"
	rowDiskFull    = "A full disk is named"
	rowUnserved    = "An S3 call the emulator does not serve never changes data"
	rowAnyKeys     = "Any set of S3 keys can be stored"
	rowGuard       = "A web page or a rebound DNS name cannot reach the emulator"
	rowEmuFull     = "A full disk loses nothing and says so"
	rowParsers     = "Parsers never crash on garbage"
	rowAnyRecords  = "Any producer's JSON objects are stored as rows"
	rowTypes       = "One bad value never changes or breaks a table"
	rowNotHidden   = "Nothing stored breaks a query, and nothing is hidden"
	rowOwnBucket   = "A bucket made beforehand, even by another account"
	rowWidth       = "A topic whose records keep bringing new fields"
)

func pipelineTest(name string) test { return test{pkg: "pipeline", name: name} }
func emulateTest(name string) test  { return test{pkg: "emulate", name: name} }
func cliTest(name string) test      { return test{pkg: ".", name: name} }
func longTest(name string) test     { return test{pkg: ".", name: name, args: []string{"-long"}} }

// mutations break, one at a time, the code that keeps each guarantee; every
// test named must then fail. Each edit's from is code as it is now in the
// package (tabs and all), to is what the mutation makes of it.
var mutations = []mutation{
	{
		name: "offsets committed before the PUT",
		row:  rowExactlyOnce,
		pkg:  "pipeline",
		edits: []edit{{
			from: `	err := s.store(s.upCtx, sb)
	<-s.upSlots
	if s.commits.uploaded(sb, err) {
		s.commits.commitStored(s.upCtx, sb.p)
	}`,
			to: `	sb.end = sb.b.last
	s.commits.uploaded(sb, nil)
	s.commits.commitStored(s.upCtx, sb.p)
	s.store(s.upCtx, sb)
	<-s.upSlots`,
		}},
		tests: []test{pipelineTest("TestSinkSurvivesStorageFaults"), longTest("TestCrashLoop")},
	},
	{
		name: "a partition commits past a batch still uploading",
		row:  rowExactlyOnce,
		pkg:  "pipeline",
		edits: []edit{{
			from: `	for n < len(q) && (q[n].stored || q[n].dropped) {`,
			to:   `	for n < len(q) {`,
		}},
		tests: []test{pipelineTest("TestCommitTrackerCommitsOnlyStoredPrefix")},
	},
	{
		name: "objects and claims are written over what is there",
		row:  rowZombie,
		pkg:  "pipeline",
		edits: []edit{{
			from: `				ContentType:   aws.String(contentType),
				IfNoneMatch:   aws.String("*"),`,
			to: `				ContentType:   aws.String(contentType),`,
		}, {
			from: `				ContentType: aws.String(contentType),
				IfNoneMatch: aws.String("*"),`,
			to: `				ContentType: aws.String(contentType),`,
		}},
		tests: []test{pipelineTest("TestSinkFollowsAClaimItLostTo"), longTest("TestZombieSink")},
	},
	{
		name: "a sink is a dynamic member, whatever its instance id",
		row:  rowRestarted,
		pkg:  "pipeline",
		edits: []edit{{
			from: `	if s.opts.InstanceID != "" {
		opts = append(opts, kgo.InstanceID(s.opts.InstanceID))`,
			to: `	if false {
		opts = append(opts, kgo.InstanceID(s.opts.InstanceID))`,
		}},
		tests: []test{longTest("TestRapidCrashLoop")},
	},
	{
		name: "a sink displaced from its instance id goes on",
		row:  rowInstanceID,
		pkg:  "pipeline",
		edits: []edit{{
			from: `			case errors.Is(ferr, kerr.FencedInstanceID):`,
			to:   `			case false && errors.Is(ferr, kerr.FencedInstanceID):`,
		}},
		tests: []test{longTest("TestSinkSharingAnInstanceIDStops")},
	},
	{
		name: "a stop waits a minute for what it holds",
		row:  rowSIGTERM,
		pkg:  "pipeline",
		edits: []edit{{
			from: `	StopTimeout:      8 * time.Second,`,
			to:   `	StopTimeout:      60 * time.Second,`,
		}},
		tests: []test{longTest("TestSinkStopsWithinTenSeconds")},
	},
	{
		name: "a stop waits for the poll's every record to add its column",
		row:  rowSIGTERM,
		pkg:  "pipeline",
		edits: []edit{{
			from: `				err = ctx.Err() // a stop ends the poll's records at once: the next owner reads the rest`,
			to:   `				err = nil`,
		}, {
			from: `		if err := ctx.Err(); err != nil {
			return prev, err // stopping: no catalog change holds the stop up`,
			to: `		if err := ctx.Err(); false && err != nil {
			return prev, err`,
		}},
		tests: []test{pipelineTest("TestSinkStopsWhileAddingColumns")},
	},
	{
		name: "a table grows past --max-columns",
		row:  rowWidth,
		pkg:  "pipeline",
		edits: []edit{{
			from: `			if room--; room < 0 {`,
			to:   `			if room--; false && room < 0 {`,
		}},
		tests: []test{pipelineTest("TestSinkMaxColumns")},
	},
	{
		name: "each record adds its own columns, one catalog change each",
		row:  rowWidth,
		pkg:  "pipeline",
		edits: []edit{{
			from: `		if pending > 0 {
			var added bool`,
			to: `		if false && pending > 0 {
			var added bool`,
		}},
		tests: []test{pipelineTest("TestSinkAddsAPollsColumnsAtOnce")},
	},
	{
		name: "a record with the keys of the one before adds no column",
		row:  rowWidth,
		pkg:  "pipeline",
		edits: []edit{{
			from: `|| known && d.newFields&^covered == 0 {`,
			to:   `|| known && covered != 0 {`,
		}},
		tests: []test{pipelineTest("TestSinkAddsThePollsColumnsOfRecordsWithTheSameKeys")},
	},
	{
		name: "an integer beyond a bigint is stored as a double",
		row:  rowNotHidden,
		pkg:  "pipeline",
		edits: []edit{{
			from: `	if len(num) <= 18 || hasFraction(num) {`,
			to:   `	if true || len(num) <= 18 || hasFraction(num) {`,
		}},
		tests: []test{pipelineTest("TestSinkRefusesIntegersBeyondBigint")},
	},
	{
		name: "a full disk is one more failed PUT",
		row:  rowDiskFull,
		pkg:  "pipeline",
		edits: []edit{{
			from: `		case diskFull(err):`,
			to:   `		case false && diskFull(err):`,
		}},
		tests: []test{pipelineTest("TestSinkSaysDiskFull")},
	},
	{
		name: "onRevoked neither stores nor commits what it holds",
		row:  rowRebalance,
		pkg:  "pipeline",
		edits: []edit{{
			from: `	err := s.sealLocked(ctx, ps)
	if err == nil {
		err = s.commits.waitStored(ctx, ps)
	}
	if err != nil {
		s.opts.Logger.Warn("flush on revoke failed`,
			to: `	return
	err := s.sealLocked(ctx, ps)
	if err == nil {
		err = s.commits.waitStored(ctx, ps)
	}
	if err != nil {
		s.opts.Logger.Warn("flush on revoke failed`,
		}},
		tests: []test{pipelineTest("TestSinkRebalance")},
	},
	{
		name: "a failed PUT is not retried",
		row:  rowS3Faults,
		pkg:  "pipeline",
		edits: []edit{{
			from: `	err = retry(ctx, func() error {
		if _, err := body.Seek(0, io.SeekStart); err != nil {`,
			to: `	err = func() error {
		if _, err := body.Seek(0, io.SeekStart); err != nil {`,
		}, {
			from: `		return err
	})
	if err != nil {
		return false, fmt.Errorf("store s3://%s/%s: %w", s.opts.Bucket, key, err)`,
			to: `		return err
	}()
	if err != nil {
		return false, fmt.Errorf("store s3://%s/%s: %w", s.opts.Bucket, key, err)`,
		}},
		tests: []test{pipelineTest("TestSinkSurvivesStorageFaults"), pipelineTest("TestSinkSurvivesEarlyErrorsMidBody")},
	},
	{
		name: "a retried PUT does not send its body from the first byte",
		row:  rowS3Faults,
		pkg:  "pipeline",
		edits: []edit{{
			from: `		if _, err := body.Seek(0, io.SeekStart); err != nil {
			return backoff.Permanent(err)
		}
`,
			to: ``,
		}},
		tests: []test{pipelineTest("TestSinkSurvivesEarlyErrorsMidBody")},
	},
	{
		name: "a PUT is not bounded by PutTimeout",
		row:  rowS3Faults,
		pkg:  "pipeline",
		edits: []edit{{
			from: `		actx, cancel := context.WithTimeout(ctx, s.opts.PutTimeout)`,
			to:   `		actx, cancel := context.WithCancel(ctx)`,
		}},
		tests: []test{pipelineTest("TestSinkSurvivesStorageFaults/slow")},
	},
	{
		name: "the poll loop does not retry a failed commit",
		row:  rowS3Faults,
		pkg:  "pipeline",
		edits: []edit{{
			from: `		if err == nil {
			s.commits.tryRetry(ctx)
		}`,
			to: ``,
		}},
		tests: []test{pipelineTest("TestProducerAndSinkSurviveBrokerFaults/a_failed_commit_is_retried")},
	},
	{
		name: "a failed commit is forgotten",
		row:  rowS3Faults,
		pkg:  "pipeline",
		edits: []edit{{
			from: `		t.log.Warn("commit failed; will retry", "err", err)
		return`,
			to: `		t.log.Warn("commit failed; will retry", "err", err)
		t.mu.Lock()
		clear(t.failed)
		t.mu.Unlock()
		return`,
		}},
		tests: []test{
			pipelineTest("TestCommitTrackerRetriesFailedCommits"),
			pipelineTest("TestProducerAndSinkSurviveBrokerFaults/a_failed_commit_is_retried"),
		},
	},
	{
		name: "undeliverable events are not counted",
		row:  rowBroker,
		pkg:  "pipeline",
		edits: []edit{{
			from: `	if err != nil {
		p.failed.Add(1)`,
			to: `	if err != nil {
		return
		p.failed.Add(1)`,
		}},
		tests: []test{pipelineTest("TestProducerAndSinkSurviveBrokerFaults/undeliverable_events_are_reported")},
	},
	{
		name: "dead letters are not stored",
		row:  rowDeadLetters,
		pkg:  "pipeline",
		edits: []edit{{
			from: `	if b.nBad > 0 && !haveBad {
		created, err := s.putObject(ctx, dlKey,`,
			to: `	if false {
		created, err := s.putObject(ctx, dlKey,`,
		}},
		tests: []test{pipelineTest("TestSinkDeadLetters")},
	},
	{
		name: "a record the table cannot hold stops the sink",
		row:  rowDeadLetters,
		pkg:  "pipeline",
		edits: []edit{{
			from: `	if d.err != nil {
		b.bad = appendDeadLetter(b.bad, r, d.err)`,
			to: `	if d.err != nil {
		return d.err
		b.bad = appendDeadLetter(b.bad, r, d.err)`,
		}},
		tests: []test{pipelineTest("TestSinkDeadLetters")},
	},
	{
		name: "QuoteIdent does not escape a quote",
		row:  rowHostile,
		pkg:  "catalog",
		edits: []edit{{
			from: "return `\"` + strings.ReplaceAll(name, `\"`, `\"\"`) + `\"`",
			to:   "return `\"` + name + `\"`",
		}},
		tests: []test{pipelineTest("TestHostileSymbols"), {pkg: "sqlq/duckdb", name: "TestDuckDBHostileNames"}, {pkg: "catalog", name: "TestQuote"}},
	},
	{
		name: "QuoteLiteral does not escape a quote",
		row:  rowHostile,
		pkg:  "catalog",
		edits: []edit{{
			from: `return "'" + strings.ReplaceAll(s, "'", "''") + "'"`,
			to:   `return "'" + s + "'"`,
		}},
		tests: []test{pipelineTest("TestHostileSymbols"), {pkg: "sqlq/duckdb", name: "TestDuckDBHostileNames"}, {pkg: "catalog", name: "TestQuote"}},
	},
	{
		name: "a second place quotes SQL",
		row:  rowHostile,
		pkg:  "pipeline",
		edits: []edit{{
			from: `				return catalog.QuoteIdent(n)`,
			to:   "				return `\"` + strings.ReplaceAll(n, `\"`, `\"\"`) + `\"`",
		}},
		tests: []test{{pkg: "catalog", name: "TestSQLIsQuotedInOnePlace"}},
	},
	{
		name: "the S3 store keeps a key's . and .. segments as they are",
		row:  rowHostile,
		pkg:  "emulate",
		edits: []edit{{
			from: `	clean := seg[0] != '.'`,
			to:   `	clean := true`,
		}},
		tests: []test{emulateTest("FuzzKeyPath"), emulateTest("TestEscapeSegment")},
	},
	{
		name: "a key prefix may climb out with ..",
		row:  rowHostile,
		pkg:  "pipeline",
		edits: []edit{{
			from: `if seg == "" || seg == "." || seg == ".." || strings.ContainsFunc(seg, unicode.IsControl) {`,
			to:   `if seg == "" || strings.ContainsFunc(seg, unicode.IsControl) {`,
		}},
		tests: []test{pipelineTest("FuzzObjectKey"), pipelineTest("TestCleanPrefix")},
	},
	{
		name: "a sink stores where its topic's table does not read",
		row:  rowOneTable,
		pkg:  "pipeline",
		edits: []edit{{
			from: `	case !sameLocation(tbl.Location, loc):`,
			to:   `	case false && !sameLocation(tbl.Location, loc):`,
		}},
		tests: []test{cliTest("TestRunRefusesObjectsItsTableWouldNotRead")},
	},
	{
		name: "a sink stores a format its topic's table does not read",
		row:  rowOneTable,
		pkg:  "pipeline",
		edits: []edit{{
			from: `	case tbl.Format != "" && tbl.Format != t.format:`,
			to:   `	case false:`,
		}},
		tests: []test{cliTest("TestRunRefusesObjectsItsTableWouldNotRead")},
	},
	{
		name: "the crawler merges a same-named folder into a table",
		row:  rowOneTable,
		pkg:  "pipeline",
		edits: []edit{{
			from: `		case !sameLocation(t.Location, loc):
			// Another folder of the same name has the table`,
			to: `		case false:
			// Another folder of the same name has the table`,
		}},
		tests: []test{pipelineTest("TestCrawlKeepsTablesApart")},
	},
	{
		name: "an object's temp file is not fsynced",
		row:  rowDurable,
		pkg:  "emulate",
		edits: []edit{{
			from: `	if err == nil && !s.noSync {
		err = f.Sync()
	}
`,
			to: ``,
		}},
		tests: []test{emulateTest("TestDiskStorePutIsFsyncedAndRenamed")},
	},
	{
		name: "an object's directory is not fsynced after the rename",
		row:  rowDurable,
		pkg:  "emulate",
		edits: []edit{{
			from: `	for _, d := range append(objDirs, filepath.Dir(l.obj)) {
		if err := s.syncDir(d); err != nil {
			return err
		}
	}`,
			to: `	_ = objDirs`,
		}},
		tests: []test{emulateTest("TestDiskStorePutIsFsyncedAndRenamed")},
	},
	{
		name: "an object is copied into place, not renamed",
		row:  rowDurable,
		pkg:  "emulate",
		edits: []edit{{
			from: `	if err := objTmp.renameTo(l.obj); err != nil {`,
			to: `	if err := func() error {
		b, err := os.ReadFile(objTmp.path)
		if err != nil {
			return err
		}
		os.Remove(objTmp.path)
		objTmp.path = ""
		return os.WriteFile(l.obj, b, 0o644)
	}(); err != nil {`,
		}},
		tests: []test{emulateTest("TestDiskStorePutIsFsyncedAndRenamed")},
	},
	{
		name: "a crash between an overwrite's renames strips the old object of its metadata",
		row:  rowDurable,
		pkg:  "emulate",
		edits: []edit{{
			from: `	case sc.Prev != nil && sc.Prev.describes(fi):`,
			to:   `	case false && sc.Prev != nil:`,
		}},
		tests: []test{emulateTest("TestDiskStoreKilledBetweenRenamesKeepsObjectWithItsMetadata")},
	},
	{
		name: "partial files of killed PUTs stay in the store's .tmp for good",
		row:  rowDurable,
		pkg:  "emulate",
		edits: []edit{{
			from: `		err = store.RemoveTemp()`,
			to:   `		_ = store.RemoveTemp`,
		}},
		tests: []test{emulateTest("TestStackRemovesTempLeftovers")},
	},
	{
		name: "a PUT streams into the object's own file",
		row:  rowDurable,
		pkg:  "emulate",
		edits: []edit{{
			from: `	obj, err := s.writeTemp(body)`,
			to:   `	obj, err := s.writeTempAt(l.obj, body)`,
		}, {
			from: `func (s *DiskStore) writeTemp(r io.Reader) (tempFile, error) {
	f, err := os.CreateTemp(s.tmpDir, "put-*")`,
			to: `func (s *DiskStore) writeTemp(r io.Reader) (tempFile, error) { return s.writeTempAt("", r) }

func (s *DiskStore) writeTempAt(at string, r io.Reader) (tempFile, error) {
	f, err := os.CreateTemp(s.tmpDir, "put-*")
	if err == nil && at != "" {
		f.Close()
		os.Remove(f.Name())
		os.MkdirAll(filepath.Dir(at), 0o755)
		f, err = os.Create(at)
	}`,
		}},
		tests: []test{emulateTest("TestDiskStorePutIsFsyncedAndRenamed"), emulateTest("TestDiskStoreKilledMidPutLeavesNoPartialObject")},
	},
	{
		name: "a multipart part whose bytes and description disagree is listed",
		row:  rowDurable,
		pkg:  "emulate",
		edits: []edit{{
			from: `		if err != nil || fi.Size() != sc.Size || fi.ModTime().UnixNano() != sc.MTimeNano || name != partFile(sc.Number) {`,
			to:   `		if err != nil || fi == nil {`,
		}},
		tests: []test{emulateTest("TestDiskStorePartsAreDurable")},
	},
	{
		name: "an S3 subresource without a handler is served as a plain request",
		row:  rowUnserved,
		pkg:  "emulate",
		edits: []edit{{
			from: `		if op.sub == "" && len(subs) == 0 || op.sub != "" && slices.Contains(subs, op.sub) {`,
			to:   `		if op.sub == "" || slices.Contains(subs, op.sub) {`,
		}},
		tests: []test{emulateTest("TestS3SubresourcesNeverWrite")},
	},
	{
		name: "a subresource S3 defines is unknown to the router",
		row:  rowUnserved,
		pkg:  "emulate",
		edits: []edit{{
			from: `"renameObject", "replication", "requestPayment", "restore", "retention", "select", "session",`,
			to:   `"renameObject", "replication", "requestPayment", "restore", "select", "session",`,
		}},
		tests: []test{emulateTest("TestS3SubresourcesListed")},
	},
	{
		name: "headers asking for Object Lock, SSE-C or appends are ignored",
		row:  rowUnserved,
		pkg:  "emulate",
		edits: []edit{{
			from: `	for _, u := range unimplementedHeaders {`,
			to:   `	for _, u := range unimplementedHeaders[:0] {`,
		}},
		tests: []test{emulateTest("TestS3UnimplementedHeadersRefused")},
	},
	{
		name: "an object's file is named as a folder would be",
		row:  rowAnyKeys,
		pkg:  "emulate",
		edits: []edit{{
			from: `func fileName(seg string) string { return fitName(objectMark, seg) }`,
			to:   `func fileName(seg string) string { return fitName("", seg) }`,
		}},
		tests: []test{emulateTest("TestDiskStoreKeysBesideFolders"), emulateTest("TestS3WeirdKeysStayInTheBucket")},
	},
	{
		name: "the emulator answers any Host",
		row:  rowGuard,
		pkg:  "emulate",
		edits: []edit{{
			from: `	if !g.hostAllowed(r.Host) {`,
			to:   `	if false && !g.hostAllowed(r.Host) {`,
		}},
		tests: []test{emulateTest("TestGuardHosts")},
	},
	{
		name: "the emulator answers any web page",
		row:  rowGuard,
		pkg:  "emulate",
		edits: []edit{{
			from: `	if origin == "" || !g.OriginAllowed(origin) {`,
			to:   `	if false {`,
		}},
		tests: []test{emulateTest("TestGuardCORS")},
	},
	{
		name: "Glue and Athena take requests unsigned or wrongly signed",
		row:  rowGuard,
		pkg:  "emulate",
		edits: []edit{{
			from: `Router{S3: http.HandlerFunc(s.serveS3), Services: svc, Verify: s.api.verifyJSON}`,
			to:   `Router{S3: http.HandlerFunc(s.serveS3), Services: svc}`,
		}},
		tests: []test{emulateTest("TestGuardSignedJSONAPIs")},
	},
	{
		name: "the emulator's full disk is an internal error, and unlogged",
		row:  rowEmuFull,
		pkg:  "emulate",
		edits: []edit{{
			from: `	case isDiskFull(err):
		e = s3Err(`,
			to: `	case false:
		e = s3Err(`,
		}, {
			from: `	if err != nil && isDiskFull(err) && n.say != nil {`,
			to:   `	if false {`,
		}},
		tests: []test{emulateTest("TestS3DiskFull")},
	},
	{
		name: "the emulated Kafka lets a full disk fail writes with UNKNOWN_SERVER_ERROR",
		row:  rowDiskFull,
		pkg:  "emulate",
		edits: []edit{{
			from: `	if free >= need {`,
			to:   `	if true {`,
		}},
		tests: []test{pipelineTest("TestProduceDiskFull")},
	},
	{
		name: "the embedded Kafka keeps its log and commits in memory",
		row:  rowDurable,
		pkg:  "emulate",
		edits: []edit{{
			from: `		kfake.DataDir(dir),
`,
			to: ``,
		}},
		tests: []test{cliTest("TestSeparateProcessesStoreEachEventOnce")},
	},
	{
		name: "Athena casts a map to JSON in the map's order, not Trino's sorted keys",
		row:  rowAthena,
		pkg:  "emulate",
		edits: []edit{{
			from: `	return q.fill("CAST(map_from_entries(list_sort(map_entries(__1))) AS JSON)", []any{n["child"]}, n)`,
			to:   `	return q.fill("CAST(__1 AS JSON)", []any{n["child"]}, n)`,
		}},
		tests: []test{emulateTest("TestAthenaTrinoJSON")},
	},
	{
		name: "inside try(...), a refused value is NULL",
		row:  rowAthena,
		pkg:  "emulate",
		edits: []edit{{
			from: `	if !ok || !strings.HasPrefix(msg, "NOT_SUPPORTED: ") {`,
			to:   `	if !ok || !strings.HasPrefix(msg, "NOT_SUPPORTED: ") || true {`,
		}},
		tests: []test{emulateTest("TestAthenaTrinoTry")},
	},
	{
		name: "Athena keeps a smallint or tinyint operand narrow, as DuckDB does",
		row:  rowAthena,
		pkg:  "emulate",
		edits: []edit{{
			from: `	if len(t) != 2 || !t[0].isInteger() || !t[1].isInteger() || t[0].id == t[1].id {`,
			to:   `	if true {`,
		}},
		tests: []test{emulateTest("TestAthenaTrinoTypeRules")},
	},
	{
		name: "Athena sums intervals' months and the rest together",
		row:  rowAthena,
		pkg:  "emulate",
		edits: []edit{{
			from: `const intervalSum = "(to_months(CAST(sum(" + intervalMonths + ") AS INTEGER)) + to_microseconds(CAST(sum(" + intervalRest + ") AS BIGINT)))"`,
			to:   `const intervalSum = "(to_microseconds(CAST(sum(" + intervalRest + ") AS BIGINT)))"`,
		}},
		tests: []test{emulateTest("TestAthenaTrinoNoFalseRefusals")},
	},
	{
		name: "Athena divides integers as DuckDB does, not Trino",
		row:  rowAthena,
		pkg:  "emulate",
		edits: []edit{{
			from: `			op := "//"
			if call == "%" {`,
			to: `			op := "/"
			if call == "%" {`,
		}},
		tests: []test{emulateTest("TestAthenaTrinoSemantics"), emulateTest("TestAthenaTrinoColumnTypes")},
	},
	{
		name: "Athena converts types wherever DuckDB's binder does",
		row:  rowAthena,
		pkg:  "emulate",
		edits: []edit{{
			from: `	if trinoCoerces(from, to) {
		return nil
	}`,
			to: `	if from.id != "" || trinoCoerces(from, to) {
		return nil
	}`,
		}},
		tests: []test{emulateTest("TestAthenaTrinoSemantics")},
	},
	{
		name: "a VALUES list's columns keep DuckDB's names",
		row:  rowAthena,
		pkg:  "emulate",
		edits: []edit{{
			from: `		names[i] = fmt.Sprintf("_col%d", i)`,
			to:   `		names[i] = fmt.Sprintf("col%d", i)`,
		}},
		tests: []test{emulateTest("TestAthenaTrinoValuesNames")},
	},
	{
		name: "ListQueryExecutions sends an empty list the model forbids",
		row:  rowAthena,
		pkg:  "emulate",
		edits: []edit{{
			from: "QueryExecutionIds []string `json:\"QueryExecutionIds,omitempty\"`",
			to:   "QueryExecutionIds []string `json:\"QueryExecutionIds\"`",
		}},
		tests: []test{emulateTest("TestAthenaRepliesMatchAWSModel")},
	},
	{
		name: "a Glue database names its catalog in a member Glue does not have",
		row:  rowAthena,
		pkg:  "emulate",
		edits: []edit{{
			from: "CatalogId   string            `json:\"CatalogId\"`",
			to:   "CatalogId   string            `json:\"CatalogID\"`",
		}},
		tests: []test{emulateTest("TestGlueRepliesMatchAWSModel")},
	},
	{
		name: "one bad cell decides a CSV column's type",
		row:  rowCSV,
		pkg:  "pipeline",
		edits: []edit{{
			from: `func mostly(good, n int) bool { return n > 0 && (n-good)*100 <= n }`,
			to:   `func mostly(good, n int) bool { return n > 0 && good == n }`,
		}},
		tests: []test{pipelineTest("TestCSVTypeByTheBulk"), cliTest("TestRunFromSingleStockCSVs")},
	},
	{
		name: "a CSV record over the bound is taken if it fits the read-ahead",
		row:  rowCSV,
		pkg:  "pipeline",
		edits: []edit{{
			from: `if errors.Is(err, errRecordTooLong) || off-c.start > c.max {`,
			to:   `if errors.Is(err, errRecordTooLong) {`,
		}},
		tests: []test{pipelineTest("TestCSVRecordBound")},
	},
	{
		name: "a workbook, archive or PDF named .csv is read as CSV",
		row:  rowCSV,
		pkg:  "pipeline",
		edits: []edit{{
			from: `	for _, n := range notCSV {`,
			to:   `	for _, n := range notCSV[:0] {`,
		}},
		tests: []test{pipelineTest("TestCSVNotText")},
	},
	{
		name: "the event scanner reads past the end of a record",
		row:  rowParsers,
		pkg:  "internal/eventjson",
		edits: []edit{{
			from: `	i = s.skipSpace(i + 1)
	if i < len(s.b) && s.b[i] == '}' {
		return i + 1, nil
	}
	for {
		var name []byte`,
			to: `	i = s.skipSpace(i + 1)
	if s.b[i] == '}' {
		return i + 1, nil
	}
	for {
		var name []byte`,
		}},
		tests: []test{
			{pkg: "internal/eventjson", name: "FuzzDecodeHeaderMatchesReference", fuzz: "20000x"},
			{pkg: "pipeline", name: "FuzzDecodeHeader", fuzz: "20000x"},
		},
	},
	{
		name: "the fast time parser takes day 31 of every month",
		row:  rowParsers,
		pkg:  "internal/eventjson",
		edits: []edit{{
			from: `day < 1 || day > daysIn(month, year) {`,
			to:   `day < 1 || day > 31 {`,
		}},
		tests: []test{{pkg: "internal/eventjson", name: "FuzzDecodeHeaderTime"}},
	},
	{
		name: "the crawler types a column by its value's text",
		row:  rowParsers,
		pkg:  "pipeline",
		edits: []edit{{
			from: `			t := cellType[valueKind(&f.Value, text)]`,
			to:   `			t := string(text)`,
		}},
		tests: []test{pipelineTest("FuzzInferJSONLines")},
	},
	{
		name: "a CSV row's symbol is not checked",
		row:  rowParsers,
		pkg:  "pipeline",
		edits: []edit{{
			from: `	} else if !validSymbol(symbol) {
		return "", t, skipBadSymbol`,
			to: `	} else if false {
		return "", t, skipBadSymbol`,
		}},
		tests: []test{{pkg: "pipeline", name: "FuzzCSVRow", fuzz: "20000x"}},
	},
	{
		name: "CSV headers keep characters SQL names cannot have",
		row:  rowParsers,
		pkg:  "pipeline",
		edits: []edit{{
			from: `		} else {
			sep = true
		}`,
			to: `		} else {
			b = append(b, c)
		}`,
		}},
		tests: []test{pipelineTest("FuzzOpenCSV")},
	},
	{
		name: "the partition filter parser reads past the last token",
		row:  rowParsers,
		pkg:  "emulate",
		edits: []edit{{
			from: `	if p.i < len(p.toks) && p.toks[p.i].is(s) {`,
			to:   `	if p.toks[p.i].is(s) {`,
		}},
		tests: []test{{pkg: "emulate", name: "FuzzPartitionFilter", fuzz: "20000x"}},
	},
	{
		name: "a Hive string ending in a backslash reads past the statement",
		row:  rowParsers,
		pkg:  "emulate",
		edits: []edit{{
			from: `					i = min(i+2, len(s)) // a backslash at the end escapes nothing`,
			to:   `					i += 2`,
		}},
		tests: []test{emulateTest("FuzzHiveDDL")},
	},
	{
		name: "the SQL tokenizer reads past a closing quote at the end",
		row:  rowParsers,
		pkg:  "emulate",
		edits: []edit{{
			from: `if i+1 < len(s) && s[i+1] == c { // doubled: an escaped quote`,
			to:   `if s[i+1] == c { // doubled: an escaped quote`,
		}},
		tests: []test{emulateTest("FuzzRewriteSQL")},
	},
	{
		name: "a new field is not added to the table",
		row:  rowAnyRecords,
		pkg:  "pipeline",
		edits: []edit{{
			from: `			changes = append(changes, catalog.Column{Name: string(k.name(i, f)), Type: cellType[valueKind(&f.Value, text)]})`,
			to:   `			_ = text`,
		}, {
			// The poll adds its records' new columns before admit sees them.
			from: `				recNew = append(recNew, catalog.Column{Name: string(k.name(j, f)), Type: cellType[valueKind(&f.Value, text)]})`,
			to:   `				_ = text`,
		}},
		tests: []test{pipelineTest("TestSinkStoresAnyRecords")},
	},
	{
		name: "the time field is ignored: every record is placed by its Kafka timestamp",
		row:  rowAnyRecords,
		pkg:  "pipeline",
		edits: []edit{{
			from: `	if s.opts.TimeField == "" {
		if sec := r.Timestamp.Unix(); sec < minPartitionTime || sec > maxPartitionTime {`,
			to: `	if true {
		if sec := r.Timestamp.Unix(); sec < minPartitionTime || sec > maxPartitionTime {`,
		}},
		tests: []test{pipelineTest("TestSinkTimeField")},
	},
	{
		name: "a value its column cannot read is accepted",
		row:  rowTypes,
		pkg:  "pipeline",
		edits: []edit{{
			from: `	}
	return rejected
}`,
			to: `	}
	return fitsColumn
}`,
		}},
		tests: []test{pipelineTest("TestSinkKeepsColumnTypes")},
	},
	{
		name: "the crawler types a table by its objects alone, to string if one disagrees",
		row:  rowTypes,
		pkg:  "pipeline",
		edits: []edit{{
			from: `		t.Columns = catalog.EvolveColumns(t.Columns, cols)`,
			to:   `		t.Columns = cols`,
		}},
		tests: []test{pipelineTest("TestCrawlKeepsTypedColumns")},
	},
	{
		name: "a sink takes its own column types over the catalog's",
		row:  rowTypes,
		pkg:  "pipeline",
		edits: []edit{{
			from: `				sc = newTableSchema(tbl.Columns, prev)`,
			to:   `				sc, _ = newTableSchema(catalog.EvolveColumns(prev.columns(), changes), prev), tbl`,
		}},
		tests: []test{pipelineTest("TestEvolveTwoSinksRace")},
	},
	{
		name: "a record after a dead letter is checked by the keys before it",
		row:  rowTypes,
		pkg:  "internal/eventjson",
		edits: []edit{{
			from: `		if d.s.isMemo {`,
			to:   `		if false && d.s.isMemo {`,
		}},
		tests: []test{pipelineTest("TestSinkChecksARecordByItsOwnKeys")},
	},
	{
		name: "half a surrogate pair is stored",
		row:  rowNotHidden,
		pkg:  "internal/eventjson",
		edits: []edit{{
			from: `		if r := unhex4(b[i-4:]); utf16.IsSurrogate(r) {`,
			to:   `		if r := unhex4(b[i-4:]); false && utf16.IsSurrogate(r) {`,
		}},
		tests: []test{pipelineTest("TestSinkRefusesWhatNoTableHolds")},
	},
	{
		name: "a field named dt is not renamed",
		row:  rowNotHidden,
		pkg:  "pipeline",
		edits: []edit{{
			from: `	if len(name) == 0 || len(name) == len(PartitionKey) && strings.EqualFold(string(name), PartitionKey) {`,
			to:   `	if len(name) == 0 {`,
		}},
		tests: []test{pipelineTest("TestSinkRenamesFieldsAPartitionHides"), pipelineTest("FuzzSinkRecord")},
	},
	{
		name: "a field keeps its own spelling, not its column's",
		row:  rowNotHidden,
		pkg:  "pipeline",
		edits: []edit{{
			from: `	return col >= 0 && sc.cols[col].name != string(name)`,
			to:   `	return false`,
		}},
		tests: []test{pipelineTest("TestSinkFollowsTheCatalogsSpelling")},
	},
	{
		name: "a bucket is created without asking whether it exists",
		row:  rowOwnBucket,
		pkg:  "pipeline",
		edits: []edit{{
			from: `	err := CheckBucket(ctx, s3c, bucket)
	if !errors.Is(err, ErrNoBucket) {`,
			to: `	err := fmt.Errorf("%w", ErrNoBucket)
	if !errors.Is(err, ErrNoBucket) {`,
		}},
		tests: []test{pipelineTest("TestSinkInABucketItDidNotCreate")},
	},
	{
		name: "the sink's policy may delete objects",
		row:  rowOwnBucket,
		pkg:  "aws",
		edits: []edit{{
			from: `			stmt("Objects", []string{"s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"},
				objects(`,
			to: `			stmt("Objects", []string{"s3:PutObject", "s3:GetObject", "s3:DeleteObject", "s3:AbortMultipartUpload"},
				objects(`,
		}},
		tests: []test{{pkg: "aws", name: "TestPoliciesLeastPrivilege"}},
	},
}
