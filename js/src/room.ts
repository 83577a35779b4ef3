// Rooms as the application sees them. A RoomCore is the connection's one
// membership of a server room; a Room is a handle on it returned by one
// client.join. Two joins that resolve to the same room share a core, so
// that one component leaving does not pull the room from under another.

import { Emitter } from "./emitter.js";
import { ParlorError } from "./errors.js";
import type { AnyRoom, EventName, ReplyOf, RoomSpec, SendArgs, SendName } from "./kinds.js";

/**
 * A room's state:
 * - "joined": events flow and sends go out at once;
 * - "rejoining": the connection was lost (or the server is restarting) and
 *   the client will join again when it reconnects; sends wait until then;
 * - "left": the room was left, the server removed the client, or the client
 *   was closed. Nothing more happens on this handle.
 */
export type RoomState = "joined" | "rejoining" | "left";

/** What a module event listener gets besides the event's data. */
export interface EventMeta {
  /** The room id. */
  room: string;
  /** The event's position in the room; 0 for an ephemeral event. */
  seq: number;
  /** The event name. */
  event: string;
}

/** The room's notice for "$left": the client is no longer in the room. */
export interface LeftInfo {
  /**
   * Why: the server's reason ("kicked", "closed", …), or "rejoin_failed"
   * when joining again after a reconnect was refused (see error).
   */
  reason: string;
  /** The refusal, for "rejoin_failed". */
  error?: ParlorError;
}

/**
 * The room's notice for "$rejoined": the client joined again after a
 * reconnect and the server could not replay what was missed (the room
 * restarted in a new epoch, or the events are no longer kept). The room
 * starts over from a fresh snapshot: drop what you built from the old
 * snapshot and events, and replace it with this one (for chat, refetch the
 * history).
 */
export interface RejoinedInfo {
  /** The room id now (normally unchanged). */
  room: string;
  /** The room id before the reconnect. */
  previousRoom: string;
  /** The room's current seq: events after it follow. */
  seq: number;
  /**
   * The last seq seen before the reconnect. In another epoch it is
   * unrelated to seq.
   */
  previousSeq: number;
  /**
   * The module's fresh snapshot. Events after previousSeq were not
   * delivered: the snapshot includes their effect. Replace the state built
   * from the old snapshot and events with it.
   */
  snapshot: unknown;
  /** The room's epoch now; seqs count within it. */
  epoch: string;
}

/**
 * The room's notice for "$resumed": the client joined again after a
 * reconnect and the server replays what was missed. Keep the room's state:
 * the missed events follow as ordinary events, in seq order and before any
 * live one, and the sends that got no reply go out again after them.
 * room.snapshot is not changed.
 */
export interface ResumedInfo {
  /** The room id now (normally unchanged). */
  room: string;
  /** The room id before the reconnect. */
  previousRoom: string;
  /** The last seq seen: the replayed events start after it. */
  seq: number;
  /** The room's epoch, unchanged. */
  epoch: string;
}

/** The room's notice for "$gap": ordered events were missed on a live connection. */
export interface GapInfo {
  /** The seq that was expected next. */
  expected: number;
  /** The seq that arrived (and is delivered next). */
  seq: number;
}

/** The SDK's own room notices, by name. Their names start with "$". */
export interface RoomNotices {
  $left: (info: LeftInfo) => void;
  $rejoined: (info: RejoinedInfo) => void;
  $resumed: (info: ResumedInfo) => void;
  $gap: (info: GapInfo) => void;
}

/** Options of one send. */
export interface SendOptions {
  /** How long to wait for the reply, in ms. Default: the client's requestTimeout. */
  timeout?: number;
  /**
   * An idempotency key (client_msg_id) of at most 128 bytes: the room
   * applies a send once per id and answers a resend with the first reply.
   * Default: a random id per send. The client resends a send that got no
   * reply before a reconnect with its id by itself; give your own id (and
   * reuse it) when you retry after a "timeout" or "disconnected" error.
   */
  clientMsgId?: string;
  /**
   * Keep the send in the persistent outbox until answered, when the
   * client has persistOutbox. Default: true; pass false for sends not
   * worth resending on the next page, such as typing indicators.
   */
  persist?: boolean;
}

/** What a room needs from its client. @internal */
export interface RoomHost {
  roomSend(core: RoomCore, event: string, data: unknown, opts: SendOptions): Promise<unknown>;
  roomLeave(core: RoomCore): Promise<void>;
}

const noticeNames = new Set(["$left", "$rejoined", "$resumed", "$gap"]);

// The most events and notices a room keeps for its first listener.
const maxEarly = 1024;

/** The connection's membership of one server room. @internal */
export class RoomCore {
  /** Handles sharing this membership. */
  readonly handles = new Set<Room<any>>(); // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Work that waits until the room is joined again. */
  readonly waiting: Array<{ tag: unknown; run: () => void; fail: (err: ParlorError) => void }> = [];
  state: RoomState = "joined";
  /** Refused rejoins that count toward giving the room up (not unavailable). */
  rejoinAttempts = 0;
  /** Refused rejoins of any transient code, which set the backoff's delay. */
  rejoinRetries = 0;
  rejoinTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    public id: string,
    readonly kind: string,
    /** The encoded join params, reused to rejoin. */
    readonly params: Uint8Array,
    /** The last ordered seq seen. */
    public seq: number,
    /** The room's epoch from the last joined; "" from servers without resume. */
    public epoch: string,
  ) {}

  /** Delivers a module event to every handle. */
  deliver(event: string, data: unknown, meta: EventMeta): void {
    for (const h of [...this.handles]) {
      h._deliver(event, data, meta);
    }
  }

  /** Sends an SDK notice to every handle. */
  notice<K extends keyof RoomNotices>(name: K, info: Parameters<RoomNotices[K]>[0]): void {
    for (const h of [...this.handles]) {
      h._notice(name, info);
    }
  }

  /** Runs the waiting work (the room is joined again). */
  flush(): void {
    for (const w of this.waiting.splice(0)) {
      w.run();
    }
  }

  /** Drops the waiting work tagged tag. */
  unwait(tag: unknown): void {
    const i = this.waiting.findIndex((w) => w.tag === tag);
    if (i >= 0) {
      this.waiting.splice(i, 1);
    }
  }

  /** Fails the waiting work (the room is gone). */
  fail(err: ParlorError): void {
    for (const w of this.waiting.splice(0)) {
      w.fail(err);
    }
  }
}

/**
 * A room the client joined, returned by client.join. Listen with on,
 * send with send, and leave with leave, which also removes every listener
 * added through this handle. S types its snapshot, events and sends: the
 * built-in modules' kinds have theirs (see RoomKinds), other kinds get
 * AnyRoom.
 */
export class Room<S extends RoomSpec = AnyRoom> {
  private readonly emitter = new Emitter();
  private left = false;
  private snap: unknown;
  // What arrives before the first listener is added: the events a server
  // batches with its answer to the join reach the client before the code
  // awaiting join() can add listeners. Null once delivered (or given up).
  private early: Array<[string, unknown[]]> | null = [];
  private earlyFlush = false;

  /** @internal */
  constructor(
    private readonly host: RoomHost,
    /** @internal */ readonly _core: RoomCore,
    snapshot: unknown,
  ) {
    this.snap = snapshot;
  }

  /** The room id, chosen by the server's module. It may change after a reconnect. */
  get id(): string {
    return this._core.id;
  }

  /** The module kind this room was joined with, such as "chat.dm". */
  get kind(): string {
    return this._core.kind;
  }

  /** The last ordered seq seen: the join's seq, then each ordered event's. */
  get seq(): number {
    return this._core.seq;
  }

  /**
   * The room's epoch: the incarnation of its ordered stream that seq counts
   * in. A reconnect resumes within it; a new epoch comes with "$rejoined".
   */
  get epoch(): string {
    return this._core.epoch;
  }

  /**
   * The module's snapshot from the join, or from the last "$rejoined". A
   * resume ("$resumed") keeps it: the events since are the news.
   */
  get snapshot(): S["snapshot"] {
    return this.snap as S["snapshot"];
  }

  /** "joined", "rejoining" or "left". */
  get state(): RoomState {
    return this.left ? "left" : this._core.state;
  }

  /**
   * Listens to the room. A module event name (such as "said") gets
   * (data, meta) for each event of that name; "*" gets (event, data, meta)
   * for every module event; names starting with "$" are the SDK's notices:
   * "$resumed", "$rejoined", "$left" and "$gap". Returns a function that removes the
   * listener. Events whose seq is not greater than the last seen are
   * dropped as duplicates; ephemeral events (seq 0) are always delivered.
   * What arrives before the room's first listener is added (up to 1024
   * events) is kept and delivered right after the code that adds it, so
   * listeners added just after `await client.join()` miss nothing.
   */
  on<K extends keyof RoomNotices>(name: K, fn: RoomNotices[K]): () => void;
  on(name: "*", fn: (event: string, data: any, meta: EventMeta) => void): () => void; // eslint-disable-line @typescript-eslint/no-explicit-any
  on<K extends EventName<S>>(event: K, fn: (data: S["events"][K], meta: EventMeta) => void): () => void;
  on(name: string, fn: (...args: any[]) => void): () => void {
    if (this.left) {
      return () => {};
    }
    const off = this.emitter.on(key(name), fn);
    if (this.early !== null && !this.earlyFlush) {
      // Deliver what came early once the caller's listeners are all added.
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
  off(name: string, fn: (...args: any[]) => void): void {
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
  send<K extends SendName<S>>(event: K, ...args: SendArgs<S, K, SendOptions>): Promise<ReplyOf<S, K>>;
  send(event: string, data?: unknown, opts: SendOptions = {}): Promise<unknown> {
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
  leave(): Promise<void> {
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
  _drop(): void {
    this.left = true;
    this.early = null;
    this.emitter.clear();
  }

  /** @internal */
  _setSnapshot(snapshot: unknown): void {
    this.snap = snapshot;
  }

  /** @internal */
  _deliver(event: string, data: unknown, meta: EventMeta): void {
    this.emit("e:" + event, [data, meta]);
    this.emit("*", [event, data, meta]);
  }

  /** @internal */
  _notice(name: string, info: unknown): void {
    this.emit(name, [info]);
  }

  private emit(k: string, args: unknown[]): void {
    const early = this.early;
    if (early === null) {
      this.emitter.emit(k, ...args);
    } else if (early.length < maxEarly) {
      early.push([k, args]);
    } else {
      this.early = null; // nobody is listening: stop keeping
    }
  }

  /** Counts this handle's listeners. @internal */
  _listenerCount(): number {
    return this.emitter.count();
  }
}

// Module events, notices and the wildcard live in separate key spaces, so a
// module event named like a notice cannot be confused with it.
function key(name: string): string {
  if (name === "*" || noticeNames.has(name)) {
    return name;
  }
  return "e:" + name;
}
