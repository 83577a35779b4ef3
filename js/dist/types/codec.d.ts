/** The largest room, session, user and client message id, in UTF-8 bytes. */
export declare const MAX_ID_LEN = 128;
/** The largest kind, event name, code and client name, in UTF-8 bytes. */
export declare const MAX_NAME_LEN = 64;
/** The largest error message and left reason, in UTF-8 bytes. */
export declare const MAX_TEXT_LEN = 1024;
/** The most frames a client may batch in one message (the server default). */
export declare const MAX_FRAMES = 64;
/** The frame types of parlor.v1, by name, with their wire numbers. */
export declare const FrameTypes: {
    readonly connect: 1;
    readonly connected: 2;
    readonly join: 3;
    readonly joined: 4;
    readonly leave: 5;
    readonly send: 6;
    readonly reply: 7;
    readonly event: 8;
    readonly error: 9;
    readonly left: 10;
};
/** A frame type's protocol name. */
export type FrameType = keyof typeof FrameTypes;
/**
 * A raw field: the bytes of one embedded msgpack value, passed through
 * undecoded. On encode an empty array stands for nil. Decoded raw fields
 * are views into the message they came from.
 */
export type Raw = Uint8Array;
/**
 * [1, ref, client, resume_token, features]: opens a session (client to
 * server). The encoder writes a missing resumeToken as "", and features
 * only when it is not 0.
 */
export interface ConnectFrame {
    type: "connect";
    ref: number;
    client: string;
    /** The resume token of the connection this one replaces; "" for a new session. */
    resumeToken: string;
    /** The Features bits the client supports; 0 (or absent) for none. */
    features?: number;
}
/** Bits of a connect frame's features. */
export declare const Features: {
    /**
     * The client joins a room again on the same connection when the server
     * sends a left frame with reason "moved" (the room moved to another node
     * of a cluster), instead of being closed with 1012.
     */
    readonly roomMoves: 1;
};
/**
 * [2, ref, session, user, heartbeat_ms, resume_token, resumed]: answers
 * connect. The encoder writes a missing resumeToken as "" and a missing
 * resumed as false.
 */
export interface ConnectedFrame {
    type: "connected";
    ref: number;
    session: string;
    user: string;
    heartbeatMs: number;
    /** The token to present in the connect of the next connection; "" from servers without resume. */
    resumeToken: string;
    /** True when the server accepted the connect's resume token. */
    resumed: boolean;
}
/**
 * [3, ref, kind, params, epoch, since]: asks to join a room of a module.
 * The encoder writes a missing epoch as "" and a missing since as 0.
 */
export interface JoinFrame {
    type: "join";
    ref: number;
    kind: string;
    params: Raw;
    /** The room epoch from the last joined, to resume; "" for a fresh join. */
    epoch: string;
    /** The last ordered seq seen in that epoch; ignored when epoch is "". */
    since: number;
}
/**
 * [4, ref, room, seq, snapshot, epoch, recovered]: answers a successful
 * join. The encoder writes a missing epoch as "" and a missing recovered as
 * false.
 */
export interface JoinedFrame {
    type: "joined";
    ref: number;
    room: string;
    /** The room's current seq, or with recovery the join's since. */
    seq: number;
    /** The module's room state; nil when recovered. */
    snapshot: Raw;
    /** The room's epoch: the incarnation of its ordered stream. */
    epoch: string;
    /** True when the join resumed from since: the missed events follow. */
    recovered: boolean;
}
/** [5, ref, room]: leaves a room; answered by a reply. */
export interface LeaveFrame {
    type: "leave";
    ref: number;
    room: string;
}
/** [6, ref, room, event, data, client_msg_id]: sends an event to a room. */
export interface SendFrame {
    type: "send";
    ref: number;
    room: string;
    event: string;
    data: Raw;
    /** "" for none. */
    clientMsgId: string;
}
/** [7, ref, code, message, data]: answers a request; code "" is success. */
export interface ReplyFrame {
    type: "reply";
    ref: number;
    code: string;
    message: string;
    data: Raw;
}
/** [8, room, seq, event, data]: a room event; seq 0 is ephemeral. */
export interface EventFrame {
    type: "event";
    room: string;
    seq: number;
    event: string;
    data: Raw;
}
/** [9, code, message]: a connection-level error, sent before a close. */
export interface ErrorFrame {
    type: "error";
    code: string;
    message: string;
}
/** [10, room, reason]: the server removed this connection from a room. */
export interface LeftFrame {
    type: "left";
    room: string;
    reason: string;
}
/** One frame of parlor.v1. */
export type Frame = ConnectFrame | ConnectedFrame | JoinFrame | JoinedFrame | LeaveFrame | SendFrame | ReplyFrame | EventFrame | ErrorFrame | LeftFrame;
/**
 * Validates a whole WebSocket message holding at most maxFrames frames
 * (0: no limit) and calls fn with each frame in order. Nothing is decoded
 * unless the whole message is well-formed; a well-formed value that is not
 * a valid frame throws after fn has seen the frames before it. Raw fields
 * are views into msg. Throws a ParlorError ("bad_request" or "too_large").
 */
export declare function decodeMessage(msg: Uint8Array, fn: (f: Frame) => void, maxFrames?: number): void;
/** Decodes a whole message (see decodeMessage) and returns its frames. */
export declare function decodeFrames(msg: Uint8Array, maxFrames?: number): Frame[];
/** Validates b as exactly one frame and decodes it. Throws a ParlorError. */
export declare function decodeFrame(b: Uint8Array): Frame;
/**
 * Encodes one frame in the shortest form (the protocol's canonical
 * encoding). It checks what the server would reject: integers, string
 * limits, and raw fields that are not exactly one msgpack value. Throws a
 * ParlorError.
 */
export declare function encodeFrame(f: Frame): Uint8Array;
/** Encodes frames back to back as one message (a batch). */
export declare function encodeFrames(frames: readonly Frame[]): Uint8Array;
