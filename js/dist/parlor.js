/*! parlor.js 0.1.0: the Parlor browser SDK (protocol parlor.v1).
 * Generated from js/src by js/scripts/build.mjs. Do not edit: run `npm run build` in js/.
 * Bundles @msgpack/msgpack 3.1.3 (ISC License; its notice is at the end). */
var __defProp = Object.defineProperty;
var __defNormalProp = (obj, key2, value) => key2 in obj ? __defProp(obj, key2, { enumerable: true, configurable: true, writable: true, value }) : obj[key2] = value;
var __publicField = (obj, key2, value) => __defNormalProp(obj, typeof key2 !== "symbol" ? key2 + "" : key2, value);

// src/errors.ts
var Codes = {
  /** The frame or its payload is malformed or invalid. */
  BadRequest: "bad_request",
  /** The session is not authenticated, or sent a request before connect. */
  Unauthorized: "unauthorized",
  /** The user may not do this, e.g. send to a room they have not joined. */
  Forbidden: "forbidden",
  /** The module kind, room or item does not exist. */
  NotFound: "not_found",
  /** The request conflicts with the current state. */
  Conflict: "conflict",
  /** Too many requests: slow down and retry later. */
  RateLimited: "rate_limited",
  /** A frame, field or payload exceeds a limit. */
  TooLarge: "too_large",
  /** A count limit was reached, such as rooms per connection. */
  TooMany: "too_many",
  /** A per-user limit (groups created, open challenges, bytes per day, ...) was reached. */
  LimitExceeded: "limit_exceeded",
  /** The room or server cannot take the request now; retrying later may work. */
  Unavailable: "unavailable",
  /** The server failed; the request may or may not have been applied. */
  Internal: "internal",
  /** Client side: no reply came within the request timeout. */
  Timeout: "timeout",
  /**
   * Client side: the connection was lost after the request was sent and
   * before its reply came. The request may or may not have been applied.
   * Sends get it only when the client does not reconnect (it resends them
   * itself otherwise); joins and leaves get it on every loss. Retry a send
   * with the same clientMsgId to make the retry safe.
   */
  Disconnected: "disconnected",
  /**
   * Client side: the client was closed, gave up reconnecting, or the server
   * closed the connection with a code that forbids reconnecting (1007,
   * 1008, 4009, 4010, 4011, 4029).
   */
  Closed: "closed"
};
var ParlorError = class extends Error {
  /**
   * @param code a stable code, such as "forbidden" or "not_your_turn"
   * @param message a human-readable explanation; the code when empty
   */
  constructor(code, message) {
    super(message || code);
    this.name = "ParlorError";
    this.code = code;
  }
  /** Returns "ParlorError [code]: message". */
  toString() {
    return this.message === this.code ? `ParlorError [${this.code}]` : `ParlorError [${this.code}]: ${this.message}`;
  }
};
function isParlorError(err, code) {
  return err instanceof ParlorError && (code === void 0 || err.code === code);
}

// src/validate.ts
var MAX_DEPTH = 32;
var errTruncated = () => new ParlorError("bad_request", "codec: truncated msgpack value");
var errInvalidByte = () => new ParlorError("bad_request", "codec: invalid msgpack byte");
var errTooDeep = () => new ParlorError("too_large", "codec: nesting too deep");
var errCountTooLarge = () => new ParlorError("bad_request", "codec: length exceeds input");
var errTrailingBytes = () => new ParlorError("bad_request", "codec: trailing bytes");
var errTooManyFrames = () => new ParlorError("too_large", "codec: too many frames in one message");
var errEmpty = () => new ParlorError("bad_request", "codec: empty message");
var errNotFrame = () => new ParlorError("bad_request", "codec: not a frame");
var errFieldType = () => new ParlorError("bad_request", "codec: wrong field type");
var errFieldTooLong = () => new ParlorError("too_large", "codec: field too long");
var errUnsafeInteger = () => new ParlorError("bad_request", "codec: integer above 2^53-1 cannot be held by a JavaScript number");
var errExt = () => new ParlorError("bad_request", "codec: msgpack ext values are not allowed in payloads");
var u16 = (b, p) => b[p] << 8 | b[p + 1];
var u32 = (b, p) => (b[p] << 24 | b[p + 1] << 16 | b[p + 2] << 8 | b[p + 3]) >>> 0;
function validateValue(b, start = 0, maxDepth = MAX_DEPTH, allowExt = true) {
  if (maxDepth <= 0 || maxDepth > MAX_DEPTH) {
    maxDepth = MAX_DEPTH;
  }
  const remaining = [];
  let depth = 0;
  let pos = start;
  const end = b.length;
  for (; ; ) {
    if (pos >= end) {
      throw errTruncated();
    }
    const c = b[pos];
    let left = end - pos - 1;
    let size = 0;
    let count = -1;
    if (c <= 127 || c >= 224) {
    } else if (c <= 143) {
      count = (c & 15) * 2;
    } else if (c <= 159) {
      count = c & 15;
    } else if (c <= 191) {
      size = c & 31;
    } else {
      if (!allowExt && (c >= 199 && c <= 201 || c >= 212 && c <= 216)) {
        throw errExt();
      }
      switch (c) {
        case 192:
        // nil
        case 194:
        // false
        case 195:
          break;
        case 193:
          throw errInvalidByte();
        case 196:
        // bin8
        case 217:
          if (left < 1) throw errTruncated();
          size = 1 + b[pos + 1];
          break;
        case 197:
        // bin16
        case 218:
          if (left < 2) throw errTruncated();
          size = 2 + u16(b, pos + 1);
          break;
        case 198:
        // bin32
        case 219: {
          if (left < 4) throw errTruncated();
          const n = u32(b, pos + 1);
          if (n > left - 4) throw errCountTooLarge();
          size = 4 + n;
          break;
        }
        case 199:
          if (left < 2) throw errTruncated();
          size = 2 + b[pos + 1];
          break;
        case 200:
          if (left < 3) throw errTruncated();
          size = 3 + u16(b, pos + 1);
          break;
        case 201: {
          if (left < 5) throw errTruncated();
          const n = u32(b, pos + 1);
          if (n > left - 5) throw errCountTooLarge();
          size = 5 + n;
          break;
        }
        case 202:
        // float32
        case 206:
        // uint32
        case 210:
          size = 4;
          break;
        case 203:
        // float64
        case 207:
        // uint64
        case 211:
          size = 8;
          break;
        case 204:
        // uint8
        case 208:
          size = 1;
          break;
        case 205:
        // uint16
        case 209:
          size = 2;
          break;
        case 212:
          size = 2;
          break;
        case 213:
          size = 3;
          break;
        case 214:
          size = 5;
          break;
        case 215:
          size = 9;
          break;
        case 216:
          size = 17;
          break;
        case 220:
        // array16
        case 222:
          if (left < 2) throw errTruncated();
          count = u16(b, pos + 1) * (c === 222 ? 2 : 1);
          pos += 2;
          left -= 2;
          break;
        case 221:
        // array32
        case 223: {
          if (left < 4) throw errTruncated();
          const n = u32(b, pos + 1) * (c === 223 ? 2 : 1);
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
    for (; ; ) {
      if (depth === 0) {
        return pos;
      }
      remaining[depth - 1]--;
      if (remaining[depth - 1] > 0) {
        break;
      }
      depth--;
    }
  }
}
function validate(b, maxDepth = MAX_DEPTH, allowExt = true) {
  if (validateValue(b, 0, maxDepth, allowExt) !== b.length) {
    throw errTrailingBytes();
  }
}
function validateMessage(msg, maxFrames = 0) {
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

// src/codec.ts
var MAX_ID_LEN = 128;
var MAX_NAME_LEN = 64;
var MAX_TEXT_LEN = 1024;
var MAX_FRAMES = 64;
var FrameTypes = {
  connect: 1,
  connected: 2,
  join: 3,
  joined: 4,
  leave: 5,
  send: 6,
  reply: 7,
  event: 8,
  error: 9,
  left: 10
};
var typeNames = [
  void 0,
  "connect",
  "connected",
  "join",
  "joined",
  "leave",
  "send",
  "reply",
  "event",
  "error",
  "left"
];
var minFields = [0, 3, 5, 4, 5, 3, 5, 5, 5, 3, 3];
var knownFields = [0, 4, 7, 6, 7, 3, 6, 5, 5, 3, 3];
var utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
var utf8Encoder = new TextEncoder();
var Reader = class {
  constructor(b, start) {
    this.b = b;
    this.pos = start;
  }
  arrayHeader() {
    const b = this.b;
    const c = b[this.pos];
    if (c >= 144 && c <= 159) {
      this.pos++;
      return c & 15;
    }
    if (c === 220) {
      const n = b[this.pos + 1] << 8 | b[this.pos + 2];
      this.pos += 3;
      return n;
    }
    if (c === 221) {
      const n = readU32(b, this.pos + 1);
      this.pos += 5;
      return n;
    }
    return -1;
  }
  /** A non-negative integer in any msgpack integer format, or -1. */
  uintOrNeg() {
    const b = this.b;
    const p = this.pos;
    const c = b[p];
    if (c <= 127) {
      this.pos += 1;
      return c;
    }
    switch (c) {
      case 204:
        this.pos += 2;
        return b[p + 1];
      case 205:
        this.pos += 3;
        return b[p + 1] << 8 | b[p + 2];
      case 206:
        this.pos += 5;
        return readU32(b, p + 1);
      case 207:
      case 211: {
        const hi = readU32(b, p + 1);
        const lo = readU32(b, p + 5);
        this.pos += 9;
        if (c === 211 && hi >= 2147483648) {
          return -1;
        }
        if (hi > 2097151) {
          throw errUnsafeInteger();
        }
        return hi * 4294967296 + lo;
      }
      case 208: {
        this.pos += 2;
        const v = b[p + 1] << 24 >> 24;
        return v < 0 ? -1 : v;
      }
      case 209: {
        this.pos += 3;
        const v = (b[p + 1] << 8 | b[p + 2]) << 16 >> 16;
        return v < 0 ? -1 : v;
      }
      case 210: {
        this.pos += 5;
        const v = b[p + 1] << 24 | b[p + 2] << 16 | b[p + 3] << 8 | b[p + 4];
        return v < 0 ? -1 : v;
      }
    }
    return -1;
  }
  uint() {
    const v = this.uintOrNeg();
    if (v < 0) {
      throw errFieldType();
    }
    return v;
  }
  str(max) {
    const b = this.b;
    const p = this.pos;
    const c = b[p];
    let n;
    let h;
    if (c >= 160 && c <= 191) {
      n = c & 31;
      h = 1;
    } else if (c === 217) {
      n = b[p + 1];
      h = 2;
    } else if (c === 218) {
      n = b[p + 1] << 8 | b[p + 2];
      h = 3;
    } else if (c === 219) {
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
  optStr(max) {
    if (this.b[this.pos] === 192) {
      this.pos++;
      return "";
    }
    return this.str(max);
  }
  /** A msgpack boolean: true or false, nothing else. */
  bool() {
    const c = this.b[this.pos];
    if (c === 194 || c === 195) {
      this.pos++;
      return c === 195;
    }
    throw errFieldType();
  }
  /** The next value's bytes, undecoded. */
  raw() {
    const start = this.pos;
    this.pos = validateValue(this.b, start, MAX_DEPTH);
    return this.b.subarray(start, this.pos);
  }
};
function readU32(b, p) {
  return (b[p] << 24 | b[p + 1] << 16 | b[p + 2] << 8 | b[p + 3]) >>> 0;
}
function readFrame(r) {
  const n = r.arrayHeader();
  if (n < 1) {
    throw errNotFrame();
  }
  const t = r.uintOrNeg();
  const type = t > 0 ? typeNames[t] : void 0;
  if (type === void 0 || n < minFields[t]) {
    throw errNotFrame();
  }
  let f;
  switch (type) {
    case "connect": {
      const ref = r.uint();
      const client = r.str(MAX_NAME_LEN);
      const resumeToken = n > 3 ? r.optStr(MAX_ID_LEN) : "";
      f = { type, ref, client, resumeToken };
      break;
    }
    case "connected": {
      const ref = r.uint();
      const session = r.str(MAX_ID_LEN);
      const user = r.str(MAX_ID_LEN);
      const heartbeatMs = r.uint();
      if (heartbeatMs > 4294967295) {
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
  for (let i = knownFields[t]; i < n; i++) {
    r.raw();
  }
  return f;
}
function decodeMessage(msg, fn, maxFrames = 0) {
  validateMessage(msg, maxFrames);
  const r = new Reader(msg, 0);
  while (r.pos < msg.length) {
    fn(readFrame(r));
  }
}
function decodeFrames(msg, maxFrames = 0) {
  const frames = [];
  decodeMessage(msg, (f) => frames.push(f), maxFrames);
  return frames;
}
function decodeFrame(b) {
  validate(b);
  return readFrame(new Reader(b, 0));
}
var Writer = class {
  constructor() {
    this.buf = new Uint8Array(64);
    this.len = 0;
  }
  grow(n) {
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
  byte(...bytes) {
    this.grow(bytes.length);
    for (const x of bytes) {
      this.buf[this.len++] = x;
    }
  }
  bytes(b) {
    this.grow(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  uint(v, what, max = Number.MAX_SAFE_INTEGER) {
    if (!Number.isSafeInteger(v) || v < 0 || v > max) {
      throw new ParlorError("bad_request", `codec: ${what} must be an integer from 0 to ${max}`);
    }
    if (v <= 127) {
      this.byte(v);
    } else if (v <= 255) {
      this.byte(204, v);
    } else if (v <= 65535) {
      this.byte(205, v >>> 8, v & 255);
    } else if (v <= 4294967295) {
      this.byte(206, v >>> 24, v >>> 16 & 255, v >>> 8 & 255, v & 255);
    } else {
      const hi = Math.floor(v / 4294967296);
      const lo = v >>> 0;
      this.byte(207, hi >>> 24, hi >>> 16 & 255, hi >>> 8 & 255, hi & 255);
      this.byte(lo >>> 24, lo >>> 16 & 255, lo >>> 8 & 255, lo & 255);
    }
  }
  str(s, max, what) {
    if (typeof s !== "string") {
      throw new ParlorError("bad_request", `codec: ${what} must be a string`);
    }
    const b = utf8Encoder.encode(s);
    const n = b.length;
    if (n > max) {
      throw new ParlorError("too_large", `codec: ${what} is ${n} bytes, more than ${max}`);
    }
    if (n <= 31) {
      this.byte(160 | n);
    } else if (n <= 255) {
      this.byte(217, n);
    } else {
      this.byte(218, n >>> 8, n & 255);
    }
    this.bytes(b);
  }
  /** A msgpack boolean; undefined writes false. */
  bool(v, what) {
    if (v !== void 0 && typeof v !== "boolean") {
      throw new ParlorError("bad_request", `codec: ${what} must be a boolean`);
    }
    this.byte(v === true ? 195 : 194);
  }
  /** One embedded msgpack value; empty writes nil. */
  raw(b, what) {
    if (b === void 0 || b.length === 0) {
      this.byte(192);
      return;
    }
    if (!(b instanceof Uint8Array)) {
      throw new ParlorError("bad_request", `codec: ${what} must be a Uint8Array of msgpack`);
    }
    validate(b, MAX_DEPTH - 1);
    this.bytes(b);
  }
  result() {
    return this.buf.slice(0, this.len);
  }
};
function writeFrame(w, f) {
  switch (f.type) {
    case "connect":
      w.byte(148, 1);
      w.uint(f.ref, "ref");
      w.str(f.client, MAX_NAME_LEN, "client");
      w.str(f.resumeToken ?? "", MAX_ID_LEN, "resume_token");
      return;
    case "connected":
      w.byte(151, 2);
      w.uint(f.ref, "ref");
      w.str(f.session, MAX_ID_LEN, "session");
      w.str(f.user, MAX_ID_LEN, "user");
      w.uint(f.heartbeatMs, "heartbeat_ms", 4294967295);
      w.str(f.resumeToken ?? "", MAX_ID_LEN, "resume_token");
      w.bool(f.resumed, "resumed");
      return;
    case "join":
      w.byte(150, 3);
      w.uint(f.ref, "ref");
      w.str(f.kind, MAX_NAME_LEN, "kind");
      w.raw(f.params, "params");
      w.str(f.epoch ?? "", MAX_ID_LEN, "epoch");
      w.uint(f.since ?? 0, "since");
      return;
    case "joined":
      w.byte(151, 4);
      w.uint(f.ref, "ref");
      w.str(f.room, MAX_ID_LEN, "room");
      w.uint(f.seq, "seq");
      w.raw(f.snapshot, "snapshot");
      w.str(f.epoch ?? "", MAX_ID_LEN, "epoch");
      w.bool(f.recovered, "recovered");
      return;
    case "leave":
      w.byte(147, 5);
      w.uint(f.ref, "ref");
      w.str(f.room, MAX_ID_LEN, "room");
      return;
    case "send":
      w.byte(150, 6);
      w.uint(f.ref, "ref");
      w.str(f.room, MAX_ID_LEN, "room");
      w.str(f.event, MAX_NAME_LEN, "event");
      w.raw(f.data, "data");
      w.str(f.clientMsgId ?? "", MAX_ID_LEN, "client_msg_id");
      return;
    case "reply":
      w.byte(149, 7);
      w.uint(f.ref, "ref");
      w.str(f.code, MAX_NAME_LEN, "code");
      w.str(f.message, MAX_TEXT_LEN, "message");
      w.raw(f.data, "data");
      return;
    case "event":
      w.byte(149, 8);
      w.str(f.room, MAX_ID_LEN, "room");
      w.uint(f.seq, "seq");
      w.str(f.event, MAX_NAME_LEN, "event");
      w.raw(f.data, "data");
      return;
    case "error":
      w.byte(147, 9);
      w.str(f.code, MAX_NAME_LEN, "code");
      w.str(f.message, MAX_TEXT_LEN, "message");
      return;
    case "left":
      w.byte(147, 10);
      w.str(f.room, MAX_ID_LEN, "room");
      w.str(f.reason, MAX_TEXT_LEN, "reason");
      return;
  }
  throw new ParlorError("bad_request", `codec: unknown frame type ${String(f.type)}`);
}
function encodeFrame(f) {
  const w = new Writer();
  writeFrame(w, f);
  return w.result();
}
function encodeFrames(frames) {
  const w = new Writer();
  for (const f of frames) {
    writeFrame(w, f);
  }
  return w.result();
}

// node_modules/@msgpack/msgpack/dist.esm/utils/utf8.mjs
function utf8Count(str) {
  const strLength = str.length;
  let byteLength = 0;
  let pos = 0;
  while (pos < strLength) {
    let value = str.charCodeAt(pos++);
    if ((value & 4294967168) === 0) {
      byteLength++;
      continue;
    } else if ((value & 4294965248) === 0) {
      byteLength += 2;
    } else {
      if (value >= 55296 && value <= 56319) {
        if (pos < strLength) {
          const extra = str.charCodeAt(pos);
          if ((extra & 64512) === 56320) {
            ++pos;
            value = ((value & 1023) << 10) + (extra & 1023) + 65536;
          }
        }
      }
      if ((value & 4294901760) === 0) {
        byteLength += 3;
      } else {
        byteLength += 4;
      }
    }
  }
  return byteLength;
}
function utf8EncodeJs(str, output, outputOffset) {
  const strLength = str.length;
  let offset = outputOffset;
  let pos = 0;
  while (pos < strLength) {
    let value = str.charCodeAt(pos++);
    if ((value & 4294967168) === 0) {
      output[offset++] = value;
      continue;
    } else if ((value & 4294965248) === 0) {
      output[offset++] = value >> 6 & 31 | 192;
    } else {
      if (value >= 55296 && value <= 56319) {
        if (pos < strLength) {
          const extra = str.charCodeAt(pos);
          if ((extra & 64512) === 56320) {
            ++pos;
            value = ((value & 1023) << 10) + (extra & 1023) + 65536;
          }
        }
      }
      if ((value & 4294901760) === 0) {
        output[offset++] = value >> 12 & 15 | 224;
        output[offset++] = value >> 6 & 63 | 128;
      } else {
        output[offset++] = value >> 18 & 7 | 240;
        output[offset++] = value >> 12 & 63 | 128;
        output[offset++] = value >> 6 & 63 | 128;
      }
    }
    output[offset++] = value & 63 | 128;
  }
}
var sharedTextEncoder = new TextEncoder();
var TEXT_ENCODER_THRESHOLD = 50;
function utf8EncodeTE(str, output, outputOffset) {
  sharedTextEncoder.encodeInto(str, output.subarray(outputOffset));
}
function utf8Encode(str, output, outputOffset) {
  if (str.length > TEXT_ENCODER_THRESHOLD) {
    utf8EncodeTE(str, output, outputOffset);
  } else {
    utf8EncodeJs(str, output, outputOffset);
  }
}
var CHUNK_SIZE = 4096;
function utf8DecodeJs(bytes, inputOffset, byteLength) {
  let offset = inputOffset;
  const end = offset + byteLength;
  const units = [];
  let result = "";
  while (offset < end) {
    const byte1 = bytes[offset++];
    if ((byte1 & 128) === 0) {
      units.push(byte1);
    } else if ((byte1 & 224) === 192) {
      const byte2 = bytes[offset++] & 63;
      units.push((byte1 & 31) << 6 | byte2);
    } else if ((byte1 & 240) === 224) {
      const byte2 = bytes[offset++] & 63;
      const byte3 = bytes[offset++] & 63;
      units.push((byte1 & 31) << 12 | byte2 << 6 | byte3);
    } else if ((byte1 & 248) === 240) {
      const byte2 = bytes[offset++] & 63;
      const byte3 = bytes[offset++] & 63;
      const byte4 = bytes[offset++] & 63;
      let unit = (byte1 & 7) << 18 | byte2 << 12 | byte3 << 6 | byte4;
      if (unit > 65535) {
        unit -= 65536;
        units.push(unit >>> 10 & 1023 | 55296);
        unit = 56320 | unit & 1023;
      }
      units.push(unit);
    } else {
      units.push(byte1);
    }
    if (units.length >= CHUNK_SIZE) {
      result += String.fromCharCode(...units);
      units.length = 0;
    }
  }
  if (units.length > 0) {
    result += String.fromCharCode(...units);
  }
  return result;
}
var sharedTextDecoder = new TextDecoder();
var TEXT_DECODER_THRESHOLD = 200;
function utf8DecodeTD(bytes, inputOffset, byteLength) {
  const stringBytes = bytes.subarray(inputOffset, inputOffset + byteLength);
  return sharedTextDecoder.decode(stringBytes);
}
function utf8Decode(bytes, inputOffset, byteLength) {
  if (byteLength > TEXT_DECODER_THRESHOLD) {
    return utf8DecodeTD(bytes, inputOffset, byteLength);
  } else {
    return utf8DecodeJs(bytes, inputOffset, byteLength);
  }
}

// node_modules/@msgpack/msgpack/dist.esm/ExtData.mjs
var ExtData = class {
  constructor(type, data) {
    __publicField(this, "type");
    __publicField(this, "data");
    this.type = type;
    this.data = data;
  }
};

// node_modules/@msgpack/msgpack/dist.esm/DecodeError.mjs
var DecodeError = class _DecodeError extends Error {
  constructor(message) {
    super(message);
    const proto = Object.create(_DecodeError.prototype);
    Object.setPrototypeOf(this, proto);
    Object.defineProperty(this, "name", {
      configurable: true,
      enumerable: false,
      value: _DecodeError.name
    });
  }
};

// node_modules/@msgpack/msgpack/dist.esm/utils/int.mjs
var UINT32_MAX = 4294967295;
function setUint64(view, offset, value) {
  const high = value / 4294967296;
  const low = value;
  view.setUint32(offset, high);
  view.setUint32(offset + 4, low);
}
function setInt64(view, offset, value) {
  const high = Math.floor(value / 4294967296);
  const low = value;
  view.setUint32(offset, high);
  view.setUint32(offset + 4, low);
}
function getInt64(view, offset) {
  const high = view.getInt32(offset);
  const low = view.getUint32(offset + 4);
  return high * 4294967296 + low;
}
function getUint64(view, offset) {
  const high = view.getUint32(offset);
  const low = view.getUint32(offset + 4);
  return high * 4294967296 + low;
}

// node_modules/@msgpack/msgpack/dist.esm/timestamp.mjs
var EXT_TIMESTAMP = -1;
var TIMESTAMP32_MAX_SEC = 4294967296 - 1;
var TIMESTAMP64_MAX_SEC = 17179869184 - 1;
function encodeTimeSpecToTimestamp({ sec, nsec }) {
  if (sec >= 0 && nsec >= 0 && sec <= TIMESTAMP64_MAX_SEC) {
    if (nsec === 0 && sec <= TIMESTAMP32_MAX_SEC) {
      const rv = new Uint8Array(4);
      const view = new DataView(rv.buffer);
      view.setUint32(0, sec);
      return rv;
    } else {
      const secHigh = sec / 4294967296;
      const secLow = sec & 4294967295;
      const rv = new Uint8Array(8);
      const view = new DataView(rv.buffer);
      view.setUint32(0, nsec << 2 | secHigh & 3);
      view.setUint32(4, secLow);
      return rv;
    }
  } else {
    const rv = new Uint8Array(12);
    const view = new DataView(rv.buffer);
    view.setUint32(0, nsec);
    setInt64(view, 4, sec);
    return rv;
  }
}
function encodeDateToTimeSpec(date) {
  const msec = date.getTime();
  const sec = Math.floor(msec / 1e3);
  const nsec = (msec - sec * 1e3) * 1e6;
  const nsecInSec = Math.floor(nsec / 1e9);
  return {
    sec: sec + nsecInSec,
    nsec: nsec - nsecInSec * 1e9
  };
}
function encodeTimestampExtension(object) {
  if (object instanceof Date) {
    const timeSpec = encodeDateToTimeSpec(object);
    return encodeTimeSpecToTimestamp(timeSpec);
  } else {
    return null;
  }
}
function decodeTimestampToTimeSpec(data) {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  switch (data.byteLength) {
    case 4: {
      const sec = view.getUint32(0);
      const nsec = 0;
      return { sec, nsec };
    }
    case 8: {
      const nsec30AndSecHigh2 = view.getUint32(0);
      const secLow32 = view.getUint32(4);
      const sec = (nsec30AndSecHigh2 & 3) * 4294967296 + secLow32;
      const nsec = nsec30AndSecHigh2 >>> 2;
      return { sec, nsec };
    }
    case 12: {
      const sec = getInt64(view, 4);
      const nsec = view.getUint32(0);
      return { sec, nsec };
    }
    default:
      throw new DecodeError(`Unrecognized data size for timestamp (expected 4, 8, or 12): ${data.length}`);
  }
}
function decodeTimestampExtension(data) {
  const timeSpec = decodeTimestampToTimeSpec(data);
  return new Date(timeSpec.sec * 1e3 + timeSpec.nsec / 1e6);
}
var timestampExtension = {
  type: EXT_TIMESTAMP,
  encode: encodeTimestampExtension,
  decode: decodeTimestampExtension
};

// node_modules/@msgpack/msgpack/dist.esm/ExtensionCodec.mjs
var _ExtensionCodec = class _ExtensionCodec {
  constructor() {
    // ensures ExtensionCodecType<X> matches ExtensionCodec<X>
    // this will make type errors a lot more clear
    // eslint-disable-next-line @typescript-eslint/naming-convention
    __publicField(this, "__brand");
    // built-in extensions
    __publicField(this, "builtInEncoders", []);
    __publicField(this, "builtInDecoders", []);
    // custom extensions
    __publicField(this, "encoders", []);
    __publicField(this, "decoders", []);
    this.register(timestampExtension);
  }
  register({ type, encode, decode }) {
    if (type >= 0) {
      this.encoders[type] = encode;
      this.decoders[type] = decode;
    } else {
      const index = -1 - type;
      this.builtInEncoders[index] = encode;
      this.builtInDecoders[index] = decode;
    }
  }
  tryToEncode(object, context) {
    for (let i = 0; i < this.builtInEncoders.length; i++) {
      const encodeExt = this.builtInEncoders[i];
      if (encodeExt != null) {
        const data = encodeExt(object, context);
        if (data != null) {
          const type = -1 - i;
          return new ExtData(type, data);
        }
      }
    }
    for (let i = 0; i < this.encoders.length; i++) {
      const encodeExt = this.encoders[i];
      if (encodeExt != null) {
        const data = encodeExt(object, context);
        if (data != null) {
          const type = i;
          return new ExtData(type, data);
        }
      }
    }
    if (object instanceof ExtData) {
      return object;
    }
    return null;
  }
  decode(data, type, context) {
    const decodeExt = type < 0 ? this.builtInDecoders[-1 - type] : this.decoders[type];
    if (decodeExt) {
      return decodeExt(data, type, context);
    } else {
      return new ExtData(type, data);
    }
  }
};
__publicField(_ExtensionCodec, "defaultCodec", new _ExtensionCodec());
var ExtensionCodec = _ExtensionCodec;

// node_modules/@msgpack/msgpack/dist.esm/utils/typedArrays.mjs
function isArrayBufferLike(buffer) {
  return buffer instanceof ArrayBuffer || typeof SharedArrayBuffer !== "undefined" && buffer instanceof SharedArrayBuffer;
}
function ensureUint8Array(buffer) {
  if (buffer instanceof Uint8Array) {
    return buffer;
  } else if (ArrayBuffer.isView(buffer)) {
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } else if (isArrayBufferLike(buffer)) {
    return new Uint8Array(buffer);
  } else {
    return Uint8Array.from(buffer);
  }
}

// node_modules/@msgpack/msgpack/dist.esm/Encoder.mjs
var DEFAULT_MAX_DEPTH = 100;
var DEFAULT_INITIAL_BUFFER_SIZE = 2048;
var Encoder = class _Encoder {
  constructor(options) {
    __publicField(this, "extensionCodec");
    __publicField(this, "context");
    __publicField(this, "useBigInt64");
    __publicField(this, "maxDepth");
    __publicField(this, "initialBufferSize");
    __publicField(this, "sortKeys");
    __publicField(this, "forceFloat32");
    __publicField(this, "ignoreUndefined");
    __publicField(this, "forceIntegerToFloat");
    __publicField(this, "pos");
    __publicField(this, "view");
    __publicField(this, "bytes");
    __publicField(this, "entered", false);
    this.extensionCodec = options?.extensionCodec ?? ExtensionCodec.defaultCodec;
    this.context = options?.context;
    this.useBigInt64 = options?.useBigInt64 ?? false;
    this.maxDepth = options?.maxDepth ?? DEFAULT_MAX_DEPTH;
    this.initialBufferSize = options?.initialBufferSize ?? DEFAULT_INITIAL_BUFFER_SIZE;
    this.sortKeys = options?.sortKeys ?? false;
    this.forceFloat32 = options?.forceFloat32 ?? false;
    this.ignoreUndefined = options?.ignoreUndefined ?? false;
    this.forceIntegerToFloat = options?.forceIntegerToFloat ?? false;
    this.pos = 0;
    this.view = new DataView(new ArrayBuffer(this.initialBufferSize));
    this.bytes = new Uint8Array(this.view.buffer);
  }
  clone() {
    return new _Encoder({
      extensionCodec: this.extensionCodec,
      context: this.context,
      useBigInt64: this.useBigInt64,
      maxDepth: this.maxDepth,
      initialBufferSize: this.initialBufferSize,
      sortKeys: this.sortKeys,
      forceFloat32: this.forceFloat32,
      ignoreUndefined: this.ignoreUndefined,
      forceIntegerToFloat: this.forceIntegerToFloat
    });
  }
  reinitializeState() {
    this.pos = 0;
  }
  /**
   * This is almost equivalent to {@link Encoder#encode}, but it returns an reference of the encoder's internal buffer and thus much faster than {@link Encoder#encode}.
   *
   * @returns Encodes the object and returns a shared reference the encoder's internal buffer.
   */
  encodeSharedRef(object) {
    if (this.entered) {
      const instance = this.clone();
      return instance.encodeSharedRef(object);
    }
    try {
      this.entered = true;
      this.reinitializeState();
      this.doEncode(object, 1);
      return this.bytes.subarray(0, this.pos);
    } finally {
      this.entered = false;
    }
  }
  /**
   * @returns Encodes the object and returns a copy of the encoder's internal buffer.
   */
  encode(object) {
    if (this.entered) {
      const instance = this.clone();
      return instance.encode(object);
    }
    try {
      this.entered = true;
      this.reinitializeState();
      this.doEncode(object, 1);
      return this.bytes.slice(0, this.pos);
    } finally {
      this.entered = false;
    }
  }
  doEncode(object, depth) {
    if (depth > this.maxDepth) {
      throw new Error(`Too deep objects in depth ${depth}`);
    }
    if (object == null) {
      this.encodeNil();
    } else if (typeof object === "boolean") {
      this.encodeBoolean(object);
    } else if (typeof object === "number") {
      if (!this.forceIntegerToFloat) {
        this.encodeNumber(object);
      } else {
        this.encodeNumberAsFloat(object);
      }
    } else if (typeof object === "string") {
      this.encodeString(object);
    } else if (this.useBigInt64 && typeof object === "bigint") {
      this.encodeBigInt64(object);
    } else {
      this.encodeObject(object, depth);
    }
  }
  ensureBufferSizeToWrite(sizeToWrite) {
    const requiredSize = this.pos + sizeToWrite;
    if (this.view.byteLength < requiredSize) {
      this.resizeBuffer(requiredSize * 2);
    }
  }
  resizeBuffer(newSize) {
    const newBuffer = new ArrayBuffer(newSize);
    const newBytes = new Uint8Array(newBuffer);
    const newView = new DataView(newBuffer);
    newBytes.set(this.bytes);
    this.view = newView;
    this.bytes = newBytes;
  }
  encodeNil() {
    this.writeU8(192);
  }
  encodeBoolean(object) {
    if (object === false) {
      this.writeU8(194);
    } else {
      this.writeU8(195);
    }
  }
  encodeNumber(object) {
    if (!this.forceIntegerToFloat && Number.isSafeInteger(object)) {
      if (object >= 0) {
        if (object < 128) {
          this.writeU8(object);
        } else if (object < 256) {
          this.writeU8(204);
          this.writeU8(object);
        } else if (object < 65536) {
          this.writeU8(205);
          this.writeU16(object);
        } else if (object < 4294967296) {
          this.writeU8(206);
          this.writeU32(object);
        } else if (!this.useBigInt64) {
          this.writeU8(207);
          this.writeU64(object);
        } else {
          this.encodeNumberAsFloat(object);
        }
      } else {
        if (object >= -32) {
          this.writeU8(224 | object + 32);
        } else if (object >= -128) {
          this.writeU8(208);
          this.writeI8(object);
        } else if (object >= -32768) {
          this.writeU8(209);
          this.writeI16(object);
        } else if (object >= -2147483648) {
          this.writeU8(210);
          this.writeI32(object);
        } else if (!this.useBigInt64) {
          this.writeU8(211);
          this.writeI64(object);
        } else {
          this.encodeNumberAsFloat(object);
        }
      }
    } else {
      this.encodeNumberAsFloat(object);
    }
  }
  encodeNumberAsFloat(object) {
    if (this.forceFloat32) {
      this.writeU8(202);
      this.writeF32(object);
    } else {
      this.writeU8(203);
      this.writeF64(object);
    }
  }
  encodeBigInt64(object) {
    if (object >= BigInt(0)) {
      this.writeU8(207);
      this.writeBigUint64(object);
    } else {
      this.writeU8(211);
      this.writeBigInt64(object);
    }
  }
  writeStringHeader(byteLength) {
    if (byteLength < 32) {
      this.writeU8(160 + byteLength);
    } else if (byteLength < 256) {
      this.writeU8(217);
      this.writeU8(byteLength);
    } else if (byteLength < 65536) {
      this.writeU8(218);
      this.writeU16(byteLength);
    } else if (byteLength < 4294967296) {
      this.writeU8(219);
      this.writeU32(byteLength);
    } else {
      throw new Error(`Too long string: ${byteLength} bytes in UTF-8`);
    }
  }
  encodeString(object) {
    const maxHeaderSize = 1 + 4;
    const byteLength = utf8Count(object);
    this.ensureBufferSizeToWrite(maxHeaderSize + byteLength);
    this.writeStringHeader(byteLength);
    utf8Encode(object, this.bytes, this.pos);
    this.pos += byteLength;
  }
  encodeObject(object, depth) {
    const ext = this.extensionCodec.tryToEncode(object, this.context);
    if (ext != null) {
      this.encodeExtension(ext);
    } else if (Array.isArray(object)) {
      this.encodeArray(object, depth);
    } else if (ArrayBuffer.isView(object)) {
      this.encodeBinary(object);
    } else if (typeof object === "object") {
      this.encodeMap(object, depth);
    } else {
      throw new Error(`Unrecognized object: ${Object.prototype.toString.apply(object)}`);
    }
  }
  encodeBinary(object) {
    const size = object.byteLength;
    if (size < 256) {
      this.writeU8(196);
      this.writeU8(size);
    } else if (size < 65536) {
      this.writeU8(197);
      this.writeU16(size);
    } else if (size < 4294967296) {
      this.writeU8(198);
      this.writeU32(size);
    } else {
      throw new Error(`Too large binary: ${size}`);
    }
    const bytes = ensureUint8Array(object);
    this.writeU8a(bytes);
  }
  encodeArray(object, depth) {
    const size = object.length;
    if (size < 16) {
      this.writeU8(144 + size);
    } else if (size < 65536) {
      this.writeU8(220);
      this.writeU16(size);
    } else if (size < 4294967296) {
      this.writeU8(221);
      this.writeU32(size);
    } else {
      throw new Error(`Too large array: ${size}`);
    }
    for (const item of object) {
      this.doEncode(item, depth + 1);
    }
  }
  countWithoutUndefined(object, keys) {
    let count = 0;
    for (const key2 of keys) {
      if (object[key2] !== void 0) {
        count++;
      }
    }
    return count;
  }
  encodeMap(object, depth) {
    const keys = Object.keys(object);
    if (this.sortKeys) {
      keys.sort();
    }
    const size = this.ignoreUndefined ? this.countWithoutUndefined(object, keys) : keys.length;
    if (size < 16) {
      this.writeU8(128 + size);
    } else if (size < 65536) {
      this.writeU8(222);
      this.writeU16(size);
    } else if (size < 4294967296) {
      this.writeU8(223);
      this.writeU32(size);
    } else {
      throw new Error(`Too large map object: ${size}`);
    }
    for (const key2 of keys) {
      const value = object[key2];
      if (!(this.ignoreUndefined && value === void 0)) {
        this.encodeString(key2);
        this.doEncode(value, depth + 1);
      }
    }
  }
  encodeExtension(ext) {
    if (typeof ext.data === "function") {
      const data = ext.data(this.pos + 6);
      const size2 = data.length;
      if (size2 >= 4294967296) {
        throw new Error(`Too large extension object: ${size2}`);
      }
      this.writeU8(201);
      this.writeU32(size2);
      this.writeI8(ext.type);
      this.writeU8a(data);
      return;
    }
    const size = ext.data.length;
    if (size === 1) {
      this.writeU8(212);
    } else if (size === 2) {
      this.writeU8(213);
    } else if (size === 4) {
      this.writeU8(214);
    } else if (size === 8) {
      this.writeU8(215);
    } else if (size === 16) {
      this.writeU8(216);
    } else if (size < 256) {
      this.writeU8(199);
      this.writeU8(size);
    } else if (size < 65536) {
      this.writeU8(200);
      this.writeU16(size);
    } else if (size < 4294967296) {
      this.writeU8(201);
      this.writeU32(size);
    } else {
      throw new Error(`Too large extension object: ${size}`);
    }
    this.writeI8(ext.type);
    this.writeU8a(ext.data);
  }
  writeU8(value) {
    this.ensureBufferSizeToWrite(1);
    this.view.setUint8(this.pos, value);
    this.pos++;
  }
  writeU8a(values) {
    const size = values.length;
    this.ensureBufferSizeToWrite(size);
    this.bytes.set(values, this.pos);
    this.pos += size;
  }
  writeI8(value) {
    this.ensureBufferSizeToWrite(1);
    this.view.setInt8(this.pos, value);
    this.pos++;
  }
  writeU16(value) {
    this.ensureBufferSizeToWrite(2);
    this.view.setUint16(this.pos, value);
    this.pos += 2;
  }
  writeI16(value) {
    this.ensureBufferSizeToWrite(2);
    this.view.setInt16(this.pos, value);
    this.pos += 2;
  }
  writeU32(value) {
    this.ensureBufferSizeToWrite(4);
    this.view.setUint32(this.pos, value);
    this.pos += 4;
  }
  writeI32(value) {
    this.ensureBufferSizeToWrite(4);
    this.view.setInt32(this.pos, value);
    this.pos += 4;
  }
  writeF32(value) {
    this.ensureBufferSizeToWrite(4);
    this.view.setFloat32(this.pos, value);
    this.pos += 4;
  }
  writeF64(value) {
    this.ensureBufferSizeToWrite(8);
    this.view.setFloat64(this.pos, value);
    this.pos += 8;
  }
  writeU64(value) {
    this.ensureBufferSizeToWrite(8);
    setUint64(this.view, this.pos, value);
    this.pos += 8;
  }
  writeI64(value) {
    this.ensureBufferSizeToWrite(8);
    setInt64(this.view, this.pos, value);
    this.pos += 8;
  }
  writeBigUint64(value) {
    this.ensureBufferSizeToWrite(8);
    this.view.setBigUint64(this.pos, value);
    this.pos += 8;
  }
  writeBigInt64(value) {
    this.ensureBufferSizeToWrite(8);
    this.view.setBigInt64(this.pos, value);
    this.pos += 8;
  }
};

// node_modules/@msgpack/msgpack/dist.esm/utils/prettyByte.mjs
function prettyByte(byte) {
  return `${byte < 0 ? "-" : ""}0x${Math.abs(byte).toString(16).padStart(2, "0")}`;
}

// node_modules/@msgpack/msgpack/dist.esm/CachedKeyDecoder.mjs
var DEFAULT_MAX_KEY_LENGTH = 16;
var DEFAULT_MAX_LENGTH_PER_KEY = 16;
var CachedKeyDecoder = class {
  constructor(maxKeyLength = DEFAULT_MAX_KEY_LENGTH, maxLengthPerKey = DEFAULT_MAX_LENGTH_PER_KEY) {
    __publicField(this, "hit", 0);
    __publicField(this, "miss", 0);
    __publicField(this, "caches");
    __publicField(this, "maxKeyLength");
    __publicField(this, "maxLengthPerKey");
    this.maxKeyLength = maxKeyLength;
    this.maxLengthPerKey = maxLengthPerKey;
    this.caches = [];
    for (let i = 0; i < this.maxKeyLength; i++) {
      this.caches.push([]);
    }
  }
  canBeCached(byteLength) {
    return byteLength > 0 && byteLength <= this.maxKeyLength;
  }
  find(bytes, inputOffset, byteLength) {
    const records = this.caches[byteLength - 1];
    FIND_CHUNK: for (const record of records) {
      const recordBytes = record.bytes;
      for (let j = 0; j < byteLength; j++) {
        if (recordBytes[j] !== bytes[inputOffset + j]) {
          continue FIND_CHUNK;
        }
      }
      return record.str;
    }
    return null;
  }
  store(bytes, value) {
    const records = this.caches[bytes.length - 1];
    const record = { bytes, str: value };
    if (records.length >= this.maxLengthPerKey) {
      records[Math.random() * records.length | 0] = record;
    } else {
      records.push(record);
    }
  }
  decode(bytes, inputOffset, byteLength) {
    const cachedValue = this.find(bytes, inputOffset, byteLength);
    if (cachedValue != null) {
      this.hit++;
      return cachedValue;
    }
    this.miss++;
    const str = utf8DecodeJs(bytes, inputOffset, byteLength);
    const slicedCopyOfBytes = Uint8Array.prototype.slice.call(bytes, inputOffset, inputOffset + byteLength);
    this.store(slicedCopyOfBytes, str);
    return str;
  }
};

// node_modules/@msgpack/msgpack/dist.esm/Decoder.mjs
var STATE_ARRAY = "array";
var STATE_MAP_KEY = "map_key";
var STATE_MAP_VALUE = "map_value";
var mapKeyConverter = (key2) => {
  if (typeof key2 === "string" || typeof key2 === "number") {
    return key2;
  }
  throw new DecodeError("The type of key must be string or number but " + typeof key2);
};
var StackPool = class {
  constructor() {
    __publicField(this, "stack", []);
    __publicField(this, "stackHeadPosition", -1);
  }
  get length() {
    return this.stackHeadPosition + 1;
  }
  top() {
    return this.stack[this.stackHeadPosition];
  }
  pushArrayState(size) {
    const state = this.getUninitializedStateFromPool();
    state.type = STATE_ARRAY;
    state.position = 0;
    state.size = size;
    state.array = new Array(size);
  }
  pushMapState(size) {
    const state = this.getUninitializedStateFromPool();
    state.type = STATE_MAP_KEY;
    state.readCount = 0;
    state.size = size;
    state.map = {};
  }
  getUninitializedStateFromPool() {
    this.stackHeadPosition++;
    if (this.stackHeadPosition === this.stack.length) {
      const partialState = {
        type: void 0,
        size: 0,
        array: void 0,
        position: 0,
        readCount: 0,
        map: void 0,
        key: null
      };
      this.stack.push(partialState);
    }
    return this.stack[this.stackHeadPosition];
  }
  release(state) {
    const topStackState = this.stack[this.stackHeadPosition];
    if (topStackState !== state) {
      throw new Error("Invalid stack state. Released state is not on top of the stack.");
    }
    if (state.type === STATE_ARRAY) {
      const partialState = state;
      partialState.size = 0;
      partialState.array = void 0;
      partialState.position = 0;
      partialState.type = void 0;
    }
    if (state.type === STATE_MAP_KEY || state.type === STATE_MAP_VALUE) {
      const partialState = state;
      partialState.size = 0;
      partialState.map = void 0;
      partialState.readCount = 0;
      partialState.type = void 0;
    }
    this.stackHeadPosition--;
  }
  reset() {
    this.stack.length = 0;
    this.stackHeadPosition = -1;
  }
};
var HEAD_BYTE_REQUIRED = -1;
var EMPTY_VIEW = new DataView(new ArrayBuffer(0));
var EMPTY_BYTES = new Uint8Array(EMPTY_VIEW.buffer);
try {
  EMPTY_VIEW.getInt8(0);
} catch (e) {
  if (!(e instanceof RangeError)) {
    throw new Error("This module is not supported in the current JavaScript engine because DataView does not throw RangeError on out-of-bounds access");
  }
}
var MORE_DATA = new RangeError("Insufficient data");
var sharedCachedKeyDecoder = new CachedKeyDecoder();
var Decoder = class _Decoder {
  constructor(options) {
    __publicField(this, "extensionCodec");
    __publicField(this, "context");
    __publicField(this, "useBigInt64");
    __publicField(this, "rawStrings");
    __publicField(this, "maxStrLength");
    __publicField(this, "maxBinLength");
    __publicField(this, "maxArrayLength");
    __publicField(this, "maxMapLength");
    __publicField(this, "maxExtLength");
    __publicField(this, "keyDecoder");
    __publicField(this, "mapKeyConverter");
    __publicField(this, "totalPos", 0);
    __publicField(this, "pos", 0);
    __publicField(this, "view", EMPTY_VIEW);
    __publicField(this, "bytes", EMPTY_BYTES);
    __publicField(this, "headByte", HEAD_BYTE_REQUIRED);
    __publicField(this, "stack", new StackPool());
    __publicField(this, "entered", false);
    this.extensionCodec = options?.extensionCodec ?? ExtensionCodec.defaultCodec;
    this.context = options?.context;
    this.useBigInt64 = options?.useBigInt64 ?? false;
    this.rawStrings = options?.rawStrings ?? false;
    this.maxStrLength = options?.maxStrLength ?? UINT32_MAX;
    this.maxBinLength = options?.maxBinLength ?? UINT32_MAX;
    this.maxArrayLength = options?.maxArrayLength ?? UINT32_MAX;
    this.maxMapLength = options?.maxMapLength ?? UINT32_MAX;
    this.maxExtLength = options?.maxExtLength ?? UINT32_MAX;
    this.keyDecoder = options?.keyDecoder !== void 0 ? options.keyDecoder : sharedCachedKeyDecoder;
    this.mapKeyConverter = options?.mapKeyConverter ?? mapKeyConverter;
  }
  clone() {
    return new _Decoder({
      extensionCodec: this.extensionCodec,
      context: this.context,
      useBigInt64: this.useBigInt64,
      rawStrings: this.rawStrings,
      maxStrLength: this.maxStrLength,
      maxBinLength: this.maxBinLength,
      maxArrayLength: this.maxArrayLength,
      maxMapLength: this.maxMapLength,
      maxExtLength: this.maxExtLength,
      keyDecoder: this.keyDecoder
    });
  }
  reinitializeState() {
    this.totalPos = 0;
    this.headByte = HEAD_BYTE_REQUIRED;
    this.stack.reset();
  }
  setBuffer(buffer) {
    const bytes = ensureUint8Array(buffer);
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = 0;
  }
  appendBuffer(buffer) {
    if (this.headByte === HEAD_BYTE_REQUIRED && !this.hasRemaining(1)) {
      this.setBuffer(buffer);
    } else {
      const remainingData = this.bytes.subarray(this.pos);
      const newData = ensureUint8Array(buffer);
      const newBuffer = new Uint8Array(remainingData.length + newData.length);
      newBuffer.set(remainingData);
      newBuffer.set(newData, remainingData.length);
      this.setBuffer(newBuffer);
    }
  }
  hasRemaining(size) {
    return this.view.byteLength - this.pos >= size;
  }
  createExtraByteError(posToShow) {
    const { view, pos } = this;
    return new RangeError(`Extra ${view.byteLength - pos} of ${view.byteLength} byte(s) found at buffer[${posToShow}]`);
  }
  /**
   * @throws {@link DecodeError}
   * @throws {@link RangeError}
   */
  decode(buffer) {
    if (this.entered) {
      const instance = this.clone();
      return instance.decode(buffer);
    }
    try {
      this.entered = true;
      this.reinitializeState();
      this.setBuffer(buffer);
      const object = this.doDecodeSync();
      if (this.hasRemaining(1)) {
        throw this.createExtraByteError(this.pos);
      }
      return object;
    } finally {
      this.entered = false;
    }
  }
  *decodeMulti(buffer) {
    if (this.entered) {
      const instance = this.clone();
      yield* instance.decodeMulti(buffer);
      return;
    }
    try {
      this.entered = true;
      this.reinitializeState();
      this.setBuffer(buffer);
      while (this.hasRemaining(1)) {
        yield this.doDecodeSync();
      }
    } finally {
      this.entered = false;
    }
  }
  async decodeAsync(stream) {
    if (this.entered) {
      const instance = this.clone();
      return instance.decodeAsync(stream);
    }
    try {
      this.entered = true;
      let decoded = false;
      let object;
      for await (const buffer of stream) {
        if (decoded) {
          this.entered = false;
          throw this.createExtraByteError(this.totalPos);
        }
        this.appendBuffer(buffer);
        try {
          object = this.doDecodeSync();
          decoded = true;
        } catch (e) {
          if (!(e instanceof RangeError)) {
            throw e;
          }
        }
        this.totalPos += this.pos;
      }
      if (decoded) {
        if (this.hasRemaining(1)) {
          throw this.createExtraByteError(this.totalPos);
        }
        return object;
      }
      const { headByte, pos, totalPos } = this;
      throw new RangeError(`Insufficient data in parsing ${prettyByte(headByte)} at ${totalPos} (${pos} in the current buffer)`);
    } finally {
      this.entered = false;
    }
  }
  decodeArrayStream(stream) {
    return this.decodeMultiAsync(stream, true);
  }
  decodeStream(stream) {
    return this.decodeMultiAsync(stream, false);
  }
  async *decodeMultiAsync(stream, isArray) {
    if (this.entered) {
      const instance = this.clone();
      yield* instance.decodeMultiAsync(stream, isArray);
      return;
    }
    try {
      this.entered = true;
      let isArrayHeaderRequired = isArray;
      let arrayItemsLeft = -1;
      for await (const buffer of stream) {
        if (isArray && arrayItemsLeft === 0) {
          throw this.createExtraByteError(this.totalPos);
        }
        this.appendBuffer(buffer);
        if (isArrayHeaderRequired) {
          arrayItemsLeft = this.readArraySize();
          isArrayHeaderRequired = false;
          this.complete();
        }
        try {
          while (true) {
            yield this.doDecodeSync();
            if (--arrayItemsLeft === 0) {
              break;
            }
          }
        } catch (e) {
          if (!(e instanceof RangeError)) {
            throw e;
          }
        }
        this.totalPos += this.pos;
      }
    } finally {
      this.entered = false;
    }
  }
  doDecodeSync() {
    DECODE: while (true) {
      const headByte = this.readHeadByte();
      let object;
      if (headByte >= 224) {
        object = headByte - 256;
      } else if (headByte < 192) {
        if (headByte < 128) {
          object = headByte;
        } else if (headByte < 144) {
          const size = headByte - 128;
          if (size !== 0) {
            this.pushMapState(size);
            this.complete();
            continue DECODE;
          } else {
            object = {};
          }
        } else if (headByte < 160) {
          const size = headByte - 144;
          if (size !== 0) {
            this.pushArrayState(size);
            this.complete();
            continue DECODE;
          } else {
            object = [];
          }
        } else {
          const byteLength = headByte - 160;
          object = this.decodeString(byteLength, 0);
        }
      } else if (headByte === 192) {
        object = null;
      } else if (headByte === 194) {
        object = false;
      } else if (headByte === 195) {
        object = true;
      } else if (headByte === 202) {
        object = this.readF32();
      } else if (headByte === 203) {
        object = this.readF64();
      } else if (headByte === 204) {
        object = this.readU8();
      } else if (headByte === 205) {
        object = this.readU16();
      } else if (headByte === 206) {
        object = this.readU32();
      } else if (headByte === 207) {
        if (this.useBigInt64) {
          object = this.readU64AsBigInt();
        } else {
          object = this.readU64();
        }
      } else if (headByte === 208) {
        object = this.readI8();
      } else if (headByte === 209) {
        object = this.readI16();
      } else if (headByte === 210) {
        object = this.readI32();
      } else if (headByte === 211) {
        if (this.useBigInt64) {
          object = this.readI64AsBigInt();
        } else {
          object = this.readI64();
        }
      } else if (headByte === 217) {
        const byteLength = this.lookU8();
        object = this.decodeString(byteLength, 1);
      } else if (headByte === 218) {
        const byteLength = this.lookU16();
        object = this.decodeString(byteLength, 2);
      } else if (headByte === 219) {
        const byteLength = this.lookU32();
        object = this.decodeString(byteLength, 4);
      } else if (headByte === 220) {
        const size = this.readU16();
        if (size !== 0) {
          this.pushArrayState(size);
          this.complete();
          continue DECODE;
        } else {
          object = [];
        }
      } else if (headByte === 221) {
        const size = this.readU32();
        if (size !== 0) {
          this.pushArrayState(size);
          this.complete();
          continue DECODE;
        } else {
          object = [];
        }
      } else if (headByte === 222) {
        const size = this.readU16();
        if (size !== 0) {
          this.pushMapState(size);
          this.complete();
          continue DECODE;
        } else {
          object = {};
        }
      } else if (headByte === 223) {
        const size = this.readU32();
        if (size !== 0) {
          this.pushMapState(size);
          this.complete();
          continue DECODE;
        } else {
          object = {};
        }
      } else if (headByte === 196) {
        const size = this.lookU8();
        object = this.decodeBinary(size, 1);
      } else if (headByte === 197) {
        const size = this.lookU16();
        object = this.decodeBinary(size, 2);
      } else if (headByte === 198) {
        const size = this.lookU32();
        object = this.decodeBinary(size, 4);
      } else if (headByte === 212) {
        object = this.decodeExtension(1, 0);
      } else if (headByte === 213) {
        object = this.decodeExtension(2, 0);
      } else if (headByte === 214) {
        object = this.decodeExtension(4, 0);
      } else if (headByte === 215) {
        object = this.decodeExtension(8, 0);
      } else if (headByte === 216) {
        object = this.decodeExtension(16, 0);
      } else if (headByte === 199) {
        const size = this.lookU8();
        object = this.decodeExtension(size, 1);
      } else if (headByte === 200) {
        const size = this.lookU16();
        object = this.decodeExtension(size, 2);
      } else if (headByte === 201) {
        const size = this.lookU32();
        object = this.decodeExtension(size, 4);
      } else {
        throw new DecodeError(`Unrecognized type byte: ${prettyByte(headByte)}`);
      }
      this.complete();
      const stack = this.stack;
      while (stack.length > 0) {
        const state = stack.top();
        if (state.type === STATE_ARRAY) {
          state.array[state.position] = object;
          state.position++;
          if (state.position === state.size) {
            object = state.array;
            stack.release(state);
          } else {
            continue DECODE;
          }
        } else if (state.type === STATE_MAP_KEY) {
          if (object === "__proto__") {
            throw new DecodeError("The key __proto__ is not allowed");
          }
          state.key = this.mapKeyConverter(object);
          state.type = STATE_MAP_VALUE;
          continue DECODE;
        } else {
          state.map[state.key] = object;
          state.readCount++;
          if (state.readCount === state.size) {
            object = state.map;
            stack.release(state);
          } else {
            state.key = null;
            state.type = STATE_MAP_KEY;
            continue DECODE;
          }
        }
      }
      return object;
    }
  }
  readHeadByte() {
    if (this.headByte === HEAD_BYTE_REQUIRED) {
      this.headByte = this.readU8();
    }
    return this.headByte;
  }
  complete() {
    this.headByte = HEAD_BYTE_REQUIRED;
  }
  readArraySize() {
    const headByte = this.readHeadByte();
    switch (headByte) {
      case 220:
        return this.readU16();
      case 221:
        return this.readU32();
      default: {
        if (headByte < 160) {
          return headByte - 144;
        } else {
          throw new DecodeError(`Unrecognized array type byte: ${prettyByte(headByte)}`);
        }
      }
    }
  }
  pushMapState(size) {
    if (size > this.maxMapLength) {
      throw new DecodeError(`Max length exceeded: map length (${size}) > maxMapLengthLength (${this.maxMapLength})`);
    }
    this.stack.pushMapState(size);
  }
  pushArrayState(size) {
    if (size > this.maxArrayLength) {
      throw new DecodeError(`Max length exceeded: array length (${size}) > maxArrayLength (${this.maxArrayLength})`);
    }
    this.stack.pushArrayState(size);
  }
  decodeString(byteLength, headerOffset) {
    if (!this.rawStrings || this.stateIsMapKey()) {
      return this.decodeUtf8String(byteLength, headerOffset);
    }
    return this.decodeBinary(byteLength, headerOffset);
  }
  /**
   * @throws {@link RangeError}
   */
  decodeUtf8String(byteLength, headerOffset) {
    if (byteLength > this.maxStrLength) {
      throw new DecodeError(`Max length exceeded: UTF-8 byte length (${byteLength}) > maxStrLength (${this.maxStrLength})`);
    }
    if (this.bytes.byteLength < this.pos + headerOffset + byteLength) {
      throw MORE_DATA;
    }
    const offset = this.pos + headerOffset;
    let object;
    if (this.stateIsMapKey() && this.keyDecoder?.canBeCached(byteLength)) {
      object = this.keyDecoder.decode(this.bytes, offset, byteLength);
    } else {
      object = utf8Decode(this.bytes, offset, byteLength);
    }
    this.pos += headerOffset + byteLength;
    return object;
  }
  stateIsMapKey() {
    if (this.stack.length > 0) {
      const state = this.stack.top();
      return state.type === STATE_MAP_KEY;
    }
    return false;
  }
  /**
   * @throws {@link RangeError}
   */
  decodeBinary(byteLength, headOffset) {
    if (byteLength > this.maxBinLength) {
      throw new DecodeError(`Max length exceeded: bin length (${byteLength}) > maxBinLength (${this.maxBinLength})`);
    }
    if (!this.hasRemaining(byteLength + headOffset)) {
      throw MORE_DATA;
    }
    const offset = this.pos + headOffset;
    const object = this.bytes.subarray(offset, offset + byteLength);
    this.pos += headOffset + byteLength;
    return object;
  }
  decodeExtension(size, headOffset) {
    if (size > this.maxExtLength) {
      throw new DecodeError(`Max length exceeded: ext length (${size}) > maxExtLength (${this.maxExtLength})`);
    }
    const extType = this.view.getInt8(this.pos + headOffset);
    const data = this.decodeBinary(
      size,
      headOffset + 1
      /* extType */
    );
    return this.extensionCodec.decode(data, extType, this.context);
  }
  lookU8() {
    return this.view.getUint8(this.pos);
  }
  lookU16() {
    return this.view.getUint16(this.pos);
  }
  lookU32() {
    return this.view.getUint32(this.pos);
  }
  readU8() {
    const value = this.view.getUint8(this.pos);
    this.pos++;
    return value;
  }
  readI8() {
    const value = this.view.getInt8(this.pos);
    this.pos++;
    return value;
  }
  readU16() {
    const value = this.view.getUint16(this.pos);
    this.pos += 2;
    return value;
  }
  readI16() {
    const value = this.view.getInt16(this.pos);
    this.pos += 2;
    return value;
  }
  readU32() {
    const value = this.view.getUint32(this.pos);
    this.pos += 4;
    return value;
  }
  readI32() {
    const value = this.view.getInt32(this.pos);
    this.pos += 4;
    return value;
  }
  readU64() {
    const value = getUint64(this.view, this.pos);
    this.pos += 8;
    return value;
  }
  readI64() {
    const value = getInt64(this.view, this.pos);
    this.pos += 8;
    return value;
  }
  readU64AsBigInt() {
    const value = this.view.getBigUint64(this.pos);
    this.pos += 8;
    return value;
  }
  readI64AsBigInt() {
    const value = this.view.getBigInt64(this.pos);
    this.pos += 8;
    return value;
  }
  readF32() {
    const value = this.view.getFloat32(this.pos);
    this.pos += 4;
    return value;
  }
  readF64() {
    const value = this.view.getFloat64(this.pos);
    this.pos += 8;
    return value;
  }
};

// src/data.ts
var encoder = new Encoder({ useBigInt64: false, ignoreUndefined: true });
var decoder = new Decoder({ useBigInt64: false });
function encodeData(value) {
  if (value === void 0) {
    return new Uint8Array(0);
  }
  let b;
  try {
    b = encoder.encode(value);
  } catch (err) {
    throw new ParlorError("bad_request", `parlor: cannot encode payload: ${errText(err)}`);
  }
  try {
    validate(b, MAX_DEPTH - 1, false);
  } catch (err) {
    if (err instanceof ParlorError && err.code === "bad_request") {
      throw new ParlorError(
        "bad_request",
        "parlor: payloads may not hold msgpack ext values such as Date; send times as milliseconds"
      );
    }
    throw err;
  }
  return b;
}
function decodeData(raw) {
  if (raw.length === 0) {
    return void 0;
  }
  validate(raw, MAX_DEPTH, false);
  try {
    return decoder.decode(raw);
  } catch (err) {
    throw new ParlorError("bad_request", `parlor: cannot decode payload: ${errText(err)}`);
  }
}
function errText(err) {
  const s = err instanceof Error ? err.message : String(err);
  return s.length > 120 ? s.slice(0, 120) : s;
}

// src/emitter.ts
var Emitter = class {
  constructor() {
    this.listeners = /* @__PURE__ */ new Map();
    this.generation = 0;
  }
  /** Adds fn for name and returns a function that removes it. */
  on(name, fn) {
    if (typeof fn !== "function") {
      throw new TypeError("parlor: listener must be a function");
    }
    const list = this.listeners.get(name);
    if (list) {
      list.push(fn);
    } else {
      this.listeners.set(name, [fn]);
    }
    return () => this.off(name, fn);
  }
  /** Removes one registration of fn for name. */
  off(name, fn) {
    const list = this.listeners.get(name);
    if (!list) {
      return;
    }
    const i = list.indexOf(fn);
    if (i >= 0) {
      list.splice(i, 1);
    }
    if (list.length === 0) {
      this.listeners.delete(name);
    }
  }
  /** Calls every listener of name with args. */
  emit(name, ...args) {
    const list = this.listeners.get(name);
    if (!list) {
      return;
    }
    const generation = this.generation;
    for (const fn of list.slice()) {
      if (this.generation !== generation) {
        return;
      }
      try {
        fn(...args);
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
  /** Reports whether name has listeners. */
  has(name) {
    return this.listeners.has(name);
  }
  /** Counts all listeners. */
  count() {
    let n = 0;
    for (const list of this.listeners.values()) {
      n += list.length;
    }
    return n;
  }
  /** Removes every listener. */
  clear() {
    this.listeners.clear();
    this.generation++;
  }
};

// src/room.ts
var noticeNames = /* @__PURE__ */ new Set(["$left", "$rejoined", "$resumed", "$gap"]);
var maxEarly = 1024;
var RoomCore = class {
  constructor(id, kind, params, seq, epoch) {
    this.id = id;
    this.kind = kind;
    this.params = params;
    this.seq = seq;
    this.epoch = epoch;
    /** Handles sharing this membership. */
    this.handles = /* @__PURE__ */ new Set();
    /** Work that waits until the room is joined again. */
    this.waiting = [];
    this.state = "joined";
    this.rejoinAttempts = 0;
  }
  /** Delivers a module event to every handle. */
  deliver(event, data, meta) {
    for (const h of [...this.handles]) {
      h._deliver(event, data, meta);
    }
  }
  /** Sends an SDK notice to every handle. */
  notice(name, info) {
    for (const h of [...this.handles]) {
      h._notice(name, info);
    }
  }
  /** Runs the waiting work (the room is joined again). */
  flush() {
    for (const w of this.waiting.splice(0)) {
      w.run();
    }
  }
  /** Drops the waiting work tagged tag. */
  unwait(tag) {
    const i = this.waiting.findIndex((w) => w.tag === tag);
    if (i >= 0) {
      this.waiting.splice(i, 1);
    }
  }
  /** Fails the waiting work (the room is gone). */
  fail(err) {
    for (const w of this.waiting.splice(0)) {
      w.fail(err);
    }
  }
};
var Room = class {
  /** @internal */
  constructor(host, _core, snapshot) {
    this.host = host;
    this._core = _core;
    this.emitter = new Emitter();
    this.left = false;
    // What arrives before the first listener is added: the events a server
    // batches with its answer to the join reach the client before the code
    // awaiting join() can add listeners. Null once delivered (or given up).
    this.early = [];
    this.earlyFlush = false;
    this.snap = snapshot;
  }
  /** The room id, chosen by the server's module. It may change after a reconnect. */
  get id() {
    return this._core.id;
  }
  /** The module kind this room was joined with, such as "chat.dm". */
  get kind() {
    return this._core.kind;
  }
  /** The last ordered seq seen: the join's seq, then each ordered event's. */
  get seq() {
    return this._core.seq;
  }
  /**
   * The room's epoch: the incarnation of its ordered stream that seq counts
   * in. A reconnect resumes within it; a new epoch comes with "$rejoined".
   */
  get epoch() {
    return this._core.epoch;
  }
  /**
   * The module's snapshot from the join, or from the last "$rejoined". A
   * resume ("$resumed") keeps it: the events since are the news.
   */
  get snapshot() {
    return this.snap;
  }
  /** "joined", "rejoining" or "left". */
  get state() {
    return this.left ? "left" : this._core.state;
  }
  // eslint-disable-line @typescript-eslint/no-explicit-any
  on(name, fn) {
    if (this.left) {
      return () => {
      };
    }
    const off = this.emitter.on(key(name), fn);
    if (this.early !== null && !this.earlyFlush) {
      this.earlyFlush = true;
      queueMicrotask(() => {
        const early = this.early;
        this.early = null;
        for (const [k, args] of early ?? []) {
          this.emitter.emit(k, ...args);
        }
      });
    }
    return off;
  }
  /** Removes a listener added with on. */
  off(name, fn) {
    this.emitter.off(key(name), fn);
  }
  /**
   * Sends an event to the room and resolves with the module's reply data
   * once the server has applied it. It rejects with a ParlorError: the
   * server's or module's code (such as "forbidden" or "not_your_turn"),
   * "timeout", "disconnected" (the connection was lost before the reply;
   * the event may or may not have been applied; only when the client does
   * not reconnect), "closed", or "bad_request"/"too_large" for a payload
   * that cannot be sent. While the room is rejoining, the send waits for
   * the rejoin (within its timeout). A send that got no reply when the
   * connection was lost is sent again, with the same client_msg_id, once
   * the room is joined again, and resolves with that reply.
   */
  send(event, data, opts = {}) {
    if (this.left) {
      return Promise.reject(new ParlorError("forbidden", "parlor: this room was left"));
    }
    return this.host.roomSend(this._core, event, data, opts);
  }
  /**
   * Leaves the room and removes every listener of this handle. The server
   * is told when the last handle of the room leaves. Resolves when the
   * server has confirmed; leaving twice is a no-op.
   */
  leave() {
    if (this.left) {
      return Promise.resolve();
    }
    this._drop();
    this._core.handles.delete(this);
    if (this._core.handles.size > 0) {
      return Promise.resolve();
    }
    return this.host.roomLeave(this._core);
  }
  /** Marks the handle left and removes its listeners. @internal */
  _drop() {
    this.left = true;
    this.early = null;
    this.emitter.clear();
  }
  /** @internal */
  _setSnapshot(snapshot) {
    this.snap = snapshot;
  }
  /** @internal */
  _deliver(event, data, meta) {
    this.emit("e:" + event, [data, meta]);
    this.emit("*", [event, data, meta]);
  }
  /** @internal */
  _notice(name, info) {
    this.emit(name, [info]);
  }
  emit(k, args) {
    const early = this.early;
    if (early === null) {
      this.emitter.emit(k, ...args);
    } else if (early.length < maxEarly) {
      early.push([k, args]);
    } else {
      this.early = null;
    }
  }
  /** Counts this handle's listeners. @internal */
  _listenerCount() {
    return this.emitter.count();
  }
};
function key(name) {
  if (name === "*" || noticeNames.has(name)) {
    return name;
  }
  return "e:" + name;
}

// src/version.ts
var VERSION = "0.1.0";

// src/client.ts
var SUBPROTOCOL = "parlor.v1";
var finalCodes = /* @__PURE__ */ new Map([
  [1007, "the server closed the connection for a malformed message (close 1007)"],
  [1008, "the server closed the connection for a policy violation (close 1008)"],
  [4009, "a newer connection resumed this session (close 4009)"],
  [4010, "a newer connection of the same user took this one's place (close 4010)"],
  [4011, "the server signed this user out (close 4011)"],
  [4029, "the server closed the connection for rate-limit abuse (close 4029)"]
]);
var slowCodes = /* @__PURE__ */ new Set([1007]);
var transientCodes = /* @__PURE__ */ new Set(["unavailable", "rate_limited", "timeout", "disconnected"]);
var maxRejoinAttempts = 5;
var OPEN = 1;
function connect(url, opts = {}) {
  return new Client(url, opts);
}
var Client = class {
  /** Use connect. */
  constructor(url, opts) {
    this.emitter = new Emitter();
    this.st = "connecting";
    this.ws = null;
    this.connectRef = 0;
    this.nextRef = 0;
    this.attempt = 0;
    this.everOpened = false;
    /** Requests sent on the current socket, by ref. */
    this.inflight = /* @__PURE__ */ new Map();
    /** Requests waiting for the connection to open. */
    this.queued = [];
    /** Join refs that timed out: a late joined gets a leave. */
    this.abandoned = /* @__PURE__ */ new Set();
    /** Memberships by room id. */
    this.cores = /* @__PURE__ */ new Map();
    /** Frames waiting for the end of the current task, sent as one batch. */
    this.outbox = [];
    this.flushScheduled = false;
    /** What rooms call back into. */
    this.host = {
      roomSend: (core, event, data, opts) => this.roomSend(core, event, data, opts),
      roomLeave: (core) => this.roomLeave(core)
    };
    this.sessionId = "";
    this.userId = "";
    this.heartbeat = 0;
    /** The latest resume token, presented in the next connection's connect. */
    this.resumeToken = "";
    /** Makes the client_msg_id of sends that were given none. */
    this.msgIds = new MsgIdSource();
    const WS = opts.WebSocket ?? globalThis.WebSocket;
    if (!WS) {
      throw new TypeError("parlor: no WebSocket implementation: pass options.WebSocket");
    }
    this.WS = WS;
    this.url = parseURL(url);
    this.token = opts.token;
    this.timeout = positive(opts.requestTimeout, 1e4);
    this.maxMessageSize = positive(opts.maxMessageSize, 65536);
    this.clientName = opts.clientName || `parlor-js/${VERSION}`;
    const rc = opts.reconnect ?? true;
    if (rc !== false) {
      const o = rc === true ? {} : rc;
      this.backoff = {
        initialDelay: positive(o.initialDelay, 250),
        maxDelay: positive(o.maxDelay, 1e4),
        factor: Math.max(1, o.factor ?? 2),
        maxAttempts: o.maxAttempts ?? Infinity
      };
    }
    queueMicrotask(() => {
      if (this.st !== "closed") {
        void this.open();
      }
    });
  }
  /** The connection's state. */
  get state() {
    return this.st;
  }
  /** The server-assigned session id ("" until open). */
  get session() {
    return this.sessionId;
  }
  /** The user id the server authenticated ("" until open). */
  get user() {
    return this.userId;
  }
  /** The server's ping interval in ms (0 until open). */
  get heartbeatMs() {
    return this.heartbeat;
  }
  /**
   * Listens to connection events: "connecting", "open", "reconnecting",
   * "closed", "state" (every change) and "error". Returns a function that
   * removes the listener.
   */
  on(name, fn) {
    if (this.st === "closed") {
      return () => {
      };
    }
    return this.emitter.on(name, fn);
  }
  /** Removes a listener added with on. */
  off(name, fn) {
    this.emitter.off(name, fn);
  }
  /**
   * Joins a room of module kind with params (any msgpack-encodable value;
   * the module turns them into a room id and decides whether this user may
   * join). Resolves with the room once the server has answered, its
   * snapshot in room.snapshot. Rejects with a ParlorError: "not_found" for
   * an unknown kind, "forbidden" or a module code when refused, "too_many",
   * "timeout", "disconnected", "closed".
   */
  join(kind, params, opts = {}) {
    let raw;
    try {
      raw = encodeData(params);
    } catch (err) {
      return Promise.reject(err);
    }
    const build = (ref) => ({ type: "join", ref, kind, params: raw, epoch: "", since: 0 });
    return this.request("join", build, (f) => this.joined(f, kind, raw), opts.timeout);
  }
  /** Makes the room of a join's answer; runs as the answer is dispatched. */
  joined(f, kind, raw) {
    if (f.type !== "joined") {
      throw new ParlorError("internal", "parlor: unexpected answer to join");
    }
    let snapshot;
    try {
      snapshot = decodeData(f.snapshot);
    } catch (err) {
      if (!this.cores.has(f.room)) {
        this.dropMembership(f.room);
      }
      throw err;
    }
    let core = this.cores.get(f.room);
    if (core && core.state === "rejoining") {
      this.revive(core, f.room, f.seq, snapshot, f.epoch);
    } else if (core) {
      core.seq = Math.max(core.seq, f.seq);
    } else {
      core = new RoomCore(f.room, kind, raw, f.seq, f.epoch);
      this.cores.set(f.room, core);
    }
    const room = new Room(this.host, core, snapshot);
    core.handles.add(room);
    return room;
  }
  /**
   * Closes the client for good: the WebSocket is closed with 1000, pending
   * requests reject with "closed", every room is left locally, and every
   * listener and timer of the client and its rooms is removed. "closed" is
   * emitted first. Calling it again does nothing.
   */
  close() {
    this.finish(1e3, "client closed");
  }
  /** Counts what the client still holds, for tests. @internal */
  _debug() {
    let roomListeners = 0;
    for (const core of this.cores.values()) {
      for (const h of core.handles) {
        roomListeners += h._listenerCount();
      }
    }
    return {
      listeners: this.emitter.count(),
      roomListeners,
      inflight: this.inflight.size,
      queued: this.queued.length,
      rooms: this.cores.size,
      socket: this.ws !== null
    };
  }
  // ---- what rooms call
  roomSend(core, event, data, opts) {
    if (typeof event !== "string" || event === "") {
      return Promise.reject(new ParlorError("bad_request", "parlor: event name required"));
    }
    let raw;
    try {
      raw = encodeData(data);
    } catch (err) {
      return Promise.reject(err);
    }
    const clientMsgId = opts.clientMsgId || this.msgIds.next();
    const build = (ref) => ({ type: "send", ref, room: core.id, event, data: raw, clientMsgId });
    const handle = (f) => {
      if (f.type !== "reply") {
        throw new ParlorError("internal", "parlor: unexpected answer to send");
      }
      return decodeData(f.data);
    };
    return this.request("send", build, handle, opts.timeout, core);
  }
  roomLeave(core) {
    const wasJoined = core.state === "joined";
    this.retire(core, new ParlorError("forbidden", "parlor: this room was left"));
    if (!wasJoined || this.st !== "open") {
      return Promise.resolve();
    }
    const build = (ref) => ({ type: "leave", ref, room: core.id });
    return this.request("leave", build, () => void 0).then(
      () => void 0,
      (err) => {
        if (err.code === "forbidden" || err.code === "disconnected" || err.code === "closed") {
          return;
        }
        throw err;
      }
    );
  }
  // ---- requests
  /**
   * Sends a request when the connection (and, for core, the room) is ready.
   * The answer (joined, or a successful reply) goes through handle
   * synchronously, while the frames after it in the same message wait, and
   * the promise resolves with handle's result.
   */
  request(kind, build, handle, timeout, core) {
    if (this.st === "closed") {
      return Promise.reject(new ParlorError("closed", "parlor: client closed"));
    }
    return new Promise((resolve, reject) => {
      try {
        this.encode(build(0));
      } catch (err) {
        reject(err);
        return;
      }
      const p = {
        ref: 0,
        build,
        resolve: (f) => {
          try {
            resolve(handle(f));
          } catch (err) {
            reject(err);
          }
        },
        reject,
        timer: void 0,
        kind,
        core
      };
      const ms = positive(timeout, this.timeout);
      p.timer = setTimeout(() => this.expire(p, ms), ms);
      if (core && core.state !== "joined") {
        core.waiting.push(this.waitFor(p));
      } else if (this.st === "open") {
        this.transmit(p);
      } else {
        this.queued.push(p);
      }
    });
  }
  /** A room's waiting entry for a request: sent when the room is joined again. */
  waitFor(p) {
    return { tag: p, run: () => this.transmit(p), fail: (err) => this.settle(p, err) };
  }
  /** Encodes a frame and checks it fits in one message. */
  encode(f) {
    const b = encodeFrame(f);
    if (b.length > this.maxMessageSize) {
      throw new ParlorError("too_large", `parlor: the request is ${b.length} bytes, more than ${this.maxMessageSize}`);
    }
    return b;
  }
  /** Writes a request on the open connection. */
  transmit(p) {
    if (this.st === "closed") {
      this.settle(p, new ParlorError("closed", "parlor: client closed"));
      return;
    }
    if (this.st !== "open") {
      this.queued.push(p);
      return;
    }
    p.ref = ++this.nextRef;
    let bytes;
    try {
      bytes = this.encode(p.build(p.ref));
    } catch (err) {
      this.settle(p, asParlorError(err));
      return;
    }
    this.inflight.set(p.ref, p);
    this.write(bytes);
  }
  /** Fails a request whose time is up. */
  expire(p, ms) {
    p.timer = void 0;
    if (p.ref !== 0 && this.inflight.get(p.ref) === p) {
      this.inflight.delete(p.ref);
      if (p.kind === "join" || p.kind === "rejoin") {
        this.abandoned.add(p.ref);
      }
    }
    removeFrom(this.queued, p);
    p.core?.unwait(p);
    this.settle(p, new ParlorError("timeout", `parlor: no reply within ${ms} ms`));
  }
  /** Rejects a request once, clearing its timer. */
  settle(p, err, f) {
    if (p.timer !== void 0) {
      clearTimeout(p.timer);
      p.timer = void 0;
    }
    const resolve = p.resolve;
    const reject = p.reject;
    p.resolve = noop;
    p.reject = noop;
    if (err) {
      reject(err);
    } else {
      resolve(f);
    }
  }
  // ---- connection
  /** Starts one connection attempt. */
  async open() {
    this.setState("connecting", { attempt: this.attempt });
    if (this.st !== "connecting") {
      return;
    }
    let token = "";
    if (typeof this.token === "function") {
      const attemptAt = this.attempt;
      try {
        token = await this.token();
      } catch (err) {
        if (this.st !== "connecting" || this.attempt !== attemptAt) {
          return;
        }
        this.emitter.emit("error", new ParlorError("unauthorized", `parlor: token: ${errText2(err)}`));
        this.lost(1006, "token callback failed");
        return;
      }
      if (this.st !== "connecting" || this.attempt !== attemptAt) {
        return;
      }
    } else if (this.token) {
      token = this.token;
    }
    const url = new URL(this.url.href);
    if (token) {
      url.searchParams.set("token", token);
    }
    let ws;
    try {
      ws = new this.WS(url.href, SUBPROTOCOL);
    } catch (err) {
      this.lost(1006, `cannot open WebSocket: ${errText2(err)}`);
      return;
    }
    this.ws = ws;
    ws.binaryType = "arraybuffer";
    ws.onopen = () => {
      if (this.ws !== ws) return;
      if (ws.protocol && ws.protocol !== SUBPROTOCOL) {
        this.abort(1002, `server chose subprotocol ${ws.protocol}`);
        return;
      }
      this.connectRef = ++this.nextRef;
      this.write(
        encodeFrame({ type: "connect", ref: this.connectRef, client: this.clientName, resumeToken: this.resumeToken })
      );
    };
    ws.onmessage = (ev) => {
      if (this.ws !== ws) return;
      this.receive(ev.data);
    };
    ws.onerror = () => {
      if (this.ws !== ws) return;
      this.abort(1006, "connection failed");
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.lost(ev.code || 1006, ev.reason || "", true);
    };
    this.handshakeTimer = setTimeout(() => {
      this.handshakeTimer = void 0;
      this.abort(1006, `no handshake within ${this.timeout} ms`);
    }, this.timeout);
  }
  /** Handles one WebSocket message. */
  receive(data) {
    const bytes = toBytes(data);
    if (!bytes) {
      this.emitter.emit("error", new ParlorError("bad_request", "parlor: the server sent a text message"));
      this.abort(1007, "malformed message from server");
      return;
    }
    try {
      decodeMessage(bytes, (f) => this.dispatch(f));
    } catch (err) {
      if (this.ws === null) {
        return;
      }
      this.emitter.emit("error", asParlorError(err));
      this.abort(1007, "malformed message from server");
    }
  }
  /** Routes one frame from the server. */
  dispatch(f) {
    if (this.ws === null) {
      return;
    }
    switch (f.type) {
      case "connected":
        if (f.ref === this.connectRef && this.st === "connecting") {
          this.opened(f);
        }
        return;
      case "joined":
      case "reply": {
        const p = this.inflight.get(f.ref);
        if (!p) {
          if (f.type === "joined" && this.abandoned.delete(f.ref) && !this.cores.has(f.room)) {
            this.dropMembership(f.room);
          }
          return;
        }
        this.inflight.delete(f.ref);
        if (f.type === "reply" && f.code !== "") {
          this.settle(p, new ParlorError(f.code, f.message));
        } else {
          this.settle(p, null, f);
        }
        return;
      }
      case "event":
        this.onEvent(f.room, f.seq, f.event, f.data);
        return;
      case "left": {
        const core = this.cores.get(f.room);
        if (!core || core.state !== "joined") return;
        if (f.reason === "shutdown") {
          core.state = "rejoining";
          return;
        }
        core.notice("$left", { reason: f.reason });
        this.retire(core, new ParlorError("forbidden", `parlor: removed from the room (${f.reason})`));
        return;
      }
      case "error":
        this.emitter.emit("error", new ParlorError(f.code, f.message));
        return;
      default:
        throw new ParlorError("bad_request", `parlor: the server sent a ${f.type} frame`);
    }
  }
  onEvent(id, seq, event, raw) {
    const core = this.cores.get(id);
    if (!core || core.state !== "joined") {
      return;
    }
    if (seq !== 0) {
      if (seq <= core.seq) {
        return;
      }
      if (seq > core.seq + 1) {
        core.notice("$gap", { expected: core.seq + 1, seq });
      }
      core.seq = seq;
    }
    let data;
    try {
      data = decodeData(raw);
    } catch (err) {
      this.emitter.emit("error", asParlorError(err));
      return;
    }
    core.deliver(event, data, { room: id, seq, event });
  }
  /** The handshake is done. */
  opened(f) {
    const { session, user, heartbeatMs, resumed } = f;
    clearTimer(this.handshakeTimer);
    this.handshakeTimer = void 0;
    this.sessionId = session;
    this.userId = user;
    this.heartbeat = heartbeatMs;
    this.resumeToken = f.resumeToken;
    const reconnected = this.everOpened;
    this.everOpened = true;
    this.attempt = 0;
    this.st = "open";
    for (const core of [...this.cores.values()]) {
      if (core.state === "rejoining" && core.rejoinTimer === void 0) {
        this.rejoin(core);
      }
    }
    for (const p of this.queued.splice(0)) {
      this.transmit(p);
    }
    const info = { session, user, heartbeatMs, reconnected, resumed };
    this.emitter.emit("open", info);
    this.emitter.emit("state", "open", info);
  }
  /**
   * Joins a room again after a reconnect, from its epoch and the last
   * ordered seq seen, so that the server can replay what was missed.
   */
  rejoin(core) {
    const build = (ref) => ({
      type: "join",
      ref,
      kind: core.kind,
      params: core.params,
      epoch: core.epoch,
      since: core.epoch === "" ? 0 : core.seq
    });
    const p = {
      ref: 0,
      build,
      kind: "rejoin",
      core,
      timer: void 0,
      resolve: (f) => {
        if (f.type !== "joined") {
          this.rejoinFailed(core, new ParlorError("internal", "parlor: unexpected answer to join"));
          return;
        }
        if (core.state === "left") {
          if (!this.cores.has(f.room)) this.dropMembership(f.room);
          return;
        }
        if (core.state !== "rejoining") {
          return;
        }
        if (f.recovered) {
          if (core.epoch === "" || f.epoch !== core.epoch) {
            this.rejoinFailed(core, new ParlorError("internal", "parlor: the server resumed the room in another epoch"));
            if (!this.cores.has(f.room)) this.dropMembership(f.room);
            return;
          }
          this.resume(core, f.room);
          return;
        }
        let snapshot;
        try {
          snapshot = decodeData(f.snapshot);
        } catch (err) {
          this.rejoinFailed(core, asParlorError(err));
          return;
        }
        this.revive(core, f.room, f.seq, snapshot, f.epoch);
      },
      reject: (err) => {
        if (core.state !== "rejoining") return;
        if (err.code === "closed") return;
        if (err.code === "disconnected") return;
        this.rejoinFailed(core, err);
      }
    };
    p.timer = setTimeout(() => this.expire(p, this.timeout), this.timeout);
    this.transmit(p);
  }
  /**
   * A membership is live again without recovery: new id, seq, epoch and
   * snapshot, which replaces what the room knew ("$rejoined"); waiting
   * sends go out.
   */
  revive(core, id, seq, snapshot, epoch) {
    const previousRoom = core.id;
    const previousSeq = core.seq;
    this.relive(core, id);
    core.seq = seq;
    core.epoch = epoch;
    for (const h of core.handles) h._setSnapshot(snapshot);
    core.notice("$rejoined", { room: id, previousRoom, seq, previousSeq, snapshot, epoch });
    core.flush();
  }
  /**
   * A membership is live again with recovery: the room keeps its state and
   * seq, and the missed events follow as ordinary events ("$resumed");
   * waiting sends go out after them.
   */
  resume(core, id) {
    const previousRoom = core.id;
    this.relive(core, id);
    core.notice("$resumed", { room: id, previousRoom, seq: core.seq, epoch: core.epoch });
    core.flush();
  }
  /** Marks a membership joined again under room id. */
  relive(core, id) {
    if (id !== core.id) {
      if (this.cores.get(core.id) === core) this.cores.delete(core.id);
      core.id = id;
      this.cores.set(id, core);
    }
    core.state = "joined";
    core.rejoinAttempts = 0;
    clearTimer(core.rejoinTimer);
    core.rejoinTimer = void 0;
  }
  /** A rejoin was refused: retry a transient refusal, else give the room up. */
  rejoinFailed(core, err) {
    if (transientCodes.has(err.code) && core.rejoinAttempts < maxRejoinAttempts && this.backoff) {
      core.rejoinAttempts++;
      const delay = this.delay(core.rejoinAttempts, false);
      core.rejoinTimer = setTimeout(() => {
        core.rejoinTimer = void 0;
        if (core.state === "rejoining" && this.st === "open") {
          this.rejoin(core);
        }
      }, delay);
      return;
    }
    core.notice("$left", { reason: "rejoin_failed", error: err });
    this.retire(core, err);
  }
  /** Removes a membership for good: its handles, listeners, timer and waiting work. */
  retire(core, err) {
    core.state = "left";
    clearTimer(core.rejoinTimer);
    core.rejoinTimer = void 0;
    if (this.cores.get(core.id) === core) {
      this.cores.delete(core.id);
    }
    for (const h of core.handles) {
      h._drop();
    }
    core.handles.clear();
    core.fail(err);
  }
  /** Tells the server to drop a membership nobody holds (fire and forget). */
  dropMembership(id) {
    if (this.st !== "open") return;
    const ref = ++this.nextRef;
    this.write(encodeFrame({ type: "leave", ref, room: id }));
  }
  /** Queues one frame; frames queued in the same task go out as one batch. */
  write(frame) {
    this.outbox.push(frame);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(() => this.flush());
    }
  }
  flush() {
    this.flushScheduled = false;
    const frames = this.outbox;
    this.outbox = [];
    const ws = this.ws;
    if (!ws || ws.readyState !== OPEN) {
      return;
    }
    let batch = [];
    let size = 0;
    const send = () => {
      if (batch.length === 0) return;
      const msg = batch.length === 1 ? batch[0] : concat(batch, size);
      batch = [];
      size = 0;
      try {
        ws.send(msg);
      } catch {
      }
    };
    for (const f of frames) {
      if (batch.length === MAX_FRAMES || size + f.length > this.maxMessageSize) {
        send();
      }
      batch.push(f);
      size += f.length;
    }
    send();
  }
  /** Closes the current socket from this side and handles it as lost. */
  abort(code, reason) {
    const ws = this.ws;
    if (!ws) return;
    this.detach();
    try {
      ws.close(1e3, reason.slice(0, 120));
    } catch {
    }
    this.lost(code, reason);
  }
  /** Drops the current socket's handlers. */
  detach() {
    const ws = this.ws;
    if (ws) {
      ws.onopen = ws.onclose = ws.onmessage = ws.onerror = null;
    }
    this.ws = null;
    this.outbox = [];
    clearTimer(this.handshakeTimer);
    this.handshakeTimer = void 0;
  }
  /**
   * The connection is gone: keep the unanswered sends for a resend, fail
   * the other requests in flight, then reconnect or give up. fromServer
   * says the code is the server's close code, not the client's own abort.
   */
  lost(code, reason, fromServer = false) {
    if (this.st === "closed") return;
    this.detach();
    const b = this.backoff;
    const final = fromServer ? finalCodes.get(code) : void 0;
    let giveUp;
    if (final !== void 0) {
      giveUp = new ParlorError("closed", `parlor: ${final}; not reconnecting`);
    } else if (!b) {
      giveUp = new ParlorError("closed", `parlor: connection lost (close ${code}) and reconnect is off`);
    } else if (this.attempt >= b.maxAttempts) {
      giveUp = new ParlorError("closed", `parlor: connection lost (close ${code}); gave up after ${this.attempt} attempts`);
    }
    const inflight = [...this.inflight.values()];
    this.inflight.clear();
    this.abandoned.clear();
    for (const core of this.cores.values()) {
      if (core.state === "joined") {
        core.state = "rejoining";
      }
      clearTimer(core.rejoinTimer);
      core.rejoinTimer = void 0;
      core.rejoinAttempts = 0;
    }
    const resend = /* @__PURE__ */ new Map();
    for (const p of inflight) {
      if (giveUp === void 0 && p.kind === "send" && p.core && p.core.state === "rejoining") {
        p.ref = 0;
        const list = resend.get(p.core);
        if (list) list.push(p);
        else resend.set(p.core, [p]);
      } else if (p.kind === "rejoin") {
        this.settle(p, new ParlorError("disconnected", "parlor: connection lost"));
      } else {
        this.settle(p, new ParlorError("disconnected", "parlor: connection lost before the reply; the request may or may not have been applied"));
      }
    }
    for (const [core, list] of resend) {
      core.waiting.unshift(...list.map((p) => this.waitFor(p)));
    }
    if (giveUp !== void 0) {
      if (final !== void 0) {
        this.emitter.emit("error", giveUp);
      }
      this.finish(code, reason, giveUp);
      return;
    }
    this.attempt++;
    const delay = this.delay(this.attempt, slowCodes.has(code) && !fromServer);
    const info = { attempt: this.attempt, delay, code, reason };
    this.st = "reconnecting";
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = void 0;
      void this.open();
    }, delay);
    this.emitter.emit("reconnecting", info);
    this.emitter.emit("state", "reconnecting", info);
  }
  /** The backoff delay of an attempt: exponential, capped, with full jitter in [0, d). */
  delay(attempt, slow) {
    const b = this.backoff;
    const d = slow ? b.maxDelay : Math.min(b.maxDelay, b.initialDelay * Math.pow(b.factor, attempt - 1));
    return Math.floor(Math.random() * d);
  }
  /** Ends the client for good; err, when the client gave up by itself. */
  finish(code, reason, err) {
    if (this.st === "closed") return;
    const ws = this.ws;
    this.detach();
    if (ws) {
      try {
        ws.close(1e3, "client closed");
      } catch {
      }
    }
    this.st = "closed";
    clearTimer(this.reconnectTimer);
    this.reconnectTimer = void 0;
    const closed = err ?? new ParlorError("closed", "parlor: client closed");
    const pending = [...this.inflight.values(), ...this.queued];
    this.inflight.clear();
    this.queued.length = 0;
    this.abandoned.clear();
    const cores = [...this.cores.values()];
    this.cores.clear();
    for (const core of cores) {
      this.retire(core, closed);
    }
    for (const p of pending) {
      this.settle(p, closed);
    }
    const info = err ? { code, reason, error: err } : { code, reason };
    this.emitter.emit("closed", info);
    this.emitter.emit("state", "closed", info);
    this.emitter.clear();
  }
  setState(st, info) {
    this.st = st;
    this.emitter.emit(st, info);
    this.emitter.emit("state", st, info);
  }
};
function parseURL(url) {
  const base = globalThis.location?.href;
  let u;
  try {
    u = base ? new URL(url, base) : new URL(url);
  } catch {
    throw new TypeError(`parlor: invalid URL ${JSON.stringify(url)}`);
  }
  if (u.protocol === "http:") u.protocol = "ws:";
  else if (u.protocol === "https:") u.protocol = "wss:";
  if (u.protocol !== "ws:" && u.protocol !== "wss:") {
    throw new TypeError(`parlor: URL must be ws:, wss:, http: or https:, not ${u.protocol}`);
  }
  u.hash = "";
  return u;
}
function positive(v, def) {
  return typeof v === "number" && v > 0 && Number.isFinite(v) ? v : def;
}
function clearTimer(t) {
  if (t !== void 0) clearTimeout(t);
}
function removeFrom(list, x) {
  const i = list.indexOf(x);
  if (i >= 0) list.splice(i, 1);
}
function concat(parts, size) {
  const out = new Uint8Array(size);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
function asParlorError(err) {
  return err instanceof ParlorError ? err : new ParlorError("internal", errText2(err));
}
function errText2(err) {
  return err instanceof Error ? err.message : String(err);
}
function noop() {
}
var MsgIdSource = class {
  constructor() {
    this.count = 0;
    const b = new Uint8Array(8);
    const c = globalThis.crypto;
    if (c && typeof c.getRandomValues === "function") {
      c.getRandomValues(b);
    } else {
      for (let i = 0; i < b.length; i++) b[i] = Math.floor(Math.random() * 256);
    }
    let s = "c_";
    for (const x of b) s += (x < 16 ? "0" : "") + x.toString(16);
    this.prefix = s;
  }
  /** The next id. */
  next() {
    this.count++;
    return this.prefix + this.count.toString(16).padStart(16, "0");
  }
};
function toBytes(data) {
  if (data instanceof ArrayBuffer || Object.prototype.toString.call(data) === "[object ArrayBuffer]") {
    return new Uint8Array(data);
  }
  if (ArrayBuffer.isView(data)) {
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
  return null;
}
export {
  Codes,
  FrameTypes,
  MAX_DEPTH,
  MAX_FRAMES,
  MAX_ID_LEN,
  MAX_NAME_LEN,
  MAX_TEXT_LEN,
  ParlorError,
  SUBPROTOCOL,
  VERSION,
  connect,
  decodeData,
  decodeFrame,
  decodeFrames,
  decodeMessage,
  encodeData,
  encodeFrame,
  encodeFrames,
  isParlorError,
  validateMessage
};
/*! @msgpack/msgpack license:

 * Copyright 2019 The MessagePack Community.
 *
 * Permission to use, copy, modify, and/or distribute this software for any purpose with or without fee is hereby granted, provided that the above copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */
