// The persistent outbox: sends not yet answered by the server, kept in the
// browser's storage so that a page reload does not lose them. After the
// reload the client joins their rooms again and resends them with the same
// client_msg_id, so the server applies each once.

import { ParlorError } from "./errors.js";

/** The part of the Web Storage API the outbox uses (localStorage has it). */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** Where and how much of the outbox is kept. Every field documents its default. */
export interface PersistOutboxOptions {
  /** The storage key. Use one per user (and app), such as "parlor-outbox:" + userId. Required. */
  key: string;
  /** The most sends kept; a send past it is refused with "limit_exceeded". Default: 100. */
  maxEntries?: number;
  /** The most bytes kept (the stored JSON's length); a send past it is refused with "limit_exceeded". Default: 262144. */
  maxBytes?: number;
  /** The storage. Default: globalThis.localStorage. */
  storage?: StorageLike;
}

/** One kept send. */
export interface OutboxEntry {
  /** The send's client_msg_id. */
  id: string;
  /** The room's module kind. */
  kind: string;
  /** The room's join params, msgpack in base64. */
  params: string;
  /** The event name. */
  event: string;
  /** The payload, msgpack in base64. */
  data: string;
}

/** The "outbox" event: a send kept from an earlier page was resent and answered, or given up. */
export interface OutboxResult {
  /** The send's client_msg_id. */
  clientMsgId: string;
  /** The room's module kind. */
  kind: string;
  /** The event name. */
  event: string;
  /** The decoded reply, when the server applied it. */
  reply?: unknown;
  /** The refusal, when the server (or its module) refused it, or its room could not be joined. */
  error?: ParlorError;
}

export const defaultOutboxEntries = 100;
export const defaultOutboxBytes = 256 * 1024;

/** The outbox in storage. A storage that fails is treated as empty. */
export class PersistentOutbox {
  private readonly key: string;
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private readonly storage: StorageLike | undefined;

  constructor(opts: PersistOutboxOptions) {
    if (!opts.key) throw new TypeError("parlor: persistOutbox.key is required");
    this.key = opts.key;
    this.maxEntries = opts.maxEntries && opts.maxEntries > 0 ? opts.maxEntries : defaultOutboxEntries;
    this.maxBytes = opts.maxBytes && opts.maxBytes > 0 ? opts.maxBytes : defaultOutboxBytes;
    this.storage = opts.storage ?? (globalThis as { localStorage?: StorageLike }).localStorage;
  }

  // Every call reads the storage afresh: tabs that share the key each
  // write the list, and one written from a copy read earlier would drop
  // what another tab kept meanwhile.

  /** The kept sends, oldest first. */
  entries(): OutboxEntry[] {
    return this.load();
  }

  /** Keeps a send (replacing one with the same id); a ParlorError when it does not fit. */
  add(e: OutboxEntry): ParlorError | null {
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
  remove(id: string): void {
    const list = this.load();
    const next = list.filter((x) => x.id !== id);
    if (next.length === list.length) return;
    this.save(next.length === 0 ? "" : JSON.stringify(next));
  }

  private load(): OutboxEntry[] {
    let raw: string | null = null;
    try {
      raw = this.storage?.getItem(this.key) ?? null;
    } catch {
      return [];
    }
    if (!raw) return [];
    try {
      const v: unknown = JSON.parse(raw);
      if (!Array.isArray(v)) return [];
      return v.filter(isEntry).slice(0, this.maxEntries);
    } catch {
      return [];
    }
  }

  private save(json: string): void {
    try {
      if (json === "") this.storage?.removeItem(this.key);
      else this.storage?.setItem(this.key, json);
    } catch {
      // Full or unavailable: the send still goes out, it is just not kept.
    }
  }
}

function isEntry(x: unknown): x is OutboxEntry {
  if (typeof x !== "object" || x === null) return false;
  const e = x as Record<string, unknown>;
  return ["id", "kind", "params", "event", "data"].every((k) => typeof e[k] === "string");
}

/** Base64 of bytes. */
export function toBase64(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!);
  return btoa(s);
}

/** Bytes of base64; throws on bad input. */
export function fromBase64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
