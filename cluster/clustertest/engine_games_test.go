package clustertest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/client/gameclient"
	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/games/tictactoe"
	"github.com/parlorhq/parlor/internal/wstest"
	"github.com/parlorhq/parlor/parlortest"
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

// play plays m to its end with firstFree, a move every pause, retrying a
// move the cluster refused while the match moved (the move was then not
// applied, or the turn has passed and the events say so).
func play(ctx context.Context, m *gameclient.Match, pause time.Duration) error {
	played := -1
	for !m.Over() {
		if m.MyTurn() && m.Ply > played && m.ViewPly == m.Ply {
			move, err := firstFree(m)
			if err != nil {
				return err
			}
			time.Sleep(pause)
			ply, err := m.Move(ctx, move)
			if err == nil {
				played = ply
				continue
			}
			if ctx.Err() != nil {
				return err
			}
			time.Sleep(50 * time.Millisecond)
		}
		next, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		_, err := m.Next(next)
		cancel()
		if err != nil && ctx.Err() != nil {
			return err
		}
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			return err
		}
	}
	return nil
}

// The node running a match dies in the middle of the game (its NATS
// connection dropped, its clients cut, no lease released): the match goes
// on from another node, rebuilt from its stored moves, and both players
// and the spectator end with the same, complete log.
func TestClusterMatchOwnerKilled(t *testing.T) {
	servers := StartCluster(t, 3)
	st := newStores()
	opts := nodeOptions{replicas: 3, modules: gameModules}
	var nodes []*node
	for i, name := range []string{"a", "b", "c"} {
		nodes = append(nodes, startNode(t, name, []string{servers[i].URL()}, st, opts))
	}
	proxy := wstest.StartProxy(t, nodes[0].addr())
	kind := "games." + tictactoe.Name
	p := games.JoinParams{Seats: []string{"ada", "bob"}, Nonce: "cluster-2"}
	ada, err := gameclient.Join(ctx(t), dialVia(t, proxy.Addr(), "ada"), kind, p)
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
	id := ada.ID()
	if !nodes[0].owns(id) {
		t.Fatal("the match does not run on ada's node")
	}
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	errs := make(chan error, 2)
	for _, m := range []*gameclient.Match{ada, bob} {
		go func() { errs <- play(c, m, 150*time.Millisecond) }()
	}
	for sam.Ply < 3 { // four moves to go, 150 ms apart
		if _, err := sam.Next(ctx(t)); err != nil {
			t.Fatal(err)
		}
	}
	proxy.SetTarget(nodes[1].addr())
	nodes[0].kill()
	proxy.Cut()
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for !sam.Over() {
		if _, err := sam.Next(c); err != nil {
			t.Fatalf("spectator: %v", err)
		}
	}
	// bob's moves cannot reach the dead node: the match finished on
	// another. The dead node's copy stops once its lease runs out by its
	// own clock.
	eventually(t, "the dead node to drop the match", func() bool { return !nodes[0].owns(id) })
	if *ada.Result != *bob.Result || *sam.Result != *ada.Result || ada.Result.Reason != "line" {
		t.Fatalf("results: ada %+v, bob %+v, spectator %+v", *ada.Result, *bob.Result, *sam.Result)
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

// A quick-match pairing made by the queue on one node and joined first on
// another is a match the server arranged there too: the pairing's nonce is
// signed with the shared secret (games.Config.Secret). The policy, which
// refuses every challenge once the pair is made, is not asked again, and
// no node tells the match as a challenge.
func TestClusterQuickMatchArrangedElsewhere(t *testing.T) {
	servers := StartCluster(t, 3)
	st := newStores()
	var paired atomic.Bool
	var mu sync.Mutex
	var notices []games.ChallengeNotice
	modules := func(st *stores) []room.Module {
		return []room.Module{games.NewModule(tictactoe.Game{}, games.Config{
			Store: st.games, QuickMatch: true, Secret: []byte(parlortest.DefaultSecret),
			CanChallenge: func(context.Context, string, string) error {
				if paired.Load() {
					return games.ErrNotAllowed
				}
				return nil
			},
			OnChallenge: func(_ context.Context, n games.ChallengeNotice) {
				mu.Lock()
				notices = append(notices, n)
				mu.Unlock()
			},
		})}
	}
	var nodes []*node
	for i, name := range []string{"a", "b"} {
		nodes = append(nodes, startNode(t, name, []string{servers[i].URL()}, st, nodeOptions{replicas: 3, modules: modules}))
	}
	kind := "games." + tictactoe.Name
	users := []string{"ada", "bob"}
	var clients [2]*client.Client
	var queues [2]string
	for i, u := range users {
		clients[i] = nodes[i].dial(u)
		j, err := clients[i].Join(ctx(t), kind, games.JoinParams{Quick: true})
		if err != nil {
			t.Fatalf("%s queues: %v", u, err)
		}
		queues[i] = j.Room
	}
	if !nodes[0].owns(queues[0]) {
		t.Fatal("the queue does not run on the first player's node")
	}
	var matched [2]games.Matched
	for i, c := range clients {
		ev := parlortest.Wait(t, c, parlortest.Timeout, func(ev client.Event) bool {
			return ev.Room == queues[i] && ev.Name == games.EventMatched
		})
		if err := ev.Decode(&matched[i]); err != nil {
			t.Fatal(err)
		}
	}
	paired.Store(true)
	// bob joins first, from node b, which takes the match's lease.
	bob, err := gameclient.Join(ctx(t), clients[1], kind, games.JoinParams{Seats: matched[1].Seats, Nonce: matched[1].Nonce})
	if err != nil {
		t.Fatalf("bob joins the pairing on node b: %v", err)
	}
	if !nodes[1].owns(bob.ID()) {
		t.Fatal("the match does not run on node b")
	}
	adaJoined := time.Now()
	ada, err := gameclient.Join(ctx(t), clients[0], kind, games.JoinParams{Seats: matched[0].Seats, Nonce: matched[0].Nonce})
	if err != nil {
		t.Fatalf("ada joins the pairing from node a: %v", err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, m := range []*gameclient.Match{ada, bob} {
		wg.Go(func() { _, errs[i] = m.Play(ctx(t), firstFree) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(notices) != 0 {
		t.Fatalf("a pairing told as a challenge: %+v", notices)
	}
	// Node a forwarded ada's join and moves to node b, which took them
	// all: once the join's and the requests' own timeouts have passed
	// (they end that way when all is well), none counts as unreached.
	time.Sleep(time.Until(adaJoined.Add(3 * time.Second)))
	if sa := nodes[0].cluster.Stats(); sa.Forwarded < 2 || sa.ForwardUnreached != 0 {
		t.Fatalf("node a's stats: %+v; want the join and moves forwarded, none unreached", sa)
	}
}
