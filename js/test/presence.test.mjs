// The user channel and presence against a fake server: the join after
// connect, notifications, watch/unwatch/hide, and what a reconnect does:
// the channel resumes from its epoch and seq, and the watch list and the
// hidden choice are sent again.

import assert from "node:assert/strict";
import { afterEach, beforeEach, test } from "node:test";
import { connect, encodeData } from "../build/parlor.js";
import { FakeClock, FakeWS, tick } from "./helpers.mjs";

let clock;
let realRandom;

beforeEach(() => {
  FakeWS.reset();
  clock = new FakeClock().install();
  realRandom = Math.random;
  Math.random = () => 0.5;
});

afterEach(() => {
  clock.uninstall();
  Math.random = realRandom;
});

const enc = (v) => encodeData(v);
const NIL = [0xc0];

async function handshake(ws, session, resumed = false) {
  ws.accept();
  await tick();
  const [c] = ws.take();
  assert.equal(c.type, "connect");
  ws.receive({ type: "connected", ref: c.ref, session, user: "alice", heartbeatMs: 25000, resumeToken: `tok-${session}`, resumed });
  await tick();
  return c;
}

function ok(f, data) {
  return { type: "reply", ref: f.ref, code: "", message: "", data: enc(data) };
}

function ev(room, seq, event, data) {
  return { type: "event", room, seq, event, data: enc(data) };
}

/** Connects with userChannel: true and answers the channel's join. */
async function openWithChannel(opts = {}) {
  const client = connect("ws://example.test/ws", { WebSocket: FakeWS, userChannel: true, ...opts });
  await tick();
  const ws = FakeWS.last();
  await handshake(ws, "s1");
  const [j] = ws.take();
  assert.equal(j.type, "join");
  assert.equal(j.kind, "user");
  assert.deepEqual([...j.params], NIL, "the user channel is joined with no params");
  assert.equal(j.epoch, "");
  ws.receive({ type: "joined", ref: j.ref, room: "uc1", seq: 3, snapshot: enc(null), epoch: "ep1", recovered: false });
  await tick();
  return { client, ws };
}

test("userChannel: joined after connect; notifications and presence events reach their listeners", async () => {
  const { client, ws } = await openWithChannel();
  const room = client.userChannel;
  assert.ok(room);
  assert.equal(room.kind, "user");
  assert.equal(room.id, "uc1");
  assert.equal(room.seq, 3);
  assert.equal(await client.joinUserChannel(), room, "joined once");
  await tick();
  assert.deepEqual(ws.take(), [], "a second call sends nothing");

  const notes = [];
  room.on("challenge.offered", (data, meta) => notes.push([data, meta.seq]));
  const statuses = [];
  client.on("presence", (p) => statuses.push(p));
  ws.receive(ev("uc1", 4, "challenge.offered", { from: "bob" }), ev("uc1", 0, "presence", ["bob", "away", 0]));
  await tick();
  assert.deepEqual(notes, [[{ from: "bob" }, 4]]);
  assert.deepEqual(statuses, [{ user: "bob", status: "away", lastSeen: 0 }]);
  client.close();
  assert.equal(client.userChannel, null);
  assert.deepEqual(client._debug(), { listeners: 0, roomListeners: 0, inflight: 0, queued: 0, rooms: 0, socket: false });
  assert.equal(clock.pending(), 0, "no timer left");
});

test("watch resolves with typed statuses; unwatch and hide are sent on the channel", async () => {
  const { client, ws } = await openWithChannel();
  const w = client.presence.watch(["bob", "carol"]);
  await tick();
  const [f] = ws.take();
  assert.equal(f.type, "send");
  assert.equal(f.room, "uc1");
  assert.equal(f.event, "presence.watch");
  assert.deepEqual(f.data, enc({ users: ["bob", "carol"] }));
  ws.receive(ok(f, { statuses: [["bob", "online", 0], ["carol", "offline", 1700000000000]] }));
  assert.deepEqual(await w, [
    { user: "bob", status: "online", lastSeen: 0 },
    { user: "carol", status: "offline", lastSeen: 1700000000000 },
  ]);
  assert.deepEqual(client.presence.watching, ["bob", "carol"]);

  const u = client.presence.unwatch(["carol"]);
  await tick();
  const [fu] = ws.take();
  assert.equal(fu.event, "presence.unwatch");
  assert.deepEqual(fu.data, enc({ users: ["carol"] }));
  ws.receive(ok(fu, null));
  await u;
  assert.deepEqual(client.presence.watching, ["bob"]);

  const h = client.presence.hide(true);
  await tick();
  const [fh] = ws.take();
  assert.equal(fh.event, "presence.hide");
  assert.deepEqual(fh.data, enc({ hidden: true }));
  ws.receive(ok(fh, null));
  await h;
  assert.equal(client.presence.hidden, true);
  client.close();
});

test("a refused watch is not kept, and the refusal carries its code", async () => {
  const { client, ws } = await openWithChannel();
  const w = client.presence.watch(["x1", "x2"]);
  await tick();
  const [f] = ws.take();
  ws.receive({ type: "reply", ref: f.ref, code: "limit_exceeded", message: "watching too many users", data: new Uint8Array(0) });
  await assert.rejects(w, (err) => err.code === "limit_exceeded");
  assert.deepEqual(client.presence.watching, []);
  client.close();
});

test("without the option, the first presence call joins the channel", async () => {
  const client = connect("ws://example.test/ws", { WebSocket: FakeWS });
  await tick();
  const ws = FakeWS.last();
  await handshake(ws, "s1");
  assert.deepEqual(ws.take(), [], "nothing is joined by default");
  assert.equal(client.userChannel, null);
  const w = client.presence.watch(["bob"]);
  await tick();
  const [j] = ws.take();
  assert.equal(j.kind, "user");
  ws.receive({ type: "joined", ref: j.ref, room: "uc1", seq: 0, snapshot: enc(null), epoch: "ep1", recovered: false });
  await tick();
  const [f] = ws.take();
  assert.equal(f.event, "presence.watch");
  ws.receive(ok(f, { statuses: [["bob", "online", 0]] }));
  assert.deepEqual(await w, [{ user: "bob", status: "online", lastSeen: 0 }]);
  assert.equal(client.userChannel?.id, "uc1");
  client.close();
});

test("reconnect: the channel resumes from epoch and since, missed notifications replay, the watch list and hide are sent again", async () => {
  const { client, ws } = await openWithChannel();
  const notes = [];
  client.userChannel.on("turn", (d, meta) => notes.push([d.match, meta.seq]));
  const statuses = [];
  client.on("presence", (p) => statuses.push(p));
  let resumed = 0;
  client.userChannel.on("$resumed", () => resumed++);

  const w = client.presence.watch(["bob", "carol", "dave"]);
  await tick();
  let [f] = ws.take();
  ws.receive(ok(f, { statuses: [["bob", "online", 0], ["carol", "online", 0], ["dave", "away", 0]] }));
  await w;
  const u = client.presence.unwatch(["dave"]);
  await tick();
  [f] = ws.take();
  ws.receive(ok(f, null));
  await u;
  const h = client.presence.hide(true);
  await tick();
  [f] = ws.take();
  ws.receive(ok(f, null));
  await h;
  ws.receive(ev("uc1", 4, "turn", { match: "m1" }));
  await tick();

  ws.drop();
  await clock.advance(125);
  const ws2 = FakeWS.last();
  assert.notEqual(ws2, ws);
  const c = await handshake(ws2, "s1", true);
  assert.equal(c.resumeToken, "tok-s1");
  const [j] = ws2.take();
  assert.equal(j.kind, "user");
  assert.equal(j.epoch, "ep1");
  assert.equal(j.since, 4, "rejoined from the last seq seen");
  ws2.receive(
    { type: "joined", ref: j.ref, room: "uc1", seq: 5, snapshot: new Uint8Array(0), epoch: "ep1", recovered: true },
    ev("uc1", 5, "turn", { match: "m2" }),
  );
  await tick();
  await tick();
  assert.equal(resumed, 1);
  assert.deepEqual(notes, [["m1", 4], ["m2", 5]], "the missed notification is replayed");

  const sent = ws2.take();
  assert.deepEqual(sent.map((x) => x.event), ["presence.hide"], "hide first, then the watch");
  assert.deepEqual(sent[0].data, enc({ hidden: true }));
  ws2.receive(ok(sent[0], null));
  await tick();
  const [rw] = ws2.take();
  assert.equal(rw.event, "presence.watch");
  assert.deepEqual(rw.data, enc({ users: ["bob", "carol"] }), "the whole list, without what was unwatched");
  ws2.receive(ok(rw, { statuses: [["bob", "offline", 1700000000000], ["carol", "online", 0]] }));
  await tick();
  assert.deepEqual(statuses, [
    { user: "bob", status: "offline", lastSeen: 1700000000000 },
    { user: "carol", status: "online", lastSeen: 0 },
  ], "the re-watch reply is reported as presence events");
  client.close();
});

test("reconnect without recovery: $rejoined, and the watch list is sent again", async () => {
  const { client, ws } = await openWithChannel();
  const statuses = [];
  client.on("presence", (p) => statuses.push(p));
  const w = client.presence.watch(["bob"]);
  await tick();
  let [f] = ws.take();
  ws.receive(ok(f, { statuses: [["bob", "online", 0]] }));
  await w;

  ws.drop();
  await clock.advance(125);
  const ws2 = FakeWS.last();
  await handshake(ws2, "s2");
  const [j] = ws2.take();
  assert.equal(j.since, 3);
  ws2.receive({ type: "joined", ref: j.ref, room: "uc1", seq: 0, snapshot: enc(null), epoch: "ep2", recovered: false });
  await tick();
  await tick();
  assert.equal(client.userChannel.epoch, "ep2");
  [f] = ws2.take();
  assert.equal(f.event, "presence.watch");
  assert.deepEqual(f.data, enc({ users: ["bob"] }));
  ws2.receive(ok(f, { statuses: [["bob", "away", 0]] }));
  await tick();
  assert.deepEqual(statuses, [{ user: "bob", status: "away", lastSeen: 0 }]);
  client.close();
});

test("a left user channel is joined again by the next call", async () => {
  const { client, ws } = await openWithChannel();
  const first = client.userChannel;
  ws.receive({ type: "left", room: "uc1", reason: "kicked" });
  await tick();
  assert.equal(client.userChannel, null);
  const again = client.joinUserChannel();
  await tick();
  const [j] = ws.take();
  assert.equal(j.kind, "user");
  ws.receive({ type: "joined", ref: j.ref, room: "uc1", seq: 0, snapshot: enc(null), epoch: "ep3", recovered: false });
  const room = await again;
  assert.notEqual(room, first);
  assert.equal(client.userChannel, room);
  client.close();
});

test("a user channel joined anew gets the watch list and the hidden choice at once", async () => {
  const { client, ws } = await openWithChannel();
  const w = client.presence.watch(["bob"]);
  await tick();
  const [f] = ws.take();
  ws.receive(ok(f, { statuses: [["bob", "online", 0]] }));
  await w;
  const h = client.presence.hide(true);
  await tick();
  const [fh] = ws.take();
  ws.receive(ok(fh, null));
  await h;
  ws.receive({ type: "left", room: "uc1", reason: "kicked" }); // the server's watch list ends with it
  await tick();
  const again = client.joinUserChannel();
  await tick();
  const [j] = ws.take();
  ws.receive({ type: "joined", ref: j.ref, room: "uc1", seq: 0, snapshot: enc(null), epoch: "ep3", recovered: false });
  await again;
  await tick();
  const sent = ws.take();
  assert.deepEqual(
    sent.map((x) => [x.event, x.data]),
    [["presence.hide", enc({ hidden: true })]],
    "the hidden choice first",
  );
  ws.receive(ok(sent[0], null));
  await tick();
  const [fw] = ws.take();
  assert.deepEqual([fw.event, fw.data], ["presence.watch", enc({ users: ["bob"] })]);
  client.close();
});
