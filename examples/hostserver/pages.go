package main

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"

	"go.uber.org/zap"
)

// htmlFS holds the app's page templates.
//
//go:embed html/*.html
var htmlFS embed.FS

// pages are the parsed templates, by file name.
var pages = template.Must(template.ParseFS(htmlFS, "html/*.html"))

// homeData is what the pages render.
type homeData struct {
	// User is the signed-in user, or "".
	User string
	// CSRF is the session's CSRF token, for the sign-out form.
	CSRF string
	// Host is the request's host, for the examples on the home page.
	Host string
}

// pageData returns the data of a page for r.
func (a *app) pageData(r *http.Request) homeData {
	d := homeData{Host: r.Host}
	if ss, bearer, err := a.credentials(r); err == nil && !bearer {
		d.User, d.CSRF = ss.user, ss.csrf
	}
	return d
}

// render executes the template name into a buffer, then writes it.
func (a *app) render(w http.ResponseWriter, r *http.Request, name string) {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, a.pageData(r)); err != nil {
		a.log.Error("render page", zap.String("page", name), zap.Error(err))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = buf.WriteTo(w)
}

// home handles GET /: what the app is, its routes, and the sign-in.
func (a *app) home(w http.ResponseWriter, r *http.Request) { a.render(w, r, "home.html") }

// sdkDemo handles GET /sdk-demo: a page that uses the browser SDK.
func (a *app) sdkDemo(w http.ResponseWriter, r *http.Request) { a.render(w, r, "sdk-demo.html") }
