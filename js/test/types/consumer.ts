// Compiled by `npm run check` against the published typings (dist/parlor.d.ts
// and dist/react.d.ts) with library checking on: it fails if the typings are
// broken or the public API's types change by accident. The @ts-expect-error
// lines must stay errors: the payload types are checked.

import {
  connect,
  isParlorError,
  ParlorError,
  type ChatMessage,
  type Client,
  type ConnectionState,
  type DisconnectedInfo,
  type EventMeta,
  type MatchRoom,
  type PresenceState,
  type PresenceStatus,
  type Room,
  type TicTacToeView,
} from "../../dist/parlor.js";
import { useChat, useMatch, useParlor, useRoom } from "../../dist/react.js";

async function example(token: string): Promise<void> {
  const client: Client = connect("/ws", {
    token,
    requestTimeout: 5000,
    reconnect: { maxDelay: 10_000 },
    persistOutbox: { key: "parlor-outbox:alice", maxEntries: 50 },
  });
  const state: ConnectionState = client.state;
  const connected: boolean = client.connected;
  void state;
  void connected;
  const offState = client.on("state", (s, info) => console.log(s, info));
  client.on("reconnecting", ({ attempt, delay, code }) => console.log(attempt, delay, code));
  client.on("disconnected", ({ code, willRetry }: DisconnectedInfo) => console.log(code, willRetry));
  client.on("connected", ({ user }) => console.log(user));
  client.on("outbox", ({ clientMsgId, reply, error }) => console.log(clientMsgId, reply, error?.code));
  client.on("error", (err: ParlorError) => console.log(err.code, err.message));

  // An untyped kind: any event, any payload.
  const room: Room = await client.join("echo", { name: "lobby" });
  room.on("said", (data: { from: string; text: string }, meta: EventMeta) => console.log(data.text, meta.seq));
  room.on("*", (event, data, meta) => console.log(event, data, meta.room));
  room.on("$rejoined", ({ snapshot, seq, epoch }) => console.log(snapshot, seq, epoch));
  room.on("$resumed", ({ room: id, seq, epoch }) => console.log(id, seq, epoch, room.epoch));
  client.on("open", ({ resumed, reconnected }) => console.log(resumed, reconnected));
  client.on("closed", ({ code, error }) => console.log(code, error?.code));
  room.on("$left", ({ reason, error }) => console.log(reason, error?.code));
  room.on("$gap", ({ expected, seq }) => console.log(expected, seq));
  try {
    const reply = (await room.send("say", { text: "hi" }, { clientMsgId: "c-1", timeout: 2000 })) as { seq: number };
    console.log(reply.seq);
  } catch (err) {
    if (isParlorError(err, "not_your_turn")) console.log(err.code);
  }
  await room.leave();

  // A typed kind: chat.dm.
  const dm = await client.join("chat.dm", { with: "bob" });
  const first: ChatMessage | undefined = dm.snapshot.messages?.[0];
  console.log(first?.text, dm.snapshot.head);
  dm.on("message", (m) => console.log(m.text?.toUpperCase(), m.from, m.seq));
  dm.on("typing", (t) => console.log(t.user, t.typing));
  const sent: ChatMessage = await dm.send("send", { text: "hello" });
  const page = await dm.send("history", { before: sent.seq, limit: 20 });
  console.log(page.more, page.messages?.length);
  await dm.send("info");
  // @ts-expect-error: a DM is joined with {with}, not {name}
  await client.join("chat.dm", { name: "bob" });
  // @ts-expect-error: "said" is not an event of a conversation
  dm.on("said", () => {});
  // @ts-expect-error: a message's seq is a number
  dm.on("message", (m) => m.seq.toUpperCase());
  // @ts-expect-error: send needs {text: string}
  await dm.send("send", { body: "hello" });

  // A typed game.
  const match = await client.join("games.tictactoe", { opponent: "bob", nonce: "n1" });
  match.on("state", (s) => console.log((s.view as TicTacToeView).board));
  const mv = await match.send("move", { cell: 4, ply: 0 });
  console.log(mv.ply);
  // @ts-expect-error: a tic-tac-toe move has a cell, not a uci
  await match.send("move", { uci: "e2e4" });
  const custom: Room<MatchRoom<{ cols: number[][] }, { col: number }>> | null = null;
  void custom;

  offState();
  client.close();
}
void example;

// The user channel: notifications and presence.
async function presence(): Promise<void> {
  const client = connect("/ws", { userChannel: true });
  const me = await client.joinUserChannel();
  me.on("presence", ([user, status, lastSeen]) => {
    const s: PresenceState = status;
    void [user.length, s, lastSeen + 1];
  });
  me.on("challenge.offered", (offer: { from: string }) => void offer.from);
  const reply = await me.send("presence.watch", { users: ["bob"] });
  void reply.statuses?.[0]?.[1];
  // @ts-expect-error: hide takes {hidden}
  void me.send("presence.hide", { users: ["bob"] });
  client.on("presence", (p: PresenceStatus) => void p.lastSeen);
  const statuses: PresenceStatus[] = await client.presence.watch(["bob"]);
  const online: boolean = statuses[0]?.status === "online";
  void online;
  await client.presence.unwatch(["bob"]);
  await client.presence.hide(true);
  const joined = await client.join("user");
  const same: typeof me = joined;
  void same;
}
void presence;

// The React hooks, as a component would call them.
function ChatBox(): string {
  const { client, state } = useParlor("/ws");
  const chat = useChat(client, { with: "bob" });
  const room = useRoom(client, "chat.inbox");
  const game = useMatch(client, "games.tictactoe", { room: "r1" });
  const view: TicTacToeView | null = game.view;
  void game.move({ cell: 1 });
  void chat.send("hi");
  return `${state} ${chat.messages.length} ${room.snapshot?.conversations?.length} ${view?.board}`;
}
void ChatBox;
