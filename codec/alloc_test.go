package codec

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"runtime"
	"testing"
)

// allocBytes reports the bytes fn allocates on the heap.
func allocBytes(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// decoders runs every decoding entry point that sees untrusted bytes.
var decoders = []struct {
	name string
	run  func(b []byte)
}{
	{"DecodeMessage", func(b []byte) { _ = DecodeMessage(b, 64, func(*Frame) error { return nil }) }},
	{"UnmarshalData/[]any", func(b []byte) { var v []any; _ = UnmarshalData(b, &v) }},
	{"UnmarshalData/map[string]any", func(b []byte) { var v map[string]any; _ = UnmarshalData(b, &v) }},
	{"UnmarshalData/any", func(b []byte) { var v any; _ = UnmarshalData(b, &v) }},
	{"UnmarshalData/[]map[string]any", func(b []byte) { var v []map[string]any; _ = UnmarshalData(b, &v) }},
}

func boundFor(input []byte) uint64 { return 8*uint64(len(input)) + 64<<10 }

func bombs() map[string][]byte {
	be32 := func(c byte, n uint32) []byte { return binary.BigEndian.AppendUint32([]byte{c}, n) }
	return map[string][]byte{
		"array32 header":       be32(0xdd, 0xffffffff),
		"array32 header 2^31":  be32(0xdd, 0x7fffffff),
		"bin32 256 MiB":        be32(0xc6, 256<<20),
		"str32 4 GiB":          be32(0xdb, 0xffffffff),
		"map32 header":         be32(0xdf, 0xffffffff),
		"ext32 header":         append(be32(0xc9, 0xffffffff), 0x01),
		"2 MiB nested 0x91":    bytes.Repeat([]byte{0x91}, 2<<20),
		"2 MiB nested 0x81a0":  bytes.Repeat([]byte{0x81, 0xa0}, 1<<20),
		"array32 in frame":     append([]byte{0x95, 0x08, 0xa1, 'r', 0x01, 0xa1, 'e'}, be32(0xdd, 0x7fffffff)...),
		"array32 under ext":    {0x94, 0xd6, 0xff, 0x81, 0xa0, 0xdd, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff},
		"nested under ext":     append(append(be32(0xc9, 1<<20+2), 0x00, 0x81, 0xa0), bytes.Repeat([]byte{0x91}, 1<<20)...),
		"many small arrays":    append([]byte{0xdd, 0x00, 0x01, 0x00, 0x00}, bytes.Repeat([]byte{0x9f}, 1<<16)...),
		"array16 of array32s":  append([]byte{0xdc, 0xff, 0xff}, bytes.Repeat(be32(0xdd, 0x7fffffff), 1<<14)...),
		"batch of frame bombs": bytes.Repeat(be32(0xdd, 0x7fffffff), 64),
	}
}

func TestDecodeBombsStayBounded(t *testing.T) {
	for name, b := range bombs() {
		for _, d := range decoders {
			got := allocBytes(func() { d.run(b) })
			if got > boundFor(b) {
				t.Errorf("%s / %s: allocated %d bytes for %d bytes of input", name, d.name, got, len(b))
			}
		}
	}
}

func TestDecodeGarbageStaysBounded(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	// Seeds: real frames that random mutation starts from.
	seeds := [][]byte{
		AppendEvent(nil, "r1", 7, "msg", []byte{0x81, 0xa1, 't', 0xa2, 'h', 'i'}),
		AppendSend(nil, 1, "room", "move", []byte{0x93, 0xa2, 'e', '2', 0xa2, 'e', '4', 0xc0}, "c1"),
		AppendJoined(nil, 1, "r", 1, []byte{0x92, 0xdc, 0x00, 0x01, 0x80, 0xc4, 0x01, 0x00}, "e", true),
	}
	n := 3000
	if testing.Short() {
		n = 300
	}
	for i := 0; i < n; i++ {
		var b []byte
		switch i % 3 {
		case 0: // uniform garbage
			b = make([]byte, 1+rng.IntN(4096))
			for j := range b {
				b[j] = byte(rng.Uint32())
			}
		case 1: // garbage biased to container and length headers
			b = make([]byte, 1+rng.IntN(512))
			hot := []byte{0x91, 0x9f, 0x81, 0x8f, 0xdc, 0xdd, 0xde, 0xdf, 0xc4, 0xc5, 0xc6, 0xd9, 0xda, 0xdb, 0xc7, 0xc8, 0xc9, 0xd4, 0xd8, 0xff, 0x7f, 0x00, 0xc0}
			for j := range b {
				b[j] = hot[rng.IntN(len(hot))]
			}
		default: // mutated frames
			s := seeds[rng.IntN(len(seeds))]
			b = bytes.Clone(s)
			for k := 0; k < 1+rng.IntN(4); k++ {
				b[rng.IntN(len(b))] = byte(rng.Uint32())
			}
		}
		for _, d := range decoders {
			got := allocBytes(func() { d.run(b) })
			if got > boundFor(b) {
				t.Fatalf("%s: allocated %d bytes for %d bytes of input %x", d.name, got, len(b), b[:min(len(b), 64)])
			}
		}
	}
}

// Well-formed but dense payloads make msgpack allocate more per input byte
// than garbage does (a 16-byte interface per 1-byte element, a whole Go map
// per 1-byte empty map), but still in proportion to the input, so the
// engine's read limit (64 KiB by default) caps what one message can cost.
func TestDecodeDenseValidStaysProportional(t *testing.T) {
	const n = 60000
	header := func(c byte, count int) []byte { return binary.BigEndian.AppendUint32([]byte{c}, uint32(count)) }
	dense := map[string][]byte{
		"array of nils":          append(header(0xdd, n), bytes.Repeat([]byte{0xc0}, n)...),
		"array of empty arrays":  append(header(0xdd, n), bytes.Repeat([]byte{0x90}, n)...),
		"array of empty maps":    append(header(0xdd, n), bytes.Repeat([]byte{0x80}, n)...),
		"array of empty strs":    append(header(0xdd, n), bytes.Repeat([]byte{0xa0}, n)...),
		"map of dup keys":        append(header(0xdf, n/2), bytes.Repeat([]byte{0xa0, 0xc0}, n/2)...),
		"array of 1-elem maps":   append(header(0xdd, n/3), bytes.Repeat([]byte{0x81, 0xa0, 0xc0}, n/3)...),
		"array of map of map":    append(header(0xdd, n/3), bytes.Repeat([]byte{0x81, 0xa0, 0x80}, n/3)...),
		"array of 1-elem arrays": append(header(0xdd, n/2), bytes.Repeat([]byte{0x91, 0x90}, n/2)...),
	}
	// Measured worst case is about 140x, for maps holding an empty map:
	// a 64 KiB message decoded into generic types can cost ~10 MiB for the
	// moment. Concrete struct targets cost far less.
	const factor = 256
	for name, b := range dense {
		for _, d := range decoders {
			got := allocBytes(func() { d.run(b) })
			t.Logf("%-22s %-32s %8d B in, %9d B allocated (%.1fx)", name, d.name, len(b), got, float64(got)/float64(len(b)))
			if got > factor*uint64(len(b))+64<<10 {
				t.Errorf("%s / %s: allocated %d bytes for %d bytes of input", name, d.name, got, len(b))
			}
		}
	}
}
