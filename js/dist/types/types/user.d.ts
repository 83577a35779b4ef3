/** The kind of the user channel, joined without params. */
export declare const UserKind = "user";
/** The statuses a watched user can have. */
export declare const PresenceStates: {
    readonly Online: "online";
    readonly Away: "away";
    readonly Offline: "offline";
};
/** Status is a user's presence status. */
export type PresenceState = "online" | "away" | "offline";
/**
 * Presence is a user's status as a watcher sees it. On the wire it is the
 * array [user, status, last_seen], last_seen in Unix milliseconds.
 * user: User is the subject.
 * status: Status is online, away or offline.
 * lastSeen: LastSeen is when the user's last session closed, in Unix milliseconds, for an offline user; 0 when unknown, hidden or not offline.
 */
export type PresenceTuple = [user: string, status: PresenceState, lastSeen: number];
/** PresenceUsers is the data of EventPresenceWatch and EventPresenceUnwatch. */
export interface PresenceUsers {
    users: string[] | null;
}
/** PresenceStatuses is the reply to EventPresenceWatch. */
export interface PresenceStatuses {
    statuses: PresenceTuple[] | null;
}
/** PresenceHide is the data of EventPresenceHide. */
export interface PresenceHide {
    hidden: boolean;
}
/** The events of the user channel the server defines; notifications come under their senders' names. */
export interface UserEvents {
    /** A watched user's status changed (seq 0, never replayed). */
    presence: PresenceTuple;
}
/** What the user channel accepts: each event's request and reply. */
export interface UserSends {
    /** Watch users; the reply holds their statuses, in the order asked. */
    "presence.watch": {
        request: PresenceUsers;
        reply: PresenceStatuses;
    };
    /** Stop watching users. */
    "presence.unwatch": {
        request: PresenceUsers;
        reply: null;
    };
    /** Hide your status from every watcher, or show it again. */
    "presence.hide": {
        request: PresenceHide;
        reply: null;
    };
}
