// Package browsertest drives headless Chromium from Go tests, for the tests
// of the dashboard. Only tests import it.
//
// A test that opens a page is skipped, and says why, where no Chromium is
// installed (Debian's chromium, chromium-browser, google-chrome, or $CHROME),
// unless PIPELINE_UI_TEST=require (make ui-test) makes that a failure.
// Screenshots go to $PIPELINE_UI_ARTIFACTS (make ui-test: artifacts/ui), or
// to the test's temporary directory.
package browsertest

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Page is a page open in headless Chromium.
type Page struct {
	t     *testing.T
	ctx   context.Context
	shots string
}

// Open starts a headless Chromium of its own (a fresh profile, no network
// but what the page asks for) at width x height and opens url. The browser
// is closed when the test ends.
func Open(t *testing.T, url string, width, height int) *Page {
	t.Helper()
	chrome := find(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chrome),
		chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
	)...)
	t.Cleanup(cancelAlloc)
	bctx, closeBrowser := chromedp.NewContext(actx)
	t.Cleanup(closeBrowser)
	p := &Page{t: t, ctx: bctx, shots: artifacts(t)}
	if err := chromedp.Do(bctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("open %s in Chromium: %v", url, err)
	}
	return p
}

// Need skips the test (or fails it, under PIPELINE_UI_TEST=require) now
// if there is no Chromium, before it starts anything else.
func Need(t *testing.T) {
	t.Helper()
	find(t)
}

func find(t *testing.T) string {
	t.Helper()
	for _, c := range []string{os.Getenv("CHROME"), "chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if c == "" {
			continue
		}
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	if os.Getenv("PIPELINE_UI_TEST") == "require" {
		t.Fatal("no Chromium found (chromium, chromium-browser, google-chrome or $CHROME): apt-get install -y chromium")
	}
	t.Skip("no Chromium found, so the dashboard is not tested in a browser: apt-get install -y chromium (make ui-test does)")
	return ""
}

func artifacts(t *testing.T) string {
	dir := os.Getenv("PIPELINE_UI_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Wait polls the JavaScript expression js until it is true, for up to a
// minute; it fails the test (with a screenshot) if it never is.
func (p *Page) Wait(what, js string) {
	p.t.Helper()
	if _, err := chromedp.Run(p.ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(time.Minute),
		chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		p.Screenshot("failed-" + p.t.Name() + ".png")
		p.t.Fatalf("waiting for %s (%s): %v; screenshots in %s", what, js, err, p.shots)
	}
}

// Eval returns the value of the JavaScript expression js.
func Eval[T any](p *Page, js string) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		p.t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// Type replaces the text of the field at the CSS selector sel with text,
// typed key by key as a user does (select all, type).
func (p *Page) Type(sel, text string) {
	p.t.Helper()
	Eval[bool](p, `(() => { const e = document.querySelector(`+jsString(sel)+`); e.focus(); e.select(); return true })()`)
	if err := chromedp.Do(p.ctx, chromedp.SendKeys(chromedp.CSS(sel), text)); err != nil {
		p.t.Fatalf("type into %s: %v", sel, err)
	}
	if got, err := chromedp.Run(p.ctx, chromedp.Value(chromedp.CSS(sel))); err != nil || got != text {
		p.t.Fatalf("%s holds %q (%v), want %q", sel, got, err, text)
	}
}

// Click clicks the element at the CSS selector sel.
func (p *Page) Click(sel string) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, chromedp.Click(chromedp.CSS(sel))); err != nil {
		p.t.Fatalf("click %s: %v", sel, err)
	}
}

// Screenshot saves the whole page as a PNG named name in the artifacts
// directory and returns its path.
func (p *Page) Screenshot(name string) string {
	p.t.Helper()
	return p.save(name, chromedp.FullScreenshot(100))
}

// ScreenshotView saves what the window shows, as Screenshot does.
func (p *Page) ScreenshotView(name string) string {
	p.t.Helper()
	return p.save(name, chromedp.CaptureScreenshot())
}

func (p *Page) save(name string, shot chromedp.Action[[]byte]) string {
	p.t.Helper()
	png, err := chromedp.Run(p.ctx, shot)
	if err != nil {
		p.t.Errorf("screenshot %s: %v", name, err)
		return ""
	}
	path := filepath.Join(p.shots, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		p.t.Error(err)
	}
	return path
}

// jsString quotes s as a JavaScript string literal: a JSON string is one.
func jsString(s string) string {
	b, _ := json.Marshal(s) // a string: cannot fail
	return string(b)
}
