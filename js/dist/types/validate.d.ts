import { ParlorError } from "./errors.js";
/** The deepest container nesting accepted; a frame itself is one level. */
export declare const MAX_DEPTH = 32;
export declare const errTruncated: () => ParlorError;
export declare const errInvalidByte: () => ParlorError;
export declare const errTooDeep: () => ParlorError;
export declare const errCountTooLarge: () => ParlorError;
export declare const errTrailingBytes: () => ParlorError;
export declare const errTooManyFrames: () => ParlorError;
export declare const errEmpty: () => ParlorError;
export declare const errNotFrame: () => ParlorError;
export declare const errFieldType: () => ParlorError;
export declare const errFieldTooLong: () => ParlorError;
export declare const errUnsafeInteger: () => ParlorError;
export declare const errExt: () => ParlorError;
/**
 * Checks that b, from offset start, begins with exactly one well-formed
 * msgpack value nested at most maxDepth deep (0 or more than MAX_DEPTH mean
 * MAX_DEPTH), and returns the offset just past it. Bytes after the value are
 * not examined. allowExt false also rejects ext values. Throws a
 * ParlorError.
 */
export declare function validateValue(b: Uint8Array, start?: number, maxDepth?: number, allowExt?: boolean): number;
/**
 * Checks that b is exactly one well-formed msgpack value with no trailing
 * bytes, nested at most maxDepth deep. allowExt false also rejects ext
 * values. Throws a ParlorError.
 */
export declare function validate(b: Uint8Array, maxDepth?: number, allowExt?: boolean): void;
/**
 * Checks a whole WebSocket message: one or more well-formed values back to
 * back, at most maxFrames of them (0 means no limit), filling the message
 * exactly. Returns the number of values. Throws a ParlorError.
 */
export declare function validateMessage(msg: Uint8Array, maxFrames?: number): number;
