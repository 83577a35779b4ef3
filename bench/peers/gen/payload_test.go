package main

import (
	"bytes"
	"testing"
)

func TestPayloadRoundTrip(t *testing.T) {
	p := appendPayload(nil, 100, 42, 1733450000123456789)
	if len(p) != 100 {
		t.Fatalf("payload is %d bytes, want 100", len(p))
	}
	seq, sent, _, found, ok := nextPayload(p)
	if !found || !ok || seq != 42 || sent != 1733450000123456789 {
		t.Fatalf("got seq %d sent %d found %v ok %v", seq, sent, found, ok)
	}
}

func TestNextPayloadFindsEveryPayloadOfABatch(t *testing.T) {
	// Two centrifuge pushes in one message, one per line.
	var msg []byte
	for seq := range uint64(2) {
		msg = append(msg, `{"push":{"channel":"bench","pub":{"data":"`...)
		msg = appendPayload(msg, 60, seq, 1000+int64(seq))
		msg = append(msg, "\"}}}\n"...)
	}
	var seqs []uint64
	for rest := msg; ; {
		seq, sent, r, found, ok := nextPayload(rest)
		if !found {
			break
		}
		if !ok || sent != 1000+int64(seq) {
			t.Fatalf("payload %d: ok %v sent %d", len(seqs), ok, sent)
		}
		seqs = append(seqs, seq)
		rest = r
	}
	if len(seqs) != 2 || seqs[0] != 0 || seqs[1] != 1 {
		t.Fatalf("got seqs %v, want [0 1]", seqs)
	}
}

func TestNextPayloadRejectsMalformedHeaders(t *testing.T) {
	for _, in := range []string{"~pb~", "~pb~x~1~", "~pb~1~", "~pb~1~2", "~pb~12345678901234567890~1~"} {
		_, _, _, found, ok := nextPayload([]byte(in))
		if !found || ok {
			t.Errorf("%q: found %v ok %v, want found and not ok", in, found, ok)
		}
	}
	if _, _, _, found, _ := nextPayload(bytes.Repeat([]byte("x"), 50)); found {
		t.Error("found a payload in padding")
	}
}
