// React hooks for the SDK (built as dist/react.js, which imports react and
// ./parlor.js): a client for a component tree, a room joined for as long as
// a component is mounted, a conversation and a match as React state.
//
// Every hook undoes its effect on unmount (the client is closed, the room
// left, listeners removed), and works under StrictMode, which mounts,
// unmounts and mounts again: the first client or join is let go.
//
//   const { client, state } = useParlor("/ws");
//   const chat = useChat(client, { with: "bob" });
//   chat.messages.map((m) => <p key={m.seq}>{m.from}: {m.text}</p>);
//   chat.send("hello");

import { useCallback, useEffect, useMemo, useRef, useState } from "react";

import { connect, ParlorError } from "./index.js";
import type {
  AnyRoom,
  ChatMessage,
  ChatSnapshot,
  Client,
  ConnectionState,
  ConnectOptions,
  DMParams,
  GroupParams,
  JoinArgs,
  JoinOptions,
  MatchParams,
  MatchResult,
  MatchSnapshot,
  Matched,
  MatchRoom,
  ReplyOf,
  Room,
  RoomKinds,
  RoomSpec,
  RoomState,
  SendName,
} from "./index.js";

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
export function useParlor(url: string | null, opts?: ConnectOptions): ParlorState {
  const optsRef = useRef(opts);
  optsRef.current = opts;
  const [st, setSt] = useState<ParlorState>({ client: null, state: "idle", error: null });
  useEffect(() => {
    if (url === null) {
      setSt({ client: null, state: "idle", error: null });
      return undefined;
    }
    const client = connect(url, optsRef.current);
    setSt({ client, state: client.state, error: null });
    const offState = client.on("state", (state) => setSt((s) => (s.client === client ? { ...s, state } : s)));
    const offError = client.on("error", (error) => setSt((s) => (s.client === client ? { ...s, error } : s)));
    return () => {
      offState();
      offError();
      client.close();
    };
  }, [url]);
  return st;
}

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
export function useRoom<K extends keyof RoomKinds>(
  client: Client | null,
  kind: K,
  ...args: JoinArgs<RoomKinds[K], JoinOptions>
): RoomHookState<RoomKinds[K]>;
export function useRoom<K extends string>(
  client: Client | null,
  kind: K extends keyof RoomKinds ? never : K,
  params?: unknown,
  opts?: JoinOptions,
): RoomHookState;
export function useRoom(client: Client | null, kind: string, params?: unknown, opts?: JoinOptions): RoomHookState {
  return useRoomAttached(client, kind, params, opts, undefined);
}

/**
 * useRoom, with attach: called with each room joined, before any other
 * listener is added, so that the listeners it adds get every event the
 * room delivers, those that came with or right after the join's answer
 * included (a room keeps them until its first listener is added, then
 * hands them to the listeners added meanwhile). The hooks built on
 * useRoom keep their state in those listeners, in the order the events
 * come, rather than in effects that run after a render.
 */
function useRoomAttached(
  client: Client | null,
  kind: string,
  params: unknown,
  opts: JoinOptions | undefined,
  attach: ((room: Room) => void) | undefined,
): RoomHookState {
  const key = JSON.stringify(params ?? null);
  const optsRef = useRef(opts);
  optsRef.current = opts;
  const attachRef = useRef(attach);
  attachRef.current = attach;
  const [st, setSt] = useState<RoomHookState>({ room: null, snapshot: null, state: "idle", error: null });
  useEffect(() => {
    if (client === null) {
      setSt({ room: null, snapshot: null, state: "idle", error: null });
      return undefined;
    }
    let live = true;
    let joined: Room | null = null;
    setSt({ room: null, snapshot: null, state: "joining", error: null });
    const join = client.join as (kind: string, params?: unknown, opts?: JoinOptions) => Promise<Room>;
    join.call(client, kind, JSON.parse(key) ?? undefined, optsRef.current).then(
      (room) => {
        if (!live) {
          void room.leave();
          return;
        }
        joined = room;
        attachRef.current?.(room);
        const update = () =>
          setSt((s) => (s.room === room ? { ...s, snapshot: room.snapshot, state: room.state } : s));
        room.on("$rejoined", update);
        room.on("$resumed", update);
        room.on("$left", (info) => {
          setSt((s) => (s.room === room ? { ...s, state: "left", error: info.error ?? new ParlorError("forbidden", `parlor: left (${info.reason})`) } : s));
        });
        setSt({ room, snapshot: room.snapshot, state: room.state, error: null });
      },
      (err: unknown) => {
        if (!live) return;
        const error = err instanceof ParlorError ? err : new ParlorError("internal", String(err));
        setSt({ room: null, snapshot: null, state: "error", error });
      },
    );
    return () => {
      live = false;
      if (joined) void joined.leave();
    };
  }, [client, kind, key]);
  return st;
}

/** The send function of a hook: like room.send, rejecting with "unavailable" before the room is joined. */
function useSend<S extends RoomSpec>(room: Room<S> | null) {
  return useCallback(
    <K extends SendName<S>>(event: K, data?: unknown, opts?: { timeout?: number; clientMsgId?: string; persist?: boolean }): Promise<ReplyOf<S, K>> => {
      if (!room) return Promise.reject(new ParlorError("unavailable", "parlor: the room is not joined yet"));
      const send = room.send as (event: string, data?: unknown, opts?: unknown) => Promise<ReplyOf<S, K>>;
      return send.call(room, event, data, opts);
    },
    [room],
  );
}

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
export function useChat(client: Client | null, params: DMParams | GroupParams): ChatState {
  const kind = "with" in params ? "chat.dm" : "chat.group";
  // The raw log entries held, by seq: messages is their fold, so that an
  // edit or deletion applies to its message whichever page brought which.
  const [entries, setEntries] = useState<ChatMessage[]>([]);
  const [more, setMore] = useState(false);
  const [typing, setTyping] = useState<string[]>([]);
  const [online, setOnline] = useState<string[]>([]);
  const attach = useCallback(
    (room: Room) => {
      const me = () => client?.user ?? "";
      const reset = () => {
        const snap = room.snapshot as ChatSnapshot | null;
        setEntries(merge([], snap?.messages ?? []));
        setMore(snap?.more ?? false);
        setOnline(snap?.online ?? []);
        setTyping([]);
      };
      reset();
      room.on("$rejoined", reset);
      room.on("*", (event: string, data: ChatMessage) => {
        if (event === "message" || event === "edit" || event === "delete" || event === "members" || event === "game") {
          setEntries((list) => merge(list, [data]));
          if (event === "message") setTyping((t) => t.filter((u) => u !== data.from));
        }
      });
      room.on("typing", (ev: { user: string; typing: boolean }) => {
        if (ev.user === me()) return;
        setTyping((t) => (ev.typing ? (t.includes(ev.user) ? t : [...t, ev.user]) : t.filter((u) => u !== ev.user)));
      });
      room.on("presence", (ev: { user: string; online: boolean }) => {
        setOnline((o) => (ev.online ? (o.includes(ev.user) ? o : [...o, ev.user]) : o.filter((u) => u !== ev.user)));
      });
    },
    [client],
  );
  const { room, state, error } = useRoomAttached(client, kind, params, undefined, attach) as RoomHookState<RoomKinds["chat.dm"]>;
  useEffect(() => {
    if (room) return;
    setEntries([]);
    setMore(false);
    setOnline([]);
    setTyping([]);
  }, [room]);
  const messages = useMemo(() => fold(entries), [entries]);
  const roomRef = useRef(room);
  roomRef.current = room;
  const send = useSend(room);
  const oldest = entries[0]?.seq ?? 0;
  const loadOlder = useCallback(async () => {
    if (!room) throw new ParlorError("unavailable", "parlor: the room is not joined yet");
    const page = await room.send("history", { before: oldest, limit: 0 });
    if (roomRef.current !== room) return; // the component moved to another conversation meanwhile
    setEntries((list) => merge(list, page.messages ?? []));
    setMore(page.more);
  }, [room, oldest]);
  return {
    room,
    state,
    error,
    messages,
    more,
    typing,
    online,
    send: (text) => send("send", { text }),
    edit: (seq, text) => send("edit", { seq, text }),
    remove: (seq) => send("delete", { seq }),
    markRead: (seq) => send("read", { seq: seq ?? entries[entries.length - 1]?.seq ?? 0 }),
    setTyping: (on) => send("typing", on ? {} : { stop: true }, { persist: false }),
    loadOlder,
  };
}

/** Adds log entries to a list of them kept in seq order, once each. */
function merge(list: ChatMessage[], entries: ChatMessage[]): ChatMessage[] {
  let out = list;
  for (const e of entries) {
    let i = out.length;
    while (i > 0 && out[i - 1]!.seq > e.seq) i--;
    if (i > 0 && out[i - 1]!.seq === e.seq) continue;
    out = out === list ? [...out] : out;
    out.splice(i, 0, e);
  }
  return out;
}

/**
 * The messages of log entries in seq order: messages, members and game
 * entries in order, with the edits and deletions applied to their target.
 */
function fold(entries: ChatMessage[]): ChatMessage[] {
  const out: ChatMessage[] = [];
  const at = new Map<number, number>(); // seq -> index in out
  for (const e of entries) {
    if (e.kind === "edit" || e.kind === "delete") {
      const i = e.target === undefined ? undefined : at.get(e.target);
      if (i !== undefined) {
        const m = out[i]!;
        out[i] = e.kind === "edit" ? { ...m, text: e.text ?? "", edited: e.ts } : { ...m, text: "", deleted: true };
      }
      continue;
    }
    at.set(e.seq, out.length);
    out.push(e);
  }
  return out;
}

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

interface MatchFields<V> {
  players: string[];
  seat: number;
  status: string;
  turn: number;
  ply: number;
  view: V | null;
  clocks: number[] | null;
  result: MatchResult | null;
  drawOffer: number;
  matched: Matched | null;
}

function fromSnapshot<V>(snap: unknown): MatchFields<V> {
  const s = snap as Partial<MatchSnapshot<V>> | null;
  return {
    players: s?.players ?? [],
    seat: s?.seat ?? -1,
    status: s?.status ?? "",
    turn: s?.turn ?? -1,
    ply: s?.ply ?? 0,
    view: s?.view ?? null,
    clocks: s?.clocks ?? null,
    result: s?.result ?? null,
    drawOffer: s?.draw_offer ?? -1,
    matched: null,
  };
}

/**
 * A match as React state: joins a game module's room (kind such as
 * "games.tictactoe", params as MatchParams) and keeps the players, turn,
 * view, clocks and result up to date.
 */
export function useMatch<K extends keyof RoomKinds>(
  client: Client | null,
  kind: K,
  params: MatchParams,
): RoomKinds[K] extends MatchRoom<infer V, infer M> ? MatchState<V, M> : MatchState;
export function useMatch<V = unknown, M = unknown>(client: Client | null, kind: string, params: MatchParams): MatchState<V, M>;
export function useMatch(client: Client | null, kind: string, params: MatchParams): MatchState {
  const [m, setM] = useState<MatchFields<unknown>>(() => fromSnapshot(null));
  const attach = useCallback((r: Room) => {
    const room = r as unknown as Room<MatchRoom>;
    const reset = () => setM(fromSnapshot(room.snapshot));
    reset();
    room.on("$rejoined", reset);
    room.on("started", (e) => setM((s) => ({ ...s, status: "playing", players: e.players ?? s.players, turn: e.turn, clocks: e.clocks ?? null })));
    room.on("moved", (e) => setM((s) => ({ ...s, ply: e.ply, turn: e.turn, clocks: e.clocks ?? s.clocks, drawOffer: -1 })));
    room.on("state", (e) => setM((s) => ({ ...s, ply: e.ply, turn: e.turn, view: e.view })));
    room.on("game_over", (e) =>
      setM((s) => ({ ...s, status: "over", turn: -1, ply: e.ply, clocks: e.clocks ?? s.clocks, result: { winner: e.winner, reason: e.reason } })),
    );
    room.on("draw_offered", (e) => setM((s) => ({ ...s, drawOffer: e.seat })));
    room.on("draw_declined", () => setM((s) => ({ ...s, drawOffer: -1 })));
    room.on("matched", (e) => setM((s) => ({ ...s, matched: e })));
  }, []);
  const { room, state, error } = useRoomAttached(client, kind, params, undefined, attach) as unknown as RoomHookState<MatchRoom>;
  useEffect(() => {
    if (!room) setM(fromSnapshot(null));
  }, [room]);
  const send = useSend(room);
  const ply = m.ply;
  return {
    room,
    roomState: state,
    error,
    ...m,
    move: (mv) => send("move", { ...(mv as object), ply }),
    resign: () => send("resign"),
    offerDraw: () => send("offer_draw"),
    declineDraw: () => send("decline_draw"),
    rematch: () => send("rematch"),
  };
}
