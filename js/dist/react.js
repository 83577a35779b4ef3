/*! parlor.js 0.1.0 React hooks. Imports react and ./parlor.js.
 * Generated from js/src by js/scripts/build.mjs. Do not edit: run `npm run build` in js/. */

// src/react.ts
import { useCallback, useEffect, useRef, useState } from "react";
import { connect, ParlorError } from "./parlor.js";
function useParlor(url, opts) {
  const optsRef = useRef(opts);
  optsRef.current = opts;
  const [st, setSt] = useState({ client: null, state: "idle", error: null });
  useEffect(() => {
    if (url === null) {
      setSt({ client: null, state: "idle", error: null });
      return void 0;
    }
    const client = connect(url, optsRef.current);
    setSt({ client, state: client.state, error: null });
    const offState = client.on("state", (state) => setSt((s) => s.client === client ? { ...s, state } : s));
    const offError = client.on("error", (error) => setSt((s) => s.client === client ? { ...s, error } : s));
    return () => {
      offState();
      offError();
      client.close();
    };
  }, [url]);
  return st;
}
function useRoom(client, kind, params, opts) {
  const key = JSON.stringify(params ?? null);
  const optsRef = useRef(opts);
  optsRef.current = opts;
  const [st, setSt] = useState({ room: null, snapshot: null, state: "idle", error: null });
  useEffect(() => {
    if (client === null) {
      setSt({ room: null, snapshot: null, state: "idle", error: null });
      return void 0;
    }
    let live = true;
    let joined = null;
    setSt({ room: null, snapshot: null, state: "joining", error: null });
    const join = client.join;
    join.call(client, kind, JSON.parse(key) ?? void 0, optsRef.current).then(
      (room) => {
        if (!live) {
          void room.leave();
          return;
        }
        joined = room;
        const update = () => setSt((s) => s.room === room ? { ...s, snapshot: room.snapshot, state: room.state } : s);
        room.on("$rejoined", update);
        room.on("$resumed", update);
        room.on("$left", (info) => {
          setSt((s) => s.room === room ? { ...s, state: "left", error: info.error ?? new ParlorError("forbidden", `parlor: left (${info.reason})`) } : s);
        });
        setSt({ room, snapshot: room.snapshot, state: room.state, error: null });
      },
      (err) => {
        if (!live) return;
        const error = err instanceof ParlorError ? err : new ParlorError("internal", String(err));
        setSt({ room: null, snapshot: null, state: "error", error });
      }
    );
    return () => {
      live = false;
      if (joined) void joined.leave();
    };
  }, [client, kind, key]);
  return st;
}
function useSend(room) {
  return useCallback(
    (event, data, opts) => {
      if (!room) return Promise.reject(new ParlorError("unavailable", "parlor: the room is not joined yet"));
      const send = room.send;
      return send.call(room, event, data, opts);
    },
    [room]
  );
}
function useChat(client, params) {
  const kind = "with" in params ? "chat.dm" : "chat.group";
  const joinRoom = useRoom;
  const { room, state, error, snapshot } = joinRoom(client, kind, params);
  const [messages, setMessages] = useState([]);
  const [more, setMore] = useState(false);
  const [typing, setTyping] = useState([]);
  const [online, setOnline] = useState([]);
  useEffect(() => {
    const snap = snapshot;
    setMessages(snap ? fold([], snap.messages ?? []) : []);
    setMore(snap?.more ?? false);
    setOnline(snap?.online ?? []);
    setTyping([]);
  }, [snapshot]);
  useEffect(() => {
    if (!room) return void 0;
    const me = () => client?.user ?? "";
    const offs = [
      room.on("*", (event, data) => {
        if (event === "message" || event === "edit" || event === "delete" || event === "members") {
          setMessages((list) => fold(list, [data]));
          if (event === "message") setTyping((t) => t.filter((u) => u !== data.from));
        }
      }),
      room.on("typing", (ev) => {
        if (ev.user === me()) return;
        setTyping((t) => ev.typing ? t.includes(ev.user) ? t : [...t, ev.user] : t.filter((u) => u !== ev.user));
      }),
      room.on("presence", (ev) => {
        setOnline((o) => ev.online ? o.includes(ev.user) ? o : [...o, ev.user] : o.filter((u) => u !== ev.user));
      })
    ];
    return () => offs.forEach((off) => off());
  }, [room, client]);
  const send = useSend(room);
  const oldest = messages[0]?.seq ?? 0;
  const loadOlder = useCallback(async () => {
    if (!room) throw new ParlorError("unavailable", "parlor: the room is not joined yet");
    const page = await room.send("history", { before: oldest, limit: 0 });
    setMessages((list) => fold(page.messages ?? [], list));
    setMore(page.more);
  }, [room, oldest]);
  return {
    room,
    state,
    error,
    messages,
    more,
    typing,
    online,
    send: (text) => send("send", { text }),
    edit: (seq, text) => send("edit", { seq, text }),
    remove: (seq) => send("delete", { seq }),
    markRead: (seq) => send("read", { seq: seq ?? messages[messages.length - 1]?.seq ?? 0 }),
    setTyping: (on) => send("typing", on ? {} : { stop: true }, { persist: false }),
    loadOlder
  };
}
function fold(list, entries) {
  let out = list;
  for (const e of entries) {
    if (e.kind === "edit" || e.kind === "delete") {
      out = out.map(
        (m) => m.seq !== e.target ? m : e.kind === "edit" ? { ...m, text: e.text ?? "", edited: e.ts } : { ...m, text: "", deleted: true }
      );
      continue;
    }
    if (out.some((m) => m.seq === e.seq)) continue;
    out = out === list ? [...out] : out;
    let i = out.length;
    while (i > 0 && out[i - 1].seq > e.seq) i--;
    out.splice(i, 0, e);
  }
  return out;
}
function fromSnapshot(snap) {
  const s = snap;
  return {
    players: s?.players ?? [],
    seat: s?.seat ?? -1,
    status: s?.status ?? "",
    turn: s?.turn ?? -1,
    ply: s?.ply ?? 0,
    view: s?.view ?? null,
    clocks: s?.clocks ?? null,
    result: s?.result ?? null,
    drawOffer: s?.draw_offer ?? -1,
    matched: null
  };
}
function useMatch(client, kind, params) {
  const joinRoom = useRoom;
  const { room, state, error, snapshot } = joinRoom(client, kind, params);
  const [m, setM] = useState(() => fromSnapshot(null));
  useEffect(() => setM(fromSnapshot(snapshot)), [snapshot]);
  useEffect(() => {
    if (!room) return void 0;
    const offs = [
      room.on("started", (e) => setM((s) => ({ ...s, status: "playing", players: e.players ?? s.players, turn: e.turn, clocks: e.clocks ?? null }))),
      room.on("moved", (e) => setM((s) => ({ ...s, ply: e.ply, turn: e.turn, clocks: e.clocks ?? s.clocks, drawOffer: -1 }))),
      room.on("state", (e) => setM((s) => ({ ...s, ply: e.ply, turn: e.turn, view: e.view }))),
      room.on(
        "game_over",
        (e) => setM((s) => ({ ...s, status: "over", turn: -1, ply: e.ply, clocks: e.clocks ?? s.clocks, result: { winner: e.winner, reason: e.reason } }))
      ),
      room.on("draw_offered", (e) => setM((s) => ({ ...s, drawOffer: e.seat }))),
      room.on("draw_declined", () => setM((s) => ({ ...s, drawOffer: -1 }))),
      room.on("matched", (e) => setM((s) => ({ ...s, matched: e })))
    ];
    return () => offs.forEach((off) => off());
  }, [room]);
  const send = useSend(room);
  const ply = m.ply;
  return {
    room,
    roomState: state,
    error,
    ...m,
    move: (mv) => send("move", { ...mv, ply }),
    resign: () => send("resign"),
    offerDraw: () => send("offer_draw"),
    declineDraw: () => send("decline_draw"),
    rematch: () => send("rematch")
  };
}
export {
  useChat,
  useMatch,
  useParlor,
  useRoom
};
