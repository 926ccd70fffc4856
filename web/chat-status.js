// The chat page's status line (above the input) and what screen readers are told of it: start-up,
// a backend that does not answer yet (with what it said is down and how to start it), messages
// waiting to be sent, a refused message. Pure: text from the page's state; chat.js shows it.

import { DOWN_BUDGET_MS } from "./chat-net.js";

export function short(text, most = 40) {
  return text.length > most ? `${text.slice(0, most - 1)}…` : text;
}

export function queued(texts) {
  if (texts.length === 1) return `Your message “${short(texts[0], 40)}” is sent`;
  const named = texts.slice(0, 3).map((t) => `“${short(t, 24)}”`).join(", ");
  return `Your ${texts.length} messages (${named}${texts.length > 3 ? ", …" : ""}) are sent in order`;
}

// The legacy server not accepting connections: what the server's 503 said (it names the
// address and the command that starts the server) as soon as it is known, not after the wait.
// The wait comes first (it is what the user must know when the line is cut), then the why. When
// the server said none runs (no process on its port), the page does not suggest it is loading.
function legacyWaiting(why, since) {
  const what = why ? why.replace(/\.$/, "") : "it does not accept connections yet (starting, or not running)";
  const budget = DOWN_BUDGET_MS / 1000;
  if (/no legacy server runs/.test(what)) {
    const how = HAS_COMMAND.test(what) ? "" : ` (${WHERE_COMMAND})`;
    return `Waiting for the legacy server${since}, at most ${budget} s: none runs. Start it${how}, and your message is `
      + `sent once it is ready (else it is given back to you): ${what}.`;
  }
  return `Waiting for the legacy server${since}, at most ${budget} s (then your message is given back to you): `
    + `${what}.`;
}

// A reason that carries the start command (`...`); the bridge's public replies carry none: the
// command is then where make run and PUMA show it, which is said instead of "shown" (nothing is).
const HAS_COMMAND = /`[^`]+`/;
const WHERE_COMMAND = "its command is in the terminal of make run and on the PUMA status page";

// What a screen reader hears of it: not the address and the command (read out, a long line of
// symbols), but what is wrong and what to do: start it (where the command is), or switch.
function legacySpoken(why) {
  const budget = DOWN_BUDGET_MS / 1000;
  const start = HAS_COMMAND.test(why || "") ? "start it with the command shown on the status line"
    : `start it (${WHERE_COMMAND})`;
  if (/no legacy server runs/.test(why || "")) {
    return `The legacy server is not running: ${start}, or switch to `
      + `the PUMA mesh. Your message is sent if it answers within ${budget} s.`;
  }
  return "Waiting for the legacy server to accept connections (it may still be loading; if it is not running, "
    + `${start}), or switch to the PUMA mesh. At most ${budget} s.`;
}

// state: {queue, busy, waiting (what it waits for, or null), waitedS, waitingWhy, notice};
// label: the backend's name. Returns {line, spoken}: the line shown (the notice first), and what
// a screen reader is told of the rest, without what changes as start-up goes on (the services
// left, the seconds). The notice is not in `spoken`: it is an event, said once on its own when it
// is given (chat.js), never again as part of a later status.
export function statusText(state, label) {
  const n = state.queue.length;
  const when = state.waiting ? "as soon as it is ready" : "when the chatbot has answered";
  let text = "";
  if (state.waiting) {
    const since = state.waitedS ? ` (${state.waitedS} s so far)` : "";
    text = state.waiting === "the legacy server" ? legacyWaiting(state.waitingWhy, since)
      : `The ${label} is starting: waiting for ${state.waiting}${since}…`;
  }
  const queue = n && (state.busy || state.waiting) ? `${queued(state.queue)} ${when}.` : "";
  const gist = !state.waiting ? ""
    : state.waiting === "the legacy server" ? legacySpoken(state.waitingWhy)
      : `The ${label} is starting; your messages are answered once it is ready.`;
  return {
    line: [state.notice, text, queue].filter(Boolean).join(" "),
    spoken: [gist, queue].filter(Boolean).join(" "),
    outbox: `Queued: sent ${when}`,
  };
}
