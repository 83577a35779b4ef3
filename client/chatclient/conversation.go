// Package chatclient is the typed Go client of the chat module (package
// chat): it opens direct conversations and groups, sends and pages
// messages, moves read receipts, and decodes the conversation's events.
//
//	cv, err := chatclient.DM(ctx, c, "bob")
//	msg, err := cv.Send(ctx, "hello")
//	u, err := cv.Next(ctx) // u.Message is bob's answer, say
//
// A Conversation may be used from several goroutines, except Next, which
// one goroutine calls.
package chatclient

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/client"
)

// Conversation is a direct conversation or a group, joined with per-room
// delivery.
type Conversation struct {
	// Room is the conversation's room.
	Room *client.Room
	// Joined is the join's snapshot: the newest messages, the members'
	// read seqs, who is online.
	Joined chat.Snapshot
}

// DM opens the direct conversation between the client's user and with.
func DM(ctx context.Context, c *client.Client, with string) (*Conversation, error) {
	return join(ctx, c, chat.KindDM, chat.DMParams{With: with})
}

// Group opens the existing group id, of which the user is a member.
func Group(ctx context.Context, c *client.Client, id string) (*Conversation, error) {
	return join(ctx, c, chat.KindGroup, chat.GroupParams{ID: id})
}

// CreateGroup creates a group called name, with the user as its admin and
// members as the other members, and opens it. ID returns its id, which
// the others open with Group. The creation carries a random nonce
// (chat.CreateGroup.Nonce), so the client's rejoins after a reconnect or
// a move open this group rather than create another.
func CreateGroup(ctx context.Context, c *client.Client, name string, members ...string) (*Conversation, error) {
	var nonce [16]byte
	_, _ = rand.Read(nonce[:]) // crypto/rand.Read never fails
	g := &chat.CreateGroup{Name: name, Members: members, Nonce: hex.EncodeToString(nonce[:])}
	return join(ctx, c, chat.KindGroup, chat.GroupParams{Create: g})
}

func join(ctx context.Context, c *client.Client, kind string, params any) (*Conversation, error) {
	r, err := c.Join(ctx, kind, params, client.WithRoomEvents())
	if err != nil {
		return nil, err
	}
	cv := &Conversation{Room: r}
	if err := r.Decode(&cv.Joined); err != nil {
		_ = r.Leave(ctx)
		return nil, fmt.Errorf("chatclient: snapshot: %w", err)
	}
	return cv, nil
}

// ID returns the conversation's room id (for a group, the group's id).
func (cv *Conversation) ID() string { return cv.Room.ID() }

// Send sends a message and returns it as stored. The send's client
// message id (client.WithClientMsgID, or a random one) makes a resend
// after a lost connection apply once.
func (cv *Conversation) Send(ctx context.Context, text string, opts ...client.SendOption) (chat.Message, error) {
	var m chat.Message
	err := cv.request(ctx, chat.OpSend, chat.SendRequest{Text: text}, &m, opts...)
	return m, err
}

// Edit replaces the text of the user's message seq and returns the stored
// edit entry.
func (cv *Conversation) Edit(ctx context.Context, seq uint64, text string) (chat.Message, error) {
	var m chat.Message
	err := cv.request(ctx, chat.OpEdit, chat.EditRequest{Seq: seq, Text: text}, &m)
	return m, err
}

// Delete deletes the user's message seq and returns the stored delete
// entry.
func (cv *Conversation) Delete(ctx context.Context, seq uint64) (chat.Message, error) {
	var m chat.Message
	err := cv.request(ctx, chat.OpDelete, chat.DeleteRequest{Seq: seq}, &m)
	return m, err
}

// History returns up to limit entries older than before (0: from the
// newest), in seq order; limit 0 means the server's page size.
func (cv *Conversation) History(ctx context.Context, before uint64, limit int) (chat.HistoryPage, error) {
	var p chat.HistoryPage
	err := cv.request(ctx, chat.OpHistory, chat.HistoryRequest{Before: before, Limit: limit}, &p)
	return p, err
}

// MarkRead moves the user's read receipt up to seq and returns the
// receipt as it is now (receipts never move backwards).
func (cv *Conversation) MarkRead(ctx context.Context, seq uint64) (uint64, error) {
	var r chat.ReadReply
	err := cv.request(ctx, chat.OpRead, chat.ReadRequest{Seq: seq}, &r)
	return r.Seq, err
}

// Typing starts (true) or stops (false) the user's typing indicator.
// Repeat Typing(true) while the user types.
func (cv *Conversation) Typing(ctx context.Context, typing bool) error {
	return cv.request(ctx, chat.OpTyping, chat.TypingRequest{Stop: !typing}, nil)
}

// Info returns the conversation's record and who has it open.
func (cv *Conversation) Info(ctx context.Context) (chat.Info, error) {
	var info chat.Info
	err := cv.request(ctx, chat.OpInfo, nil, &info)
	return info, err
}

// Leave closes the conversation on this client. It does not leave a
// group: members stay members until removed (see chat.OpLeaveGroup).
// Events still buffered for the room are discarded (read them with Next
// before leaving to see them), so a left conversation holds nothing.
func (cv *Conversation) Leave(ctx context.Context) error {
	err := cv.Room.Leave(ctx)
	if ch := cv.Room.Events(); ch != nil && err == nil {
		go func() {
			for range ch { // ends once the room's delivery has ended
			}
		}()
	}
	return err
}

func (cv *Conversation) request(ctx context.Context, op string, data, out any, opts ...client.SendOption) error {
	rep, err := cv.Room.Send(ctx, op, data, opts...)
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := rep.Decode(out); err != nil {
		return fmt.Errorf("chatclient: %s reply: %w", op, err)
	}
	return nil
}
