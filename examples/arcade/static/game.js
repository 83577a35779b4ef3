// What the game pages share: reading the page's query, the lobby with
// quick match and challenges, joining the match, the spectate link and
// rematches. The page script draws the game.
import { bindChallengeButtons, clearError, el, pageData, showError } from "./common.js";
import { announce } from "./notices.js";

/**
 * Starts a game page. Query forms:
 *   ?opponent=bob&nonce=N[&seats=alice,bob]  play a challenge (or a paired match)
 *   ?room=ID&spectate=1                       watch (players resume their seat)
 *   none                                      the lobby: quick match or challenge
 * onJoin(room) is called with the joined match room.
 */
export function startGame({ game, client, onJoin }) {
  const kind = "games." + game;
  const q = new URLSearchParams(location.search);
  const lobby = document.getElementById("lobby");
  const gameEl = document.getElementById("game");

  async function joinMatch(params) {
    lobby.hidden = true;
    gameEl.hidden = false;
    try {
      const room = await client.join(kind, params);
      clearError();
      onJoin(room);
      const seat = room.snapshot.seat;
      showSpectateLink(game, room.id, seat >= 0);
    } catch (err) {
      setStatus("Could not join the match.", "none");
      showError(err);
    }
  }

  const opponent = q.get("opponent");
  const nonce = q.get("nonce");
  const roomId = q.get("room");
  if (opponent && nonce) {
    const seats = (q.get("seats") || "").split(",").filter(Boolean);
    const params = seats.length === 2 ? { seats, nonce } : { opponent, nonce };
    if (pageData().confirm) {
      // The link came from another site: it would challenge (or accept a
      // challenge) in the user's name as the page loads. Ask first.
      lobby.hidden = false;
      gameEl.hidden = true;
      const ask = el("div", "confirm-challenge");
      ask.append(el("p", null, `A link from another site asks you to play ${opponent}.`));
      const go = el("button", "button", `Play ${opponent}`);
      go.type = "button";
      go.addEventListener("click", () => {
        ask.remove();
        joinMatch(params);
      });
      ask.append(go);
      lobby.prepend(ask);
      return;
    }
    joinMatch(params);
    return;
  }
  if (roomId) {
    joinMatch({ room: roomId, spectate: true });
    return;
  }

  // The lobby.
  lobby.hidden = false;
  gameEl.hidden = true;
  bindChallengeButtons(client, lobby);
  const quickBtn = document.getElementById("quick-match");
  const queueStatus = document.getElementById("queue-status");
  let queue = null;
  quickBtn.addEventListener("click", async () => {
    if (queue) {
      // Cancel: leaving the queue room takes us out of line.
      const qr = queue;
      queue = null;
      quickBtn.textContent = "Quick match";
      queueStatus.textContent = "";
      qr.leave().catch(() => {});
      return;
    }
    quickBtn.disabled = true;
    try {
      queue = await client.join(kind, { quick: true });
      quickBtn.textContent = "Cancel";
      queueStatus.textContent = "Waiting for an opponent…";
      queue.on("matched", async (m) => {
        const qr = queue;
        queue = null;
        if (qr) qr.leave().catch(() => {});
        const url = `/${game}?` + new URLSearchParams({ opponent: m.opponent, nonce: m.nonce, seats: m.seats.join(",") });
        history.replaceState(null, "", url);
        joinMatch({ seats: m.seats, nonce: m.nonce });
      });
    } catch (err) {
      showError(err);
    } finally {
      quickBtn.disabled = false;
    }
  });
}

/** Follows a rematch: the new match's page, with the rotated seats. */
export function gotoRematch(game, me, r) {
  const opponent = r.seats.find((s) => s !== me);
  location.href = `/${game}?` + new URLSearchParams({ opponent, nonce: r.nonce, seats: r.seats.join(",") });
}

/** Sets #status's text and data-turn ("you", "them" or "none"). */
export function setStatus(text, turn) {
  const s = document.getElementById("status");
  s.textContent = text;
  s.dataset.turn = turn;
}

/** Says text to screen readers, in the page's #announcer (notices.js). */
export { announce };

/**
 * Shows #result with text, data-winner (user id or "draw") and data-reason,
 * and announces it the first time.
 */
export function setResult(text, winner, reason) {
  const r = document.getElementById("result");
  if (r.hidden || r.textContent !== text) announce(text);
  r.textContent = text;
  r.dataset.winner = winner;
  r.dataset.reason = reason;
  r.hidden = false;
}

function showSpectateLink(game, roomId, isPlayer) {
  const box = document.getElementById("spectate");
  const link = document.getElementById("spectate-link");
  const copy = document.getElementById("copy-spectate");
  const url = `${location.origin}/${game}?` + new URLSearchParams({ room: roomId, spectate: "1" });
  link.href = url;
  link.textContent = "Spectate";
  link.title = url;
  box.hidden = !isPlayer;
  copy.onclick = async () => {
    try {
      await navigator.clipboard.writeText(url);
      copy.textContent = "Copied";
    } catch {
      window.prompt("Copy the watch link:", url);
    }
    setTimeout(() => (copy.textContent = "Copy"), 1500);
  };
}

/** Shows how many watch, in #spectators. */
export function setSpectators(n) {
  const el = document.getElementById("spectators");
  if (el) el.textContent = n > 0 ? `${n} watching` : "";
}
