package oneline

import "testing"

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"":                                   "",
		"one line":                           "one line",
		"  create bucket:\n\tAccessDenied\n": "create bucket: AccessDenied",
		"a\r\n\r\nb  c":                      "a b c",
	} {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
}
