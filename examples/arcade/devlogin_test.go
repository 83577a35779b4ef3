package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestDevLoginNextStaysOnSite: the dev sign-in's ?next= leads only to a
// path of this site. Values a browser reads as another host (a tab or
// newline it drops, a backslash it takes for a slash, a scheme) go to
// /connections instead; a local path with its query is kept.
func TestDevLoginNextStaysOnSite(t *testing.T) {
	ta := startArcadeWith(t, Config{DevLogin: true})
	for next, want := range map[string]string{
		"/chess?opponent=bob":   "/chess?opponent=bob",
		"/%09/evil.example":     "/connections",
		"/%0A/evil.example":     "/connections",
		"/%09%5Cevil.example":   "/connections",
		"/%5Cevil.example":      "/connections",
		"//evil.example":        "/connections",
		"https://evil.example/": "/connections",
		"javascript:alert(1)":   "/connections",
		"connections":           "/connections",
	} {
		rec := httptest.NewRecorder()
		ta.a.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/login?as=alice&next="+next, nil))
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != want {
			t.Errorf("next=%s: %d to %q, want 303 to %q", next, rec.Code, rec.Header().Get("Location"), want)
		}
	}
}

// TestCrossSiteChallengeLinkAsks: a game page opened from another site
// with a challenge in its query (which the page would otherwise join, in
// the user's name, as it loads) tells its script to ask first; the same
// link from the arcade's own pages, or typed, joins at once.
func TestCrossSiteChallengeLinkAsks(t *testing.T) {
	ta := startArcade(t, "")
	alice := ta.login("alice")
	for _, tc := range []struct {
		site, query string
		asks        bool
	}{
		{"cross-site", "?opponent=bob&nonce=n1", true},
		{"same-site", "?opponent=bob&nonce=n1", true},
		{"same-origin", "?opponent=bob&nonce=n1", false},
		{"none", "?opponent=bob&nonce=n1", false},
		{"", "?opponent=bob&nonce=n1", false},
		{"cross-site", "?room=r1&spectate=1", false},
		{"cross-site", "", false},
	} {
		for _, game := range []string{"tictactoe", "chess"} {
			h := alice.Clone()
			if tc.site != "" {
				h.Set("Sec-Fetch-Site", tc.site)
			}
			resp := ta.do(http.MethodGet, "/"+game+tc.query, h, nil)
			body := readBody(t, resp)
			if asks := strings.Contains(body, `&#34;confirm&#34;:true`) || strings.Contains(body, `"confirm":true`); asks != tc.asks || resp.StatusCode != http.StatusOK {
				t.Errorf("GET /%s%s from %q: %d, asks first %v, want %v", game, tc.query, tc.site, resp.StatusCode, asks, tc.asks)
			}
		}
	}
}
