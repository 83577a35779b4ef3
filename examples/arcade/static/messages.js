// A conversation's log as the chat and group pages show it: messages in
// seq order, edits and deletes applied to the messages they name, and,
// for groups, a line for each members entry. Shared by chat.js (DMs) and
// group.js (groups).
import { el, nameOf } from "./common.js";

/** The time of day of a Unix-millisecond timestamp, e.g. "14:05". */
export function timeOf(ts) {
  if (!ts) return "";
  return new Date(ts).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

/**
 * A log rendered into list, as seen by the user me. Options:
 * describeMembers, if given, turns a members entry into the text of its
 * line (without it, members entries are not shown); authors names the
 * author above each message of someone else (for groups).
 *
 * Returns {bySeq, apply, clear}: bySeq maps the seq of each rendered entry
 * to its element (.message for messages, .member-note for members entries);
 * apply renders one entry, ignoring those already rendered; clear removes
 * them all.
 */
export function messageList(list, me, { describeMembers = null, authors = false } = {}) {
  const bySeq = new Map();

  function messageEl(m) {
    const own = m.from === me;
    const div = el("div", "message" + (own ? " own" : ""));
    div.dataset.seq = String(m.seq);
    div.dataset.from = m.from;
    div.dataset.id = m.id || "";
    if (authors && !own) div.append(el("span", "author", nameOf(m.from)));
    const bubble = el("div", "bubble");
    bubble.append(el("span", "text"));
    div.append(bubble);
    const meta = el("div", "meta");
    meta.append(el("time", "", timeOf(m.ts)));
    if (own) meta.append(" · ", el("span", "receipt", "Sent"));
    div.append(meta);
    fill(div, m);
    return div;
  }

  // fill writes a message's current text (edited, deleted) into its element.
  function fill(div, m) {
    const text = div.querySelector(".text");
    if (m.deleted) {
      div.classList.add("deleted");
      text.textContent = "message deleted";
    } else {
      text.textContent = m.text || "";
      if (m.edited) div.classList.add("edited");
    }
  }

  function noteEl(m) {
    const div = el("div", "member-note", describeMembers(m));
    div.dataset.seq = String(m.seq);
    div.dataset.from = m.from;
    return div;
  }

  function apply(m) {
    if (!m || !m.seq) return;
    if (m.kind === "edit" || m.kind === "delete") {
      const target = bySeq.get(m.target);
      if (target && target.classList.contains("message")) {
        fill(target, m.kind === "delete" ? { deleted: true } : { text: m.text, edited: true });
      }
      return;
    }
    if (bySeq.has(m.seq)) return;
    let div;
    if (m.kind === "message") div = messageEl(m);
    else if (m.kind === "members" && describeMembers) div = noteEl(m);
    else return;
    bySeq.set(m.seq, div);
    // Keep seq order: insert before the first entry with a higher seq.
    let before = null;
    for (const [seq, d] of bySeq) {
      if (seq > m.seq && (!before || seq < Number(before.dataset.seq))) before = d;
    }
    list.insertBefore(div, before);
  }

  function clear() {
    for (const d of bySeq.values()) d.remove();
    bySeq.clear();
  }

  return { bySeq, apply, clear };
}
