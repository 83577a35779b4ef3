/*! parlor.js 0.1.0: the Parlor browser SDK (protocol parlor.v1). MIT License.
 * Generated from js/src by js/scripts/build.mjs. Do not edit: run `npm run build` in js/. */

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
var knownFields = [0, 5, 7, 6, 7, 3, 6, 5, 5, 3, 3];
var Features = {
  /**
   * The client joins a room again on the same connection when the server
   * sends a left frame with reason "moved" (the room moved to another node
   * of a cluster), instead of being closed with 1012.
   */
  roomMoves: 1
};
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
      const features = n > 4 ? r.uint() : 0;
      f = { type, ref, client, resumeToken, features };
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
      w.byte(f.features ? 149 : 148, 1);
      w.uint(f.ref, "ref");
      w.str(f.client, MAX_NAME_LEN, "client");
      w.str(f.resumeToken ?? "", MAX_ID_LEN, "resume_token");
      if (f.features) w.uint(f.features, "features");
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

// src/msgpack.ts
var encoder = new TextEncoder();
var decoder = new TextDecoder("utf-8");
var maxEncodeDepth = 100;
function encodeValue(v) {
  const w = new Out();
  put(w, v, 0);
  return w.buf.slice(0, w.len);
}
var Out = class {
  constructor() {
    this.buf = new Uint8Array(64);
    this.len = 0;
    this.view = new DataView(this.buf.buffer);
  }
  room(n) {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u8(x) {
    this.room(1);
    this.buf[this.len++] = x;
  }
  /** A type byte and an n-byte big-endian unsigned length or value. */
  head(t, x, n) {
    this.room(1 + n);
    this.buf[this.len++] = t;
    if (n === 1) this.view.setUint8(this.len, x);
    else if (n === 2) this.view.setUint16(this.len, x);
    else if (n === 4) this.view.setUint32(this.len, x);
    this.len += n;
  }
  bytes(b) {
    this.room(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
};
function len(w, n, fixBase, fixMax, t8, t16) {
  if (n <= fixMax) w.u8(fixBase | n);
  else if (t8 && n <= 255) w.head(t8, n, 1);
  else if (n <= 65535) w.head(t16, n, 2);
  else w.head(t16 + 1, n, 4);
}
function put(w, v, depth) {
  if (depth > maxEncodeDepth) throw bad("too deeply nested (a cycle?)");
  switch (typeof v) {
    case "undefined":
      w.u8(192);
      return;
    case "boolean":
      w.u8(v ? 195 : 194);
      return;
    case "number":
      return num(w, v);
    case "string": {
      const b = encoder.encode(v);
      len(w, b.length, 160, 31, 217, 218);
      w.bytes(b);
      return;
    }
    case "object":
      break;
    default:
      throw bad(`cannot encode a ${typeof v}`);
  }
  if (v === null) {
    w.u8(192);
    return;
  }
  if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) {
    const b = v instanceof ArrayBuffer ? new Uint8Array(v) : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
    len(w, b.length, 0, -1, 196, 197);
    w.bytes(b);
    return;
  }
  if (Array.isArray(v)) {
    len(w, v.length, 144, 15, 0, 220);
    for (const x of v) put(w, x, depth + 1);
    return;
  }
  if (v instanceof Date) throw bad("Date");
  const entries = v instanceof Map ? [...v] : Object.keys(v).map((k) => [k, v[k]]);
  const kept = entries.filter((e) => e[1] !== void 0);
  len(w, kept.length, 128, 15, 0, 222);
  for (const [k, x] of kept) {
    put(w, k, depth + 1);
    put(w, x, depth + 1);
  }
}
function num(w, v) {
  if (!Number.isSafeInteger(v)) {
    w.u8(203);
    w.room(8);
    w.view.setFloat64(w.len, v);
    w.len += 8;
  } else if (v >= 0) {
    if (v <= 127) w.u8(v);
    else if (v <= 255) w.head(204, v, 1);
    else if (v <= 65535) w.head(205, v, 2);
    else if (v <= 4294967295) w.head(206, v, 4);
    else int64(w, 207, v);
  } else if (v >= -32) {
    w.u8(v & 255);
  } else if (v >= -128) {
    w.head(208, v & 255, 1);
  } else if (v >= -32768) {
    w.head(209, v & 65535, 2);
  } else if (v >= -2147483648) {
    w.head(210, v >>> 0, 4);
  } else {
    int64(w, 211, v);
  }
}
function int64(w, t, v) {
  const hi = Math.floor(v / 4294967296);
  w.u8(t);
  w.room(8);
  w.view.setInt32(w.len, hi);
  w.view.setUint32(w.len + 4, v - hi * 4294967296);
  w.len += 8;
}
function bad(what) {
  return new ParlorError("bad_request", `parlor: cannot encode payload: ${what}`);
}
function decodeValue(b) {
  const r = { b, v: new DataView(b.buffer, b.byteOffset, b.byteLength), p: 0 };
  const out = get(r);
  if (r.p !== b.length) throw new ParlorError("bad_request", "parlor: trailing bytes after the payload");
  return out;
}
function get(r) {
  const c = r.b[r.p++];
  if (c <= 127) return c;
  if (c >= 224) return c - 256;
  if (c >= 160 && c <= 191) return str(r, c & 31);
  if (c >= 144 && c <= 159) return arr(r, c & 15);
  if (c >= 128 && c <= 143) return map(r, c & 15);
  const v = r.v;
  const p = r.p;
  switch (c) {
    case 192:
      return null;
    case 194:
      return false;
    case 195:
      return true;
    case 196:
    case 197:
    case 198: {
      const n = c === 196 ? v.getUint8(p) : c === 197 ? v.getUint16(p) : v.getUint32(p);
      r.p += 1 << c - 196;
      const out = r.b.slice(r.p, r.p + n);
      r.p += n;
      return out;
    }
    case 202:
      r.p += 4;
      return v.getFloat32(p);
    case 203:
      r.p += 8;
      return v.getFloat64(p);
    case 204:
      r.p += 1;
      return v.getUint8(p);
    case 205:
      r.p += 2;
      return v.getUint16(p);
    case 206:
      r.p += 4;
      return v.getUint32(p);
    case 207:
      r.p += 8;
      return v.getUint32(p) * 4294967296 + v.getUint32(p + 4);
    case 208:
      r.p += 1;
      return v.getInt8(p);
    case 209:
      r.p += 2;
      return v.getInt16(p);
    case 210:
      r.p += 4;
      return v.getInt32(p);
    case 211:
      r.p += 8;
      return v.getInt32(p) * 4294967296 + v.getUint32(p + 4);
    case 217:
      r.p += 1;
      return str(r, v.getUint8(p));
    case 218:
      r.p += 2;
      return str(r, v.getUint16(p));
    case 219:
      r.p += 4;
      return str(r, v.getUint32(p));
    case 220:
      r.p += 2;
      return arr(r, v.getUint16(p));
    case 221:
      r.p += 4;
      return arr(r, v.getUint32(p));
    case 222:
      r.p += 2;
      return map(r, v.getUint16(p));
    case 223:
      r.p += 4;
      return map(r, v.getUint32(p));
  }
  throw new ParlorError("bad_request", `parlor: cannot decode payload: type 0x${c.toString(16)}`);
}
function str(r, n) {
  const s = decoder.decode(r.b.subarray(r.p, r.p + n));
  r.p += n;
  return s;
}
function arr(r, n) {
  const out = new Array(n);
  for (let i = 0; i < n; i++) out[i] = get(r);
  return out;
}
function map(r, n) {
  const out = {};
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

// src/data.ts
function encodeData(value) {
  if (value === void 0) {
    return new Uint8Array(0);
  }
  let b;
  try {
    b = encodeValue(value);
  } catch (err) {
    if (err instanceof ParlorError && err.message.endsWith(": Date")) {
      throw new ParlorError(
        "bad_request",
        "parlor: payloads may not hold msgpack ext values such as Date; send times as milliseconds"
      );
    }
    if (err instanceof ParlorError) throw err;
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
    return decodeValue(raw);
  } catch (err) {
    if (err instanceof ParlorError) throw err;
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

// src/outbox.ts
var defaultOutboxEntries = 100;
var defaultOutboxBytes = 256 * 1024;
var PersistentOutbox = class {
  constructor(opts) {
    if (!opts.key) throw new TypeError("parlor: persistOutbox.key is required");
    this.key = opts.key;
    this.maxEntries = opts.maxEntries && opts.maxEntries > 0 ? opts.maxEntries : defaultOutboxEntries;
    this.maxBytes = opts.maxBytes && opts.maxBytes > 0 ? opts.maxBytes : defaultOutboxBytes;
    this.storage = opts.storage ?? globalThis.localStorage;
  }
  // Every call reads the storage afresh: tabs that share the key each
  // write the list, and one written from a copy read earlier would drop
  // what another tab kept meanwhile.
  /** The kept sends, oldest first. */
  entries() {
    return this.load();
  }
  /** Keeps a send (replacing one with the same id); a ParlorError when it does not fit. */
  add(e) {
    const next = this.load().filter((x) => x.id !== e.id);
    next.push(e);
    if (next.length > this.maxEntries) {
      return new ParlorError("limit_exceeded", `parlor: the outbox holds ${this.maxEntries} sends already`);
    }
    const json = JSON.stringify(next);
    if (json.length > this.maxBytes) {
      return new ParlorError("limit_exceeded", `parlor: the outbox would exceed ${this.maxBytes} bytes`);
    }
    this.save(json);
    return null;
  }
  /** Forgets a send. */
  remove(id) {
    const list = this.load();
    const next = list.filter((x) => x.id !== id);
    if (next.length === list.length) return;
    this.save(next.length === 0 ? "" : JSON.stringify(next));
  }
  load() {
    let raw = null;
    try {
      raw = this.storage?.getItem(this.key) ?? null;
    } catch {
      return [];
    }
    if (!raw) return [];
    try {
      const v = JSON.parse(raw);
      if (!Array.isArray(v)) return [];
      return v.filter(isEntry).slice(0, this.maxEntries);
    } catch {
      return [];
    }
  }
  save(json) {
    try {
      if (json === "") this.storage?.removeItem(this.key);
      else this.storage?.setItem(this.key, json);
    } catch {
    }
  }
};
function isEntry(x) {
  if (typeof x !== "object" || x === null) return false;
  const e = x;
  return ["id", "kind", "params", "event", "data"].every((k) => typeof e[k] === "string");
}
function toBase64(b) {
  let s = "";
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return btoa(s);
}
function fromBase64(s) {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

// src/presence.ts
function toStatus(t) {
  const a = Array.isArray(t) ? t : [];
  return { user: String(a[0] ?? ""), status: a[1] ?? "offline", lastSeen: Number(a[2] ?? 0) };
}
var Presence = class {
  /** @internal */
  constructor(host) {
    this.host = host;
    this.watched = /* @__PURE__ */ new Set();
    this.hid = false;
  }
  /** The users watched, in the order they were first watched. */
  get watching() {
    return [...this.watched];
  }
  /** Whether this client hid its user's status. */
  get hidden() {
    return this.hid;
  }
  /**
   * Watches users and resolves with their current statuses, in the order
   * asked; later changes come as "presence" events of the client. Rejects
   * with "limit_exceeded" when the server's watch bound would be passed,
   * "rate_limited" when the user starts watching users faster than the
   * server allows (try again later; in both cases nothing of that call is
   * watched), "bad_request" for an empty or too long id.
   */
  async watch(users) {
    const room = await this.host.userRoom();
    const reply = await room.send("presence.watch", { users }, { persist: false });
    for (const u of users) this.watched.add(u);
    return (reply?.statuses ?? []).map(toStatus);
  }
  /** Stops watching users. */
  async unwatch(users) {
    for (const u of users) this.watched.delete(u);
    const room = await this.host.userRoom();
    await room.send("presence.unwatch", { users }, { persist: false });
  }
  /**
   * Hides this user's status from every watcher (they see offline), or
   * shows it again. Rejects with "rate_limited" when the user changes it
   * faster than the server allows (the status stays as it was; try again
   * later); asking for the status the user has already is never refused.
   */
  async hide(hidden) {
    const room = await this.host.userRoom();
    await room.send("presence.hide", { hidden }, { persist: false });
    this.hid = hidden;
  }
  /**
   * Follows the user channel's events and rejoins. A channel joined anew
   * (after the last one was left, refused on a rejoin, say) gets the
   * watch list and the hidden choice at once. @internal
   */
  _attach(room) {
    room.on("presence", (t) => this.host.emitPresence(toStatus(t)));
    const restore = () => void this.restore(room);
    room.on("$resumed", restore);
    room.on("$rejoined", restore);
    restore();
  }
  /** Sends the watch list and the hidden choice again after a rejoin. */
  async restore(room) {
    try {
      if (this.hid) {
        await room.send("presence.hide", { hidden: true }, { persist: false });
      }
      const users = [...this.watched];
      if (users.length === 0) return;
      const reply = await room.send("presence.watch", { users }, { persist: false });
      for (const t of reply?.statuses ?? []) this.host.emitPresence(toStatus(t));
    } catch {
    }
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
    // eslint-disable-line @typescript-eslint/no-explicit-any
    /** Work that waits until the room is joined again. */
    this.waiting = [];
    this.state = "joined";
    /** Refused rejoins that count toward giving the room up (not unavailable). */
    this.rejoinAttempts = 0;
    /** Refused rejoins of any transient code, which set the backoff's delay. */
    this.rejoinRetries = 0;
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

// src/types/user.ts
var UserKind = "user";
var PresenceStates = { Online: "online", Away: "away", Offline: "offline" };

// src/version.ts
var VERSION = "0.1.0";

// src/client.ts
var SUBPROTOCOL = "parlor.v1";
var maxTries = 3;
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
    /** When the current connection opened (Date.now()), for the backoff's reset. */
    this.openedAt = 0;
    /** The pauses before refused leaves are sent again, with their promises' resolve. */
    this.leaveTimers = /* @__PURE__ */ new Map();
    /** Requests sent on the current socket, by ref. */
    this.inflight = /* @__PURE__ */ new Map();
    /** Requests waiting for the connection to open. */
    this.queued = [];
    /** Join refs that timed out: a late joined gets a leave. */
    this.abandoned = /* @__PURE__ */ new Map();
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
    /** The join of the user channel, once asked for; null again once it is left. */
    this.userJoin = null;
    this.userHandle = null;
    /**
     * The presence of other users, through the user channel: watch, unwatch
     * and hide. Status changes come as the client's "presence" events.
     */
    this.presence = new Presence({
      userRoom: () => this.joinUserChannel(),
      emitPresence: (p) => this.emitter.emit("presence", p)
    });
    const WS = opts.WebSocket ?? globalThis.WebSocket;
    if (!WS) {
      throw new TypeError("parlor: no WebSocket implementation: pass options.WebSocket");
    }
    this.WS = WS;
    this.url = parseURL(url);
    this.token = opts.token;
    this.timeout = positive(opts.requestTimeout, 1e4);
    this.dialTimeout = Math.min(positive(opts.dialTimeout, 5e3), this.timeout);
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
    if (opts.persistOutbox) {
      this.persisted = new PersistentOutbox(opts.persistOutbox);
    }
    queueMicrotask(() => {
      if (this.st !== "closed") {
        void this.open();
        this.replayOutbox();
        if (opts.userChannel) {
          this.joinUserChannel().catch((err) => {
            if (err.code !== "closed") this.emitter.emit("error", err);
          });
        }
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
  /** True while the connection is open (state "open"). */
  get connected() {
    return this.st === "open";
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
  join(kind, params, opts = {}) {
    let raw;
    try {
      raw = encodeData(params);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.joinRaw(kind, raw, opts.timeout);
  }
  /** Joins with encoded params. */
  joinRaw(kind, raw, timeout) {
    const build = (ref) => ({ type: "join", ref, kind, params: raw, epoch: "", since: 0 });
    return this.request("join", build, (f) => this.joined(f, kind, raw), timeout);
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
   * The user channel once joined (see joinUserChannel), else null. Its
   * ordered events are the notifications the server's modules send, under
   * their own names: client.userChannel.on("challenge", fn).
   */
  get userChannel() {
    return this.userHandle?.state === "left" ? null : this.userHandle;
  }
  /**
   * Joins the user's own channel (kind "user") once, and resolves with it;
   * later calls share the same room until it is left. The client rejoins
   * it after every reconnect with its epoch and last seq, so notifications
   * sent meanwhile are replayed, and sends the presence watch list again.
   */
  joinUserChannel() {
    if (this.userHandle?.state === "left") {
      this.userJoin = null;
      this.userHandle = null;
    }
    if (this.userJoin === null) {
      const join = this.joinRaw(UserKind, encodeData(void 0));
      this.userJoin = join;
      join.then(
        (room) => {
          if (this.userJoin !== join) return;
          this.userHandle = room;
          this.presence._attach(room);
        },
        () => {
          if (this.userJoin === join) this.userJoin = null;
        }
      );
    }
    return this.userJoin;
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
    return this.sendRaw(core, event, raw, opts.clientMsgId || this.msgIds.next(), opts);
  }
  /** Sends an encoded event, kept in the persistent outbox until answered. */
  sendRaw(core, event, raw, clientMsgId, opts) {
    const outbox = opts.persist === false ? void 0 : this.persisted;
    if (outbox) {
      const full = outbox.add({ id: clientMsgId, kind: core.kind, params: toBase64(core.params), event, data: toBase64(raw) });
      if (full) return Promise.reject(full);
    }
    const build = (ref) => ({ type: "send", ref, room: core.id, event, data: raw, clientMsgId });
    const handle = (f) => {
      if (f.type !== "reply") {
        throw new ParlorError("internal", "parlor: unexpected answer to send");
      }
      return decodeData(f.data);
    };
    const sent = this.request("send", build, handle, opts.timeout, core);
    if (!outbox) return sent;
    return sent.then(
      (reply) => {
        outbox.remove(clientMsgId);
        return reply;
      },
      (err) => {
        if (err.code !== "timeout" && err.code !== "disconnected" && err.code !== "closed") {
          outbox.remove(clientMsgId);
        }
        throw err;
      }
    );
  }
  /**
   * Resends what an earlier page kept in the persistent outbox: joins each
   * room (sharing the membership with the application's own join of it),
   * resends its sends in order with their client_msg_id, reports each
   * answer as an "outbox" event, and lets go of the room.
   */
  replayOutbox() {
    const outbox = this.persisted;
    if (!outbox) return;
    const groups = /* @__PURE__ */ new Map();
    for (const e of outbox.entries()) {
      const k = e.kind + "\n" + e.params;
      const list = groups.get(k);
      if (list) list.push(e);
      else groups.set(k, [e]);
    }
    for (const list of groups.values()) {
      const first = list[0];
      const report = (e, r) => this.emitter.emit("outbox", { clientMsgId: e.id, kind: e.kind, event: e.event, ...r });
      let params;
      try {
        params = fromBase64(first.params);
      } catch {
        for (const e of list) outbox.remove(e.id);
        continue;
      }
      this.joinRaw(first.kind, params).then(
        (room) => {
          const sends = list.map((e) => {
            let data;
            try {
              data = fromBase64(e.data);
            } catch {
              outbox.remove(e.id);
              return Promise.resolve();
            }
            return this.sendRaw(room._core, e.event, data, e.id, {}).then(
              (reply) => report(e, { reply }),
              (error) => {
                if (!outbox.entries().some((x) => x.id === e.id)) report(e, { error });
              }
            );
          });
          void Promise.all(sends).then(() => room.leave());
        },
        (error) => {
          if (error.code === "timeout" || error.code === "disconnected" || error.code === "closed") return;
          for (const e of list) {
            outbox.remove(e.id);
            report(e, { error });
          }
        }
      );
    }
  }
  roomLeave(core) {
    const wasJoined = core.state === "joined";
    this.retire(core, new ParlorError("forbidden", "parlor: this room was left"));
    if (!wasJoined || this.st !== "open") {
      return Promise.resolve();
    }
    const next = this.joinInFlight(core.kind, core.params);
    if (next) {
      next.leaveIfRefused = core.id;
      return Promise.resolve();
    }
    const ws = this.ws;
    const attempt = async (n) => {
      try {
        await this.request("leave", (ref) => ({ type: "leave", ref, room: core.id }), () => void 0);
      } catch (e) {
        const err = e;
        if (err.code === "forbidden" || err.code === "disconnected" || err.code === "closed") {
          return;
        }
        if (!transientCodes.has(err.code) || n > maxRejoinAttempts || !this.backoff) {
          throw err;
        }
        await new Promise((resolve) => {
          const t = setTimeout(() => {
            this.leaveTimers.delete(t);
            resolve();
          }, this.delay(n, false));
          this.leaveTimers.set(t, resolve);
        });
        if (this.ws === ws && this.st === "open" && !this.cores.has(core.id) && !this.joinInFlight(core.kind, core.params)) await attempt(n + 1);
      }
    };
    return attempt(1);
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
  /**
   * Whether a join in flight goes to the room that gaveUp, a join that
   * timed out, was answered for: a retry (the same kind and params) or a
   * rejoin of room. Its answer holds the room, and a leave sent now would
   * reach the server after it and take the room from under it.
   */
  joining(gaveUp, room) {
    for (const p of this.inflight.values()) {
      if (p.kind === "rejoin" && p.core?.id === room) {
        return true;
      }
    }
    const want = gaveUp.build(0);
    return want.type === "join" && this.joinInFlight(want.kind, want.params) !== void 0;
  }
  /** A join in flight of kind with params, or undefined. */
  joinInFlight(kind, params) {
    for (const p of this.inflight.values()) {
      if (p.kind !== "join") continue;
      const f = p.build(0);
      if (f.type === "join" && f.kind === kind && sameBytes(f.params, params)) {
        return p;
      }
    }
    return void 0;
  }
  /** Fails a request whose time is up. */
  expire(p, ms) {
    p.timer = void 0;
    if (p.ref !== 0 && this.inflight.get(p.ref) === p) {
      this.inflight.delete(p.ref);
      if (p.kind === "join" || p.kind === "rejoin") {
        this.abandoned.set(p.ref, p);
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
    if (err && p.leaveIfRefused !== void 0) {
      this.dropMembership(p.leaveIfRefused);
      p.leaveIfRefused = void 0;
    }
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
        encodeFrame({
          type: "connect",
          ref: this.connectRef,
          client: this.clientName,
          resumeToken: this.resumeToken,
          // Without reconnects a moved room cannot be joined again: the
          // server closes the connection instead.
          features: this.backoff ? Features.roomMoves : 0
        })
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
      this.abort(1006, `not connected within ${this.dialTimeout} ms`);
    }, this.dialTimeout);
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
          const gaveUp = this.abandoned.get(f.ref);
          if (f.type === "joined" && gaveUp) {
            this.abandoned.delete(f.ref);
            if (!this.cores.has(f.room) && !this.joining(gaveUp, f.room)) {
              this.dropMembership(f.room);
            }
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
        if (f.reason === "moved") {
          if (core) this.moved(core);
          else this.failMovedSends(f.room);
          return;
        }
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
    this.openedAt = Date.now();
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
    this.emitter.emit("connected", info);
    this.emitter.emit("state", "open", info);
  }
  /**
   * The room moved to another node of the server's cluster (a left frame
   * with reason "moved"): this connection is out of it, its other rooms
   * are not. It is joined again at once, from its epoch and last seq; its
   * sends without a reply go out again after that, in their order and with
   * their client_msg_id (the server applies each once), ahead of the sends
   * made meanwhile. A late answer to their first writing is ignored.
   */
  moved(core) {
    if (core.state === "left" || this.st !== "open" || !this.backoff) return;
    if (core.state === "rejoining") {
      if (core.rejoinTimer !== void 0) return;
      for (const p of this.inflight.values()) {
        if (p.kind === "rejoin" && p.core === core) return;
      }
    }
    core.state = "rejoining";
    const resend = [];
    for (const [ref, p] of this.inflight) {
      if (p.kind === "send" && p.core === core) {
        this.inflight.delete(ref);
        p.ref = 0;
        resend.push(p);
      }
    }
    core.waiting.unshift(...resend.map((p) => this.waitFor(p)));
    this.rejoin(core);
  }
  /**
   * Fails the sends to a room that moved and that is not tracked (it was
   * being left): the server leaves them unanswered, to be sent again after
   * a rejoin that will not come.
   */
  failMovedSends(room) {
    for (const [ref, p] of this.inflight) {
      if (p.kind === "send" && p.core?.id === room) {
        this.inflight.delete(ref);
        this.settle(
          p,
          new ParlorError("unavailable", "parlor: the room moved while it was being left; the send may or may not have been applied")
        );
      }
    }
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
    core.rejoinRetries = 0;
    clearTimer(core.rejoinTimer);
    core.rejoinTimer = void 0;
  }
  /** A rejoin was refused: retry a transient refusal, else give the room up. */
  rejoinFailed(core, err) {
    const counts = err.code !== "unavailable";
    if (transientCodes.has(err.code) && (!counts || core.rejoinAttempts < maxRejoinAttempts) && this.backoff) {
      if (counts) core.rejoinAttempts++;
      else core.fail(err);
      core.rejoinRetries++;
      const delay = this.delay(core.rejoinRetries, false);
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
    const wasOpen = this.st === "open";
    this.detach();
    const b = this.backoff;
    if (wasOpen && b && Date.now() - this.openedAt >= b.maxDelay) {
      this.attempt = 0;
    }
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
      core.rejoinRetries = 0;
    }
    const tooLarge = fromServer && code === 1009;
    const resend = /* @__PURE__ */ new Map();
    for (const p of inflight) {
      if (p.kind === "send") p.tries = (p.tries ?? 0) + 1;
      if (tooLarge && p.kind !== "rejoin") {
        this.settle(p, new ParlorError("too_large", "parlor: close 1009 (too large); the request may or may not have been applied"));
      } else if (p.kind === "send" && (p.tries ?? 0) >= maxTries) {
        this.settle(p, new ParlorError("disconnected", "parlor: connection lost before the reply 3 times; the request may or may not have been applied"));
      } else if (giveUp === void 0 && p.kind === "send" && p.core && p.core.state === "rejoining") {
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
    if (wasOpen) {
      this.st = "reconnecting";
      const d = { code, reason, willRetry: giveUp === void 0 };
      this.emitter.emit("disconnected", d);
      if (this.st === "closed") return;
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
    if (this.st === "open") {
      const d = { code, reason, willRetry: false };
      this.emitter.emit("disconnected", d);
      if (this.st === "closed") return;
    }
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
    for (const [timer, resolve] of this.leaveTimers) {
      clearTimer(timer);
      resolve();
    }
    this.leaveTimers.clear();
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
function sameBytes(a, b) {
  if (a.length !== b.length) {
    return false;
  }
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) {
      return false;
    }
  }
  return true;
}

// src/types/chat.ts
var ChatKinds = { DM: "chat.dm", Group: "chat.group", Inbox: "chat.inbox" };

// src/types/games.ts
var GameKinds = { TicTacToe: "games.tictactoe", Chess: "games.chess" };
var MatchStatus = { Waiting: "waiting", Playing: "playing", Over: "over" };
var GameCodes = { NotYourTurn: "not_your_turn", IllegalMove: "illegal_move", GameOver: "game_over", NotPlayer: "not_player" };
export {
  ChatKinds,
  Codes,
  Features,
  FrameTypes,
  GameCodes,
  GameKinds,
  MAX_DEPTH,
  MAX_FRAMES,
  MAX_ID_LEN,
  MAX_NAME_LEN,
  MAX_TEXT_LEN,
  MatchStatus,
  ParlorError,
  PresenceStates,
  SUBPROTOCOL,
  UserKind,
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
