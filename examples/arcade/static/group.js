// The group page: a group conversation with a side panel of its members.
// It joins the group room, renders the history (messages and a line for
// each members entry) and live events. Admins promote, demote, remove and
// add members and rename the group; everyone can leave and mute it. Each
// members entry is applied to the group's record (added, removed, admins,
// name) and announced in a live region. A removed member's page says so
// and stops sending.
import { connect } from "/parlor.js";
import { el, nameOf, newMsgId, pageData, setupClient, showError } from "./common.js";
import { messageList } from "./messages.js";

const data = pageData();
const me = data.me;
const groupId = data.group;
const connections = data.connections || [];

const chatEl = document.getElementById("chat");
const list = document.getElementById("messages");
const olderBtn = document.getElementById("load-older");
const form = document.getElementById("composer-form");
const composer = document.getElementById("composer");
const sendBtn = document.getElementById("send");
const nameEl = document.getElementById("group-name");
const countEl = document.getElementById("member-count");
const removedEl = document.getElementById("removed");
const muteBtn = document.getElementById("mute");
const membersEl = document.getElementById("members");
const renameForm = document.getElementById("rename-form");
const renameInput = document.getElementById("rename-input");
const addForm = document.getElementById("add-form");
const addSelect = document.getElementById("add-member");
const leaveBtn = document.getElementById("leave");
const statusEl = document.getElementById("membership-status");

let room = null;
let myRead = 0;
// The group's record: from the snapshot, then each live members entry.
let group = { name: "", members: [], admins: [] };
// The seq up to which group reflects the log.
let groupSeq = 0;
// Set once the user is no longer a member: the page stops sending.
let gone = false;

const client = setupClient(connect("/ws"));

// ---- Describing members entries ----

function who(id) {
  return id === me ? "You" : nameOf(id);
}

function names(ids) {
  const n = ids.map(who);
  return n.length <= 1 ? n.join("") : `${n.slice(0, -1).join(", ")} and ${n[n.length - 1]}`;
}

// describe says what a members entry did. prevAdmins, when known, is the
// admin list the entry replaced, to say who became or stopped being one.
function describe(m, prevAdmins) {
  const by = who(m.from);
  const parts = [];
  if (m.seq === 1) {
    const others = (m.added || []).filter((u) => u !== m.from);
    parts.push(`${by} created the group “${m.name}”` + (others.length ? ` with ${names(others)}` : ""));
  } else {
    if (m.added && m.added.length) parts.push(`${by} added ${names(m.added)}`);
    if (m.removed && m.removed.length) {
      if (m.removed.length === 1 && m.removed[0] === m.from) parts.push(`${by} left`);
      else parts.push(`${by} removed ${names(m.removed)}`);
    }
    if (m.name) parts.push(`${by} renamed the group to “${m.name}”`);
    if (m.admins) {
      if (prevAdmins) {
        const removed = m.removed || [];
        const promoted = m.admins.filter((u) => !prevAdmins.includes(u));
        const demoted = prevAdmins.filter((u) => !m.admins.includes(u) && !removed.includes(u));
        if (promoted.length) parts.push(`${names(promoted)} ${promoted.length > 1 || promoted[0] === me ? "are" : "is"} now ${promoted.length > 1 ? "admins" : "an admin"}`);
        if (demoted.length) parts.push(`${names(demoted)} ${demoted.length > 1 || demoted[0] === me ? "are" : "is"} no longer ${demoted.length > 1 ? "admins" : "an admin"}`);
      } else if (!m.added || m.removed) {
        parts.push(`Admins: ${names(m.admins)}`);
      }
    }
  }
  return parts.join(". ") || `${by} changed the group`;
}

// Entries from the snapshot and history are described without the admin
// list they replaced; live ones with it (see onMembers).
let describing = null;
const log = messageList(list, me, { describeMembers: (m) => describe(m, describing), authors: true });

// ---- The group's record and the panel ----

function isAdmin(id) {
  return group.admins.includes(id);
}

function actionButton(cls, text, label, onClick) {
  const b = el("button", `button secondary ${cls}`, text);
  b.type = "button";
  b.setAttribute("aria-label", label);
  b.addEventListener("click", onClick);
  return b;
}

function renderPanel() {
  nameEl.textContent = group.name;
  document.title = `${group.name} · Parlor arcade`;
  countEl.textContent = `${group.members.length} member${group.members.length === 1 ? "" : "s"}`;
  const admin = !gone && isAdmin(me);
  const items = group.members.map((u) => {
    const li = el("li", "member");
    li.dataset.user = u;
    li.dataset.admin = isAdmin(u) ? "true" : "false";
    li.append(el("span", "name", u === me ? `${nameOf(u)} (you)` : nameOf(u)));
    if (isAdmin(u)) li.append(el("span", "badge", "Admin"));
    if (admin) {
      const actions = el("span", "member-actions");
      if (isAdmin(u)) {
        actions.append(actionButton("demote", "Demote", `Demote ${nameOf(u)} from admin`, () => change("demote", u)));
      } else {
        actions.append(actionButton("promote", "Promote", `Promote ${nameOf(u)} to admin`, () => change("promote", u)));
      }
      if (u !== me) {
        actions.append(actionButton("remove danger", "Remove", `Remove ${nameOf(u)} from the group`, () => change("remove_members", u)));
      }
      li.append(actions);
    }
    return li;
  });
  membersEl.replaceChildren(...items);
  renameForm.hidden = !admin;
  const addable = connections.filter((c) => !group.members.includes(c.id));
  addForm.hidden = !admin || addable.length === 0;
  addSelect.replaceChildren(...addable.map((c) => {
    const o = el("option", "", c.name);
    o.value = c.id;
    return o;
  }));
  leaveBtn.disabled = gone;
}

// onMembers applies a live members entry to the group's record, once.
function onMembers(m) {
  if (!m || m.kind !== "members" || m.seq <= groupSeq) return;
  groupSeq = m.seq;
  const prev = group.admins;
  describing = prev;
  log.apply(m);
  describing = null;
  if (m.added) for (const u of m.added) if (!group.members.includes(u)) group.members.push(u);
  if (m.removed) group.members = group.members.filter((u) => !m.removed.includes(u));
  if (m.admins) group.admins = m.admins.slice();
  if (m.name) group.name = m.name;
  statusEl.textContent = describe(m, prev);
  if (m.removed && m.removed.includes(me)) {
    stop(m.from === me ? "You left this group" : "You were removed from this group");
  }
  renderPanel();
}

// stop shows that the user is no longer a member and stops sending.
function stop(message) {
  if (gone) return;
  gone = true;
  chatEl.dataset.state = "removed";
  removedEl.textContent = message;
  removedEl.hidden = false;
  statusEl.textContent = message;
  composer.disabled = true;
  sendBtn.disabled = true;
  muteBtn.disabled = true;
  renderPanel();
}

async function change(op, user) {
  if (!room || gone) return;
  try {
    onMembers(await room.send(op, { members: [user] }, { clientMsgId: newMsgId() }));
  } catch (err) {
    showError(err);
  }
}

renameForm.addEventListener("submit", async (e) => {
  e.preventDefault();
  const name = renameInput.value.trim();
  if (!name || !room || gone) return;
  try {
    onMembers(await room.send("rename", { name }, { clientMsgId: newMsgId() }));
    renameInput.value = "";
  } catch (err) {
    showError(err);
  }
});

addForm.addEventListener("submit", (e) => {
  e.preventDefault();
  if (addSelect.value) change("add_members", addSelect.value);
});

leaveBtn.addEventListener("click", async () => {
  if (!room || gone) return;
  leaveBtn.disabled = true;
  try {
    await room.send("leave_group", undefined, { clientMsgId: newMsgId() });
    location.assign("/groups");
  } catch (err) {
    showError(err);
    leaveBtn.disabled = false;
  }
});

// ---- Mute ----

function setMuted(muted) {
  muteBtn.setAttribute("aria-pressed", muted ? "true" : "false");
  muteBtn.title = muted ? "Show an unread badge for this group again" : "No unread badge for this group";
}

muteBtn.addEventListener("click", async () => {
  if (!room || gone) return;
  muteBtn.disabled = true;
  try {
    const s = await room.send("mute", { muted: muteBtn.getAttribute("aria-pressed") !== "true" });
    setMuted(!!s.muted);
  } catch (err) {
    showError(err);
  } finally {
    muteBtn.disabled = gone;
  }
});

// ---- Messages ----

function nearBottom() {
  return list.scrollHeight - list.scrollTop - list.clientHeight < 80;
}

function scrollToBottom() {
  list.scrollTop = list.scrollHeight;
}

// markRead moves the user's receipt to the newest entry when the page is
// visible, so that the group shows no unread count on Groups.
function markRead() {
  if (!room || gone || document.visibilityState !== "visible") return;
  let head = 0;
  for (const seq of log.bySeq.keys()) head = Math.max(head, seq);
  if (head <= myRead) return;
  myRead = head;
  room.send("read", { seq: head }).catch(showError);
}
document.addEventListener("visibilitychange", markRead);
window.addEventListener("focus", markRead);

function renderSnapshot(snap) {
  log.clear();
  const g = snap.group || {};
  group = { name: g.name || "", members: (g.members || []).slice(), admins: (g.admins || []).slice() };
  groupSeq = snap.head || 0;
  for (const m of snap.messages || []) log.apply(m);
  myRead = Math.max(myRead, (snap.reads || {})[me] || 0);
  olderBtn.hidden = !snap.more;
  setMuted(!!snap.muted);
  renderPanel();
  scrollToBottom();
  chatEl.dataset.state = "ready";
  markRead();
}

async function join() {
  room = await client.join("chat.group", { id: groupId });
  renderSnapshot(room.snapshot);
  room.on("message", (m) => {
    const stick = m.from === me || nearBottom();
    log.apply(m);
    if (stick) scrollToBottom();
    markRead();
  });
  room.on("edit", log.apply);
  room.on("delete", log.apply);
  room.on("members", (m) => {
    onMembers(m);
    markRead();
  });
  room.on("read", ({ user, seq }) => {
    if (user === me) myRead = Math.max(myRead, seq); // another tab of ours read it
  });
  room.on("$rejoined", ({ snapshot }) => renderSnapshot(snapshot));
  room.on("$left", ({ reason, error }) => {
    if (reason === "kicked") {
      stop("You were removed from this group");
      return;
    }
    chatEl.dataset.state = "error";
    showError(error || { code: reason, message: "left the group" });
  });
}

join().catch((err) => {
  chatEl.dataset.state = "error";
  composer.disabled = true;
  sendBtn.disabled = true;
  showError(err);
});

olderBtn.addEventListener("click", async () => {
  if (!room) return;
  const first = Math.min(...log.bySeq.keys());
  const height = list.scrollHeight;
  try {
    const res = await room.send("history", { before: Number.isFinite(first) ? first : 0, limit: 50 });
    for (const m of res.messages || []) log.apply(m);
    olderBtn.hidden = !res.more;
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

composer.addEventListener("input", autosize);

composer.addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    form.requestSubmit();
  }
});

form.addEventListener("submit", async (e) => {
  e.preventDefault();
  const text = composer.value.trim();
  if (!text || !room || gone) return;
  composer.value = "";
  autosize();
  try {
    const stored = await room.send("send", { text }, { clientMsgId: newMsgId() });
    log.apply(stored);
    myRead = Math.max(myRead, stored.seq || 0);
    scrollToBottom();
  } catch (err) {
    if (!composer.value) composer.value = text;
    autosize();
    showError(err);
  }
});
