// Helpers shared by the arcade's pages: page data, the error banner, the
// connection indicator, cleanup, nonces and the challenge buttons.

/** The JSON the server rendered into #page-data: {me, names, ...}. */
export function pageData() {
  const el = document.getElementById("page-data");
  return el ? JSON.parse(el.textContent) : {};
}

const data = pageData();

/** The display name of a user id. */
export function nameOf(id) {
  return (data.names && data.names[id]) || id;
}

/** Shows err in the #error banner: "code: message". */
export function showError(err) {
  const el = document.getElementById("error");
  if (!el || !err) return;
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
 * Wires a client to the page: the connection indicator, the error banner
 * for errors that belong to no request, and cleanup when the page goes
 * away (pagehide). A page restored from the back-forward cache reloads,
 * since its client is closed.
 */
export function setupClient(client) {
  const dot = document.getElementById("conn-state");
  const show = (state) => {
    if (dot) {
      dot.dataset.state = state;
      dot.title = `Connection: ${state}`;
    }
  };
  show(client.state);
  client.on("state", show);
  client.on("error", showError);
  client.on("open", () => {
    const el = document.getElementById("error");
    if (el && el.dataset.code === "disconnected") clearError();
  });
  client.on("reconnecting", () => showError({ code: "disconnected", message: "connection lost, reconnecting…" }));
  window.addEventListener("pagehide", () => client.close());
  window.addEventListener("pageshow", (e) => {
    if (e.persisted) location.reload();
  });
  return client;
}

/** A random nonce: 16 bytes from crypto.getRandomValues, in hex. */
export function newNonce() {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/** Calls the host API; rejects with {code, message} on an error status. */
export async function api(method, path, body) {
  const init = { method, headers: {}, credentials: "same-origin" };
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
    throw e;
  }
  return json;
}

/**
 * Challenges opponent to game: a nonce made here, recorded with the host
 * (which tells the opponent), then the game page joins the match.
 */
export async function challenge(game, opponent) {
  const nonce = newNonce();
  await api("POST", "/api/challenges", { game, opponent, nonce });
  location.href = `/${game}?` + new URLSearchParams({ opponent, nonce });
}

/** Makes every button.challenge[data-game][data-user] under root work. */
export function bindChallengeButtons(root = document) {
  for (const b of root.querySelectorAll("button.challenge[data-game][data-user]")) {
    b.addEventListener("click", async () => {
      b.disabled = true;
      try {
        await challenge(b.dataset.game, b.dataset.user);
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
