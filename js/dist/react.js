/*! parlor.js 0.1.0 React hooks. Imports react and ./parlor.js.
 * Generated from js/src by js/scripts/build.mjs. Do not edit: run `npm run build` in js/. */

// src/react.ts
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
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
  return useRoomAttached(client, kind, params, opts, void 0);
}
function useRoomAttached(client, kind, params, opts, attach) {
  const key = JSON.stringify(params ?? null);
  const optsRef = useRef(opts);
  optsRef.current = opts;
  const attachRef = useRef(attach);
  attachRef.current = attach;
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
        attachRef.current?.(room);
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
  const [entries, setEntries] = useState([]);
  const [more, setMore] = useState(false);
  const [typing, setTyping] = useState([]);
  const [online, setOnline] = useState([]);
  const attach = useCallback(
    (room2) => {
      const me = () => client?.user ?? "";
      const reset = () => {
        const snap = room2.snapshot;
        setEntries(merge([], snap?.messages ?? []));
        setMore(snap?.more ?? false);
        setOnline(snap?.online ?? []);
        setTyping([]);
      };
      reset();
      room2.on("$rejoined", reset);
      room2.on("*", (event, data) => {
        if (event === "message" || event === "edit" || event === "delete" || event === "members" || event === "game") {
          setEntries((list) => merge(list, [data]));
          if (event === "message") setTyping((t) => t.filter((u) => u !== data.from));
        }
      });
      room2.on("typing", (ev) => {
        if (ev.user === me()) return;
        setTyping((t) => ev.typing ? t.includes(ev.user) ? t : [...t, ev.user] : t.filter((u) => u !== ev.user));
      });
      room2.on("presence", (ev) => {
        setOnline((o) => ev.online ? o.includes(ev.user) ? o : [...o, ev.user] : o.filter((u) => u !== ev.user));
      });
    },
    [client]
  );
  const { room, state, error } = useRoomAttached(client, kind, params, void 0, attach);
  useEffect(() => {
    if (room) return;
    setEntries([]);
    setMore(false);
    setOnline([]);
    setTyping([]);
  }, [room]);
  const messages = useMemo(() => fold(entries), [entries]);
  const roomRef = useRef(room);
  roomRef.current = room;
  const send = useSend(room);
  const oldest = entries[0]?.seq ?? 0;
  const loadOlder = useCallback(async () => {
    if (!room) throw new ParlorError("unavailable", "parlor: the room is not joined yet");
    const page = await room.send("history", { before: oldest, limit: 0 });
    if (roomRef.current !== room) return;
    setEntries((list) => merge(list, page.messages ?? []));
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
    markRead: (seq) => send("read", { seq: seq ?? entries[entries.length - 1]?.seq ?? 0 }),
    setTyping: (on) => send("typing", on ? {} : { stop: true }, { persist: false }),
    loadOlder
  };
}
function merge(list, entries) {
  let out = list;
  for (const e of entries) {
    let i = out.length;
    while (i > 0 && out[i - 1].seq > e.seq) i--;
    if (i > 0 && out[i - 1].seq === e.seq) continue;
    out = out === list ? [...out] : out;
    out.splice(i, 0, e);
  }
  return out;
}
function fold(entries) {
  const out = [];
  const at = /* @__PURE__ */ new Map();
  for (const e of entries) {
    if (e.kind === "edit" || e.kind === "delete") {
      const i = e.target === void 0 ? void 0 : at.get(e.target);
      if (i !== void 0) {
        const m = out[i];
        out[i] = e.kind === "edit" ? { ...m, text: e.text ?? "", edited: e.ts } : { ...m, text: "", deleted: true };
      }
      continue;
    }
    at.set(e.seq, out.length);
    out.push(e);
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
  const [m, setM] = useState(() => fromSnapshot(null));
  const attach = useCallback((r) => {
    const room2 = r;
    const reset = () => setM(fromSnapshot(room2.snapshot));
    reset();
    room2.on("$rejoined", reset);
    room2.on("started", (e) => setM((s) => ({ ...s, status: "playing", players: e.players ?? s.players, turn: e.turn, clocks: e.clocks ?? null })));
    room2.on("moved", (e) => setM((s) => ({ ...s, ply: e.ply, turn: e.turn, clocks: e.clocks ?? s.clocks, drawOffer: -1 })));
    room2.on("state", (e) => setM((s) => ({ ...s, ply: e.ply, turn: e.turn, view: e.view })));
    room2.on(
      "game_over",
      (e) => setM((s) => ({ ...s, status: "over", turn: -1, ply: e.ply, clocks: e.clocks ?? s.clocks, result: { winner: e.winner, reason: e.reason } }))
    );
    room2.on("draw_offered", (e) => setM((s) => ({ ...s, drawOffer: e.seat })));
    room2.on("draw_declined", () => setM((s) => ({ ...s, drawOffer: -1 })));
    room2.on("matched", (e) => setM((s) => ({ ...s, matched: e })));
  }, []);
  const { room, state, error } = useRoomAttached(client, kind, params, void 0, attach);
  useEffect(() => {
    if (!room) setM(fromSnapshot(null));
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
