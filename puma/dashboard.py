"""Every deployment's status page, `GET /_puma/dashboard`: services, instances, ready, recent events.

Each service is a line of its state whose detail folds (a native <details>), open only for one not
all ready, so a phone shows a deployment that is well in one screen and what is not, opened.

The same data as `GET /_puma/status` (and the same view: the public one unless the caller is this
machine or holds the secret), as one HTML page a browser opens: no script, no external asset
(its style is inline; the response's Content-Security-Policy forbids anything else), every value
escaped. It lives under `/_puma/`, which no service may route, so it never hides an app's page.
Its figures update in place every 5 s (`?refresh_s=N`: 2 to 300) by one inline script (allowed by
its hash alone): it fetches this page again and puts each changed figure (the elements marked
`data-live`) into the open page, so the focus, the reading position and each <details> opened or
closed stay where the user left them (a reload would send a screen reader back to the top);
Pause stops it (WCAG 2.2.2), and the polite status speaks only when the state line changes. With
scripts off it is a static page with a link that reloads it. Example::

    page(snapshot, refresh_s=None)   # b'<!doctype html><html lang="en">...'
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
from collections.abc import Mapping
from html import escape
from typing import Any
from urllib.parse import parse_qs

from .defaults import LAST_PUBLISHED_WORDS
from .states import headline, instance_words

PATH = "/_puma/dashboard"
EVENTS_SHOWN = 20
REFRESH_S = (2, 300)
DEFAULT_REFRESH_S = 5

_STYLE = """body{font:16px/1.45 system-ui,sans-serif;margin:1.5rem;color:#111;background:#fff}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}th,td{border:1px solid #888;padding:.3rem .6rem;text-align:left}
th{background:#eee}.bad{color:#8b0000;font-weight:600}.ok{color:#064;font-weight:600}a{color:#0645ad}
@media (prefers-color-scheme:dark){body{background:#111;color:#eee}th{background:#333}.bad{color:#ff9c9c}
.ok{color:#8fe3b0}a{color:#9cc8ff}}
a:focus-visible,summary:focus-visible,button:focus-visible{outline:3px solid currentColor;outline-offset:2px}td,li,code,summary{overflow-wrap:anywhere}
details{border-top:1px solid #888}details:last-child{border-bottom:1px solid #888}summary{cursor:pointer;padding:.4rem 0}
details>table{margin-top:.25rem}.sub{margin:.25rem 0 0;font-weight:600}
button{font:inherit;padding:.2rem .7rem;border:1px solid currentColor;border-radius:4px;background:none;color:inherit}
button[aria-pressed=true]{background:#eee}@media (prefers-color-scheme:dark){button[aria-pressed=true]{background:#333}}
@media (pointer:coarse){button{min-height:44px}summary{min-height:44px;box-sizing:border-box;padding:.6rem 0}
a{display:inline-flex;align-items:center;min-height:44px;vertical-align:middle}}
@media (max-width:48rem){body{margin:.75rem}table,caption,tbody,tr,th,td{display:block}thead{position:absolute;
width:1px;height:1px;overflow:hidden;clip-path:inset(50%)}tr{border:1px solid #888;margin:0 0 .75rem}
th,td{border:0;border-top:1px solid #888}th[scope=row]{border-top:0}td::before{content:attr(data-label) ": ";
font-weight:600}}
body[data-silent] #services,body[data-silent] #events{border-left:4px dashed currentColor;padding-left:.6rem}"""
# Under a finger every target is 44 px high (WCAG 2.5.5): a link is inline text (19 px) unless it
# is an inline flex box, which keeps it in its sentence and still wraps a long label.
# Below 48rem (a phone; 400 % zoom of a laptop is 320 px) the table of nine columns is one block per
# service, each cell named by its column (WCAG 1.4.10: no sideways scrolling); the explicit roles
# keep it a table for screen readers, which a block display would otherwise take away.
# Silent supervisor (data-silent): the figures below are marked as from before, in words, not colour.
# Updates the figures in place (see the module's docstring); the page's ids are its contract: the
# elements marked data-live take their new content, and the services' section is swapped whole only
# when the services themselves change, keeping each <details>' state and the focus by id or href.
# Between updates it asks `/_puma/ready` every READY_EVERY_MS, which Envoy answers within 0.5 s from
# what the supervisor last published when the supervisor is silent ("supervisor_answered": false):
# an open page then says so within about 1.5 s, in the words Envoy's own page says it (the body's
# data-silent-*), instead of at its next update (up to 5 s, then 1 s more for Envoy's page).
READY_EVERY_MS = 1000
_SCRIPT = """(() => {
const every = 1000 * Number(document.body.dataset.refreshS), pause = document.getElementById("pause");
const said = document.getElementById("said"), how = document.getElementById("updating");
const stale = () => document.getElementById("stale");  // in the services' section, which an update may swap
const clock = () => new Date().toISOString().slice(11, 19) + " UTC";
let timer = 0, beat = 0, lost = "", silentSince = "", done = 0;
const paused = () => pause.getAttribute("aria-pressed") === "true";
const names = (doc) => [...doc.querySelectorAll("details.service")].map((d) => d.id).join(" ");
function keepFocus(change) {
  const had = document.activeElement, key = had && had !== document.body && (had.id || had.getAttribute("href"));
  change();
  if (key && !document.body.contains(had)) {
    const back = document.getElementById(key) || [...document.querySelectorAll("a[href]")].find((a) => a.getAttribute("href") === key);
    if (back) back.focus({preventScroll: true});
  }
}
function swap(fresh) {
  if (names(fresh) !== names(document)) {
    const open = new Map([...document.querySelectorAll("details[id]")].map((d) => [d.id, d.open]));
    document.getElementById("services").replaceWith(document.adoptNode(fresh.getElementById("services")));
    for (const d of document.querySelectorAll("details[id]")) if (open.has(d.id)) d.open = open.get(d.id);
  }
  for (const node of fresh.querySelectorAll("[data-live]")) {
    const mine = document.getElementById(node.id);
    if (mine && mine.innerHTML !== node.innerHTML) mine.innerHTML = node.innerHTML;
  }
}
function say(text) { if (said.textContent !== text) said.textContent = text; }
function silent(ready) {
  silentSince = silentSince || clock();
  document.body.dataset.silent = "true";
  const words = ready === false ? document.body.dataset.silentNotReady : document.body.dataset.silentReady;
  const asOf = document.getElementById("as-of").textContent;
  say("Not answering since " + silentSince + ": " + words + " The figures below are from before (as of " + asOf + ").");
  stale().textContent = "From before the supervisor stopped answering (as of " + asOf + "):";
  stale().hidden = false;
}
async function askReady() {
  try {
    const got = await fetch("/_puma/ready", {headers: {accept: "application/json"}, cache: "no-store",
                                             signal: AbortSignal.timeout(5000)});
    const ready = await got.json();
    if (ready.supervisor_answered === false) silent(ready.ready);
    else if (silentSince) update();
    return ready.supervisor_answered !== false;
  } catch (err) {
    return null;
  }
}
async function heartbeat() {
  clearTimeout(beat);
  await askReady();
  if (!paused()) beat = setTimeout(heartbeat, READY_EVERY_MS);
}
async function update() {
  clearTimeout(timer);
  try {
    const got = await fetch(location.pathname + location.search, {headers: {accept: "text/html"}, cache: "no-store",
                                                        signal: AbortSignal.timeout(every + 10000)});
    if (!got.ok) throw new Error("HTTP " + got.status);
    const fresh = new DOMParser().parseFromString(await got.text(), "text/html");
    lost = silentSince = "";
    delete document.body.dataset.silent;
    stale().hidden = true;
    keepFocus(() => swap(fresh));
  } catch (err) {
    if (!silentSince && await askReady() !== false) {
      lost = lost || "not answering since " + clock() + " (" + err.message + "): the figures below are from before";
      say(lost);
    }
  }
  document.body.dataset.updates = String(++done);  // how many have landed (what a test waits for)
  if (!paused()) timer = setTimeout(update, every);
}
function toggle() {
  const stop = !paused();
  pause.setAttribute("aria-pressed", String(stop));
  how.textContent = stop ? "updates paused" : "updates every " + every / 1000 + " s";
  if (stop) { clearTimeout(timer); clearTimeout(beat); } else { update(); heartbeat(); }
}
pause.hidden = false;
how.textContent = "updates every " + every / 1000 + " s";
pause.addEventListener("click", toggle);
timer = setTimeout(update, every);
beat = setTimeout(heartbeat, READY_EVERY_MS);
})();""".replace("READY_EVERY_MS", str(READY_EVERY_MS))
_SCRIPT_HASH = base64.b64encode(hashlib.sha256(_SCRIPT.encode()).digest()).decode()
HEADERS = {"Content-Security-Policy": f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{_SCRIPT_HASH}'; "
                                      "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
           "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}

SILENT_WORDS = ("PUMA's supervisor, which draws this page, is not answering: it is stopped (SIGSTOP, a terminal's "
                "Ctrl-Z), busy or exiting. {said} A stopped one resumes with kill -CONT on the puma run process "
                "(or fg in its terminal).")

COLUMNS = ("Service", "Prefix", "Ready", "Instances (id: state)", "Min-max", "In flight", "Requests/s",
           "p50 / p99 ms", "Server errors")


def refresh_from(query: str) -> int | None:
    """The `refresh_s` a query asks for, kept within REFRESH_S; None when it asks none (or not a number)."""
    values = parse_qs(query).get("refresh_s")
    try:
        wanted = int(float(values[-1])) if values else None
    except ValueError:
        return None
    return None if wanted is None else min(max(wanted, REFRESH_S[0]), REFRESH_S[1])


def _clock(epoch: Any) -> str:
    return time.strftime("%H:%M:%S", time.gmtime(float(epoch))) + " UTC" if isinstance(epoch, int | float) else "-"


def _number(value: Any, unit: str = "") -> str:
    if value is None:
        return "-"
    return f"{value:.1f}{unit}" if isinstance(value, float) else f"{value}{unit}"


def _all_ready(svc: Mapping[str, Any]) -> bool:
    """Every instance of it ready, and nothing said against it (not ready, degraded, not answering)."""
    instances = list(svc.get("instances") or ())
    said = [*(svc.get("not_ready") or ()), *(svc.get("silent") or ())]
    return bool(svc.get("ready")) and svc.get("ready") == len(instances) and not said and not svc.get("degraded")


def _service_row(name: str, svc: Mapping[str, Any]) -> str:
    instances = list(svc.get("instances") or ())
    ready, wanted = svc.get("ready", 0), len(instances)
    said = [str(w) for w in svc.get("not_ready") or ()]
    states = ", ".join(f"{i.get('id', '?')}: {instance_words(i, said)}" for i in instances) or "none"
    why = "; ".join(str(w) for w in [*(svc.get("not_ready") or ()), *(svc.get("silent") or ())])
    mark = "ok" if ready and not why else "bad"
    bounds = f"{svc.get('min_instances', '?')}-{svc.get('max_instances', '?')}"
    values = [(escape(str(svc.get("prefix", ""))), ""),
              (f'{escape(str(ready))} of {wanted}{" — " + _prose(why) if why else ""}', mark),
              (_prose(states), ""), (escape(bounds), ""), (escape(_number(svc.get("in_flight"))), ""),
              (escape(_number(svc.get("requests_per_s"))), ""),
              (f"{escape(_number(svc.get('p50_ms')))} / {escape(_number(svc.get('p99_ms')))}", ""),
              (escape(_number(svc.get("errors_5xx"))), "")]
    cells = [_cell(column, value, css) for column, (value, css) in zip(COLUMNS[1:], values, strict=True)]
    return f'<tr role="row"><th scope="row" role="rowheader">{escape(name)}</th>' + "".join(cells) + "</tr>"


def _cell(column: str, html: str, css: str) -> str:
    """One cell, named by its column (`data-label`: what a narrow screen shows before its value)."""
    marked = f' class="{css}"' if css else ""
    return f'<td role="cell" data-label="{escape(column)}"{marked}>{html}</td>'


def _anchors(names: list[str]) -> dict[str, str]:
    """Each service's id in the page (its name where it can be; a number keeps two apart)."""
    ids: dict[str, str] = {}
    for number, name in enumerate(names):
        anchor = "service-" + re.sub(r"[^A-Za-z0-9_-]", "_", name)
        ids[name] = anchor if anchor not in ids.values() else f"{anchor}-{number}"
    return ids


def _service(name: str, svc: Mapping[str, Any], anchor: str, events: list[Mapping[str, Any]]) -> str:
    """One service: a line saying its state (a native <details>' summary: a keyboard opens it with
    Enter, a screen reader hears it expanded or collapsed), its figures and events folded under it;
    open when it is not all ready, the one a user came to read."""
    ok = _all_ready(svc)
    ready, wanted = svc.get("ready", 0), len(list(svc.get("instances") or ()))
    state = (f'<span class="ok"><span aria-hidden="true">\u2713 </span>ready, {escape(str(ready))} of {wanted}</span>'
             if ok else f'<span class="bad"><span aria-hidden="true">\u2715 </span>{"not all" if ready else "not"} ready: '
             f'{escape(str(ready))} of {wanted} ready</span>')
    head = "".join(f'<th scope="col" role="columnheader">{h}</th>' for h in COLUMNS)
    table = (f'<table role="table" aria-label="{escape(name)}"><thead role="rowgroup"><tr role="row">{head}</tr></thead>'
             f'<tbody role="rowgroup" id="{anchor}-row" data-live>{_service_row(name, svc)}</tbody></table>')
    mine = [e for e in events if e.get("service") == name]
    return (f'<details class="service" id="{anchor}"{" open" if not ok else ""}><summary><strong>{escape(name)}</strong> '
            f'<span id="{anchor}-state" data-live>{state}</span> <code>{escape(str(svc.get("prefix", "")))}</code>'
            f'</summary>{table}<div id="{anchor}-events" data-live>{_own_events(name, mine)}</div></details>')


def _own_events(name: str, events: list[Mapping[str, Any]]) -> str:
    if not events:
        return f'<p class="sub">No recent events of {escape(name)}.</p>'
    return f'<p class="sub">Recent events of {escape(name)} ({min(len(events), EVENTS_SHOWN)})</p>{_events(events)}'


def _services(services: Mapping[str, Any], events: list[Mapping[str, Any]]) -> str:
    names = sorted(services)
    anchors = _anchors(names)
    down = [name for name in names if not _all_ready(services[name])]
    links = ", ".join(f'<a href="#{anchors[n]}">{escape(n)}</a>' for n in down)
    said = (f"Not all ready: {links} (open below)." if down
            else f"All {len(names)} ready; open a service for its instances, figures and events.")
    cards = "".join(_service(name, services[name], anchors[name], events) for name in names)
    return (f'<section id="services"><h2>Services ({len(services)})</h2>'
            f'<p id="stale" class="sub" hidden></p><p id="services-said" data-live>{said}</p>{cards}</section>')


def _events(events: list[Mapping[str, Any]]) -> str:
    recent = list(reversed(events[-EVENTS_SHOWN:]))
    if not recent:
        return "<p>No events yet.</p>"
    items = "".join(f"<li><time>{escape(_clock(e.get('time')))}</time> <strong>{escape(str(e.get('service', '')))}"
                    f"</strong>: {_prose(str(e.get('message', '')))}</li>" for e in recent)
    return f"<ol reversed>{items}</ol>"


def _all_events(events: list[Mapping[str, Any]]) -> str:
    """Every service's recent events in one list, newest first, folded: a service not all ready
    shows its own, open above."""
    shown = min(len(events), EVENTS_SHOWN)
    return (f'<details class="events" id="events"><summary><strong>Recent events</strong> of every service '
            f'(<span id="events-count" data-live>{shown}</span>)</summary><div id="events-list" data-live>'
            f"{_events(events)}</div></details>")


def _pages(pages: Mapping[str, str]) -> str:
    """What this page is for, and links to the app's own pages (`listener.pages`, each label saying
    what that page is for), so a keyboard user never has to type an address to get back."""
    links = ", ".join(f'<a href="{escape(path, quote=True)}">{escape(label)}</a>' for path, label in pages.items())
    also = f" This deployment's own pages: {links}." if links else ""
    return f'<p class="about">This page: the services\' instances, readiness and events.{also}</p>'


def _silent_words() -> str:
    """What the open page says if its supervisor falls silent, by the readiness last published."""
    said = {"ready": LAST_PUBLISHED_WORDS[True], "not-ready": LAST_PUBLISHED_WORDS[False]}
    return "".join(f' data-silent-{key}="{escape(SILENT_WORDS.format(said=words), quote=True)}"'
                   for key, words in said.items())


def page(snapshot: Mapping[str, Any], refresh_s: int | None = None, pages: Mapping[str, str] | None = None) -> bytes:
    """The HTML page for a status snapshot (`/_puma/status`'s body, either view); its figures update
    in place every `refresh_s` (default 5 s) while a script runs; `pages` (path -> what it is) are linked."""
    said = headline(snapshot) or "serving: every service is ready"
    services, events = snapshot.get("services") or {}, list(snapshot.get("events") or ())
    every = refresh_s or DEFAULT_REFRESH_S
    query = f"?refresh_s={refresh_s}" if refresh_s else ""
    html = (f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>PUMA status</title><style>{_STYLE}</style></head><body data-refresh-s=\"{every}\"{_silent_words()}>"
            "<main>"
            f"<h1>PUMA deployment</h1>{_pages(pages or {})}<p role=\"status\" id=\"said\" data-live>{_prose(said)}</p>"
            f"<p>As of <span id=\"as-of\" data-live>{escape(_clock(snapshot.get('time')))}</span>; "
            f"started {escape(_clock(snapshot.get('started_at')))}; <span id=\"updating\">a static page</span> "
            f'(<a href="{PATH}{query}">refresh</a>) <button type="button" id="pause" aria-pressed="false" hidden>'
            f"Pause updates</button>. The same as JSON: <a href=\"/_puma/status\">/_puma/status</a>.</p>"
            f"{_services(services, events)}{_all_events(events)}</main><script>{_SCRIPT}</script></body></html>")
    return html.encode()


def _prose(text: str) -> str:
    """`text` as HTML: escaped, and a command in backticks ("`puma run` prints the URL") shown as
    code, never with its backticks (the CLI's convention, raw on a page)."""
    return re.sub(r"`([^`\n]+)`", r"<code>\1</code>", escape(text))
