package forward

import (
	"time"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/parlorhq/parlor/codec"
)

// MaxCheckMembers bounds the memberships one [Check] may name, as the
// engine bounds them: a check that names more is refused while it is
// decoded, before its memberships are allocated, so that a small request
// of many empty memberships costs the owner no more than a valid one.
const MaxCheckMembers = 1024

// ErrCheckTooLarge refuses a [Check] of more than MaxCheckMembers
// memberships.
var ErrCheckTooLarge = &codec.Error{Code: codec.CodeTooLarge, Message: "forward: check names too many memberships"}

// DecodeMsgpack implements msgpack.CustomDecoder: the array that
// encoding a Check makes, [Node, Members, Wait], read field by field so
// that Members' length is checked before anything is allocated for it.
// Fields a later version adds after Wait are skipped.
func (c *Check) DecodeMsgpack(dec *msgpack.Decoder) error {
	n, err := dec.DecodeArrayLen()
	if err != nil {
		return err
	}
	*c = Check{}
	for i := range max(n, 0) {
		switch i {
		case 0:
			c.Node, err = dec.DecodeString()
		case 1:
			c.Members, err = decodeMembers(dec)
		case 2:
			var w int64
			w, err = dec.DecodeInt64()
			c.Wait = time.Duration(w)
		default:
			err = dec.Skip()
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// decodeMembers reads the Members of a Check, refusing more than
// MaxCheckMembers before it allocates them.
func decodeMembers(dec *msgpack.Decoder) ([]Member, error) {
	n, err := dec.DecodeArrayLen()
	if err != nil || n < 0 {
		return nil, err
	}
	if n > MaxCheckMembers {
		return nil, ErrCheckTooLarge
	}
	ms := make([]Member, n)
	for i := range ms {
		if err := dec.Decode(&ms[i]); err != nil {
			return nil, err
		}
	}
	return ms, nil
}
