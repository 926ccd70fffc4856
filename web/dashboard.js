// The mesh dashboard: polls GET /_puma/status every 1.5 s and draws, per service, its instances,
// load and latency, with small hand-drawn time-series charts. Text goes in via textContent only.
"use strict";

(() => {
  const params = new URLSearchParams(window.location.search);
  const INTERVAL_MS = Math.max(250, Number(params.get("interval")) || 1500);
  const HISTORY = 80;
  const COLORS = { rps: "#3b5bdb", p50: "#2f9e44", p99: "#e8930c", ready: "#7048e8", grid: "#e2e5ec", text: "#677189" };

  const $ = (id) => document.getElementById(id);
  const cards = new Map();
  const history = new Map();

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

  // ------------------------------------------------------------------ charts

  function sizeCanvas(canvas) {
    const ratio = window.devicePixelRatio || 1;
    const width = Math.max(1, Math.round(canvas.clientWidth * ratio));
    const height = Math.max(1, Math.round(canvas.clientHeight * ratio));
    if (canvas.width !== width || canvas.height !== height) Object.assign(canvas, { width, height });
    const ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    return { ctx, width: canvas.clientWidth, height: canvas.clientHeight };
  }

  // series: [{values: [number|null], color, fill}]; x spans HISTORY samples, newest at the right.
  function drawChart(canvas, series, options) {
    const { ctx, width, height } = sizeCanvas(canvas);
    ctx.clearRect(0, 0, width, height);
    const all = series.flatMap((s) => s.values).filter((v) => v !== null && v !== undefined);
    const top = niceMax(Math.max(options.minMax || 1, ...all));
    const pad = { top: 12, bottom: 2 };
    const y = (v) => pad.top + (height - pad.top - pad.bottom) * (1 - v / top);
    const x = (i, n) => width - (n - 1 - i) * (width / (HISTORY - 1));
    drawGrid(ctx, width, y, top, options.unit);
    series.forEach((s) => drawLine(ctx, s, x, y, height, options.step));
  }

  function niceMax(value) {
    const power = 10 ** Math.floor(Math.log10(value));
    const scaled = value / power;
    const step = scaled <= 1 ? 1 : scaled <= 2 ? 2 : scaled <= 5 ? 5 : 10;
    return step * power;
  }

  function drawGrid(ctx, width, y, top, unit) {
    ctx.strokeStyle = COLORS.grid;
    ctx.lineWidth = 1;
    [0, top / 2, top].forEach((v) => {
      ctx.beginPath();
      ctx.moveTo(0, Math.round(y(v)) + 0.5);
      ctx.lineTo(width, Math.round(y(v)) + 0.5);
      ctx.stroke();
    });
    ctx.fillStyle = COLORS.text;
    ctx.font = "10px system-ui, sans-serif";
    ctx.textBaseline = "top";
    ctx.fillText(`${top}${unit || ""}`, 2, 0);
  }

  function drawLine(ctx, s, x, y, height, step) {
    const n = s.values.length;
    const points = s.values.map((v, i) => (v === null || v === undefined ? null : [x(i, n), y(v)]));
    const runs = splitRuns(points);
    ctx.strokeStyle = s.color;
    ctx.lineWidth = 1.6;
    ctx.lineJoin = "round";
    runs.forEach((run) => {
      ctx.beginPath();
      run.forEach(([px, py], i) => {
        if (i === 0) ctx.moveTo(px, py);
        else if (step) { ctx.lineTo(px, run[i - 1][1]); ctx.lineTo(px, py); }
        else ctx.lineTo(px, py);
      });
      ctx.stroke();
      if (s.fill && run.length > 1) fillUnder(ctx, run, height, s.color);
    });
  }

  function splitRuns(points) {
    const runs = [[]];
    points.forEach((p) => {
      if (p) runs[runs.length - 1].push(p);
      else if (runs[runs.length - 1].length) runs.push([]);
    });
    return runs.filter((r) => r.length);
  }

  function fillUnder(ctx, run, height, color) {
    ctx.lineTo(run[run.length - 1][0], height);
    ctx.lineTo(run[0][0], height);
    ctx.closePath();
    ctx.globalAlpha = 0.12;
    ctx.fillStyle = color;
    ctx.fill();
    ctx.globalAlpha = 1;
  }

  // ------------------------------------------------------------------ service cards

  function metric(label) {
    const box = el("div", "metric");
    const value = el("div", "metric-value", "–");
    box.append(el("div", "metric-label", label), value);
    return { box, value };
  }

  function chart(title, legend) {
    const box = el("div", "chart");
    const head = el("div", "chart-title");
    head.append(el("span", "", title));
    const keys = el("span", "chart-legend");
    legend.forEach(([name, color]) => {
      const swatch = el("i");
      swatch.style.background = color;
      keys.append(swatch, document.createTextNode(name));
    });
    head.append(keys);
    const canvas = el("canvas");
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", title);
    box.append(head, canvas);
    return { box, canvas };
  }

  function makeCard(name) {
    const card = el("article", "service");
    card.dataset.service = name;
    const head = el("header", "service-head");
    const count = el("span", "service-count");
    const parts = { name: el("h2", "service-name", name), prefix: el("span", "service-prefix"), count };
    head.append(parts.name, parts.prefix, count);
    parts.instances = el("ul", "instances");
    parts.instances.setAttribute("aria-label", `instances of ${name}`);
    const metrics = el("div", "metrics");
    parts.metrics = {};
    [["inflight", "In flight"], ["rps", "Req/s"], ["p50", "p50"], ["p99", "p99"]].forEach(([key, label]) => {
      parts.metrics[key] = metric(label);
      metrics.append(parts.metrics[key].box);
    });
    const charts = el("div", "charts");
    parts.load = chart("Requests/s", [["req/s", COLORS.rps], ["ready", COLORS.ready]]);
    parts.latency = chart("Latency", [["p50", COLORS.p50], ["p99", COLORS.p99]]);
    charts.append(parts.load.box, parts.latency.box);
    card.append(head, parts.instances, metrics, charts);
    return { card, parts };
  }

  function instanceClass(instance) {
    if (instance.state === "ready") return instance.healthy === false ? "starting" : "healthy";
    return ["starting", "draining", "unhealthy"].includes(instance.state) ? instance.state : "stopped";
  }

  function updateInstances(list, instances) {
    list.replaceChildren(...instances.map((instance) => {
      const dot = el("li", `instance ${instanceClass(instance)}`);
      const health = instance.healthy === null ? "" : instance.healthy ? ", healthy" : ", not yet healthy";
      // pid and port are shown to this machine only (the public view of /_puma/status omits them)
      const where = instance.pid ? ` pid ${instance.pid} port ${instance.port}` : "";
      dot.title = `#${instance.id}${where}: ${instance.state}${health}`;
      dot.setAttribute("aria-label", dot.title);
      return dot;
    }));
  }

  function updateCount(count, svc) {
    const strong = el("strong", "", svc.ready);
    count.replaceChildren(strong, document.createTextNode(
      ` / ${svc.instances.length} ready · scales ${svc.min_instances}–${svc.max_instances}`));
  }

  function updateCard(name, svc) {
    if (!cards.has(name)) {
      cards.set(name, makeCard(name));
      history.set(name, []);
    }
    const { card, parts } = cards.get(name);
    card.dataset.instances = String(svc.instances.length);
    card.dataset.ready = String(svc.ready);
    parts.prefix.textContent = svc.prefix;
    updateCount(parts.count, svc);
    updateInstances(parts.instances, svc.instances);
    parts.metrics.inflight.value.textContent = fmt(svc.in_flight, 0);
    parts.metrics.rps.value.textContent = fmt(svc.requests_per_s, svc.requests_per_s < 10 ? 1 : 0);
    parts.metrics.p50.value.textContent = ms(svc.p50_ms);
    parts.metrics.p99.value.textContent = ms(svc.p99_ms);
    record(name, svc);
    return card;
  }

  function record(name, svc) {
    const points = history.get(name);
    points.push({ rps: svc.requests_per_s, ready: svc.ready, p50: svc.p50_ms, p99: svc.p99_ms });
    if (points.length > HISTORY) points.splice(0, points.length - HISTORY);
  }

  function drawCharts() {
    cards.forEach(({ parts }, name) => {
      const points = history.get(name);
      drawChart(parts.load.canvas, [
        { values: points.map((p) => p.rps), color: COLORS.rps, fill: true },
        { values: points.map((p) => p.ready), color: COLORS.ready },
      ], { minMax: 2 });
      drawChart(parts.latency.canvas, [
        { values: points.map((p) => p.p50), color: COLORS.p50 },
        { values: points.map((p) => p.p99), color: COLORS.p99 },
      ], { minMax: 5, unit: " ms" });
    });
  }

  // ------------------------------------------------------------------ page

  function renderServices(services) {
    const names = Object.keys(services).sort((a, b) => services[a].prefix.localeCompare(services[b].prefix));
    const nodes = names.map((name) => updateCard(name, services[name]));
    [...cards.keys()].filter((name) => !(name in services)).forEach((name) => {
      cards.delete(name);
      history.delete(name);
    });
    $("services").replaceChildren(...nodes);
    drawCharts();
  }

  function renderSummary(status) {
    const list = Object.values(status.services);
    const sum = (key) => list.reduce((total, svc) => total + (Number(svc[key]) || 0), 0);
    $("sum-services").textContent = list.length;
    $("sum-instances").textContent = `${sum("ready")} / ${list.reduce((t, s) => t + s.instances.length, 0)}`;
    $("sum-rps").textContent = fmt(sum("requests_per_s"), 1);
    $("sum-inflight").textContent = sum("in_flight");
    const envoy = status.envoy || {};
    $("sum-envoy").textContent = envoy.pid ? `pid ${envoy.pid}` : envoy.up ? "up" : "down";
  }

  function renderEvents(events) {
    const recent = events.slice(-15).reverse();
    $("events").replaceChildren(...recent.map((event) => {
      const item = el("li");
      const when = new Date(event.time * 1000);
      item.append(
        el("span", "event-time", when.toLocaleTimeString([], { hour12: false })),
        el("span", "event-service", event.service),
        el("span", "event-message", event.message),
      );
      return item;
    }));
    $("events-empty").hidden = recent.length > 0;
  }

  function setLive(ok, text) {
    const live = $("live");
    live.className = `live ${ok ? "on" : "off"}`;
    live.textContent = text;
    document.body.dataset.state = ok ? "live" : "offline";
  }

  async function refresh() {
    try {
      const resp = await fetch("/_puma/status", { cache: "no-store", headers: { Accept: "application/json" } });
      const status = await resp.json();
      if (!resp.ok) throw new Error(status.error || `HTTP ${resp.status}`);
      renderSummary(status);
      renderServices(status.services || {});
      renderEvents(status.events || []);
      $("dash-error").hidden = true;
      setLive(true, `live · ${new Date().toLocaleTimeString([], { hour12: false })}`);
    } catch (err) {
      $("dash-error").textContent = `The status endpoint did not answer: ${err.message}`;
      $("dash-error").hidden = false;
      setLive(false, "disconnected");
    } finally {
      setTimeout(refresh, INTERVAL_MS);
    }
  }

  window.addEventListener("resize", drawCharts);
  refresh();
})();
