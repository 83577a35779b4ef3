package forward_test

import (
	"context"
	"log"

	"github.com/parlorhq/parlor/cluster"
	"github.com/parlorhq/parlor/cluster/forward"
	"github.com/parlorhq/parlor/codec"
)

// rooms stands for the engine: it hands each request to the room's
// mailbox and answers when the room is done.
type rooms struct{}

func (rooms) Join(j *forward.Join, respond func(*forward.Reply)) {
	respond(&forward.Reply{Seq: 0, Epoch: "e1"})
}

func (rooms) Send(s *forward.Send, respond func(*forward.Reply)) {
	respond(forward.ErrorReply(&codec.Error{Code: codec.CodeForbidden, Message: "room: not a member"}))
}

func (rooms) Leave(l *forward.Leave, respond func(*forward.Reply)) { respond(&forward.Reply{}) }

// The owner node serves its subjects; a member node forwards a send to it.
func Example() {
	owner, err := cluster.Dial(cluster.DialConfig{URL: "nats://127.0.0.1:4222", Node: "node-2"})
	if err != nil {
		log.Fatal(err)
	}
	defer owner.Close()
	srv, err := forward.Serve(owner, forward.ServerConfig{Node: "node-2", Handler: rooms{}})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	member, err := cluster.Dial(cluster.DialConfig{URL: "nats://127.0.0.1:4222", Node: "node-1"})
	if err != nil {
		log.Fatal(err)
	}
	defer member.Close()
	c := forward.NewClient(member, forward.ClientConfig{})
	_, err = c.Send(context.Background(), "node-2", &forward.Send{Room: "r", User: "alice", Session: "s1", Node: "node-1", Event: "msg"})
	log.Print(codec.AsError(err).Code) // forbidden, as the owner said
}
