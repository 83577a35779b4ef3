// Parlor's browser SDK: connect to a Parlor server over WebSocket
// (protocol parlor.v1), join rooms, send events and get replies, with
// reconnection that resumes: rooms continue from the last event seen, and
// unanswered sends are resent.
//
//   import { connect } from "/parlor.js";
//   const client = connect("/ws", { token });
//   const room = await client.join("echo", { name: "lobby" });
//   room.on("said", (data) => console.log(data));
//   await room.send("say", { text: "hello" });
//   client.close();

export { connect, SUBPROTOCOL } from "./client.js";
export type {
  Client,
  ClientEvents,
  ClosedInfo,
  ConnectingInfo,
  ConnectionState,
  ConnectOptions,
  DisconnectedInfo,
  JoinOptions,
  OpenInfo,
  ReconnectingInfo,
  ReconnectOptions,
  WebSocketConstructor,
  WebSocketLike,
} from "./client.js";
export type {
  EventMeta,
  GapInfo,
  LeftInfo,
  RejoinedInfo,
  ResumedInfo,
  Room,
  RoomNotices,
  RoomState,
  SendOptions,
} from "./room.js";
export type { Presence, PresenceStatus, UserRoom } from "./presence.js";
export type { OutboxEntry, OutboxResult, PersistOutboxOptions, StorageLike } from "./outbox.js";
export type {
  AnyRoom,
  DMRoom,
  EventName,
  GroupRoom,
  InboxRoom,
  JoinArgs,
  MatchRoom,
  ReplyOf,
  RoomKinds,
  RoomSpec,
  SendArgs,
  SendName,
} from "./kinds.js";
export * from "./types/chat.js";
export * from "./types/games.js";
export * from "./types/user.js";
export { Codes, ParlorError, isParlorError } from "./errors.js";
export type { ErrorCode } from "./errors.js";
export { VERSION } from "./version.js";

// The protocol layer, for tools and tests: frames and payloads.
export {
  decodeFrame,
  decodeFrames,
  decodeMessage,
  encodeFrame,
  encodeFrames,
  Features,
  FrameTypes,
  MAX_FRAMES,
  MAX_ID_LEN,
  MAX_NAME_LEN,
  MAX_TEXT_LEN,
} from "./codec.js";
export type {
  ConnectedFrame,
  ConnectFrame,
  ErrorFrame,
  EventFrame,
  Frame,
  FrameType,
  JoinedFrame,
  JoinFrame,
  LeaveFrame,
  LeftFrame,
  Raw,
  ReplyFrame,
  SendFrame,
} from "./codec.js";
export { decodeData, encodeData } from "./data.js";
export { MAX_DEPTH, validateMessage } from "./validate.js";
