package engine

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	_ "embed" // for the SDK bundle
	"encoding/hex"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
)

// sdkBundle is the browser SDK: one minified ES module with no imports,
// built from js/src by `npm run build` in js/ and committed, so Go users
// need no npm.
//
//go:embed assets/parlor.min.js
var sdkBundle []byte

// sdkHash is the hex SHA-256 of the bundle.
var sdkHash = func() string {
	sum := sha256.Sum256(sdkBundle)
	return hex.EncodeToString(sum[:])
}()

// The bundle's strong entity tags, one per representation: the gzipped
// bytes differ from the plain ones, so they get their own tag.
var (
	sdkETag     = `"sha256-` + sdkHash + `"`
	sdkETagGzip = `"sha256-` + sdkHash + `-gzip"`
)

// sdkVersionedName is the base name of the versioned path.
var sdkVersionedName = "parlor." + sdkHash[:16] + ".js"

// sdkGzip is the bundle compressed once, on first use. Brotli would save
// a little more, but the standard library has no brotli encoder, and a
// dependency for it is not worth the bytes.
var sdkGzip = sync.OnceValue(func() []byte {
	var b bytes.Buffer
	zw, err := gzip.NewWriterLevel(&b, gzip.BestCompression)
	if err != nil {
		panic(err) // a valid level cannot fail
	}
	_, _ = zw.Write(sdkBundle) // a bytes.Buffer does not fail
	_ = zw.Close()
	return b.Bytes()
})

// SDKPath returns the versioned path of the browser SDK,
// "/parlor.<16 hex digits of its SHA-256>.js". It changes whenever the
// bundle does, so SDKHandler serves it as immutable, cached for a year.
// Mount SDKHandler at it (and at the unversioned alias) and put it in
// pages:
//
//	mux.Handle("GET /parlor.js", engine.SDKHandler())
//	mux.Handle("GET "+engine.SDKPath(), engine.SDKHandler())
//
//	<script type="module">import { connect } from "{{.SDKPath}}";</script>
func SDKPath() string { return "/" + sdkVersionedName }

// SDKHandler returns an http.Handler that serves the browser SDK embedded
// in the engine (the minified bundle), for a page to import without any
// build step:
//
//	mux.Handle("GET /parlor.js", engine.SDKHandler())
//	mux.Handle("GET "+engine.SDKPath(), engine.SDKHandler())
//
//	<script type="module">
//	  import { connect } from "/parlor.js";
//	</script>
//
// It answers GET and HEAD; other methods get 405. Headers:
//
//	Content-Type     text/javascript; charset=utf-8
//	Content-Encoding gzip, when Accept-Encoding allows it (Vary: Accept-Encoding)
//	ETag             the bundle's SHA-256, strong, one per encoding; a matching
//	                 If-None-Match gets 304 Not Modified
//	Cache-Control    "public, max-age=31536000, immutable" when the request's
//	                 base name is SDKPath's, else "no-cache" (browsers
//	                 revalidate, and pick up a new bundle when the server is
//	                 upgraded)
//
// The paths it is mounted at are the host's choice; only the base name of
// the versioned one matters.
func SDKHandler() http.Handler {
	return http.HandlerFunc(serveSDK)
}

func serveSDK(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Vary", "Accept-Encoding")
	if path.Base(r.URL.Path) == sdkVersionedName {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	body, etag := sdkBundle, sdkETag
	if acceptsGzip(r.Header.Values("Accept-Encoding")) {
		body, etag = sdkGzip(), sdkETagGzip
		h.Set("Content-Encoding", "gzip")
		// ServeContent leaves out Content-Length when an encoding is set,
		// as it cannot know what a range of it means; serve the whole
		// gzipped body, with its length.
		h.Set("Content-Length", strconv.Itoa(len(body)))
		if r.Header.Get("Range") != "" {
			r2 := *r
			r2.Header = r.Header.Clone()
			r2.Header.Del("Range")
			r = &r2
		}
	}
	h.Set("ETag", etag)
	// ServeContent answers If-None-Match (304), HEAD and Range requests.
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

// acceptsGzip reports whether Accept-Encoding values allow gzip: gzip (or
// *) listed with a q-value other than 0, and gzip not refused by name.
func acceptsGzip(values []string) bool {
	star, gz := false, false
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
			name = strings.ToLower(strings.TrimSpace(name))
			if name != "gzip" && name != "*" {
				continue
			}
			ok := !zeroQ(params)
			if name == "gzip" {
				if !ok {
					return false
				}
				gz = true
			} else if ok {
				star = true
			}
		}
	}
	return gz || star
}

// zeroQ reports whether Accept-Encoding parameters give q=0.
func zeroQ(params string) bool {
	for p := range strings.SplitSeq(params, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(strings.TrimSpace(k), "q") {
			v = strings.TrimRight(strings.TrimSpace(v), "0")
			return v == "" || v == "0" || v == "0."
		}
	}
	return false
}
