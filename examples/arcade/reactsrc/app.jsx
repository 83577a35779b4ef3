// The React example: a direct conversation with the user named in ?with=,
// written with the SDK's hooks. Built into ../static/app.js by
// `npm run build` in js/ (React is bundled in; nothing is loaded from
// elsewhere). Sends made while offline are kept in localStorage and go out
// after a reload, once.

import { StrictMode, useState } from "react";
import { createRoot } from "react-dom/client";
import { useChat, useParlor } from "../../../js/src/react.ts";

function App() {
  const peer = new URLSearchParams(location.search).get("with") || "bob";
  const { client, state } = useParlor("/ws", { persistOutbox: { key: "parlor-react-outbox" } });
  const chat = useChat(client, { with: peer });
  const [draft, setDraft] = useState("");
  const [error, setError] = useState("");

  const submit = (e) => {
    e.preventDefault();
    const text = draft.trim();
    if (!text) return;
    setDraft("");
    setError("");
    chat.send(text).catch((err) => setError(err.code));
  };

  return (
    <main>
      <h1>
        Chat with <span id="peer">{peer}</span>
      </h1>
      <p>
        Connection: <span id="conn" data-state={state}>{state}</span>
        {client && client.user ? <> as <span id="me">{client.user}</span></> : null}; room:{" "}
        <span id="room" data-state={chat.state}>{chat.state}</span>
        {chat.typing.length > 0 ? <span id="typing"> ({chat.typing.join(", ")} typing)</span> : null}
      </p>
      <ul id="messages">
        {chat.messages.map((m) => (
          <li key={m.seq} data-seq={m.seq} data-from={m.from} data-client-msg-id={m.client_msg_id || ""}>
            <b className="from">{m.from}</b> <span className="text">{m.deleted ? "(deleted)" : m.text}</span>
          </li>
        ))}
      </ul>
      <form id="compose" onSubmit={submit}>
        <input id="composer" aria-label="Message" value={draft} onChange={(e) => setDraft(e.target.value)} autoComplete="off" />
        <button id="send" type="submit">
          Send
        </button>
      </form>
      {error ? <p id="error">{error}</p> : null}
    </main>
  );
}

createRoot(document.getElementById("app")).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
