// The conformance vectors shared with the Go codec (codec/testdata/vectors.json),
// checked in both directions exactly as codec/vectors_test.go does.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { decodeFrame, decodeFrames, encodeFrames, FrameTypes, ParlorError } from "../build/parlor.js";
import { hex, toHex } from "./helpers.mjs";

const vf = JSON.parse(readFileSync(new URL("../../codec/testdata/vectors.json", import.meta.url), "utf8"));

// The vector fields each frame type uses.
const frameFields = {
  connect: ["type", "ref", "client", "resume_token", "features"],
  connected: ["type", "ref", "session", "user", "heartbeat_ms", "resume_token", "resumed"],
  join: ["type", "ref", "kind", "params_hex", "epoch", "since"],
  joined: ["type", "ref", "room", "seq", "snapshot_hex", "epoch", "recovered"],
  leave: ["type", "ref", "room"],
  send: ["type", "ref", "room", "event", "data_hex", "client_msg_id"],
  reply: ["type", "ref", "code", "message", "data_hex"],
  event: ["type", "room", "seq", "event", "data_hex"],
  error: ["type", "code", "message"],
  left: ["type", "room", "reason"],
};

// Vector field names to the SDK's frame field names.
const rename = {
  heartbeat_ms: "heartbeatMs",
  resume_token: "resumeToken",
  client_msg_id: "clientMsgId",
  params_hex: "params",
  snapshot_hex: "snapshot",
  data_hex: "data",
};

/** Converts a vector frame to an SDK frame, checking it names exactly its type's fields. */
function toFrame(v) {
  const want = frameFields[v.type];
  assert.ok(want, `unknown frame type ${v.type}`);
  assert.deepEqual(Object.keys(v).sort(), [...want].sort(), `${v.type} frame fields`);
  const f = {};
  for (const [k, val] of Object.entries(v)) {
    f[rename[k] ?? k] = k.endsWith("_hex") ? hex(val) : val;
  }
  return f;
}

test("vector file header", () => {
  assert.equal(vf.protocol, "parlor.v1");
  assert.equal(vf.max_frames, 64);
  const names = new Set();
  for (const v of [...vf.valid, ...vf.invalid]) {
    assert.ok(!names.has(v.name), `duplicate vector name ${v.name}`);
    names.add(v.name);
  }
});

test("valid vectors", async (t) => {
  const seen = new Set();
  for (const v of vf.valid) {
    await t.test(v.name, () => {
      assert.ok((v.frame === undefined) !== (v.frames === undefined), "exactly one of frame and frames");
      const want = v.frame ? [toFrame(v.frame)] : v.frames.map(toFrame);
      for (const f of want) seen.add(f.type);
      const msg = hex(v.hex);

      assert.deepEqual(decodeFrames(msg, vf.max_frames), want, "decodeFrames");
      if (want.length === 1) {
        assert.deepEqual(decodeFrame(msg), want[0], "decodeFrame");
      }

      const enc = encodeFrames(want);
      const canonical = v.canonical === undefined || v.canonical === true;
      if (canonical) {
        assert.equal(toHex(enc), v.hex, "encodeFrames");
      } else {
        assert.notEqual(toHex(enc), v.hex, 'vector is marked "canonical": false but encodes canonically');
        // The canonical form must decode to the same frames.
        assert.deepEqual(decodeFrames(enc, vf.max_frames), want, "re-encoded form");
      }
    });
  }
  assert.deepEqual([...seen].sort(), Object.keys(FrameTypes).sort(), "a valid vector for every frame type");
});

test("invalid vectors", async (t) => {
  for (const v of vf.invalid) {
    await t.test(v.name, () => {
      assert.throws(
        () => decodeFrames(hex(v.hex), vf.max_frames),
        (err) => {
          assert.ok(err instanceof ParlorError, `${err} is not a ParlorError`);
          assert.equal(err.code, v.code, `code of ${err}`);
          return true;
        },
      );
    });
  }
});
