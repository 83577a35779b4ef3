package react_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/parlorhq/parlor/examples/react"
)

func TestHandlerServesThePage(t *testing.T) {
	h := http.StripPrefix("/react", react.Handler())
	for _, tc := range []struct{ path, ctype, contains string }{
		{"/react/", "text/html; charset=utf-8", `<script type="module" src="app.js">`},
		{"/react/app.js", "text/javascript; charset=utf-8", "The Parlor React example"},
		{"/react/style.css", "text/css; charset=utf-8", "#messages"},
	} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, tc.path, nil))
		if w.Code != http.StatusOK {
			t.Fatalf("%s: status %d", tc.path, w.Code)
		}
		if got := w.Header().Get("Content-Type"); got != tc.ctype {
			t.Errorf("%s: Content-Type %q, want %q", tc.path, got, tc.ctype)
		}
		if got := w.Header().Get("Cache-Control"); got != "no-cache" {
			t.Errorf("%s: Cache-Control %q", tc.path, got)
		}
		if !strings.Contains(w.Body.String(), tc.contains) {
			t.Errorf("%s: the body lacks %q", tc.path, tc.contains)
		}
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/react/src/app.jsx", nil))
	if w.Code != http.StatusNotFound {
		t.Errorf("the source is served: status %d", w.Code)
	}
}
