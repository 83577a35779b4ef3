// The replay of a finished chess game ("Your games"): every position comes
// with the page (#page-data positions: the start, then one per move); the
// page steps through them with buttons, the move list, or the keyboard
// (ArrowLeft, ArrowRight, Home, End), and says each move in a live region.
import { FILES, parseFEN, pieceCode, pieceName } from "./chessboard.js";
import { nameOf, pageData } from "./common.js";

const data = pageData();
const positions = data.positions || [];
const players = data.players || [];
const last = positions.length - 1;

const boardEl = document.getElementById("board");
const plyEl = document.getElementById("ply");
const movesEl = document.getElementById("replay-moves");
const btn = {
  first: document.getElementById("first"),
  prev: document.getElementById("prev"),
  next: document.getElementById("next"),
  last: document.getElementById("last"),
};
let ply = 0;

document.getElementById("name-white").textContent = `${nameOf(players[0] || "")} · White`;
document.getElementById("name-black").textContent = `${nameOf(players[1] || "")} · Black`;

// The board, white at the bottom: a picture per square, named in words.
for (const r of [8, 7, 6, 5, 4, 3, 2, 1]) {
  for (const f of FILES) {
    const sq = document.createElement("div");
    sq.className = "square" + ((FILES.indexOf(f) + r) % 2 === 1 ? " dark" : "");
    sq.dataset.square = f + r;
    sq.setAttribute("role", "img");
    if (r === 1) sq.append(coord("file", f));
    if (f === "a") sq.append(coord("rank", String(r)));
    boardEl.append(sq);
  }
}

function coord(cls, text) {
  const c = document.createElement("span");
  c.className = "coord " + cls;
  c.dataset.coord = text;
  c.setAttribute("aria-hidden", "true");
  return c;
}

// The move list: a button per move, numbered by the list's CSS.
movesEl.replaceChildren(
  ...positions.slice(1).map((p, i) => {
    const li = document.createElement("li");
    const b = document.createElement("button");
    b.type = "button";
    b.className = "ply link-button";
    b.dataset.ply = String(i + 1);
    b.textContent = p.san;
    b.addEventListener("click", () => show(i + 1));
    li.append(b);
    return li;
  }),
);

// describe is a move in words: "Move 3 of 7: Bc4, white bishop f1 to c4".
function describe(n) {
  if (n === 0) return `Start — ${last} moves in all`;
  const p = positions[n];
  const piece = parseFEN(p.fen).get(p.uci.slice(2, 4));
  const words = piece ? `${pieceName(piece)} ${p.uci.slice(0, 2)} to ${p.uci.slice(2, 4)}` : "";
  return `Move ${n} of ${last}: ${p.san}${words ? ", " + words : ""}`;
}

function show(n) {
  ply = Math.max(0, Math.min(last, n));
  const p = positions[ply];
  if (!p) return;
  const pieces = parseFEN(p.fen);
  const lastSquares = p.uci ? [p.uci.slice(0, 2), p.uci.slice(2, 4)] : [];
  const toMove = p.fen.split(" ")[1] === "w" ? "K" : "k";
  for (const sq of boardEl.children) {
    const name = sq.dataset.square;
    const piece = pieces.get(name);
    let span = sq.querySelector(".piece");
    if (piece) {
      if (!span) {
        span = document.createElement("span");
        span.setAttribute("aria-hidden", "true");
        sq.prepend(span);
      }
      span.className = "piece " + pieceCode(piece)[0];
      span.dataset.piece = pieceCode(piece);
    } else if (span) {
      span.remove();
    }
    const check = !!p.check && piece === toMove;
    sq.setAttribute("aria-label", `${name}, ${piece ? pieceName(piece) : "empty"}${check ? ", in check" : ""}`);
    sq.classList.toggle("last", lastSquares.includes(name));
    sq.classList.toggle("check", check);
  }
  plyEl.textContent = describe(ply);
  plyEl.dataset.ply = String(ply);
  for (const b of movesEl.querySelectorAll("button.ply")) {
    if (Number(b.dataset.ply) === ply) b.setAttribute("aria-current", "step");
    else b.removeAttribute("aria-current");
  }
  movesEl.querySelector('[aria-current="step"]')?.scrollIntoView({ block: "nearest" });
  btn.first.disabled = btn.prev.disabled = ply === 0;
  btn.next.disabled = btn.last.disabled = ply === last;
  boardEl.dataset.ready = "true";
}

btn.first.addEventListener("click", () => show(0));
btn.prev.addEventListener("click", () => show(ply - 1));
btn.next.addEventListener("click", () => show(ply + 1));
btn.last.addEventListener("click", () => show(last));

// The keyboard steps anywhere on the page, except in a field.
document.addEventListener("keydown", (e) => {
  if (e.altKey || e.ctrlKey || e.metaKey || e.target.closest("input, textarea, select")) return;
  const to = { ArrowLeft: ply - 1, ArrowRight: ply + 1, Home: 0, End: last }[e.key];
  if (to === undefined) return;
  e.preventDefault();
  show(to);
});

show(ply);
