// The React hooks at their seams: events that come with a join's answer
// or a rejoin's, older pages, a conversation switched while a page is on
// its way, and StrictMode's two joins answered apart. React renders them
// (react-dom/client in a happy-dom document) against a fake WebSocket
// played by the test as the server.

import assert from "node:assert/strict";
import { after, before, beforeEach, test } from "node:test";
import { Window } from "happy-dom";
import { act, createElement as h, StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { connect, decodeData, encodeData } from "../build/parlor.js";
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

/** Renders element into a fresh container, under StrictMode unless strict is false. */
async function render(element, strict = true) {
  const container = document.createElement("div");
  document.body.appendChild(container);
  const root = createRoot(container);
  const wrap = (el) => (strict ? h(StrictMode, null, el) : el);
  await act(async () => root.render(wrap(element)));
  return { container, rerender: (el) => act(async () => root.render(wrap(el))), unmount: () => act(async () => root.unmount()) };
}

/** Runs server-side steps and lets React and the client catch up. */
async function server(fn) {
  await act(async () => {
    await fn();
    await tick();
  });
}

async function handshake(ws, session = "s1") {
  ws.accept();
  await tick();
  const [c] = ws.take();
  ws.receive({ type: "connected", ref: c.ref, session, user: "alice", heartbeatMs: 25000, resumeToken: `t${session}`, resumed: false });
}

/** A connected client outside React, and its socket. */
async function openClient() {
  const client = connect("ws://example.test/ws", { WebSocket: FakeWS });
  await tick();
  const ws = FakeWS.last();
  await handshake(ws);
  await tick();
  return { client, ws };
}

const msg = (seq, from, text, extra = {}) => ({ seq, id: `m${seq}`, kind: "message", from, ts: 1, text, ...extra });
const dm = (peer, messages, extra = {}) => ({ kind: "dm", with: peer, messages, head: messages.at(-1)?.seq ?? 0, more: false, reads: {}, online: [], ...extra });
const joined = (j, room, seq, snapshot, epoch = "e") => ({ type: "joined", ref: j.ref, room, seq, snapshot: encodeData(snapshot), epoch, recovered: false });
const event = (room, seq, name, data) => ({ type: "event", room, seq, event: name, data: encodeData(data) });
const items = (c) => [...c.querySelectorAll("li")].map((li) => li.textContent);

let chat = null;

function Chat({ client, peer = "bob", url = null }) {
  const own = useParlor(url, { WebSocket: FakeWS, reconnect: { initialDelay: 1, maxDelay: 1 } });
  chat = useChat(client ?? own.client, { with: peer });
  return h(
    "ul",
    null,
    chat.messages.map((m) => h("li", { key: m.seq }, `${m.seq}:${m.from}:${m.deleted ? "(deleted)" : m.text}`)),
  );
}

/** Renders Chat on a client of its own, connects it and returns the chat's join. */
async function mountChat() {
  const { container } = await render(h(Chat, { url: "ws://example.test/ws" }));
  await server(() => {});
  const ws = FakeWS.last();
  await server(() => handshake(ws));
  const [j] = ws.take().filter((f) => f.type === "join");
  return { container, ws, j };
}

test("useChat: the events that come with the join's answer, and right after it, are shown", async () => {
  const { container, ws, j } = await mountChat();
  await server(() => ws.receive(joined(j, "dm1", 1, dm("bob", [msg(1, "bob", "hi")])), event("dm1", 2, "message", msg(2, "bob", "with the answer"))));
  // The next message, before React has rendered the room.
  await act(async () => {
    ws.receive(event("dm1", 3, "message", msg(3, "bob", "right after")));
    await tick();
  });
  assert.deepEqual(items(container), ["1:bob:hi", "2:bob:with the answer", "3:bob:right after"]);
});

test("useChat: the event that comes with a rejoin's snapshot is kept", async () => {
  const { container, ws, j } = await mountChat();
  await server(() => ws.receive(joined(j, "dm1", 1, dm("bob", [msg(1, "bob", "hi")]))));
  await server(async () => {
    ws.drop(1006);
    await new Promise((r) => setTimeout(r, 20));
  });
  const ws2 = FakeWS.last();
  await server(() => handshake(ws2, "s2"));
  const [rj] = ws2.take();
  assert.equal(rj.type, "join");
  // Another epoch: the room rejoins with a fresh snapshot, and the event after it.
  const snap = dm("bob", [msg(1, "bob", "hi"), msg(2, "bob", "two"), msg(3, "bob", "three")]);
  await server(() => ws2.receive(joined(rj, "dm1", 3, snap, "e2"), event("dm1", 4, "message", msg(4, "bob", "four"))));
  assert.deepEqual(items(container), ["1:bob:hi", "2:bob:two", "3:bob:three", "4:bob:four"]);
});

test("useChat: a game note comes in live, as in the snapshot", async () => {
  const { container, ws, j } = await mountChat();
  await server(() => ws.receive(joined(j, "dm1", 1, dm("bob", [msg(1, "bob", "hi")]))));
  await server(() => ws.receive(event("dm1", 2, "game", { seq: 2, id: "g2", kind: "game", from: "bob", ts: 2, text: "bob challenged you" })));
  assert.deepEqual(items(container), ["1:bob:hi", "2:bob:bob challenged you"]);
});

test("useChat: loadOlder applies the older page's edits and deletions to their messages", async () => {
  const { client, ws } = await openClient();
  const { container } = await render(h(Chat, { client }), false);
  await server(() => {});
  const [j] = ws.take().filter((f) => f.type === "join");
  // The newest entries edit a message that the older page brings.
  const newest = [msg(5, "bob", "five"), { seq: 6, id: "e6", kind: "edit", from: "bob", ts: 6, text: "one, again", target: 1 }];
  await server(() => ws.receive(joined(j, "dm1", 6, dm("bob", newest, { more: true }))));
  assert.deepEqual(items(container), ["5:bob:five"]);
  let p;
  await act(async () => {
    p = chat.loadOlder();
    await tick();
  });
  const [hist] = ws.take();
  assert.deepEqual(decodeData(hist.data), { before: 5, limit: 0 });
  const page = {
    messages: [
      msg(1, "bob", "one"),
      { seq: 2, id: "e2", kind: "edit", from: "bob", ts: 2, text: "one, edited", target: 1 },
      msg(3, "bob", "three"),
      { seq: 4, id: "d4", kind: "delete", from: "bob", ts: 4, target: 3 },
    ],
    more: false,
  };
  await server(async () => {
    ws.receive({ type: "reply", ref: hist.ref, code: "", message: "", data: encodeData(page) });
    await p;
  });
  assert.deepEqual(items(container), ["1:bob:one, again", "3:bob:(deleted)", "5:bob:five"], "no edit or delete entry shown as a message; the later edit wins");
  assert.equal(chat.more, false);
  client.close();
});

test("useChat: an older page of the previous conversation does not land in the next one", async () => {
  const { client, ws } = await openClient();
  const r = await render(h(Chat, { client, peer: "bob" }), false);
  await server(() => {});
  const [j] = ws.take().filter((f) => f.type === "join");
  await server(() => ws.receive(joined(j, "dmB", 5, dm("bob", [msg(5, "bob", "b5")], { more: true }))));
  let p;
  await act(async () => {
    p = chat.loadOlder();
    p.catch(() => {});
    await tick();
  });
  const [hist] = ws.take();
  await r.rerender(h(Chat, { client, peer: "carol" }));
  await server(() => {});
  const j2 = ws.take().find((f) => f.type === "join");
  await server(() => ws.receive(joined(j2, "dmC", 2, dm("carol", [msg(1, "carol", "c1"), msg(2, "carol", "c2")]))));
  await server(() => ws.receive({ type: "reply", ref: hist.ref, code: "", message: "", data: encodeData({ messages: [msg(3, "bob", "b3"), msg(4, "bob", "b4")], more: true }) }));
  assert.deepEqual(items(r.container), ["1:carol:c1", "2:carol:c2"]);
  assert.equal(chat.more, false);
  client.close();
});

test("useChat: StrictMode's two joins answered apart keep the room on the server", async () => {
  const { client, ws } = await openClient();
  const { container } = await render(h(Chat, { client }));
  await server(() => {});
  const joins = ws.take().filter((f) => f.type === "join");
  assert.equal(joins.length, 2, "StrictMode joined twice");
  const snap = dm("bob", [msg(1, "bob", "hi")]);
  await server(async () => {
    ws.receive(joined(joins[0], "dm1", 1, snap));
    await tick();
    ws.receive(joined(joins[1], "dm1", 1, snap));
  });
  assert.deepEqual(ws.take().filter((f) => f.type === "leave"), [], "the first join's leave would end the second one's membership on the server");
  await server(() => ws.receive(event("dm1", 2, "message", msg(2, "bob", "still here"))));
  assert.deepEqual(items(container), ["1:bob:hi", "2:bob:still here"]);
  client.close();
});

test("a leave that left the membership to a join in flight is sent once that join fails", async () => {
  const { client, ws } = await openClient();
  const first = client.join("chat.dm", { with: "bob" });
  const second = client.join("chat.dm", { with: "bob" });
  second.catch(() => {});
  await tick();
  const [j1, j2] = ws.take();
  ws.receive(joined(j1, "dm1", 1, dm("bob", [])));
  const room = await first;
  await room.leave();
  assert.deepEqual(ws.take(), [], "no leave while the second join is in flight");
  ws.receive({ type: "reply", ref: j2.ref, code: "rate_limited", message: "slow down", data: new Uint8Array(0) });
  await assert.rejects(second, (err) => err.code === "rate_limited");
  await tick();
  assert.deepEqual(ws.take().map((f) => [f.type, f.room]), [["leave", "dm1"]]);
  client.close();
});

function Game() {
  const { client } = useParlor("ws://example.test/ws", { WebSocket: FakeWS });
  const m = useMatch(client, "games.tictactoe", { opponent: "bob", nonce: "n1" });
  return h("p", { id: "s" }, `${m.status} turn=${m.turn} ply=${m.ply} view=${m.view?.board ?? ""}`);
}

test("useMatch: the moves that come with the join's answer are in the state", async () => {
  const { container } = await render(h(Game));
  await server(() => {});
  const ws = FakeWS.last();
  await server(() => handshake(ws));
  const [j] = ws.take().filter((f) => f.type === "join");
  const snap = { room: "g1", game: "tictactoe", players: ["alice", "bob"], seat: 1, status: "playing", turn: 0, ply: 0, view: { board: "........." }, present: [true, true], draw_offer: -1, log_len: 0, spectators: 0 };
  await server(() =>
    ws.receive(
      joined(j, "g1", 2, snap),
      event("g1", 3, "moved", { seat: 0, ply: 1, turn: 1 }),
      event("g1", 4, "state", { ply: 1, turn: 1, view: { board: "....X...." } }),
    ),
  );
  assert.equal(container.querySelector("#s").textContent, "playing turn=1 ply=1 view=....X....");
});
