// A small msgpack encoder and decoder for module payloads: the types the
// protocol carries (nil, booleans, numbers, strings, binary, arrays, maps)
// and nothing else, so the bundle needs no general msgpack library.
// Decoding runs only on bytes that passed validate (lengths bounded by the
// input, depth bounded, no ext values).

import { ParlorError } from "./errors.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8");

// The encoder's own nesting limit: it stops cycles. The protocol's
// tighter limit is checked on the result.
const maxEncodeDepth = 100;

/** Encodes v; throws a ParlorError("bad_request") for what msgpack payloads cannot hold. */
export function encodeValue(v: unknown): Uint8Array {
  const w = new Out();
  put(w, v, 0);
  return w.buf.slice(0, w.len);
}

class Out {
  buf = new Uint8Array(64);
  len = 0;
  view = new DataView(this.buf.buffer);

  room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(x: number): void {
    this.room(1);
    this.buf[this.len++] = x;
  }

  /** A type byte and an n-byte big-endian unsigned length or value. */
  head(t: number, x: number, n: 0 | 1 | 2 | 4): void {
    this.room(1 + n);
    this.buf[this.len++] = t;
    if (n === 1) this.view.setUint8(this.len, x);
    else if (n === 2) this.view.setUint16(this.len, x);
    else if (n === 4) this.view.setUint32(this.len, x);
    this.len += n;
  }

  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
}

/** Writes a length header: fix (with fixBase and fixMax), then 8 (if t8), 16 and 32 bits. */
function len(w: Out, n: number, fixBase: number, fixMax: number, t8: number, t16: number): void {
  if (n <= fixMax) w.u8(fixBase | n);
  else if (t8 && n <= 0xff) w.head(t8, n, 1);
  else if (n <= 0xffff) w.head(t16, n, 2);
  else w.head(t16 + 1, n, 4);
}

function put(w: Out, v: unknown, depth: number): void {
  if (depth > maxEncodeDepth) throw bad("too deeply nested (a cycle?)");
  switch (typeof v) {
    case "undefined":
      w.u8(0xc0);
      return;
    case "boolean":
      w.u8(v ? 0xc3 : 0xc2);
      return;
    case "number":
      return num(w, v);
    case "string": {
      const b = encoder.encode(v);
      len(w, b.length, 0xa0, 31, 0xd9, 0xda);
      w.bytes(b);
      return;
    }
    case "object":
      break;
    default:
      throw bad(`cannot encode a ${typeof v}`);
  }
  if (v === null) {
    w.u8(0xc0);
    return;
  }
  if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) {
    const b = v instanceof ArrayBuffer ? new Uint8Array(v) : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
    len(w, b.length, 0, -1, 0xc4, 0xc5);
    w.bytes(b);
    return;
  }
  if (Array.isArray(v)) {
    len(w, v.length, 0x90, 15, 0, 0xdc);
    for (const x of v) put(w, x, depth + 1);
    return;
  }
  if (v instanceof Date) throw bad("Date");
  const entries: Array<[unknown, unknown]> =
    v instanceof Map ? [...v] : Object.keys(v).map((k) => [k, (v as Record<string, unknown>)[k]]);
  const kept = entries.filter((e) => e[1] !== undefined);
  len(w, kept.length, 0x80, 15, 0, 0xde);
  for (const [k, x] of kept) {
    put(w, k, depth + 1);
    put(w, x, depth + 1);
  }
}

function num(w: Out, v: number): void {
  if (!Number.isSafeInteger(v)) {
    w.u8(0xcb);
    w.room(8);
    w.view.setFloat64(w.len, v);
    w.len += 8;
  } else if (v >= 0) {
    if (v <= 0x7f) w.u8(v);
    else if (v <= 0xff) w.head(0xcc, v, 1);
    else if (v <= 0xffff) w.head(0xcd, v, 2);
    else if (v <= 0xffffffff) w.head(0xce, v, 4);
    else int64(w, 0xcf, v);
  } else if (v >= -32) {
    w.u8(v & 0xff);
  } else if (v >= -0x80) {
    w.head(0xd0, v & 0xff, 1);
  } else if (v >= -0x8000) {
    w.head(0xd1, v & 0xffff, 2);
  } else if (v >= -0x80000000) {
    w.head(0xd2, v >>> 0, 4);
  } else {
    int64(w, 0xd3, v);
  }
}

/** A 64-bit integer: the high 32 bits (two's complement) and the low ones. */
function int64(w: Out, t: number, v: number): void {
  const hi = Math.floor(v / 0x100000000);
  w.u8(t);
  w.room(8);
  w.view.setInt32(w.len, hi);
  w.view.setUint32(w.len + 4, v - hi * 0x100000000);
  w.len += 8;
}

function bad(what: string): ParlorError {
  return new ParlorError("bad_request", `parlor: cannot encode payload: ${what}`);
}

/** Decodes one value from validated bytes. */
export function decodeValue(b: Uint8Array): unknown {
  const r = { b, v: new DataView(b.buffer, b.byteOffset, b.byteLength), p: 0 };
  const out = get(r);
  if (r.p !== b.length) throw new ParlorError("bad_request", "parlor: trailing bytes after the payload");
  return out;
}

interface In {
  b: Uint8Array;
  v: DataView;
  p: number;
}

function get(r: In): unknown {
  const c = r.b[r.p++]!;
  if (c <= 0x7f) return c;
  if (c >= 0xe0) return c - 0x100;
  if (c >= 0xa0 && c <= 0xbf) return str(r, c & 0x1f);
  if (c >= 0x90 && c <= 0x9f) return arr(r, c & 0x0f);
  if (c >= 0x80 && c <= 0x8f) return map(r, c & 0x0f);
  const v = r.v;
  const p = r.p;
  switch (c) {
    case 0xc0:
      return null;
    case 0xc2:
      return false;
    case 0xc3:
      return true;
    case 0xc4:
    case 0xc5:
    case 0xc6: {
      const n = c === 0xc4 ? v.getUint8(p) : c === 0xc5 ? v.getUint16(p) : v.getUint32(p);
      r.p += 1 << (c - 0xc4);
      const out = r.b.slice(r.p, r.p + n);
      r.p += n;
      return out;
    }
    case 0xca:
      r.p += 4;
      return v.getFloat32(p);
    case 0xcb:
      r.p += 8;
      return v.getFloat64(p);
    case 0xcc:
      r.p += 1;
      return v.getUint8(p);
    case 0xcd:
      r.p += 2;
      return v.getUint16(p);
    case 0xce:
      r.p += 4;
      return v.getUint32(p);
    case 0xcf:
      r.p += 8;
      return v.getUint32(p) * 0x100000000 + v.getUint32(p + 4);
    case 0xd0:
      r.p += 1;
      return v.getInt8(p);
    case 0xd1:
      r.p += 2;
      return v.getInt16(p);
    case 0xd2:
      r.p += 4;
      return v.getInt32(p);
    case 0xd3:
      r.p += 8;
      return v.getInt32(p) * 0x100000000 + v.getUint32(p + 4);
    case 0xd9:
      r.p += 1;
      return str(r, v.getUint8(p));
    case 0xda:
      r.p += 2;
      return str(r, v.getUint16(p));
    case 0xdb:
      r.p += 4;
      return str(r, v.getUint32(p));
    case 0xdc:
      r.p += 2;
      return arr(r, v.getUint16(p));
    case 0xdd:
      r.p += 4;
      return arr(r, v.getUint32(p));
    case 0xde:
      r.p += 2;
      return map(r, v.getUint16(p));
    case 0xdf:
      r.p += 4;
      return map(r, v.getUint32(p));
  }
  throw new ParlorError("bad_request", `parlor: cannot decode payload: type 0x${c.toString(16)}`);
}

function str(r: In, n: number): string {
  const s = decoder.decode(r.b.subarray(r.p, r.p + n));
  r.p += n;
  return s;
}

function arr(r: In, n: number): unknown[] {
  const out = new Array<unknown>(n);
  for (let i = 0; i < n; i++) out[i] = get(r);
  return out;
}

function map(r: In, n: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) {
    const k = get(r);
    if (typeof k !== "string" && typeof k !== "number") {
      throw new ParlorError("bad_request", "parlor: cannot decode payload: map keys must be strings or numbers");
    }
    if (k === "__proto__") {
      throw new ParlorError("bad_request", "parlor: cannot decode payload: the key __proto__ is not allowed");
    }
    out[k] = get(r);
  }
  return out;
}
