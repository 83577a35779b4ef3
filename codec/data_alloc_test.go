//go:build !race

package codec_test

import (
	"strings"
	"testing"

	"github.com/parlorhq/parlor/codec"
)

// MarshalData allocates its result and little else: the result, the
// value boxed in the interface and msgpack's list of the fields left after
// omitempty (a fresh buffer grew twice more). The race detector drops
// pooled values at random, hence the build tag.
func TestMarshalDataAllocations(t *testing.T) {
	msg := chatMsg{Text: strings.Repeat("d", 120), At: 1765000000000, Tags: []string{"x"}}
	if n := testing.AllocsPerRun(100, func() { _, _ = codec.MarshalData(msg) }); n > 3 {
		t.Fatalf("MarshalData of a chat message: %.0f allocations, want at most 3", n)
	}
}
