// The Connections page: each connection with its presence, a Chat button
// and challenge buttons, unread counts from the chat inbox, and incoming
// challenges: loaded once from the host, then kept up to date by the
// notices the server pushes on the user channel.
import { connect } from "/parlor.js";
import { api, bindChallengeButtons, el, nameOf, pageData, setupClient, showError } from "./common.js";
import { announce, challengeURL, declineChallenge, gameLabel } from "./notices.js";
import { watchPresence } from "./presence.js";

const me = pageData().me;

const client = setupClient(connect("/ws"), {
  onChallenge: challengeChanged,
  onRejoined: loadChallenges,
  challengeNotices: false, // the list below shows them
});
bindChallengeButtons(client);

// Presence: a dot and a word (and "last seen") for each connection.
const connectionIds = [...document.querySelectorAll("li.connection[data-user]")].map((li) => li.dataset.user);
watchPresence(client, connectionIds, (user) => document.querySelector(`li.connection[data-user="${CSS.escape(user)}"] .presence`));

// The chat inbox: the last message and the unread count per conversation.

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

// ---- Incoming challenges ----

const list = document.getElementById("challenges");
// The pending challenges to me, by match room id, oldest first.
const pending = new Map();

function renderChallenges() {
  list.replaceChildren();
  if (pending.size === 0) {
    list.append(el("li", "empty muted", "No challenges yet."));
    return;
  }
  for (const c of [...pending.values()].reverse()) {
    const li = el("li", "challenge-item");
    li.dataset.room = c.room;
    li.dataset.from = c.from;
    li.dataset.game = c.game;
    li.dataset.shownAt = String(c.shownAt);
    li.append(el("span", "", `${nameOf(c.from)} challenges you to ${gameLabel(c.game, c.base_ms, c.increment_ms)}`));
    const actions = el("span", "actions");
    const a = el("a", "button accept-challenge", "Accept");
    a.href = challengeURL(c.game, c.from, c.nonce);
    a.dataset.game = c.game;
    a.dataset.from = c.from;
    a.dataset.nonce = c.nonce;
    const d = el("button", "button secondary decline-challenge", "Decline");
    d.type = "button";
    d.dataset.game = c.game;
    d.dataset.from = c.from;
    d.addEventListener("click", async () => {
      d.disabled = true;
      try {
        await declineChallenge(client, c);
        pending.delete(c.room);
        renderChallenges();
        announce(`Declined ${nameOf(c.from)}'s challenge`);
      } catch (err) {
        showError(err);
        d.disabled = false;
      }
    });
    actions.append(a, d);
    li.append(actions);
    list.append(li);
  }
}

// challengeChanged applies a challenge notice from the user channel.
function challengeChanged(n) {
  if (n.from === me) return; // our own challenges are not listed here
  if (n.state === "offered") {
    pending.set(n.room, { ...n, shownAt: Date.now() });
  } else if (!pending.delete(n.room)) {
    return;
  }
  renderChallenges();
}

// loadChallenges reads the pending challenges once (and again after the
// user channel missed notices).
// Notices that arrive while it loads are kept: the host may learn of a
// challenge a moment after the user channel tells the page.
async function loadChallenges() {
  const started = Date.now();
  try {
    const res = await api("GET", "/api/challenges");
    const listed = new Map((res.challenges || []).map((c) => [c.room, c]));
    for (const [room, c] of pending) {
      if (!listed.has(room) && c.shownAt < started) pending.delete(room);
    }
    for (const [room, c] of listed) {
      if (!pending.has(room)) pending.set(room, { ...c, shownAt: Date.now() });
    }
    renderChallenges();
    list.dataset.ready = "true";
  } catch (err) {
    showError(err);
  }
}
loadChallenges();
