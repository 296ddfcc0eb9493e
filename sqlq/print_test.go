package sqlq_test

import (
	"bytes"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"pipeline/sqlq"
)

func sample() *sqlq.Result {
	return &sqlq.Result{
		Columns: []sqlq.Column{{"symbol", "varchar"}, {"n", "bigint"}, {"avg_price", "double"},
			{"last_ts", "timestamp"}, {"dt", "date"}, {"fee", "decimal(5,2)"}, {"up", "boolean"}},
		Rows: [][]any{
			{"AAPL", int64(3), 102.41666666666667, time.Date(2026, 11, 27, 9, 30, 0, 0, time.UTC),
				time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC), "1.50", true},
			{`say "hi", then` + "\nbye", int64(12345), 0.1, nil, nil, nil, false},
		},
	}
}

func ExamplePrint() {
	res := &sqlq.Result{
		Columns: []sqlq.Column{{"symbol", "varchar"}, {"trades", "bigint"}, {"avg_price", "double"}},
		Rows:    [][]any{{"AAPL", int64(3), 102.25}, {"MSFT", int64(12), nil}},
	}
	sqlq.Print(os.Stdout, res, "table")
	sqlq.Print(os.Stdout, res, "csv")
	sqlq.Print(os.Stdout, res, "json")
	// Output:
	// +--------+--------+-----------+
	// | symbol | trades | avg_price |
	// +--------+--------+-----------+
	// | AAPL   |      3 |    102.25 |
	// | MSFT   |     12 |      NULL |
	// +--------+--------+-----------+
	// (2 rows)
	// symbol,trades,avg_price
	// AAPL,3,102.25
	// MSFT,12,
	// [
	//   {"symbol":"AAPL","trades":3,"avg_price":102.25},
	//   {"symbol":"MSFT","trades":12,"avg_price":null}
	// ]
}

func TestPrint(t *testing.T) {
	tests := []struct {
		format string
		res    *sqlq.Result
		want   string
	}{
		{"table", sample(), `+---------------------+-------+--------------------+-------------------------+------------+------+-------+
| symbol              |     n |          avg_price | last_ts                 | dt         |  fee | up    |
+---------------------+-------+--------------------+-------------------------+------------+------+-------+
| AAPL                |     3 | 102.41666666666667 | 2026-11-27 09:30:00.000 | 2026-11-27 | 1.50 | true  |
| say "hi", then\nbye | 12345 |                0.1 | NULL                    | NULL       | NULL | false |
+---------------------+-------+--------------------+-------------------------+------------+------+-------+
(2 rows)
`},
		{"csv", sample(), `symbol,n,avg_price,last_ts,dt,fee,up
AAPL,3,102.41666666666667,2026-11-27 09:30:00.000,2026-11-27,1.50,true
"say ""hi"", then
bye",12345,0.1,,,,false
`},
		{"json", sample(), `[
  {"symbol":"AAPL","n":3,"avg_price":102.41666666666667,"last_ts":"2026-11-27 09:30:00.000","dt":"2026-11-27","fee":1.50,"up":true},
  {"symbol":"say \"hi\", then\nbye","n":12345,"avg_price":0.1,"last_ts":null,"dt":null,"fee":null,"up":false}
]
`},
		{"table", &sqlq.Result{Columns: []sqlq.Column{{"n", "bigint"}}}, `+---+
| n |
+---+
+---+
(0 rows)
`},
		{"json", &sqlq.Result{Columns: []sqlq.Column{{"n", "bigint"}}}, "[]\n"},
		{"csv", &sqlq.Result{Columns: []sqlq.Column{{"n", "bigint"}}}, "n\n"},
		{"table", &sqlq.Result{Columns: []sqlq.Column{{"x", "double"}}, Rows: [][]any{{math.NaN()}, {math.Inf(-1)}, {1e21}, {1e-7}}}, `+-----------+
|         x |
+-----------+
|       NaN |
| -Infinity |
|     1e+21 |
| 0.0000001 |
+-----------+
(4 rows)
`},
		{"json", &sqlq.Result{Columns: []sqlq.Column{{"x", "double"}, {"x", "varchar"}}, Rows: [][]any{{math.Inf(1), "<&>"}}}, `[
  {"x":"Infinity","x":"<&>"}
]
`},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			var b bytes.Buffer
			if err := sqlq.Print(&b, tt.res, tt.format); err != nil {
				t.Fatal(err)
			}
			if b.String() != tt.want {
				t.Errorf("got\n%s\nwant\n%s", b.String(), tt.want)
			}
		})
	}
}

func TestValidFormat(t *testing.T) {
	for _, f := range []string{"table", "csv", "json"} {
		if err := sqlq.ValidFormat(f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	err := sqlq.ValidFormat("xml")
	if err == nil || err.Error() != `unknown output format "xml": use table, csv or json` {
		t.Errorf("xml: %v", err)
	}
	if err := sqlq.Print(&bytes.Buffer{}, sample(), "xml"); err == nil {
		t.Error("Print in format xml: no error")
	}
}

// TestTableRowsBound checks that a table keeps and shows at most TableRows
// rows, counts the rest, and that rows reused by the caller print as they were.
func TestTableRowsBound(t *testing.T) {
	var b bytes.Buffer
	rw, err := sqlq.NewRowWriter(&b, []sqlq.Column{{"n", "bigint"}}, "table")
	if err != nil {
		t.Fatal(err)
	}
	rw.TableRows = 2
	row := make([]any, 1)
	for i := range 5 {
		row[0] = int64(i) // one slice, reused as QueryEach does
		if err := rw.Write(row); err != nil {
			t.Fatal(err)
		}
	}
	if err := rw.Close(); err != nil {
		t.Fatal(err)
	}
	want := `+---+
| n |
+---+
| 0 |
| 1 |
+---+
(5 rows, the first 2 shown: -o csv or -o json prints them all)
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

// TestTableValueChars: a table cuts a text longer than TableValueChars and
// says so after the count; shorter texts and other formats are whole.
func TestTableValueChars(t *testing.T) {
	long := strings.Repeat("é", 30)
	print := func(format string, chars int, row ...any) string {
		var b bytes.Buffer
		rw, err := sqlq.NewRowWriter(&b, []sqlq.Column{{"s", "varchar"}, {"n", "bigint"}}, format)
		if err != nil {
			t.Fatal(err)
		}
		rw.TableValueChars = chars
		if err := rw.Write(row); err != nil {
			t.Fatal(err)
		}
		if err := rw.Close(); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	want := `+-------------+---+
| s           | n |
+-------------+---+
| éééééééééé… | 7 |
+-------------+---+
(1 row)
(values longer than 10 characters cut: -o csv or -o json prints them whole)
`
	if got := print("table", 10, long, int64(7)); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if got := print("table", 30, long, int64(7)); !strings.Contains(got, "| "+long+" |") || strings.Contains(got, "cut") {
		t.Errorf("a value of 30 characters at 30:\n%s", got)
	}
	if got := print("csv", 10, long, int64(7)); got != "s,n\n"+long+",7\n" {
		t.Errorf("csv: %q", got)
	}
}
