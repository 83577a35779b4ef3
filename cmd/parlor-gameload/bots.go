package main

import (
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/games/chess"
	"github.com/parlorhq/parlor/games/tictactoe"
)

// bot is what the bots need to know about a game.
type bot struct {
	// module is the game's module, for an in-process server.
	module func(games.Config) *games.Module
	// moves decodes a state view and returns its legal moves, encoded.
	moves func(view []byte) ([][]byte, error)
}

// bots are the bots of each game, by -game name.
var bots = map[string]bot{
	"tictactoe": {
		module: func(c games.Config) *games.Module { return games.NewModule(tictactoe.Game{}, c) },
		moves:  tictactoeMoves(),
	},
	"chess": {
		module: func(c games.Config) *games.Module { return games.NewModule(chess.Game{}, c) },
		moves:  chessMoves,
	},
}

// tictactoeMoves returns the moves function of tic-tac-toe, which hands
// out the nine moves encoded once.
func tictactoeMoves() func(view []byte) ([][]byte, error) {
	var cells [9][]byte
	for i := range cells {
		cells[i], _ = codec.MarshalData(tictactoe.Move{Cell: &i})
	}
	return func(view []byte) ([][]byte, error) {
		var v tictactoe.View
		if err := codec.UnmarshalData(view, &v); err != nil {
			return nil, err
		}
		out := make([][]byte, len(v.Legal))
		for i, c := range v.Legal {
			out[i] = cells[c]
		}
		return out, nil
	}
}

// chessMoves is the moves function of chess. It decodes the view's legal
// moves alone (decoding the whole view by reflection, history included,
// and encoding each move apart cost more than the server's move) and
// encodes them as Move{UCI: m} maps into one buffer.
func chessMoves(view []byte) ([][]byte, error) {
	var v struct {
		Legal []string `msgpack:"legal"`
	}
	if err := codec.UnmarshalData(view, &v); err != nil {
		return nil, err
	}
	buf := make([]byte, 0, 11*len(v.Legal)) // 11: a promotion's map
	out := make([][]byte, len(v.Legal))
	for i, m := range v.Legal {
		start := len(buf)
		buf = codec.AppendMapHeader(buf, 1)
		buf = codec.AppendString(buf, "uci")
		buf = codec.AppendString(buf, m)
		out[i] = buf[start:len(buf):len(buf)]
	}
	return out, nil
}
