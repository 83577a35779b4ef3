// The React hooks rendered by React itself (react-dom/client in a
// happy-dom document), under StrictMode, against a fake WebSocket played
// by the test as the server.

import assert from "node:assert/strict";
import { after, before, beforeEach, test } from "node:test";
import { Window } from "happy-dom";
import { act, createElement as h, StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { encodeData, decodeData } from "../build/parlor.js";
import { useChat, useMatch, useParlor } from "../build/react.js";
import { FakeWS, tick } from "./helpers.mjs";

let window;

before(() => {
  window = new Window({ url: "http://example.test/" });
  globalThis.window = window;
  globalThis.document = window.document;
  globalThis.IS_REACT_ACT_ENVIRONMENT = true;
});

after(async () => {
  await window.happyDOM.close();
  delete globalThis.window;
  delete globalThis.document;
});

beforeEach(() => FakeWS.reset());

/** Renders element under StrictMode into a fresh container. */
async function render(element) {
  const container = document.createElement("div");
  document.body.appendChild(container);
  const root = createRoot(container);
  await act(async () => root.render(h(StrictMode, null, element)));
  return { container, unmount: () => act(async () => root.unmount()) };
}

/** Runs server-side steps and lets React and the client catch up. */
async function server(fn) {
  await act(async () => {
    await fn();
    await tick();
  });
}

async function handshake(ws) {
  ws.accept();
  await tick();
  const [c] = ws.take();
  ws.receive({ type: "connected", ref: c.ref, session: "s1", user: "alice", heartbeatMs: 25000, resumeToken: "t", resumed: false });
}

const live = () => FakeWS.instances.filter((ws) => ws.closedWith === null);
let lastClient = null;

function Chat() {
  const { client, state } = useParlor("ws://example.test/ws", { WebSocket: FakeWS });
  lastClient = client;
  const chat = useChat(client, { with: "bob" });
  return h(
    "div",
    null,
    h("p", { id: "conn" }, state),
    h("p", { id: "room" }, chat.state),
    h("p", { id: "typing" }, chat.typing.join(",")),
    h("ul", null, chat.messages.map((m) => h("li", { key: m.seq }, `${m.from}: ${m.deleted ? "(deleted)" : m.text}`))),
    h("button", { id: "send", onClick: () => void chat.send("from the page") }, "send"),
  );
}

const text = (c, sel) => c.querySelector(sel).textContent;
const items = (c) => [...c.querySelectorAll("li")].map((li) => li.textContent);
const msg = (seq, from, text, extra = {}) => ({ seq, id: `m${seq}`, kind: "message", from, ts: 1, text, ...extra });

test("useParlor and useChat: one socket under StrictMode, live messages, cleanup on unmount", async () => {
  const { container, unmount } = await render(h(Chat));
  // StrictMode mounted, unmounted and mounted again: the first client was
  // closed before it opened a socket.
  await server(() => {});
  assert.equal(FakeWS.instances.length, 1);
  assert.equal(text(container, "#conn"), "connecting");
  const ws = FakeWS.last();
  await server(() => handshake(ws));
  assert.equal(text(container, "#conn"), "open");

  // The join ran twice (StrictMode); both share one membership.
  const joins = ws.take().filter((f) => f.type === "join");
  assert.ok(joins.length >= 1 && joins.length <= 2, `${joins.length} joins`);
  assert.deepEqual(decodeData(joins[0].params), { with: "bob" });
  const snapshot = { kind: "dm", with: "bob", messages: [msg(1, "bob", "hi")], head: 1, more: false, reads: {}, online: ["alice"] };
  await server(() => {
    for (const j of joins) {
      ws.receive({ type: "joined", ref: j.ref, room: "dm1", seq: 1, snapshot: encodeData(snapshot), epoch: "e", recovered: false });
    }
  });
  assert.equal(text(container, "#room"), "joined");
  assert.deepEqual(items(container), ["bob: hi"]);
  assert.deepEqual(ws.take().filter((f) => f.type === "leave"), [], "the room is still held");

  await server(() => {
    ws.receive(
      { type: "event", room: "dm1", seq: 0, event: "typing", data: encodeData({ user: "bob", typing: true, expires_in: 5000 }) },
      { type: "event", room: "dm1", seq: 2, event: "message", data: encodeData(msg(2, "bob", "are you there?")) },
      { type: "event", room: "dm1", seq: 3, event: "delete", data: encodeData({ seq: 3, id: "m3", kind: "delete", from: "bob", ts: 2, target: 1 }) },
    );
  });
  assert.deepEqual(items(container), ["bob: (deleted)", "bob: are you there?"]);
  assert.equal(text(container, "#typing"), "", "a message ends its author's typing");

  await server(() => container.querySelector("#send").click());
  const [send] = ws.take();
  assert.equal(send.type, "send");
  assert.equal(send.event, "send");
  assert.deepEqual(decodeData(send.data), { text: "from the page" });
  await server(() => {
    const m = msg(4, "alice", "from the page");
    ws.receive({ type: "reply", ref: send.ref, code: "", message: "", data: encodeData(m) }, { type: "event", room: "dm1", seq: 4, event: "message", data: encodeData(m) });
  });
  assert.deepEqual(items(container), ["bob: (deleted)", "bob: are you there?", "alice: from the page"]);

  const client = lastClient;
  await unmount();
  assert.equal(client.state, "closed");
  assert.deepEqual(ws.closedWith, { code: 1000, reason: "client closed" });
  assert.deepEqual(client._debug(), { listeners: 0, roomListeners: 0, inflight: 0, queued: 0, rooms: 0, socket: false });
  assert.deepEqual(live(), []);
});

function Game() {
  const { client } = useParlor("ws://example.test/ws", { WebSocket: FakeWS });
  const m = useMatch(client, "games.tictactoe", { opponent: "bob", nonce: "n1" });
  return h(
    "div",
    null,
    h("p", { id: "status" }, `${m.status} turn=${m.turn} ply=${m.ply} seat=${m.seat}`),
    h("p", { id: "board" }, m.view?.board ?? ""),
    h("p", { id: "result" }, m.result ? `${m.result.winner} ${m.result.reason}` : ""),
    h("button", { id: "move", onClick: () => void m.move({ cell: 4 }) }, "move"),
  );
}

test("useMatch: snapshot, moves and the end of the game as state", async () => {
  const { container, unmount } = await render(h(Game));
  await server(() => {});
  const ws = FakeWS.last();
  await server(() => handshake(ws));
  const joins = ws.take().filter((f) => f.type === "join");
  assert.equal(joins[0].kind, "games.tictactoe");
  const snap = {
    room: "g1", game: "tictactoe", players: ["alice", "bob"], seat: 0, status: "playing", turn: 0, ply: 0,
    view: { board: ".........", turn: 0, legal: [0, 1, 2, 3, 4, 5, 6, 7, 8] }, present: [true, true], draw_offer: -1, log_len: 0, spectators: 0,
  };
  await server(() => {
    for (const j of joins) ws.receive({ type: "joined", ref: j.ref, room: "g1", seq: 2, snapshot: encodeData(snap), epoch: "e", recovered: false });
  });
  assert.equal(text(container, "#status"), "playing turn=0 ply=0 seat=0");
  assert.equal(text(container, "#board"), ".........");

  await server(() => container.querySelector("#move").click());
  const [mv] = ws.take();
  assert.equal(mv.event, "move");
  assert.deepEqual(decodeData(mv.data), { cell: 4, ply: 0 }, "the move carries the ply it was made at");
  await server(() => {
    ws.receive(
      { type: "reply", ref: mv.ref, code: "", message: "", data: encodeData({ ply: 1 }) },
      { type: "event", room: "g1", seq: 3, event: "moved", data: encodeData({ seat: 0, move: { cell: 4 }, ply: 1, turn: 1 }) },
      { type: "event", room: "g1", seq: 4, event: "state", data: encodeData({ ply: 1, turn: 1, view: { board: "....X....", turn: 1, legal: [] } }) },
    );
  });
  assert.equal(text(container, "#status"), "playing turn=1 ply=1 seat=0");
  assert.equal(text(container, "#board"), "....X....");
  await server(() => {
    ws.receive({ type: "event", room: "g1", seq: 5, event: "game_over", data: encodeData({ winner: 1, reason: "resignation", ply: 1 }) });
  });
  assert.equal(text(container, "#status"), "over turn=-1 ply=1 seat=0");
  assert.equal(text(container, "#result"), "1 resignation");
  await unmount();
  assert.deepEqual(live(), []);
});

test("unmounting before the join is answered leaks nothing", async () => {
  const { unmount } = await render(h(Chat));
  await server(() => {});
  const ws = FakeWS.last();
  await server(() => handshake(ws));
  const client = lastClient;
  const joins = ws.take().filter((f) => f.type === "join");
  // Unmount closes the client: the pending joins reject and nothing leaks.
  await unmount();
  assert.equal(client.state, "closed");
  assert.ok(joins.length >= 1);
  assert.deepEqual(client._debug(), { listeners: 0, roomListeners: 0, inflight: 0, queued: 0, rooms: 0, socket: false });
});
