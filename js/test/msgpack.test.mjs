// The SDK's own msgpack for payloads: the shortest encodings, every
// format's boundaries, and the values it refuses.

import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeData, encodeData, isParlorError } from "../build/parlor.js";
import { hex, toHex } from "./helpers.mjs";

const cases = [
  [0, "00"],
  [127, "7f"],
  [128, "cc80"],
  [255, "ccff"],
  [256, "cd0100"],
  [65535, "cdffff"],
  [65536, "ce00010000"],
  [4294967295, "ceffffffff"],
  [4294967296, "cf0000000100000000"],
  [Number.MAX_SAFE_INTEGER, "cf001fffffffffffff"],
  [-1, "ff"],
  [-32, "e0"],
  [-33, "d0df"],
  [-128, "d080"],
  [-129, "d1ff7f"],
  [-32768, "d18000"],
  [-32769, "d2ffff7fff"],
  [-2147483648, "d280000000"],
  [-2147483649, "d3ffffffff7fffffff"],
  [Number.MIN_SAFE_INTEGER, "d3ffe0000000000001"],
  [1.5, "cb3ff8000000000000"],
  [null, "c0"],
  [true, "c3"],
  [false, "c2"],
  ["", "a0"],
  ["a".repeat(31), "bf" + "61".repeat(31)],
  ["a".repeat(32), "d920" + "61".repeat(32)],
  ["a".repeat(256), "da0100" + "61".repeat(256)],
  ["é", "a2c3a9"],
  [new Uint8Array([1, 2]), "c4020102"],
  [[], "90"],
  [[1, [2]], "920191" + "02"],
  [{}, "80"],
  [{ a: 1, b: "x" }, "82a16101a162a178"],
];

test("values encode in their shortest form and decode back", () => {
  for (const [v, h] of cases) {
    assert.equal(toHex(encodeData(v)), h, `encode ${JSON.stringify(v)}`);
    assert.deepEqual(decodeData(hex(h)), v, `decode ${h}`);
  }
});

test("long strings, arrays and maps use their 16- and 32-bit forms", () => {
  const arr = Array.from({ length: 16 }, (_, i) => i);
  assert.equal(toHex(encodeData(arr)).slice(0, 6), "dc0010");
  const obj = Object.fromEntries(arr.map((i) => ["k" + i, i]));
  assert.equal(toHex(encodeData(obj)).slice(0, 6), "de0010");
  assert.deepEqual(decodeData(encodeData(obj)), obj);
  const s = "b".repeat(70000);
  assert.equal(toHex(encodeData(s)).slice(0, 10), "db00011170");
  assert.equal(decodeData(encodeData(s)), s);
  const bin = new Uint8Array(300);
  assert.equal(toHex(encodeData(bin)).slice(0, 6), "c5012c");
  assert.deepEqual(decodeData(encodeData(bin)), bin);
});

test("undefined properties are left out, undefined in arrays is nil", () => {
  assert.equal(toHex(encodeData({ a: undefined, b: 1 })), "81a16201");
  assert.equal(toHex(encodeData([undefined])), "91c0");
  assert.deepEqual(decodeData(hex("caff800000")), -Infinity);
});

test("what payloads cannot hold is refused with bad_request", () => {
  const cyclic = {};
  cyclic.self = cyclic;
  for (const v of [new Date(0), { at: new Date(0) }, () => 1, Symbol("s"), 1n, cyclic]) {
    assert.throws(() => encodeData(v), (err) => isParlorError(err, "bad_request") || isParlorError(err, "too_large"), String(v));
  }
  // {"__proto__": 1}
  assert.throws(() => decodeData(hex("81a95f5f70726f746f5f5f01")), (err) => isParlorError(err, "bad_request"));
  // a map with an array key
  assert.throws(() => decodeData(hex("819001")), (err) => isParlorError(err, "bad_request"));
});
