package main

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"pipeline/emulate"
)

// binary is the pipeline command built once for the CLI tests, so that each
// test runs it as a user does: a new process every time.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "pipeline-cli-*")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "pipeline")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		os.Stderr.Write(out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// pipelineCmd runs the binary and returns stdout, stderr and the exit code.
func pipelineCmd(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	return pipelineCmdEnv(t, nil, args...)
}

// pipelineCmdEnv is pipelineCmd with extra environment variables.
func pipelineCmdEnv(t *testing.T, env []string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return stdout.String(), stderr.String(), code
}

// oneClearLine asserts a user error: non-zero exit, one line on stderr that
// says what is wrong, and no Go stack trace.
func oneClearLine(t *testing.T, stderr string, code int, says string) {
	t.Helper()
	if code == 0 {
		t.Fatalf("exit 0, want an error saying %q", says)
	}
	lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
	if len(lines) != 1 || !strings.Contains(stderr, says) || strings.Contains(stderr, "goroutine ") {
		t.Fatalf("stderr = %q, want one line saying %q", stderr, says)
	}
}

func TestRunThenQueryInAnotherProcess(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	out, errOut, code := pipelineCmd(t, "run", "--events", "20000", "--rate", "0", "--data-dir", dir)
	if code != 0 {
		t.Fatalf("run exited %d: %s", code, errOut)
	}
	for _, want := range []string{"symbol", "last_price", "AAPL", "MSFT", "events produced: 20000", "rows queryable: 20000"} {
		if !strings.Contains(out, want) {
			t.Errorf("run output lacks %q:\n%s", want, out)
		}
	}

	out, errOut, code = pipelineCmd(t, "query", "--data-dir", dir, "--output", "csv", "SELECT count(*) AS n FROM stock_topic")
	if code != 0 || out != "n\n20000\n" {
		t.Fatalf("query: exit %d, stdout %q, stderr %q; want n\\n20000", code, out, errOut)
	}
	out, _, code = pipelineCmd(t, "query", "--data-dir", dir, "--output", "csv",
		"SELECT count(DISTINCT symbol) AS symbols, count(DISTINCT dt) >= 1 AS dated FROM stock_market.stock_topic")
	if code != 0 || out != "symbols,dated\n20,true\n" {
		t.Fatalf("query by database: exit %d, %q", code, out)
	}

	// A table shows --max-rows rows and says how many there are.
	out, errOut, code = pipelineCmd(t, "query", "--data-dir", dir, "--max-rows", "3", "SELECT seq FROM stock_topic ORDER BY symbol, seq")
	if code != 0 || strings.Count(out, "\n") != 3+5 || !strings.HasSuffix(out, "(20000 rows, the first 3 shown: -o csv or -o json prints them all)\n") {
		t.Fatalf("query --max-rows 3: exit %d, stderr %q, stdout\n%s", code, errOut, out)
	}

	// A table cuts a long value (a list of 100,000 numbers here) and says
	// so; CSV prints it whole.
	out, errOut, code = pipelineCmd(t, "query", "--data-dir", dir, "SELECT range(100000) AS l")
	if code != 0 || strings.Count(out, "\n") != 7 || !strings.Contains(out, ", 1850, 185…") || !strings.HasSuffix(out, "(1 row)\n(values longer than 10000 characters cut: -o csv or -o json prints them whole)\n") {
		t.Fatalf("query of a long list: exit %d, stderr %q, stdout %.300q...%q", code, errOut, out, out[max(0, len(out)-200):])
	}
	out, _, code = pipelineCmd(t, "query", "--data-dir", dir, "-o", "csv", "SELECT range(100000) AS l")
	if code != 0 || !strings.HasSuffix(out, ", 99998, 99999]\"\n") {
		t.Fatalf("query -o csv of a long list: exit %d, stdout ending %q", code, out[max(0, len(out)-100):])
	}

	// Bad SQL: one clear line, non-zero exit, and the data is still there.
	_, errOut, code = pipelineCmd(t, "query", "--data-dir", dir, "SELEC nonsense")
	oneClearLine(t, errOut, code, "syntax error")
	_, errOut, code = pipelineCmd(t, "query", "--data-dir", dir, "SELECT nope FROM stock_topic")
	oneClearLine(t, errOut, code, "nope")
	// SQL that writes: refused, and the objects and the view are as they were.
	objects, _ := filepath.Glob(filepath.Join(dir, "s3", defaultBucket, "stock_topic", "dt=*", "*.json"))
	if len(objects) == 0 {
		t.Fatal("no object stored")
	}
	before, _ := os.ReadFile(objects[0])
	for _, q := range []string{
		"COPY (SELECT 'EVIL' AS symbol) TO '" + objects[0] + "' (FORMAT json)",
		"COPY (SELECT 'EVIL' AS symbol) TO '" + filepath.Join(filepath.Dir(objects[0]), "evil.json") + "' (FORMAT json)",
		"CREATE OR REPLACE VIEW stock_topic AS SELECT 42 AS n",
	} {
		_, errOut, code = pipelineCmd(t, "query", "--data-dir", dir, q)
		oneClearLine(t, errOut, code, "statements are refused: this engine only reads")
	}
	if after, _ := os.ReadFile(objects[0]); !bytes.Equal(after, before) {
		t.Errorf("%s changed by a refused COPY", objects[0])
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(objects[0]), "evil.json")); err == nil {
		t.Error("a refused COPY wrote evil.json")
	}
	out, _, _ = pipelineCmd(t, "query", "--data-dir", dir, "--output", "csv", "SELECT count(*) AS n FROM stock_topic")
	if out != "n\n20000\n" {
		t.Fatalf("after bad SQL the count is %q", out)
	}

	// A second run on the same data dir adds to it: nothing overwritten.
	if _, errOut, code := pipelineCmd(t, "run", "--events", "1000", "--rate", "0", "--data-dir", dir); code != 0 {
		t.Fatalf("second run exited %d: %s", code, errOut)
	}
	out, _, _ = pipelineCmd(t, "query", "--data-dir", dir, "--output", "csv", "SELECT count(*) AS n FROM stock_topic")
	if out != "n\n21000\n" {
		t.Fatalf("after a second run of 1000 the count is %q, want 21000", out)
	}
}

// TestRunWithATimeFieldNoRecordHas checks that a run whose every record is a
// dead letter says so in one line, not that its table is missing.
func TestRunWithATimeFieldNoRecordHas(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	_, errOut, code := pipelineCmd(t, "run", "--events", "300", "--rate", "0", "--time-field", "nosuch", "--data-dir", dir)
	oneClearLine(t, errOut, code, "every one of the 300 events went to dead letters")
}

// TestRunRefusesObjectsItsTableWouldNotRead checks that a run into a table of
// another format, or of another folder, stops before producing, with one
// clear line, and leaves the table as it was.
func TestRunRefusesObjectsItsTableWouldNotRead(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if _, errOut, code := pipelineCmd(t, "run", "--events", "500", "--rate", "0", "--data-dir", dir); code != 0 {
		t.Fatalf("run exited %d: %s", code, errOut)
	}
	_, errOut, code := pipelineCmd(t, "run", "--events", "500", "--rate", "0", "--format", "parquet", "--data-dir", dir)
	oneClearLine(t, errOut, code, "holds json objects")
	_, errOut, code = pipelineCmd(t, "run", "--events", "500", "--rate", "0", "--prefix", "other/", "--data-dir", dir)
	oneClearLine(t, errOut, code, "reads s3://stock-market-data/stock_topic/, not s3://stock-market-data/other/stock_topic/ where this sink would store")
	out, _, _ := pipelineCmd(t, "query", "--data-dir", dir, "--output", "csv", "SELECT count(*) AS n FROM stock_topic")
	if out != "n\n500\n" {
		t.Fatalf("after the refused runs the count is %q, want 500", out)
	}
	// Refused before storing anything: no Parquet object, nothing under other/.
	filepath.WalkDir(filepath.Join(dir, "s3"), func(path string, d fs.DirEntry, err error) error {
		if err == nil && (strings.HasSuffix(path, ".parquet") || d.IsDir() && d.Name() == "other") {
			t.Errorf("a refused run stored %s", path)
		}
		return err
	})
	// A topic of its own is a table of its own, in any format.
	if _, errOut, code := pipelineCmd(t, "run", "--events", "500", "--rate", "0", "--format", "parquet", "--topic", "ticks_pq", "--data-dir", dir); code != 0 {
		t.Fatalf("run into ticks_pq exited %d: %s", code, errOut)
	}
	out, _, _ = pipelineCmd(t, "query", "--data-dir", dir, "--output", "csv",
		"SELECT (SELECT count(*) FROM stock_topic) AS j, (SELECT count(*) FROM ticks_pq) AS p")
	if out != "j,p\n500,500\n" {
		t.Fatalf("two tables: %q, want 500 each", out)
	}
}

// sharedData is the path of a file of the project's shared data: the folder
// shared/data beside the repository, or beside the folder of worktrees it is
// checked out in. It skips the test if the file is absent.
func sharedData(t *testing.T, name string) string {
	t.Helper()
	for _, up := range []string{"..", "../.."} {
		p := filepath.Join(up, "shared", "data", name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Skipf("shared data %s is absent", name)
	return ""
}

func TestRunFromCSVKeepsItsColumns(t *testing.T) {
	src := sharedData(t, "indexProcessed.csv")
	dir := filepath.Join(t.TempDir(), "data")
	if _, errOut, code := pipelineCmd(t, "run", "--source", src, "--events", "5000", "--rate", "0", "--data-dir", dir); code != 0 {
		t.Fatalf("run exited %d: %s", code, errOut)
	}
	out, errOut, code := pipelineCmd(t, "query", "--data-dir", dir, "--output", "csv",
		"SELECT count(*) AS n, count(DISTINCT symbol) <= 13 AS ok, min(adj_close) > 0 AS adj, max(volume) > 4294967296 AS big, "+
			"bool_and(symbol = \"index\") AS same FROM stock_topic")
	if code != 0 || out != "n,ok,adj,big,same\n5000,true,true,true,true\n" {
		t.Fatalf("query: exit %d, %q, %s", code, out, errOut)
	}
	// Leading zeros of a ticker survive.
	out, _, _ = pipelineCmd(t, "query", "--data-dir", dir, "--output", "csv",
		"SELECT DISTINCT symbol FROM stock_topic WHERE symbol LIKE '0%'")
	if !strings.Contains(out, "000001.SS") {
		t.Errorf("000001.SS lost its leading zeros: %q", out)
	}
}

// TestRunFromSingleStockCSVs runs the pipeline on single-stock downloads
// (no symbol column), named by a path, a glob and a comma list, replayed
// merged in time order: each file's symbol is its name's, one bad date and
// one bad volume are skipped rows, and the date column stays a date.
func TestRunFromSingleStockCSVs(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	fixtures := filepath.Join("pipeline", "testdata", "csv")
	const rows = 249 + 248 + 188 // AAPL, JPM and MSFT's usable rows: one replay
	out, errOut, code := pipelineCmd(t, "run", "--data-dir", dir, "--order", "replay", "--events", fmt.Sprint(rows), "--rate", "0",
		"--source", filepath.Join(fixtures, "AAPL.csv"), "--source", filepath.Join(fixtures, "JPM_*.csv")+","+filepath.Join(fixtures, "MSFT.csv"))
	if code != 0 {
		t.Fatalf("run exited %d: %s", code, errOut)
	}
	for _, want := range []string{
		"source: 3 files, 685 rows, 3 symbols; symbol from the file name: AAPL (pipeline/testdata/csv/AAPL.csv), " +
			"JPM (pipeline/testdata/csv/JPM_bad_cells.csv), MSFT (pipeline/testdata/csv/MSFT.csv)\n",
		"skipped 3 bad rows: 1 of pipeline/testdata/csv/AAPL.csv (1 missing value in open); " +
			"2 of pipeline/testdata/csv/JPM_bad_cells.csv (1 unparsable number in volume, 1 unparsable time in date)\n",
		// Table I: each symbol's last row, with the source's own date.
		"| AAPL   | 2023-12-29 |", "| JPM    | 2023-12-29 |", "| MSFT   | 2024-02-29 |",
		fmt.Sprintf("events produced: %d", rows),
	} {
		if !strings.Contains(out, want) {
			t.Errorf("run output lacks %q:\n%s", want, out)
		}
	}
	out, errOut, code = pipelineCmd(t, "query", "--data-dir", dir, "--output", "csv",
		"SELECT symbol, typeof(date) AS t, count(*) AS n, min(date) AS first, max(date) AS last, bool_and(volume > 0) AS v FROM stock_topic GROUP BY ALL ORDER BY symbol")
	want := "symbol,t,n,first,last,v\n" +
		"AAPL,DATE,249,2023-01-03,2023-12-29,true\n" +
		"JPM,DATE,248,2023-01-03,2023-12-29,true\n" +
		"MSFT,DATE,188,2023-06-01,2024-02-29,true\n"
	if code != 0 || out != want {
		t.Fatalf("query: exit %d, %s\n%s\nwant\n%s", code, errOut, out, want)
	}
	// Replay merged the files in time order: within a symbol, seq follows the date.
	out, _, _ = pipelineCmd(t, "query", "--data-dir", dir, "--output", "csv",
		"SELECT count(*) AS disorder FROM (SELECT date < lag(date) OVER (PARTITION BY symbol ORDER BY seq) AS back FROM stock_topic) WHERE back")
	if out != "disorder\n0\n" {
		t.Errorf("rows out of time order: %q", out)
	}
}

func TestUserErrorsAreOneClearLine(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.csv")
	os.WriteFile(garbage, []byte("\x00\x01\x02 not a csv\n\"unterminated"), 0o644)
	noSymbol := filepath.Join(dir, "_export.csv") // a name that gives no symbol either
	os.WriteFile(noSymbol, []byte("a,b\n1,2\n"), 0o644)
	longLine := filepath.Join(dir, "AAPL.csv")
	os.WriteFile(longLine, []byte("Date,Close\n2024-01-02,"+strings.Repeat("9", 1<<20)+"\n"), 0o644)
	xlsx := filepath.Join(dir, "prices.csv")
	os.WriteFile(xlsx, []byte("PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00[Content_Types].xml"), 0o644)
	withSymbols := filepath.Join("pipeline", "testdata", "csv", "leading_zeros.csv")
	for _, tc := range []struct {
		name string
		args []string
		says string
	}{
		{"bad flag", []string{"run", "--bogus"}, "bogus"},
		{"bad mode", []string{"--mode", "moon", "run"}, "must be one of local, cloud"},
		{"bad order", []string{"run", "--order", "shuffle"}, "must be one of sample, replay"},
		{"negative rate", []string{"run", "--rate", "-5"}, "rate"},
		{"negative max records", []string{"run", "--max-records", "-5", "--data-dir", dir}, "--max-records -5"},
		{"negative max age", []string{"run", "--max-age", "-1s", "--data-dir", dir}, "--max-age -1s"},
		{"tiny max buffer", []string{"run", "--max-buffer", "1", "--data-dir", dir}, "--max-buffer 1: want at least 1048576"},
		{"compressed JSON lines", []string{"sink", "--compression", "snappy", "--data-dir", dir}, "is for --format parquet"},
		{"unknown compression", []string{"sink", "--format", "parquet", "--compression", "lz5", "--data-dir", dir}, "must be one of zstd, snappy, gzip, none"},
		{"tiny objects", []string{"sink", "--max-bytes", "10", "--data-dir", dir}, "--max-bytes 10: want at least 1024"},
		{"missing csv", []string{"run", "--source", filepath.Join(dir, "nope.csv"), "--data-dir", dir}, "nope.csv"},
		{"unparsable csv", []string{"run", "--source", garbage, "--data-dir", dir}, "garbage.csv"},
		{"no symbol column", []string{"run", "--source", noSymbol, "--data-dir", dir}, "its name gives no symbol: looked for a header named symbol"},
		{"glob matches nothing", []string{"run", "--source", filepath.Join(dir, "*.xlsx"), "--data-dir", dir}, "no file matches --source"},
		{"1 MiB line", []string{"run", "--source", longLine, "--data-dir", dir}, "the record at line 2 is longer than 1048576 bytes"},
		{"xlsx named csv", []string{"run", "--source", xlsx, "--data-dir", dir}, "prices.csv is a ZIP archive (an .xlsx or .ods workbook is one), not CSV text"},
		{"no record bound", []string{"run", "--source", noSymbol, "--max-record-bytes", "0", "--data-dir", dir}, "--max-record-bytes 0: want a positive number of bytes"},
		{"symbol for files that have one", []string{"run", "--source", withSymbols, "--symbol", "X", "--data-dir", dir}, `symbol "X" is for files without a symbol column`},
		{"query without data", []string{"query", "--data-dir", filepath.Join(dir, "empty"), "SELECT 1"}, "run `pipeline run`"},
		{"query without sql", []string{"query", "--data-dir", dir}, "one SQL statement"},
		{"bad output", []string{"query", "--output", "xml", "SELECT 1"}, "xml"},
		{"negative max rows", []string{"query", "--max-rows", "-1", "SELECT 1"}, "--max-rows -1"},
		{"unknown command", []string{"fly"}, "fly"},
		{"bench in cloud mode", []string{"--mode", "cloud", "bench", "--data-dir", dir}, "local pipeline only"},
		{"bench bad format", []string{"bench", "--formats", "json,csv", "--data-dir", dir}, `format "csv"`},
		{"bench no events", []string{"bench", "--events", "0", "--data-dir", dir}, "--events 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, code := pipelineCmd(t, tc.args...)
			oneClearLine(t, errOut, code, tc.says)
		})
	}
}

func TestRunInProcess(t *testing.T) {
	// main's run is callable in-process too, with its own writers.
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"pipeline", "--help"}, &out, &errOut)
	if code != 0 || !strings.Contains(out.String(), "run") || !strings.Contains(out.String(), "query") {
		t.Fatalf("--help: exit %d, %q %q", code, out.String(), errOut.String())
	}
}

func TestDataDirInUseByAnotherRun(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	first := startPipeline(t, "run", "--duration", "20s", "--data-dir", dir)
	if !poll(20*time.Second, 10*time.Millisecond, func() bool { return strings.Contains(first.stdout.String(), "streaming ticks") }) {
		t.Fatalf("the first run did not start: %s", first.stderr.String())
	}
	_, errOut, code := pipelineCmd(t, "run", "--events", "10", "--data-dir", dir)
	oneClearLine(t, errOut, code, "in use by another pipeline process")
	// A query before the run's crawl: the run is why there is no catalog,
	// unless its sink has made its table already (with its first record).
	out, errOut, code := pipelineCmd(t, "query", "--data-dir", dir, "SELECT 1")
	if code != 0 || !strings.Contains(out, "1") {
		oneClearLine(t, errOut, code, "another pipeline process (a run?) is using it, and a run crawls at its end")
	} else if _, err := os.Stat(emulate.DataDir(dir).CatalogFile()); err != nil {
		t.Errorf("query answered with no catalog made yet: %v", err)
	}
	first.signal(syscall.SIGTERM)
	if code := first.wait(30 * time.Second); code != 0 {
		t.Fatalf("the first run, interrupted, exited %d: %s", code, first.stderr.String())
	}
}
