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
export declare const defaultOutboxEntries = 100;
export declare const defaultOutboxBytes: number;
/** The outbox in storage. A storage that fails is treated as empty. */
export declare class PersistentOutbox {
    private readonly key;
    private readonly maxEntries;
    private readonly maxBytes;
    private readonly storage;
    constructor(opts: PersistOutboxOptions);
    /** The kept sends, oldest first. */
    entries(): OutboxEntry[];
    /** Keeps a send (replacing one with the same id); a ParlorError when it does not fit. */
    add(e: OutboxEntry): ParlorError | null;
    /** Forgets a send. */
    remove(id: string): void;
    private load;
    private save;
}
/** Base64 of bytes. */
export declare function toBase64(b: Uint8Array): string;
/** Bytes of base64; throws on bad input. */
export declare function fromBase64(s: string): Uint8Array;
