// A conversation's log as the chat and group pages show it: messages in
// seq order, edits and deletes applied to the messages they name, for
// groups a line for each members entry, and for DMs the game notes the
// server writes (challenges and results). Shared by chat.js (DMs) and
// group.js (groups).
import { el, nameOf } from "./common.js";
import { challengeURL, gameLabel } from "./notices.js";

/** The time of day of a Unix-millisecond timestamp, e.g. "14:05". */
export function timeOf(ts) {
  if (!ts) return "";
  return new Date(ts).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

/**
 * A log rendered into list, as seen by the user me. Options:
 * describeMembers, if given, turns a members entry into the text of its
 * line (without it, members entries are not shown); authors names the
 * author above each message of someone else (for groups); game, for a DM,
 * is {peer, onDecline(note, button), onCancel(note, button)}: game notes
 * are shown, the newest note of an open challenge to me offers Accept and
 * Decline, and of one from me, Cancel.
 *
 * Returns {bySeq, apply, clear}: bySeq maps the seq of each rendered entry
 * to its element (.message for messages, .member-note for members entries);
 * apply renders one entry, ignoring those already rendered; clear removes
 * them all.
 */
export function messageList(list, me, { describeMembers = null, authors = false, game = null } = {}) {
  const bySeq = new Map();
  const byRef = new Map(); // a challenge's ref -> its note elements

  const who = (u) => (u === me ? "You" : nameOf(u));

  // describeGame is the line of a game note, as me sees it.
  function describeGame(n) {
    const label = gameLabel(n.game, n.base_ms, n.increment_ms);
    const opponent = n.from === me ? game.peer : me;
    switch (n.state) {
      case "offered":
        return n.from === me ? `You challenged ${nameOf(opponent)} to ${label}` : `${nameOf(n.from)} challenged you to ${label}`;
      case "accepted":
        return opponent === me ? `You accepted the ${label} challenge` : `${nameOf(opponent)} accepted the ${label} challenge`;
      case "declined":
        return `${who(n.by || opponent)} declined the ${label} challenge`;
      case "cancelled":
        return `${who(n.by || n.from)} cancelled the ${label} challenge`;
      case "expired":
        return `The ${label} challenge expired`;
      case "finished": {
        const how = (n.reason || "").replaceAll("_", " ");
        const moves = `${n.ply || 0} ${n.ply === 1 ? "move" : "moves"}`;
        if (!n.winner) return `${gameLabel(n.game)}: a draw by ${how}, ${moves}`;
        return `${n.winner === me ? "You" : nameOf(n.winner)} won the ${gameLabel(n.game)} game by ${how}, ${moves}`;
      }
    }
    return "";
  }

  function gameEl(m) {
    const n = m.game;
    const div = el("div", "game-note");
    div.dataset.seq = String(m.seq);
    div.dataset.from = m.from;
    div.dataset.ref = n.ref;
    div.dataset.state = n.state;
    div.append(el("span", "note-text", describeGame(n)));
    if (n.state === "finished") {
      const a = el("a", "replay", "See it in Your games");
      a.href = `/games#game-${encodeURIComponent(n.ref)}`;
      div.append(" · ", a);
    }
    return div;
  }

  // offerActions shows Accept and Decline on the newest note of ref if it
  // is an open challenge to me (Cancel if from me), and on no other.
  function offerActions(ref) {
    const notes = byRef.get(ref) || [];
    let newest = null;
    for (const d of notes) {
      d.querySelector(".note-actions")?.remove();
      if (!newest || Number(d.dataset.seq) > Number(newest.dataset.seq)) newest = d;
    }
    const m = newest && newest.gameNote;
    if (!m || m.state !== "offered") return;
    const actions = el("div", "note-actions");
    if (m.from === me) {
      const c = el("button", "button secondary small-button cancel-challenge", "Cancel");
      c.type = "button";
      c.addEventListener("click", () => game.onCancel(m, c));
      actions.append(c);
      newest.append(actions);
      return;
    }
    const a = el("a", "button small-button accept-challenge", "Accept");
    a.href = challengeURL(m.game, m.from, m.nonce);
    const b = el("button", "button secondary small-button decline-challenge", "Decline");
    b.type = "button";
    b.addEventListener("click", () => game.onDecline(m, b));
    actions.append(a, b);
    newest.append(actions);
  }

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
    else if (m.kind === "game" && game && m.game) {
      div = gameEl(m);
      div.gameNote = m.game;
      byRef.set(m.game.ref, [...(byRef.get(m.game.ref) || []), div]);
    } else return;
    bySeq.set(m.seq, div);
    // Keep seq order: insert before the first entry with a higher seq.
    let before = null;
    for (const [seq, d] of bySeq) {
      if (seq > m.seq && (!before || seq < Number(before.dataset.seq))) before = d;
    }
    list.insertBefore(div, before);
    if (div.gameNote) offerActions(div.gameNote.ref);
  }

  function clear() {
    for (const d of bySeq.values()) d.remove();
    bySeq.clear();
    byRef.clear();
  }

  return { bySeq, apply, clear };
}
