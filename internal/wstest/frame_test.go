package wstest

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// unmaskClientFrame parses one client frame as a server would and returns
// its first byte and unmasked payload.
func unmaskClientFrame(t *testing.T, f []byte) (byte, []byte) {
	t.Helper()
	if f[1]&0x80 == 0 {
		t.Fatalf("client frame %x is not masked", f[:2])
	}
	n, off := uint64(f[1]&0x7f), 2
	switch n {
	case 126:
		n, off = uint64(binary.BigEndian.Uint16(f[2:])), 4
	case 127:
		n, off = binary.BigEndian.Uint64(f[2:]), 10
	}
	// RFC 6455 requires the shortest length encoding.
	want := 10
	switch {
	case n < 126:
		want = 2
	case n <= 0xffff:
		want = 4
	}
	if off != want {
		t.Fatalf("length %d encoded in %d header bytes, want %d", n, off, want)
	}
	mask, body := f[off:off+4], f[off+4:]
	if uint64(len(body)) != n {
		t.Fatalf("frame declares %d payload bytes and carries %d", n, len(body))
	}
	out := make([]byte, n)
	for i := range body {
		out[i] = body[i] ^ mask[i%4]
	}
	return f[0], out
}

func TestAppendFrameLengths(t *testing.T) {
	for _, n := range []int{0, 1, 125, 126, 127, 0xffff, 0x10000} {
		payload := bytes.Repeat([]byte{0x91}, n)
		f := AppendFrame([]byte("kept"), Fin|OpBinary, payload)
		if !bytes.HasPrefix(f, []byte("kept")) {
			t.Fatalf("n=%d: dst was not appended to", n)
		}
		b0, got := unmaskClientFrame(t, f[4:])
		if b0 != Fin|OpBinary || !bytes.Equal(got, payload) {
			t.Fatalf("n=%d: first byte %#x and %d payload bytes back, want %#x and the payload", n, b0, len(got), Fin|OpBinary)
		}
	}
}

func TestFrameHeaderDeclaresLength(t *testing.T) {
	for _, n := range []uint64{0, 125, 126, 0xffff, 0x10000, 1 << 62} {
		h := FrameHeader(OpContinuation, n)
		// With the zero mask key, the header plus n payload bytes is a
		// whole frame: check the declared length with a small payload.
		if n > 0x10000 {
			if h[1] != 0x80|127 || binary.BigEndian.Uint64(h[2:]) != n {
				t.Fatalf("n=%d: header %x", n, h)
			}
			continue
		}
		payload := bytes.Repeat([]byte{7}, int(n))
		b0, got := unmaskClientFrame(t, append(h, payload...))
		if b0 != OpContinuation || !bytes.Equal(got, payload) {
			t.Fatalf("n=%d: header %x", n, h)
		}
	}
}

func TestCloseCode(t *testing.T) {
	tests := []struct {
		payload []byte
		code    uint16
		reason  string
	}{
		{nil, 1005, ""},
		{[]byte{0x03}, 1005, ""},
		{[]byte{0x03, 0xe8}, 1000, ""},
		{[]byte{0x0f, 0xa8, 'b', 'y', 'e'}, 4008, "bye"},
	}
	for _, tt := range tests {
		if code, reason := CloseCode(tt.payload); code != tt.code || reason != tt.reason {
			t.Errorf("CloseCode(%x) = %d %q, want %d %q", tt.payload, code, reason, tt.code, tt.reason)
		}
	}
}
