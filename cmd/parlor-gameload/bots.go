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

// chessMoves is the moves function of chess.
func chessMoves(view []byte) ([][]byte, error) {
	var v chess.View
	if err := codec.UnmarshalData(view, &v); err != nil {
		return nil, err
	}
	out := make([][]byte, len(v.Legal))
	for i, m := range v.Legal {
		raw, err := codec.MarshalData(chess.Move{UCI: m})
		if err != nil {
			return nil, err
		}
		out[i] = raw
	}
	return out, nil
}
