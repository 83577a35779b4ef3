package engine

import (
	"bytes"
	"strings"
	"testing"
)

// disconnectOrder encodes order as node publishes it.
func disconnectOrder(node string, order closeOrder) []byte {
	return appendDisconnect(nil, node, order)
}

func TestDisconnectOrderRoundTrip(t *testing.T) {
	for _, want := range []closeOrder{
		{all: true, code: CloseSignedOut, reason: "signed out everywhere"},
		{cred: "sess-1", code: CloseSignedOut, reason: "signed out"},
		{cred: strings.Repeat("c", 300), code: ClosePolicy, reason: ""},
	} {
		p := disconnectOrder("node-a", want)
		node, got, ok := parseDisconnect(p)
		if !ok || node != "node-a" || got != want {
			t.Errorf("round trip of %+v: %q %+v %v", want, node, got, ok)
		}
	}
}

func TestDisconnectOrderMalformed(t *testing.T) {
	good := disconnectOrder("n", closeOrder{cred: "abc", code: CloseSignedOut, reason: "bye"})
	cases := map[string][]byte{
		"empty":            nil,
		"other kind":       append([]byte{userTakeover}, good[1:]...),
		"node cut":         good[:3],
		"no code":          good[:5],
		"all is not 0/1":   func() []byte { b := bytes.Clone(good); b[3] = 7; return b }(),
		"credential cut":   good[:len(good)-5],
		"huge credential":  append(bytes.Clone(good[:6]), 0xff, 0xff, 0xff, 0xff, 0x0f),
		"varint overflows": append(bytes.Clone(good[:6]), bytes.Repeat([]byte{0xff}, 11)...),
	}
	for name, p := range cases {
		if _, _, ok := parseDisconnect(p); ok {
			t.Errorf("%s: accepted %x", name, p)
		}
	}
	// A code no server may send becomes ClosePolicy, as in DisconnectUser.
	bad := bytes.Clone(good)
	bad[4], bad[5] = 0x03, 0xed // 1005
	if _, o, ok := parseDisconnect(bad); !ok || o.code != ClosePolicy {
		t.Errorf("code 1005: %+v %v, want ClosePolicy", o, ok)
	}
}

func TestRenewRoundTrip(t *testing.T) {
	for _, c := range [][2]string{{"old", "new"}, {"", "new"}, {strings.Repeat("f", 300), ""}} {
		p := appendRenew(nil, "node-a", c[0], c[1])
		node, from, to, ok := parseRenew(p)
		if !ok || node != "node-a" || from != c[0] || to != c[1] {
			t.Errorf("round trip of %q: %q %q %q %v", c, node, from, to, ok)
		}
	}
	good := appendRenew(nil, "n", "old", "new")
	for name, p := range map[string][]byte{
		"empty":           nil,
		"other kind":      append([]byte{userDisconnect}, good[1:]...),
		"node cut":        good[:2],
		"no from":         good[:3],
		"from cut":        good[:5],
		"huge from":       append(bytes.Clone(good[:3]), 0xff, 0xff, 0xff, 0xff, 0x0f),
		"varint overflow": append(bytes.Clone(good[:3]), bytes.Repeat([]byte{0xff}, 11)...),
	} {
		if _, _, _, ok := parseRenew(p); ok {
			t.Errorf("%s: accepted %x", name, p)
		}
	}
}
