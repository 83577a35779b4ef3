// Helpers shared by the arcade's pages: page data, the error banner, the
// connection indicator, the check that the page acts for the user it was
// rendered for, the notices of the user channel, cleanup, nonces and the
// challenge buttons.
import { startNotices } from "./notices.js";

/** The JSON the server rendered into #page-data: {me, names, csrf, ...}. */
export function pageData() {
  const el = document.getElementById("page-data");
  return el ? JSON.parse(el.textContent) : {};
}

const data = pageData();

/** The display name of a user id. */
export function nameOf(id) {
  return (data.names && data.names[id]) || id;
}

// Set once the page has stopped because its session changed: nothing
// else may replace that message.
let stopped = false;
// The page's client, from setupClient.
let pageClient = null;

/** Whether the page has stopped because its session changed. */
export function isStopped() {
  return stopped;
}

/** Shows err in the #error banner: "code: message". */
export function showError(err) {
  const el = document.getElementById("error");
  if (!el || !err || stopped) return;
  if (err.code === "closed") return; // the page is going away
  const code = err.code || "error";
  const message = err.message || String(err);
  el.dataset.code = code;
  el.textContent = `${code}: ${message}`;
  el.hidden = false;
}

/** Hides the #error banner. */
export function clearError() {
  const el = document.getElementById("error");
  if (el) {
    el.hidden = true;
    el.textContent = "";
    delete el.dataset.code;
  }
}

/**
 * Stops the page for good: its session is no longer the one it was
 * rendered for (the cookie was replaced by a sign-in in another tab, or
 * by a cookie set from another port of this host, or the session ended).
 * It closes the client, so nothing more is sent or shown as someone else,
 * and says so in the #error banner (data-code="account_changed").
 */
export function stopPage(message) {
  if (stopped) return;
  if (pageClient) pageClient.close();
  const el = document.getElementById("error");
  if (el) {
    el.dataset.code = "account_changed";
    el.textContent = message;
    el.hidden = false;
  }
  stopped = true;
  for (const b of document.querySelectorAll("main button, main textarea, main input")) b.disabled = true;
}

/**
 * Wires a client to the page: the connection indicator, the error banner
 * for errors that belong to no request, and cleanup when the page goes
 * away (pagehide). A page restored from the back-forward cache reloads,
 * since its client is closed.
 *
 * When the server signs this browser out (close 4011), the page goes to
 * /login. Every time the client connects (the first time and after each
 * reconnect), it checks that the server authenticated the user the page
 * was rendered for. If not, the page stops: it would otherwise show one
 * account's conversations while acting as another.
 *
 * It also joins the user channel and shows its notices (challenges, "your
 * turn", new conversations); notices are startNotices' options.
 */
export function setupClient(client, notices = {}) {
  pageClient = client;
  const dot = document.getElementById("conn-state");
  const label = dot && dot.querySelector(".conn-label");
  // The state in words as well as by colour.
  const words = { connecting: "Connecting…", open: "Connected", reconnecting: "Reconnecting…", closed: "Offline" };
  if (dot) dot.hidden = false;
  const show = (state) => {
    if (dot) {
      dot.dataset.state = state;
      if (label) label.textContent = words[state] || state;
    }
  };
  show(client.state);
  client.on("state", show);
  client.on("error", showError);
  client.on("open", ({ user }) => {
    if (user !== data.me) {
      stopPage(`Signed in as ${nameOf(user)} in another tab: this page was for ${nameOf(data.me)} ` +
        `and has stopped. Reload to continue as ${nameOf(user)}.`);
      return;
    }
    const el = document.getElementById("error");
    if (el && el.dataset.code === "disconnected") clearError();
  });
  client.on("reconnecting", () => showError({ code: "disconnected", message: "connection lost, reconnecting…" }));
  // 4011: this browser was signed out (here, in another tab, or by "Sign
  // out everywhere" elsewhere). The client does not reconnect; sign in again.
  client.on("closed", ({ code }) => {
    if (code === 4011 && !stopped) location.assign("/login");
  });
  window.addEventListener("pagehide", () => client.close());
  window.addEventListener("pageshow", (e) => {
    if (e.persisted) location.reload();
  });
  startNotices(client, notices);
  return client;
}

/** A random nonce: 16 bytes from crypto.getRandomValues, in hex. */
export function newNonce() {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/**
 * Calls the host API with the session's CSRF token; rejects with
 * {code, message} on an error status. A refused CSRF token means the
 * session changed under the page: the page stops.
 */
export async function api(method, path, body) {
  if (stopped) throw { code: "account_changed", message: "this page has stopped" };
  const init = { method, headers: { "X-CSRF-Token": data.csrf || "" }, credentials: "same-origin" };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const resp = await fetch(path, init);
  if (resp.status === 204) return null;
  let json = null;
  try {
    json = await resp.json();
  } catch {
    // not JSON
  }
  if (!resp.ok) {
    const e = (json && json.error) || { code: `http_${resp.status}`, message: resp.statusText };
    if (e.code === "csrf" || e.code === "unauthorized") {
      stopPage(`Your session changed: you signed out, or signed in again, in another tab. ` +
        `This page was for ${nameOf(data.me)} and has stopped. Reload to continue.`);
    }
    throw e;
  }
  return json;
}

/**
 * Challenges opponent to game: the client joins the match with a nonce
 * made here, which creates it and has the server tell the opponent at
 * once; then the game page joins it again to play. The server refuses
 * (forbidden) anyone who is not a connection.
 */
export async function challenge(client, game, opponent) {
  const nonce = newNonce();
  await client.join("games." + game, { opponent, nonce });
  location.href = `/${game}?` + new URLSearchParams({ opponent, nonce });
}

/** Makes every button.challenge[data-game][data-user] under root challenge with client. */
export function bindChallengeButtons(client, root = document) {
  for (const b of root.querySelectorAll("button.challenge[data-game][data-user]")) {
    b.addEventListener("click", async () => {
      b.disabled = true;
      try {
        await challenge(client, b.dataset.game, b.dataset.user);
      } catch (err) {
        showError(err);
        b.disabled = false;
      }
    });
  }
}

/** A random client message id, for idempotent sends. */
export function newMsgId() {
  return newNonce();
}

/** Creates an element with a class and text. */
export function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}
