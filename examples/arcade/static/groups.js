// The Groups page: a form that creates a group with some of the user's
// connections, and the user's groups from the chat inbox, with the last
// message and an unread count (none for a muted group).
import { connect } from "/parlor.js";
import { el, nameOf, pageData, setupClient, showError } from "./common.js";

const me = pageData().me;
const list = document.getElementById("groups");
const form = document.getElementById("create-group");
const nameInput = document.getElementById("group-name");
const createBtn = document.getElementById("create");

const client = setupClient(connect("/ws"));

// ---- The list ----

const groups = new Map(); // room id -> the inbox's conversation

function itemOf(c) {
  const li = el("li", "group-item");
  li.dataset.room = c.room;
  const avatar = el("span", "avatar", "#");
  avatar.setAttribute("aria-hidden", "true");
  const who = el("span", "who");
  const link = el("a", "group-link name");
  link.href = `/groups/${encodeURIComponent(c.room)}`;
  who.append(link, el("span", "last muted"));
  const muted = el("span", "muted-label", "Muted");
  const badge = el("span", "unread");
  li.append(avatar, who, muted, badge);
  return li;
}

function fillItem(li, c) {
  li.querySelector(".group-link").textContent = c.name || "Unnamed group";
  const last = li.querySelector(".last");
  // The preview names its author, as on Connections.
  if (c.last && !c.last.deleted && c.last.text) {
    last.textContent = `${c.last.from === me ? "You" : nameOf(c.last.from)}: ${c.last.text}`;
    last.dataset.from = c.last.from;
  } else {
    last.textContent = "";
    delete last.dataset.from;
  }
  li.dataset.muted = c.muted ? "true" : "false";
  li.querySelector(".muted-label").hidden = !c.muted;
  const n = c.muted ? 0 : c.unread || 0;
  const badge = li.querySelector(".unread");
  badge.textContent = n >= 100 ? "99+" : n ? String(n) : "";
  badge.hidden = !n;
  badge.setAttribute("aria-label", `${n} unread`);
}

// render shows the groups, newest first, reusing the items it has.
function render() {
  const items = new Map([...list.querySelectorAll("li.group-item")].map((li) => [li.dataset.room, li]));
  const sorted = [...groups.values()].sort((a, b) => (b.updated || 0) - (a.updated || 0));
  const out = [];
  for (const c of sorted) {
    const li = items.get(c.room) || itemOf(c);
    fillItem(li, c);
    out.push(li);
  }
  if (out.length === 0) out.push(el("li", "empty muted", "No groups yet."));
  list.replaceChildren(...out);
  list.dataset.state = "ready";
}

// apply takes one conversation from the inbox: groups only; a removed or
// hidden one leaves the list.
function apply(c) {
  if (c.kind !== "chat.group") return;
  if (c.removed || c.hidden) groups.delete(c.room);
  else groups.set(c.room, c);
}

function applyAll(snapshot) {
  groups.clear();
  for (const c of snapshot.conversations || []) apply(c);
  render();
}

client
  .join("chat.inbox")
  .then((room) => {
    applyAll(room.snapshot);
    room.on("inbox", (c) => {
      apply(c);
      render();
    });
    room.on("$rejoined", ({ snapshot }) => applyAll(snapshot));
  })
  .catch(showError);

// ---- Creating a group ----

form.addEventListener("submit", async (e) => {
  e.preventDefault();
  const name = nameInput.value.trim();
  const members = [...form.querySelectorAll("input.pick-member:checked")].map((i) => i.value);
  if (!name) {
    nameInput.focus();
    return;
  }
  createBtn.disabled = true;
  try {
    // The nonce makes the creation idempotent: a rejoin after a
    // reconnect opens this group instead of creating another.
    const nonce = crypto.randomUUID();
    const room = await client.join("chat.group", { create: { name, members, nonce } });
    location.assign(`/groups/${encodeURIComponent(room.id)}`);
  } catch (err) {
    showError(err);
    createBtn.disabled = false;
  }
});
