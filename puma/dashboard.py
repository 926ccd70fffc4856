"""Every deployment's status page, `GET /_puma/dashboard`: services, instances, ready, recent events.

The same data as `GET /_puma/status` (and the same view: the public one unless the caller is this
machine or holds the secret), as one HTML page a browser opens: no script, no external asset
(its style is inline; the response's Content-Security-Policy forbids anything else), every value
escaped. It lives under `/_puma/`, which no service may route, so it never hides an app's page.
It does not refresh by itself (a page that reloads under a screen reader is hard to use);
`?refresh_s=5` asks it to, every 5 s (2 to 300). Example::

    page(snapshot, refresh_s=None)   # b'<!doctype html><html lang="en">...'
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from html import escape
from typing import Any
from urllib.parse import parse_qs

from .states import headline

PATH = "/_puma/dashboard"
HEADERS = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "
                                      "form-action 'none'; frame-ancestors 'none'",
           "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
EVENTS_SHOWN = 20
REFRESH_S = (2, 300)

_STYLE = """body{font:16px/1.45 system-ui,sans-serif;margin:1.5rem;color:#111;background:#fff}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}th,td{border:1px solid #888;padding:.3rem .6rem;text-align:left}
th{background:#eee}.bad{color:#8b0000;font-weight:600}.ok{color:#064;font-weight:600}a{color:#0645ad}
@media (prefers-color-scheme:dark){body{background:#111;color:#eee}th{background:#333}.bad{color:#ff9c9c}
.ok{color:#8fe3b0}a{color:#9cc8ff}}"""


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


def _service_row(name: str, svc: Mapping[str, Any]) -> str:
    instances = list(svc.get("instances") or ())
    ready, wanted = svc.get("ready", 0), len(instances)
    states = ", ".join(f"{i.get('id', '?')}: {i.get('state', '?')}" for i in instances) or "none"
    why = "; ".join(str(w) for w in [*(svc.get("not_ready") or ()), *(svc.get("silent") or ())])
    mark = "ok" if ready and not why else "bad"
    bounds = f"{svc.get('min_instances', '?')}-{svc.get('max_instances', '?')}"
    cells = [f'<th scope="row">{escape(name)}</th>', f"<td>{escape(str(svc.get('prefix', '')))}</td>",
             f'<td class="{mark}">{escape(str(ready))} of {wanted}{" — " + escape(why) if why else ""}</td>',
             f"<td>{escape(states)}</td>", f"<td>{escape(bounds)}</td>",
             f"<td>{escape(_number(svc.get('in_flight')))}</td>",
             f"<td>{escape(_number(svc.get('requests_per_s')))}</td>",
             f"<td>{escape(_number(svc.get('p50_ms')))} / {escape(_number(svc.get('p99_ms')))}</td>",
             f"<td>{escape(_number(svc.get('errors_5xx')))}</td>"]
    return "<tr>" + "".join(cells) + "</tr>"


def _services(services: Mapping[str, Any]) -> str:
    head = "".join(f'<th scope="col">{h}</th>' for h in ("Service", "Prefix", "Ready", "Instances (id: state)",
                                                          "Min-max", "In flight", "Requests/s",
                                                          "p50 / p99 ms", "Server errors"))
    rows = "".join(_service_row(name, svc) for name, svc in sorted(services.items()))
    return (f"<table><caption>Services ({len(services)})</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{rows}</tbody></table>")


def _events(events: list[Mapping[str, Any]]) -> str:
    recent = list(reversed(events[-EVENTS_SHOWN:]))
    if not recent:
        return "<p>No events yet.</p>"
    items = "".join(f"<li><time>{escape(_clock(e.get('time')))}</time> <strong>{escape(str(e.get('service', '')))}"
                    f"</strong>: {escape(str(e.get('message', '')))}</li>" for e in recent)
    return f"<ol reversed>{items}</ol>"


def page(snapshot: Mapping[str, Any], refresh_s: int | None = None) -> bytes:
    """The HTML page for a status snapshot (`/_puma/status`'s body, either view)."""
    said = headline(snapshot) or "serving: every service is ready"
    refresh = f'<meta http-equiv="refresh" content="{refresh_s}">' if refresh_s else ""
    again = (f'refreshes every {refresh_s} s (<a href="{PATH}">stop</a>)' if refresh_s
             else f'<a href="{PATH}">refresh</a>, or <a href="{PATH}?refresh_s=5">every 5 s</a>')
    html = (f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">{refresh}'
            f"<title>PUMA status</title><style>{_STYLE}</style></head><body><main>"
            f"<h1>PUMA deployment</h1><p role=\"status\">{escape(said)}</p>"
            f"<p>As of {escape(_clock(snapshot.get('time')))}; started {escape(_clock(snapshot.get('started_at')))}; "
            f"{again}. The same as JSON: <a href=\"/_puma/status\">/_puma/status</a>.</p>"
            f"<h2>Services</h2>{_services(snapshot.get('services') or {})}"
            f"<h2>Recent events</h2>{_events(list(snapshot.get('events') or ()))}</main></body></html>")
    return html.encode()
