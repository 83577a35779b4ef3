// The tic-tac-toe page: join a match (challenge, quick match or watch),
// draw the board from the server's view, and send moves: by click, or by
// keyboard (the board is one tab stop; arrow keys move between the cells,
// Enter or Space plays one). Cells that cannot be played now stay
// focusable (aria-disabled), so the keyboard can read the whole board.
// Moves and the result are announced in a live region.
import { connect } from "/parlor.js";
import { nameOf, pageData, setupClient, showError } from "./common.js";
import { announce, gotoRematch, setResult, setSpectators, setStatus, startGame } from "./game.js";

const me = pageData().me;
const boardEl = document.getElementById("board");
const cells = [...boardEl.querySelectorAll("button.cell")];
const rematchBtn = document.getElementById("rematch");

const reasons = {
  line: () => "three in a row",
  resignation: (loser) => `${loser} resigned`,
  timeout: (loser) => `${loser} ran out of time`,
  forfeit: (loser) => `${loser} left the game`,
};

// g is the match as this page knows it.
const g = { room: null, players: [], seat: -1, status: "waiting", turn: -1, ply: 0, view: null, result: null, present: [], sending: false };

function render() {
  const view = g.view || { board: ".........", legal: [] };
  const legal = new Set(view.legal || []);
  const myTurn = g.status === "playing" && g.seat >= 0 && g.turn === g.seat;
  const line = new Set(view.line || []);
  cells.forEach((c, i) => {
    const mark = view.board[i] === "." ? "" : view.board[i];
    c.textContent = mark;
    c.dataset.mark = mark;
    c.setAttribute("aria-disabled", String(!(myTurn && legal.has(i)) || g.sending));
    c.setAttribute("aria-label", `${cellName(i)}, ${mark || "empty"}${line.has(i) ? ", winning line" : ""}`);
    c.classList.toggle("win", line.has(i));
  });
  for (const p of document.querySelectorAll(".players .player")) {
    const seat = Number(p.dataset.seat);
    p.querySelector(".player-name").textContent = g.players[seat] ? nameOf(g.players[seat]) + (g.players[seat] === me ? " (you)" : "") : "…";
    p.classList.toggle("to-move", g.status === "playing" && g.turn === seat);
  }
  renderStatus();
  rematchBtn.hidden = !(g.status === "over" && g.seat >= 0 && g.result && g.result.reason !== "aborted");
}

// cellName is "Row 2, column 3" for cell 5.
function cellName(i) {
  return `Row ${Math.floor(i / 3) + 1}, column ${(i % 3) + 1}`;
}

// announceMove says the newest mark in the live region: the cell that
// differs between the old board and the new one.
function announceMove(before, after) {
  if (!before || !after) return;
  for (let i = 0; i < 9; i++) {
    if (before[i] === "." && after[i] !== ".") {
      const seat = after[i] === "X" ? 0 : 1;
      const who = g.players[seat] === me ? "You" : nameOf(g.players[seat]);
      announce(`${who} played ${after[i]} in ${cellName(i).toLowerCase()}`);
      return;
    }
  }
}

function renderStatus() {
  const opp = g.players[1 - g.seat];
  if (g.status === "waiting") {
    const missing = g.players.filter((p, i) => !g.present[i] && p !== me).map(nameOf);
    setStatus(missing.length ? `Waiting for ${missing.join(", ")} to join…` : "Waiting for the players…", "none");
  } else if (g.status === "playing") {
    const mark = g.turn === 0 ? "X" : "O";
    if (g.seat < 0) setStatus(`${nameOf(g.players[g.turn])} (${mark}) to move`, "none");
    else if (g.turn === g.seat) setStatus(`Your move (${mark})`, "you");
    else setStatus(`${nameOf(opp)} is thinking…`, "them");
  } else {
    setStatus("Game over", "none");
  }
  if (g.status === "over" && g.result) showResult(g.result);
}

function showResult({ winner, reason }) {
  if (winner >= 0) {
    const w = g.players[winner];
    const loser = nameOf(g.players[1 - winner]);
    const why = (reasons[reason] || (() => reason))(loser);
    setResult(`${nameOf(w)} wins — ${why}`, w, reason);
  } else if (reason === "aborted") {
    setResult("Aborted — the game never got going", "draw", reason);
  } else {
    setResult(reason === "agreement" ? "Draw — agreed" : "Draw", "draw", reason);
  }
}

function applySnapshot(s) {
  g.players = s.players || [];
  g.seat = s.seat;
  g.status = s.status;
  g.turn = s.turn;
  g.ply = s.ply;
  g.view = s.view;
  g.result = s.result || null;
  g.present = s.present || [];
  setSpectators(s.spectators || 0);
  render();
  boardEl.dataset.ready = "true";
}

startGame({
  game: "tictactoe",
  client: setupClient(connect("/ws")),
  onJoin(room) {
    g.room = room;
    applySnapshot(room.snapshot);
    room.on("started", ({ players, turn }) => {
      g.players = players;
      g.status = "playing";
      g.turn = turn;
      g.present = players.map(() => true);
      render();
    });
    room.on("moved", ({ ply, turn }) => {
      g.ply = ply;
      g.turn = turn;
    });
    room.on("state", ({ ply, turn, view }) => {
      const before = g.view && g.view.board;
      g.ply = ply;
      g.turn = turn;
      g.view = view;
      render();
      announceMove(before, view && view.board);
    });
    room.on("game_over", (r) => {
      g.status = "over";
      g.turn = -1;
      g.result = { winner: r.winner, reason: r.reason };
      render();
    });
    room.on("player_left", ({ user, grace_ms }) => {
      if (g.status === "playing") setStatus(`${nameOf(user)} left — their seat is held for ${Math.round(grace_ms / 1000)} s`, g.turn === g.seat ? "you" : g.seat < 0 ? "none" : "them");
    });
    room.on("player_back", () => render());
    room.on("rematch_offered", ({ seat }) => {
      if (seat !== g.seat) {
        rematchBtn.textContent = `Accept rematch (${nameOf(g.players[seat])} asks)`;
        announce(`${nameOf(g.players[seat])} asks for a rematch`);
      } else rematchBtn.textContent = "Rematch asked…";
    });
    room.on("rematch", (r) => {
      if (g.seat >= 0) gotoRematch("tictactoe", me, r);
    });
    room.on("$rejoined", ({ snapshot }) => applySnapshot(snapshot));
    room.on("$left", ({ reason, error }) => showError(error || { code: reason, message: "left the match" }));
  },
});

boardEl.addEventListener("click", async (e) => {
  const cell = e.target.closest("button.cell");
  if (!cell || cell.getAttribute("aria-disabled") === "true" || !g.room) return;
  const i = Number(cell.dataset.cell);
  focusCell(i);
  g.sending = true; // one move at a time
  cells.forEach((c) => c.setAttribute("aria-disabled", "true"));
  try {
    await g.room.send("move", { cell: i, ply: g.ply });
  } catch (err) {
    showError(err);
  } finally {
    g.sending = false;
    render();
  }
});

// focusCell makes cell i the board's one tab stop.
function focusCell(i, move) {
  cells.forEach((c, j) => (c.tabIndex = j === i ? 0 : -1));
  if (move) cells[i].focus();
}

// Arrow keys move between the cells; Home and End go to the row's ends.
boardEl.addEventListener("keydown", (e) => {
  const cell = e.target.closest("button.cell");
  if (!cell) return;
  const i = Number(cell.dataset.cell);
  let row = Math.floor(i / 3);
  let col = i % 3;
  const step = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] }[e.key];
  if (step) {
    row = Math.min(2, Math.max(0, row + step[0]));
    col = Math.min(2, Math.max(0, col + step[1]));
  } else if (e.key === "Home") col = 0;
  else if (e.key === "End") col = 2;
  else return;
  e.preventDefault();
  focusCell(row * 3 + col, true);
});

rematchBtn.addEventListener("click", () => {
  if (g.room) g.room.send("rematch").catch(showError);
});
