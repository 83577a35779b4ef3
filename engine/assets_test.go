package engine_test

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/parlorhq/parlor/engine"
)

// sdkOnDisk reads the minified bundle the SDK's build writes to js/dist;
// the engine embeds a copy of it (engine/assets/parlor.min.js).
func sdkOnDisk(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "js", "dist", "parlor.min.js"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// serveSDK requests path from SDKHandler with the given headers (name,
// value pairs).
func serveSDK(method, path string, header ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Add(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	engine.SDKHandler().ServeHTTP(w, r)
	return w
}

func sdkETag(b []byte, suffix string) string {
	sum := sha256.Sum256(b)
	return `"sha256-` + hex.EncodeToString(sum[:]) + suffix + `"`
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSDKHandlerServesTheBundle(t *testing.T) {
	want := sdkOnDisk(t)
	if !bytes.HasPrefix(want, []byte("/*! parlor.js ")) {
		t.Fatalf("js/dist/parlor.min.js does not start with the SDK banner")
	}
	w := serveSDK(http.MethodGet, "/parlor.js")
	if w.Code != http.StatusOK {
		t.Fatalf("status %d", w.Code)
	}
	if !bytes.Equal(w.Body.Bytes(), want) {
		t.Fatalf("served %d bytes that differ from js/dist/parlor.min.js (%d bytes): run `npm run build` in js/", w.Body.Len(), len(want))
	}
	for header, value := range map[string]string{
		"Content-Type":           "text/javascript; charset=utf-8",
		"Cache-Control":          "no-cache",
		"ETag":                   sdkETag(want, ""),
		"Content-Length":         strconv.Itoa(len(want)),
		"Content-Encoding":       "",
		"Vary":                   "Accept-Encoding",
		"X-Content-Type-Options": "nosniff",
	} {
		if got := w.Header().Get(header); got != value {
			t.Errorf("%s: %q, want %q", header, got, value)
		}
	}
}

func TestSDKHandlerVersionedPath(t *testing.T) {
	want := sdkOnDisk(t)
	p := engine.SDKPath()
	sum := sha256.Sum256(want)
	if wantPath := "/parlor." + hex.EncodeToString(sum[:])[:16] + ".js"; p != wantPath {
		t.Fatalf("SDKPath() = %q, want %q", p, wantPath)
	}
	for _, path := range []string{p, "/static" + p} {
		w := serveSDK(http.MethodGet, path)
		if w.Code != http.StatusOK || !bytes.Equal(w.Body.Bytes(), want) {
			t.Fatalf("%s: status %d with %d bytes", path, w.Code, w.Body.Len())
		}
		if got, want := w.Header().Get("Cache-Control"), "public, max-age=31536000, immutable"; got != want {
			t.Errorf("%s: Cache-Control %q, want %q", path, got, want)
		}
	}
	// Any other name is the alias, revalidated on every use: an old
	// version's name must not be cached as if it held this bundle.
	for _, path := range []string{"/parlor.js", "/parlor.0000000000000000.js", "/x" + p + "x"} {
		if got := serveSDK(http.MethodGet, path).Header().Get("Cache-Control"); got != "no-cache" {
			t.Errorf("%s: Cache-Control %q, want no-cache", path, got)
		}
	}
}

func TestSDKHandlerGzip(t *testing.T) {
	want := sdkOnDisk(t)
	for _, tc := range []struct {
		accept []string
		gzip   bool
	}{
		{nil, false},
		{[]string{"gzip"}, true},
		{[]string{"gzip, deflate, br, zstd"}, true},
		{[]string{"br", "GZIP;q=0.5"}, true},
		{[]string{"*"}, true},
		{[]string{"identity"}, false},
		{[]string{"br, deflate"}, false},
		{[]string{"gzip;q=0"}, false},
		{[]string{"gzip; q=0.000, *"}, false},
		{[]string{"*;q=0"}, false},
		{[]string{"*;q=0, gzip"}, true},
	} {
		var header []string
		for _, v := range tc.accept {
			header = append(header, "Accept-Encoding", v)
		}
		w := serveSDK(http.MethodGet, "/parlor.js", header...)
		if w.Code != http.StatusOK {
			t.Fatalf("%q: status %d", tc.accept, w.Code)
		}
		if got := w.Header().Get("Content-Encoding") == "gzip"; got != tc.gzip {
			t.Errorf("Accept-Encoding %q: gzip %v, want %v", tc.accept, got, tc.gzip)
			continue
		}
		body := w.Body.Bytes()
		etag := sdkETag(want, "")
		if tc.gzip {
			if len(body) >= len(want)/2 {
				t.Errorf("%q: gzipped to %d of %d bytes", tc.accept, len(body), len(want))
			}
			body = gunzip(t, body)
			etag = sdkETag(want, "-gzip")
		}
		if !bytes.Equal(body, want) {
			t.Errorf("%q: the body is not the bundle", tc.accept)
		}
		if got := w.Header().Get("ETag"); got != etag {
			t.Errorf("%q: ETag %q, want %q", tc.accept, got, etag)
		}
		if got, want := w.Header().Get("Content-Length"), strconv.Itoa(w.Body.Len()); got != want {
			t.Errorf("%q: Content-Length %s for %s bytes", tc.accept, got, want)
		}
	}
	t.Logf("the SDK is %d bytes, %d gzipped", len(want), serveSDK(http.MethodGet, "/parlor.js", "Accept-Encoding", "gzip").Body.Len())
}

// TestSDKHandlerRange: a range of the plain bundle is served as asked; a
// gzipped response is always whole, its length known.
func TestSDKHandlerRange(t *testing.T) {
	want := sdkOnDisk(t)
	w := serveSDK(http.MethodGet, "/parlor.js", "Range", "bytes=0-9")
	if w.Code != http.StatusPartialContent || !bytes.Equal(w.Body.Bytes(), want[:10]) {
		t.Errorf("plain range: status %d, body %q", w.Code, w.Body.Bytes())
	}
	w = serveSDK(http.MethodGet, "/parlor.js", "Range", "bytes=0-9", "Accept-Encoding", "gzip")
	if w.Code != http.StatusOK || w.Header().Get("Content-Encoding") != "gzip" || !bytes.Equal(gunzip(t, w.Body.Bytes()), want) {
		t.Errorf("gzip with a range: status %d, encoding %q, %d bytes", w.Code, w.Header().Get("Content-Encoding"), w.Body.Len())
	}
}

func TestSDKHandlerNotModified(t *testing.T) {
	for _, enc := range []string{"", "gzip"} {
		etag := serveSDK(http.MethodGet, "/parlor.js", "Accept-Encoding", enc).Header().Get("ETag")
		if etag == "" {
			t.Fatal("no ETag")
		}
		for _, inm := range []string{etag, "W/" + etag, `"other", ` + etag, "*"} {
			w := serveSDK(http.MethodGet, "/parlor.js", "If-None-Match", inm, "Accept-Encoding", enc)
			if w.Code != http.StatusNotModified {
				t.Errorf("%q If-None-Match %s: status %d, want 304", enc, inm, w.Code)
			}
			if w.Body.Len() != 0 {
				t.Errorf("%q If-None-Match %s: a 304 with a body of %d bytes", enc, inm, w.Body.Len())
			}
			if got := w.Header().Get("ETag"); got != etag {
				t.Errorf("%q If-None-Match %s: 304 with ETag %q, want %q", enc, inm, got, etag)
			}
		}
		if w := serveSDK(http.MethodGet, engine.SDKPath(), "If-None-Match", `"sha256-stale"`, "Accept-Encoding", enc); w.Code != http.StatusOK || w.Body.Len() == 0 {
			t.Errorf("%q stale If-None-Match: status %d with %d bytes, want 200 with the bundle", enc, w.Code, w.Body.Len())
		}
	}
	// The plain representation's tag does not validate the gzipped one.
	plain := serveSDK(http.MethodGet, "/parlor.js").Header().Get("ETag")
	if w := serveSDK(http.MethodGet, "/parlor.js", "If-None-Match", plain, "Accept-Encoding", "gzip"); w.Code != http.StatusOK {
		t.Errorf("gzip with the plain ETag: status %d, want 200", w.Code)
	}
}

func TestSDKHandlerMethods(t *testing.T) {
	for _, enc := range []string{"", "gzip"} {
		get := serveSDK(http.MethodGet, engine.SDKPath(), "Accept-Encoding", enc)
		w := serveSDK(http.MethodHead, engine.SDKPath(), "Accept-Encoding", enc)
		if w.Code != http.StatusOK || w.Body.Len() != 0 {
			t.Errorf("%q HEAD: status %d with %d bytes, want 200 and no body", enc, w.Code, w.Body.Len())
		}
		for _, h := range []string{"Content-Length", "ETag", "Content-Encoding", "Cache-Control"} {
			if got, want := w.Header().Get(h), get.Header().Get(h); got != want {
				t.Errorf("%q HEAD: %s %q, GET has %q", enc, h, got, want)
			}
		}
	}
	w := serveSDK(http.MethodPost, "/parlor.js")
	if w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: status %d, want 405", w.Code)
	}
	if got := w.Header().Get("Allow"); got != "GET, HEAD" {
		t.Errorf("POST: Allow %q", got)
	}
}

// TestSDKHandlerOverHTTP fetches the bundle over a real connection, as a
// browser does: Go's transport asks for gzip and inflates it.
func TestSDKHandlerOverHTTP(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("GET /parlor.js", engine.SDKHandler())
	mux.Handle("GET "+engine.SDKPath(), engine.SDKHandler())
	srv := httptest.NewServer(mux)
	defer srv.Close()
	want := sdkOnDisk(t)
	for _, p := range []string{"/parlor.js", engine.SDKPath()} {
		resp, err := srv.Client().Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK || !resp.Uncompressed || !bytes.Equal(body, want) {
			t.Errorf("%s: status %d, inflated %v, %d bytes", p, resp.StatusCode, resp.Uncompressed, len(body))
		}
	}
}

// Serve the browser SDK beside the engine, so that pages import it with no
// npm and no build step. The versioned path is cached for a year; the
// alias is revalidated.
//
//	<script type="module">
//	  import { connect } from "/parlor.js";
//	  const client = connect("/ws", { token });
//	</script>
func ExampleSDKHandler() {
	mux := http.NewServeMux()
	// mux.Handle("/ws", e) mounts the engine, as in ExampleNew.
	mux.Handle("GET /parlor.js", engine.SDKHandler())
	mux.Handle("GET "+engine.SDKPath(), engine.SDKHandler())

	w := httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/parlor.js", nil))
	fmt.Println(w.Code, w.Header().Get("Content-Type"), w.Header().Get("Cache-Control"))
	w = httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest(http.MethodGet, engine.SDKPath(), nil))
	fmt.Println(w.Code, w.Header().Get("Cache-Control"))
	// Output:
	// 200 text/javascript; charset=utf-8 no-cache
	// 200 public, max-age=31536000, immutable
}

// SDKPath names the bundle by its content, for a page's import.
func ExampleSDKPath() {
	fmt.Println(regexp.MustCompile(`^/parlor\.[0-9a-f]{16}\.js$`).MatchString(engine.SDKPath()))
	// Output: true
}
