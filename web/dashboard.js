// The mesh dashboard: polls GET /_puma/status every 1.5 s and draws, per service, its instances,
// load, errors, latency and ready instances (each on its own chart and axis, scaling decisions
// marked). Text goes in via textContent only.

import { Chart } from "./charts.js";
import { DEPLOYMENT_DOWN, clockText, counted } from "./format.js";
import { showText, speak } from "./live.js";
import { ageText, loadLast, saveLast } from "./dash-saved.js";
import { instanceClass, instanceText, noInstanceText, serviceState } from "./dash-words.js";

const params = new URLSearchParams(window.location.search);
const INTERVAL_MS = Math.max(250, Number(params.get("interval")) || 1500);
const WINDOW_S = Math.max(30, (80 * INTERVAL_MS) / 1000);  // what the charts span once full
const KEEP_S = WINDOW_S + 5;
// How long a poll of /_puma/status may take before the page asks /_puma/ready (which Envoy answers
// within 0.5 s, from what the supervisor last published) whether the supervisor is silent: the
// status itself answers only after Envoy's 5 s wait then. `?slow_ms=` for tests.
const SLOW_MS = params.has("slow_ms") ? Math.max(0, Number(params.get("slow_ms")) || 0) : 400;

const $ = (id) => document.getElementById(id);
const cards = new Map();  // name -> {card, parts, samples: [], last: counters of the previous snapshot}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function fmt(value, digits) {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  return Number(value).toFixed(digits);
}

function ms(value) {
  return value === null || value === undefined ? "–" : `${fmt(value, value < 10 ? 1 : 0)} ms`;
}

function pct(value) {
  return value === null || value === undefined ? "–" : `${fmt(value, value < 10 && value > 0 ? 1 : 0)} %`;
}

// ------------------------------------------------------------------ reading a snapshot

// The cumulative counters of a service (named as puma/status.py documents them). A server
// that does not count start-up failures apart has every 5xx as a server error.
function counters(svc) {
  return {
    requests: Number(svc.requests_total) || 0,
    server: Number(svc.errors_5xx) || 0,
    noInstance: Number(svc.startup_failures) || 0,
    notReady: Number(svc.refused_not_ready) || 0,
  };
}

// Error shares (% of requests) over the interval since `last`; none for the first snapshot (the
// counts since start are in the card's totals). Requests refused for want of a ready instance
// never reach one, so they add to the requests.
function errorShares(now, last) {
  if (!last) return { errors: null, startup: null };
  const base = last;
  const server = Math.max(0, now.server - base.server);
  const noInstance = Math.max(0, now.noInstance - base.noInstance);
  const asked = Math.max(0, now.requests - base.requests) + noInstance;
  if (!asked) return { errors: 0, startup: 0 };
  return { errors: Math.min(100, (100 * server) / asked), startup: Math.min(100, (100 * noInstance) / asked) };
}

function sample(t, svc, last) {
  const now = counters(svc);
  return {
    t, rps: svc.requests_per_s, ready: svc.ready, p50: svc.p50_ms, p99: svc.p99_ms,
    ...errorShares(now, last), counters: now,
  };
}

function scalingMarks(events, name) {
  return events.filter((e) => e.service === name && e.kind === "scale").map((e) => ({
    t: e.time, label: `${e.from}→${e.to}`,
    title: `${clockText(new Date(e.time * 1000))} ${e.from} → ${e.to}: ${e.reason}`,
  }));
}

// ------------------------------------------------------------------ service cards

function metric(label) {
  const box = el("div", "metric");
  const value = el("div", "metric-value", "–");
  box.append(el("div", "metric-label", label), value);
  return { box, value };
}

// Narrow (a phone, or 400 % zoom: 320 CSS px): each service's figures and charts start folded,
// so the page is a list of services and their states, each opened on demand (WCAG 1.4.10); the
// events too (a screen of 320x256 each, five screens of them): opened once, they stay open.
const NARROW = window.matchMedia("(max-width: 480px)");
document.getElementById("events-more").open = !NARROW.matches;

function makeCard(name) {
  const card = el("article", "service");
  card.dataset.service = name;
  card.id = serviceId(name);
  card.setAttribute("aria-labelledby", `${card.id}-name`);
  const head = el("header", "service-head");
  const parts = { name: el("h2", "service-name", name), prefix: el("span", "service-prefix"), count: el("span", "service-count") };
  parts.name.id = `${card.id}-name`;
  head.append(parts.name, parts.prefix, parts.count);
  // The squares are a picture of the states (a mouse user gets each one's details on hover); the
  // same details are text in a disclosure below them, reached by Tab and read by screen readers.
  parts.instances = el("ul", "instances");
  parts.details = disclosure("instance-details", `Instances of ${name}: pid, health, memory`);
  parts.decisions = disclosure("decisions", `Scaling decisions of ${name}`);
  parts.notReady = el("p", "service-not-ready");
  parts.notReady.hidden = true;
  const metrics = el("div", "metrics");
  parts.metrics = {};
  [["inflight", "In flight"], ["rps", "Req/s"], ["errors", "Errors"], ["p50", "p50"], ["p99", "p99"]].forEach(([key, label]) => {
    parts.metrics[key] = metric(label);
    metrics.append(parts.metrics[key].box);
  });
  parts.totals = el("p", "service-totals");
  parts.charts = {
    load: new Chart("Requests/s", [{ key: "rps", name: "req/s", cls: "series-rps", fill: true }], { minTop: 2, subject: name }),
    errors: new Chart("Errors, % of requests", [
      { key: "errors", name: "server errors", cls: "series-errors" },
      { key: "startup", name: "start-up failures", cls: "series-startup" },
    ], { minTop: 10, unit: " %", subject: name }),
    latency: new Chart("Latency", [{ key: "p50", name: "p50", cls: "series-p50" }, { key: "p99", name: "p99", cls: "series-p99" }],
      { minTop: 5, unit: " ms", subject: name }),
    ready: new Chart("Instances ready", [{ key: "ready", name: "ready", cls: "series-ready" }],
      { minTop: 1, step: true, legend: [{ name: "scaling decision", cls: "series-mark" }], subject: name }),
  };
  const charts = el("div", "charts");
  Object.values(parts.charts).forEach((chart) => charts.append(chart.box));
  // What is always shown: the name, its count and state; the rest folds (open unless narrow).
  const more = el("details", "service-more");
  more.open = !NARROW.matches;
  more.append(el("summary", "", `Figures and charts of ${name}`), parts.details.box, metrics, parts.totals, charts,
    parts.decisions.box);
  more.addEventListener("toggle", () => drawCharts());  // drawn at the width it opens to
  card.append(head, parts.instances, parts.notReady, more);
  return { card, parts, samples: [], last: null, marks: [], top: 1 };
}

function serviceId(name) {
  return `service-${name.replace(/[^A-Za-z0-9_-]/g, "_")}`;
}

// A <details> whose summary says what it holds and how many; its list is filled on each poll
// (the element stays, so an open one stays open and keeps the keyboard focus).
function disclosure(className, label) {
  const box = el("details", `disclosure ${className}`);
  const summary = el("summary", "", label);
  const list = el("ul", "disclosure-list");
  box.append(summary, list);
  return { box, summary, list, label };
}

function fillDisclosure(part, lines, empty) {
  const text = `${part.label} (${lines.length})`;
  if (part.summary.textContent !== text) part.summary.textContent = text;
  // An empty one ("(0)") is no Tab stop: 35 stops to cross a page of 8 services was 8 too many
  // (it is still read when the page is browsed, and a click still opens it).
  part.summary.tabIndex = lines.length || part.box.open ? 0 : -1;
  const shown = lines.length ? lines : [empty];
  if ([...part.list.children].map((li) => li.dataset.text).join("\n") === shown.join("\n")) return;
  part.list.replaceChildren(...shown.map((line) => {
    const li = el("li");
    li.dataset.text = line;
    showText(li, line);
    return li;
  }));
}

function updateInstances(list, details, instances, none) {
  fillDisclosure(details, instances.map(instanceText), none);
  if (!instances.length) {
    list.removeAttribute("aria-hidden");  // the words of why there is none are read where they stand
    list.replaceChildren(el("li", "instances-none", none));
    return;
  }
  list.setAttribute("aria-hidden", "true");
  list.replaceChildren(...instances.map((instance) => {
    const dot = el("li", `instance ${instanceClass(instance)}`);
    dot.title = instanceText(instance);
    return dot;
  }));
}

// The bounds that apply now: an autoscaled service's; a fixed count is whatever `puma scale` set
// (the config's count until then), so min–max of the config would contradict it.
function updateCount(count, svc) {
  const bounds = svc.autoscaled === false ? "fixed count (puma scale sets it)"
    : `autoscales ${svc.min_instances}–${svc.max_instances}`;
  count.replaceChildren(el("strong", "", svc.ready), document.createTextNode(` / ${svc.instances.length} ready · ${bounds}`));
}

// Instances ready before the page was opened, as the scaling decisions still in the recent events
// tell them (from → to at each), so a decision made earlier shows on the chart with its mark.
function history(events, name, t) {
  const decisions = events.filter((e) => e.service === name && e.kind === "scale" && e.time >= t - WINDOW_S && e.time < t)
    .sort((a, b) => a.time - b.time);
  if (!decisions.length) return [];
  const points = [{ t: Math.max(t - WINDOW_S, decisions[0].time - 5), ready: decisions[0].from }];
  decisions.forEach((e) => points.push({ t: e.time - 0.001, ready: e.from }, { t: e.time, ready: e.to }));
  return points;
}

function updateTotals(node, c) {
  const parts = [counted(c.requests, "request"), counted(c.server, "server error")];
  if (c.noInstance) {
    parts.push(`${counted(c.noInstance, "start-up failure")} (answered 503 before an instance was ready; not counted as server errors)`);
  }
  if (c.notReady) {
    parts.push(`${counted(c.notReady, "refusal")} while not ready (503 saying what it needs is down, `
      + "retried by the client; not counted as server errors)");
  }
  node.textContent = `Since start: ${parts.join(" · ")}`;
}

function updateCard(entry, svc, t, status) {
  const { card, parts } = entry;
  const events = status.events || [];
  card.dataset.instances = String(svc.instances.length);
  card.dataset.ready = String(svc.ready);
  parts.prefix.textContent = svc.prefix;
  updateCount(parts.count, svc);
  updateInstances(parts.instances, parts.details, svc.instances, noInstanceText(card.dataset.service, status));
  // Running is not serving: an instance whose readiness check fails (what it needs is down) is
  // routed around and its requests get 503; the card says so in words, with the reason.
  // Serving but failing every request on a part it needs (a full disk), or fewer ready than wanted:
  // said in words too, never a bare count.
  const why = svc.not_ready || [];
  const said = [why.length ? `Not ready: ${why.join("; ")}` : "", svc.degraded ? `Degraded: ${svc.degraded}` : "",
    (svc.short || []).length ? `Below its count: ${svc.short.join("; ")}` : ""];
  const text = said.filter(Boolean).join(" — ");
  if (parts.notReady.dataset.text !== text) {  // a command in it shown as code (live.js showText)
    parts.notReady.dataset.text = text;
    showText(parts.notReady, text);
  }
  parts.notReady.hidden = !text;
  const point = sample(t, svc, entry.last);
  if (!entry.samples.length) entry.samples.push(...history(events, card.dataset.service, t));
  entry.last = point.counters;
  entry.samples.push(point);
  while (entry.samples.length > 2 && entry.samples[0].t < t - KEEP_S) entry.samples.shift();
  entry.marks = scalingMarks(events, card.dataset.service);
  fillDisclosure(parts.decisions, entry.marks.map((m) => m.title), "none since the page opened (puma scale, the autoscaler)");
  entry.top = Math.max(svc.max_instances || 1, svc.ready || 0);
  parts.metrics.inflight.value.textContent = fmt(svc.in_flight, 0);
  parts.metrics.rps.value.textContent = fmt(svc.requests_per_s, svc.requests_per_s < 10 ? 1 : 0);
  parts.metrics.errors.value.textContent = point.errors === null ? "–" : pct(point.errors + point.startup);
  parts.metrics.p50.value.textContent = ms(svc.p50_ms);
  parts.metrics.p99.value.textContent = ms(svc.p99_ms);
  updateTotals(parts.totals, point.counters);
}

function drawCharts() {
  cards.forEach((entry) => {
    const { charts } = entry.parts;
    charts.load.draw(entry.samples, { windowS: WINDOW_S });
    charts.errors.draw(entry.samples, { windowS: WINDOW_S });
    charts.latency.draw(entry.samples, { windowS: WINDOW_S });
    charts.ready.draw(entry.samples, { windowS: WINDOW_S, marks: entry.marks, top: entry.top });
  });
}

// ------------------------------------------------------------------ page

function renderServices(status) {
  const services = status.services || {};
  const t = Number(status.time) || Date.now() / 1000;
  const names = Object.keys(services).sort((a, b) => services[a].prefix.localeCompare(services[b].prefix));
  names.forEach((name) => {
    if (!cards.has(name)) cards.set(name, makeCard(name));
    updateCard(cards.get(name), services[name], t, status);
  });
  [...cards.keys()].filter((name) => !(name in services)).forEach((name) => cards.delete(name));
  // Only when the set or order changed: a card moved in the document loses the keyboard focus
  // (an open disclosure's summary, focused, would be left every poll).
  const shown = names.map((name) => cards.get(name).card);
  const list = $("services");
  if (shown.length !== list.children.length || shown.some((card, i) => list.children[i] !== card)) {
    list.replaceChildren(...shown);
  }
  drawCharts();
}

// The services and their states as links to their cards, first on the page: what a user checks
// first is one Tab (or one glance) away, however narrow the window. A link's text changes only
// when its state does (the focus stays on it while the page polls).
function renderIndex(status) {
  const services = status.services || {};
  const names = Object.keys(services).sort((a, b) => services[a].prefix.localeCompare(services[b].prefix));
  const list = $("service-index");
  const links = names.map((name) => {
    const svc = services[name];
    const state = serviceState(svc);
    const text = `${name}: ${state} (${svc.ready} of ${svc.instances.length}${state === "ready" ? "" : " ready"})`;
    let link = list.querySelector(`a[data-service="${CSS.escape(name)}"]`);
    if (!link) {
      link = el("a", "index-link");
      link.dataset.service = name;
      link.href = `#${serviceId(name)}`;
      link.addEventListener("click", () => openCard(name));
    }
    if (link.textContent !== text) link.textContent = text;
    link.classList.toggle("down", state !== "ready");
    return link;
  });
  const shown = [...list.querySelectorAll("a")];
  if (shown.length !== links.length || shown.some((link, i) => link !== links[i])) {
    list.replaceChildren(...links.map((link) => { const item = el("li"); item.append(link); return item; }));
  }
}

// Following a service's link opens its figures (folded on a narrow screen) and moves the focus to
// its card (named by its heading), as a screen reader must say where the link led; Tab goes on
// from there.
function openCard(name) {
  const entry = cards.get(name);
  if (!entry) return;
  entry.card.querySelector(".service-more").open = true;
  entry.card.tabIndex = -1;  // focusable from a script, not a Tab stop
  entry.card.focus();
}

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
  $("events-empty").hidden = recent.length > 0;
  $("events-more").hidden = recent.length === 0;
  $("events-count").textContent = recent.length;
}

function setLive(ok, said = "") {
  const state = $("live-state");
  const text = said || (ok ? "live" : "disconnected");
  $("live").className = `live ${ok ? "on" : "off"}`;
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
  setLive(false, path.serving ? "serving · figures paused" : "disconnected");
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
    setLive(false);
    setTitle("offline");
  } finally {
    await early;
    setTimeout(refresh, INTERVAL_MS);
  }
}

new ResizeObserver(() => drawCharts()).observe($("services"));
refresh();
