package chess

import (
	"math/rand/v2"
	"testing"

	"github.com/parlorhq/parlor/codec"
)

// kasparovTopalov is Kasparov–Topalov, Wijk aan Zee 1999, in SAN: a
// published game of 87 plies with castling on both wings, a long king
// hunt and many captures and checks.
var kasparovTopalov = []string{
	"e4", "d6", "d4", "Nf6", "Nc3", "g6", "Be3", "Bg7", "Qd2", "c6",
	"f3", "b5", "Nge2", "Nbd7", "Bh6", "Bxh6", "Qxh6", "Bb7", "a3", "e5",
	"O-O-O", "Qe7", "Kb1", "a6", "Nc1", "O-O-O", "Nb3", "exd4", "Rxd4", "c5",
	"Rd1", "Nb6", "g3", "Kb8", "Na5", "Ba8", "Bh3", "d5", "Qf4+", "Ka7",
	"Rhe1", "d4", "Nd5", "Nbxd5", "exd5", "Qd6", "Rxd4", "cxd4", "Re7+", "Kb6",
	"Qxd4+", "Kxa5", "b4+", "Ka4", "Qc3", "Qxd5", "Ra7", "Bb7", "Rxb7", "Qc4",
	"Qxf6", "Kxa3", "Qxa6+", "Kxb4", "c3+", "Kxc3", "Qa1+", "Kd2", "Qb2+", "Kd1",
	"Bf1", "Rd2", "Rd7", "Rxd7", "Bxc4", "bxc4", "Qxh8", "Rd3", "Qa8", "c3",
	"Qa4+", "Ke1", "f4", "f5", "Kc1", "Rd2", "Qa7",
}

// benchGame is a game to replay in a benchmark: its moves as the toolkit
// passes them to Apply (msgpack, UCI as the bots send them).
type benchGame struct {
	moves [][]byte
}

// publishedGame returns Kasparov–Topalov in UCI.
func publishedGame(b *testing.B) benchGame {
	s := play(b, start(b, ""), kasparovTopalov...)
	var g benchGame
	for _, m := range s.Moves() {
		g.moves = append(g.moves, encode(b, Move{UCI: m.UCI}))
	}
	return g
}

// randomGame returns a game of random legal moves, as the load generator's
// bots play them: long, with long stretches without a capture or a pawn
// move. It is the same game on every run.
func randomGame(b *testing.B) benchGame {
	rng := rand.New(rand.NewPCG(3, 4))
	s := start(b, "")
	var g benchGame
	for s.Result() == nil {
		legal := s.Legal()
		raw := encode(b, Move{UCI: legal[rng.IntN(len(legal))]})
		next, err := s.Apply(s.Turn(), raw)
		if err != nil {
			b.Fatal(err)
		}
		g.moves = append(g.moves, raw)
		s = next.(*State)
	}
	return g
}

// BenchmarkMove measures one move as the games toolkit makes it, replaying
// a game over and over: State.Apply, then View and Key of the new state.
// The "encode" variants also encode the view with codec.MarshalData, as
// the toolkit does once per move for its broadcast. One op is one move.
func BenchmarkMove(b *testing.B) {
	for _, bg := range []struct {
		name string
		game func(*testing.B) benchGame
	}{
		{"published", publishedGame},
		{"random", randomGame},
	} {
		for _, encodeView := range []bool{false, true} {
			name := bg.name
			if encodeView {
				name += "/encode"
			}
			b.Run(name, func(b *testing.B) {
				g := bg.game(b)
				initial := Game{}.Setup()
				s, i := initial, 0
				var sink int
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					if i == len(g.moves) {
						s, i = initial, 0
					}
					next, err := s.Apply(s.Turn(), g.moves[i])
					if err != nil {
						b.Fatal(err)
					}
					v := next.View(-1)
					sink += len(next.Key())
					if encodeView {
						raw, err := codec.MarshalData(v)
						if err != nil {
							b.Fatal(err)
						}
						sink += len(raw)
					}
					s, i = next, i+1
				}
				_ = sink
				b.ReportMetric(float64(len(g.moves)), "plies/game")
			})
		}
	}
}
