// The chess page: join a match (challenge, quick match or watch), draw the
// board from the server's view (FEN and the legal moves), move by clicks,
// by dragging (pointer events) or by keyboard (arrow keys between squares,
// Enter or Space to pick a piece and its target, Escape to drop it),
// promotions, clocks that tick between the server's updates, draw offers
// and claims, resignation, the move list and the PGN download. Each square
// names itself and its piece to screen readers ("e4, white knight"), and
// moves and results are announced in a live region.
import { connect } from "/parlor.js";
import { nameOf, pageData, setupClient, showError } from "./common.js";
import { FILES, parseFEN, pieceName } from "./chessboard.js";
import { announce, gotoRematch, setResult, setSpectators, setStatus, startGame } from "./game.js";

const data = pageData();
const me = data.me;

const boardEl = document.getElementById("board");
const promotionEl = document.getElementById("promotion");
const movesEl = document.getElementById("moves");
const clockEls = [document.getElementById("clock-white"), document.getElementById("clock-black")];
const bars = { top: document.querySelector('.player-bar[data-pos="top"]'), bottom: document.querySelector('.player-bar[data-pos="bottom"]') };
const btn = {
  resign: document.getElementById("resign"),
  offerDraw: document.getElementById("offer-draw"),
  acceptDraw: document.getElementById("accept-draw"),
  declineDraw: document.getElementById("decline-draw"),
  rematch: document.getElementById("rematch"),
  pgn: document.getElementById("pgn"),
  claims: [...document.querySelectorAll("button.claim")],
};
const drawOfferEl = document.getElementById("draw-offer");
const drawOfferText = document.getElementById("draw-offer-text");

const COLOR_NAMES = ["White", "Black"];

const g = {
  room: null,
  players: [],
  seat: -1,
  status: "waiting",
  turn: -1, // seat to move
  ply: 0,
  view: null,
  result: null,
  present: [],
  drawOffer: -1,
  clocks: null, // ms per seat at clockAt
  clockAt: 0,
  selected: null,
  pending: null, // {from, to} waiting for a promotion choice
  sending: false,
  orientation: "",
  focus: "e2", // the square that takes the board's one tab stop
  announced: "", // the last move announced, as its UCI and ply
  lowTimeSaid: false, // whether "less than 20 seconds" was announced
};

// ---- The board ----

function buildBoard(orientation) {
  if (g.orientation === orientation) return;
  g.orientation = orientation;
  g.focus = orientation === "white" ? "e2" : "e7";
  boardEl.dataset.orientation = orientation;
  boardEl.replaceChildren();
  const ranks = orientation === "white" ? [8, 7, 6, 5, 4, 3, 2, 1] : [1, 2, 3, 4, 5, 6, 7, 8];
  const files = orientation === "white" ? [...FILES] : [...FILES].reverse();
  for (const r of ranks) {
    for (const f of files) {
      const sq = f + r;
      const b = document.createElement("button");
      b.type = "button";
      b.className = "square" + ((FILES.indexOf(f) + r) % 2 === 1 ? " dark" : "");
      b.dataset.square = sq;
      b.setAttribute("aria-label", sq);
      b.tabIndex = sq === g.focus ? 0 : -1;
      // The coordinates and the pieces are drawn by CSS (::before, from
      // data-coord and data-piece), for the eye: the label says it all.
      const coord = (cls, text) => {
        const c = Object.assign(document.createElement("span"), { className: "coord " + cls });
        c.dataset.coord = text;
        c.setAttribute("aria-hidden", "true");
        return c;
      };
      if (r === ranks[ranks.length - 1]) b.append(coord("file", f));
      if (f === files[0]) b.append(coord("rank", String(r)));
      boardEl.append(b);
    }
  }
  // The player bars: the opponent's colour on top.
  const top = orientation === "white" ? 1 : 0;
  bars.top.append(clockEls[top]);
  bars.bottom.append(clockEls[1 - top]);
  bars.top.dataset.seat = String(top);
  bars.bottom.dataset.seat = String(1 - top);
}

function myColor() {
  return g.seat === 0 ? "w" : g.seat === 1 ? "b" : "";
}

function myTurn() {
  return g.status === "playing" && g.seat >= 0 && g.turn === g.seat;
}

function legalFrom(sq) {
  if (!myTurn() || !g.view) return [];
  return (g.view.legal || []).filter((u) => u.startsWith(sq));
}

function renderBoard() {
  const view = g.view;
  if (!view) return;
  const pieces = parseFEN(view.fen);
  const targets = new Set(g.selected ? legalFrom(g.selected).map((u) => u.slice(2, 4)) : []);
  const last = view.last_move ? [view.last_move.uci.slice(0, 2), view.last_move.uci.slice(2, 4)] : [];
  const checkKing = view.check ? (view.turn === "w" ? "K" : "k") : "";
  for (const b of boardEl.children) {
    const sq = b.dataset.square;
    const p = pieces.get(sq);
    // An occupied square holds a .piece[data-piece] ("wp", "bk", ...);
    // an empty one none.
    let span = b.querySelector(".piece");
    if (p) {
      const color = p === p.toUpperCase() ? "w" : "b";
      const code = color + p.toLowerCase();
      if (!span) {
        span = document.createElement("span");
        span.setAttribute("aria-hidden", "true"); // the square's label names the piece
        b.prepend(span);
      }
      if (span.dataset.piece !== code) {
        span.className = "piece " + color;
        span.dataset.piece = code;
      }
    } else if (span) {
      span.remove();
    }
    b.classList.toggle("selected", sq === g.selected);
    b.classList.toggle("hint", targets.has(sq));
    b.classList.toggle("capture", targets.has(sq) && !!p);
    b.classList.toggle("last", last.includes(sq));
    b.classList.toggle("check", !!checkKing && p === checkKing);
    b.setAttribute("aria-label", squareLabel(sq, p, targets.has(sq), !!checkKing && p === checkKing));
    b.tabIndex = sq === g.focus ? 0 : -1;
  }
}

// squareLabel is what a square says to a screen reader: "e4, white
// knight", then whether it is picked, a legal target or a king in check.
function squareLabel(sq, p, target, check) {
  let s = p ? `${sq}, ${pieceName(p)}` : sq;
  if (sq === g.selected) s += ", selected";
  if (target) s += p ? ", capture" : ", legal move";
  if (check) s += ", in check";
  return s;
}

// ---- Clocks ----

function fmt(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

function setClocks(clocks) {
  if (!clocks) return;
  g.clocks = clocks.slice();
  g.clockAt = performance.now();
  tick();
}

// LOW_MS is when a clock turns red: 20 seconds left.
const LOW_MS = 20000;

function tick() {
  const running = g.status === "playing" && g.clocks ? g.turn : -1;
  for (let seat = 0; seat < 2; seat++) {
    const el = clockEls[seat];
    let ms = g.clocks ? g.clocks[seat] : data.base_ms;
    if (seat === running) ms -= performance.now() - g.clockAt;
    el.textContent = fmt(ms);
    el.classList.toggle("running", seat === running);
    el.classList.toggle("low", ms < LOW_MS);
    // The red clock is said too, once, to the player whose time runs out.
    if (seat === running && seat === g.seat && ms < LOW_MS && !g.lowTimeSaid) {
      g.lowTimeSaid = true;
      announce(`Less than ${LOW_MS / 1000} seconds left on your clock`);
    }
  }
}
const clockTimer = setInterval(tick, 200);
window.addEventListener("pagehide", () => clearInterval(clockTimer));

// ---- Status and controls ----

const reasonText = {
  checkmate: (w) => `Checkmate — ${w} wins`,
  resignation: (w, l) => `${l} resigned — ${w} wins`,
  timeout: (w, l) => `${l} ran out of time — ${w} wins`,
  forfeit: (w, l) => `${l} left the game — ${w} wins`,
};
const drawText = {
  stalemate: "Draw — stalemate",
  insufficient_material: "Draw — insufficient material",
  fivefold: "Draw — fivefold repetition",
  seventy_five_move: "Draw — 75-move rule",
  threefold: "Draw — threefold repetition",
  fifty_move: "Draw — fifty-move rule",
  agreement: "Draw — agreed",
  timeout: "Draw — time ran out, but no mate was possible",
  aborted: "Aborted — the game never got going",
};

function render() {
  const orientation = g.seat === 1 ? "black" : "white";
  buildBoard(orientation);
  renderBoard();
  for (const pos of ["top", "bottom"]) {
    const seat = Number(bars[pos].dataset.seat);
    const id = g.players[seat];
    bars[pos].querySelector(".player-name").textContent = id
      ? `${nameOf(id)}${id === me ? " (you)" : ""} · ${COLOR_NAMES[seat]}`
      : COLOR_NAMES[seat];
  }
  // Status.
  const opp = g.players[1 - g.seat];
  const check = g.view && g.view.check ? " — check!" : "";
  if (g.status === "waiting") {
    const missing = g.players.filter((p, i) => !g.present[i] && p !== me).map(nameOf);
    setStatus(missing.length ? `Waiting for ${missing.join(", ")} to join…` : "Waiting for the players…", "none");
  } else if (g.status === "playing") {
    if (g.seat < 0) setStatus(`${COLOR_NAMES[g.turn]} to move (${nameOf(g.players[g.turn])})${check}`, "none");
    else if (g.turn === g.seat) setStatus(`Your move${check}`, "you");
    else setStatus(`${nameOf(opp)} is thinking…`, "them");
  } else {
    setStatus("Game over", "none");
  }
  // Result.
  if (g.status === "over" && g.result) {
    const { winner, reason } = g.result;
    if (winner >= 0) {
      const w = nameOf(g.players[winner]);
      const l = nameOf(g.players[1 - winner]);
      setResult((reasonText[reason] || ((w) => `${w} wins — ${reason}`))(w, l), g.players[winner], reason);
    } else {
      setResult(drawText[reason] || "Draw", "draw", reason);
    }
  }
  // Moves.
  const sans = (g.view && g.view.moves) || [];
  if (movesEl.children.length !== sans.length || sans.some((s, i) => movesEl.children[i].textContent !== s)) {
    movesEl.replaceChildren(...sans.map((s) => Object.assign(document.createElement("li"), { textContent: s })));
    movesEl.scrollTop = movesEl.scrollHeight;
  }
  // Controls.
  const player = g.seat >= 0;
  const playing = g.status === "playing";
  btn.resign.hidden = !(player && playing);
  btn.offerDraw.hidden = !(player && playing && g.drawOffer !== g.seat && g.drawOffer < 0);
  const offeredToMe = player && playing && g.drawOffer >= 0 && g.drawOffer !== g.seat;
  const iOffered = player && playing && g.drawOffer === g.seat;
  drawOfferEl.hidden = !(offeredToMe || iOffered || (!player && playing && g.drawOffer >= 0));
  drawOfferText.textContent = offeredToMe
    ? `${nameOf(g.players[g.drawOffer])} offers a draw`
    : iOffered
      ? "You offered a draw"
      : g.drawOffer >= 0
        ? `${nameOf(g.players[g.drawOffer])} offered a draw`
        : "";
  btn.acceptDraw.hidden = !offeredToMe;
  btn.declineDraw.hidden = !offeredToMe;
  const claimable = new Set((g.view && g.view.claimable) || []);
  for (const b of btn.claims) b.hidden = !(myTurn() && claimable.has(b.dataset.claim));
  const over = g.status === "over";
  btn.rematch.hidden = !(over && player && g.result && g.result.reason !== "aborted");
  const recorded = over && g.result && !(g.result.reason === "aborted" && g.ply === 0);
  btn.pgn.hidden = !recorded;
  if (recorded) btn.pgn.href = `/api/games/${encodeURIComponent(g.room.id)}/pgn`;
  if (!playing) hidePromotion();
  tick();
}

// announceMove says the last move in the live region, once: "Bob: black
// knight g8 to f6, check".
function announceMove() {
  const last = g.view && g.view.last_move;
  if (!last) return;
  const key = `${g.ply} ${last.uci}`;
  if (key === g.announced) return;
  g.announced = key;
  const from = last.uci.slice(0, 2);
  const to = last.uci.slice(2, 4);
  const p = parseFEN(g.view.fen).get(to);
  const mover = g.players[g.view.turn === "w" ? 1 : 0];
  const who = mover === me ? "You" : nameOf(mover);
  const what = p ? `${pieceName(p)} ${from} to ${to}` : `${from} to ${to}`;
  const sans = g.view.moves || [];
  const san = sans[sans.length - 1] || "";
  const capture = san.includes("x") ? ", capture" : "";
  const check = san.endsWith("#") ? ", checkmate" : g.view.check ? ", check" : "";
  announce(`${who}: ${what}${capture}${check}`);
}

// ---- Moving ----

function hidePromotion() {
  g.pending = null;
  promotionEl.hidden = true;
}

async function sendMove(data) {
  if (!g.room || g.sending) return;
  g.sending = true;
  g.selected = null;
  hidePromotion();
  renderBoard();
  try {
    await g.room.send("move", { ...data, ply: g.ply });
  } catch (err) {
    showError(err);
  } finally {
    g.sending = false;
    render();
  }
}

// moveTo plays the selected piece to sq if that is legal (asking for the
// promotion piece first when it promotes), and says whether it did.
function moveTo(sq) {
  if (!g.selected) return false;
  const moves = legalFrom(g.selected).filter((u) => u.slice(2, 4) === sq);
  if (moves.length === 0) return false;
  if (moves.some((u) => u.length === 5)) {
    g.pending = { from: g.selected, to: sq };
    promotionEl.hidden = false;
    promotionEl.querySelector("button[data-piece]").focus();
    return true;
  }
  sendMove({ uci: moves[0] });
  return true;
}

// canPick says whether sq holds a piece of mine that can move now.
function canPick(sq) {
  const piece = boardEl.querySelector(`[data-square="${sq}"] .piece`)?.dataset.piece;
  return !!piece && piece[0] === myColor() && legalFrom(sq).length > 0;
}

// A click (or Enter or Space on a focused square) picks a piece, or plays
// the picked one to the square; a second click on the picked piece drops it.
boardEl.addEventListener("click", (e) => {
  if (drag.suppressClick) {
    drag.suppressClick = false; // the click that ends a drag
    return;
  }
  const b = e.target.closest(".square");
  if (!b || !g.view || !myTurn() || g.sending) return;
  const sq = b.dataset.square;
  g.focus = sq;
  if (moveTo(sq)) return;
  g.selected = sq !== g.selected && canPick(sq) ? sq : null;
  hidePromotion();
  renderBoard();
});

// The keyboard: the board is one tab stop; arrow keys move between the
// squares as they are drawn (Home and End: the row's ends), Escape drops
// the picked piece.
boardEl.addEventListener("keydown", (e) => {
  const b = e.target.closest(".square");
  if (!b) return;
  if (e.key === "Escape") {
    if (g.selected) {
      g.selected = null;
      hidePromotion();
      renderBoard();
      e.preventDefault();
    }
    return;
  }
  const step = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] }[e.key];
  const squares = [...boardEl.children];
  const i = squares.indexOf(b);
  let row = Math.floor(i / 8);
  let col = i % 8;
  if (step) {
    row = Math.min(7, Math.max(0, row + step[0]));
    col = Math.min(7, Math.max(0, col + step[1]));
  } else if (e.key === "Home") col = 0;
  else if (e.key === "End") col = 7;
  else return;
  e.preventDefault();
  const next = squares[row * 8 + col];
  g.focus = next.dataset.square;
  for (const s of squares) s.tabIndex = s === next ? 0 : -1;
  next.focus();
});

// Dragging, with pointer events (mouse, pen and touch): press on a piece
// that can move, drag it, release it on a square. A press that does not
// move is a click.
const drag = { from: "", pointer: -1, x: 0, y: 0, ghost: null, suppressClick: false };

function endDrag() {
  if (drag.ghost) drag.ghost.remove();
  boardEl.querySelector(".piece.dragging")?.classList.remove("dragging");
  drag.from = "";
  drag.pointer = -1;
  drag.ghost = null;
}

boardEl.addEventListener("pointerdown", (e) => {
  if (e.button !== 0 || drag.from) return;
  const b = e.target.closest(".square");
  if (!b || !g.view || !myTurn() || g.sending || !canPick(b.dataset.square)) return;
  Object.assign(drag, { from: b.dataset.square, pointer: e.pointerId, x: e.clientX, y: e.clientY, ghost: null });
});

// The drag follows the pointer on the whole window (no pointer capture, so
// that a press without a move stays a click on its square).
window.addEventListener("pointermove", (e) => {
  if (!drag.from || e.pointerId !== drag.pointer) return;
  if (!drag.ghost) {
    if (Math.hypot(e.clientX - drag.x, e.clientY - drag.y) < 6) return; // still a click
    const src = boardEl.querySelector(`[data-square="${drag.from}"] .piece`);
    if (!src) return endDrag();
    drag.ghost = src.cloneNode(true);
    drag.ghost.classList.add("drag-ghost");
    drag.ghost.style.fontSize = getComputedStyle(src).fontSize;
    document.body.append(drag.ghost);
    src.classList.add("dragging");
    g.selected = drag.from;
    hidePromotion();
    renderBoard();
  }
  drag.ghost.style.left = `${e.clientX}px`;
  drag.ghost.style.top = `${e.clientY}px`;
});

window.addEventListener("pointerup", (e) => {
  if (!drag.from || e.pointerId !== drag.pointer) return;
  const dragged = !!drag.ghost;
  endDrag();
  if (!dragged) return; // the click handler takes it
  drag.suppressClick = true;
  setTimeout(() => (drag.suppressClick = false));
  const target = document.elementFromPoint(e.clientX, e.clientY)?.closest("#board .square");
  if (target && target.dataset.square !== g.selected) {
    g.focus = target.dataset.square;
    if (moveTo(target.dataset.square)) return;
  }
  // Dropped off the board, on itself or on an illegal square: the piece
  // stays picked, so a click can still move it.
  renderBoard();
});

window.addEventListener("pointercancel", (e) => {
  if (e.pointerId === drag.pointer) endDrag();
});

promotionEl.addEventListener("click", (e) => {
  const p = e.target.closest("button[data-piece]");
  if (!p || !g.pending) return;
  sendMove({ uci: g.pending.from + g.pending.to + p.dataset.piece });
});
// cancelPromotion closes the promotion dialog without moving, and gives
// the focus back to the board.
function cancelPromotion() {
  hidePromotion();
  g.selected = null;
  renderBoard();
  boardEl.querySelector(`[data-square="${g.focus}"]`)?.focus();
}
document.getElementById("promotion-cancel").addEventListener("click", cancelPromotion);
promotionEl.addEventListener("keydown", (e) => {
  if (e.key === "Escape") {
    e.preventDefault();
    cancelPromotion();
  }
});

const act = (event, data) => () => g.room && g.room.send(event, data).catch(showError);
btn.resign.addEventListener("click", () => {
  if (window.confirm("Resign this game?")) act("resign")();
});
btn.offerDraw.addEventListener("click", act("offer_draw"));
btn.acceptDraw.addEventListener("click", act("accept_draw"));
btn.declineDraw.addEventListener("click", act("decline_draw"));
btn.rematch.addEventListener("click", act("rematch"));
for (const b of btn.claims) b.addEventListener("click", () => sendMove({ claim: b.dataset.claim }));

// ---- The match ----

function applySnapshot(s) {
  g.players = s.players || [];
  g.seat = s.seat;
  g.status = s.status;
  g.turn = s.turn;
  g.ply = s.ply;
  g.view = s.view;
  g.result = s.result || null;
  g.present = s.present || [];
  g.drawOffer = s.draw_offer ?? -1;
  g.selected = null;
  // A joined or resumed position is shown, not announced move by move.
  g.announced = s.view && s.view.last_move ? `${s.ply} ${s.view.last_move.uci}` : "";
  if (s.clocks) setClocks(s.clocks);
  setSpectators(s.spectators || 0);
  render();
  boardEl.dataset.ready = "true";
}

startGame({
  game: "chess",
  client: setupClient(connect("/ws")),
  onJoin(room) {
    g.room = room;
    applySnapshot(room.snapshot);
    room.on("started", ({ players, turn, clocks }) => {
      g.players = players;
      g.status = "playing";
      g.turn = turn;
      g.present = players.map(() => true);
      setClocks(clocks);
      render();
    });
    room.on("moved", ({ seat, ply, turn, clocks }) => {
      g.ply = ply;
      g.turn = turn;
      if (g.drawOffer >= 0 && g.drawOffer !== seat) g.drawOffer = -1; // moving on declines
      setClocks(clocks);
    });
    room.on("state", ({ ply, turn, view }) => {
      g.ply = ply;
      g.turn = turn;
      g.view = view;
      g.selected = null;
      render();
      announceMove();
    });
    room.on("game_over", (r) => {
      g.status = "over";
      g.result = { winner: r.winner, reason: r.reason };
      g.ply = r.ply;
      g.drawOffer = -1;
      setClocks(r.clocks);
      render();
    });
    room.on("draw_offered", ({ seat }) => {
      g.drawOffer = seat;
      render();
      announce(seat === g.seat ? "You offered a draw" : `${nameOf(g.players[seat])} offers a draw`);
    });
    room.on("draw_declined", () => {
      g.drawOffer = -1;
      render();
      announce("The draw offer was declined");
    });
    room.on("player_left", ({ user, grace_ms }) => {
      if (g.status === "playing") {
        const el = document.getElementById("status");
        el.textContent = `${nameOf(user)} left — their seat is held for ${Math.round(grace_ms / 1000)} s`;
      }
    });
    room.on("player_back", () => render());
    room.on("rematch_offered", ({ seat }) => {
      btn.rematch.textContent = seat === g.seat ? "Rematch asked…" : `Accept rematch (${nameOf(g.players[seat])} asks)`;
      if (seat !== g.seat) announce(`${nameOf(g.players[seat])} asks for a rematch`);
    });
    room.on("rematch", (r) => {
      if (g.seat >= 0) gotoRematch("chess", me, r);
    });
    room.on("$rejoined", ({ snapshot }) => applySnapshot(snapshot));
    room.on("$left", ({ reason, error }) => showError(error || { code: reason, message: "left the match" }));
  },
});

// Draw an empty board in the lobby's place until a match is joined.
buildBoard("white");
