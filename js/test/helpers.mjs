// Test doubles for the client: a fake WebSocket driven by the test as the
// server, and a fake clock that replaces the global timers.

import assert from "node:assert/strict";
import { decodeFrames, encodeFrames } from "../build/parlor.js";

/** Lets pending microtasks and promise callbacks run. */
export function tick() {
  return new Promise((resolve) => setImmediate(resolve));
}

export function hex(s) {
  return new Uint8Array(Buffer.from(s, "hex"));
}

export function toHex(b) {
  return Buffer.from(b).toString("hex");
}

/**
 * A WebSocket the test controls. It enforces what browsers enforce: send
 * only when open, and close codes 1000 or 3000-4999 only.
 */
export class FakeWS {
  static instances = [];

  static reset() {
    FakeWS.instances = [];
  }

  static last() {
    return FakeWS.instances[FakeWS.instances.length - 1];
  }

  constructor(url, protocols) {
    this.url = url;
    this.protocols = protocols;
    this.readyState = 0;
    this.protocol = "";
    this.binaryType = "blob";
    this.messages = [];
    this.closedWith = null;
    this.onopen = null;
    this.onclose = null;
    this.onmessage = null;
    this.onerror = null;
    FakeWS.instances.push(this);
  }

  send(data) {
    if (this.readyState !== 1) {
      throw new Error("InvalidStateError: not open");
    }
    assert.ok(data instanceof Uint8Array, "the client sends binary messages");
    this.messages.push(new Uint8Array(data));
  }

  close(code, reason) {
    if (code !== undefined && code !== 1000 && (code < 3000 || code > 4999)) {
      throw new Error(`InvalidAccessError: close code ${code}`);
    }
    this.closedWith = { code, reason };
    this.readyState = 3;
  }

  /** Whether the client removed all its handlers. */
  get detached() {
    return this.onopen === null && this.onclose === null && this.onmessage === null && this.onerror === null;
  }

  // ---- the server's side

  /** Completes the upgrade. */
  accept(protocol = "parlor.v1") {
    this.readyState = 1;
    this.protocol = protocol;
    this.onopen?.({});
  }

  /** Every frame the client sent, in order. */
  frames() {
    return this.messages.flatMap((m) => decodeFrames(m, 64));
  }

  /** Frames sent since the last call. */
  take() {
    this.seen ??= 0;
    const all = this.frames();
    const out = all.slice(this.seen);
    this.seen = all.length;
    return out;
  }

  /** Delivers frames as one binary message. */
  receive(...frames) {
    const b = encodeFrames(frames);
    this.onmessage?.({ data: b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) });
  }

  /** Delivers raw bytes as one message. */
  receiveBytes(b) {
    this.onmessage?.({ data: b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) });
  }

  /** The connection fails the way some implementations fail it: an error event only. */
  fail() {
    this.onerror?.({});
  }

  /** The server (or the network) closes the connection. */
  drop(code = 1006, reason = "") {
    this.readyState = 3;
    if (code === 1006) this.onerror?.({});
    this.onclose?.({ code, reason, wasClean: code !== 1006 });
  }
}

/** Replaces setTimeout, clearTimeout and Date.now with a clock the test advances. */
export class FakeClock {
  now = 0;
  timers = new Map();
  nextId = 1;

  install() {
    this.saved = { setTimeout: globalThis.setTimeout, clearTimeout: globalThis.clearTimeout, dateNow: Date.now };
    Date.now = () => this.now;
    globalThis.setTimeout = (fn, ms = 0, ...args) => {
      const id = this.nextId++;
      this.timers.set(id, { at: this.now + Math.max(0, Number(ms) || 0), fn, args, ms });
      return id;
    };
    globalThis.clearTimeout = (id) => {
      this.timers.delete(id);
    };
    return this;
  }

  uninstall() {
    globalThis.setTimeout = this.saved.setTimeout;
    globalThis.clearTimeout = this.saved.clearTimeout;
    Date.now = this.saved.dateNow;
  }

  /** The number of timers not yet fired or cleared. */
  pending() {
    return this.timers.size;
  }

  /** The durations the pending timers were set with. */
  durations() {
    return [...this.timers.values()].map((t) => t.ms).sort((a, b) => a - b);
  }

  /** Moves time forward, firing due timers in order. */
  async advance(ms) {
    const end = this.now + ms;
    for (;;) {
      let next;
      for (const [id, t] of this.timers) {
        if (t.at <= end && (!next || t.at < next[1].at)) next = [id, t];
      }
      if (!next) break;
      this.timers.delete(next[0]);
      this.now = next[1].at;
      next[1].fn(...next[1].args);
      await tick();
    }
    this.now = end;
    await tick();
  }
}
