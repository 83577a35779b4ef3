// Client tests against a fake WebSocket and a fake clock: the handshake,
// requests and replies, timeouts, error mapping, event routing, reconnect
// with backoff, resume (token, epoch and since, replay, resent sends), and
// cleanup on close.

import assert from "node:assert/strict";
import { afterEach, beforeEach, test } from "node:test";
import { connect, encodeData, isParlorError, ParlorError, VERSION } from "../build/parlor.js";
import { FakeClock, FakeWS, tick } from "./helpers.mjs";

let clock;
let realRandom;

beforeEach(() => {
  FakeWS.reset();
  clock = new FakeClock().install();
  realRandom = Math.random;
  Math.random = () => 0.5; // full jitter: delays are half the nominal value
});

afterEach(() => {
  clock.uninstall();
  Math.random = realRandom;
});

const enc = (v) => encodeData(v);

/** Connects a client and completes the handshake. */
async function open(opts = {}, session = "s1") {
  const events = [];
  const client = connect("ws://example.test/ws", { WebSocket: FakeWS, ...opts });
  client.on("state", (state, info) => events.push([state, info]));
  client.on("error", (err) => events.push(["error", err]));
  await tick();
  const ws = FakeWS.last();
  await handshake(ws, session);
  return { client, ws, events };
}

/**
 * Plays the server's side of the handshake on ws: the connected frame
 * carries the resume token "tok-<session>". Returns the client's connect.
 */
async function handshake(ws, session = "s1", resumed = false) {
  ws.accept();
  await tick();
  const [c] = ws.take();
  assert.equal(c.type, "connect");
  ws.receive({ type: "connected", ref: c.ref, session, user: "u_alice", heartbeatMs: 25000, resumeToken: `tok-${session}`, resumed });
  await tick();
  return c;
}

/** Joins a room, playing the server's side. */
async function join(
  client,
  ws,
  { kind = "echo", params = { name: "lobby" }, room = "r1", seq = 0, snapshot = null, epoch = "ep1" } = {},
) {
  const p = client.join(kind, params);
  await tick();
  const [j] = ws.take();
  assert.equal(j.type, "join");
  assert.equal(j.epoch, "", "a first join is fresh");
  assert.equal(j.since, 0);
  ws.receive({ type: "joined", ref: j.ref, room, seq, snapshot: enc(snapshot), epoch, recovered: false });
  return p;
}

/** A joined frame answering join j. */
function joined(j, { room = "r1", seq = 0, snapshot = null, epoch = "ep1", recovered = false } = {}) {
  return { type: "joined", ref: j.ref, room, seq, snapshot: recovered ? new Uint8Array(0) : enc(snapshot), epoch, recovered };
}

/** An ordered (seq > 0) or ephemeral (seq 0) event frame. */
function ev(room, seq, event, data) {
  return { type: "event", room, seq, event, data: enc(data) };
}

/** A successful reply to request frame f. */
function ok(f, data) {
  return { type: "reply", ref: f.ref, code: "", message: "", data: enc(data) };
}

const states = (events) => events.filter(([s]) => s !== "error").map(([s]) => s);

test("connects: token in the URL, subprotocol, binary frames, connect first", async () => {
  const { client, ws, events } = await open({ token: "t 1&2" });
  const url = new URL(ws.url);
  assert.equal(url.protocol, "ws:");
  assert.equal(url.searchParams.get("token"), "t 1&2");
  assert.equal(ws.protocols, "parlor.v1");
  assert.equal(ws.binaryType, "arraybuffer");
  assert.equal(ws.frames()[0].client, `parlor-js/${VERSION}`);
  assert.deepEqual(states(events), ["connecting", "open"]);
  assert.deepEqual(events[0][1], { attempt: 0 });
  assert.deepEqual(events[1][1], { session: "s1", user: "u_alice", heartbeatMs: 25000, reconnected: false, resumed: false });
  assert.equal(ws.frames()[0].resumeToken, "", "a new session presents no token");
  assert.equal(client.state, "open");
  assert.equal(client.session, "s1");
  assert.equal(client.user, "u_alice");
  assert.equal(client.heartbeatMs, 25000);
  client.close();
});

test("URLs: http becomes ws, the query is kept, a token function runs per attempt", async () => {
  let n = 0;
  const client = connect("https://example.test/ws?room=1#x", {
    WebSocket: FakeWS,
    token: async () => `tok${++n}`,
  });
  await tick();
  let url = new URL(FakeWS.last().url);
  assert.equal(url.protocol, "wss:");
  assert.equal(url.searchParams.get("room"), "1");
  assert.equal(url.searchParams.get("token"), "tok1");
  assert.equal(url.hash, "");
  FakeWS.last().drop();
  await clock.advance(375);
  assert.equal(FakeWS.instances.length, 2);
  url = new URL(FakeWS.last().url);
  assert.equal(url.searchParams.get("token"), "tok2");
  client.close();

  assert.throws(() => connect("ftp://example.test/", { WebSocket: FakeWS }), TypeError);
  assert.throws(() => connect("not a url", { WebSocket: FakeWS }), TypeError);
});

test("no WebSocket implementation is a clear error", () => {
  const saved = globalThis.WebSocket;
  globalThis.WebSocket = undefined;
  try {
    assert.throws(() => connect("ws://example.test/"), /WebSocket/);
  } finally {
    globalThis.WebSocket = saved;
  }
});

test("a failing token function is reported and retried", async () => {
  let fail = true;
  const errors = [];
  const client = connect("ws://example.test/ws", {
    WebSocket: FakeWS,
    token: () => {
      if (fail) throw new Error("no session");
      return "ok";
    },
  });
  client.on("error", (err) => errors.push(err));
  await tick();
  assert.equal(FakeWS.instances.length, 0);
  assert.equal(client.state, "reconnecting");
  assert.equal(errors[0].code, "unauthorized");
  fail = false;
  await clock.advance(1000);
  assert.equal(FakeWS.instances.length, 1);
  client.close();
});

test("join, send and reply; payloads are msgpack both ways", async () => {
  const { client, ws } = await open();
  const room = await join(client, ws, { params: { name: "lobby" }, room: "r1", seq: 4, snapshot: { members: ["u_alice"] } });
  assert.equal(room.id, "r1");
  assert.equal(room.kind, "echo");
  assert.equal(room.seq, 4);
  assert.equal(room.state, "joined");
  assert.deepEqual(room.snapshot, { members: ["u_alice"] });
  assert.deepEqual(ws.frames()[1].params, enc({ name: "lobby" }));

  const reply = room.send("say", { text: "hi" }, { clientMsgId: "c-1" });
  await tick();
  const [s] = ws.take();
  assert.deepEqual(s, { type: "send", ref: s.ref, room: "r1", event: "say", data: enc({ text: "hi" }), clientMsgId: "c-1" });
  ws.receive({ type: "reply", ref: s.ref, code: "", message: "", data: enc({ seq: 5 }) });
  assert.deepEqual(await reply, { seq: 5 });

  const none = room.send("ping");
  await tick();
  const [p] = ws.take();
  assert.equal(p.data.length, 1, "no data is nil");
  ws.receive({ type: "reply", ref: p.ref, code: "", message: "", data: enc(null) });
  assert.equal(await none, null);
  client.close();
});

test("server refusals reject with a ParlorError carrying the code", async () => {
  const { client, ws } = await open();
  const room = await join(client, ws);

  const a = room.send("move", { at: 4 });
  const b = room.send("move", { at: 5 });
  await tick();
  const [fa, fb] = ws.take();
  ws.receive(
    { type: "reply", ref: fa.ref, code: "forbidden", message: "not a member of this room", data: new Uint8Array(0) },
    { type: "reply", ref: fb.ref, code: "not_your_turn", message: "", data: new Uint8Array(0) },
  );
  await assert.rejects(a, (err) => {
    assert.ok(err instanceof ParlorError);
    assert.ok(isParlorError(err, "forbidden"));
    assert.equal(err.code, "forbidden");
    assert.equal(err.message, "not a member of this room");
    assert.equal(String(err), "ParlorError [forbidden]: not a member of this room");
    return true;
  });
  await assert.rejects(b, (err) => err.code === "not_your_turn" && err.message === "not_your_turn");

  const j = client.join("chess", { game: "g1" });
  await tick();
  const [fj] = ws.take();
  ws.receive({ type: "reply", ref: fj.ref, code: "not_found", message: "unknown room kind", data: new Uint8Array(0) });
  await assert.rejects(j, (err) => err.code === "not_found");
  client.close();
});

test("bad requests fail at once, without reaching the server", async () => {
  const { client, ws } = await open({ maxMessageSize: 1024 });
  const room = await join(client, ws);
  ws.take();
  await assert.rejects(room.send(""), (err) => err.code === "bad_request");
  await assert.rejects(room.send("e".repeat(65)), (err) => err.code === "too_large");
  await assert.rejects(room.send("say", { when: new Date() }), (err) => err.code === "bad_request");
  await assert.rejects(room.send("say", "x".repeat(2000)), (err) => err.code === "too_large");
  await assert.rejects(client.join("k".repeat(65)), (err) => err.code === "too_large");
  await tick();
  assert.deepEqual(ws.take(), []);
  assert.equal(clock.pending(), 0, "no timers for requests that never started");
  client.close();
});

test("requests time out; a late reply is ignored", async () => {
  const { client, ws } = await open({ requestTimeout: 5000 });
  const room = await join(client, ws);
  const p = room.send("say", 1);
  const q = room.send("say", 2, { timeout: 100 });
  await tick();
  const [fp] = ws.take();
  const qDone = assert.rejects(q, (err) => err.code === "timeout");
  const pDone = assert.rejects(p, (err) => err.code === "timeout" && /5000 ms/.test(err.message));
  await clock.advance(100);
  await qDone;
  await clock.advance(4899);
  assert.equal(clock.pending(), 1);
  await clock.advance(1);
  await pDone;
  ws.receive({ type: "reply", ref: fp.ref, code: "", message: "", data: enc(1) });
  await tick();
  assert.equal(clock.pending(), 0);
  assert.equal(client.state, "open");
  client.close();
});

test("a join that timed out is left when its late answer comes", async () => {
  const { client, ws } = await open();
  const p = client.join("echo", { name: "slow" });
  await tick();
  const [j] = ws.take();
  const done = assert.rejects(p, (err) => err.code === "timeout");
  await clock.advance(10_000);
  await done;
  ws.receive({ type: "joined", ref: j.ref, room: "r-slow", seq: 0, snapshot: enc(null) });
  await tick();
  const [l] = ws.take();
  assert.equal(l.type, "leave");
  assert.equal(l.room, "r-slow");
  client.close();
});

test("a join that timed out is not left while a retry of it waits for its answer", async () => {
  const { client, ws } = await open();
  const p = client.join("echo", { name: "slow" });
  await tick();
  const [j] = ws.take();
  const done = assert.rejects(p, (err) => err.code === "timeout");
  await clock.advance(10_000);
  await done;
  const retry = client.join("echo", { name: "slow" });
  await tick();
  const [j2] = ws.take();
  assert.equal(j2.type, "join");
  ws.receive({ type: "joined", ref: j.ref, room: "r-slow", seq: 0, snapshot: enc(null) });
  await tick();
  assert.deepEqual(ws.take(), [], "no leave while the retry waits");
  ws.receive({ type: "joined", ref: j2.ref, room: "r-slow", seq: 0, snapshot: enc(null) });
  const room = await retry;
  assert.equal(room.id, "r-slow");
  await tick();
  assert.deepEqual(ws.take(), [], "the retried room is kept");
  client.close();
});

test("requests made before the connection opens wait for it", async () => {
  const client = connect("ws://example.test/ws", { WebSocket: FakeWS });
  const p = client.join("echo", { name: "early" });
  await tick();
  const ws = FakeWS.last();
  ws.accept();
  await tick();
  assert.deepEqual(ws.take().map((f) => f.type), ["connect"], "nothing before connect");
  ws.receive({ type: "connected", ref: 1, session: "s", user: "u", heartbeatMs: 1 });
  await tick();
  const [j] = ws.take();
  assert.equal(j.type, "join");
  ws.receive({ type: "joined", ref: j.ref, room: "r", seq: 0, snapshot: enc(null) });
  assert.equal((await p).id, "r");
  client.close();
});

test("frames sent in one task go out as one message, at most 64 frames each", async () => {
  const { client, ws } = await open();
  const room = await join(client, ws);
  await tick();
  ws.take();
  const before = ws.messages.length;
  for (let i = 0; i < 70; i++) room.send("say", i).catch(() => {});
  await tick();
  assert.deepEqual(
    ws.messages.slice(before).map((m) => m.length > 0),
    [true, true],
  );
  const sends = ws.take();
  assert.equal(sends.length, 70);
  assert.deepEqual(sends.map((f) => f.data[0]), [...Array(70).keys()], "in order");
  client.close();
});

test("events batched with the join's answer reach listeners added after await", async () => {
  const { client, ws } = await open();
  const p = client.join("echo", { name: "lobby" });
  await tick();
  const [j] = ws.take();
  ws.receive(
    { type: "joined", ref: j.ref, room: "r1", seq: 2, snapshot: enc({ n: 2 }) },
    { type: "event", room: "r1", seq: 2, event: "said", data: enc("in snapshot") },
    { type: "event", room: "r1", seq: 3, event: "said", data: enc("a") },
    { type: "event", room: "r1", seq: 0, event: "typing", data: enc(null) },
    { type: "event", room: "r1", seq: 4, event: "said", data: enc("b") },
  );
  const room = await p;
  const got = [];
  room.on("said", (d, meta) => got.push([d, meta.seq]));
  room.on("typing", (_d, meta) => got.push(["typing", meta.seq]));
  assert.deepEqual(got, [], "delivered after the caller's listeners are all added");
  await tick();
  assert.deepEqual(got, [
    ["a", 3],
    ["typing", 0],
    ["b", 4],
  ]);
  ws.receive({ type: "event", room: "r1", seq: 5, event: "said", data: enc("c") });
  assert.deepEqual(got.at(-1), ["c", 5], "then directly");
  client.close();
});

test("events: routed per room, duplicates dropped, ephemeral always delivered, gaps noticed", async () => {
  const { client, ws } = await open();
  const r1 = await join(client, ws, { room: "r1", seq: 10 });
  const r2 = await join(client, ws, { room: "r2", params: { name: "other" }, seq: 0 });
  const got = [];
  r1.on("said", (data, meta) => got.push(["r1", data, meta.seq]));
  r2.on("said", (data, meta) => got.push(["r2", data, meta.seq]));
  const all = [];
  const offAll = r1.on("*", (event, data, meta) => all.push([event, meta.seq]));
  const gaps = [];
  r1.on("$gap", (info) => gaps.push(info));
  const ev = (room, seq, event, data) => ({ type: "event", room, seq, event, data: enc(data) });
  await tick();

  ws.receive(
    ev("r1", 9, "said", "old"), // in the snapshot
    ev("r1", 10, "said", "old"), // in the snapshot
    ev("r1", 11, "said", "a"),
    ev("r2", 1, "said", "b"),
    ev("r1", 11, "said", "dup"),
    ev("r1", 0, "typing", { u: "bob" }),
    ev("r1", 0, "typing", { u: "bob" }),
    ev("r1", 14, "said", "c"),
    ev("nope", 1, "said", "ignored"),
  );
  assert.deepEqual(got, [
    ["r1", "a", 11],
    ["r2", "b", 1],
    ["r1", "c", 14],
  ]);
  assert.deepEqual(all, [
    ["said", 11],
    ["typing", 0],
    ["typing", 0],
    ["said", 14],
  ]);
  assert.deepEqual(gaps, [{ expected: 12, seq: 14 }]);
  assert.equal(r1.seq, 14);
  assert.equal(r2.seq, 1);

  offAll();
  ws.receive(ev("r1", 15, "said", "d"));
  assert.equal(all.length, 4, "unsubscribed");
  client.close();
});

test("module events named like notices do not reach notice listeners", async () => {
  const { client, ws } = await open();
  const room = await join(client, ws);
  const notices = [];
  const all = [];
  room.on("$left", (i) => notices.push(i));
  room.on("*", (event) => all.push(event));
  await tick();
  ws.receive({ type: "event", room: "r1", seq: 1, event: "$left", data: enc(null) });
  assert.deepEqual(notices, []);
  assert.deepEqual(all, ["$left"]);
  client.close();
});

test("a malformed payload is reported and the event dropped", async () => {
  const { client, ws, events } = await open();
  const room = await join(client, ws);
  const got = [];
  room.on("said", (d) => got.push(d));
  await tick();
  ws.receive({ type: "event", room: "r1", seq: 1, event: "said", data: new Uint8Array([0xd6, 0xff, 0, 0, 0, 0]) });
  ws.receive({ type: "event", room: "r1", seq: 2, event: "said", data: enc("ok") });
  assert.deepEqual(got, ["ok"]);
  const errs = events.filter(([s]) => s === "error");
  assert.equal(errs.length, 1);
  assert.equal(errs[0][1].code, "bad_request");
  client.close();
});

test("a second join of the same room shares it; the server hears the last leave", async () => {
  const { client, ws } = await open();
  const a = await join(client, ws, { room: "r1", seq: 3 });
  const b = await join(client, ws, { room: "r1", seq: 3 });
  assert.notEqual(a, b);
  const got = [];
  a.on("said", (d) => got.push(["a", d]));
  b.on("said", (d) => got.push(["b", d]));
  await tick();
  ws.receive({ type: "event", room: "r1", seq: 4, event: "said", data: enc(1) });
  assert.deepEqual(got, [
    ["a", 1],
    ["b", 1],
  ]);

  await a.leave();
  assert.equal(a.state, "left");
  assert.equal(b.state, "joined");
  await tick();
  assert.deepEqual(ws.take(), [], "no leave while b holds the room");
  ws.receive({ type: "event", room: "r1", seq: 5, event: "said", data: enc(2) });
  assert.deepEqual(got.at(-1), ["b", 2]);
  await assert.rejects(a.send("say", 1), (err) => err.code === "forbidden");

  const done = b.leave();
  await tick();
  const [l] = ws.take();
  assert.deepEqual(l, { type: "leave", ref: l.ref, room: "r1" });
  ws.receive({ type: "reply", ref: l.ref, code: "", message: "", data: enc(null) });
  await done;
  assert.equal(b.state, "left");
  assert.equal(client._debug().rooms, 0);
  assert.equal(client._debug().roomListeners, 0);
  await b.leave(); // twice is fine
  client.close();
});

test("left from the server: the room is gone and its listeners removed", async () => {
  const { client, ws } = await open();
  const room = await join(client, ws);
  const seen = [];
  room.on("$left", (info) => seen.push(info));
  room.on("said", () => seen.push("event after left"));
  await tick();
  ws.receive({ type: "left", room: "r1", reason: "kicked" });
  ws.receive({ type: "event", room: "r1", seq: 1, event: "said", data: enc(1) });
  assert.deepEqual(seen, [{ reason: "kicked" }]);
  assert.equal(room.state, "left");
  assert.equal(client._debug().roomListeners, 0);
  await assert.rejects(room.send("say"), (err) => err.code === "forbidden");
  await tick();
  assert.deepEqual(ws.take(), []);
  client.close();
});

test("reconnect without recovery: backoff, rejoin from epoch and since, $rejoined resets, sends follow", async () => {
  const { client, ws, events } = await open({}, "s1");
  const room = await join(client, ws, { params: { name: "lobby" }, room: "r1", seq: 7, snapshot: { n: 7 }, epoch: "ep1" });
  assert.equal(room.epoch, "ep1");
  const notices = [];
  room.on("$rejoined", (info) => notices.push(["$rejoined", info]));
  room.on("$resumed", (info) => notices.push(["$resumed", info]));
  const got = [];
  room.on("said", (d, meta) => got.push([d, meta.seq]));
  await tick();
  ws.receive(ev("r1", 8, "said", "eight"));

  const inflight = room.send("say", "lost?");
  await tick();
  const [lost] = ws.take();
  assert.equal(lost.type, "send");
  ws.drop(1006);
  assert.equal(client.state, "reconnecting");
  assert.equal(room.state, "rejoining");
  assert.deepEqual(events.at(-1), ["reconnecting", { attempt: 1, delay: 125, code: 1006, reason: "connection failed" }]);
  assert.ok(ws.detached);

  // A send while rejoining waits for the rejoin, behind the unanswered one.
  const waiting = room.send("say", "after");

  await clock.advance(124);
  assert.equal(FakeWS.instances.length, 1);
  await clock.advance(1);
  assert.equal(FakeWS.instances.length, 2);
  const ws2 = FakeWS.last();
  const c2 = await handshake(ws2, "s2");
  assert.equal(c2.resumeToken, "tok-s1", "the previous connection's token");
  assert.deepEqual(events.at(-1), ["open", { session: "s2", user: "u_alice", heartbeatMs: 25000, reconnected: true, resumed: false }]);
  const sent = ws2.take();
  assert.equal(sent.length, 1, "only the rejoin before its answer: sends wait for it");
  const [rj] = sent;
  assert.deepEqual(rj, { type: "join", ref: rj.ref, kind: "echo", params: enc({ name: "lobby" }), epoch: "ep1", since: 8 });

  // The server cannot replay: a fresh snapshot in a new epoch.
  ws2.receive(joined(rj, { room: "r1", seq: 3, snapshot: { n: 3 }, epoch: "ep2" }));
  await tick();
  assert.deepEqual(notices, [["$rejoined", { room: "r1", previousRoom: "r1", seq: 3, previousSeq: 8, snapshot: { n: 3 }, epoch: "ep2" }]]);
  assert.deepEqual(room.snapshot, { n: 3 });
  assert.equal(room.state, "joined");
  assert.equal(room.seq, 3);
  assert.equal(room.epoch, "ep2");

  const [s1, s2] = ws2.take();
  assert.equal(s1.type, "send");
  assert.equal(s1.clientMsgId, lost.clientMsgId, "the unanswered send again, same client_msg_id");
  assert.notEqual(s1.ref, lost.ref);
  assert.deepEqual(s1.data, enc("lost?"));
  assert.equal(s2.type, "send");
  assert.deepEqual(s2.data, enc("after"));
  ws2.receive(ok(s1, "first"), ok(s2, "ok"));
  assert.equal(await inflight, "first");
  assert.equal(await waiting, "ok");

  ws2.receive(ev("r1", 3, "said", "in snapshot"));
  ws2.receive(ev("r1", 4, "said", "new"));
  assert.deepEqual(got, [
    ["eight", 8],
    ["new", 4],
  ]);
  assert.deepEqual(states(events), ["connecting", "open", "reconnecting", "connecting", "open"]);

  // The next rejoin starts from the new epoch.
  ws2.drop(1006);
  await clock.advance(1000);
  const ws3 = FakeWS.last();
  const c3 = await handshake(ws3, "s3");
  assert.equal(c3.resumeToken, "tok-s2", "the latest token");
  const [rj3] = ws3.take();
  assert.equal(rj3.epoch, "ep2");
  assert.equal(rj3.since, 4);
  client.close();
});

test("resume: the token is presented, recovered rooms keep their state and replay continues", async () => {
  const { client, ws, events } = await open({}, "s1");
  const room = await join(client, ws, { room: "r1", seq: 5, snapshot: { n: 5 }, epoch: "ep1" });
  const notices = [];
  room.on("$rejoined", (info) => notices.push(["$rejoined", info]));
  room.on("$resumed", (info) => notices.push(["$resumed", info]));
  const got = [];
  room.on("said", (d, meta) => got.push([d, meta.seq]));
  await tick();
  ws.receive(ev("r1", 6, "said", 6), ev("r1", 7, "said", 7));

  ws.drop(4000, "heartbeat timeout");
  // A connection that fails before its handshake keeps the token for the next.
  await clock.advance(1000);
  FakeWS.last().drop(1006);
  await clock.advance(1000);
  const ws3 = FakeWS.last();
  assert.equal(FakeWS.instances.length, 3);
  const c = await handshake(ws3, "s1", true);
  assert.equal(c.resumeToken, "tok-s1");
  assert.equal(events.at(-1)[1].resumed, true);
  const [rj] = ws3.take();
  assert.equal(rj.epoch, "ep1");
  assert.equal(rj.since, 7);

  // The missed events follow the joined in seq order, with duplicates and
  // an ephemeral event among them, then live ones.
  ws3.receive(
    joined(rj, { room: "r1", seq: 7, epoch: "ep1", recovered: true }),
    ev("r1", 6, "said", "dup 6"),
    ev("r1", 7, "said", "dup 7"),
    ev("r1", 8, "said", 8),
    ev("r1", 0, "said", "typing"),
    ev("r1", 9, "said", 9),
  );
  ws3.receive(ev("r1", 9, "said", "dup 9"), ev("r1", 10, "said", 10));
  await tick();
  assert.deepEqual(notices, [["$resumed", { room: "r1", previousRoom: "r1", seq: 7, epoch: "ep1" }]], "no reset");
  assert.deepEqual(got, [
    [6, 6],
    [7, 7],
    [8, 8],
    ["typing", 0],
    [9, 9],
    [10, 10],
  ]);
  assert.deepEqual(room.snapshot, { n: 5 }, "the snapshot is kept");
  assert.equal(room.seq, 10);
  assert.equal(room.epoch, "ep1");
  assert.equal(room.state, "joined");
  client.close();
});

test("resume: a recovery in another epoch than asked is refused and the room left", async () => {
  const { client, ws } = await open();
  const room = await join(client, ws, { room: "r1", seq: 2, epoch: "ep1" });
  const left = [];
  room.on("$left", (i) => left.push(i));
  ws.drop();
  await clock.advance(1000);
  const ws2 = FakeWS.last();
  await handshake(ws2, "s2");
  const [rj] = ws2.take();
  ws2.receive(joined(rj, { room: "r1", seq: 2, epoch: "other", recovered: true }));
  await tick();
  assert.equal(room.state, "left");
  assert.equal(left[0]?.reason, "rejoin_failed");
  const [l] = ws2.take();
  assert.deepEqual(l, { type: "leave", ref: l.ref, room: "r1" }, "the server is told");
  client.close();
});

test("every send carries a client_msg_id: the caller's, or a generated one", async () => {
  const { client, ws } = await open();
  const room = await join(client, ws);
  room.send("say", 1).catch(() => {});
  room.send("say", 2, { clientMsgId: "" }).catch(() => {});
  room.send("say", 3, { clientMsgId: "mine-1" }).catch(() => {});
  await tick();
  const [a, b, c] = ws.take();
  assert.match(a.clientMsgId, /^c_[0-9a-f]{32}$/);
  assert.match(b.clientMsgId, /^c_[0-9a-f]{32}$/);
  assert.notEqual(a.clientMsgId, b.clientMsgId);
  // Generated ids share the client's prefix and increase.
  assert.equal(a.clientMsgId.slice(0, 18), b.clientMsgId.slice(0, 18));
  assert.ok(a.clientMsgId < b.clientMsgId);
  assert.equal(c.clientMsgId, "mine-1");
  // Another client draws another prefix.
  const other = await open();
  const otherRoom = await join(other.client, other.ws);
  otherRoom.send("say", 4).catch(() => {});
  await tick();
  const [d] = other.ws.take();
  assert.match(d.clientMsgId, /^c_[0-9a-f]{32}$/);
  assert.notEqual(d.clientMsgId.slice(0, 18), a.clientMsgId.slice(0, 18));
  other.client.close();
  client.close();
});

test("unanswered sends are resent once after the rejoin, in order, and resolve once", async () => {
  const { client, ws } = await open();
  const room = await join(client, ws, { room: "r1", seq: 1, epoch: "ep1" });
  const settled = [];
  const track = (name, p) =>
    p.then(
      (v) => settled.push([name, "ok", v]),
      (err) => settled.push([name, "err", err.code]),
    );
  const a = track("a", room.send("say", "a", { clientMsgId: "id-a" }));
  const b = track("b", room.send("say", "b"));
  const c = track("c", room.send("say", "c"));
  await tick();
  const [fa, fb, fc] = ws.take();
  ws.receive(ok(fb, "b done")); // b was answered before the loss
  await tick();
  ws.drop(1001, "going away");
  await tick();
  assert.deepEqual(settled, [["b", "ok", "b done"]], "a and c neither resolve nor reject on the loss");

  // Lost again during the next handshake: still kept.
  await clock.advance(1000);
  FakeWS.last().accept();
  await tick();
  FakeWS.last().drop(1006);
  await clock.advance(1000);
  const ws3 = FakeWS.last();
  await handshake(ws3, "s3", true);
  const [rj] = ws3.take();
  assert.deepEqual(ws3.take(), [], "nothing before the rejoin's answer");
  ws3.receive(joined(rj, { room: "r1", seq: 1, epoch: "ep1", recovered: true }));
  await tick();
  const resent = ws3.take();
  assert.deepEqual(
    resent.map((f) => [f.type, f.clientMsgId, f.data]),
    [
      ["send", "id-a", enc("a")],
      ["send", fc.clientMsgId, enc("c")],
    ],
    "in the original order, with the original ids, b not again",
  );
  assert.equal(fa.clientMsgId, "id-a");
  // The room answers the resends with the first replies; a duplicate reply is ignored.
  ws3.receive(ok(resent[0], "a first"), ok(resent[1], "c first"), ok(resent[1], "c again"));
  await Promise.all([a, b, c]);
  assert.deepEqual(settled, [
    ["b", "ok", "b done"],
    ["a", "ok", "a first"],
    ["c", "ok", "c first"],
  ]);
  await tick();
  assert.deepEqual(ws3.take(), []);
  assert.equal(clock.pending(), 0, "no timers left for the settled sends");
  client.close();
});

test("a resent send keeps its timeout", async () => {
  const { client, ws } = await open();
  const room = await join(client, ws);
  const p = room.send("say", 1, { timeout: 3000 });
  await tick();
  ws.take();
  const done = assert.rejects(p, (err) => err.code === "timeout" && /3000 ms/.test(err.message));
  ws.drop();
  await clock.advance(1000);
  const ws2 = FakeWS.last();
  await handshake(ws2);
  const [rj] = ws2.take();
  await clock.advance(2000); // the rejoin is slow: the send's time is up
  await done;
  ws2.receive(joined(rj, { seq: 0, recovered: true }));
  await tick();
  assert.deepEqual(ws2.take(), [], "a send that timed out is not resent");
  client.close();
});

test("backoff grows exponentially with full jitter, is capped, and gives up after maxAttempts", async () => {
  const client = connect("ws://example.test/ws", {
    WebSocket: FakeWS,
    reconnect: { initialDelay: 100, maxDelay: 1000, factor: 2, maxAttempts: 6 },
  });
  const delays = [];
  let closed;
  client.on("reconnecting", (i) => delays.push(i.delay));
  client.on("closed", (i) => (closed = i));
  await tick();
  for (let i = 0; i < 7; i++) {
    FakeWS.last().drop(1011, "gone");
    await clock.advance(delays.at(-1)); // the next attempt opens its socket, within its dialTimeout
  }
  assert.deepEqual(delays, [50, 100, 200, 400, 500, 500]);
  assert.equal(FakeWS.instances.length, 7);
  assert.equal(client.state, "closed");
  assert.equal(closed.code, 1011);
  assert.equal(closed.reason, "gone");
  assert.equal(closed.error.code, "closed");
  assert.match(closed.error.message, /gave up after 6 attempts/);
  assert.equal(clock.pending(), 0);

  // The defaults: 250 ms doubling up to 10 s; full jitter goes down to 0.
  Math.random = () => 0.999;
  const c2 = connect("ws://example.test/ws", { WebSocket: FakeWS });
  const d2 = [];
  c2.on("reconnecting", (i) => d2.push(i.delay));
  await tick();
  for (let i = 0; i < 8; i++) {
    FakeWS.last().drop();
    await clock.advance(d2.at(-1));
  }
  assert.deepEqual(d2, [249, 499, 999, 1998, 3996, 7992, 9990, 9990]);
  Math.random = () => 0;
  FakeWS.last().drop();
  assert.equal(d2.at(-1), 0, "full jitter: from 0 up to the delay");
  c2.close();
});

test("the attempt count resets once a connection stayed open for maxDelay", async () => {
  const { client, ws } = await open({ reconnect: { initialDelay: 100, maxDelay: 10_000 } });
  const delays = [];
  client.on("reconnecting", (i) => delays.push(i.delay));
  ws.drop();
  await clock.advance(50);
  FakeWS.last().drop();
  await clock.advance(100);
  await handshake(FakeWS.last());
  FakeWS.last().drop(); // open for no time: the backoff goes on
  await clock.advance(200);
  await handshake(FakeWS.last());
  await clock.advance(10_000);
  FakeWS.last().drop(); // open for maxDelay: it starts over
  assert.deepEqual(delays, [50, 100, 200, 50]);
  client.close();
});

test("sends written on a connection the server closed with 1009 fail too_large, and are not resent", async () => {
  const { client, ws } = await open();
  const room = await join(client, ws, { room: "r1", seq: 1, epoch: "ep1" });
  const big = room.send("say", "x".repeat(1000));
  await tick();
  ws.take();
  ws.drop(1009, "message too big");
  await assert.rejects(big, (err) => err.code === "too_large" && /close 1009/.test(err.message));
  await clock.advance(1000);
  const ws2 = FakeWS.last();
  await handshake(ws2, "s2", true);
  const [rj] = ws2.take();
  ws2.receive(joined(rj, { room: "r1", seq: 1, epoch: "ep1", recovered: true }));
  await tick();
  assert.deepEqual(ws2.take(), [], "the send is not written again");
  client.close();
});

test("a send written on three lost connections fails", async () => {
  const { client, ws } = await open({ reconnect: { initialDelay: 100 } });
  const room = await join(client, ws, { room: "r1", seq: 1, epoch: "ep1" });
  let settled;
  const p = room.send("say", 1, { timeout: 600_000 }).then(
    () => (settled = "ok"),
    (err) => (settled = err),
  );
  let conn = ws;
  for (let i = 1; i <= 3; i++) {
    await tick();
    assert.equal(conn.take().filter((f) => f.type === "send").length, 1, `written on connection ${i}`);
    conn.drop(1006);
    await tick();
    if (i < 3) {
      assert.equal(settled, undefined, `kept after ${i} lost connections`);
      await clock.advance(10_000);
      conn = FakeWS.last();
      await handshake(conn, `s${i + 1}`, true);
      const [rj] = conn.take();
      conn.receive(joined(rj, { room: "r1", seq: 1, epoch: "ep1", recovered: true }));
    }
  }
  await p;
  assert.equal(settled.code, "disconnected");
  assert.match(settled.message, /lost before the reply 3 times/);
  client.close();
});

for (const [code, what] of [
  [4009, /newer connection resumed this session \(close 4009\)/],
  [4010, /newer connection of the same user took this one's place \(close 4010\)/],
  [4011, /signed this user out \(close 4011\)/],
  [1008, /policy violation \(close 1008\)/],
  [1007, /malformed message \(close 1007\)/],
  [4029, /rate-limit abuse \(close 4029\)/],
]) {
  test(`no reconnect after close ${code} from the server`, async () => {
    const { client, ws, events } = await open();
    const room = await join(client, ws);
    const left = [];
    room.on("$left", (i) => left.push(i));
    const inflight = room.send("say", 1);
    await tick();
    ws.drop(code, "bye");
    assert.equal(client.state, "closed");
    assert.equal(room.state, "left");
    await assert.rejects(inflight, (err) => err.code === "disconnected", "the send may or may not have been applied");
    const errors = events.filter(([s]) => s === "error").map(([, e]) => e);
    assert.equal(errors.length, 1);
    assert.equal(errors[0].code, "closed");
    assert.match(errors[0].message, what);
    const [state, info] = events.at(-1);
    assert.equal(state, "closed");
    assert.equal(info.code, code);
    assert.equal(info.error, errors[0]);
    await assert.rejects(client.join("echo"), (err) => err.code === "closed");
    await clock.advance(60_000);
    assert.equal(FakeWS.instances.length, 1, "no new connection");
    assert.equal(clock.pending(), 0);
  });
}

test("a close code of a replaced socket of this client is ignored", async () => {
  const { client, ws } = await open();
  ws.drop(1006);
  await clock.advance(1000);
  const ws2 = FakeWS.last();
  await handshake(ws2, "s2", true);
  // The server closes the old connection with 4009 late: its handlers are gone.
  assert.equal(ws.onclose, null);
  assert.equal(client.state, "open");
  client.close();
});

test("reconnect: a rejoin may get a new room id", async () => {
  const { client, ws } = await open();
  const room = await join(client, ws, { room: "old" });
  ws.drop();
  await clock.advance(1000);
  const ws2 = FakeWS.last();
  await handshake(ws2);
  const [rj] = ws2.take();
  ws2.receive(joined(rj, { room: "new", seq: 0 }));
  await tick();
  assert.equal(room.id, "new");
  const got = [];
  room.on("said", (d) => got.push(d));
  await tick();
  ws2.receive(ev("new", 1, "said", 1));
  assert.deepEqual(got, [1]);
  client.close();
});

test("reconnect: false closes on the first loss", async () => {
  const { client, ws, events } = await open({ reconnect: false });
  const room = await join(client, ws);
  const inflight = room.send("say", 1);
  await tick();
  ws.drop(1001, "bye");
  assert.equal(client.state, "closed");
  assert.equal(room.state, "left");
  await assert.rejects(inflight, (err) => err.code === "disconnected");
  const [state, info] = events.at(-1);
  assert.equal(state, "closed");
  assert.equal(info.code, 1001);
  assert.equal(info.reason, "bye");
  assert.equal(info.error.code, "closed");
  assert.equal(clock.pending(), 0);
});

test("a refused rejoin leaves the room; waiting sends fail with the refusal", async () => {
  const { client, ws } = await open();
  const room = await join(client, ws);
  const seen = [];
  room.on("$left", (info) => seen.push(info));
  const unanswered = room.send("say", 0);
  await tick();
  ws.drop();
  const waiting = room.send("say", 1);
  await clock.advance(1000);
  const ws2 = FakeWS.last();
  await handshake(ws2);
  const [rj] = ws2.take();
  ws2.receive({ type: "reply", ref: rj.ref, code: "forbidden", message: "blocked", data: new Uint8Array(0) });
  await assert.rejects(unanswered, (err) => err.code === "forbidden" && err.message === "blocked");
  await assert.rejects(waiting, (err) => err.code === "forbidden" && err.message === "blocked");
  await tick();
  assert.deepEqual(ws2.take(), [], "nothing is resent to a room that was not joined again");
  assert.equal(seen.length, 1);
  assert.equal(seen[0].reason, "rejoin_failed");
  assert.equal(seen[0].error.code, "forbidden");
  assert.equal(room.state, "left");
  assert.equal(client._debug().rooms, 0);
  assert.equal(client._debug().roomListeners, 0);
  client.close();
});

test("a transiently refused rejoin is retried", async () => {
  const { client, ws } = await open();
  const room = await join(client, ws);
  ws.drop();
  await clock.advance(1000);
  const ws2 = FakeWS.last();
  await handshake(ws2);
  let [rj] = ws2.take();
  ws2.receive({ type: "reply", ref: rj.ref, code: "unavailable", message: "busy", data: new Uint8Array(0) });
  await tick();
  assert.equal(room.state, "rejoining");
  await clock.advance(375);
  [rj] = ws2.take();
  assert.equal(rj.type, "join");
  ws2.receive({ type: "joined", ref: rj.ref, room: "r1", seq: 0, snapshot: enc(null) });
  await tick();
  assert.equal(room.state, "joined");
  client.close();
});

test("a rejoin refused unavailable is retried past the give-up count; waiting sends fail with it", async () => {
  const { client, ws } = await open();
  const room = await join(client, ws);
  ws.drop();
  await clock.advance(1000);
  const waiting = room.send("say", 1).catch((err) => err);
  const ws2 = FakeWS.last();
  await handshake(ws2);
  for (let i = 0; i < 8; i++) {
    const [rj] = ws2.take();
    assert.equal(rj?.type, "join", `rejoin ${i + 1}`);
    ws2.receive({ type: "reply", ref: rj.ref, code: "unavailable", message: "cut off", data: new Uint8Array(0) });
    await tick();
    assert.equal(room.state, "rejoining");
    if (i === 0) assert.equal((await waiting)?.code, "unavailable");
    await clock.advance(5000); // the backoff's delay, at most 10 s x 0.5
  }
  const [rj] = ws2.take();
  ws2.receive({ type: "joined", ref: rj.ref, room: "r1", seq: 0, snapshot: enc(null) });
  await tick();
  assert.equal(room.state, "joined");
  client.close();
});

test("left for shutdown: the room is joined again after the server comes back", async () => {
  const { client, ws } = await open();
  const room = await join(client, ws);
  const left = [];
  room.on("$left", (i) => left.push(i));
  const before = room.send("say", "before");
  await tick();
  ws.take();
  ws.receive({ type: "left", room: "r1", reason: "shutdown" });
  assert.equal(room.state, "rejoining");
  const during = room.send("say", "during");
  await tick();
  assert.deepEqual(ws.take(), [], "a send waits while the room is rejoining");
  ws.drop(1001, "server shutting down");
  await clock.advance(1000);
  const ws2 = FakeWS.last();
  await handshake(ws2);
  const [rj] = ws2.take();
  assert.equal(rj.type, "join");
  ws2.receive({ type: "joined", ref: rj.ref, room: "r1", seq: 0, snapshot: enc(null) });
  await tick();
  assert.equal(room.state, "joined");
  assert.deepEqual(left, []);
  const sends = ws2.take();
  assert.deepEqual(
    sends.map((f) => f.data),
    [enc("before"), enc("during")],
    "the unanswered send first, then the one that waited",
  );
  ws2.receive(ok(sends[0], 1), ok(sends[1], 2));
  assert.deepEqual(await Promise.all([before, during]), [1, 2]);
  client.close();
});

test("left for moved: the room is joined again on the same connection, its sends resent", async () => {
  const { client, ws, events } = await open();
  const room = await join(client, ws);
  const other = await join(client, ws, { kind: "echo", params: { name: "hall" }, room: "r2", epoch: "ep2" });
  ws.receive(ev("r1", 1, "said", "a"));
  const resumed = [];
  room.on("$resumed", (i) => resumed.push(i));
  const before = room.send("say", "before");
  await tick();
  const [first] = ws.take();
  ws.receive({ type: "left", room: "r1", reason: "moved" });
  await tick();
  assert.equal(room.state, "rejoining");
  const [rj] = ws.take();
  assert.equal(rj.type, "join");
  assert.equal(rj.epoch, "ep1");
  assert.equal(rj.since, 1, "from the last seq seen");
  const during = room.send("say", "during");
  const elsewhere = other.send("say", "elsewhere");
  await tick();
  const [o] = ws.take();
  assert.equal(o.room, "r2", "the other room does not wait");
  ws.receive(ok(o, 3));
  assert.equal(await elsewhere, 3);
  // The old node's late refusal of the first writing is ignored.
  ws.receive({ type: "reply", ref: first.ref, code: "unavailable", message: "room owner unreachable", data: new Uint8Array(0) });
  ws.receive(joined(rj, { seq: 1, epoch: "ep1", recovered: true }));
  await tick();
  assert.equal(room.state, "joined");
  assert.equal(resumed.length, 1);
  const sends = ws.take();
  assert.deepEqual(
    sends.map((f) => [f.data, f.clientMsgId]),
    [
      [enc("before"), first.clientMsgId],
      [enc("during"), sends[1].clientMsgId],
    ],
    "the unanswered send again with its client_msg_id, then the one that waited",
  );
  assert.notEqual(sends[0].ref, first.ref);
  ws.receive(ok(sends[0], 1), ok(sends[1], 2));
  assert.deepEqual(await Promise.all([before, during]), [1, 2]);
  assert.equal(FakeWS.instances.length, 1, "no new connection");
  assert.ok(!events.some(([state]) => state === "reconnecting"));
  client.close();
});

test("left for moved after left for shutdown: one rejoin at once", async () => {
  const { client, ws } = await open();
  const room = await join(client, ws);
  ws.receive({ type: "left", room: "r1", reason: "shutdown" }, { type: "left", room: "r1", reason: "moved" });
  await tick();
  const frames = ws.take();
  assert.deepEqual(
    frames.map((f) => f.type),
    ["join"],
  );
  ws.receive({ type: "left", room: "r1", reason: "moved" }); // a second notice while the rejoin is on its way
  await tick();
  assert.deepEqual(ws.take(), [], "no second rejoin");
  ws.receive(joined(frames[0], { recovered: true }));
  await tick();
  assert.equal(room.state, "joined");
  client.close();
});

test("left for moved while the room is being left: its written sends fail at once", async () => {
  const { client, ws } = await open();
  const room = await join(client, ws);
  const sent = room.send("say", "before");
  await tick();
  const [s] = ws.take();
  assert.equal(s.type, "send");
  const leaving = room.leave();
  await tick();
  const [l] = ws.take();
  assert.equal(l.type, "leave");
  // The server moved the room before it got the leave: it leaves the send
  // to a resend after a rejoin, which a room being left does not make.
  ws.receive({ type: "left", room: "r1", reason: "moved" });
  await assert.rejects(sent, (err) => err.code === "unavailable" && /moved while it was being left/.test(err.message));
  ws.receive({ type: "reply", ref: l.ref, code: "forbidden", message: "not joined", data: new Uint8Array(0) });
  await leaving;
  await tick();
  assert.deepEqual(ws.take(), [], "no rejoin");
  client.close();
});

test("the connect announces room moves only with reconnects on", async () => {
  for (const [opts, features] of [
    [{}, 1],
    [{ reconnect: false }, 0],
  ]) {
    const client = connect("ws://example.test/ws", { WebSocket: FakeWS, ...opts });
    await tick();
    const c = await handshake(FakeWS.last());
    assert.equal(c.features, features, JSON.stringify(opts));
    client.close();
  }
});

test("leaving while reconnecting tells nobody and is not rejoined", async () => {
  const { client, ws } = await open();
  const room = await join(client, ws);
  ws.drop();
  await room.leave();
  await clock.advance(1000);
  const ws2 = FakeWS.last();
  await handshake(ws2);
  assert.deepEqual(ws2.take(), []);
  client.close();
});

test("the handshake times out", async () => {
  const client = connect("ws://example.test/ws", { WebSocket: FakeWS, requestTimeout: 2000 });
  const seen = [];
  client.on("reconnecting", (i) => seen.push(i));
  await tick();
  const ws = FakeWS.last();
  ws.accept();
  await clock.advance(2000);
  assert.equal(client.state, "reconnecting");
  assert.equal(seen[0].code, 1006);
  assert.ok(ws.closedWith, "the socket was closed");
  assert.ok(ws.detached);
  client.close();
});

test("an attempt is bounded by dialTimeout, 5 s by default; the next attempt follows", async () => {
  const client = connect("ws://example.test/ws", { WebSocket: FakeWS });
  const seen = [];
  client.on("reconnecting", (i) => seen.push(i));
  await tick();
  const ws1 = FakeWS.last(); // never opens: a node that accepts and then hangs
  await clock.advance(4999);
  assert.equal(client.state, "connecting");
  await clock.advance(1);
  assert.equal(client.state, "reconnecting");
  assert.equal(seen[0].code, 1006);
  assert.match(seen[0].reason, /not connected within 5000 ms/);
  assert.ok(ws1.closedWith, "the hung socket was closed");
  assert.ok(ws1.detached);
  await clock.advance(seen[0].delay);
  const ws2 = FakeWS.last();
  assert.notEqual(ws2, ws1, "a new attempt opened another socket");
  ws2.accept(); // upgraded, but the connect is never answered
  await clock.advance(5000);
  assert.equal(seen.length, 2, "the reconnect attempt is bounded too");
  client.close();
});

test("dialTimeout is configurable and never longer than requestTimeout", async () => {
  for (const [opts, want] of [
    [{ dialTimeout: 800 }, 800],
    [{ dialTimeout: 8000, requestTimeout: 3000 }, 3000],
    [{ dialTimeout: 0 }, 5000],
  ]) {
    FakeWS.reset();
    const client = connect("ws://example.test/ws", { WebSocket: FakeWS, ...opts });
    const seen = [];
    client.on("reconnecting", (i) => seen.push(i));
    await tick();
    await clock.advance(want - 1);
    assert.equal(seen.length, 0, `no timeout before ${want} ms (${JSON.stringify(opts)})`);
    await clock.advance(1);
    assert.equal(seen.length, 1, `timed out at ${want} ms (${JSON.stringify(opts)})`);
    client.close();
  }
});

test("a slow handshake within dialTimeout opens", async () => {
  const client = connect("ws://example.test/ws", { WebSocket: FakeWS, dialTimeout: 3000 });
  await tick();
  const ws = FakeWS.last();
  await clock.advance(2000);
  await handshake(ws);
  assert.equal(client.state, "open");
  await clock.advance(10_000);
  assert.equal(client.state, "open", "the dial timer stopped once open");
  client.close();
});

test("a malformed message from the server: error, close, reconnect", async () => {
  const { client, ws, events } = await open();
  ws.receiveBytes(new Uint8Array([0x93, 0x05]));
  assert.equal(client.state, "reconnecting");
  assert.deepEqual(ws.closedWith.code, 1000, "browsers allow only 1000 and 3000-4999");
  const err = events.find(([s]) => s === "error")[1];
  assert.equal(err.code, "bad_request");
  assert.equal(events.at(-1)[1].code, 1007);
  assert.equal(events.at(-1)[1].delay, 5000, "the client's own 1007 abort waits the longest delay, and reconnects");

  await clock.advance(30_000);
  const ws2 = FakeWS.last();
  await handshake(ws2);
  ws2.onmessage({ data: "text" });
  assert.equal(client.state, "reconnecting");
  client.close();
});

test("the server's error frame is reported", async () => {
  const { client, ws, events } = await open();
  ws.receive({ type: "error", code: "bad_request", message: "codec: not a frame" });
  ws.drop(1007, "malformed");
  const err = events.find(([s]) => s === "error")[1];
  assert.ok(err instanceof ParlorError);
  assert.equal(err.code, "bad_request");
  assert.equal(err.message, "codec: not a frame");
  client.close();
});

test("a frame the server must not send closes the connection", async () => {
  const { client, ws } = await open();
  ws.receive({ type: "leave", ref: 1, room: "r" });
  assert.equal(client.state, "reconnecting");
  client.close();
});

test("close() removes every listener and timer, and rejects what is pending", async () => {
  const { client, ws } = await open();
  const room = await join(client, ws);
  const other = await join(client, ws, { room: "r2", params: { name: "b" } });
  room.on("said", () => {});
  room.on("$rejoined", () => {});
  other.on("*", () => {});
  const closedEvents = [];
  client.on("closed", (i) => closedEvents.push(i));
  client.on("open", () => {});
  const pendingSend = room.send("say", 1);
  const pendingJoin = client.join("echo", { name: "c" });
  await tick();
  assert.ok(clock.pending() >= 2);
  const before = client._debug();
  assert.ok(before.listeners > 0 && before.roomListeners > 0);

  client.close();
  assert.deepEqual(closedEvents, [{ code: 1000, reason: "client closed" }], "closed is emitted before cleanup");
  await assert.rejects(pendingSend, (err) => err.code === "closed");
  await assert.rejects(pendingJoin, (err) => err.code === "closed");
  assert.equal(clock.pending(), 0, "no timers left");
  assert.deepEqual(client._debug(), { listeners: 0, roomListeners: 0, inflight: 0, queued: 0, rooms: 0, socket: false });
  assert.ok(ws.detached, "no WebSocket handlers left");
  assert.deepEqual(ws.closedWith, { code: 1000, reason: "client closed" });
  assert.equal(client.state, "closed");
  assert.equal(room.state, "left");
  assert.equal(other.state, "left");

  // Closed for good.
  client.close();
  assert.equal(closedEvents.length, 1);
  await assert.rejects(client.join("echo"), (err) => err.code === "closed");
  await assert.rejects(room.send("say"), (err) => err.code === "forbidden");
  assert.equal(client._debug().listeners, 0);
  client.on("open", () => {});
  assert.equal(client._debug().listeners, 0, "on after close adds nothing");
});

test("close() while reconnecting clears the backoff timer and waiting sends", async () => {
  const { client, ws } = await open();
  const room = await join(client, ws);
  ws.drop();
  const waiting = room.send("say", 1);
  assert.ok(clock.pending() > 0);
  client.close();
  await assert.rejects(waiting, (err) => err.code === "closed");
  assert.equal(clock.pending(), 0);
  await clock.advance(60_000);
  assert.equal(FakeWS.instances.length, 1, "no reconnect after close");
});

test("close() while connecting clears the handshake timer", async () => {
  const client = connect("ws://example.test/ws", { WebSocket: FakeWS });
  await tick();
  assert.equal(clock.pending(), 1);
  client.close();
  assert.equal(clock.pending(), 0);
  assert.ok(FakeWS.last().detached);
});

test("close() right after connect() opens no socket", async () => {
  const client = connect("ws://example.test/ws", { WebSocket: FakeWS });
  client.close();
  await tick();
  assert.equal(FakeWS.instances.length, 0);
  assert.equal(client.state, "closed");
});

test("close() from inside a listener stops the rest of the message", async () => {
  const { client, ws } = await open();
  const room = await join(client, ws);
  const got = [];
  room.on("said", (d) => {
    got.push(d);
    client.close();
  });
  room.on("said", () => got.push("second listener after close"));
  await tick();
  ws.receive(
    { type: "event", room: "r1", seq: 1, event: "said", data: enc(1) },
    { type: "event", room: "r1", seq: 2, event: "said", data: enc(2) },
  );
  assert.deepEqual(got, [1]);
  assert.equal(clock.pending(), 0);
});

test("room.leave() removes the room's listeners", async () => {
  const { client, ws } = await open();
  const room = await join(client, ws);
  room.on("said", () => {});
  room.on("$left", () => {});
  const done = room.leave();
  await tick();
  const [l] = ws.take();
  ws.receive({ type: "reply", ref: l.ref, code: "forbidden", message: "not joined", data: new Uint8Array(0) });
  await done; // not being in the room is what leave wanted
  assert.equal(client._debug().roomListeners, 0);
  assert.equal(room.on("said", () => {})(), undefined, "on after leave is a no-op");
  client.close();
});

test("a leave refused for now is sent again until the server takes it", async () => {
  const { client, ws } = await open({ reconnect: { initialDelay: 100 } });
  const room = await join(client, ws);
  let settled;
  const done = room.leave().then(
    () => (settled = "ok"),
    (err) => (settled = err),
  );
  await tick();
  assert.equal(room.state, "left", "left here at once");
  let [l] = ws.take();
  ws.receive({ type: "reply", ref: l.ref, code: "rate_limited", message: "slow down", data: new Uint8Array(0) });
  await tick();
  assert.equal(settled, undefined, "a refusal for now does not settle the leave");
  await clock.advance(100);
  [l] = ws.take();
  assert.deepEqual(l, { type: "leave", ref: l.ref, room: "r1" }, "the leave is sent again");
  ws.receive(ok(l));
  await done;
  assert.equal(settled, "ok");

  // Refused every time: given up after five more tries, with the refusal.
  const room2 = await join(client, ws, { room: "r2" });
  const refused = room2.leave().then(
    () => "resolved",
    (err) => err,
  );
  await tick();
  for (let i = 0; i < 6; i++) {
    const frames = ws.take();
    assert.deepEqual(frames.map((f) => f.type), ["leave"], `try ${i + 1}`);
    ws.receive({ type: "reply", ref: frames[0].ref, code: "rate_limited", message: "slow down", data: new Uint8Array(0) });
    await tick();
    await clock.advance(2_000); // past the pause
  }
  assert.equal((await refused).code, "rate_limited");
  await clock.advance(60_000);
  assert.deepEqual(ws.take(), [], "no seventh try");

  // Closed during a pause: the leave resolves, and no timer is left.
  const room3 = await join(client, ws, { room: "r3" });
  const closing = room3.leave();
  await tick();
  [l] = ws.take();
  ws.receive({ type: "reply", ref: l.ref, code: "unavailable", message: "cut off", data: new Uint8Array(0) });
  await tick();
  client.close();
  await closing;
  assert.equal(clock.pending(), 0);
});

test("close() from a connecting listener opens no socket", async () => {
  const client = connect("ws://example.test/ws", { WebSocket: FakeWS });
  client.on("connecting", () => client.close());
  await tick();
  assert.equal(FakeWS.instances.length, 0);
  assert.equal(client.state, "closed");
  assert.equal(clock.pending(), 0);
});

test("a listener that throws does not stop the others", async () => {
  const { client, ws } = await open();
  const room = await join(client, ws);
  const got = [];
  const boom = new Error("listener bug");
  room.on("said", () => {
    throw boom;
  });
  room.on("said", (d) => got.push(d));
  await tick();
  // The SDK rethrows a listener's error from a microtask: catch it there.
  const uncaught = [];
  const realQueue = globalThis.queueMicrotask;
  globalThis.queueMicrotask = (fn) =>
    realQueue(() => {
      try {
        fn();
      } catch (err) {
        uncaught.push(err);
      }
    });
  try {
    ws.receive({ type: "event", room: "r1", seq: 1, event: "said", data: enc(1) });
    await tick();
  } finally {
    globalThis.queueMicrotask = realQueue;
  }
  assert.deepEqual(got, [1]);
  assert.deepEqual(uncaught, [boom], "the error is reported, not swallowed");
  client.close();
});

test("an error event without a close event is a lost connection", async () => {
  const { client, ws, events } = await open();
  ws.fail();
  assert.equal(client.state, "reconnecting");
  assert.ok(ws.detached);
  assert.deepEqual(ws.closedWith?.code, 1000, "the failed socket is closed");
  assert.equal(events.at(-1)[1].code, 1006);
  await clock.advance(1000);
  const ws2 = FakeWS.last();
  assert.notEqual(ws2, ws);
  ws2.fail(); // while connecting
  assert.equal(client.state, "reconnecting");
  client.close();
});

test("a leave refused for now is not sent again once the room was joined again", async () => {
  const { client, ws } = await open({ reconnect: { initialDelay: 100 } });
  const room = await join(client, ws);
  const left = room.leave();
  await tick();
  const [l] = ws.take();
  ws.receive({ type: "reply", ref: l.ref, code: "rate_limited", message: "slow down", data: new Uint8Array(0) });
  await tick();
  await join(client, ws); // the app joins the room again during the pause
  await clock.advance(2_000);
  assert.deepEqual(ws.take().filter((f) => f.type === "leave"), [], "the retried leave would end the new membership");
  await left;
  client.close();
});
