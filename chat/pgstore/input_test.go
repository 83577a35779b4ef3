package pgstore

import (
	"context"
	"errors"
	"testing"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/internal/pgtest"
)

// TestUnstorableStrings: PostgreSQL text holds neither NUL bytes nor
// invalid UTF-8, and bigint no seq above 2^63-1. A write with such a
// value, or an inbox cursor with such a room id, is refused with
// ErrUnstorable (bad_request) before it reaches the database, nothing of
// it is stored, and the room and another user's conversation carry on;
// reads that name such a string find nothing.
func TestUnstorableStrings(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, pgtest.NewSchema(t), Options{})
	dm := &chat.RoomInfo{ID: "d", Kind: chat.KindDM, Members: []string{"a", "b"}, Created: 1}
	if _, _, err := s.Append(ctx, chat.Write{Entry: chat.Message{Room: "d", Seq: 1, ID: "1", Kind: chat.KindMessage, From: "a", Time: 1, Text: "hi"}, Room: dm}); err != nil {
		t.Fatal(err)
	}
	bystander := &chat.RoomInfo{ID: "other", Kind: chat.KindDM, Members: []string{"c", "e"}, Created: 1}
	if _, _, err := s.Append(ctx, chat.Write{Entry: chat.Message{Room: "other", Seq: 1, ID: "o1", Kind: chat.KindMessage, From: "c", Time: 1, Text: "yo"}, Room: bystander}); err != nil {
		t.Fatal(err)
	}

	next := func() chat.Message {
		return chat.Message{Room: "d", Seq: 2, ID: "2", Kind: chat.KindMessage, From: "a", Time: 2, Text: "ok"}
	}
	bad := []struct {
		name string
		w    func() chat.Write
	}{
		{"NUL in text", func() chat.Write { e := next(); e.Text = "a\x00b"; return chat.Write{Entry: e} }},
		{"invalid UTF-8 in text", func() chat.Write { e := next(); e.Text = "\xff\xfe"; return chat.Write{Entry: e} }},
		{"NUL in client message id", func() chat.Write { e := next(); e.ClientMsgID = "\x00"; return chat.Write{Entry: e} }},
		{"invalid UTF-8 in author", func() chat.Write { e := next(); e.From = "a\xc3"; return chat.Write{Entry: e} }},
		{"NUL in a member", func() chat.Write {
			r := dm.Clone()
			r.Members = append(r.Members, "x\x00")
			return chat.Write{Entry: next(), Room: &r}
		}},
		{"NUL in a group name", func() chat.Write {
			r := dm.Clone()
			r.Name = "\x00"
			return chat.Write{Entry: next(), Room: &r}
		}},
		{"NUL in the update", func() chat.Write {
			u := chat.Message{Room: "d", Seq: 1, ID: "1", Kind: chat.KindMessage, From: "a", Time: 1, Text: "\x00"}
			e := next()
			e.Kind, e.Target = chat.KindEdit, 1
			return chat.Write{Entry: e, Update: &u}
		}},
		{"NUL in a group's creator", func() chat.Write {
			r := dm.Clone()
			r.Creator = "a\x00"
			return chat.Write{Entry: next(), Room: &r}
		}},
		{"NUL in the reader", func() chat.Write { return chat.Write{Entry: next(), Read: &chat.Receipt{User: "\x00", Seq: 2}} }},
		{"read seq above 2^63-1", func() chat.Write { return chat.Write{Entry: next(), Read: &chat.Receipt{User: "a", Seq: 1 << 63}} }},
		{"target above 2^63-1", func() chat.Write { e := next(); e.Target = 1 << 63; return chat.Write{Entry: e} }},
		{"update seq above 2^63-1", func() chat.Write {
			u := chat.Message{Room: "d", Seq: 1 << 63, ID: "1", Kind: chat.KindMessage, From: "a", Time: 1, Text: "x"}
			e := next()
			e.Kind, e.Target = chat.KindEdit, 1
			return chat.Write{Entry: e, Update: &u}
		}},
	}
	for _, c := range bad {
		_, _, err := s.Append(ctx, c.w())
		if !errors.Is(err, ErrUnstorable) || codec.AsError(err).Code != codec.CodeBadRequest {
			t.Errorf("%s: %v, want ErrUnstorable (bad_request)", c.name, err)
		}
	}
	if _, err := s.SetRead(ctx, "d", "b\x00", 1); !errors.Is(err, ErrUnstorable) {
		t.Errorf("SetRead of a NUL user: %v", err)
	}
	if _, err := s.SetRead(ctx, "d", "b", 1<<63); !errors.Is(err, ErrUnstorable) {
		t.Errorf("SetRead above 2^63-1: %v", err)
	}
	if err := s.SetSettings(ctx, "d", "b\x00", chat.Settings{Hidden: true}); !errors.Is(err, ErrUnstorable) {
		t.Errorf("SetSettings of a NUL user: %v", err)
	}
	if err := s.SetSettings(ctx, "d\xff", "b", chat.Settings{Muted: true}); !errors.Is(err, ErrUnstorable) {
		t.Errorf("SetSettings of an invalid UTF-8 room: %v", err)
	}
	if _, err := s.ConversationsBefore(ctx, "b", chat.InboxCursor{Updated: 5, Room: "d\x00"}, 10, 10); !errors.Is(err, ErrUnstorable) {
		t.Errorf("ConversationsBefore after a NUL room id: %v", err)
	}
	huge := next()
	huge.Seq = 1 << 63
	if _, _, err := s.Append(ctx, chat.Write{Entry: huge}); !errors.Is(err, chat.ErrSeqConflict) {
		t.Errorf("Append at seq 2^63: %v, want ErrSeqConflict", err)
	}

	// Reads naming such strings find nothing.
	if _, err := s.Lookup(ctx, "d", "a", "\x00"); !errors.Is(err, chat.ErrNotFound) {
		t.Errorf("Lookup: %v", err)
	}
	if _, err := s.Get(ctx, "d\xff", 1); !errors.Is(err, chat.ErrNotFound) {
		t.Errorf("Get: %v", err)
	}
	if n, err := s.GroupsCreated(ctx, "a\x00"); err != nil || n != 0 {
		t.Errorf("GroupsCreated: %d, %v", n, err)
	}
	if _, err := s.Room(ctx, "d\x00"); !errors.Is(err, chat.ErrNotFound) {
		t.Errorf("Room: %v", err)
	}
	if h, err := s.History(ctx, "\x00", 0, 10); err != nil || len(h) != 0 {
		t.Errorf("History: %v, %v", h, err)
	}
	if st, err := s.State(ctx, "\x00"); err != nil || st.Head != 0 {
		t.Errorf("State: %+v, %v", st, err)
	}
	if r, err := s.Reads(ctx, "\x00"); err != nil || len(r) != 0 {
		t.Errorf("Reads: %v, %v", r, err)
	}
	if n, err := s.Unread(ctx, "d", "\xff", 10); err != nil || n != 0 {
		t.Errorf("Unread: %d, %v", n, err)
	}
	if st, err := s.Settings(ctx, "\x00"); err != nil || len(st) != 0 {
		t.Errorf("Settings: %v, %v", st, err)
	}
	if l, err := s.Conversations(ctx, "\x00", 10, 10); err != nil || len(l) != 0 {
		t.Errorf("Conversations: %v, %v", l, err)
	}

	// Nothing was stored, the room goes on at seq 2, and the bystander's
	// conversation is untouched.
	if st, err := s.Settings(ctx, "d"); err != nil || len(st) != 0 {
		t.Fatalf("settings after refused writes: %v, %v", st, err)
	}
	if st, _ := s.State(ctx, "d"); st.Head != 1 {
		t.Fatalf("head %d after refused writes, want 1", st.Head)
	}
	if r, _ := s.Room(ctx, "d"); len(r.Members) != 2 || r.Name != "" {
		t.Fatalf("room record after refused writes: %+v", r)
	}
	if _, _, err := s.Append(ctx, chat.Write{Entry: next()}); err != nil {
		t.Fatal(err)
	}
	list, err := s.Conversations(ctx, "e", 10, 10)
	if err != nil || len(list) != 1 || list[0].Room != "other" || list[0].Unread != 1 || list[0].Last.Text != "yo" {
		t.Fatalf("the bystander's inbox: %+v, %v", list, err)
	}
}
