package forward

import (
	"strings"

	"github.com/parlorhq/parlor/cluster/internal/token"
)

// DefaultSubjectPrefix starts the subjects of forwarded requests: a join
// for node "n1" travels on "parlor.fwd.n1.join".
const DefaultSubjectPrefix = "parlor.fwd"

func checkNode(node string) error {
	if !token.Plain(node) {
		return ErrBadNode
	}
	return nil
}

func subject(prefix, node string, op Op) string {
	return prefix + "." + node + "." + string(op)
}

// quietToken marks the reply subject of a join, send or leave that wants
// an answer only when it is refused: JoinAsync's, SendAsync's and
// LeaveAsync's reply subjects are inbox + ".q." + id, and the server
// answers a request whose reply subject has "q" as its second-to-last
// token only with a refusal. The mark is in the reply subject rather than
// in the request so that nodes of different versions still understand
// each other: an owner that does not know the mark answers every request
// (and one from before quiet joins answers every join), and the member's
// node ignores a send's success (the room answers it) and takes a join's
// or a leave's success as the join or leave done. A request made with Client.Send
// has a reply subject whose second-to-last token is a nuid (nats.go's
// "<inbox prefix>.<nuid>.<token>", whatever the inbox prefix), never "q",
// and is answered as always. The one exception is a connection with
// nats.UseOldRequestStyle and a custom inbox prefix ending in ".q": its
// Send replies would be taken as quiet; do not configure that.
const quietToken = "q"

// quietReply reports whether reply is the reply subject of a request that
// wants an answer only when refused (see quietToken).
func quietReply(reply string) bool {
	last := strings.LastIndexByte(reply, '.')
	return last > 0 && strings.HasSuffix(reply[:last], "."+quietToken)
}
