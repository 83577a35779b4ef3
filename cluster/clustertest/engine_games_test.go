package clustertest

import (
	"slices"
	"sync"
	"testing"

	"github.com/parlorhq/parlor/client/gameclient"
	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/games/tictactoe"
	"github.com/parlorhq/parlor/room"
)

func gameModules(st *stores) []room.Module {
	return []room.Module{games.NewModule(tictactoe.Game{}, games.Config{Store: st.games})}
}

func firstFree(m *gameclient.Match) (any, error) {
	var v tictactoe.View
	if err := m.DecodeView(&v); err != nil {
		return nil, err
	}
	return tictactoe.Move{Cell: &v.Legal[0]}, nil
}

// A tic-tac-toe match with its two players on two nodes and a spectator on
// a third: the whole game is played, and all three see the same moves and
// the same result.
func TestClusterMatchAcrossThreeNodes(t *testing.T) {
	servers := StartCluster(t, 3)
	st := newStores()
	opts := nodeOptions{replicas: 3, modules: gameModules}
	var nodes []*node
	for i, name := range []string{"a", "b", "c"} {
		nodes = append(nodes, startNode(t, name, []string{servers[i].URL()}, st, opts))
	}
	kind := "games." + tictactoe.Name
	p := games.JoinParams{Seats: []string{"ada", "bob"}, Nonce: "cluster-1"}
	ada, err := gameclient.Join(ctx(t), nodes[0].dial("ada"), kind, p)
	if err != nil {
		t.Fatal(err)
	}
	bob, err := gameclient.Join(ctx(t), nodes[1].dial("bob"), kind, p)
	if err != nil {
		t.Fatal(err)
	}
	sam, err := gameclient.Watch(ctx(t), nodes[2].dial("sam"), kind, ada.ID())
	if err != nil {
		t.Fatal(err)
	}
	if !nodes[0].owns(ada.ID()) || nodes[1].owns(ada.ID()) || nodes[2].owns(ada.ID()) {
		t.Fatal("the match does not run on the first player's node alone")
	}

	var wg sync.WaitGroup
	results := make([]*games.Result, 2)
	errs := make([]error, 2)
	for i, m := range []*gameclient.Match{ada, bob} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = m.Play(ctx(t), firstFree)
		}()
	}
	for !sam.Over() {
		if _, err := sam.Next(ctx(t)); err != nil {
			t.Fatalf("spectator: %v", err)
		}
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("player %d: %v", i, err)
		}
	}
	if results[0].Winner != 0 || results[0].Reason != "line" || *results[1] != *results[0] || *sam.Result != *results[0] {
		t.Fatalf("results: ada %+v, bob %+v, spectator %+v", *results[0], *results[1], *sam.Result)
	}
	logs := make([][]games.LoggedMove, 3)
	for i, m := range []*gameclient.Match{ada, bob, sam} {
		if logs[i], err = m.Log(ctx(t), 0); err != nil {
			t.Fatal(err)
		}
	}
	if len(logs[0]) != 7 || !slices.EqualFunc(logs[0], logs[1], equalMove) || !slices.EqualFunc(logs[0], logs[2], equalMove) {
		t.Fatalf("logs differ:\n%v\n%v\n%v", logs[0], logs[1], logs[2])
	}
}

func equalMove(a, b games.LoggedMove) bool {
	return a.Seat == b.Seat && a.AtMS == b.AtMS && string(a.Move) == string(b.Move)
}
