package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGeneratedTypesAreCurrent fails when js/src/types differs from what
// the Go types of chat, games and the engine's user channel generate: a field, tag or event changed
// on one side only.
func TestGeneratedTypesAreCurrent(t *testing.T) {
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	out, err := generate(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 3 {
		t.Fatalf("generated %d files, want chat.ts, games.ts and user.ts", len(out))
	}
	for name, want := range out {
		have, err := os.ReadFile(filepath.Join(root, "js", "src", "types", name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(have, want) {
			t.Errorf("js/src/types/%s is out of date: run `go run ./js/scripts/gentypes` (or `npm run build` in js/)", name)
		}
	}
}

// TestGeneratedTypesFollowTheTags checks the generator against fields
// whose msgpack tags are not their Go names, omitempty fields, skipped
// fields and type parameters, so that a broken generator cannot keep its
// own output current.
func TestGeneratedTypesFollowTheTags(t *testing.T) {
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	out, err := generate(root)
	if err != nil {
		t.Fatal(err)
	}
	chat, games := string(out["chat.ts"]), string(out["games.ts"])
	for _, want := range []string{
		"export interface ChatMessage {",
		"  ts: number;",             // Time `msgpack:"ts"`
		"  client_msg_id?: string;", // omitempty
		"  with: string;",           // DMParams
		"  reads: Record<string, number> | null;",
		"  message: ChatMessage;",
		`export const ChatKinds = { DM: "chat.dm", Group: "chat.group", Inbox: "chat.inbox" } as const;`,
	} {
		if !strings.Contains(chat, want+"\n") && !strings.Contains(chat, want) {
			t.Errorf("chat.ts lacks %q", want)
		}
	}
	if strings.Contains(chat, "  room: string;\n  seq: number;\n  id: string;") {
		t.Error("chat.ts encodes Message.Room, whose tag is \"-\"")
	}
	user := string(out["user.ts"])
	for _, want := range []string{
		`export type PresenceState = "online" | "away" | "offline";`,                           // a string enum
		"export type PresenceTuple = [user: string, status: PresenceState, lastSeen: number];", // as_array
		"  statuses: PresenceTuple[] | null;",
		`  "presence.watch": { request: PresenceUsers; reply: PresenceStatuses };`,
	} {
		if !strings.Contains(user, want) {
			t.Errorf("user.ts lacks %q", want)
		}
	}
	for _, want := range []string{
		"export interface MatchSnapshot<V = unknown> {",
		"  view: V;",
		"export interface LogReply<M = unknown> {",
		"  moves: LoggedMove<M>[] | null;",
		"  result?: MatchResult;",
		"  result: MatchResult | null;",
		"  cell: number | null;",
		"  move: { request: M & { ply?: number }; reply: MoveReply };",
	} {
		if !strings.Contains(games, want) {
			t.Errorf("games.ts lacks %q", want)
		}
	}
}
