package chess

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/parlorhq/parlor/codec"
	"github.com/vmihailenco/msgpack/v5"
)

// plainView is View without its encoder: msgpack encodes it by
// reflection.
type plainView View

// TestViewEncoding checks that View's own encoder writes what reflection
// writes for the struct, in every kind of view, and that it decodes back.
func TestViewEncoding(t *testing.T) {
	s := start(t, "")
	mated := play(t, s, "f3", "e5", "g4", "Qh4#")
	views := map[string]View{
		"start":       *viewOf(s),
		"moves":       *viewOf(play(t, s, "e4", "c5", "Nf3")),
		"checkmate":   *viewOf(mated),
		"from a FEN":  *viewOf(play(t, start(t, "4k3/P7/8/8/8/8/8/4K3 w - - 0 1"), "a8=N")),
		"claimable":   *viewOf(play(t, s, "Nf3", "Nf6", "Ng1", "Ng8", "Nf3", "Nf6", "Ng1", "Ng8")),
		"claimed":     *viewOf(play(t, s, "Nf3", "Nf6", "Ng1", "Ng8", "Nf3", "Nf6", "Ng1", "Ng8", "claim:threefold")),
		"zero":        {},
		"a bot's own": {Turn: "w", Legal: []string{"e2e4", "g1f3"}},
	}
	for name, v := range views {
		want, err := msgpack.Marshal(plainView(v))
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range []any{v, &v} {
			got, err := codec.MarshalData(x)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s (%T):\n got % x\nwant % x", name, x, got, want)
			}
		}
		var back View
		if err := codec.UnmarshalData(want, &back); err != nil || !reflect.DeepEqual(back, v) {
			t.Fatalf("%s: decoded %+v, %v; want %+v", name, back, err, v)
		}
	}
}
