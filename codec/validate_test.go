package codec

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

func unhex(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// sampleValue returns a well-formed value that starts with type byte c
// (nil for 0xc1). Variable-length values get a non-empty body.
func sampleValue(c byte) []byte {
	be16 := func(n int) []byte { return binary.BigEndian.AppendUint16(nil, uint16(n)) }
	be32 := func(n int) []byte { return binary.BigEndian.AppendUint32(nil, uint32(n)) }
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	b := []byte{c}
	switch {
	case c <= 0x7f || c >= 0xe0:
		return b
	case c <= 0x8f: // fixmap: n pairs of nil
		return append(b, bytes.Repeat([]byte{0xc0}, int(c&0x0f)*2)...)
	case c <= 0x9f: // fixarray: n nils
		return append(b, bytes.Repeat([]byte{0xc0}, int(c&0x0f))...)
	case c <= 0xbf: // fixstr
		return append(b, strings.Repeat("s", int(c&0x1f))...)
	}
	switch c {
	case 0xc0, 0xc2, 0xc3:
		return b
	case 0xc1:
		return nil
	case 0xc4, 0xd9:
		return cat(b, []byte{3}, []byte("abc"))
	case 0xc5, 0xda:
		return cat(b, be16(3), []byte("abc"))
	case 0xc6, 0xdb:
		return cat(b, be32(3), []byte("abc"))
	case 0xc7:
		return cat(b, []byte{3, 0x05}, []byte("abc"))
	case 0xc8:
		return cat(b, be16(3), []byte{0x05}, []byte("abc"))
	case 0xc9:
		return cat(b, be32(3), []byte{0x05}, []byte("abc"))
	case 0xca:
		return cat(b, be32(0x3fc00000))
	case 0xcb:
		return cat(b, be32(0x3ff80000), be32(0))
	case 0xcc, 0xd0:
		return cat(b, []byte{0x80})
	case 0xcd, 0xd1:
		return cat(b, be16(0x8001))
	case 0xce, 0xd2:
		return cat(b, be32(0x80000001))
	case 0xcf, 0xd3:
		return cat(b, be32(0x80000000), be32(1))
	case 0xd4:
		return cat(b, []byte{0x05, 1})
	case 0xd5:
		return cat(b, []byte{0x05}, []byte("ab"))
	case 0xd6:
		return cat(b, []byte{0x05}, []byte("abcd"))
	case 0xd7:
		return cat(b, []byte{0x05}, []byte("abcdefgh"))
	case 0xd8:
		return cat(b, []byte{0x05}, []byte("abcdefghijklmnop"))
	case 0xdc:
		return cat(b, be16(2), []byte{0xc0, 0xc3})
	case 0xdd:
		return cat(b, be32(2), []byte{0xc0, 0xc3})
	case 0xde:
		return cat(b, be16(1), []byte{0xa1, 'k', 0xc3})
	case 0xdf:
		return cat(b, be32(1), []byte{0xa1, 'k', 0xc3})
	}
	panic("unreachable")
}

// msgpackSkipLen reports how many bytes msgpack/v5 consumes skipping one
// value, as an independent check of ValidateValue's lengths.
func msgpackSkipLen(b []byte) (int, error) {
	r := bytes.NewReader(b)
	dec := msgpack.NewDecoder(r)
	if err := dec.Skip(); err != nil {
		return 0, err
	}
	return len(b) - r.Len(), nil
}

func TestValidateEveryTypeByte(t *testing.T) {
	for i := 0; i < 256; i++ {
		c := byte(i)
		v := sampleValue(c)
		if c == 0xc1 {
			if _, err := ValidateValue([]byte{c}, 0); err != ErrInvalidByte {
				t.Errorf("0xc1: err %v, want ErrInvalidByte", err)
			}
			continue
		}
		n, err := ValidateValue(v, 0)
		if err != nil || n != len(v) {
			t.Errorf("%#02x %x: got (%d, %v), want (%d, nil)", c, v, n, err, len(v))
			continue
		}
		if want, err := msgpackSkipLen(v); err != nil || want != n {
			t.Errorf("%#02x: msgpack skips (%d, %v), validator says %d", c, want, err, n)
		}
		// Trailing bytes are not examined by ValidateValue but are by Validate.
		withTail := append(bytes.Clone(v), 0xc1)
		if n, err := ValidateValue(withTail, 0); err != nil || n != len(v) {
			t.Errorf("%#02x with tail: got (%d, %v)", c, n, err)
		}
		if err := Validate(withTail); err != ErrTrailingBytes {
			t.Errorf("%#02x with tail: Validate = %v, want ErrTrailingBytes", c, err)
		}
		if err := Validate(v); err != nil {
			t.Errorf("%#02x: Validate = %v", c, err)
		}
		// Every proper prefix is incomplete.
		for k := 0; k < len(v); k++ {
			_, err := ValidateValue(v[:k], 0)
			if err != ErrTruncated && err != ErrCountTooLarge {
				t.Errorf("%#02x prefix %x: err %v, want truncated or count", c, v[:k], err)
			}
		}
	}
}

func TestValidateTable(t *testing.T) {
	nest := func(n int, leaf string) string {
		return strings.Repeat("91", n) + leaf
	}
	tests := []struct {
		name string
		hex  string
		n    int // length ValidateValue reports
		err  error
	}{
		{"empty", "", 0, ErrTruncated},
		{"nil", "c0", 1, nil},
		{"empty array", "90", 1, nil},
		{"empty map", "80", 1, nil},
		{"array16 empty", "dc0000", 3, nil},
		{"map32 empty", "df00000000", 5, nil},
		{"array32 bomb", "dd7fffffff", 0, ErrCountTooLarge},
		{"array32 bomb max", "ddffffffff", 0, ErrCountTooLarge},
		{"map32 bomb", "dfffffffff", 0, ErrCountTooLarge},
		{"map32 count fits but pairs do not", "df00000003 c0c0c0c0c0", 0, ErrCountTooLarge},
		{"map16 pairs exceed", "de0003 c0c0c0c0c0", 0, ErrCountTooLarge},
		{"fixmap pairs exceed", "83 c0c0c0c0c0", 0, ErrCountTooLarge},
		{"map pairs exact", "83 c0c0c0c0c0c0", 7, nil},
		{"array16 count exceeds", "dc000a" + strings.Repeat("c0", 9), 0, ErrCountTooLarge},
		{"array16 count exact", "dc000a" + strings.Repeat("c0", 10), 13, nil},
		{"fixarray count exceeds", "9f" + strings.Repeat("c0", 14), 0, ErrCountTooLarge},
		{"bin32 bomb", "c610000000", 0, ErrCountTooLarge},
		{"str32 bomb", "dbffffffff", 0, ErrCountTooLarge},
		{"ext32 bomb", "c9ffffffff05", 0, ErrCountTooLarge},
		{"bin8 short", "c405616263", 0, ErrTruncated},
		{"str16 short", "da0005616263", 0, ErrTruncated},
		{"ext8 short", "c70305ab", 0, ErrTruncated},
		{"ext16 short", "c8000305ab", 0, ErrTruncated},
		{"fixext16 short", "d805" + strings.Repeat("00", 15), 0, ErrTruncated},
		{"uint64 short", "cf00000000000000", 0, ErrTruncated},
		{"float32 short", "ca000000", 0, ErrTruncated},
		{"nested count exceeds", "92 92 c0", 0, ErrCountTooLarge},
		{"outer array short", "92 91 c0", 0, ErrTruncated},
		{"each count fits, sum does not", "93 93 c0c0c0 c0", 0, ErrTruncated},
		{"c1 in array", "92 c0 c1", 0, ErrInvalidByte},
		{"c1 as map key", "81 c1 c0", 0, ErrInvalidByte},
		{"depth 32", nest(32, "c0"), 33, nil},
		{"depth 32 empty leaf", nest(32, "90"), 33, nil},
		{"depth 33", nest(33, "c0"), 0, ErrTooDeep},
		{"depth 100 unterminated", nest(100, ""), 0, ErrTooDeep},
		{"map nesting counts", strings.Repeat("81a0", 32) + "c0", 65, nil},
		{"map nesting too deep", strings.Repeat("81a0", 33) + "c0", 0, ErrTooDeep},
		{"siblings after deep", "92" + nest(31, "c0") + "c3", 34, nil},
		{"unwinds several levels", "92 92 92 c0 c0 c0 c0", 7, nil},
		{"stops at first value", "c0 c1", 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := unhex(t, tt.hex)
			n, err := ValidateValue(b, 0)
			if err != tt.err || n != tt.n {
				t.Fatalf("ValidateValue = (%d, %v), want (%d, %v)", n, err, tt.n, tt.err)
			}
			if tt.err == nil {
				if want, err := msgpackSkipLen(b); err != nil || want != n {
					t.Fatalf("msgpack skips (%d, %v), validator says %d", want, err, n)
				}
			}
		})
	}
}

func TestValidateMaxDepthArgument(t *testing.T) {
	three := unhex(t, "919191c0")
	four := unhex(t, "91919191c0")
	for _, d := range []int{-1, 0, 33, 1000} {
		if _, err := ValidateValue(unhex(t, strings.Repeat("91", 32)+"c0"), d); err != nil {
			t.Errorf("maxDepth %d should mean MaxDepth: %v", d, err)
		}
		if _, err := ValidateValue(unhex(t, strings.Repeat("91", 33)+"c0"), d); err != ErrTooDeep {
			t.Errorf("maxDepth %d: depth 33 gave %v", d, err)
		}
	}
	if _, err := ValidateValue(three, 3); err != nil {
		t.Errorf("depth 3 at limit 3: %v", err)
	}
	if _, err := ValidateValue(four, 3); err != ErrTooDeep {
		t.Errorf("depth 4 at limit 3: %v", err)
	}
	if n, err := ValidateValue(unhex(t, "c0"), 1); err != nil || n != 1 {
		t.Errorf("scalar at limit 1: %d %v", n, err)
	}
	if _, err := ValidateValue(unhex(t, "91c0"), 1); err != nil {
		t.Errorf("one array at limit 1: %v", err)
	}
	if _, err := ValidateValue(unhex(t, "9191c0"), 1); err != ErrTooDeep {
		t.Errorf("two arrays at limit 1: %v", err)
	}
}

func TestValidateDeepBomb(t *testing.T) {
	b := bytes.Repeat([]byte{0x91}, 2<<20)
	if _, err := ValidateValue(b, 0); err != ErrTooDeep {
		t.Fatalf("2 MiB of 0x91: %v", err)
	}
	if _, err := ValidateMessage(b, 64); err != ErrTooDeep {
		t.Fatalf("ValidateMessage: %v", err)
	}
	if err := UnmarshalData(b, new(any)); err != ErrTooDeep {
		t.Fatalf("UnmarshalData: %v", err)
	}
}

func TestValidateMessage(t *testing.T) {
	frame := AppendEvent(nil, "r1", 7, "msg", []byte{0xc0})
	batch := func(n int) []byte { return bytes.Repeat(frame, n) }
	tests := []struct {
		name      string
		msg       []byte
		maxFrames int
		n         int
		err       error
	}{
		{"empty", nil, 64, 0, ErrEmpty},
		{"one", batch(1), 64, 1, nil},
		{"sixteen", batch(16), 64, 16, nil},
		{"at limit", batch(64), 64, 64, nil},
		{"over limit", batch(65), 64, 0, ErrTooManyFrames},
		{"no limit", batch(200), 0, 200, nil},
		{"limit one", batch(2), 1, 0, ErrTooManyFrames},
		{"incomplete tail", append(batch(2), 0x95, 0x08), 64, 0, ErrCountTooLarge},
		{"truncated tail", append(batch(2), 0x92, 0x08, 0xa3, 0x61), 64, 0, ErrTruncated},
		{"invalid byte tail", append(batch(1), 0xc1), 64, 0, ErrInvalidByte},
		{"scalars count as values", []byte{0xc0, 0xc0, 0xc0}, 64, 3, nil},
		{"bomb after frame", append(batch(1), 0xdd, 0x7f, 0xff, 0xff, 0xff), 64, 0, ErrCountTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := ValidateMessage(tt.msg, tt.maxFrames)
			if n != tt.n || err != tt.err {
				t.Fatalf("ValidateMessage = (%d, %v), want (%d, %v)", n, err, tt.n, tt.err)
			}
		})
	}
}

func TestValidateRejectsExtOnlyForPayloads(t *testing.T) {
	for _, h := range []string{"d40501", "d505abcd", "d6ff00000000", "d7ff0000000000000000", "d805" + strings.Repeat("00", 16), "c7010501", "c800010501", "c90000000105ff", "92c0d6ff00000000"} {
		b := unhex(t, h)
		if err := Validate(b); err != nil {
			t.Errorf("%s: Validate = %v, want nil", h, err)
		}
		if err := validate(b, false); err != errExt {
			t.Errorf("%s: validate without ext = %v, want errExt", h, err)
		}
	}
}

func TestValidateErrorsAreCoded(t *testing.T) {
	for _, err := range []*Error{ErrTruncated, ErrInvalidByte, ErrTooDeep, ErrCountTooLarge, ErrTrailingBytes,
		ErrTooManyFrames, ErrEmpty, ErrNotFrame, ErrFieldType, ErrFieldTooLong, errExt} {
		if err.Code != CodeBadRequest && err.Code != CodeTooLarge {
			t.Errorf("%v has code %q", err, err.Code)
		}
		if !errors.Is(err, &Error{Code: err.Code}) {
			t.Errorf("%v does not match its own code", err)
		}
	}
}
