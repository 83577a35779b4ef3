// Module payloads (params, snapshot, data): any value msgpack can carry,
// encoded and decoded by msgpack.ts. See docs/protocol.md,
// "Payloads".

import { ParlorError } from "./errors.js";
import { decodeValue, encodeValue } from "./msgpack.js";
import { MAX_DEPTH, validate } from "./validate.js";

// Integers beyond 2^53-1 are not needed by the protocol (refs and seqs stay
// below it), so payloads use plain numbers, not BigInt. A larger integer in
// a payload decodes to the nearest double, losing precision; send such
// values as strings. The encoder's own depth limit (100) stops cycles; the
// protocol's tighter limit is checked on the result, as too_large.

/**
 * Encodes a payload. undefined encodes as nothing (nil on the wire); maps,
 * arrays, strings, numbers, booleans, null and Uint8Array (as bin) are
 * allowed. Properties whose value is undefined are left out, as in JSON.
 * Dates and other msgpack extension values are refused: the server rejects
 * them, so send times as integer milliseconds. Throws a ParlorError.
 */
export function encodeData(value: unknown): Uint8Array {
  if (value === undefined) {
    return new Uint8Array(0);
  }
  let b: Uint8Array;
  try {
    b = encodeValue(value);
  } catch (err) {
    if (err instanceof ParlorError && err.message.endsWith(": Date")) {
      throw new ParlorError(
        "bad_request",
        "parlor: payloads may not hold msgpack ext values such as Date; send times as milliseconds",
      );
    }
    if (err instanceof ParlorError) throw err;
    throw new ParlorError("bad_request", `parlor: cannot encode payload: ${errText(err)}`);
  }
  try {
    // A frame is one level of nesting: its payload gets the rest.
    validate(b, MAX_DEPTH - 1, false);
  } catch (err) {
    if (err instanceof ParlorError && err.code === "bad_request") {
      throw new ParlorError(
        "bad_request",
        "parlor: payloads may not hold msgpack ext values such as Date; send times as milliseconds",
      );
    }
    throw err;
  }
  return b;
}

/**
 * Decodes a payload: the bytes of one msgpack value, as received in a raw
 * field. An empty raw decodes to undefined and nil to null. The bytes are
 * validated first (depth, lengths, no ext values). Throws a ParlorError.
 */
export function decodeData(raw: Uint8Array): unknown {
  if (raw.length === 0) {
    return undefined;
  }
  validate(raw, MAX_DEPTH, false);
  try {
    return decodeValue(raw);
  } catch (err) {
    if (err instanceof ParlorError) throw err;
    throw new ParlorError("bad_request", `parlor: cannot decode payload: ${errText(err)}`);
  }
}

function errText(err: unknown): string {
  const s = err instanceof Error ? err.message : String(err);
  return s.length > 120 ? s.slice(0, 120) : s;
}
