package sqlq

import "testing"

func TestParseTypeAthena(t *testing.T) {
	tests := []struct{ duck, athena string }{
		{"BIGINT", "bigint"},
		{"HUGEINT", "bigint"},
		{"DECIMAL(18,3)", "decimal(18,3)"},
		{"VARCHAR[]", "array<varchar>"},
		{"INTEGER[3][]", "array<array<integer>>"},
		{`STRUCT("a" INTEGER, "b,""c" VARCHAR[])`, `struct<a:integer,b,"c:array<varchar>>`},
		{"MAP(VARCHAR, STRUCT(x DOUBLE))", "map<varchar,struct<x:double>>"},
		{"ENUM('a', 'b)')", "varchar"},
		{"TIMESTAMP_NS", "timestamp"},
		{"TIMESTAMPTZ", "timestamp with time zone"},
		{"SOMETHING NEW(", "varchar"},
	}
	for _, tt := range tests {
		if got := parseType(tt.duck).athena(); got != tt.athena {
			t.Errorf("%s: %s, want %s", tt.duck, got, tt.athena)
		}
	}
}

func TestEngineMessage(t *testing.T) {
	msg := "Binder Error: Referenced column \"foo\" not found in FROM clause!\nCandidate bindings: \"symbol\"\n\nLINE 1: SELECT foo FROM t\n               ^"
	want := `Binder Error: Referenced column "foo" not found in FROM clause! Candidate bindings: "symbol"`
	if got := engineMessage(msg); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
