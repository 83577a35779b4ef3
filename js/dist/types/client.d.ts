import { ParlorError } from "./errors.js";
import { type OutboxResult, type PersistOutboxOptions } from "./outbox.js";
import type { AnyRoom, JoinArgs, RoomKinds } from "./kinds.js";
import { Presence, type PresenceStatus, type UserRoom } from "./presence.js";
import { Room } from "./room.js";
/** The WebSocket subprotocol of the wire protocol. */
export declare const SUBPROTOCOL = "parlor.v1";
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
    onopen: ((ev: any) => void) | null;
    onclose: ((ev: any) => void) | null;
    onmessage: ((ev: any) => void) | null;
    onerror: ((ev: any) => void) | null;
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
/**
 * Connects to a Parlor server and returns the client at once; it connects
 * in the background (state "connecting") and reconnects when the
 * connection is lost. Requests made before the connection is open wait for
 * it. url may be ws://, wss://, or (in a page) a path such as "/ws".
 */
export declare function connect(url: string, opts?: ConnectOptions): Client;
/**
 * A connection to a Parlor server, made by connect. close() ends it and
 * removes every listener and timer it and its rooms hold.
 */
export declare class Client {
    private readonly emitter;
    private readonly url;
    private readonly WS;
    private readonly timeout;
    private readonly dialTimeout;
    private readonly maxMessageSize;
    private readonly clientName;
    private readonly backoff;
    private readonly token;
    private st;
    private ws;
    private connectRef;
    private nextRef;
    private attempt;
    private everOpened;
    private reconnectTimer;
    /** When the current connection opened (Date.now()), for the backoff's reset. */
    private openedAt;
    /** The pauses before refused leaves are sent again, with their promises' resolve. */
    private readonly leaveTimers;
    private handshakeTimer;
    /** Requests sent on the current socket, by ref. */
    private readonly inflight;
    /** Requests waiting for the connection to open. */
    private readonly queued;
    /** Join refs that timed out: a late joined gets a leave. */
    private readonly abandoned;
    /** Memberships by room id. */
    private readonly cores;
    /** Frames waiting for the end of the current task, sent as one batch. */
    private outbox;
    private flushScheduled;
    /** What rooms call back into. */
    private readonly host;
    private sessionId;
    private userId;
    private heartbeat;
    /** The latest resume token, presented in the next connection's connect. */
    private resumeToken;
    /** Makes the client_msg_id of sends that were given none. */
    private readonly msgIds;
    /** The sends kept in storage, with persistOutbox. */
    private readonly persisted;
    /** The join of the user channel, once asked for; null again once it is left. */
    private userJoin;
    private userHandle;
    /**
     * The presence of other users, through the user channel: watch, unwatch
     * and hide. Status changes come as the client's "presence" events.
     */
    readonly presence: Presence;
    /** Use connect. */
    constructor(url: string, opts: ConnectOptions);
    /** The connection's state. */
    get state(): ConnectionState;
    /** The server-assigned session id ("" until open). */
    get session(): string;
    /** The user id the server authenticated ("" until open). */
    get user(): string;
    /** True while the connection is open (state "open"). */
    get connected(): boolean;
    /** The server's ping interval in ms (0 until open). */
    get heartbeatMs(): number;
    /**
     * Listens to connection events: "connecting", "open", "reconnecting",
     * "closed", "state" (every change) and "error". Returns a function that
     * removes the listener.
     */
    on<K extends keyof ClientEvents>(name: K, fn: ClientEvents[K]): () => void;
    /** Removes a listener added with on. */
    off<K extends keyof ClientEvents>(name: K, fn: ClientEvents[K]): void;
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
    /** Joins with encoded params. */
    private joinRaw;
    /** Makes the room of a join's answer; runs as the answer is dispatched. */
    private joined;
    /**
     * The user channel once joined (see joinUserChannel), else null. Its
     * ordered events are the notifications the server's modules send, under
     * their own names: client.userChannel.on("challenge", fn).
     */
    get userChannel(): Room<UserRoom> | null;
    /**
     * Joins the user's own channel (kind "user") once, and resolves with it;
     * later calls share the same room until it is left. The client rejoins
     * it after every reconnect with its epoch and last seq, so notifications
     * sent meanwhile are replayed, and sends the presence watch list again.
     */
    joinUserChannel(): Promise<Room<UserRoom>>;
    /**
     * Closes the client for good: the WebSocket is closed with 1000, pending
     * requests reject with "closed", every room is left locally, and every
     * listener and timer of the client and its rooms is removed. "closed" is
     * emitted first. Calling it again does nothing.
     */
    close(): void;
    private roomSend;
    /** Sends an encoded event, kept in the persistent outbox until answered. */
    private sendRaw;
    /**
     * Resends what an earlier page kept in the persistent outbox: joins each
     * room (sharing the membership with the application's own join of it),
     * resends its sends in order with their client_msg_id, reports each
     * answer as an "outbox" event, and lets go of the room.
     */
    private replayOutbox;
    private roomLeave;
    /**
     * Sends a request when the connection (and, for core, the room) is ready.
     * The answer (joined, or a successful reply) goes through handle
     * synchronously, while the frames after it in the same message wait, and
     * the promise resolves with handle's result.
     */
    private request;
    /** A room's waiting entry for a request: sent when the room is joined again. */
    private waitFor;
    /** Encodes a frame and checks it fits in one message. */
    private encode;
    /** Writes a request on the open connection. */
    private transmit;
    /**
     * Whether a join in flight goes to the room that gaveUp, a join that
     * timed out, was answered for: a retry (the same kind and params) or a
     * rejoin of room. Its answer holds the room, and a leave sent now would
     * reach the server after it and take the room from under it.
     */
    private joining;
    /** A join in flight of kind with params, or undefined. */
    private joinInFlight;
    /** Fails a request whose time is up. */
    private expire;
    /** Rejects a request once, clearing its timer. */
    private settle;
    /** Starts one connection attempt. */
    private open;
    /** Handles one WebSocket message. */
    private receive;
    /** Routes one frame from the server. */
    private dispatch;
    private onEvent;
    /** The handshake is done. */
    private opened;
    /**
     * The room moved to another node of the server's cluster (a left frame
     * with reason "moved"): this connection is out of it, its other rooms
     * are not. It is joined again at once, from its epoch and last seq; its
     * sends without a reply go out again after that, in their order and with
     * their client_msg_id (the server applies each once), ahead of the sends
     * made meanwhile. A late answer to their first writing is ignored.
     */
    private moved;
    /**
     * Fails the sends to a room that moved and that is not tracked (it was
     * being left): the server leaves them unanswered, to be sent again after
     * a rejoin that will not come.
     */
    private failMovedSends;
    /**
     * Joins a room again after a reconnect, from its epoch and the last
     * ordered seq seen, so that the server can replay what was missed.
     */
    private rejoin;
    /**
     * A membership is live again without recovery: new id, seq, epoch and
     * snapshot, which replaces what the room knew ("$rejoined"); waiting
     * sends go out.
     */
    private revive;
    /**
     * A membership is live again with recovery: the room keeps its state and
     * seq, and the missed events follow as ordinary events ("$resumed");
     * waiting sends go out after them.
     */
    private resume;
    /** Marks a membership joined again under room id. */
    private relive;
    /** A rejoin was refused: retry a transient refusal, else give the room up. */
    private rejoinFailed;
    /** Removes a membership for good: its handles, listeners, timer and waiting work. */
    private retire;
    /** Tells the server to drop a membership nobody holds (fire and forget). */
    private dropMembership;
    /** Queues one frame; frames queued in the same task go out as one batch. */
    private write;
    private flush;
    /** Closes the current socket from this side and handles it as lost. */
    private abort;
    /** Drops the current socket's handlers. */
    private detach;
    /**
     * The connection is gone: keep the unanswered sends for a resend, fail
     * the other requests in flight, then reconnect or give up. fromServer
     * says the code is the server's close code, not the client's own abort.
     */
    private lost;
    /** The backoff delay of an attempt: exponential, capped, with full jitter in [0, d). */
    private delay;
    /** Ends the client for good; err, when the client gave up by itself. */
    private finish;
    private setState;
}
