import { ParlorError } from "./index.js";
import type { AnyRoom, ChatMessage, Client, ConnectionState, ConnectOptions, DMParams, GroupParams, JoinArgs, JoinOptions, MatchParams, MatchResult, Matched, MatchRoom, Room, RoomKinds, RoomSpec, RoomState } from "./index.js";
/** What useParlor returns. */
export interface ParlorState {
    /** The client; null before the first effect runs, or without a url. */
    client: Client | null;
    /** The client's connection state; "idle" without a client. */
    state: ConnectionState | "idle";
    /** The last error not tied to a request, or null. */
    error: ParlorError | null;
}
/**
 * Connects to url for as long as the component is mounted, and returns the
 * client and its connection state. A new client is made when url changes;
 * opts are read when it is made. A null url connects nothing (for example
 * before sign-in).
 */
export declare function useParlor(url: string | null, opts?: ConnectOptions): ParlorState;
/** What useRoom returns. */
export interface RoomHookState<S extends RoomSpec = AnyRoom> {
    /** The room once joined; null while joining, after an error, or without a client. */
    room: Room<S> | null;
    /** The room's snapshot: the join's, then each "$rejoined" one. */
    snapshot: S["snapshot"] | null;
    /** "joining" until the join is answered, then the room's state; "error" when refused. */
    state: "idle" | "joining" | RoomState | "error";
    /** Why the join failed, or why the room was left by the server. */
    error: ParlorError | null;
}
/**
 * Joins the room of kind and params with client for as long as the
 * component is mounted, and leaves it on unmount or when client, kind or
 * params change (params are compared by their JSON). It returns the room,
 * its snapshot and its state.
 */
export declare function useRoom<K extends keyof RoomKinds>(client: Client | null, kind: K, ...args: JoinArgs<RoomKinds[K], JoinOptions>): RoomHookState<RoomKinds[K]>;
export declare function useRoom<K extends string>(client: Client | null, kind: K extends keyof RoomKinds ? never : K, params?: unknown, opts?: JoinOptions): RoomHookState;
/** What useChat returns. */
export interface ChatState {
    /** The conversation room, once joined. */
    room: Room<RoomKinds["chat.dm"]> | null;
    /** "joining", "joined", "rejoining", "left" or "error". */
    state: RoomHookState["state"];
    /** Why the join failed, or null. */
    error: ParlorError | null;
    /** The log entries, oldest first, with edits and deletions applied to their messages. */
    messages: ChatMessage[];
    /** Whether older entries exist (see loadOlder). */
    more: boolean;
    /** The members typing now, other than the user. */
    typing: string[];
    /** The members who have the conversation open. */
    online: string[];
    /** Sends a message; resolves with the stored entry. */
    send(text: string): Promise<ChatMessage>;
    /** Edits one of the user's messages. */
    edit(seq: number, text: string): Promise<ChatMessage>;
    /** Deletes one of the user's messages. */
    remove(seq: number): Promise<ChatMessage>;
    /** Moves the user's read receipt to seq (default: the newest entry). */
    markRead(seq?: number): Promise<unknown>;
    /** Says the user is typing (or stopped); not kept in a persistent outbox. */
    setTyping(typing: boolean): Promise<unknown>;
    /** Fetches the page of entries before the oldest held. */
    loadOlder(): Promise<void>;
}
/**
 * A conversation as React state: joins chat.dm ({with}) or chat.group
 * ({id} or {create}) and keeps its messages, typing indicators and
 * presence up to date.
 */
export declare function useChat(client: Client | null, params: DMParams | GroupParams): ChatState;
/** What useMatch returns. V is the game's view and M its move. */
export interface MatchState<V = unknown, M = unknown> {
    /** The match room, once joined. */
    room: Room<MatchRoom<V, M>> | null;
    /** The room's state: "joining", "joined", "rejoining", "left" or "error". */
    roomState: RoomHookState["state"];
    /** Why the join failed, or null. */
    error: ParlorError | null;
    /** The players by seat. */
    players: string[];
    /** The user's seat, or -1 for a spectator. */
    seat: number;
    /** "waiting", "playing" or "over"; "" before the join's answer or in the quick-match queue. */
    status: string;
    /** The seat to move, or -1. */
    turn: number;
    /** The number of moves played. */
    ply: number;
    /** The position as the user may see it. */
    view: V | null;
    /** Each seat's remaining time in ms, when timed. */
    clocks: number[] | null;
    /** The outcome once over. */
    result: MatchResult | null;
    /** The seat whose draw offer is pending, or -1. */
    drawOffer: number;
    /** In the quick-match queue: the match to join next, once paired. */
    matched: Matched | null;
    /** Plays a move (with the current ply, so a stale move is refused with "conflict"). */
    move(m: M): Promise<unknown>;
    /** Resigns. */
    resign(): Promise<unknown>;
    /** Offers a draw, or accepts the opponent's offer. */
    offerDraw(): Promise<unknown>;
    /** Declines the pending draw offer. */
    declineDraw(): Promise<unknown>;
    /** Asks for a rematch once over. */
    rematch(): Promise<unknown>;
}
/**
 * A match as React state: joins a game module's room (kind such as
 * "games.tictactoe", params as MatchParams) and keeps the players, turn,
 * view, clocks and result up to date.
 */
export declare function useMatch<K extends keyof RoomKinds>(client: Client | null, kind: K, params: MatchParams): RoomKinds[K] extends MatchRoom<infer V, infer M> ? MatchState<V, M> : MatchState;
export declare function useMatch<V = unknown, M = unknown>(client: Client | null, kind: string, params: MatchParams): MatchState<V, M>;
