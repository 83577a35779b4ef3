package forward

import "github.com/parlorhq/parlor/cluster/internal/token"

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
