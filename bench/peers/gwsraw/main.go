// Command gwsraw is the baseline of the peers benchmark: a bare gws
// broadcast server with no framework. A client names its room in the
// ?room= query; the server answers "joined" once it is a member, and
// writes every text message a member sends to every member of the room,
// the sender included, with one WriteAsync per delivery.
package main

import (
	"flag"
	"log"
	"net/http"
	"sync"
	"time"

	"github.com/lxzan/gws"

	"github.com/parlorhq/parlor/bench/peers/internal/serve"
)

// heartbeat is how long a connection may stay silent: clients of the
// benchmark ping nothing, so it is generous.
const heartbeat = 10 * time.Minute

// roomKey is the session key holding a connection's room name.
const roomKey = "room"

// server holds the rooms and their members.
type server struct {
	gws.BuiltinEventHandler
	mu    sync.RWMutex
	rooms map[string]map[*gws.Conn]struct{}
}

func (s *server) roomOf(c *gws.Conn) string {
	v, _ := c.Session().Load(roomKey)
	name, _ := v.(string)
	return name
}

// OnOpen adds the connection to its room and tells it so.
func (s *server) OnOpen(c *gws.Conn) {
	_ = c.SetDeadline(time.Now().Add(heartbeat))
	name := s.roomOf(c)
	s.mu.Lock()
	members := s.rooms[name]
	if members == nil {
		members = map[*gws.Conn]struct{}{}
		s.rooms[name] = members
	}
	members[c] = struct{}{}
	s.mu.Unlock()
	c.WriteAsync(gws.OpcodeText, []byte("joined"), nil)
}

// OnClose removes the connection from its room.
func (s *server) OnClose(c *gws.Conn, _ error) {
	name := s.roomOf(c)
	s.mu.Lock()
	delete(s.rooms[name], c)
	if len(s.rooms[name]) == 0 {
		delete(s.rooms, name)
	}
	s.mu.Unlock()
}

// OnMessage writes a copy of the message to every member of the room.
func (s *server) OnMessage(c *gws.Conn, m *gws.Message) {
	defer m.Close()
	payload := append([]byte(nil), m.Bytes()...) // m's buffer is pooled
	op := m.Opcode
	s.mu.RLock()
	for member := range s.rooms[s.roomOf(c)] {
		member.WriteAsync(op, payload, nil)
	}
	s.mu.RUnlock()
}

func main() {
	flag.Parse()
	s := &server{rooms: map[string]map[*gws.Conn]struct{}{}}
	up := gws.NewUpgrader(s, &gws.ServerOption{
		Recovery:           gws.Recovery,
		ReadMaxPayloadSize: 64 << 10,
	})
	mux := http.NewServeMux()
	mux.HandleFunc("/ws", func(w http.ResponseWriter, r *http.Request) {
		name := r.URL.Query().Get("room")
		if name == "" || len(name) > 64 {
			http.Error(w, "room must be 1 to 64 bytes", http.StatusBadRequest)
			return
		}
		c, err := up.Upgrade(w, r)
		if err != nil {
			return
		}
		c.Session().Store(roomKey, name)
		go c.ReadLoop()
	})
	if err := serve.Run(mux, "/ws"); err != nil {
		log.Fatal(err)
	}
}
