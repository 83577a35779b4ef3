// The persistent outbox (sends kept in storage across a page reload) and
// the connection events socket.io users expect (connected, disconnected),
// against a fake WebSocket played by the test as the server.

import assert from "node:assert/strict";
import { afterEach, beforeEach, test } from "node:test";
import { connect, decodeData, encodeData, isParlorError } from "../build/parlor.js";
import { FakeClock, FakeWS, tick } from "./helpers.mjs";

let clock;

beforeEach(() => {
  FakeWS.reset();
  clock = new FakeClock().install();
});

afterEach(() => clock.uninstall());

/** A Web Storage in memory: what a page's localStorage keeps across a reload. */
class MemoryStorage {
  map = new Map();
  getItem(k) {
    return this.map.has(k) ? this.map.get(k) : null;
  }
  setItem(k, v) {
    this.map.set(k, String(v));
  }
  removeItem(k) {
    this.map.delete(k);
  }
  entries(k) {
    const v = this.getItem(k);
    return v === null ? [] : JSON.parse(v);
  }
}

async function handshake(ws, session = "s1") {
  ws.accept();
  await tick();
  const [c] = ws.take();
  assert.equal(c.type, "connect");
  ws.receive({ type: "connected", ref: c.ref, session, user: "alice", heartbeatMs: 25000, resumeToken: `tok-${session}`, resumed: false });
  await tick();
}

async function open(opts = {}) {
  const client = connect("ws://example.test/ws", { WebSocket: FakeWS, ...opts });
  const events = [];
  for (const name of ["connected", "disconnected", "outbox", "error"]) {
    client.on(name, (info) => events.push([name, info]));
  }
  await tick();
  const ws = FakeWS.last();
  await handshake(ws);
  return { client, ws, events };
}

function joined(j, room = "r1") {
  return { type: "joined", ref: j.ref, room, seq: 0, snapshot: encodeData({}), epoch: "ep1", recovered: false };
}

function reply(f, data, code = "") {
  return { type: "reply", ref: f.ref, code, message: code, data: encodeData(data) };
}

async function joinDM(client, ws) {
  const p = client.join("chat.dm", { with: "bob" });
  await tick();
  const [j] = ws.take();
  ws.receive(joined(j));
  return p;
}

test("connected and disconnected: every open and every loss, with willRetry", async () => {
  const { client, ws, events } = await open();
  assert.equal(client.connected, true);
  assert.deepEqual(events.map(([n]) => n), ["connected"]);
  assert.equal(events[0][1].user, "alice");
  ws.drop(1006);
  assert.equal(client.connected, false);
  assert.deepEqual(events[1], ["disconnected", { code: 1006, reason: "connection failed", willRetry: true }]);
  assert.equal(client.state, "reconnecting");
  await clock.advance(10_000);
  await handshake(FakeWS.last(), "s2");
  assert.equal(events[2][0], "connected");
  // A close code that forbids reconnecting: no retry.
  FakeWS.last().drop(4011, "signed out");
  assert.deepEqual(events[3], ["disconnected", { code: 4011, reason: "signed out", willRetry: false }]);
  assert.equal(client.state, "closed");
  assert.equal(events.filter(([n]) => n === "disconnected").length, 2);
});

test("close() while open fires disconnected once; a failed attempt fires none", async () => {
  const { client, events } = await open();
  client.close();
  assert.deepEqual(events.filter(([n]) => n === "disconnected"), [["disconnected", { code: 1000, reason: "client closed", willRetry: false }]]);

  const c2 = connect("ws://example.test/ws", { WebSocket: FakeWS });
  const seen = [];
  c2.on("disconnected", (i) => seen.push(i));
  await tick();
  FakeWS.last().drop(1006); // never opened
  assert.deepEqual(seen, []);
  c2.close();
  assert.deepEqual(seen, []);
});

test("a send made offline survives a reload and is applied once with its client_msg_id", async () => {
  const storage = new MemoryStorage();
  const persistOutbox = { key: "outbox:alice", storage };
  const first = await open({ persistOutbox });
  const room = await joinDM(first.client, first.ws);
  first.ws.drop(1006); // the server goes away
  const sent = room.send("send", { text: "offline" });
  sent.catch(() => {}); // the page is reloaded before any answer
  const kept = storage.entries("outbox:alice");
  assert.equal(kept.length, 1);
  assert.equal(kept[0].kind, "chat.dm");
  assert.equal(kept[0].event, "send");
  assert.deepEqual(decodeData(Buffer.from(kept[0].data, "base64")), { text: "offline" });
  const id = kept[0].id;
  assert.match(id, /^c_[0-9a-f]{32}$/);

  // The reload: the old page's client is gone, a new one starts with the
  // same storage. It joins the room by itself and resends.
  FakeWS.reset();
  const second = await open({ persistOutbox });
  const frames = second.ws.take();
  const join = frames.find((f) => f.type === "join");
  assert.ok(join, "the kept send's room is joined");
  assert.equal(join.kind, "chat.dm");
  assert.deepEqual(decodeData(join.params), { with: "bob" });
  second.ws.receive(joined(join));
  await tick();
  const [send] = second.ws.take();
  assert.equal(send.type, "send");
  assert.equal(send.clientMsgId, id, "the same client_msg_id: the server applies it once");
  assert.deepEqual(decodeData(send.data), { text: "offline" });
  assert.equal(storage.entries("outbox:alice").length, 1, "kept until answered");
  second.ws.receive(reply(send, { seq: 1, text: "offline" }));
  await tick();
  assert.deepEqual(storage.entries("outbox:alice"), []);
  assert.equal(storage.getItem("outbox:alice"), null);
  const done = second.events.filter(([n]) => n === "outbox");
  assert.equal(done.length, 1);
  assert.equal(done[0][1].clientMsgId, id);
  assert.deepEqual(done[0][1].reply, { seq: 1, text: "offline" });
  // Nobody else holds the room: the helper's join is left.
  const [leave] = second.ws.take();
  assert.equal(leave.type, "leave");

  // A third page has nothing to resend.
  FakeWS.reset();
  const third = await open({ persistOutbox });
  assert.deepEqual(third.ws.take(), []);
  for (const c of [first.client, second.client, third.client]) c.close();
});

test("the outbox forgets a send the server answered or refused; it keeps one that timed out", async () => {
  const storage = new MemoryStorage();
  const { client, ws } = await open({ persistOutbox: { key: "k", storage }, requestTimeout: 1000 });
  const room = await joinDM(client, ws);
  await tick();
  ws.take();
  const settle = (p) => p.then((v) => ({ v }), (e) => ({ e }));
  const a = settle(room.send("send", { text: "a" }));
  const b = settle(room.send("send", { text: "b" }));
  const c = settle(room.send("send", { text: "c" }));
  const typing = settle(room.send("typing", {}, { persist: false }));
  await tick();
  const [fa, fb] = ws.take();
  assert.equal(storage.entries("k").length, 3, "persist: false is not kept");
  ws.receive(reply(fa, { seq: 1 }), reply(fb, null, "forbidden"));
  assert.deepEqual((await a).v, { seq: 1 });
  assert.ok(isParlorError((await b).e, "forbidden"));
  await clock.advance(1000);
  assert.ok(isParlorError((await c).e, "timeout"));
  assert.ok(isParlorError((await typing).e, "timeout"));
  assert.deepEqual(storage.entries("k").map((e) => decodeData(Buffer.from(e.data, "base64")).text), ["c"]);
  client.close();
  assert.equal(storage.entries("k").length, 1, "close() keeps what is unanswered, for the next page");
});

test("the outbox is bounded by count and bytes; other keys and unkept sends are unaffected", async () => {
  const storage = new MemoryStorage();
  storage.setItem("outbox:bob", JSON.stringify([{ id: "x", kind: "chat.dm", params: "", event: "send", data: "" }]));
  const { client, ws } = await open({ persistOutbox: { key: "outbox:alice", storage, maxEntries: 2, maxBytes: 600 } });
  const room = await joinDM(client, ws);
  ws.drop(1006);
  const keep = [room.send("send", { text: "1" }), room.send("send", { text: "2" })];
  keep.forEach((p) => p.catch(() => {}));
  await assert.rejects(room.send("send", { text: "3" }), (err) => isParlorError(err, "limit_exceeded"));
  const unkept = room.send("typing", {}, { persist: false });
  unkept.catch(() => {});
  assert.equal(storage.entries("outbox:alice").length, 2);
  assert.equal(storage.entries("outbox:bob").length, 1, "another user's outbox is untouched");
  client.close();

  const c2 = connect("ws://example.test/ws", { WebSocket: FakeWS, persistOutbox: { key: "big", storage, maxBytes: 600 } });
  const ws2 = FakeWS.last();
  await tick();
  await handshake(FakeWS.last());
  const r2 = await joinDM(c2, FakeWS.last());
  void ws2;
  await assert.rejects(r2.send("send", { text: "x".repeat(600) }), (err) => isParlorError(err, "limit_exceeded"));
  assert.equal(storage.getItem("big"), null);
  const small = r2.send("send", { text: "small" });
  small.catch(() => {});
  assert.equal(storage.entries("big").length, 1, "a send that fits is still kept");
  c2.close();
});

test("a kept send whose room is refused is given up and reported", async () => {
  const storage = new MemoryStorage();
  storage.setItem(
    "k",
    JSON.stringify([{ id: "c_1", kind: "chat.dm", params: Buffer.from(encodeData({ with: "eve" })).toString("base64"), event: "send", data: Buffer.from(encodeData({ text: "hi" })).toString("base64") }]),
  );
  const { client, ws, events } = await open({ persistOutbox: { key: "k", storage } });
  const [j] = ws.take();
  ws.receive(reply(j, null, "forbidden"));
  await tick();
  assert.equal(storage.getItem("k"), null);
  const [[, res]] = events.filter(([n]) => n === "outbox");
  assert.equal(res.clientMsgId, "c_1");
  assert.ok(isParlorError(res.error, "forbidden"));
  client.close();
});

test("a corrupt outbox in storage is ignored", async () => {
  const storage = new MemoryStorage();
  storage.setItem("k", "{not json");
  const { client, ws } = await open({ persistOutbox: { key: "k", storage } });
  assert.deepEqual(ws.take(), []);
  client.close();
});

test("two tabs sharing the outbox's key keep each other's sends", async () => {
  const storage = new MemoryStorage();
  const persistOutbox = { key: "outbox:alice", storage };
  const a = await open({ persistOutbox });
  const b = await open({ persistOutbox }); // the second tab, opened while nothing is kept
  const roomA = await joinDM(a.client, a.ws);
  const roomB = await joinDM(b.client, b.ws);
  const toA = roomA.send("send", { text: "from tab a" });
  const toB = roomB.send("send", { text: "from tab b" });
  toA.catch(() => {});
  toB.catch(() => {});
  await tick();
  assert.deepEqual(storage.entries("outbox:alice").map((e) => decodeData(fromB64(e.data)).text), ["from tab a", "from tab b"]);
  // Tab a's send is answered: only its entry goes.
  const [fa] = a.ws.take();
  a.ws.receive(reply(fa, { seq: 1 }));
  await toA;
  assert.deepEqual(storage.entries("outbox:alice").map((e) => decodeData(fromB64(e.data)).text), ["from tab b"]);
  a.client.close();
  b.client.close();
});

function fromB64(s) {
  return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
}
