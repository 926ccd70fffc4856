// The mesh dashboard's service cards: per service its instances, load, errors, latency and ready
// instances (each on its own chart and axis, scaling decisions marked), and the index of services
// linking them. Text goes in via textContent only.

import { Chart } from "./charts.js";
import { clockText, counted } from "./format.js";
import { KEEP_S, WINDOW_S } from "./dash-timing.js";
import { showText } from "./live.js";
import { instanceClass, instanceText, noInstanceText, serviceState } from "./dash-words.js";

const $ = (id) => document.getElementById(id);
const cards = new Map();  // name -> {card, parts, samples: [], last: counters of the previous snapshot}

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

export function fmt(value, digits) {
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
export function counters(svc) {
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

export function drawCharts() {
  cards.forEach((entry) => {
    const { charts } = entry.parts;
    charts.load.draw(entry.samples, { windowS: WINDOW_S });
    charts.errors.draw(entry.samples, { windowS: WINDOW_S });
    charts.latency.draw(entry.samples, { windowS: WINDOW_S });
    charts.ready.draw(entry.samples, { windowS: WINDOW_S, marks: entry.marks, top: entry.top });
  });
}

// ------------------------------------------------------------------ page

export function renderServices(status) {
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
export function renderIndex(status) {
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
