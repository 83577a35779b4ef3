/**
 * Encodes a payload. undefined encodes as nothing (nil on the wire); maps,
 * arrays, strings, numbers, booleans, null and Uint8Array (as bin) are
 * allowed. Properties whose value is undefined are left out, as in JSON.
 * Dates and other msgpack extension values are refused: the server rejects
 * them, so send times as integer milliseconds. Throws a ParlorError.
 */
export declare function encodeData(value: unknown): Uint8Array;
/**
 * Decodes a payload: the bytes of one msgpack value, as received in a raw
 * field. An empty raw decodes to undefined and nil to null. The bytes are
 * validated first (depth, lengths, no ext values). Throws a ParlorError.
 */
export declare function decodeData(raw: Uint8Array): unknown;
