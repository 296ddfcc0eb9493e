package observe

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestReadyChecksRunAtOnce: /readyz runs its checks together, so that two
// hung services cost one timeout, not one each: here each check holds only
// if the other has started while it waits.
func TestReadyChecksRunAtOnce(t *testing.T) {
	started := [2]chan struct{}{make(chan struct{}), make(chan struct{})}
	check := func(me, other int) Check {
		return Check{Name: "c", Fn: func(ctx context.Context) error {
			close(started[me])
			select {
			case <-started[other]:
				return nil
			case <-ctx.Done():
				return errors.New("the other check did not start while this one ran")
			}
		}}
	}
	srv := httptest.NewServer(Handler(NewMetrics(), check(0, 1), check(1, 0)))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/readyz: %s %s", resp.Status, body)
	}
}
