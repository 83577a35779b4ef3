package pgstore

import (
	"errors"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/games"
)

// isUnavailable reports whether err is ErrUnavailable, as clients see it,
// and no games error.
func isUnavailable(err error) bool {
	return errors.Is(err, ErrUnavailable) && codec.AsError(err).Code == codec.CodeUnavailable &&
		!errors.Is(err, games.ErrSeqConflict) && !errors.Is(err, games.ErrNotFound)
}
