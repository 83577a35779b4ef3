// Compiled by `npm run check` against the published typings (dist/parlor.d.ts)
// with library checking on: it fails if the typings are broken or the
// public API's types change by accident.

import {
  connect,
  isParlorError,
  ParlorError,
  type Client,
  type ConnectionState,
  type EventMeta,
  type Room,
} from "../../dist/parlor.js";

async function example(token: string): Promise<void> {
  const client: Client = connect("/ws", { token, requestTimeout: 5000, reconnect: { maxDelay: 10_000 } });
  const state: ConnectionState = client.state;
  void state;
  const offState = client.on("state", (s, info) => console.log(s, info));
  client.on("reconnecting", ({ attempt, delay, code }) => console.log(attempt, delay, code));
  client.on("error", (err: ParlorError) => console.log(err.code, err.message));

  const room: Room = await client.join("echo", { name: "lobby" });
  room.on<{ from: string; text: string }>("said", (data, meta: EventMeta) => console.log(data.text, meta.seq));
  room.on("*", (event, data, meta) => console.log(event, data, meta.room));
  room.on("$rejoined", ({ snapshot, seq, epoch }) => console.log(snapshot, seq, epoch));
  room.on("$resumed", ({ room: id, seq, epoch }) => console.log(id, seq, epoch, room.epoch));
  client.on("open", ({ resumed, reconnected }) => console.log(resumed, reconnected));
  client.on("closed", ({ code, error }) => console.log(code, error?.code));
  room.on("$left", ({ reason, error }) => console.log(reason, error?.code));
  room.on("$gap", ({ expected, seq }) => console.log(expected, seq));
  try {
    const reply = await room.send<{ seq: number }>("say", { text: "hi" }, { clientMsgId: "c-1", timeout: 2000 });
    console.log(reply.seq);
  } catch (err) {
    if (isParlorError(err, "not_your_turn")) console.log(err.code);
  }
  await room.leave();
  offState();
  client.close();
}
void example;
