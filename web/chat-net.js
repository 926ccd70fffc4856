import { DEPLOYMENT_DOWN, DEPLOYMENT_STOPPED } from "./format.js";

// Talking to a backend: JSON POSTs, and waiting out start-up. While the deployment starts, Envoy
// answers 503 ("no healthy upstream") for a service with no instance ready yet; the page then
// polls GET /_puma/ready (200 once every service is served, else 503 naming what it waits for)
// and sends the same request again. Turns carry their turn_no, so a resent turn is applied once.

const REQUEST_TIMEOUT_MS = 35000;
const RETRY_DELAY_MS = 300;
const READY_POLL_MS = 500;
export const START_BUDGET_MS = 120000;
// The mesh is ready but the service still answers 503 (the legacy server it bridges to is not
// running): how long the page waits for it before saying so and giving the message back.
export const DOWN_BUDGET_MS = 30000;
// Nothing at all answers the readiness check this many times in a row: the deployment is gone (its
// Envoy stopped: Ctrl-C or make stop during start-up), not starting. While it starts, Envoy answers
// (its Starting page, a 503 naming what it waits for), so waiting on would wait for nothing.
export const GONE_AFTER_CHECKS = 2;

export function wait(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function post(url, payload) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
  try {
    const resp = await fetch(url, {
      method: "POST", signal: controller.signal,
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(payload),
    });
    const data = await resp.json().catch(() => null);
    return { status: resp.status, data, servedBy: resp.headers.get("X-Served-By") };
  } finally {
    clearTimeout(timer);
  }
}

// {ready, started, waiting: [service names still starting], notReady: {service: why}}; `started`:
// nothing is starting any more (a service may still be not ready: what it needs is down). A
// deployment without the route (404) counts as ready, and `unknown`: it cannot say when it is back.
export async function readiness() {
  try {
    const resp = await fetch("/_puma/ready", { cache: "no-store", headers: { Accept: "application/json" } });
    const data = await resp.json().catch(() => null);
    if (resp.status === 404) return { ready: true, started: true, waiting: [], notReady: {}, unknown: true };
    const waiting = (data && data.waiting_for) || [];
    return { ready: Boolean(resp.ok && data && data.ready), started: Boolean(data) && !waiting.length && !data.stopping,
      waiting, notReady: (data && data.not_ready) || {} };
  } catch (err) {
    return { ready: false, started: false, waiting: [], notReady: {}, unreachable: true };
  }
}

// A 503 from the legacy bridge: its own (the server refuses connections) or PUMA's for a bridge
// that is not ready (its readiness check found the server down).
export function legacyDown(data) {
  return Boolean(data) && (data.backend === "legacy" || data.service === "legacy");
}

// Until the mesh is ready (then `retry_after_s` more if the 503 said so, e.g. the legacy
// server still starting), calling onWait(what, seconds) as it goes; false past `deadline`, or
// once the mesh has been ready for DOWN_BUDGET_MS and the service still answers 503 (`clock`
// remembers since when, across the tries of one send), or once nothing answers at all
// (GONE_AFTER_CHECKS in a row: `clock.gone`, the deployment stopped).
async function waitForService(result, onWait, isCurrent, started, deadline, clock) {
  const data = result.data || {};
  let unanswered = 0;
  for (;;) {
    const state = await readiness();
    if (!isCurrent()) return false;
    unanswered = state.unreachable ? unanswered + 1 : 0;
    if (unanswered >= GONE_AFTER_CHECKS) {
      clock.gone = true;
      return false;
    }
    const seconds = Math.round((performance.now() - started) / 1000);
    // Started (nothing is starting any more; a service elsewhere may be not ready, e.g. the legacy
    // bridge with its server down, which must not hold back this one), yet the service answered
    // 503: send again, for up to DOWN_BUDGET_MS; what it needs may be down (a store, the server).
    if (state.ready || state.started) {
      clock.readySince = clock.readySince ?? performance.now();
      if (performance.now() - clock.readySince > DOWN_BUDGET_MS) return false;
      if (legacyDown(data)) onWait(["the legacy server"], seconds, data.reason || data.error || "");
      await wait(1000 * Math.min(5, Number(data.retry_after_s) || 0.5));
      return performance.now() < deadline;
    }
    onWait(state.unreachable ? ["the server"] : state.waiting, seconds);
    if (performance.now() > deadline) return false;
    await wait(READY_POLL_MS);
  }
}

// POST `payload` until it is answered. A 503 waits for the service (up to START_BUDGET_MS) and
// sends again; another 5xx, a reply that is not JSON, or a network failure is retried once.
// Returns {result, error, retried, waited, gone, ms, waitedMs} or {stale: true} once isCurrent()
// turns false: `ms` is the answered try's own time, `waitedMs` the time spent before it (start-up
// waits and retries), so a turn's latency never includes the mesh's start-up.
export async function send(url, payload, { onWait, isCurrent }) {
  const started = performance.now();
  const deadline = started + START_BUDGET_MS;
  const clock = { readySince: null, gone: false };
  let retried = false;
  let waited = false;
  let failures = 0;
  for (;;) {
    let result = null;
    let error = null;
    const tried = performance.now();
    try {
      result = await post(url, payload);
    } catch (err) {
      error = err;
    }
    if (!isCurrent()) return { stale: true };
    if (result && result.status === 503 && performance.now() < deadline) {
      waited = true;
      if (await waitForService(result, onWait, isCurrent, started, deadline, clock)) continue;
      if (!isCurrent()) return { stale: true };
    } else if ((error || result.status >= 500 || !result.data) && failures < 1) {
      failures += 1;
      retried = true;
      await wait(RETRY_DELAY_MS);
      if (!isCurrent()) return { stale: true };
      continue;
    }
    // Answered while it started, then out of reach: it stopped (not a network hiccup of a running one).
    const gone = clock.gone || Boolean(waited && error && error.name !== "AbortError");
    return { result, error, retried, waited, gone, ms: performance.now() - tried, waitedMs: tried - started };
  }
}

export function failed(outcome) {
  return !outcome.result || outcome.result.status >= 400 || !outcome.result.data;
}

// The server answered that it has no such conversation (the listener protocol's `unknown_session`,
// 404): a monolith restarted loses its sessions, and sending the turn again can never work.
export function lostConversation(outcome) {
  const r = outcome.result;
  return Boolean(r && r.status === 404 && r.data && r.data.error === "unknown_session");
}

// What went wrong, from what the server said: what is down, and what to do (the fix the server
// names carries this deployment's own addresses and ports). Nothing about the message box: the
// caller says whether a message was given back.
export function describeFailure(outcome, label) {
  if (outcome.gone) return `${DEPLOYMENT_STOPPED}.`;
  if (outcome.error) {
    return outcome.error.name === "AbortError"
      ? `The ${label} took longer than ${REQUEST_TIMEOUT_MS / 1000} s to answer; it may be overloaded.`
      : `Could not reach the ${label}. ${DEPLOYMENT_DOWN}; once it runs again, send again.`;
  }
  const data = outcome.result.data || {};
  const detail = data.reason || data.detail || data.error || `HTTP ${outcome.result.status}`;
  if (outcome.result.status === 503 && legacyDown(data)) {
    return `The ${label} does not answer after ${DOWN_BUDGET_MS / 1000} s: ${detail}. Or switch to the PUMA mesh.`;
  }
  if (outcome.result.status === 503 && data.reason) {
    return `The ${label} is not ready: ${detail}. It is served again as soon as that is back; then send again.`;
  }
  if (outcome.result.status === 503) return `The ${label} is still not available after two minutes: ${detail}`;
  return `The ${label} could not answer (error ${outcome.result.status}: ${detail}).`;
}

// The messages of a turn, the first from its reply, the rest as the listener service hands them
// out (the original page's design: one poll per queued message). Each poll names the message it
// wants (its index in the turn), so it reads without taking: a poll that fails is sent once more,
// and then the page goes on from the reply, which has every message.
export function listener(reply, all, readUrl) {
  let polling = reply.signal === "listen";
  let signal = polling ? undefined : reply.signal;
  const poll = (i) => post(readUrl, { id: reply.userid, mode: "true", index: i, turn_no: reply.turn_no });
  return {
    async next(i) {
      if (i > 0 && polling) {
        for (let attempt = 0; attempt < 2; attempt += 1) {
          try {
            const polled = await poll(i);
            if (polled.status === 200 && polled.data && typeof polled.data.response === "string") {
              if (polled.data.signal !== "listen") signal = polled.data.signal;
              return polled.data.response;
            }
            if (polled.status < 500) break;  // refused (e.g. a newer turn): the reply has it
          } catch (err) { /* a lost answer: the same poll again reads the same message */ }
        }
        polling = false;
      }
      return all[i];
    },
    async signal() {
      if (signal !== undefined) return signal;
      const read = await post(readUrl, { id: reply.userid, mode: "transcript" }).catch(() => null);
      return read && read.status === 200 && read.data ? read.data.signal : null;
    },
  };
}

// A conversation id chosen by the page, so even its first turn can be resent safely.
export function newConversationId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
