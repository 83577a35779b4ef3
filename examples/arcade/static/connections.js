// The Connections page: each connection with a Chat button and challenge
// buttons, unread counts from the chat inbox, and incoming challenges
// polled from the host every 2 seconds.
import { connect } from "/parlor.js";
import { api, bindChallengeButtons, el, isStopped, nameOf, pageData, setupClient, showError } from "./common.js";

const POLL_MS = 2000;
const gameTitles = { tictactoe: "tic-tac-toe", chess: "chess" };
const me = pageData().me;

bindChallengeButtons();

// The chat inbox: the last message and the unread count per conversation.
const client = setupClient(connect("/ws"));

function showConversation(c) {
  if (c.kind !== "chat.dm" || !c.with) return;
  const li = document.querySelector(`li.connection[data-user="${CSS.escape(c.with)}"]`);
  if (!li) return;
  const badge = li.querySelector(".unread");
  // A muted conversation shows no badge; a hidden one leaves the
  // previews until its next message brings it back.
  const gone = c.removed || c.hidden;
  const n = gone || c.muted ? 0 : c.unread || 0;
  badge.textContent = n >= 100 ? "99+" : n ? String(n) : "";
  badge.hidden = !n;
  badge.setAttribute("aria-label", `${n} unread`);
  li.dataset.muted = c.muted && !gone ? "true" : "false";
  li.querySelector(".muted-label").hidden = li.dataset.muted !== "true";
  // The preview always names its author, so that a message from the
  // other user cannot pass as one of yours: "You: …" or "Bob: …".
  const last = li.querySelector(".last");
  if (gone) {
    last.textContent = "";
    delete last.dataset.from;
  } else if (c.last && !c.last.deleted && c.last.text) {
    const who = c.last.from === me ? "You" : nameOf(c.last.from);
    last.textContent = `${who}: ${c.last.text}`;
    last.dataset.from = c.last.from;
  }
}

client
  .join("chat.inbox")
  .then((room) => {
    for (const c of room.snapshot.conversations || []) showConversation(c);
    document.querySelector("ul.connections").dataset.inbox = "ready";
    room.on("inbox", showConversation);
    room.on("$rejoined", ({ snapshot }) => {
      for (const c of snapshot.conversations || []) showConversation(c);
    });
  })
  .catch(showError);

// Incoming challenges.
const list = document.getElementById("challenges");
let shown = "";

function renderChallenges(challenges) {
  const key = JSON.stringify(challenges.map((c) => [c.game, c.from, c.nonce]));
  if (key === shown) return; // leave the DOM alone between changes
  shown = key;
  list.replaceChildren();
  if (challenges.length === 0) {
    list.append(el("li", "empty muted", "No challenges yet."));
    return;
  }
  for (const c of challenges.slice().reverse()) {
    const li = el("li", "challenge-item");
    li.append(el("span", "", `${c.from_name || nameOf(c.from)} challenges you to ${gameTitles[c.game] || c.game}`));
    const a = el("a", "button accept-challenge", "Accept");
    a.href = c.url;
    a.dataset.game = c.game;
    a.dataset.from = c.from;
    a.dataset.nonce = c.nonce;
    li.append(a);
    list.append(li);
  }
}

let timer = 0;
async function poll() {
  try {
    const res = await api("GET", "/api/challenges");
    renderChallenges(res.challenges || []);
  } catch (err) {
    showError(err);
  }
  if (!isStopped()) timer = setTimeout(poll, POLL_MS);
}
poll();
window.addEventListener("pagehide", () => clearTimeout(timer));
