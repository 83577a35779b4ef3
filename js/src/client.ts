// The connection: state machine, handshake, requests correlated by ref,
// timeouts, event routing to rooms, and reconnection with jittered
// exponential backoff that resumes: it presents the last resume token,
// joins the client's rooms again from the last seq it saw, and resends the
// sends that got no reply (docs/protocol.md, "Resuming").

import { encodeFrame, Features, MAX_FRAMES, type ConnectedFrame, type Frame } from "./codec.js";
import { decodeMessage } from "./codec.js";
import { decodeData, encodeData } from "./data.js";
import { Emitter } from "./emitter.js";
import { ParlorError } from "./errors.js";
import { fromBase64, PersistentOutbox, toBase64, type OutboxEntry, type OutboxResult, type PersistOutboxOptions } from "./outbox.js";
import type { AnyRoom, JoinArgs, RoomKinds } from "./kinds.js";
import { Presence, type PresenceStatus, type UserRoom } from "./presence.js";
import { Room, RoomCore, type RoomHost, type SendOptions } from "./room.js";
import { UserKind } from "./types/user.js";
import { VERSION } from "./version.js";

/** The WebSocket subprotocol of the wire protocol. */
export const SUBPROTOCOL = "parlor.v1";

/**
 * The connection's state:
 * - "connecting": opening the WebSocket and doing the handshake;
 * - "open": connected; requests go out at once;
 * - "reconnecting": the connection was lost; the next attempt is scheduled;
 * - "closed": for good, after close(), when reconnecting gave up, or after a
 *   close code that forbids reconnecting (1007, 1008, 4009, 4010, 4011, 4029).
 */
export type ConnectionState = "connecting" | "open" | "reconnecting" | "closed";

/** The part of the WebSocket API the client uses (browsers' WebSocket has it). */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  readonly protocol: string;
  onopen: ((ev: any) => void) | null; // eslint-disable-line @typescript-eslint/no-explicit-any
  onclose: ((ev: any) => void) | null; // eslint-disable-line @typescript-eslint/no-explicit-any
  onmessage: ((ev: any) => void) | null; // eslint-disable-line @typescript-eslint/no-explicit-any
  onerror: ((ev: any) => void) | null; // eslint-disable-line @typescript-eslint/no-explicit-any
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
}

/** A WebSocket constructor, such as the browser's. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/**
 * How the client reconnects: exponential backoff with full jitter (each
 * delay is random, from 0 up to the nominal delay).
 */
export interface ReconnectOptions {
  /** The first nominal delay in ms, before jitter. Default: 250. */
  initialDelay?: number;
  /** The largest nominal delay in ms. Default: 10000. */
  maxDelay?: number;
  /** The factor the delay grows by per failed attempt. Default: 2. */
  factor?: number;
  /** Failed attempts in a row before giving up ("closed"). Default: Infinity. */
  maxAttempts?: number;
}

/** Options of connect. Every field documents its default. */
export interface ConnectOptions {
  /**
   * Sent as the `token` query parameter of the WebSocket URL, for the
   * host's Authenticate to read (browsers cannot set headers on a
   * WebSocket request). A function is called before every attempt, so it
   * can return a fresh token. Default: none; a same-origin session cookie
   * is sent by the browser anyway.
   */
  token?: string | (() => string | Promise<string>);
  /** How long requests (join, send, leave) wait, in ms. Default: 10000. */
  requestTimeout?: number;
  /**
   * Bounds one connection attempt, the first and every reconnect: the
   * WebSocket's opening, its upgrade and the connect handshake, in ms. A
   * server that accepts the connection but never answers (a paused or
   * overloaded node) fails the attempt after it, and the next attempt,
   * through a load balancer likely to another node, follows the backoff.
   * Default: 5000, or requestTimeout if that is shorter (as the Go
   * client's ReconnectPolicy.DialTimeout).
   */
  dialTimeout?: number;
  /** Reconnect when the connection is lost: true, false, or options. Default: true. */
  reconnect?: boolean | ReconnectOptions;
  /**
   * The largest WebSocket message the client sends, in bytes. Requests that
   * would not fit fail with "too_large" instead of getting the connection
   * closed. It should match the server's read limit. Default: 65536.
   */
  maxMessageSize?: number;
  /** The client name sent in the connect frame. Default: "parlor-js/<version>". */
  clientName?: string;
  /** The WebSocket implementation. Default: globalThis.WebSocket. */
  WebSocket?: WebSocketConstructor;
  /**
   * Keeps sends not yet answered in the browser's storage (localStorage by
   * default), bounded by count and bytes, so that they survive a page
   * reload: a client created with the same key resends them, with their
   * client_msg_id, and the server applies each once ("outbox" events
   * report the answers). Default: off; sends live in memory only.
   */
  persistOutbox?: PersistOutboxOptions;
  /**
   * Joins the user's own channel (kind "user") as soon as the client
   * starts, for notifications and presence: client.userChannel. It is
   * rejoined after every reconnect like any room. Default: false; the
   * channel is then joined by the first joinUserChannel() or presence call.
   */
  userChannel?: boolean;
}

/** Options of one join. */
export interface JoinOptions {
  /** How long to wait for the server, in ms. Default: the client's requestTimeout. */
  timeout?: number;
}

/** The "connecting" event: an attempt to connect starts. */
export interface ConnectingInfo {
  /** 0 for the first connection, then the reconnect attempt's number. */
  attempt: number;
}

/** The "open" event: the handshake is done. */
export interface OpenInfo {
  /** The server-assigned session id. */
  session: string;
  /** The user id the server authenticated. */
  user: string;
  /** The server's ping interval in ms. */
  heartbeatMs: number;
  /**
   * True after a reconnect: the rooms are being joined again, and each
   * fires "$resumed" (nothing was missed) or "$rejoined" (a fresh snapshot).
   */
  reconnected: boolean;
  /**
   * True when the server accepted the resume token of the previous
   * connection (it closed that one with 4009 if it was still open). Rooms
   * are resumed from their last seq either way, as far as the server can.
   */
  resumed: boolean;
}

/** The "reconnecting" event: the connection was lost and an attempt is scheduled. */
export interface ReconnectingInfo {
  /** The number of the next attempt, from 1. */
  attempt: number;
  /** The delay before it, in ms. */
  delay: number;
  /** The close code (1006 when the connection failed without one). */
  code: number;
  /** The close reason, if any. */
  reason: string;
}

/** The "closed" event: the client is closed for good. */
export interface ClosedInfo {
  /** The close code: 1000 after close(), else the last connection's. */
  code: number;
  /** The close reason. */
  reason: string;
  /**
   * Why the client closed by itself, with code "closed": a close code that
   * forbids reconnecting (1007, 1008, 4009, 4010, 4011, 4029), reconnect: false, or
   * maxAttempts reached. Absent after close(). Pending requests reject
   * with it.
   */
  error?: ParlorError;
}

/**
 * The "disconnected" event: a connection that was open is gone, or the
 * client was closed while open.
 */
export interface DisconnectedInfo {
  /** The close code (1006 when the connection failed without one, 1000 after close()). */
  code: number;
  /** The close reason, if any. */
  reason: string;
  /** True when the client reconnects ("reconnecting" follows), false when it is closed for good ("closed" follows). */
  willRetry: boolean;
}

/** The client's events, by name. */
export interface ClientEvents {
  connecting: (info: ConnectingInfo) => void;
  open: (info: OpenInfo) => void;
  /** The same as "open", under the name socket.io users expect. */
  connected: (info: OpenInfo) => void;
  /** A connection that was open is gone; willRetry says whether the client reconnects. */
  disconnected: (info: DisconnectedInfo) => void;
  /** A send kept by persistOutbox on an earlier page was answered, or given up. */
  outbox: (result: OutboxResult) => void;
  reconnecting: (info: ReconnectingInfo) => void;
  closed: (info: ClosedInfo) => void;
  /**
   * A watched user's status changed (see client.presence), or was sent
   * again after the user channel was rejoined.
   */
  presence: (status: PresenceStatus) => void;
  /** Every state change, with the info of the event of that name. */
  state: (state: ConnectionState, info: ConnectingInfo | OpenInfo | ReconnectingInfo | ClosedInfo) => void;
  /**
   * Errors not tied to a request: the server's error frame before it closes
   * the connection, a malformed message or payload from the server, a
   * token callback that failed, or a close code after which the client does
   * not reconnect (code "closed", just before the "closed" event).
   */
  error: (err: ParlorError) => void;
}

type Timer = ReturnType<typeof setTimeout>;

/** A request waiting for its answer. */
interface Pending {
  ref: number;
  build: (ref: number) => Frame;
  resolve: (f: Frame) => void;
  reject: (err: ParlorError) => void;
  timer: Timer | undefined;
  kind: "join" | "rejoin" | "leave" | "send";
  /** The room whose rejoin a send or rejoin is tied to. */
  core?: RoomCore;
  /** The connections lost while a send was written on them (maxTries). */
  tries?: number;
  /**
   * For a join in flight that a leave of the same room left the server's
   * membership to (roomLeave): the room, left on the server if this join
   * fails instead.
   */
  leaveIfRefused?: string;
}

/**
 * How many connections may be lost while a send is written on them before
 * it fails: one whose message gets every connection closed must not be
 * resent forever. As in the Go client.
 */
const maxTries = 3;

// Close codes from the server after which the client must not reconnect: a
// malformed message, a policy violation, replaced by a newer connection
// that resumed this session, evicted by a newer connection of the same user
// (reconnecting would evict that one in turn), signed out by the host (the
// credential no longer works), rate-limit abuse.
const finalCodes = new Map<number, string>([
  [1007, "the server closed the connection for a malformed message (close 1007)"],
  [1008, "the server closed the connection for a policy violation (close 1008)"],
  [4009, "a newer connection resumed this session (close 4009)"],
  [4010, "a newer connection of the same user took this one's place (close 4010)"],
  [4011, "the server signed this user out (close 4011)"],
  [4029, "the server closed the connection for rate-limit abuse (close 4029)"],
]);
// The client's own aborts after which it waits the longest delay: the
// server sent a malformed message.
const slowCodes = new Set([1007]);
// Rejoin refusals worth retrying. All but unavailable (the server cannot
// reach the room for now, e.g. its cluster is cut off) give the room up
// after maxRejoinAttempts; unavailable is retried for as long as the
// connection lives.
const transientCodes = new Set(["unavailable", "rate_limited", "timeout", "disconnected"]);
const maxRejoinAttempts = 5;
const OPEN = 1;

/**
 * Connects to a Parlor server and returns the client at once; it connects
 * in the background (state "connecting") and reconnects when the
 * connection is lost. Requests made before the connection is open wait for
 * it. url may be ws://, wss://, or (in a page) a path such as "/ws".
 */
export function connect(url: string, opts: ConnectOptions = {}): Client {
  return new Client(url, opts);
}

/**
 * A connection to a Parlor server, made by connect. close() ends it and
 * removes every listener and timer it and its rooms hold.
 */
export class Client {
  private readonly emitter = new Emitter();
  private readonly url: URL;
  private readonly WS: WebSocketConstructor;
  private readonly timeout: number;
  private readonly dialTimeout: number;
  private readonly maxMessageSize: number;
  private readonly clientName: string;
  private readonly backoff: Required<ReconnectOptions> | undefined;
  private readonly token: ConnectOptions["token"];

  private st: ConnectionState = "connecting";
  private ws: WebSocketLike | null = null;
  private connectRef = 0;
  private nextRef = 0;
  private attempt = 0;
  private everOpened = false;
  private reconnectTimer: Timer | undefined;
  /** When the current connection opened (Date.now()), for the backoff's reset. */
  private openedAt = 0;
  /** The pauses before refused leaves are sent again, with their promises' resolve. */
  private readonly leaveTimers = new Map<Timer, () => void>();
  private handshakeTimer: Timer | undefined;

  /** Requests sent on the current socket, by ref. */
  private readonly inflight = new Map<number, Pending>();
  /** Requests waiting for the connection to open. */
  private readonly queued: Pending[] = [];
  /** Join refs that timed out: a late joined gets a leave. */
  private readonly abandoned = new Map<number, Pending>();
  /** Memberships by room id. */
  private readonly cores = new Map<string, RoomCore>();
  /** Frames waiting for the end of the current task, sent as one batch. */
  private outbox: Uint8Array[] = [];
  private flushScheduled = false;

  /** What rooms call back into. */
  private readonly host: RoomHost = {
    roomSend: (core, event, data, opts) => this.roomSend(core, event, data, opts),
    roomLeave: (core) => this.roomLeave(core),
  };

  private sessionId = "";
  private userId = "";
  private heartbeat = 0;
  /** The latest resume token, presented in the next connection's connect. */
  private resumeToken = "";
  /** Makes the client_msg_id of sends that were given none. */
  private readonly msgIds = new MsgIdSource();
  /** The sends kept in storage, with persistOutbox. */
  private readonly persisted: PersistentOutbox | undefined;
  /** The join of the user channel, once asked for; null again once it is left. */
  private userJoin: Promise<Room<UserRoom>> | null = null;
  private userHandle: Room<UserRoom> | null = null;

  /**
   * The presence of other users, through the user channel: watch, unwatch
   * and hide. Status changes come as the client's "presence" events.
   */
  readonly presence: Presence = new Presence({
    userRoom: () => this.joinUserChannel(),
    emitPresence: (p) => this.emitter.emit("presence", p),
  });

  /** Use connect. */
  constructor(url: string, opts: ConnectOptions) {
    const WS = opts.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!WS) {
      throw new TypeError("parlor: no WebSocket implementation: pass options.WebSocket");
    }
    this.WS = WS;
    this.url = parseURL(url);
    this.token = opts.token;
    this.timeout = positive(opts.requestTimeout, 10_000);
    this.dialTimeout = Math.min(positive(opts.dialTimeout, 5_000), this.timeout);
    this.maxMessageSize = positive(opts.maxMessageSize, 65_536);
    this.clientName = opts.clientName || `parlor-js/${VERSION}`;
    const rc = opts.reconnect ?? true;
    if (rc !== false) {
      const o = rc === true ? {} : rc;
      this.backoff = {
        initialDelay: positive(o.initialDelay, 250),
        maxDelay: positive(o.maxDelay, 10_000),
        factor: Math.max(1, o.factor ?? 2),
        maxAttempts: o.maxAttempts ?? Infinity,
      };
    }
    if (opts.persistOutbox) {
      this.persisted = new PersistentOutbox(opts.persistOutbox);
    }
    // Start after the caller's current task, so that listeners added right
    // after connect() see the first "connecting".
    queueMicrotask(() => {
      if (this.st !== "closed") {
        void this.open();
        this.replayOutbox();
        if (opts.userChannel) {
          this.joinUserChannel().catch((err: ParlorError) => {
            if (err.code !== "closed") this.emitter.emit("error", err);
          });
        }
      }
    });
  }

  /** The connection's state. */
  get state(): ConnectionState {
    return this.st;
  }

  /** The server-assigned session id ("" until open). */
  get session(): string {
    return this.sessionId;
  }

  /** The user id the server authenticated ("" until open). */
  get user(): string {
    return this.userId;
  }

  /** True while the connection is open (state "open"). */
  get connected(): boolean {
    return this.st === "open";
  }

  /** The server's ping interval in ms (0 until open). */
  get heartbeatMs(): number {
    return this.heartbeat;
  }

  /**
   * Listens to connection events: "connecting", "open", "reconnecting",
   * "closed", "state" (every change) and "error". Returns a function that
   * removes the listener.
   */
  on<K extends keyof ClientEvents>(name: K, fn: ClientEvents[K]): () => void {
    if (this.st === "closed") {
      return () => {};
    }
    return this.emitter.on(name, fn);
  }

  /** Removes a listener added with on. */
  off<K extends keyof ClientEvents>(name: K, fn: ClientEvents[K]): void {
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
  join<K extends keyof RoomKinds>(kind: K, ...args: JoinArgs<RoomKinds[K], JoinOptions>): Promise<Room<RoomKinds[K]>>;
  join<K extends string>(kind: K extends keyof RoomKinds ? never : K, params?: unknown, opts?: JoinOptions): Promise<Room<AnyRoom>>;
  join(kind: string, params?: unknown, opts: JoinOptions = {}): Promise<Room<AnyRoom>> {
    let raw: Uint8Array;
    try {
      raw = encodeData(params);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.joinRaw(kind, raw, opts.timeout);
  }

  /** Joins with encoded params. */
  private joinRaw(kind: string, raw: Uint8Array, timeout?: number): Promise<Room<AnyRoom>> {
    const build = (ref: number): Frame => ({ type: "join", ref, kind, params: raw, epoch: "", since: 0 });
    return this.request("join", build, (f) => this.joined(f, kind, raw), timeout);
  }

  /** Makes the room of a join's answer; runs as the answer is dispatched. */
  private joined(f: Frame, kind: string, raw: Uint8Array): Room<AnyRoom> {
    if (f.type !== "joined") {
      throw new ParlorError("internal", "parlor: unexpected answer to join");
    }
    let snapshot: unknown;
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
      // This join made the membership live again on this connection.
      this.revive(core, f.room, f.seq, snapshot, f.epoch);
    } else if (core) {
      core.seq = Math.max(core.seq, f.seq);
    } else {
      core = new RoomCore(f.room, kind, raw, f.seq, f.epoch);
      this.cores.set(f.room, core);
    }
    const room = new Room<AnyRoom>(this.host, core, snapshot);
    core.handles.add(room);
    return room;
  }

  /**
   * The user channel once joined (see joinUserChannel), else null. Its
   * ordered events are the notifications the server's modules send, under
   * their own names: client.userChannel.on("challenge", fn).
   */
  get userChannel(): Room<UserRoom> | null {
    return this.userHandle?.state === "left" ? null : this.userHandle;
  }

  /**
   * Joins the user's own channel (kind "user") once, and resolves with it;
   * later calls share the same room until it is left. The client rejoins
   * it after every reconnect with its epoch and last seq, so notifications
   * sent meanwhile are replayed, and sends the presence watch list again.
   */
  joinUserChannel(): Promise<Room<UserRoom>> {
    if (this.userHandle?.state === "left") {
      // Left, or the server removed it: join it again.
      this.userJoin = null;
      this.userHandle = null;
    }
    if (this.userJoin === null) {
      const join = this.joinRaw(UserKind, encodeData(undefined)) as unknown as Promise<Room<UserRoom>>;
      this.userJoin = join;
      join.then(
        (room) => {
          if (this.userJoin !== join) return;
          this.userHandle = room;
          this.presence._attach(room);
        },
        () => {
          if (this.userJoin === join) this.userJoin = null;
        },
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
  close(): void {
    this.finish(1000, "client closed");
  }

  /** Counts what the client still holds, for tests. @internal */
  _debug(): { listeners: number; roomListeners: number; inflight: number; queued: number; rooms: number; socket: boolean } {
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
      socket: this.ws !== null,
    };
  }

  // ---- what rooms call

  private roomSend(core: RoomCore, event: string, data: unknown, opts: SendOptions): Promise<unknown> {
    if (typeof event !== "string" || event === "") {
      return Promise.reject(new ParlorError("bad_request", "parlor: event name required"));
    }
    let raw: Uint8Array;
    try {
      raw = encodeData(data);
    } catch (err) {
      return Promise.reject(err);
    }
    // Every send carries an idempotency key, so that a resend after a
    // reconnect (or a page reload, with persistOutbox) is applied once.
    return this.sendRaw(core, event, raw, opts.clientMsgId || this.msgIds.next(), opts);
  }

  /** Sends an encoded event, kept in the persistent outbox until answered. */
  private sendRaw(core: RoomCore, event: string, raw: Uint8Array, clientMsgId: string, opts: SendOptions): Promise<unknown> {
    const outbox = opts.persist === false ? undefined : this.persisted;
    if (outbox) {
      const full = outbox.add({ id: clientMsgId, kind: core.kind, params: toBase64(core.params), event, data: toBase64(raw) });
      if (full) return Promise.reject(full);
    }
    const build = (ref: number): Frame => ({ type: "send", ref, room: core.id, event, data: raw, clientMsgId });
    const handle = (f: Frame): unknown => {
      if (f.type !== "reply") {
        throw new ParlorError("internal", "parlor: unexpected answer to send");
      }
      return decodeData(f.data);
    };
    const sent = this.request("send", build, handle, opts.timeout, core);
    if (!outbox) return sent;
    // Kept until the server answers. Without an answer (timeout, lost
    // connection, closed client) the send stays, for the next page.
    return sent.then(
      (reply) => {
        outbox.remove(clientMsgId);
        return reply;
      },
      (err: ParlorError) => {
        if (err.code !== "timeout" && err.code !== "disconnected" && err.code !== "closed") {
          outbox.remove(clientMsgId);
        }
        throw err;
      },
    );
  }

  /**
   * Resends what an earlier page kept in the persistent outbox: joins each
   * room (sharing the membership with the application's own join of it),
   * resends its sends in order with their client_msg_id, reports each
   * answer as an "outbox" event, and lets go of the room.
   */
  private replayOutbox(): void {
    const outbox = this.persisted;
    if (!outbox) return;
    const groups = new Map<string, OutboxEntry[]>();
    for (const e of outbox.entries()) {
      const k = e.kind + "\n" + e.params;
      const list = groups.get(k);
      if (list) list.push(e);
      else groups.set(k, [e]);
    }
    for (const list of groups.values()) {
      const first = list[0]!;
      const report = (e: OutboxEntry, r: { reply?: unknown; error?: ParlorError }) =>
        this.emitter.emit("outbox", { clientMsgId: e.id, kind: e.kind, event: e.event, ...r });
      let params: Uint8Array;
      try {
        params = fromBase64(first.params);
      } catch {
        for (const e of list) outbox.remove(e.id);
        continue;
      }
      this.joinRaw(first.kind, params).then(
        (room) => {
          const sends = list.map((e) => {
            let data: Uint8Array;
            try {
              data = fromBase64(e.data);
            } catch {
              outbox.remove(e.id);
              return Promise.resolve();
            }
            return this.sendRaw(room._core, e.event, data, e.id, {}).then(
              (reply) => report(e, { reply }),
              (error: ParlorError) => {
                if (!outbox.entries().some((x) => x.id === e.id)) report(e, { error });
              },
            );
          });
          void Promise.all(sends).then(() => room.leave());
        },
        (error: ParlorError) => {
          if (error.code === "timeout" || error.code === "disconnected" || error.code === "closed") return;
          for (const e of list) {
            outbox.remove(e.id);
            report(e, { error });
          }
        },
      );
    }
  }

  private roomLeave(core: RoomCore): Promise<void> {
    const wasJoined = core.state === "joined";
    this.retire(core, new ParlorError("forbidden", "parlor: this room was left"));
    if (!wasJoined || this.st !== "open") {
      // Not a member on the current connection (or none): nothing to tell.
      return Promise.resolve();
    }
    // A join of the same room in flight (another component mounting it,
    // a StrictMode remount) reaches the server before this leave would,
    // and its answer makes a membership of its own here: the server's
    // stays for it. Should that join fail, the room is left then.
    const next = this.joinInFlight(core.kind, core.params);
    if (next) {
      next.leaveIfRefused = core.id;
      return Promise.resolve();
    }
    // The room is left here at once. A leave the server refuses for now
    // (rate_limited, unavailable, timeout) is sent again with the
    // backoff's pauses, up to maxRejoinAttempts more times on the same
    // socket, so that the server does not keep a membership (a game seat,
    // one of the connection's rooms) that nobody can end; the promise
    // settles with the last answer. A lost socket ends the membership.
    const ws = this.ws;
    const attempt = async (n: number): Promise<void> => {
      try {
        await this.request("leave", (ref): Frame => ({ type: "leave", ref, room: core.id }), () => undefined);
      } catch (e) {
        const err = e as ParlorError;
        if (err.code === "forbidden" || err.code === "disconnected" || err.code === "closed") {
          return; // not in the room (any more)
        }
        if (!transientCodes.has(err.code) || n > maxRejoinAttempts || !this.backoff) {
          throw err;
        }
        await new Promise<void>((resolve) => {
          const t = setTimeout(() => {
            this.leaveTimers.delete(t);
            resolve();
          }, this.delay(n, false));
          this.leaveTimers.set(t, resolve);
        });
        // A lost socket took the membership with it; a join of the room
        // made meanwhile holds it again, and keeps it.
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
  private request<T>(
    kind: Pending["kind"],
    build: (ref: number) => Frame,
    handle: (f: Frame) => T,
    timeout?: number,
    core?: RoomCore,
  ): Promise<T> {
    if (this.st === "closed") {
      return Promise.reject(new ParlorError("closed", "parlor: client closed"));
    }
    return new Promise<T>((resolve, reject) => {
      // Check the frame now, so that a bad request fails at once even when
      // it has to wait for the connection.
      try {
        this.encode(build(0));
      } catch (err) {
        reject(err);
        return;
      }
      const p: Pending = {
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
        timer: undefined,
        kind,
        core,
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
  private waitFor(p: Pending): RoomCore["waiting"][number] {
    return { tag: p, run: () => this.transmit(p), fail: (err) => this.settle(p, err) };
  }

  /** Encodes a frame and checks it fits in one message. */
  private encode(f: Frame): Uint8Array {
    const b = encodeFrame(f);
    if (b.length > this.maxMessageSize) {
      throw new ParlorError("too_large", `parlor: the request is ${b.length} bytes, more than ${this.maxMessageSize}`);
    }
    return b;
  }

  /** Writes a request on the open connection. */
  private transmit(p: Pending): void {
    if (this.st === "closed") {
      this.settle(p, new ParlorError("closed", "parlor: client closed"));
      return;
    }
    if (this.st !== "open") {
      this.queued.push(p); // lost again while waiting
      return;
    }
    p.ref = ++this.nextRef;
    let bytes: Uint8Array;
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
  private joining(gaveUp: Pending, room: string): boolean {
    for (const p of this.inflight.values()) {
      if (p.kind === "rejoin" && p.core?.id === room) {
        return true;
      }
    }
    const want = gaveUp.build(0);
    return want.type === "join" && this.joinInFlight(want.kind, want.params) !== undefined;
  }

  /** A join in flight of kind with params, or undefined. */
  private joinInFlight(kind: string, params: Uint8Array): Pending | undefined {
    for (const p of this.inflight.values()) {
      if (p.kind !== "join") continue;
      const f = p.build(0);
      if (f.type === "join" && f.kind === kind && sameBytes(f.params, params)) {
        return p;
      }
    }
    return undefined;
  }

  /** Fails a request whose time is up. */
  private expire(p: Pending, ms: number): void {
    p.timer = undefined;
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
  private settle(p: Pending, err: ParlorError | null, f?: Frame): void {
    if (p.timer !== undefined) {
      clearTimeout(p.timer);
      p.timer = undefined;
    }
    const resolve = p.resolve;
    const reject = p.reject;
    p.resolve = noop;
    p.reject = noop;
    if (err && p.leaveIfRefused !== undefined) {
      // A leave left the membership to this join, which failed: leave now
      // (nothing goes out once the connection is lost).
      this.dropMembership(p.leaveIfRefused);
      p.leaveIfRefused = undefined;
    }
    if (err) {
      reject(err);
    } else {
      resolve(f!);
    }
  }

  // ---- connection

  /** Starts one connection attempt. */
  private async open(): Promise<void> {
    this.setState("connecting", { attempt: this.attempt });
    if (this.st !== "connecting") {
      return; // a listener closed the client
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
        this.emitter.emit("error", new ParlorError("unauthorized", `parlor: token: ${errText(err)}`));
        this.lost(1006, "token callback failed");
        return;
      }
      if (this.st !== "connecting" || this.attempt !== attemptAt) {
        return; // closed meanwhile
      }
    } else if (this.token) {
      token = this.token;
    }
    const url = new URL(this.url.href);
    if (token) {
      url.searchParams.set("token", token);
    }
    let ws: WebSocketLike;
    try {
      ws = new this.WS(url.href, SUBPROTOCOL);
    } catch (err) {
      this.lost(1006, `cannot open WebSocket: ${errText(err)}`);
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
          features: this.backoff ? Features.roomMoves : 0,
        }),
      );
    };
    ws.onmessage = (ev: { data: unknown }) => {
      if (this.ws !== ws) return;
      this.receive(ev.data);
    };
    ws.onerror = () => {
      // Browsers fire close after error, but some implementations leave a
      // socket that failed to connect hanging. Treat error as the loss.
      if (this.ws !== ws) return;
      this.abort(1006, "connection failed");
    };
    ws.onclose = (ev: { code?: number; reason?: string }) => {
      if (this.ws !== ws) return;
      this.lost(ev.code || 1006, ev.reason || "", true);
    };
    this.handshakeTimer = setTimeout(() => {
      this.handshakeTimer = undefined;
      this.abort(1006, `not connected within ${this.dialTimeout} ms`);
    }, this.dialTimeout);
  }

  /** Handles one WebSocket message. */
  private receive(data: unknown): void {
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
        return; // a frame closed the connection (or the client)
      }
      this.emitter.emit("error", asParlorError(err));
      this.abort(1007, "malformed message from server");
    }
  }

  /** Routes one frame from the server. */
  private dispatch(f: Frame): void {
    if (this.ws === null) {
      return; // an earlier frame of the message closed the connection
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
          // The server is going away: join again when it is back.
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
        // Client-to-server frame types never come from a server.
        throw new ParlorError("bad_request", `parlor: the server sent a ${f.type} frame`);
    }
  }

  private onEvent(id: string, seq: number, event: string, raw: Uint8Array): void {
    const core = this.cores.get(id);
    if (!core || core.state !== "joined") {
      return;
    }
    if (seq !== 0) {
      if (seq <= core.seq) {
        return; // already seen, or included in the snapshot
      }
      if (seq > core.seq + 1) {
        core.notice("$gap", { expected: core.seq + 1, seq });
      }
      core.seq = seq;
    }
    let data: unknown;
    try {
      data = decodeData(raw);
    } catch (err) {
      this.emitter.emit("error", asParlorError(err));
      return;
    }
    core.deliver(event, data, { room: id, seq, event });
  }

  /** The handshake is done. */
  private opened(f: ConnectedFrame): void {
    const { session, user, heartbeatMs, resumed } = f;
    clearTimer(this.handshakeTimer);
    this.handshakeTimer = undefined;
    this.sessionId = session;
    this.userId = user;
    this.heartbeat = heartbeatMs;
    this.resumeToken = f.resumeToken;
    const reconnected = this.everOpened;
    this.everOpened = true;
    this.openedAt = Date.now();
    this.st = "open";
    // Rooms first, so that what waits for them goes out after their join.
    for (const core of [...this.cores.values()]) {
      if (core.state === "rejoining" && core.rejoinTimer === undefined) {
        this.rejoin(core);
      }
    }
    for (const p of this.queued.splice(0)) {
      this.transmit(p);
    }
    const info: OpenInfo = { session, user, heartbeatMs, reconnected, resumed };
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
  private moved(core: RoomCore): void {
    if (core.state === "left" || this.st !== "open" || !this.backoff) return;
    if (core.state === "rejoining") {
      if (core.rejoinTimer !== undefined) return; // a rejoin is due
      for (const p of this.inflight.values()) {
        if (p.kind === "rejoin" && p.core === core) return; // on its way
      }
    }
    core.state = "rejoining";
    const resend: Pending[] = [];
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
  private failMovedSends(room: string): void {
    for (const [ref, p] of this.inflight) {
      if (p.kind === "send" && p.core?.id === room) {
        this.inflight.delete(ref);
        this.settle(
          p,
          new ParlorError("unavailable", "parlor: the room moved while it was being left; the send may or may not have been applied"),
        );
      }
    }
  }

  /**
   * Joins a room again after a reconnect, from its epoch and the last
   * ordered seq seen, so that the server can replay what was missed.
   */
  private rejoin(core: RoomCore): void {
    const build = (ref: number): Frame => ({
      type: "join",
      ref,
      kind: core.kind,
      params: core.params,
      epoch: core.epoch,
      since: core.epoch === "" ? 0 : core.seq,
    });
    const p: Pending = {
      ref: 0,
      build,
      kind: "rejoin",
      core,
      timer: undefined,
      resolve: (f) => {
        if (f.type !== "joined") {
          this.rejoinFailed(core, new ParlorError("internal", "parlor: unexpected answer to join"));
          return;
        }
        if (core.state === "left") {
          // Left while the rejoin was on its way.
          if (!this.cores.has(f.room)) this.dropMembership(f.room);
          return;
        }
        if (core.state !== "rejoining") {
          return; // a join of the same room made it live already
        }
        if (f.recovered) {
          if (core.epoch === "" || f.epoch !== core.epoch) {
            // Recovery is only meaningful within the epoch the client asked
            // for: without a snapshot the room cannot go on.
            this.rejoinFailed(core, new ParlorError("internal", "parlor: the server resumed the room in another epoch"));
            if (!this.cores.has(f.room)) this.dropMembership(f.room);
            return;
          }
          this.resume(core, f.room);
          return;
        }
        let snapshot: unknown;
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
        if (err.code === "disconnected") return; // tried again on the next connection
        this.rejoinFailed(core, err);
      },
    };
    p.timer = setTimeout(() => this.expire(p, this.timeout), this.timeout);
    this.transmit(p);
  }

  /**
   * A membership is live again without recovery: new id, seq, epoch and
   * snapshot, which replaces what the room knew ("$rejoined"); waiting
   * sends go out.
   */
  private revive(core: RoomCore, id: string, seq: number, snapshot: unknown, epoch: string): void {
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
  private resume(core: RoomCore, id: string): void {
    const previousRoom = core.id;
    this.relive(core, id);
    core.notice("$resumed", { room: id, previousRoom, seq: core.seq, epoch: core.epoch });
    core.flush();
  }

  /** Marks a membership joined again under room id. */
  private relive(core: RoomCore, id: string): void {
    if (id !== core.id) {
      if (this.cores.get(core.id) === core) this.cores.delete(core.id);
      core.id = id;
      this.cores.set(id, core);
    }
    core.state = "joined";
    core.rejoinAttempts = 0;
    core.rejoinRetries = 0;
    clearTimer(core.rejoinTimer);
    core.rejoinTimer = undefined;
  }

  /** A rejoin was refused: retry a transient refusal, else give the room up. */
  private rejoinFailed(core: RoomCore, err: ParlorError): void {
    const counts = err.code !== "unavailable";
    if (transientCodes.has(err.code) && (!counts || core.rejoinAttempts < maxRejoinAttempts) && this.backoff) {
      if (counts) core.rejoinAttempts++;
      else core.fail(err); // the room cannot be served for now: do not hold its requests
      core.rejoinRetries++;
      const delay = this.delay(core.rejoinRetries, false);
      core.rejoinTimer = setTimeout(() => {
        core.rejoinTimer = undefined;
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
  private retire(core: RoomCore, err: ParlorError): void {
    core.state = "left";
    clearTimer(core.rejoinTimer);
    core.rejoinTimer = undefined;
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
  private dropMembership(id: string): void {
    if (this.st !== "open") return;
    const ref = ++this.nextRef;
    this.write(encodeFrame({ type: "leave", ref, room: id }));
  }

  /** Queues one frame; frames queued in the same task go out as one batch. */
  private write(frame: Uint8Array): void {
    this.outbox.push(frame);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    const frames = this.outbox;
    this.outbox = [];
    const ws = this.ws;
    if (!ws || ws.readyState !== OPEN) {
      return; // the requests are failed by the close handling
    }
    let batch: Uint8Array[] = [];
    let size = 0;
    const send = () => {
      if (batch.length === 0) return;
      const msg = batch.length === 1 ? batch[0]! : concat(batch, size);
      batch = [];
      size = 0;
      try {
        ws.send(msg);
      } catch {
        // The socket is closing: its close event follows.
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
  private abort(code: number, reason: string): void {
    const ws = this.ws;
    if (!ws) return;
    this.detach();
    try {
      ws.close(1000, reason.slice(0, 120));
    } catch {
      // already closed
    }
    this.lost(code, reason);
  }

  /** Drops the current socket's handlers. */
  private detach(): void {
    const ws = this.ws;
    if (ws) {
      ws.onopen = ws.onclose = ws.onmessage = ws.onerror = null;
    }
    this.ws = null;
    this.outbox = [];
    clearTimer(this.handshakeTimer);
    this.handshakeTimer = undefined;
  }

  /**
   * The connection is gone: keep the unanswered sends for a resend, fail
   * the other requests in flight, then reconnect or give up. fromServer
   * says the code is the server's close code, not the client's own abort.
   */
  private lost(code: number, reason: string, fromServer = false): void {
    if (this.st === "closed") return;
    const wasOpen = this.st === "open";
    this.detach();
    const b = this.backoff;
    // The attempts count the failures since the last connection that
    // stayed open for maxDelay: one that keeps failing right after it
    // opens backs off like one that cannot open at all.
    if (wasOpen && b && Date.now() - this.openedAt >= b.maxDelay) {
      this.attempt = 0;
    }
    const final = fromServer ? finalCodes.get(code) : undefined;
    let giveUp: ParlorError | undefined;
    if (final !== undefined) {
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
      core.rejoinTimer = undefined;
      core.rejoinAttempts = 0;
      core.rejoinRetries = 0;
    }
    // Sends without a reply go out again after their room's rejoin, in
    // their original order and with their client_msg_id, ahead of the
    // sends that were already waiting for it. Their timers keep running.
    // A close 1009 says a message was over the server's limit: sent
    // again, it would get the next connection closed too, so the sends
    // written on this one fail instead, as does a send written on
    // maxTries lost connections.
    const tooLarge = fromServer && code === 1009;
    const resend = new Map<RoomCore, Pending[]>();
    for (const p of inflight) {
      if (p.kind === "send") p.tries = (p.tries ?? 0) + 1;
      if (tooLarge && p.kind !== "rejoin") {
        this.settle(p, new ParlorError("too_large", "parlor: close 1009 (too large); the request may or may not have been applied"));
      } else if (p.kind === "send" && (p.tries ?? 0) >= maxTries) {
        this.settle(p, new ParlorError("disconnected", "parlor: connection lost before the reply 3 times; the request may or may not have been applied"));
      } else if (giveUp === undefined && p.kind === "send" && p.core && p.core.state === "rejoining") {
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
      this.st = "reconnecting"; // not open any more, for the listeners
      const d: DisconnectedInfo = { code, reason, willRetry: giveUp === undefined };
      this.emitter.emit("disconnected", d);
      if ((this.st as ConnectionState) === "closed") return; // a listener closed the client
    }
    if (giveUp !== undefined) {
      if (final !== undefined) {
        this.emitter.emit("error", giveUp);
      }
      this.finish(code, reason, giveUp);
      return;
    }
    this.attempt++;
    const delay = this.delay(this.attempt, slowCodes.has(code) && !fromServer);
    const info: ReconnectingInfo = { attempt: this.attempt, delay, code, reason };
    this.st = "reconnecting";
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.open();
    }, delay);
    this.emitter.emit("reconnecting", info);
    this.emitter.emit("state", "reconnecting", info);
  }

  /** The backoff delay of an attempt: exponential, capped, with full jitter in [0, d). */
  private delay(attempt: number, slow: boolean): number {
    const b = this.backoff!;
    const d = slow ? b.maxDelay : Math.min(b.maxDelay, b.initialDelay * Math.pow(b.factor, attempt - 1));
    return Math.floor(Math.random() * d);
  }

  /** Ends the client for good; err, when the client gave up by itself. */
  private finish(code: number, reason: string, err?: ParlorError): void {
    if (this.st === "closed") return;
    if (this.st === "open") {
      const d: DisconnectedInfo = { code, reason, willRetry: false };
      this.emitter.emit("disconnected", d);
      if ((this.st as ConnectionState) === "closed") return; // a listener closed the client
    }
    const ws = this.ws;
    this.detach();
    if (ws) {
      try {
        ws.close(1000, "client closed");
      } catch {
        // already closed
      }
    }
    this.st = "closed";
    clearTimer(this.reconnectTimer);
    this.reconnectTimer = undefined;
    for (const [timer, resolve] of this.leaveTimers) {
      clearTimer(timer);
      resolve(); // the client is closed: out of every room
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
    const info: ClosedInfo = err ? { code, reason, error: err } : { code, reason };
    this.emitter.emit("closed", info);
    this.emitter.emit("state", "closed", info);
    this.emitter.clear();
  }

  private setState(st: "connecting", info: ConnectingInfo): void {
    this.st = st;
    this.emitter.emit(st, info);
    this.emitter.emit("state", st, info);
  }
}

function parseURL(url: string): URL {
  const base = (globalThis as { location?: { href?: string } }).location?.href;
  let u: URL;
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

function positive(v: number | undefined, def: number): number {
  return typeof v === "number" && v > 0 && Number.isFinite(v) ? v : def;
}

function clearTimer(t: Timer | undefined): void {
  if (t !== undefined) clearTimeout(t);
}

function removeFrom<T>(list: T[], x: T): void {
  const i = list.indexOf(x);
  if (i >= 0) list.splice(i, 1);
}

function concat(parts: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

function asParlorError(err: unknown): ParlorError {
  return err instanceof ParlorError ? err : new ParlorError("internal", errText(err));
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function noop(): void {}

/**
 * Client message ids: "c_", a random 64-bit prefix drawn per client, and a
 * counter, 32 hex digits in all. They are unique, and increase within one
 * client, so a server store that indexes them appends instead of inserting
 * at random places.
 */
class MsgIdSource {
  private readonly prefix: string;
  private count = 0;

  constructor() {
    const b = new Uint8Array(8);
    const c = (globalThis as { crypto?: { getRandomValues?: (a: Uint8Array) => Uint8Array } }).crypto;
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
  next(): string {
    this.count++;
    return this.prefix + this.count.toString(16).padStart(16, "0");
  }
}

/** The bytes of a binary message, or null for text. */
function toBytes(data: unknown): Uint8Array | null {
  if (data instanceof ArrayBuffer || Object.prototype.toString.call(data) === "[object ArrayBuffer]") {
    return new Uint8Array(data as ArrayBuffer);
  }
  if (ArrayBuffer.isView(data)) {
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
  return null;
}

/** Whether a and b hold the same bytes. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
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
