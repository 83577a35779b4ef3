// App-wide presence on the arcade's pages: whether a user is online, away
// or offline (with when they were last seen), from the server's presence
// through the user channel. Each status is a dot and a word, so it does
// not rest on colour alone.
import { showError } from "./common.js";

/** "just now", "5 min ago", "3 h ago", or a date, for a Unix-ms time. */
export function ago(ms) {
  const s = Math.max(0, (Date.now() - ms) / 1000);
  if (s < 60) return "just now";
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return new Date(ms).toLocaleDateString();
}

/** The words for a status: "online", "away", "last seen 5 min ago" or "offline". */
export function statusText(p) {
  if (p.status === "online") return "online";
  if (p.status === "away") return "away";
  return p.lastSeen ? `last seen ${ago(p.lastSeen)}` : "offline";
}

/**
 * Watches users' presence on client and shows each in the element
 * elementFor(user) returns: data-status="online|away|offline",
 * data-last-seen (Unix ms, offline users seen before), and the words.
 */
export function watchPresence(client, users, elementFor) {
  const known = new Map();
  const show = (p) => {
    const target = elementFor(p.user);
    if (!target) return;
    known.set(p.user, p);
    target.dataset.status = p.status;
    if (p.lastSeen) target.dataset.lastSeen = String(p.lastSeen);
    else delete target.dataset.lastSeen;
    target.textContent = statusText(p);
  };
  client.on("presence", (p) => {
    if (users.includes(p.user)) show(p);
  });
  if (users.length > 0) {
    client.presence
      .watch(users)
      .then((list) => list.forEach(show))
      .catch(showError);
  }
  // "last seen" ages: say it again every half minute.
  const timer = setInterval(() => known.forEach(show), 30000);
  window.addEventListener("pagehide", () => clearInterval(timer));
}
