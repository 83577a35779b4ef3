// The bundle served by the engine: self-contained, versioned, and free of
// anything that depends on the machine that built it.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { gzipSync } from "node:zlib";
import * as parlor from "../build/parlor.js";

const bundle = readFileSync(new URL("../build/parlor.js", import.meta.url), "utf8");
const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));

test("VERSION matches package.json and the banner", () => {
  assert.equal(parlor.VERSION, pkg.version);
  assert.ok(bundle.startsWith(`/*! parlor.js ${pkg.version}:`));
});

test("the bundle imports nothing: one file is the whole SDK", () => {
  assert.doesNotMatch(bundle, /^\s*import\s/m);
  assert.doesNotMatch(bundle, /\brequire\(/);
  assert.doesNotMatch(bundle, /\bimport\(/);
});

test("the bundle holds no absolute paths or timestamps", () => {
  assert.doesNotMatch(bundle, /\/(work|home|root|tmp|Users)\//);
  assert.doesNotMatch(bundle, /[A-Z]:\\/);
  assert.doesNotMatch(bundle, /\b20\d\d-\d\d-\d\dT/);
});

test("the bundle is ASCII, for any charset a server might claim", () => {
  assert.match(bundle, /^[\x09\x0a\x0d\x20-\x7e]*$/);
});

test("the public API", () => {
  assert.deepEqual(Object.keys(parlor).sort(), [
    "ChatKinds",
    "Codes",
    "Features",
    "FrameTypes",
    "GameCodes",
    "GameKinds",
    "MAX_DEPTH",
    "MAX_FRAMES",
    "MAX_ID_LEN",
    "MAX_NAME_LEN",
    "MAX_TEXT_LEN",
    "MatchStatus",
    "ParlorError",
    "PresenceStates",
    "SUBPROTOCOL",
    "UserKind",
    "VERSION",
    "connect",
    "decodeData",
    "decodeFrame",
    "decodeFrames",
    "decodeMessage",
    "encodeData",
    "encodeFrame",
    "encodeFrames",
    "isParlorError",
    "validateMessage",
  ]);
  assert.equal(parlor.SUBPROTOCOL, "parlor.v1");
  assert.equal(parlor.Codes.NotFound, "not_found");
  assert.equal(parlor.ChatKinds.DM, "chat.dm");
  assert.equal(parlor.GameKinds.Chess, "games.chess");
});

test("the minified bundle has the same API and stays smaller than socket.io-client", async () => {
  const min = await import("../build/parlor.min.js");
  assert.deepEqual(Object.keys(min).sort(), Object.keys(parlor).sort());
  const bytes = readFileSync(new URL("../build/parlor.min.js", import.meta.url));
  assert.ok(bytes.toString("latin1").startsWith(`/*! parlor.js ${pkg.version}:`));
  assert.doesNotMatch(bytes.toString("latin1"), /^\s*import\s/m);
  // socket.io-client 4.8.1's dist/socket.io.esm.min.js is 12,799 bytes
  // with gzip -9: stay below it.
  const gz = gzipSync(bytes, { level: 9 }).length;
  assert.ok(gz < 12_799, `parlor.min.js is ${gz} bytes gzipped`);
});

test("the React bundle imports only react and the SDK beside it", () => {
  const react = readFileSync(new URL("../build/react.js", import.meta.url), "utf8");
  const imports = [...react.matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1]).sort();
  assert.deepEqual([...new Set(imports)], ["./parlor.js", "react"]);
});
