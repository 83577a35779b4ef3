// The SDK's own codec and payload tests, beyond the shared vectors.

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  decodeData,
  decodeFrames,
  decodeMessage,
  encodeData,
  encodeFrame,
  MAX_DEPTH,
  ParlorError,
  validateMessage,
} from "../build/parlor.js";
import { hex, toHex } from "./helpers.mjs";

function code(c) {
  return (err) => {
    assert.ok(err instanceof ParlorError, String(err));
    assert.equal(err.code, c, String(err));
    return true;
  };
}

test("encodeFrame refuses what the server would reject", () => {
  const send = { type: "send", ref: 1, room: "r", event: "e", data: new Uint8Array(0), clientMsgId: "" };
  assert.throws(() => encodeFrame({ ...send, ref: -1 }), code("bad_request"));
  assert.throws(() => encodeFrame({ ...send, ref: 1.5 }), code("bad_request"));
  assert.throws(() => encodeFrame({ ...send, ref: 2 ** 53 }), code("bad_request"));
  assert.throws(() => encodeFrame({ ...send, event: "e".repeat(65) }), code("too_large"));
  assert.throws(() => encodeFrame({ ...send, room: "é".repeat(65) }), code("too_large"), "limits count UTF-8 bytes");
  assert.throws(() => encodeFrame({ ...send, clientMsgId: "c".repeat(129) }), code("too_large"));
  assert.throws(() => encodeFrame({ ...send, data: hex("92c0") }), code("bad_request"), "truncated raw");
  assert.throws(() => encodeFrame({ ...send, data: hex("c0c0") }), code("bad_request"), "two values as raw");
  assert.throws(() => encodeFrame({ ...send, data: hex("91".repeat(32) + "c0") }), code("too_large"), "raw too deep for a frame");
  assert.throws(() => encodeFrame({ type: "nope" }), code("bad_request"));
  assert.throws(
    () => encodeFrame({ type: "connected", ref: 1, session: "s", user: "u", heartbeatMs: 2 ** 32 }),
    code("bad_request"),
  );
  // The largest of each is fine.
  encodeFrame({ ...send, event: "e".repeat(64), room: "r".repeat(128), data: hex("91".repeat(31) + "c0") });
});

test("encodeFrame writes send's client_msg_id as an empty string when absent", () => {
  const b = encodeFrame({ type: "send", ref: 6, room: "r1", event: "msg", data: hex("81a174a26869") });
  assert.equal(toHex(b), "960606a27231a36d736781a174a26869a0");
});

test("the resume fields: the encoder always writes the full layout", () => {
  // Missing optional fields are written as their zero values.
  assert.equal(toHex(encodeFrame({ type: "connect", ref: 1, client: "c" })), "940101a163a0");
  assert.equal(toHex(encodeFrame({ type: "join", ref: 2, kind: "k", params: hex("c0") })), "960302a16bc0a000");
  assert.equal(
    toHex(encodeFrame({ type: "connected", ref: 1, session: "s", user: "u", heartbeatMs: 5 })),
    "970201a173a17505a0c2",
  );
  assert.equal(
    toHex(encodeFrame({ type: "joined", ref: 1, room: "r", seq: 3, snapshot: new Uint8Array(0) })),
    "970401a17203c0a0c2",
  );
  assert.equal(
    toHex(encodeFrame({ type: "joined", ref: 1, room: "r", seq: 3, snapshot: new Uint8Array(0), epoch: "e", recovered: true })),
    "970401a17203c0a165c3",
  );
  assert.equal(toHex(encodeFrame({ type: "join", ref: 2, kind: "k", params: hex("c0"), epoch: "e", since: 300 })), "960302a16bc0a165cd012c");
});

test("the resume fields: the encoder refuses what the server would reject", () => {
  const joined = { type: "joined", ref: 1, room: "r", seq: 3, snapshot: new Uint8Array(0), epoch: "e" };
  assert.throws(() => encodeFrame({ ...joined, recovered: 1 }), code("bad_request"), "bools are booleans");
  assert.throws(() => encodeFrame({ ...joined, epoch: "e".repeat(129) }), code("too_large"));
  assert.throws(() => encodeFrame({ type: "connect", ref: 1, client: "c", resumeToken: "t".repeat(129) }), code("too_large"));
  assert.throws(() => encodeFrame({ type: "join", ref: 1, kind: "k", params: hex("c0"), epoch: "e", since: -1 }), code("bad_request"));
  assert.throws(() => encodeFrame({ type: "join", ref: 1, kind: "k", params: hex("c0"), epoch: 5, since: 1 }), code("bad_request"));
});

test("the resume fields: strict decoding", () => {
  // resumed and recovered are true or false only: not nil, not an integer.
  assert.throws(() => decodeFrames(hex("970201a173a17501a0c0")), code("bad_request"), "resumed nil");
  assert.throws(() => decodeFrames(hex("970401a17201c0a16500")), code("bad_request"), "recovered 0");
  assert.deepEqual(decodeFrames(hex("970401a17201c0a165c3"))[0].recovered, true);
  // since is a uint: nil is not absent.
  assert.throws(() => decodeFrames(hex("960301a16bc0a165c0")), code("bad_request"), "since nil");
  // epoch and resume_token may be nil.
  const [j] = decodeFrames(hex("960301a16bc0c007"));
  assert.equal(j.epoch, "");
  assert.equal(j.since, 7);
  const [c] = decodeFrames(hex("970201a173a17501c0c3"));
  assert.equal(c.resumeToken, "");
  assert.equal(c.resumed, true);
  // Extra trailing elements after the known ones are skipped, but must be well-formed.
  const [x] = decodeFrames(hex("980401a17201c0a165c3a3787878"));
  assert.equal(x.recovered, true);
  assert.throws(() => decodeFrames(hex("980401a17201c0a165c3c1")), code("bad_request"));
});

test("integers above 2^53-1 in frames are refused, not rounded", () => {
  assert.throws(() => decodeFrames(hex("9305cf0020000000000000a27231")), code("bad_request"));
  assert.deepEqual(decodeFrames(hex("9305cf001fffffffffffffa27231"))[0].ref, 2 ** 53 - 1);
});

test("decodeMessage hands over the frames before an invalid one", () => {
  const seen = [];
  assert.throws(
    () => decodeMessage(hex("9508a2723107a36d736781a174a26869c0"), (f) => seen.push(f.type)),
    code("bad_request"),
  );
  assert.deepEqual(seen, ["event"]);
  // A structurally invalid message hands over nothing.
  seen.length = 0;
  assert.throws(() => decodeMessage(hex("9508a2723107a36d736781a174a268699508"), (f) => seen.push(f.type)), code("bad_request"));
  assert.deepEqual(seen, []);
});

test("validateMessage counts frames and applies the frame limit", () => {
  const one = "930501a27231";
  assert.equal(validateMessage(hex(one.repeat(3))), 3);
  assert.equal(validateMessage(hex(one.repeat(100))), 100, "0 means no limit (server messages)");
  assert.throws(() => validateMessage(hex(one.repeat(65)), 64), code("too_large"));
});

test("strings keep a byte order mark and reject lone surrogates", () => {
  const [f] = decodeFrames(hex("930501a5efbbbf7231"));
  assert.equal(f.room, "\ufeffr1");
  assert.throws(() => decodeFrames(hex("930501a3eda080")), code("bad_request"));
});

test("payloads round-trip", () => {
  const values = [
    null,
    true,
    0,
    -1,
    127,
    128,
    65536,
    2 ** 40,
    -(2 ** 40),
    1.5,
    "héllo 👋",
    [1, [2, [3]]],
    { a: 1, b: { c: [true, null] } },
    new Uint8Array([0, 1, 255]),
  ];
  for (const v of values) {
    assert.deepEqual(decodeData(encodeData(v)), v, JSON.stringify(v));
  }
});

test("payloads: undefined, missing and nil", () => {
  assert.equal(encodeData(undefined).length, 0, "undefined encodes as nothing (nil on the wire)");
  assert.equal(decodeData(new Uint8Array(0)), undefined);
  assert.equal(decodeData(hex("c0")), null);
  assert.deepEqual(decodeData(encodeData({ a: 1, b: undefined })), { a: 1 }, "undefined properties are left out");
});

test("payloads refuse ext values, Dates included", () => {
  assert.throws(() => encodeData(new Date(0)), code("bad_request"));
  assert.throws(() => encodeData({ when: new Date(0) }), code("bad_request"));
  assert.throws(() => decodeData(hex("d6ff00000000")), code("bad_request"), "timestamp ext");
  assert.throws(() => decodeData(hex("81a178c70101ff")), code("bad_request"), "ext8 in a map");
});

test("payloads are bounded in depth like frames", () => {
  let deep = null;
  for (let i = 0; i < MAX_DEPTH - 1; i++) deep = [deep];
  encodeData(deep); // 31 levels: the frame is the 32nd
  assert.throws(() => encodeData([deep]), code("too_large"));
  const cyclic = {};
  cyclic.self = cyclic;
  assert.throws(() => encodeData(cyclic), (err) => err instanceof ParlorError);
  assert.throws(() => decodeData(hex("91".repeat(40) + "c0")), code("too_large"));
});

test("payloads refuse what they cannot hold", () => {
  assert.throws(() => encodeData(10n), code("bad_request"), "BigInt (useBigInt64 is off)");
  assert.throws(() => encodeData(() => 1), code("bad_request"));
  assert.throws(() => decodeData(hex("81c40100c0")), code("bad_request"), "bin map key");
  assert.throws(() => decodeData(hex("81a95f5f70726f746f5f5fc0")), code("bad_request"), "__proto__ key");
  assert.throws(() => decodeData(hex("dd7fffffff")), code("bad_request"), "array32 bomb");
  assert.throws(() => decodeData(hex("c0c0")), code("bad_request"), "trailing bytes");
});

test("payload integers beyond 2^53 decode as the nearest number", () => {
  // Documented precision loss: useBigInt64 is off.
  assert.equal(decodeData(hex("cf0020000000000001")), 2 ** 53);
});
