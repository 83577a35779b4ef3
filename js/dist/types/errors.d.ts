/**
 * Error codes. The first group travels in the protocol's reply and error
 * frames (see docs/protocol.md, "Error codes"); modules add their own, such
 * as "not_your_turn". The second group never crosses the wire: the SDK uses
 * them for what happens on this side of the connection.
 */
export declare const Codes: {
    /** The frame or its payload is malformed or invalid. */
    readonly BadRequest: "bad_request";
    /** The session is not authenticated, or sent a request before connect. */
    readonly Unauthorized: "unauthorized";
    /** The user may not do this, e.g. send to a room they have not joined. */
    readonly Forbidden: "forbidden";
    /** The module kind, room or item does not exist. */
    readonly NotFound: "not_found";
    /** The request conflicts with the current state. */
    readonly Conflict: "conflict";
    /** Too many requests: slow down and retry later. */
    readonly RateLimited: "rate_limited";
    /** A frame, field or payload exceeds a limit. */
    readonly TooLarge: "too_large";
    /** A count limit was reached, such as rooms per connection. */
    readonly TooMany: "too_many";
    /** A per-user limit (groups created, open challenges, bytes per day, ...) was reached. */
    readonly LimitExceeded: "limit_exceeded";
    /** The room or server cannot take the request now; retrying later may work. */
    readonly Unavailable: "unavailable";
    /** The server failed; the request may or may not have been applied. */
    readonly Internal: "internal";
    /** Client side: no reply came within the request timeout. */
    readonly Timeout: "timeout";
    /**
     * Client side: the connection was lost after the request was sent and
     * before its reply came. The request may or may not have been applied.
     * Sends get it only when the client does not reconnect (it resends them
     * itself otherwise); joins and leaves get it on every loss. Retry a send
     * with the same clientMsgId to make the retry safe.
     */
    readonly Disconnected: "disconnected";
    /**
     * Client side: the client was closed, gave up reconnecting, or the server
     * closed the connection with a code that forbids reconnecting (1007,
     * 1008, 4009, 4010, 4011, 4029).
     */
    readonly Closed: "closed";
};
/** A code from {@link Codes}, or a module's own code. */
export type ErrorCode = (typeof Codes)[keyof typeof Codes] | (string & {});
/**
 * The one error type the SDK rejects with. `code` is stable and meant for
 * branching; `message` is for people and may change.
 */
export declare class ParlorError extends Error {
    /** A stable, lower-case code: the server's, a module's, or a client-side one. */
    readonly code: ErrorCode;
    /**
     * @param code a stable code, such as "forbidden" or "not_your_turn"
     * @param message a human-readable explanation; the code when empty
     */
    constructor(code: ErrorCode, message?: string);
    /** Returns "ParlorError [code]: message". */
    toString(): string;
}
/** Reports whether err is a ParlorError, optionally with the given code. */
export declare function isParlorError(err: unknown, code?: ErrorCode): err is ParlorError;
