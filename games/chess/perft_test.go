package chess

import (
	"testing"
	"time"
)

// perft counts the leaf nodes of the move tree below s to depth, through
// the module's own path: the legal-move list that Apply validates against
// and the view publishes, and State.play, which Apply uses to make a move.
// The last ply is counted from the legal-move list ("bulk counting").
func perft(t testing.TB, s *State, depth int) int {
	if depth == 0 {
		return 1
	}
	if depth == 1 {
		return len(s.legal)
	}
	n := 0
	for i := range s.legal {
		next, err := s.play(i)
		if err != nil {
			t.Fatal(err)
		}
		n += perft(t, next, depth-1)
	}
	return n
}

// perftPositions are the six standard perft positions (the initial
// position, "Kiwipete" and positions 3 to 6), with their published node
// counts at depths 3 and 4.
var perftPositions = []struct {
	name   string
	fen    string
	d3, d4 int
}{
	{"initial", StartFEN, 8902, 197281},
	{"kiwipete", "r3k2r/p1ppqpb1/bn2pnp1/3PN3/1p2P3/2N2Q1p/PPPBBPPP/R3K2R w KQkq - 0 1", 97862, 4085603},
	{"position3", "8/2p5/3p4/KP5r/1R3p1k/8/4P1P1/8 w - - 0 1", 2812, 43238},
	{"position4", "r3k2r/Pppp1ppp/1b3nbN/nP6/BBP1P3/q4N2/Pp1P2PP/R2Q1RK1 w kq - 0 1", 9467, 422333},
	{"position5", "rnbq1k1r/pp1Pbppp/2p5/8/2B5/8/PPP1NnPP/RNBQK2R w KQ - 1 8", 62379, 2103487},
	{"position6", "r4rk1/1pp1qppp/p1np1n2/2b1p1B1/2B1P1b1/P1NP1N2/1PP1QPPP/R4RK1 w - - 0 10", 89890, 3894594},
}

func TestPerft(t *testing.T) {
	for _, p := range perftPositions {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			g, err := NewGame(Options{FEN: p.fen})
			if err != nil {
				t.Fatal(err)
			}
			s := g.Initial()
			depths := []struct{ depth, want int }{{3, p.d3}}
			if !testing.Short() {
				depths = append(depths, struct{ depth, want int }{4, p.d4})
			}
			for _, d := range depths {
				start := time.Now()
				if got := perft(t, s, d.depth); got != d.want {
					t.Errorf("perft(%d) = %d, want %d", d.depth, got, d.want)
				}
				t.Logf("perft(%d) in %v", d.depth, time.Since(start))
			}
		})
	}
}
