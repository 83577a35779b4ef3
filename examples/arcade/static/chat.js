// The chat page: a direct conversation with one connection. It joins the
// DM room (whose id the server derives from the two signed-in users),
// renders the history from the snapshot, then live messages, typing,
// read receipts, whether the other user has the chat open, and their
// presence in the app (online, away, last seen). Challenges between the
// two are game notes in the log, with Accept and Decline while open, and
// the result once the game ends. The user can mute the conversation (no
// unread badge on Connections) and hide it (out of the previews until the
// next message).
import { connect } from "/parlor.js";
import { nameOf, newMsgId, pageData, setupClient, showError } from "./common.js";
import { messageList } from "./messages.js";
import { announce, cancelChallenge, declineChallenge } from "./notices.js";
import { watchPresence } from "./presence.js";

const data = pageData();
const me = data.me;
const other = data.target;

const chatEl = document.getElementById("chat");
const list = document.getElementById("messages");
const olderBtn = document.getElementById("load-older");
const typingEl = document.getElementById("typing");
const presenceEl = document.getElementById("presence");
const form = document.getElementById("composer-form");
const composer = document.getElementById("composer");
const muteBtn = document.getElementById("mute");
const hideBtn = document.getElementById("hide");

const TYPING_EVERY_MS = 1500;

let room = null;
let otherRead = 0; // the other user's read receipt
let myRead = 0; // our receipt as last sent or known
let typingTimer = 0;
let lastTypingSent = 0;
let typingSent = false;

const client = setupClient(connect("/ws"));
watchPresence(client, [other], () => document.getElementById("status"));

// ---- Rendering ----

const log = messageList(list, me, {
  game: {
    peer: other,
    onCancel: async (note, button) => {
      button.disabled = true;
      try {
        await cancelChallenge(client, note, other);
        announce("Challenge cancelled");
      } catch (err) {
        showError(err);
        button.disabled = false;
      }
    },
    onDecline: async (note, button) => {
      button.disabled = true;
      try {
        await declineChallenge(client, note);
        announce(`Declined ${nameOf(note.from)}'s challenge`);
      } catch (err) {
        showError(err);
        button.disabled = false;
      }
    },
  },
});
const bySeq = log.bySeq; // seq -> .message element
// apply renders one log entry: a message, or an edit or a delete of one
// we hold. Entries we already have are ignored.
const apply = log.apply;

function markReceipts() {
  for (const [seq, div] of bySeq) {
    if (div.dataset.from !== me) continue;
    const read = seq <= otherRead;
    if (read) div.dataset.read = "true";
    else delete div.dataset.read;
    const r = div.querySelector(".receipt");
    if (r) r.textContent = read ? "Read" : "Sent";
  }
}

function nearBottom() {
  return list.scrollHeight - list.scrollTop - list.clientHeight < 80;
}

function scrollToBottom() {
  list.scrollTop = list.scrollHeight;
}

function setPresence(online) {
  presenceEl.dataset.online = online ? "true" : "false";
  presenceEl.textContent = online ? "here" : "not here";
  presenceEl.title = online ? `${nameOf(other)} has this chat open` : `${nameOf(other)} does not have this chat open`;
}

function setTyping(on, ttl) {
  clearTimeout(typingTimer);
  typingEl.textContent = on ? `${nameOf(other)} is typing…` : "";
  if (on) typingTimer = setTimeout(() => setTyping(false), ttl || 5000);
}

function renderSnapshot(snap) {
  log.clear();
  for (const m of snap.messages || []) apply(m);
  const reads = snap.reads || {};
  otherRead = reads[other] || 0;
  myRead = Math.max(myRead, reads[me] || 0);
  olderBtn.hidden = !snap.more;
  setPresence((snap.online || []).includes(other));
  markReceipts();
  setMuted(!!snap.muted);
  setHidden(!!snap.hidden);
  scrollToBottom();
  chatEl.dataset.state = "ready";
  markRead();
}

// ---- Read receipts ----

// markRead moves our receipt to the newest rendered message when the page
// is visible and the other user wrote something we have not read.
function markRead() {
  if (!room || document.visibilityState !== "visible") return;
  let head = 0;
  let unread = false;
  for (const [seq, d] of bySeq) {
    head = Math.max(head, seq);
    if (seq > myRead && d.dataset.from !== me) unread = true;
  }
  if (!unread || head <= myRead) return;
  myRead = head;
  room.send("read", { seq: head }).catch(showError);
}
document.addEventListener("visibilitychange", markRead);
window.addEventListener("focus", markRead);

// ---- Joining ----

async function join() {
  room = await client.join("chat.dm", { with: other });
  renderSnapshot(room.snapshot);
  room.on("message", (m) => {
    setHidden(false); // a message brings a hidden conversation back
    const stick = m.from === me || nearBottom();
    apply(m);
    markReceipts();
    if (m.from === other) setTyping(false);
    if (stick) scrollToBottom();
    markRead();
  });
  room.on("edit", apply);
  room.on("delete", apply);
  room.on("game", (m) => {
    const stick = nearBottom();
    apply(m);
    if (stick) scrollToBottom();
  });
  room.on("read", ({ user, seq }) => {
    if (user === other) {
      otherRead = Math.max(otherRead, seq);
      markReceipts();
    } else if (user === me) {
      myRead = Math.max(myRead, seq); // another tab of ours read it
    }
  });
  room.on("typing", ({ user, typing, expires_in }) => {
    if (user === other) setTyping(typing, expires_in);
  });
  room.on("presence", ({ user, online }) => {
    if (user === other) setPresence(online);
  });
  room.on("$rejoined", ({ snapshot }) => renderSnapshot(snapshot));
  room.on("$left", ({ reason, error }) => {
    chatEl.dataset.state = "error";
    showError(error || { code: reason, message: "left the conversation" });
  });
}

join().catch((err) => {
  chatEl.dataset.state = "error";
  composer.disabled = true;
  document.getElementById("send").disabled = true;
  showError(err);
});

// ---- Mute and hide ----

function setMuted(muted) {
  muteBtn.setAttribute("aria-pressed", muted ? "true" : "false");
  muteBtn.title = muted ? "Show an unread badge for this chat again" : "No unread badge for this chat";
}

function setHidden(hidden) {
  hideBtn.dataset.hidden = hidden ? "true" : "false";
  hideBtn.textContent = hidden ? "Show chat" : "Hide chat";
  hideBtn.title = hidden
    ? "Show this chat on Connections again"
    : "Take this chat off Connections until a new message arrives";
}

muteBtn.addEventListener("click", async () => {
  if (!room) return;
  muteBtn.disabled = true;
  try {
    const s = await room.send("mute", { muted: muteBtn.getAttribute("aria-pressed") !== "true" });
    setMuted(!!s.muted);
  } catch (err) {
    showError(err);
  } finally {
    muteBtn.disabled = false;
  }
});

hideBtn.addEventListener("click", async () => {
  if (!room) return;
  const hide = hideBtn.dataset.hidden !== "true";
  hideBtn.disabled = true;
  try {
    const s = await room.send("hide", { hidden: hide });
    setHidden(!!s.hidden);
    if (s.hidden) location.assign("/connections");
  } catch (err) {
    showError(err);
  } finally {
    hideBtn.disabled = false;
  }
});

// ---- Older history ----

olderBtn.addEventListener("click", async () => {
  if (!room) return;
  const first = Math.min(...bySeq.keys());
  const height = list.scrollHeight;
  try {
    const res = await room.send("history", { before: Number.isFinite(first) ? first : 0, limit: 50 });
    for (const m of res.messages || []) apply(m);
    olderBtn.hidden = !res.more;
    markReceipts();
    list.scrollTop += list.scrollHeight - height;
  } catch (err) {
    showError(err);
  }
});

// ---- Composing ----

function autosize() {
  composer.style.height = "auto";
  composer.style.height = Math.min(composer.scrollHeight + 2, 128) + "px";
}

composer.addEventListener("input", () => {
  autosize();
  if (!room) return;
  const now = Date.now();
  if (composer.value.trim() === "") {
    if (typingSent) {
      typingSent = false;
      lastTypingSent = 0;
      room.send("typing", { stop: true }).catch(() => {});
    }
    return;
  }
  if (now - lastTypingSent >= TYPING_EVERY_MS) {
    lastTypingSent = now;
    typingSent = true;
    room.send("typing").catch(() => {});
  }
});

composer.addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    form.requestSubmit();
  }
});

form.addEventListener("submit", async (e) => {
  e.preventDefault();
  const text = composer.value.trim();
  if (!text || !room) return;
  composer.value = "";
  autosize();
  typingSent = false;
  lastTypingSent = 0;
  try {
    const stored = await room.send("send", { text }, { clientMsgId: newMsgId() });
    apply(stored);
    setHidden(false); // a message brings a hidden conversation back
    myRead = Math.max(myRead, stored.seq || 0); // sending reads up to it
    markReceipts();
    scrollToBottom();
  } catch (err) {
    if (!composer.value) composer.value = text; // give the text back
    autosize();
    showError(err);
  }
});
