// The mesh dashboard: polls GET /_puma/status every 1.5 s and draws the summary, the recent events
// and the deployment's state (live, starting, stopping, a silent supervisor, not answering); each
// service's card and charts are dash-cards.js'. Text goes in via textContent only.

import { DEPLOYMENT_DOWN, clockText } from "./format.js";
import { showText, speak } from "./live.js";
import { ageText, loadLast, saveLast } from "./dash-saved.js";
import { serviceState } from "./dash-words.js";
import { INTERVAL_MS, SLOW_MS } from "./dash-timing.js";
import { counters, drawCharts, el, fmt, renderIndex, renderServices } from "./dash-cards.js";

const $ = (id) => document.getElementById(id);

function renderSummary(status) {
  const list = Object.values(status.services || {});
  const sum = (key) => list.reduce((total, svc) => total + (Number(svc[key]) || 0), 0);
  const errors = list.reduce((total, svc) => total + counters(svc).server, 0);
  $("sum-services").textContent = list.length;
  $("sum-instances").textContent = `${sum("ready")} / ${list.reduce((t, s) => t + s.instances.length, 0)}`;
  $("sum-rps").textContent = fmt(sum("requests_per_s"), 1);
  $("sum-inflight").textContent = sum("in_flight");
  $("sum-errors").textContent = errors;
  const envoy = status.envoy || {};  // the public view of the status says only whether it is up
  $("sum-envoy").textContent = envoy.pid ? `pid ${envoy.pid}` : envoy.up ? "up" : "down";
}

function renderEvents(events) {
  const recent = events.slice(-15).reverse();
  $("events").replaceChildren(...recent.map((event) => {
    const item = el("li", event.kind === "scale" ? "scale" : "");
    const when = new Date(event.time * 1000);
    item.append(
      el("span", "event-time", clockText(when)),
      el("span", "event-service", event.service),
      el("span", "event-message"),
    );
    showText(item.lastChild, event.kind === "scale" ? `scaled ${event.message}` : event.message);
    return item;
  }));
  $("events-empty").textContent = "No events yet.";
  $("events-empty").hidden = recent.length > 0;
  $("events-more").hidden = recent.length === 0;
  $("events-count").textContent = recent.length;
}

// While the figures cannot be read, the events are unknown, not "none": the ones shown are the last
// kept (from this page or this browser), said with their age; with none kept, that is said.
function eventsUnknown(why) {
  const kept = $("events").children.length > 0;
  $("events-empty").textContent = kept
    ? `Newer events are unknown while ${why}: these are the last ones kept (as of ${clockText(lastGood)}).`
    : `Events are unknown while ${why}; this browser kept none from before.`;
  $("events-empty").hidden = false;
}

// `paused`: the deployment serves but its figures cannot be read (a silent supervisor): its dot is
// neither the green of live figures nor the red of a deployment that is down.
function setLive(ok, said = "", paused = false) {
  const state = $("live-state");
  const text = said || (ok ? "live" : "disconnected");
  $("live").className = `live ${ok ? "on" : paused ? "paused" : "off"}`;
  speak(state, text);  // announced only when it changes
  document.body.dataset.state = ok ? "live" : "offline";
  showAge();
}

// Beside the state (no live region: it changes every second): the time of live figures, or the
// age of stale ones ("as of 12 s ago"), kept current while they age.
function showAge() {
  const live = document.body.dataset.state === "live";
  const text = live ? `· ${clockText(new Date())}` : lastGood ? `· as of ${ageText(lastGood)}` : "";
  if ($("live-time").textContent !== text) $("live-time").textContent = text;
}
setInterval(() => { if (document.body.dataset.state !== "live") showAge(); }, 1000);

let lastGood = null;  // when the figures shown were fetched: the last snapshot of a serving deployment
let downSince = null;  // when it first stopped answering (or began stopping), until it serves again

// Why the figures stopped, in plain words, with what to do. The same cause gives the same text,
// and the alert is rewritten only when the text changes: polling must not re-announce it.
function problemText(err) {
  const since = lastGood ? ` The figures below are the last ones from while it served (${clockText(lastGood)}), `
    + "marked stale: they no longer change." : "";
  const cause = err === "stopping"
    ? `The deployment is stopping (since ${clockText(downSince)}): its instances finish their requests, then it stops.`
    : err instanceof SupervisorSilent
      ? `PUMA's supervisor is not answering (noticed at ${clockText(downSince)}${lastGood
        ? `; it last answered at ${clockText(lastGood)}` : ""}: stopped, busy or exiting), so the figures `
        + `cannot be read; the services still serve: ${err.message}`
    : err instanceof TypeError
      ? `${DEPLOYMENT_DOWN}. It has not answered since ${clockText(downSince)}.`
      : `The deployment answered with an error (${err.message}).`;
  return `${cause}${since} This page reconnects by itself.`;
}

function showProblem(text) {
  const box = $("dash-error");
  speak(box, text);
  box.hidden = !text;
  const stale = Boolean(text) && lastGood !== null;
  document.body.classList.toggle("stale", stale);
  if (stale) $("services").setAttribute("aria-describedby", "dash-error");
  else $("services").removeAttribute("aria-describedby");
}

// The tab's title says the state too (a background tab shows it).
function setTitle(state) {
  const what = { live: "", starting: "Starting", stopping: "Stopping", offline: "Not answering",
    unsupervised: "Serving, figures paused" }[state] || "";
  document.title = `${what ? `${what} · ` : ""}Mesh dashboard · PUMA`;
}

// Screen readers hear a service going down or coming back (a polite status, once per change; none
// for the first figures): "legacy: not ready: the legacy socket server is unreachable".
const seenStates = new Map();
function announceChanges(services) {
  const changed = [];
  Object.entries(services).forEach(([name, svc]) => {
    const now = serviceState(svc);
    if (seenStates.has(name) && seenStates.get(name) !== now) changed.push(`${name}: ${now}`);
    seenStates.set(name, now);
  });
  // Each change is news, even in the words of the one before ("legacy: ready." after a flap).
  if (changed.length) speak($("service-changes"), changesSaid(changed), { again: true });
}

// The changes in one breath a listener can follow: services that changed to the same state said
// together ("No ready instance: agent, listener, db and 5 more (8 services)."), not one by one.
function changesSaid(changed) {
  const byState = new Map();
  changed.forEach((line) => {
    const [name, ...rest] = line.split(": ");
    const state = rest.join(": ");
    byState.set(state, [...(byState.get(state) || []), name]);
  });
  return [...byState].map(([state, names]) => {
    if (names.length === 1) return `${names[0]}: ${state}.`;
    const shown = names.length > 3 ? `${names.slice(0, 3).join(", ")} and ${names.length - 3} more` : names.join(", ");
    return `${state.charAt(0).toUpperCase()}${state.slice(1)}: ${shown} (${names.length} services).`;
  }).join(" ");
}

// `at`: when the figures were fetched (earlier for the ones this browser kept: dash-saved.js).
function render(status, at = new Date()) {
  renderIndex(status);
  renderSummary(status);
  renderServices(status);
  announceChanges(status.services || {});
  renderEvents(status.events || []);
  lastGood = at;
}

// The supervisor (which answers /_puma/status) is silent while the data path serves: what Envoy
// says of readiness, from what the supervisor last published (`/_puma/ready` answers at once).
class SupervisorSilent extends Error {}
const SILENT = "supervisor_answered";  // puma.defaults.SUPERVISOR_SILENT_FIELD

async function dataPath() {
  try {
    const resp = await fetch("/_puma/ready", { cache: "no-store", headers: { Accept: "application/json" } });
    const ready = await resp.json();
    const answered = ready[SILENT] !== false;  // false: Envoy answered, from what was last published
    if (ready.ready === true) return { answered, serving: true, text: "Envoy says every service is ready (as the supervisor last saw it)." };
    if (ready.ready === false) return { answered, serving: false, text: "Envoy says the deployment is not ready (as the supervisor last saw it)." };
  } catch (err) {
    // no answer either: said as not known
  }
  return { answered: null, serving: false, text: "whether every service is ready is not known now." };
}

// The supervisor is silent: said with what still serves, over the last figures this page (or this
// browser, for a page opened meanwhile) had, marked stale with their age.
function showSilent(path) {
  downSince = downSince || new Date();
  if (lastGood === null) {
    const saved = loadLast();
    if (saved) render(saved.status, saved.at);
  }
  showProblem(problemText(new SupervisorSilent(path.text)));
  eventsUnknown("PUMA's supervisor is not answering");
  setLive(false, path.serving ? "serving · figures paused" : "disconnected", path.serving);
  setTitle(path.serving ? "unsupervised" : "offline");
}

// A status slow to come: /_puma/ready says at once whether the supervisor is silent (at the page's
// first poll at once, as it has nothing to show; later after SLOW_MS), and the page says so then,
// not 5 s later. `answered()`: whether the status came meanwhile (then it is the one shown).
async function askReadyWhileSlow(statusDone, answered) {
  const late = await Promise.race([statusDone.then(() => false),
    new Promise((resolve) => { setTimeout(() => resolve(true), lastGood === null ? 0 : SLOW_MS); })]);
  if (!late) return;
  const path = await dataPath();
  if (path.answered === false && !answered()) showSilent(path);
}

async function refresh() {
  let answered = false;
  const asked = fetch("/_puma/status", { cache: "no-store", headers: { Accept: "application/json" } });
  const early = askReadyWhileSlow(asked.then(() => undefined, () => undefined), () => answered);
  try {
    const resp = await asked;
    const status = await resp.json();
    answered = true;
    if (!resp.ok && status[SILENT] === false) {
      showSilent(await dataPath());
      return;
    }
    if (!resp.ok) throw new Error(status.error || `HTTP ${resp.status}`);
    if (status.stopping) {
      // Its last figures say 0 of 0 while it stops: the ones from while it served are kept, stale.
      downSince = downSince || new Date();
      if (lastGood === null) render(status);
      showProblem(problemText("stopping"));
      setLive(false);
      setTitle("stopping");
      return;
    }
    render(status);
    saveLast(status, lastGood);
    downSince = null;
    showProblem("");
    setLive(true);
    setTitle((status.waiting_for || []).length ? "starting" : "live");
  } catch (err) {
    answered = true;
    downSince = downSince || new Date();
    showProblem(problemText(err));
    eventsUnknown("the deployment's status cannot be read");
    setLive(false);
    setTitle("offline");
  } finally {
    await early;
    setTimeout(refresh, INTERVAL_MS);
  }
}

new ResizeObserver(() => drawCharts()).observe($("services"));
refresh();
