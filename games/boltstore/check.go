package boltstore

import (
	"errors"

	"github.com/vmihailenco/msgpack/v5"
	bolt "go.etcd.io/bbolt"

	"github.com/parlorhq/parlor/games"
)

// A write is checked before it is logged: one that bbolt would refuse
// when the applier runs it would otherwise be acknowledged, then stop the
// store at its commit, with every other op of that transaction, and make
// every later Open fail on the same record.

// keyMax bounds the bytes of a match id and a player's user id together:
// the longest key the store writes (a history key: the user, the end time
// and the match, with a two-byte length) then stays below
// bolt.MaxKeySize, and each id fits part's two-byte length.
const keyMax = bolt.MaxKeySize - 64

// ErrBadKey is the error of a write whose match id is empty, or whose ids
// are too long for a bbolt key.
var ErrBadKey = errors.New("boltstore: match id empty, or ids too long for a key")

// ErrBadFinished is the error of a write whose finished game cannot be
// stored as it is: no room, or a move that is not well-formed msgpack.
var ErrBadFinished = errors.New("boltstore: finished game not storable")

// checkIDs refuses an empty match id, and ids whose keys bbolt would
// refuse.
func checkIDs(match string, users []string) error {
	if match == "" || len(match) > keyMax {
		return ErrBadKey
	}
	for _, u := range users {
		if len(u)+len(match) > keyMax {
			return ErrBadKey
		}
	}
	return nil
}

// checkFinished refuses a finished game that the applier could not store:
// its encoding raw is decoded as the applier will decode it.
func checkFinished(match string, g *games.FinishedGame, raw []byte) error {
	if g.Room == "" {
		return ErrBadFinished
	}
	if err := checkIDs(g.Room, g.Players); err != nil {
		return err
	}
	if err := checkIDs(match, g.Players); err != nil {
		return err
	}
	var back games.FinishedGame
	if err := msgpack.Unmarshal(raw, &back); err != nil {
		return errors.Join(ErrBadFinished, err)
	}
	return nil
}
