package chat

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

// memMsg is message seq of room id, sent by from at time seq.
func memMsg(id string, seq uint64, from string) Message {
	return Message{Room: id, Seq: seq, ID: fmt.Sprint(id, "-", seq), ClientMsgID: fmt.Sprint("c", seq), Kind: KindMessage, From: from, Time: int64(seq), Text: "hi"}
}

// TestMemoryStoreRoomsDoNotWaitForEachOther: while one room's lock is
// held (a call on that room under way), every call on another room, its
// members' inbox and the creators' index still complete.
func TestMemoryStoreRoomsDoNotWaitForEachOther(t *testing.T) {
	ctx := context.Background()
	s := NewMemoryStore()
	for _, id := range []string{"busy", "other"} {
		info := &RoomInfo{ID: id, Kind: KindDM, Members: []string{id + "-a", "b"}, Created: 1}
		if _, _, err := s.Append(ctx, Write{Entry: memMsg(id, 1, id+"-a"), Room: info}); err != nil {
			t.Fatal(err)
		}
	}
	busy := s.lookup("busy")
	busy.mu.Lock()
	done := make(chan error, 1)
	go func() {
		_, _, err := s.Append(ctx, Write{Entry: memMsg("other", 2, "b")})
		if err == nil {
			_, err = s.Lookup(ctx, "other", "b", "c2")
		}
		if err == nil {
			_, err = s.Conversations(ctx, "other-a", 10, 10)
		}
		if err == nil {
			_, err = s.GroupsCreated(ctx, "b")
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("calls on another room waited for the busy room's lock")
	}
	busy.mu.Unlock()
	if st, err := s.State(ctx, "busy"); err != nil || st.Head != 1 {
		t.Fatalf("the busy room after: %+v, %v", st, err)
	}
}

// TestMemoryStoreConcurrentRooms: senders append to their own rooms while
// readers page through the shared user's inbox; at the end every log is
// whole and the inbox holds every room once, newest first (run with
// -race).
func TestMemoryStoreConcurrentRooms(t *testing.T) {
	ctx := context.Background()
	s := NewMemoryStore()
	const rooms, msgs = 16, 50
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := s.Conversations(ctx, "shared", 0, 5); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	var senders sync.WaitGroup
	for i := range rooms {
		id := fmt.Sprint("r", i)
		senders.Go(func() {
			for seq := uint64(1); seq <= msgs; seq++ {
				w := Write{Entry: memMsg(id, seq, "shared")}
				if seq == 1 {
					w.Room = &RoomInfo{ID: id, Kind: KindDM, Members: []string{"shared", id}, Created: 1}
				}
				if _, _, err := s.Append(ctx, w); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	senders.Wait()
	close(stop)
	wg.Wait()
	convs, err := s.Conversations(ctx, "shared", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(convs) != rooms {
		t.Fatalf("%d conversations in the inbox, want %d", len(convs), rooms)
	}
	var ids []string
	for _, c := range convs {
		ids = append(ids, c.Room)
		if c.Last == nil || c.Last.Seq != msgs {
			t.Errorf("%s: last %+v, want seq %d", c.Room, c.Last, msgs)
		}
	}
	sorted := slices.Clone(ids)
	slices.Sort(sorted) // equal times: the inbox orders by room id
	if !slices.Equal(ids, sorted) {
		t.Errorf("inbox order %v", ids)
	}
}
