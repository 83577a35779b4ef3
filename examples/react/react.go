// Package react is the React example: a page that chats with the SDK's
// React hooks (js/src/react.ts). Its script, static/app.js, is built from
// src/app.jsx by `npm run build` in js/, with React bundled in, so serving
// it needs no npm. A host mounts Handler beside the engine, which must have
// the chat module; the page connects to /ws on its own origin:
//
//	mux.Handle("GET /react/", http.StripPrefix("/react", react.Handler()))
//
// and opens /react/?with=bob for the direct conversation with bob.
package react

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed static
var static embed.FS

// Handler serves the page (index.html, app.js, style.css), revalidated on
// every use.
func Handler() http.Handler {
	sub, _ := fs.Sub(static, "static") // the directory is embedded
	files := http.FileServerFS(sub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	})
}
