import type { ChatEvents, ChatSends, ChatSnapshot, DMParams, GroupParams, InboxEvents, InboxSends, InboxSnapshot } from "./types/chat.js";
import { ChatKinds } from "./types/chat.js";
import type { ChessMove, ChessView, MatchEvents, MatchParams, MatchSends, MatchSnapshot, QueueSnapshot, TicTacToeMove, TicTacToeView } from "./types/games.js";
import { GameKinds } from "./types/games.js";
import type { UserRoom } from "./presence.js";
import { UserKind } from "./types/user.js";
/**
 * What a room of one kind carries: its join params, its snapshot, its
 * events (name to payload) and what it accepts (event name to request and
 * reply).
 */
export interface RoomSpec {
    /** The join params. */
    params: unknown;
    /** The snapshot of the join's answer. */
    snapshot: unknown;
    /** The module's events, by name: their payloads. */
    events: object;
    /** What the room accepts, by event name: { request; reply }. */
    sends: object;
}
/** A room of a kind without types: any event, any payload. */
export interface AnyRoom extends RoomSpec {
    params: unknown;
    snapshot: unknown;
    events: Record<string, any>;
    sends: Record<string, {
        request: any;
        reply: any;
    }>;
}
/** A direct conversation (chat.dm). */
export interface DMRoom extends RoomSpec {
    params: DMParams;
    snapshot: ChatSnapshot;
    events: ChatEvents;
    sends: ChatSends;
}
/** A group conversation (chat.group). */
export interface GroupRoom extends RoomSpec {
    params: GroupParams;
    snapshot: ChatSnapshot;
    events: ChatEvents;
    sends: ChatSends;
}
/** A user's inbox (chat.inbox): joined without params. */
export interface InboxRoom extends RoomSpec {
    params: undefined;
    snapshot: InboxSnapshot;
    events: InboxEvents;
    sends: InboxSends;
}
/**
 * A match of a game whose view is V and move M. A quick-match join
 * ({quick: true}) answers with the queue's snapshot instead of the
 * match's, and its room gets "matched".
 */
export interface MatchRoom<V = unknown, M = unknown> extends RoomSpec {
    params: MatchParams;
    snapshot: MatchSnapshot<V> | QueueSnapshot;
    events: MatchEvents<V, M>;
    sends: MatchSends<M>;
}
/**
 * The room kinds client.join knows the types of. Add your own modules'
 * kinds by declaration merging:
 *
 *   declare module "@parlorhq/parlor" {
 *     interface RoomKinds { "games.connect4": MatchRoom<Connect4View, Connect4Move> }
 *   }
 */
export interface RoomKinds {
    [ChatKinds.DM]: DMRoom;
    [ChatKinds.Group]: GroupRoom;
    [ChatKinds.Inbox]: InboxRoom;
    [GameKinds.TicTacToe]: MatchRoom<TicTacToeView, TicTacToeMove>;
    [GameKinds.Chess]: MatchRoom<ChessView, ChessMove>;
    /** The user's own channel: notifications and presence. */
    [UserKind]: UserRoom;
}
/** The arguments of client.join after the kind: params (optional when they may be undefined), then options. */
export type JoinArgs<S extends RoomSpec, O> = undefined extends S["params"] ? [params?: S["params"], opts?: O] : [params: S["params"], opts?: O];
/** The event names of a room spec. */
export type EventName<S extends RoomSpec> = keyof S["events"] & string;
/** The event names a room spec accepts in send. */
export type SendName<S extends RoomSpec> = keyof S["sends"] & string;
/** The request of a send. */
type RequestOf<X> = X extends {
    request: infer R;
} ? R : unknown;
/** The reply of a send. */
export type ReplyOf<S extends RoomSpec, K extends SendName<S>> = S["sends"][K] extends {
    reply: infer R;
} ? R : unknown;
/** The arguments of room.send after the event name: data (optional when it may be undefined), then options. */
export type SendArgs<S extends RoomSpec, K extends SendName<S>, O> = undefined extends RequestOf<S["sends"][K]> ? [data?: RequestOf<S["sends"][K]>, opts?: O] : [data: RequestOf<S["sends"][K]>, opts?: O];
export {};
