/** Encodes v; throws a ParlorError("bad_request") for what msgpack payloads cannot hold. */
export declare function encodeValue(v: unknown): Uint8Array;
/** Decodes one value from validated bytes. */
export declare function decodeValue(b: Uint8Array): unknown;
