// Small SVG time-series charts for the dashboard, one y axis per chart. The x axis is time and
// runs from the chart's first sample with data (or `windowS` back, once there is that much
// history) to the newest, so a chart spans its whole width from its first sample on. Colours come from CSS classes
// (style.css: .series-*), so both colour schemes apply.

const SVG_NS = "http://www.w3.org/2000/svg";
const PAD = { top: 14, bottom: 3 };

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG_NS, tag);
  Object.entries(attrs).forEach(([key, value]) => node.setAttribute(key, String(value)));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

function html(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

// A legend key: a short stroke of the series' own class, so it has the plot line's colour and
// dash pattern (a background swatch vanishes in forced colours; a stroke is restyled with the line).
function key(cls) {
  const box = svg("svg", { class: "key", width: 16, height: 8, viewBox: "0 0 16 8", "data-key": cls });
  const mark = cls === "series-mark";  // a scaling decision is a vertical dashed line on the plot
  box.append(svg("line", mark ? { class: cls, x1: 8, x2: 8, y1: 0, y2: 8 } : { class: cls, x1: 0, x2: 16, y1: 4, y2: 4 }));
  return box;
}

export function niceMax(value) {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  const scaled = value / power;
  const step = scaled <= 1 ? 1 : scaled <= 2 ? 2 : scaled <= 5 ? 5 : 10;
  return step * power;
}

function fmt(value) {
  if (value === null || value === undefined) return "–";
  return Number(value) >= 10 || Number.isInteger(value) ? String(Math.round(value)) : Number(value).toFixed(1);
}

// series: [{key, name, cls, fill?}]; options: {unit, minTop, step (a staircase, for counts),
// legend: [{name, cls}] (legend entries of what is not a series, e.g. marks)}.
export class Chart {
  constructor(title, series, options = {}) {
    Object.assign(this, { title, series, options });
    // What a screen reader names the chart: its service too ("agent: Latency"), so a list of a
    // page's charts is not eight "Latency"s.
    this.label = options.subject ? `${options.subject}: ${title}` : title;
    this.box = html("figure", "chart");
    const caption = html("figcaption", "chart-title");
    // The legend is for the eye: the plot's own name says each series and mark (a reader would
    // otherwise hear the figure named "Instances ready ready scaling decision").
    const legend = html("span", "chart-legend");
    legend.setAttribute("aria-hidden", "true");
    [...series, ...(options.legend || [])].forEach((s) => legend.append(key(s.cls), html("span", "", s.name)));
    caption.append(html("span", "chart-name", title), legend);
    this.plot = svg("svg", { class: "chart-plot", role: "img", "aria-label": this.label });
    this.box.append(caption, this.plot);
  }

  // samples: [{t: seconds, [key]: number|null}]; marks: [{t, label, title}] (vertical lines).
  draw(samples, { windowS, marks = [], top: fixedTop = 0 }) {
    const width = this.plot.clientWidth;
    const height = this.plot.clientHeight;
    if (!width || !height || !samples.length) return;
    this.plot.setAttribute("viewBox", `0 0 ${width} ${height}`);
    // The window starts at this chart's first sample with data (an error rate needs two snapshots).
    const first = samples.find((p) => this.series.some((d) => typeof p[d.key] === "number")) || samples[0];
    const end = samples[samples.length - 1].t;
    const start = Math.max(first.t, end - windowS);
    const shown = samples.filter((s) => s.t >= start);
    const x = (t) => (end > start ? ((t - start) / (end - start)) * width : null);
    const values = shown.flatMap((s) => this.series.map((d) => s[d.key])).filter((v) => typeof v === "number");
    const highest = Math.max(this.options.minTop || 1, fixedTop, ...values);
    const top = this.options.step ? Math.ceil(highest) : niceMax(highest);  // counts: the exact top
    const y = (v) => PAD.top + (height - PAD.top - PAD.bottom) * (1 - v / top);
    const nodes = [...this.grid(width, y, top)];
    this.series.forEach((s) => nodes.push(...this.line(shown, s, x, y, width, height)));
    marks.filter((m) => m.t >= start && m.t <= end && end > start)
      .forEach((m) => nodes.push(...this.mark(x(m.t), height, m)));
    this.plot.replaceChildren(...nodes);
    this.plot.setAttribute("aria-label", this.summary(shown, end - start, marks.filter((m) => m.t >= start)));
  }

  grid(width, y, top) {
    const lines = [0, top / 2, top].map((v) => svg("line", {
      class: "grid", x1: 0, x2: width, y1: Math.round(y(v)) + 0.5, y2: Math.round(y(v)) + 0.5,
    }));
    return [...lines, svg("text", { class: "axis-label", x: 2, y: 10 }, `${fmt(top)}${this.options.unit || ""}`)];
  }

  line(shown, s, x, y, width, height) {
    const points = shown.map((p) => (typeof p[s.key] === "number" ? [x(p.t), y(p[s.key])] : null));
    const runs = [[]];
    points.forEach((p) => {
      if (p) runs[runs.length - 1].push(p);
      else if (runs[runs.length - 1].length) runs.push([]);
    });
    return runs.filter((run) => run.length).flatMap((run) => {
      // One sample (or all at one time): a level line across the chart.
      const level = run[run.length - 1][1];
      const pts = run[0][0] === null ? [[0, level], [width, level]] : run;
      const d = pts.map(([px, py], i) => {
        if (i === 0) return `M${px.toFixed(1)},${py.toFixed(1)}`;
        return this.options.step ? `H${px.toFixed(1)}V${py.toFixed(1)}` : `L${px.toFixed(1)},${py.toFixed(1)}`;
      }).join("");
      const path = svg("path", { class: `series ${s.cls}`, d, "data-series": s.key });
      if (!s.fill) return [path];
      const area = svg("path", { class: `area ${s.cls}`, d: `${d}V${height}H${pts[0][0].toFixed(1)}Z` });
      return [area, path];
    });
  }

  mark(px, height, m) {
    const group = svg("g", { class: "mark" });
    group.append(
      svg("title", {}, m.title),
      svg("line", { x1: px.toFixed(1), x2: px.toFixed(1), y1: PAD.top - 2, y2: height }),
      svg("text", { x: (px > 40 ? px - 3 : px + 3).toFixed(1), y: height - 4, "text-anchor": px > 40 ? "end" : "start" }, m.label),
    );
    return [group];
  }

  summary(shown, spanS, marks) {
    const last = shown[shown.length - 1];
    const parts = this.series.map((s) => {
      const vals = shown.map((p) => p[s.key]).filter((v) => typeof v === "number");
      if (!vals.length) return `${s.name}: no data`;
      return `${s.name} now ${fmt(last[s.key])}${this.options.unit || ""}, highest ${fmt(Math.max(...vals))}`;
    });
    const span = spanS >= 90 ? `${Math.round(spanS / 60)} min` : `${Math.round(spanS)} s`;
    const events = marks.length ? `; ${marks.length} scaling decision(s): ${marks.map((m) => m.title).join("; ")}` : "";
    return `${this.label}, last ${span}: ${parts.join("; ")}${events}`;
  }
}
