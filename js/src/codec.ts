// Frames of protocol parlor.v1 (docs/protocol.md): positional msgpack
// arrays, decoded after the whole message passed validation and encoded in
// the shortest form. It mirrors the Go codec (codec/decode.go, encode.go).
//
// The frame envelope is read and written by hand rather than by a generic
// msgpack decoder, because the protocol is stricter than msgpack: a float
// is never an integer, bin is never a string, strings must be valid UTF-8
// within a byte limit, and raw fields (params, snapshot, data) must be
// passed through as the exact bytes that were received. Module payloads
// themselves are decoded by msgpack.ts (see data.ts).

import { ParlorError } from "./errors.js";
import {
  MAX_DEPTH,
  errFieldTooLong,
  errFieldType,
  errNotFrame,
  errUnsafeInteger,
  validate,
  validateMessage,
  validateValue,
} from "./validate.js";

/** The largest room, session, user and client message id, in UTF-8 bytes. */
export const MAX_ID_LEN = 128;
/** The largest kind, event name, code and client name, in UTF-8 bytes. */
export const MAX_NAME_LEN = 64;
/** The largest error message and left reason, in UTF-8 bytes. */
export const MAX_TEXT_LEN = 1024;
/** The most frames a client may batch in one message (the server default). */
export const MAX_FRAMES = 64;

/** The frame types of parlor.v1, by name, with their wire numbers. */
export const FrameTypes = {
  connect: 1,
  connected: 2,
  join: 3,
  joined: 4,
  leave: 5,
  send: 6,
  reply: 7,
  event: 8,
  error: 9,
  left: 10,
} as const;

/** A frame type's protocol name. */
export type FrameType = keyof typeof FrameTypes;

const typeNames: readonly (FrameType | undefined)[] = [
  undefined,
  "connect",
  "connected",
  "join",
  "joined",
  "leave",
  "send",
  "reply",
  "event",
  "error",
  "left",
];

// The elements each frame type requires, including the type itself.
const minFields = [0, 3, 5, 4, 5, 3, 5, 5, 5, 3, 3];
// The elements each frame type has in this protocol revision, the optional
// trailing ones included; more are skipped (forward compatibility).
const knownFields = [0, 5, 7, 6, 7, 3, 6, 5, 5, 3, 3];

/**
 * A raw field: the bytes of one embedded msgpack value, passed through
 * undecoded. On encode an empty array stands for nil. Decoded raw fields
 * are views into the message they came from.
 */
export type Raw = Uint8Array;

/**
 * [1, ref, client, resume_token, features]: opens a session (client to
 * server). The encoder writes a missing resumeToken as "", and features
 * only when it is not 0.
 */
export interface ConnectFrame {
  type: "connect";
  ref: number;
  client: string;
  /** The resume token of the connection this one replaces; "" for a new session. */
  resumeToken: string;
  /** The Features bits the client supports; 0 (or absent) for none. */
  features?: number;
}

/** Bits of a connect frame's features. */
export const Features = {
  /**
   * The client joins a room again on the same connection when the server
   * sends a left frame with reason "moved" (the room moved to another node
   * of a cluster), instead of being closed with 1012.
   */
  roomMoves: 1,
} as const;
/**
 * [2, ref, session, user, heartbeat_ms, resume_token, resumed]: answers
 * connect. The encoder writes a missing resumeToken as "" and a missing
 * resumed as false.
 */
export interface ConnectedFrame {
  type: "connected";
  ref: number;
  session: string;
  user: string;
  heartbeatMs: number;
  /** The token to present in the connect of the next connection; "" from servers without resume. */
  resumeToken: string;
  /** True when the server accepted the connect's resume token. */
  resumed: boolean;
}
/**
 * [3, ref, kind, params, epoch, since]: asks to join a room of a module.
 * The encoder writes a missing epoch as "" and a missing since as 0.
 */
export interface JoinFrame {
  type: "join";
  ref: number;
  kind: string;
  params: Raw;
  /** The room epoch from the last joined, to resume; "" for a fresh join. */
  epoch: string;
  /** The last ordered seq seen in that epoch; ignored when epoch is "". */
  since: number;
}
/**
 * [4, ref, room, seq, snapshot, epoch, recovered]: answers a successful
 * join. The encoder writes a missing epoch as "" and a missing recovered as
 * false.
 */
export interface JoinedFrame {
  type: "joined";
  ref: number;
  room: string;
  /** The room's current seq, or with recovery the join's since. */
  seq: number;
  /** The module's room state; nil when recovered. */
  snapshot: Raw;
  /** The room's epoch: the incarnation of its ordered stream. */
  epoch: string;
  /** True when the join resumed from since: the missed events follow. */
  recovered: boolean;
}
/** [5, ref, room]: leaves a room; answered by a reply. */
export interface LeaveFrame {
  type: "leave";
  ref: number;
  room: string;
}
/** [6, ref, room, event, data, client_msg_id]: sends an event to a room. */
export interface SendFrame {
  type: "send";
  ref: number;
  room: string;
  event: string;
  data: Raw;
  /** "" for none. */
  clientMsgId: string;
}
/** [7, ref, code, message, data]: answers a request; code "" is success. */
export interface ReplyFrame {
  type: "reply";
  ref: number;
  code: string;
  message: string;
  data: Raw;
}
/** [8, room, seq, event, data]: a room event; seq 0 is ephemeral. */
export interface EventFrame {
  type: "event";
  room: string;
  seq: number;
  event: string;
  data: Raw;
}
/** [9, code, message]: a connection-level error, sent before a close. */
export interface ErrorFrame {
  type: "error";
  code: string;
  message: string;
}
/** [10, room, reason]: the server removed this connection from a room. */
export interface LeftFrame {
  type: "left";
  room: string;
  reason: string;
}

/** One frame of parlor.v1. */
export type Frame =
  | ConnectFrame
  | ConnectedFrame
  | JoinFrame
  | JoinedFrame
  | LeaveFrame
  | SendFrame
  | ReplyFrame
  | EventFrame
  | ErrorFrame
  | LeftFrame;

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

/** Reads msgpack values from bytes that passed validation. */
class Reader {
  pos: number;
  constructor(
    readonly b: Uint8Array,
    start: number,
  ) {
    this.pos = start;
  }

  arrayHeader(): number {
    const b = this.b;
    const c = b[this.pos]!;
    if (c >= 0x90 && c <= 0x9f) {
      this.pos++;
      return c & 0x0f;
    }
    if (c === 0xdc) {
      const n = (b[this.pos + 1]! << 8) | b[this.pos + 2]!;
      this.pos += 3;
      return n;
    }
    if (c === 0xdd) {
      const n = readU32(b, this.pos + 1);
      this.pos += 5;
      return n;
    }
    return -1;
  }

  /** A non-negative integer in any msgpack integer format, or -1. */
  uintOrNeg(): number {
    const b = this.b;
    const p = this.pos;
    const c = b[p]!;
    if (c <= 0x7f) {
      this.pos += 1;
      return c;
    }
    switch (c) {
      case 0xcc:
        this.pos += 2;
        return b[p + 1]!;
      case 0xcd:
        this.pos += 3;
        return (b[p + 1]! << 8) | b[p + 2]!;
      case 0xce:
        this.pos += 5;
        return readU32(b, p + 1);
      case 0xcf:
      case 0xd3: {
        // uint64 and int64 share a layout; int64's sign bit is the top bit.
        const hi = readU32(b, p + 1);
        const lo = readU32(b, p + 5);
        this.pos += 9;
        if (c === 0xd3 && hi >= 0x80000000) {
          return -1;
        }
        if (hi > 0x1fffff) {
          throw errUnsafeInteger();
        }
        return hi * 0x100000000 + lo;
      }
      case 0xd0: {
        this.pos += 2;
        const v = (b[p + 1]! << 24) >> 24;
        return v < 0 ? -1 : v;
      }
      case 0xd1: {
        this.pos += 3;
        const v = (((b[p + 1]! << 8) | b[p + 2]!) << 16) >> 16;
        return v < 0 ? -1 : v;
      }
      case 0xd2: {
        this.pos += 5;
        const v = (b[p + 1]! << 24) | (b[p + 2]! << 16) | (b[p + 3]! << 8) | b[p + 4]!;
        return v < 0 ? -1 : v;
      }
    }
    return -1;
  }

  uint(): number {
    const v = this.uintOrNeg();
    if (v < 0) {
      throw errFieldType();
    }
    return v;
  }

  str(max: number): string {
    const b = this.b;
    const p = this.pos;
    const c = b[p]!;
    let n: number;
    let h: number;
    if (c >= 0xa0 && c <= 0xbf) {
      n = c & 0x1f;
      h = 1;
    } else if (c === 0xd9) {
      n = b[p + 1]!;
      h = 2;
    } else if (c === 0xda) {
      n = (b[p + 1]! << 8) | b[p + 2]!;
      h = 3;
    } else if (c === 0xdb) {
      n = readU32(b, p + 1);
      h = 5;
    } else {
      throw errFieldType();
    }
    this.pos = p + h + n;
    if (n > max) {
      throw errFieldTooLong();
    }
    try {
      return utf8.decode(b.subarray(p + h, p + h + n));
    } catch {
      throw errFieldType();
    }
  }

  /** A string that may also be nil. */
  optStr(max: number): string {
    if (this.b[this.pos] === 0xc0) {
      this.pos++;
      return "";
    }
    return this.str(max);
  }

  /** A msgpack boolean: true or false, nothing else. */
  bool(): boolean {
    const c = this.b[this.pos];
    if (c === 0xc2 || c === 0xc3) {
      this.pos++;
      return c === 0xc3;
    }
    throw errFieldType();
  }

  /** The next value's bytes, undecoded. */
  raw(): Raw {
    const start = this.pos;
    this.pos = validateValue(this.b, start, MAX_DEPTH);
    return this.b.subarray(start, this.pos);
  }
}

function readU32(b: Uint8Array, p: number): number {
  return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
}

/** Reads one frame at r.pos from validated bytes. */
function readFrame(r: Reader): Frame {
  const n = r.arrayHeader();
  if (n < 1) {
    throw errNotFrame();
  }
  const t = r.uintOrNeg();
  const type = t > 0 ? typeNames[t] : undefined;
  if (type === undefined || n < minFields[t]!) {
    throw errNotFrame();
  }
  let f: Frame;
  switch (type) {
    case "connect": {
      const ref = r.uint();
      const client = r.str(MAX_NAME_LEN);
      const resumeToken = n > 3 ? r.optStr(MAX_ID_LEN) : "";
      const features = n > 4 ? r.uint() : 0;
      f = { type, ref, client, resumeToken, features };
      break;
    }
    case "connected": {
      const ref = r.uint();
      const session = r.str(MAX_ID_LEN);
      const user = r.str(MAX_ID_LEN);
      const heartbeatMs = r.uint();
      if (heartbeatMs > 0xffffffff) {
        throw errFieldType();
      }
      const resumeToken = n > 5 ? r.optStr(MAX_ID_LEN) : "";
      const resumed = n > 6 ? r.bool() : false;
      f = { type, ref, session, user, heartbeatMs, resumeToken, resumed };
      break;
    }
    case "join": {
      const ref = r.uint();
      const kind = r.str(MAX_NAME_LEN);
      const params = r.raw();
      const epoch = n > 4 ? r.optStr(MAX_ID_LEN) : "";
      const since = n > 5 ? r.uint() : 0;
      f = { type, ref, kind, params, epoch, since };
      break;
    }
    case "joined": {
      const ref = r.uint();
      const room = r.str(MAX_ID_LEN);
      const seq = r.uint();
      const snapshot = r.raw();
      const epoch = n > 5 ? r.optStr(MAX_ID_LEN) : "";
      const recovered = n > 6 ? r.bool() : false;
      f = { type, ref, room, seq, snapshot, epoch, recovered };
      break;
    }
    case "leave":
      f = { type, ref: r.uint(), room: r.str(MAX_ID_LEN) };
      break;
    case "send": {
      const ref = r.uint();
      const room = r.str(MAX_ID_LEN);
      const event = r.str(MAX_NAME_LEN);
      const data = r.raw();
      const clientMsgId = n >= 6 ? r.optStr(MAX_ID_LEN) : "";
      f = { type, ref, room, event, data, clientMsgId };
      break;
    }
    case "reply":
      f = { type, ref: r.uint(), code: r.str(MAX_NAME_LEN), message: r.str(MAX_TEXT_LEN), data: r.raw() };
      break;
    case "event":
      f = { type, room: r.str(MAX_ID_LEN), seq: r.uint(), event: r.str(MAX_NAME_LEN), data: r.raw() };
      break;
    case "error":
      f = { type, code: r.str(MAX_NAME_LEN), message: r.str(MAX_TEXT_LEN) };
      break;
    case "left":
      f = { type, room: r.str(MAX_ID_LEN), reason: r.str(MAX_TEXT_LEN) };
      break;
  }
  // Skip elements appended by later protocol revisions.
  for (let i = knownFields[t]!; i < n; i++) {
    r.raw();
  }
  return f;
}

/**
 * Validates a whole WebSocket message holding at most maxFrames frames
 * (0: no limit) and calls fn with each frame in order. Nothing is decoded
 * unless the whole message is well-formed; a well-formed value that is not
 * a valid frame throws after fn has seen the frames before it. Raw fields
 * are views into msg. Throws a ParlorError ("bad_request" or "too_large").
 */
export function decodeMessage(msg: Uint8Array, fn: (f: Frame) => void, maxFrames = 0): void {
  validateMessage(msg, maxFrames);
  const r = new Reader(msg, 0);
  while (r.pos < msg.length) {
    fn(readFrame(r));
  }
}

/** Decodes a whole message (see decodeMessage) and returns its frames. */
export function decodeFrames(msg: Uint8Array, maxFrames = 0): Frame[] {
  const frames: Frame[] = [];
  decodeMessage(msg, (f) => frames.push(f), maxFrames);
  return frames;
}

/** Validates b as exactly one frame and decodes it. Throws a ParlorError. */
export function decodeFrame(b: Uint8Array): Frame {
  validate(b);
  return readFrame(new Reader(b, 0));
}

/** A growable byte buffer that writes msgpack in its shortest form. */
class Writer {
  buf = new Uint8Array(64);
  len = 0;

  private grow(n: number): void {
    if (this.len + n <= this.buf.length) {
      return;
    }
    let cap = this.buf.length * 2;
    while (cap < this.len + n) {
      cap *= 2;
    }
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  byte(...bytes: number[]): void {
    this.grow(bytes.length);
    for (const x of bytes) {
      this.buf[this.len++] = x;
    }
  }

  bytes(b: Uint8Array): void {
    this.grow(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  uint(v: number, what: string, max = Number.MAX_SAFE_INTEGER): void {
    if (!Number.isSafeInteger(v) || v < 0 || v > max) {
      throw new ParlorError("bad_request", `codec: ${what} must be an integer from 0 to ${max}`);
    }
    if (v <= 0x7f) {
      this.byte(v);
    } else if (v <= 0xff) {
      this.byte(0xcc, v);
    } else if (v <= 0xffff) {
      this.byte(0xcd, v >>> 8, v & 0xff);
    } else if (v <= 0xffffffff) {
      this.byte(0xce, v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
    } else {
      const hi = Math.floor(v / 0x100000000);
      const lo = v >>> 0;
      this.byte(0xcf, hi >>> 24, (hi >>> 16) & 0xff, (hi >>> 8) & 0xff, hi & 0xff);
      this.byte(lo >>> 24, (lo >>> 16) & 0xff, (lo >>> 8) & 0xff, lo & 0xff);
    }
  }

  str(s: string, max: number, what: string): void {
    if (typeof s !== "string") {
      throw new ParlorError("bad_request", `codec: ${what} must be a string`);
    }
    const b = utf8Encoder.encode(s);
    const n = b.length;
    if (n > max) {
      throw new ParlorError("too_large", `codec: ${what} is ${n} bytes, more than ${max}`);
    }
    if (n <= 31) {
      this.byte(0xa0 | n);
    } else if (n <= 0xff) {
      this.byte(0xd9, n);
    } else {
      this.byte(0xda, n >>> 8, n & 0xff); // max is at most 1024
    }
    this.bytes(b);
  }

  /** A msgpack boolean; undefined writes false. */
  bool(v: boolean | undefined, what: string): void {
    if (v !== undefined && typeof v !== "boolean") {
      throw new ParlorError("bad_request", `codec: ${what} must be a boolean`);
    }
    this.byte(v === true ? 0xc3 : 0xc2);
  }

  /** One embedded msgpack value; empty writes nil. */
  raw(b: Raw | undefined, what: string): void {
    if (b === undefined || b.length === 0) {
      this.byte(0xc0);
      return;
    }
    if (!(b instanceof Uint8Array)) {
      throw new ParlorError("bad_request", `codec: ${what} must be a Uint8Array of msgpack`);
    }
    // The frame is one level: its payload gets the rest.
    validate(b, MAX_DEPTH - 1);
    this.bytes(b);
  }

  result(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

function writeFrame(w: Writer, f: Frame): void {
  switch (f.type) {
    case "connect":
      w.byte(f.features ? 0x95 : 0x94, 1);
      w.uint(f.ref, "ref");
      w.str(f.client, MAX_NAME_LEN, "client");
      w.str(f.resumeToken ?? "", MAX_ID_LEN, "resume_token");
      if (f.features) w.uint(f.features, "features");
      return;
    case "connected":
      w.byte(0x97, 2);
      w.uint(f.ref, "ref");
      w.str(f.session, MAX_ID_LEN, "session");
      w.str(f.user, MAX_ID_LEN, "user");
      w.uint(f.heartbeatMs, "heartbeat_ms", 0xffffffff);
      w.str(f.resumeToken ?? "", MAX_ID_LEN, "resume_token");
      w.bool(f.resumed, "resumed");
      return;
    case "join":
      w.byte(0x96, 3);
      w.uint(f.ref, "ref");
      w.str(f.kind, MAX_NAME_LEN, "kind");
      w.raw(f.params, "params");
      w.str(f.epoch ?? "", MAX_ID_LEN, "epoch");
      w.uint(f.since ?? 0, "since");
      return;
    case "joined":
      w.byte(0x97, 4);
      w.uint(f.ref, "ref");
      w.str(f.room, MAX_ID_LEN, "room");
      w.uint(f.seq, "seq");
      w.raw(f.snapshot, "snapshot");
      w.str(f.epoch ?? "", MAX_ID_LEN, "epoch");
      w.bool(f.recovered, "recovered");
      return;
    case "leave":
      w.byte(0x93, 5);
      w.uint(f.ref, "ref");
      w.str(f.room, MAX_ID_LEN, "room");
      return;
    case "send":
      w.byte(0x96, 6);
      w.uint(f.ref, "ref");
      w.str(f.room, MAX_ID_LEN, "room");
      w.str(f.event, MAX_NAME_LEN, "event");
      w.raw(f.data, "data");
      w.str(f.clientMsgId ?? "", MAX_ID_LEN, "client_msg_id");
      return;
    case "reply":
      w.byte(0x95, 7);
      w.uint(f.ref, "ref");
      w.str(f.code, MAX_NAME_LEN, "code");
      w.str(f.message, MAX_TEXT_LEN, "message");
      w.raw(f.data, "data");
      return;
    case "event":
      w.byte(0x95, 8);
      w.str(f.room, MAX_ID_LEN, "room");
      w.uint(f.seq, "seq");
      w.str(f.event, MAX_NAME_LEN, "event");
      w.raw(f.data, "data");
      return;
    case "error":
      w.byte(0x93, 9);
      w.str(f.code, MAX_NAME_LEN, "code");
      w.str(f.message, MAX_TEXT_LEN, "message");
      return;
    case "left":
      w.byte(0x93, 10);
      w.str(f.room, MAX_ID_LEN, "room");
      w.str(f.reason, MAX_TEXT_LEN, "reason");
      return;
  }
  throw new ParlorError("bad_request", `codec: unknown frame type ${String((f as { type: unknown }).type)}`);
}

/**
 * Encodes one frame in the shortest form (the protocol's canonical
 * encoding). It checks what the server would reject: integers, string
 * limits, and raw fields that are not exactly one msgpack value. Throws a
 * ParlorError.
 */
export function encodeFrame(f: Frame): Uint8Array {
  const w = new Writer();
  writeFrame(w, f);
  return w.result();
}

/** Encodes frames back to back as one message (a batch). */
export function encodeFrames(frames: readonly Frame[]): Uint8Array {
  const w = new Writer();
  for (const f of frames) {
    writeFrame(w, f);
  }
  return w.result();
}
