package forward

import (
	"sync"

	"github.com/nats-io/nats.go"
	"github.com/vmihailenco/msgpack/v5"
	"go.uber.org/zap"

	"github.com/parlorhq/parlor/codec"
)

// Handler acts on the requests forwarded to this node. The node that owns
// the room implements it; cluster.Node serves the engine's
// engine.ClusterHandler through one.
//
//   - Each method is called on the server's one delivery goroutine, in the
//     order the requests arrived; requests from one member node arrive in
//     the order that node sent them.
//   - A method must not block: it hands the request to the room (its
//     mailbox) and returns.
//   - It must call respond exactly once, at once or later from any
//     goroutine. A join or a Client.Send never answered times out at the
//     member's node as ErrTimeout. A join, send or leave made with
//     Client.JoinAsync, SendAsync or LeaveAsync is answered only when
//     respond gets a refusal (a Reply with a Code): the server does not
//     publish the success of a request the handler took. Unanswered, such
//     a send is forgotten by the member's client after its timeout without
//     an answer, and such a join or leave is answered ErrTimeout there.
//   - It checks that this node holds the room's lease; if not, it answers
//     with codec.CodeUnavailable so that the member looks the owner up
//     again.
//   - The request is the handler's to keep.
type Handler interface {
	// Join admits a remote session into a room this node owns.
	Join(j *Join, respond func(*Reply))
	// Send applies a remote member's event.
	Send(s *Send, respond func(*Reply))
	// Leave removes a remote session from a room.
	Leave(l *Leave, respond func(*Reply))
}

// CheckHandler is a [Handler] that also answers membership checks
// ([OpCheck]); a server whose handler is not one refuses them
// (codec.CodeBadRequest), as a server of an earlier version does.
type CheckHandler interface {
	Handler
	// Check answers which memberships of a node this node still holds,
	// with a [CheckAnswer] in the reply's Data.
	Check(c *Check, respond func(*Reply))
}

// ServerConfig tunes a [Server].
type ServerConfig struct {
	// Node is this node's name, the middle token of the subjects it
	// serves. Required; see ErrBadNode for the allowed characters.
	Node string
	// Handler acts on the requests. Required.
	Handler Handler
	// SubjectPrefix starts the request subjects; every node must use the
	// same. Empty means DefaultSubjectPrefix.
	SubjectPrefix string
	// Logger receives malformed requests and failed responses. Nil means
	// no logging.
	Logger *zap.Logger
}

// Server answers the requests forwarded to one node.
type Server struct {
	sub  *nats.Subscription
	cfg  ServerConfig
	once sync.Once
}

// Serve subscribes to this node's request subjects on nc and passes each
// request to cfg.Handler until Close. Requests that do not decode are
// answered with codec.CodeBadRequest and never reach the handler.
func Serve(nc *nats.Conn, cfg ServerConfig) (*Server, error) {
	if err := checkNode(cfg.Node); err != nil {
		return nil, err
	}
	if cfg.Handler == nil {
		return nil, ErrNoHandler
	}
	if cfg.SubjectPrefix == "" {
		cfg.SubjectPrefix = DefaultSubjectPrefix
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	s := &Server{cfg: cfg}
	sub, err := nc.Subscribe(cfg.SubjectPrefix+"."+cfg.Node+".*", s.handle)
	if err != nil {
		return nil, err
	}
	if err := nc.Flush(); err != nil {
		sub.Unsubscribe()
		return nil, err
	}
	s.sub = sub
	return s, nil
}

var errUnknownOp = &codec.Error{Code: codec.CodeBadRequest, Message: "forward: unknown operation"}

func (s *Server) handle(m *nats.Msg) {
	op := Op(m.Subject[len(s.cfg.SubjectPrefix)+len(s.cfg.Node)+2:])
	respond := s.responder(m, quietReply(m.Reply))
	var err error
	switch op {
	case OpJoin:
		var j Join
		if err = decode(m.Data, &j); err == nil {
			s.cfg.Handler.Join(&j, respond)
		}
	case OpSend:
		var r Send
		if err = decode(m.Data, &r); err == nil {
			s.cfg.Handler.Send(&r, respond)
		}
	case OpLeave:
		var l Leave
		if err = decode(m.Data, &l); err == nil {
			s.cfg.Handler.Leave(&l, respond)
		}
	case OpCheck:
		var c Check
		if ch, ok := s.cfg.Handler.(CheckHandler); !ok {
			err = errUnknownOp
		} else if err = decode(m.Data, &c); err == nil {
			ch.Check(&c, respond)
		}
	default:
		err = errUnknownOp
	}
	if err != nil {
		s.cfg.Logger.Warn("forward: bad request", zap.String("op", string(op)), zap.Error(err))
		respond(ErrorReply(err))
	}
}

var errEmpty = &codec.Error{Code: codec.CodeBadRequest, Message: "forward: empty request"}

func decode(data []byte, v any) error {
	if len(data) == 0 {
		return errEmpty
	}
	return codec.UnmarshalData(data, v)
}

// responder returns the respond function of request m; calls after the
// first do nothing. With quiet, only a refusal is published (see
// quietToken): the client of a send the handler took gets its answer
// from the room.
func (s *Server) responder(m *nats.Msg, quiet bool) func(*Reply) {
	var once sync.Once
	return func(r *Reply) {
		once.Do(func() {
			if m.Reply == "" || (quiet && r.Code == "") {
				return
			}
			data, err := msgpack.Marshal(r)
			if err == nil {
				err = m.Respond(data)
			}
			if err != nil {
				s.cfg.Logger.Warn("forward: respond", zap.Error(err))
			}
		})
	}
}

// Close stops serving. Requests not yet answered can still be answered;
// new ones find no responder.
func (s *Server) Close() error {
	var err error
	s.once.Do(func() { err = s.sub.Unsubscribe() })
	return err
}
