package sqlq

import "testing"

func TestEngineMessage(t *testing.T) {
	msg := "Binder Error: Referenced column \"foo\" not found in FROM clause!\nCandidate bindings: \"symbol\"\n\nLINE 1: SELECT foo FROM t\n               ^"
	want := `Binder Error: Referenced column "foo" not found in FROM clause! Candidate bindings: "symbol"`
	if got := EngineMessage(msg); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
