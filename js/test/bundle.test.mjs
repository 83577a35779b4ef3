// The bundle served by the engine: self-contained, versioned, and free of
// anything that depends on the machine that built it.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
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
    "Codes",
    "FrameTypes",
    "MAX_DEPTH",
    "MAX_FRAMES",
    "MAX_ID_LEN",
    "MAX_NAME_LEN",
    "MAX_TEXT_LEN",
    "ParlorError",
    "SUBPROTOCOL",
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
});
