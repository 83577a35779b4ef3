package boltstore_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/chat/boltstore"
)

// inboxPage is the page the inbox benchmarks read: as many conversations
// as the smallest inbox has, so every size reads the same page.
const inboxPage = 10

// BenchmarkInbox10, 1000 and 10000: a page of the inbox of a user with
// that many conversations (each with one unread message), from the memory
// and the bbolt store. The cost should not depend on the size.
func BenchmarkInbox10(b *testing.B)    { benchInbox(b, 10) }
func BenchmarkInbox1000(b *testing.B)  { benchInbox(b, 1000) }
func BenchmarkInbox10000(b *testing.B) { benchInbox(b, 10000) }

// BenchmarkInboxUnread100: a page of 10 conversations that each have
// 100 unread messages (the default unread cap), in an inbox of 10.
func BenchmarkInboxUnread100(b *testing.B) {
	b.Run("bolt", func(b *testing.B) {
		s, err := boltstore.Open(filepath.Join(b.TempDir(), "chat.db"), boltstore.Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		fillInbox(b, s, "u", inboxPage)
		fillUnread(b, s, inboxPage, chat.DefaultUnreadCap)
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			list, err := s.Conversations(context.Background(), "u", inboxPage, chat.DefaultUnreadCap)
			if err != nil || len(list) != inboxPage || list[0].Unread != chat.DefaultUnreadCap {
				b.Fatalf("%+v, %v", list, err)
			}
		}
	})
}

// fillUnread adds messages from the other user to the first n DMs that
// fillInbox made, until each has unread of them.
func fillUnread(b *testing.B, s chat.Store, n, unread int) {
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			other := fmt.Sprint("p", i)
			id := "dm-" + other
			for seq := uint64(2); seq <= uint64(unread); seq++ {
				e := chat.Message{Room: id, Seq: seq, ID: fmt.Sprint(id, seq), Kind: chat.KindMessage, From: other, Time: int64(2000 + seq), Text: "hello there, how are you doing today?"}
				if _, _, err := s.Append(context.Background(), chat.Write{Entry: e}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}

func benchInbox(b *testing.B, n int) {
	b.Run("memory", func(b *testing.B) {
		s := chat.NewMemoryStore()
		defer s.Close()
		readInbox(b, s, n)
	})
	b.Run("bolt", func(b *testing.B) {
		s, err := boltstore.Open(filepath.Join(b.TempDir(), "chat.db"), boltstore.Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		readInbox(b, s, n)
	})
}

func readInbox(b *testing.B, s chat.Store, n int) {
	ctx := context.Background()
	fillInbox(b, s, "u", n)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		list, err := s.Conversations(ctx, "u", inboxPage, chat.DefaultUnreadCap)
		if err != nil || len(list) != inboxPage {
			b.Fatalf("%d conversations, %v", len(list), err)
		}
	}
}

// fillInbox gives user n DMs, each with one message from the other user,
// written from many goroutines so that the bbolt writer commits them in
// groups.
func fillInbox(b *testing.B, s chat.Store, user string, n int) {
	ctx := context.Background()
	const workers = 64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				other := fmt.Sprint("p", i)
				id := "dm-" + other
				e := chat.Message{Room: id, Seq: 1, ID: id, Kind: chat.KindMessage, From: other, Time: int64(1000 + i), Text: "hello there"}
				info := &chat.RoomInfo{ID: id, Kind: chat.KindDM, Members: []string{user, other}, Created: 1}
				if _, _, err := s.Append(ctx, chat.Write{Entry: e, Room: info}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}
