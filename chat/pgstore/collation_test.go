package pgstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/internal/pgtest"
)

// TestInboxOrderBytewise: in a database whose collation orders "a_b"
// before "aB" (ICU en-US), inbox pages still order room ids byte by byte
// ("aB" first: 'B' is 0x42, '_' 0x5f), as chat.SortConversations and
// chat.InboxCursor do, so paging neither skips nor repeats conversations
// tied in time.
func TestInboxOrderBytewise(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "test_icu_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name+" TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'"); err != nil {
		t.Fatalf("a database with ICU collation: %v", err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, dsn)
		if err == nil {
			defer conn.Close(ctx)
			_, err = conn.Exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)")
		}
		if err != nil {
			t.Errorf("dropping database %s: %v", name, err)
		}
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	s, err := Open(ctx, u.String(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var icuFirst bool
	if err := s.pool.QueryRow(ctx, "SELECT 'a_b' < 'aB'").Scan(&icuFirst); err != nil || !icuFirst {
		t.Fatalf("the database does not order a_b before aB (%v): the test would prove nothing", err)
	}
	for _, room := range []string{"a_b", "aB", "a"} {
		info := &chat.RoomInfo{ID: room, Kind: chat.KindDM, Members: []string{"u", "v"}, Created: 1}
		e := chat.Message{Room: room, Seq: 1, ID: room, Kind: chat.KindMessage, From: "v", Time: 100, Text: "hi"}
		if _, _, err := s.Append(ctx, chat.Write{Entry: e, Room: info}); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	var cur chat.InboxCursor
	for range 5 {
		page, err := s.ConversationsBefore(ctx, "u", cur, 1, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		got = append(got, page[0].Room)
		cur = chat.CursorOf(page[0])
	}
	if want := []string{"a", "aB", "a_b"}; !slices.Equal(got, want) {
		t.Fatalf("pages of one: %v, want %v", got, want)
	}
}
