package chat_test

import (
	"testing"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/codec"
)

// TestPayloadsRefuseUnknownFields: every request whose payload is stored
// or sent on (send, edit, delete, read, group create, add, remove and
// leave), and the other requests too, is refused with bad_request when
// it carries a field its type does not have; nothing is stored, nobody is
// told, and the same request without the field then works.
func TestPayloadsRefuseUnknownFields(t *testing.T) {
	e := start(t, chat.Config{})
	alice, bob := e.dial("alice"), e.dial("bob")
	group, _ := alice.createGroup("team", "bob")
	bob.join(chat.KindGroup, chat.GroupParams{ID: group}, nil)
	first := alice.say(group, "first")
	bob.nextMessage(group)

	extra := "x-extra"
	cases := []struct {
		name  string
		event string
		data  map[string]any
	}{
		{"send", chat.OpSend, map[string]any{"text": "hi", extra: "kept?"}},
		{"edit", chat.OpEdit, map[string]any{"seq": first.Seq, "text": "new", extra: 1}},
		{"delete", chat.OpDelete, map[string]any{"seq": first.Seq, extra: true}},
		{"read", chat.OpRead, map[string]any{"seq": first.Seq, extra: []string{"a"}}},
		{"add members", chat.OpAddMembers, map[string]any{"members": []string{"carol"}, extra: "x"}},
		{"remove members", chat.OpRemoveMembers, map[string]any{"members": []string{"bob"}, extra: "x"}},
		{"leave", chat.OpLeaveGroup, map[string]any{extra: "x"}},
		{"typing", chat.OpTyping, map[string]any{"stop": false, extra: "x"}},
		{"history", chat.OpHistory, map[string]any{"limit": 1, extra: "x"}},
	}
	for _, c := range cases {
		if code := alice.requestErr(group, c.event, c.data); code != codec.CodeBadRequest {
			t.Errorf("%s with an extra field: %s, want bad_request", c.name, code)
		}
	}
	for _, p := range []any{
		map[string]any{"create": map[string]any{"name": "g2", "members": []string{"bob"}, extra: "x"}},
		map[string]any{"create": map[string]any{"name": "g2", "members": []string{"bob"}}, extra: "x"},
		map[string]any{"id": group, extra: "x"},
	} {
		if code := alice.joinErr(chat.KindGroup, p); code != codec.CodeBadRequest {
			t.Errorf("group join %v: %s, want bad_request", p, code)
		}
	}
	if code := alice.joinErr(chat.KindDM, map[string]any{"with": "bob", extra: "x"}); code != codec.CodeBadRequest {
		t.Errorf("DM join with an extra field: %s, want bad_request", code)
	}

	// Nothing was stored: the log holds the creation and the first
	// message, unchanged; the group has its two members; alice has one
	// conversation (no second group, no DM).
	page := alice.history(group, 0, 10)
	if len(page.Messages) != 2 || page.Messages[1].Text != "first" || page.Messages[1].Edited != 0 || page.Messages[1].Deleted {
		t.Fatalf("log after refused requests: %+v", page.Messages)
	}
	var info chat.Info
	alice.request(group, chat.OpInfo, nil, &info)
	if len(info.Room.Members) != 2 {
		t.Fatalf("members after refused requests: %v", info.Room.Members)
	}
	list, err := e.chat.Store().Conversations(ctxT(t), "alice", 0, 100)
	if err != nil || len(list) != 1 || list[0].Room != group {
		t.Fatalf("alice's conversations: %+v, %v", list, err)
	}
	reads, err := e.chat.Store().Reads(ctxT(t), group)
	if err != nil || reads["alice"] != first.Seq {
		t.Fatalf("reads %v, %v", reads, err)
	}
	// Nobody was told: bob's next event is the next message.
	m := alice.say(group, "second")
	if got := bob.nextAny(group, chat.EventPresence); got.Name != chat.KindMessage || got.Seq != m.Seq {
		t.Fatalf("bob's next event %s seq %d, want the message %d", got.Name, got.Seq, m.Seq)
	}
	// Without the extra field, the same requests work.
	var edit chat.Message
	alice.request(group, chat.OpEdit, chat.EditRequest{Seq: first.Seq, Text: "new"}, &edit)
	alice.request(group, chat.OpLeaveGroup, map[string]any{}, nil)
	if got := bob.nextAny(group, chat.EventPresence, chat.KindEdit); got.Name != chat.KindMembers {
		t.Fatalf("bob got %s, want alice leaving", got.Name)
	}
}
