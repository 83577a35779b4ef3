package main

import (
	"testing"
	"time"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/internal/echo"
)

// TestSentAt: the send time that makeText writes comes back from an
// encoded said event by the fast path, for every msgpack string header
// the text can have.
func TestSentAt(t *testing.T) {
	now := time.Unix(1_700_000_000, 123_456_789)
	for _, size := range []int{21, 31, 32, 255, 256, echo.MaxTextLen} {
		text := makeText(nil, size, now)
		if len(text) != size {
			t.Fatalf("makeText(%d) is %d bytes", size, len(text))
		}
		data, err := codec.MarshalData(echo.Said{From: "u1", Text: string(text)})
		if err != nil {
			t.Fatal(err)
		}
		got, ok := sentAt(data)
		if !ok || got != now.UnixNano() {
			t.Errorf("size %d: sentAt = %d, %v; want %d", size, got, ok, now.UnixNano())
		}
	}
}

func TestSentAtRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"no text key", []byte("\x81\xa4from\xa2u1")},
		{"no stamp", []byte("\x81\xa4text\xa3abc")},
		{"no digits", []byte("\x81\xa4text\xa2@x")},
		{"not a string", []byte("\x81\xa4text\x05")},
		{"cut short", []byte("\x81\xa4text")},
	} {
		if v, ok := sentAt(tc.data); ok {
			t.Errorf("%s: sentAt = %d, true", tc.name, v)
		}
	}
}
