package main

import (
	"fmt"
	"testing"
)

// TestMarkStalled: round(clients × -stalled) members stall, at least one
// for any -stalled > 0, one per room while there are enough rooms, each
// the last member not yet stalled; all members of their rooms are
// neighbours, and no one else is.
func TestMarkStalled(t *testing.T) {
	for _, tc := range []struct {
		rooms, size int
		stalled     float64
		want        int
	}{
		{10, 2, 0, 0},
		{10, 2, 0.001, 1},
		{10, 2, 0.1, 2},
		{10, 4, 0.25, 10},
		{10, 4, 0.5, 20},
		{3, 5, 0.5, 8},
	} {
		t.Run(fmt.Sprintf("%dx%d@%v", tc.rooms, tc.size, tc.stalled), func(t *testing.T) {
			cfg := config{rooms: tc.rooms, size: tc.size, stalled: tc.stalled}
			rooms := make(conversations, tc.rooms)
			for i := range rooms {
				rooms[i] = make([]*member, tc.size)
				for j := range rooms[i] {
					rooms[i][j] = &member{}
				}
			}
			markStalled(cfg, rooms)
			n := 0
			for _, room := range rooms {
				k := 0
				for j, m := range room {
					if m.stalled {
						k++
						if j < tc.size-countStalledIn(room) {
							t.Errorf("stalled member %d is not among the last of its room", j)
						}
					}
				}
				n += k
				if k > (tc.want+tc.rooms-1)/tc.rooms {
					t.Errorf("%d stalled in one room, want them spread", k)
				}
				for _, m := range room {
					if m.neighbour != (k > 0) {
						t.Errorf("neighbour %v in a room with %d stalled", m.neighbour, k)
					}
				}
			}
			if n != tc.want {
				t.Errorf("%d stalled, want %d", n, tc.want)
			}
		})
	}
}

func countStalledIn(room []*member) int {
	n := 0
	for _, m := range room {
		if m.stalled {
			n++
		}
	}
	return n
}
