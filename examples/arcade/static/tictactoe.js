// The tic-tac-toe page: join a match (challenge, quick match or watch),
// draw the board from the server's view, and send moves.
import { connect } from "/parlor.js";
import { nameOf, pageData, setupClient, showError } from "./common.js";
import { gotoRematch, setResult, setSpectators, setStatus, startGame } from "./game.js";

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
const g = { room: null, players: [], seat: -1, status: "waiting", turn: -1, ply: 0, view: null, result: null, present: [] };

function render() {
  const view = g.view || { board: ".........", legal: [] };
  const legal = new Set(view.legal || []);
  const myTurn = g.status === "playing" && g.seat >= 0 && g.turn === g.seat;
  const line = new Set(view.line || []);
  cells.forEach((c, i) => {
    const mark = view.board[i] === "." ? "" : view.board[i];
    c.textContent = mark;
    c.dataset.mark = mark;
    c.disabled = !(myTurn && legal.has(i));
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
      g.ply = ply;
      g.turn = turn;
      g.view = view;
      render();
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
      if (seat !== g.seat) rematchBtn.textContent = `Accept rematch (${nameOf(g.players[seat])} asks)`;
      else rematchBtn.textContent = "Rematch asked…";
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
  if (!cell || cell.disabled || !g.room) return;
  const i = Number(cell.dataset.cell);
  cells.forEach((c) => (c.disabled = true)); // one move at a time
  try {
    await g.room.send("move", { cell: i, ply: g.ply });
  } catch (err) {
    showError(err);
    render();
  }
});

rematchBtn.addEventListener("click", () => {
  if (g.room) g.room.send("rematch").catch(showError);
});
