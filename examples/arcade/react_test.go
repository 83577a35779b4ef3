package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestReactPageServed checks that the arcade serves the React example's
// page, its bundled script and its style sheet under /react/, revalidated
// on every use.
func TestReactPageServed(t *testing.T) {
	ta := startArcade(t, "")
	for _, tc := range []struct{ path, ctype, contains string }{
		{"/react/", "text/html; charset=utf-8", `<script type="module" src="app.js">`},
		{"/react/app.js", "text/javascript; charset=utf-8", "The Parlor React example"},
		{"/react/style.css", "text/css; charset=utf-8", "#messages"},
	} {
		resp, err := http.Get(ta.srv.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d", tc.path, resp.StatusCode)
		}
		if got := resp.Header.Get("Content-Type"); got != tc.ctype {
			t.Errorf("%s: Content-Type %q, want %q", tc.path, got, tc.ctype)
		}
		if got := resp.Header.Get("Cache-Control"); got != "no-cache" {
			t.Errorf("%s: Cache-Control %q, want no-cache", tc.path, got)
		}
		if !strings.Contains(string(body), tc.contains) {
			t.Errorf("%s: body lacks %q", tc.path, tc.contains)
		}
	}
}
