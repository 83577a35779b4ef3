// What the chess page and the replay share: reading a FEN's pieces and
// naming pieces in words.

/** The files, a to h. */
export const FILES = "abcdefgh";

const PIECE_NAMES = { k: "king", q: "queen", r: "rook", b: "bishop", n: "knight", p: "pawn" };

/** The pieces of a FEN: a Map from square ("e4") to piece letter ("N", "p"). */
export function parseFEN(fen) {
  const pieces = new Map();
  const rows = fen.split(" ")[0].split("/");
  rows.forEach((row, i) => {
    const rank = 8 - i;
    let f = 0;
    for (const ch of row) {
      if (ch >= "1" && ch <= "8") f += Number(ch);
      else {
        pieces.set(FILES[f] + rank, ch);
        f++;
      }
    }
  });
  return pieces;
}

/** "white knight" for "N", "black pawn" for "p". */
export function pieceName(p) {
  return `${p === p.toUpperCase() ? "white" : "black"} ${PIECE_NAMES[p.toLowerCase()]}`;
}

/** The .piece[data-piece] code of a piece letter: "wn" for "N", "bp" for "p". */
export function pieceCode(p) {
  return (p === p.toUpperCase() ? "w" : "b") + p.toLowerCase();
}
