// Structural validation of untrusted msgpack, done before any decoding
// (docs/protocol.md, "Validation rules"). It mirrors codec/validate.go.
//
// The check walks the bytes with an explicit stack instead of recursion, so
// deeply nested input cannot exhaust the call stack. Every declared length
// (str, bin, ext) and element count (array, map) must fit in the bytes that
// remain: each element takes at least one byte, so a count larger than the
// remaining input is a lie. Decoding validated bytes therefore allocates at
// most in proportion to the input.

import { ParlorError } from "./errors.js";

/** The deepest container nesting accepted; a frame itself is one level. */
export const MAX_DEPTH = 32;

// The codec's errors, with the same codes and texts as the Go codec's.
export const errTruncated = () => new ParlorError("bad_request", "codec: truncated msgpack value");
export const errInvalidByte = () => new ParlorError("bad_request", "codec: invalid msgpack byte");
export const errTooDeep = () => new ParlorError("too_large", "codec: nesting too deep");
export const errCountTooLarge = () => new ParlorError("bad_request", "codec: length exceeds input");
export const errTrailingBytes = () => new ParlorError("bad_request", "codec: trailing bytes");
export const errTooManyFrames = () => new ParlorError("too_large", "codec: too many frames in one message");
export const errEmpty = () => new ParlorError("bad_request", "codec: empty message");
export const errNotFrame = () => new ParlorError("bad_request", "codec: not a frame");
export const errFieldType = () => new ParlorError("bad_request", "codec: wrong field type");
export const errFieldTooLong = () => new ParlorError("too_large", "codec: field too long");
export const errUnsafeInteger = () =>
  new ParlorError("bad_request", "codec: integer above 2^53-1 cannot be held by a JavaScript number");
export const errExt = () =>
  new ParlorError("bad_request", "codec: msgpack ext values are not allowed in payloads");

const u16 = (b: Uint8Array, p: number): number => (b[p]! << 8) | b[p + 1]!;
const u32 = (b: Uint8Array, p: number): number =>
  ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;

/**
 * Checks that b, from offset start, begins with exactly one well-formed
 * msgpack value nested at most maxDepth deep (0 or more than MAX_DEPTH mean
 * MAX_DEPTH), and returns the offset just past it. Bytes after the value are
 * not examined. allowExt false also rejects ext values. Throws a
 * ParlorError.
 */
export function validateValue(b: Uint8Array, start = 0, maxDepth = MAX_DEPTH, allowExt = true): number {
  if (maxDepth <= 0 || maxDepth > MAX_DEPTH) {
    maxDepth = MAX_DEPTH;
  }
  // remaining[d] counts the elements still expected at depth d+1.
  const remaining: number[] = [];
  let depth = 0;
  let pos = start;
  const end = b.length;
  for (;;) {
    if (pos >= end) {
      throw errTruncated();
    }
    const c = b[pos]!;
    let left = end - pos - 1; // bytes after the type byte
    let size = 0; // bytes after the type byte, for scalars
    let count = -1; // element count, for containers
    if (c <= 0x7f || c >= 0xe0) {
      // positive and negative fixint
    } else if (c <= 0x8f) {
      count = (c & 0x0f) * 2; // fixmap
    } else if (c <= 0x9f) {
      count = c & 0x0f; // fixarray
    } else if (c <= 0xbf) {
      size = c & 0x1f; // fixstr
    } else {
      if (!allowExt && ((c >= 0xc7 && c <= 0xc9) || (c >= 0xd4 && c <= 0xd8))) {
        throw errExt();
      }
      switch (c) {
        case 0xc0: // nil
        case 0xc2: // false
        case 0xc3: // true
          break;
        case 0xc1:
          throw errInvalidByte();
        case 0xc4: // bin8
        case 0xd9: // str8
          if (left < 1) throw errTruncated();
          size = 1 + b[pos + 1]!;
          break;
        case 0xc5: // bin16
        case 0xda: // str16
          if (left < 2) throw errTruncated();
          size = 2 + u16(b, pos + 1);
          break;
        case 0xc6: // bin32
        case 0xdb: {
          // str32
          if (left < 4) throw errTruncated();
          const n = u32(b, pos + 1);
          if (n > left - 4) throw errCountTooLarge();
          size = 4 + n;
          break;
        }
        case 0xc7: // ext8: length, type, data
          if (left < 2) throw errTruncated();
          size = 2 + b[pos + 1]!;
          break;
        case 0xc8: // ext16
          if (left < 3) throw errTruncated();
          size = 3 + u16(b, pos + 1);
          break;
        case 0xc9: {
          // ext32
          if (left < 5) throw errTruncated();
          const n = u32(b, pos + 1);
          if (n > left - 5) throw errCountTooLarge();
          size = 5 + n;
          break;
        }
        case 0xca: // float32
        case 0xce: // uint32
        case 0xd2: // int32
          size = 4;
          break;
        case 0xcb: // float64
        case 0xcf: // uint64
        case 0xd3: // int64
          size = 8;
          break;
        case 0xcc: // uint8
        case 0xd0: // int8
          size = 1;
          break;
        case 0xcd: // uint16
        case 0xd1: // int16
          size = 2;
          break;
        case 0xd4: // fixext1
          size = 2;
          break;
        case 0xd5: // fixext2
          size = 3;
          break;
        case 0xd6: // fixext4
          size = 5;
          break;
        case 0xd7: // fixext8
          size = 9;
          break;
        case 0xd8: // fixext16
          size = 17;
          break;
        case 0xdc: // array16
        case 0xde: // map16
          if (left < 2) throw errTruncated();
          count = u16(b, pos + 1) * (c === 0xde ? 2 : 1);
          pos += 2;
          left -= 2;
          break;
        case 0xdd: // array32
        case 0xdf: {
          // map32
          if (left < 4) throw errTruncated();
          const n = u32(b, pos + 1) * (c === 0xdf ? 2 : 1);
          if (n > left - 4) throw errCountTooLarge();
          count = n;
          pos += 4;
          left -= 4;
          break;
        }
      }
    }
    pos++;
    if (count > 0) {
      if (count > left) throw errCountTooLarge();
      if (depth >= maxDepth) throw errTooDeep();
      remaining[depth] = count;
      depth++;
      continue;
    }
    if (size > left) throw errTruncated();
    pos += size;
    // One value finished: unwind every container it completes.
    for (;;) {
      if (depth === 0) {
        return pos;
      }
      remaining[depth - 1]!--;
      if (remaining[depth - 1]! > 0) {
        break;
      }
      depth--;
    }
  }
}

/**
 * Checks that b is exactly one well-formed msgpack value with no trailing
 * bytes, nested at most maxDepth deep. allowExt false also rejects ext
 * values. Throws a ParlorError.
 */
export function validate(b: Uint8Array, maxDepth = MAX_DEPTH, allowExt = true): void {
  if (validateValue(b, 0, maxDepth, allowExt) !== b.length) {
    throw errTrailingBytes();
  }
}

/**
 * Checks a whole WebSocket message: one or more well-formed values back to
 * back, at most maxFrames of them (0 means no limit), filling the message
 * exactly. Returns the number of values. Throws a ParlorError.
 */
export function validateMessage(msg: Uint8Array, maxFrames = 0): number {
  if (msg.length === 0) {
    throw errEmpty();
  }
  let frames = 0;
  for (let pos = 0; pos < msg.length; ) {
    if (maxFrames > 0 && frames === maxFrames) {
      throw errTooManyFrames();
    }
    pos = validateValue(msg, pos, MAX_DEPTH);
    frames++;
  }
  return frames;
}
