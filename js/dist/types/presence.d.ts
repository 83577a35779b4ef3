import type { RoomSpec } from "./kinds.js";
import type { PresenceState, UserEvents, UserSends } from "./types/user.js";
/** A watched user's status, as "presence" events and watch() give it. */
export interface PresenceStatus {
    /** The user id. */
    user: string;
    /** "online", "away" or "offline". A user who hid, or whom the server's policy hides from you, is "offline". */
    status: PresenceState;
    /** For an offline user, when their last session closed, in Unix ms; 0 otherwise or when unknown. */
    lastSeen: number;
}
/**
 * The user channel (kind "user", joined without params): notifications
 * are its ordered events, under the names the server's modules chose;
 * "presence" is an ephemeral status change of a watched user.
 */
export interface UserRoom extends RoomSpec {
    params: undefined;
    snapshot: null;
    events: Record<string, any> & UserEvents;
    sends: UserSends;
}
/** Turns a wire status into a PresenceStatus. */
export declare function toStatus(t: unknown): PresenceStatus;
/**
 * The presence of other users, through the user channel (client.presence).
 * Every method joins the channel first if the client has not. The watch
 * list and the hidden choice are kept by the client and sent again after
 * every rejoin of the channel, since the server forgets them with the
 * channel; each re-watched status is then reported as a "presence" event
 * of the client.
 */
export declare class Presence {
    private readonly host;
    private readonly watched;
    private hid;
    /** The users watched, in the order they were first watched. */
    get watching(): string[];
    /** Whether this client hid its user's status. */
    get hidden(): boolean;
    /**
     * Watches users and resolves with their current statuses, in the order
     * asked; later changes come as "presence" events of the client. Rejects
     * with "limit_exceeded" when the server's watch bound would be passed,
     * "rate_limited" when the user starts watching users faster than the
     * server allows (try again later; in both cases nothing of that call is
     * watched), "bad_request" for an empty or too long id.
     */
    watch(users: string[]): Promise<PresenceStatus[]>;
    /** Stops watching users. */
    unwatch(users: string[]): Promise<void>;
    /**
     * Hides this user's status from every watcher (they see offline), or
     * shows it again. Rejects with "rate_limited" when the user changes it
     * faster than the server allows (the status stays as it was; try again
     * later); asking for the status the user has already is never refused.
     */
    hide(hidden: boolean): Promise<void>;
    /** Sends the watch list and the hidden choice again after a rejoin. */
    private restore;
}
