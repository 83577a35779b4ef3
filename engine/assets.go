package engine

import (
	"bytes"
	"crypto/sha256"
	_ "embed" // for the SDK bundle
	"encoding/hex"
	"net/http"
	"time"
)

// sdkBundle is the browser SDK: one ES module with no imports, built from
// js/src by `npm run build` in js/ and committed, so Go users need no npm.
//
//go:embed assets/parlor.js
var sdkBundle []byte

// sdkETag is the bundle's strong entity tag: the SHA-256 of its bytes.
var sdkETag = func() string {
	sum := sha256.Sum256(sdkBundle)
	return `"sha256-` + hex.EncodeToString(sum[:]) + `"`
}()

// SDKHandler returns an http.Handler that serves the browser SDK embedded
// in the engine, for a page to import without any build step:
//
//	mux.Handle("/parlor.js", engine.SDKHandler())
//
//	<script type="module">
//	  import { connect } from "/parlor.js";
//	</script>
//
// It answers GET and HEAD with Content-Type "text/javascript;
// charset=utf-8", an ETag of the bundle's SHA-256 (a matching
// If-None-Match gets 304 Not Modified) and Cache-Control "no-cache", so
// browsers revalidate and pick up a new bundle when the server is
// upgraded. Other methods get 405. The path it is mounted at is the
// host's choice.
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
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", sdkETag)
	h.Set("X-Content-Type-Options", "nosniff")
	// ServeContent answers If-None-Match (304), HEAD and Range requests.
	http.ServeContent(w, r, "parlor.js", time.Time{}, bytes.NewReader(sdkBundle))
}
