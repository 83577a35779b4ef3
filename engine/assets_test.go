package engine_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/parlorhq/parlor/engine"
)

// sdkOnDisk reads the bundle the SDK's build writes to js/dist; the engine
// embeds a copy of it (engine/assets/parlor.js).
func sdkOnDisk(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "js", "dist", "parlor.js"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func serveSDK(method, ifNoneMatch string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, "/parlor.js", nil)
	if ifNoneMatch != "" {
		r.Header.Set("If-None-Match", ifNoneMatch)
	}
	w := httptest.NewRecorder()
	engine.SDKHandler().ServeHTTP(w, r)
	return w
}

func TestSDKHandlerServesTheBundle(t *testing.T) {
	want := sdkOnDisk(t)
	w := serveSDK(http.MethodGet, "")
	if w.Code != http.StatusOK {
		t.Fatalf("status %d", w.Code)
	}
	if !bytes.Equal(w.Body.Bytes(), want) {
		t.Fatalf("served %d bytes that differ from js/dist/parlor.js (%d bytes): run `npm run build` in js/", w.Body.Len(), len(want))
	}
	if !bytes.HasPrefix(want, []byte("/*! parlor.js ")) {
		t.Fatalf("js/dist/parlor.js does not start with the SDK banner")
	}
	sum := sha256.Sum256(want)
	for header, value := range map[string]string{
		"Content-Type":           "text/javascript; charset=utf-8",
		"Cache-Control":          "no-cache",
		"ETag":                   `"sha256-` + hex.EncodeToString(sum[:]) + `"`,
		"Content-Length":         strconv.Itoa(len(want)),
		"X-Content-Type-Options": "nosniff",
	} {
		if got := w.Header().Get(header); got != value {
			t.Errorf("%s: %q, want %q", header, got, value)
		}
	}
}

func TestSDKHandlerNotModified(t *testing.T) {
	etag := serveSDK(http.MethodGet, "").Header().Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	for _, inm := range []string{etag, "W/" + etag, `"other", ` + etag, "*"} {
		w := serveSDK(http.MethodGet, inm)
		if w.Code != http.StatusNotModified {
			t.Errorf("If-None-Match %s: status %d, want 304", inm, w.Code)
		}
		if w.Body.Len() != 0 {
			t.Errorf("If-None-Match %s: a 304 with a body of %d bytes", inm, w.Body.Len())
		}
		if got := w.Header().Get("ETag"); got != etag {
			t.Errorf("If-None-Match %s: 304 with ETag %q, want %q", inm, got, etag)
		}
	}
	if w := serveSDK(http.MethodGet, `"sha256-stale"`); w.Code != http.StatusOK || w.Body.Len() == 0 {
		t.Errorf("stale If-None-Match: status %d with %d bytes, want 200 with the bundle", w.Code, w.Body.Len())
	}
}

func TestSDKHandlerMethods(t *testing.T) {
	w := serveSDK(http.MethodHead, "")
	if w.Code != http.StatusOK || w.Body.Len() != 0 {
		t.Errorf("HEAD: status %d with %d bytes, want 200 and no body", w.Code, w.Body.Len())
	}
	if got, want := w.Header().Get("Content-Length"), strconv.Itoa(len(sdkOnDisk(t))); got != want {
		t.Errorf("HEAD: Content-Length %q, want %q", got, want)
	}
	w = serveSDK(http.MethodPost, "")
	if w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: status %d, want 405", w.Code)
	}
	if got := w.Header().Get("Allow"); got != "GET, HEAD" {
		t.Errorf("POST: Allow %q", got)
	}
}

// Serve the browser SDK beside the engine, so that pages import it with no
// npm and no build step:
//
//	<script type="module">
//	  import { connect } from "/parlor.js";
//	  const client = connect("/ws", { token });
//	</script>
func ExampleSDKHandler() {
	mux := http.NewServeMux()
	// mux.Handle("/ws", e) mounts the engine, as in ExampleNew.
	mux.Handle("/parlor.js", engine.SDKHandler())

	w := httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/parlor.js", nil))
	fmt.Println(w.Code, w.Header().Get("Content-Type"))
	// Output: 200 text/javascript; charset=utf-8
}
