// What the server pushes on the user channel, on every page: challenges
// (offered, accepted, declined, cancelled, expired), "your turn" in a
// match this page is not showing, and new conversations. Each becomes a
// notice in #notices, and its text is announced in the #announcer live
// region. Pages add their own handling with onChallenge.
import { api, el, nameOf, pageData, showError } from "./common.js";

// common.js imports this module too (setupClient starts the notices), so
// nothing of common.js is used before the page runs.
const me = () => pageData().me;

/** The title of a game, by name. */
export const gameTitles = { tictactoe: "tic-tac-toe", chess: "chess" };

/** "chess (5+3)": a game's title with its time control, if timed. */
export function gameLabel(game, baseMs, incrementMs) {
  const title = gameTitles[game] || game;
  if (!baseMs) return title;
  return `${title} (${Math.round(baseMs / 60000)}+${Math.round((incrementMs || 0) / 1000)})`;
}

/** The page that joins the match of a challenge from opponent. */
export function challengeURL(game, opponent, nonce) {
  return `/${game}?` + new URLSearchParams({ opponent, nonce });
}

/** The other player of a two-player challenge or match. */
function otherOf(players) {
  return (players || []).find((u) => u !== me()) || "";
}

/**
 * Declines the challenge n ({game, from, nonce}): a join of the match with
 * decline: true, then a leave. The challenger is told by the server.
 */
export async function declineChallenge(client, n) {
  const room = await client.join("games." + n.game, { opponent: n.from, nonce: n.nonce, decline: true });
  await room.leave().catch(() => {});
}

/**
 * Cancels my challenge n ({game, nonce}) to opponent: a join of the match
 * (my seat), the cancel event, then a leave. The opponent is told by the
 * server.
 */
export async function cancelChallenge(client, n, opponent) {
  const room = await client.join("games." + n.game, { opponent, nonce: n.nonce });
  try {
    await room.send("cancel");
  } finally {
    await room.leave().catch(() => {});
  }
}

// What announce was given since the live region was last written.
const pendingAnnouncements = [];

/**
 * Says text in #announcer, the page's one polite live region (layout.html),
 * hidden from the eye. What is announced within a moment (a move and the
 * result it brings, a notice) is said together, in order.
 */
export function announce(text) {
  const region = document.getElementById("announcer");
  if (!region) return;
  pendingAnnouncements.push(text);
  if (pendingAnnouncements.length > 1) return;
  // Clear first, so that the same text said twice is announced twice.
  region.textContent = "";
  setTimeout(() => {
    region.textContent = pendingAnnouncements.join(". ");
    pendingAnnouncements.length = 0;
  }, 50);
}

/**
 * The text and links of a challenge notice n, as its recipient sees it:
 * {text, actions: [{label, href} | {label, decline: true}]}.
 */
export function describeChallenge(n) {
  const label = gameLabel(n.game, n.base_ms, n.increment_ms);
  const from = nameOf(n.from);
  const other = nameOf(otherOf(n.players));
  switch (n.state) {
    case "offered":
      return {
        text: `${from} challenges you to ${label}`,
        actions: [
          { label: "Accept", href: challengeURL(n.game, n.from, n.nonce) },
          { label: "Decline", decline: true },
        ],
      };
    case "accepted":
      return { text: `${other} accepted your ${label} challenge`, actions: [{ label: "Play", href: challengeURL(n.game, otherOf(n.players), n.nonce) }] };
    case "declined":
      return { text: `${nameOf(n.by)} declined your ${label} challenge`, actions: [] };
    case "cancelled":
      return { text: `${nameOf(n.by)} cancelled the ${label} challenge`, actions: [] };
    case "expired":
      return { text: n.from === me() ? `Your ${label} challenge to ${other} expired` : `${from}'s ${label} challenge expired`, actions: [] };
  }
  return { text: "", actions: [] };
}

// ---- The notices ----

const MAX_NOTICES = 5;

/** Adds a notice with text and actions to #notices, and announces it. */
function notify(client, key, text, actions, data) {
  const list = document.getElementById("notices");
  announce(text);
  if (!list) return;
  for (const old of list.querySelectorAll(`li[data-key="${CSS.escape(key)}"]`)) old.remove();
  const li = el("li", "toast");
  li.dataset.key = key;
  for (const [k, v] of Object.entries(data || {})) li.dataset[k] = v;
  li.append(el("span", "toast-text", text));
  for (const a of actions) {
    if (a.href) {
      const link = el("a", "button small-button", a.label);
      link.href = a.href;
      li.append(link);
    } else if (a.decline) {
      const b = el("button", "button secondary small-button decline", a.label);
      b.type = "button";
      b.addEventListener("click", async () => {
        b.disabled = true;
        try {
          await declineChallenge(client, data);
          li.remove();
        } catch (err) {
          showError(err);
          b.disabled = false;
        }
      });
      li.append(b);
    }
  }
  const close = el("button", "toast-close", "×");
  close.type = "button";
  close.setAttribute("aria-label", "Dismiss");
  close.addEventListener("click", () => li.remove());
  li.append(close);
  list.prepend(li);
  while (list.children.length > MAX_NOTICES) list.lastElementChild.remove();
}

/** Takes the notices of challenge room off #notices. */
function forget(room) {
  for (const li of document.querySelectorAll(`#notices li[data-room="${CSS.escape(room)}"]`)) li.remove();
}

// ---- Notices sent while the page loaded ----
//
// The channel replays what a page missed only to that page reconnecting.
// Notices sent while this page loaded (after the previous page in the tab
// went, before this one joined the channel) come from GET /api/notices:
// the server keeps each user's notices of the last minutes, numbered.
// The page asks for those after the number the previous page reached
// (sessionStorage), or after the one it was rendered with, once it has
// joined the channel, and again after each live notice to move that
// number on. A notice is shown once, whichever way it came.

const markKey = () => `parlor.notices.${me()}`;

/** The notice number to ask after: the previous page's, else the render's. */
function storedMark() {
  try {
    const stored = sessionStorage.getItem(markKey());
    const v = Number(stored);
    if (stored !== null && stored !== "" && Number.isSafeInteger(v) && v >= 0) return v;
  } catch {
    // storage unavailable
  }
  return Number(pageData().notice_mark) || 0;
}

function storeMark(mark) {
  try {
    sessionStorage.setItem(markKey(), String(mark));
  } catch {
    // storage unavailable: the next page asks from its render
  }
}

/** The identity of a notice, to show it once: its event, room and step. */
function noticeID(event, d) {
  switch (event) {
    case "games.challenge":
      return `${event}:${d.room}:${d.state}`;
    case "games.your_turn":
      return `${event}:${d.room}:${d.ply}`;
    default:
      return `${event}:${d.room}`;
  }
}

/**
 * Joins the user channel on client and shows what comes on it. Options:
 * onChallenge(n) is called with every challenge notice; onRejoined() when
 * the channel was joined again after notices may have been missed (reload
 * what depends on them); challengeNotices: false leaves challenge notices
 * to the page (which shows them itself). Sets body[data-notices="ready"]
 * once the channel is joined and the notices sent while the page loaded
 * are shown.
 */
export function startNotices(client, { onChallenge = null, onRejoined = null, challengeNotices = true } = {}) {
  const shown = new Set();
  const handlers = {
    "games.challenge": (n) => {
      if (onChallenge) onChallenge(n);
      forget(n.room);
      // The list shows offers itself; the game page of this challenge
      // shows it start.
      const here = new URLSearchParams(location.search).get("nonce") === n.nonce;
      // The page of this very challenge is the offer: it needs no notice.
      if (here && n.state === "offered") return;
      if ((!challengeNotices && n.state === "offered") || (here && n.state === "accepted")) {
        announce(describeChallenge(n).text);
        return;
      }
      const d = describeChallenge(n);
      if (d.text) {
        notify(client, `challenge-${n.room}`, d.text, d.actions, {
          room: n.room, state: n.state, game: n.game, from: n.from, nonce: n.nonce,
        });
      }
    },
    "games.your_turn": (t) => {
      const other = nameOf(otherOf(t.players));
      notify(client, `turn-${t.room}`, `Your turn against ${other} in ${gameTitles[t.game] || t.game}`,
        [{ label: "Play", href: `/${t.game}?` + new URLSearchParams({ room: t.room }) }], { room: t.room, state: "your_turn" });
    },
    "chat.conversation": (c) => {
      const isDM = c.kind === "chat.dm";
      const text = isDM ? `${nameOf(c.from)} started a conversation with you` : `${nameOf(c.from)} added you to ${c.name || "a group"}`;
      const href = isDM ? `/chat/${encodeURIComponent(c.from)}` : `/groups/${encodeURIComponent(c.room)}`;
      notify(client, `conv-${c.room}`, text, [{ label: "Open", href }], { room: c.room, state: "conversation" });
    },
  };
  const show = (event, data) => {
    const id = noticeID(event, data);
    if (shown.has(id)) return;
    shown.add(id);
    handlers[event](data);
  };
  // catchUp fetches the notices after the mark, one request at a time.
  let mark = storedMark();
  let busy = null;
  let again = false;
  const catchUp = () => {
    if (busy) {
      again = true;
      return busy;
    }
    busy = api("GET", `/api/notices?after=${mark}`)
      .then((r) => {
        for (const n of r.notices) if (handlers[n.event] && n.id > mark) show(n.event, n.data);
        mark = Math.max(mark, r.mark);
        storeMark(mark);
      })
      .catch(() => {})
      .finally(() => {
        busy = null;
        if (again) {
          again = false;
          catchUp();
        }
      });
    return busy;
  };
  client
    .joinUserChannel()
    .then(async (ch) => {
      for (const event of Object.keys(handlers)) {
        ch.on(event, (data) => {
          show(event, data);
          catchUp();
        });
      }
      ch.on("$rejoined", () => {
        catchUp();
        if (onRejoined) onRejoined();
      });
      await catchUp();
      document.body.dataset.notices = "ready";
    })
    .catch(showError);
}
