"""What a client of the public listener may learn about services it cannot call.

A service with `visibility: "internal"` has no route on the public listener (its prefix answers
404 like any unrouted path), so its name is not the public's to know either: the public view of
`/_puma/status`, `/_puma/ready` and `/_puma/metrics` (what anyone who is not this machine asking
by the deployment's name, nor holding its secret, gets: see `puma.status`) leaves internal
services out, and says "an internal service" where a public one's text names one. The
deployment's `ready` stays what it is: it is ready only when every service is.

    internal_names(config)                        # frozenset({"ledger"})
    without_internal({"waiting_for": ["ledger", "shop"], ...}, {"ledger"})
    # {"waiting_for": ["shop"], ...}
"""

from __future__ import annotations

import re
from typing import Any

from .config import PumaConfig

INTERNAL_NAMED = "an internal service"


def internal_names(config: PumaConfig) -> frozenset[str]:
    """The services a public client cannot reach, by name."""
    return frozenset(name for name, s in config.puma_services.items() if s.visibility == "internal")


def without_internal(body: dict[str, Any], hidden: frozenset[str]) -> dict[str, Any]:
    """A status or readiness body without the services in `hidden`: their entries in `services`,
    `waiting_for` and `not_ready`, their events, and their names in other services' texts."""
    if not hidden:
        return body
    scrub = _scrubber(hidden)
    out = dict(body)
    if isinstance(body.get("services"), dict):
        out["services"] = {n: scrub(s) for n, s in body["services"].items() if n not in hidden}
    if isinstance(body.get("waiting_for"), list):
        out["waiting_for"] = [n for n in body["waiting_for"] if n not in hidden]
    if isinstance(body.get("not_ready"), dict):
        out["not_ready"] = {n: scrub(why) for n, why in body["not_ready"].items() if n not in hidden}
    if isinstance(body.get("events"), list):
        out["events"] = [scrub(e) for e in body["events"] if e.get("service") not in hidden]
    return out


def redact(text: str, hidden: frozenset[str] | set[str], replacement: str = INTERNAL_NAMED) -> str:
    """`text` without the names in `hidden`: each becomes `replacement`, and a command in backticks
    that names one (`puma scale ledger N`) is dropped with the words that introduce it, since the
    command with a placeholder in it would be a literal, unusable one. Example::

        redact("start it again with `puma scale ledger N` (or restart)", {"ledger"})
        # 'start it again (or restart)'
    """
    if not hidden:
        return text
    alternatives = "|".join(re.escape(n) for n in sorted(hidden, key=len, reverse=True))
    named = r"(?<![\w-])(?:" + alternatives + r")(?![\w-])"
    command = r"`[^`]*?" + named + r"[^`]*`"
    text = re.sub(r"\s*\(\s*" + command + r"\s*\)", "", text)  # "(`puma scale x N`)"
    text = re.sub(r"(?:[,:]?\s*\b(?:with|by|using|via|run|try|e\.g\.))?[,:]?\s*" + command, "", text)
    text = re.sub(r"^\s*[,:;]\s*", "", re.sub(r"([;:,])\s*[,:;]", r"\1", text))  # what introduced it
    return re.sub(named, replacement, text)


def _scrubber(hidden: frozenset[str]) -> Any:
    def scrub(value: Any) -> Any:
        if isinstance(value, str):
            return redact(value, hidden)
        if isinstance(value, dict):
            return {k: scrub(v) for k, v in value.items()}
        if isinstance(value, list):
            return [scrub(v) for v in value]
        return value

    return scrub


__all__ = ["INTERNAL_NAMED", "internal_names", "redact", "without_internal"]


_PUBLIC_INSTANCE = ("id", "state", "healthy", "requests", "rss_mib", "not_ready")
# What in an event's message locates a process: an IPv4/IPv6 address (with its port), a worker's id.
LOCATING = re.compile(r"(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?|\[[0-9A-Fa-f:.]+\](?::\d+)?|(?<=worker )\S+")


_PID = re.compile(r" \(pid \d+\)")


def _hide(text: str | None) -> str | None:
    return LOCATING.sub("(hidden)", text) if text else text


def public_view(snapshot: dict[str, Any]) -> dict[str, Any]:
    """The snapshot without what locates processes: pids, hosts, ports, the admin address."""
    services = {name: {**svc, "instances": [{**{k: i.get(k) for k in _PUBLIC_INSTANCE}, "not_ready": _hide(i.get("not_ready"))}
                                            for i in svc["instances"]],
                       "not_ready": [_hide(why) for why in svc.get("not_ready") or ()],
                       "silent": [_PID.sub("", why) for why in svc.get("silent") or ()],
                       "degraded": _hide(svc.get("degraded"))}
                for name, svc in snapshot["services"].items()}
    events = [{**e, "message": LOCATING.sub("(hidden)", str(e.get("message", "")))} for e in snapshot["events"]]
    envoy = snapshot.get("envoy") or {}
    return {"time": snapshot["time"], "view": "public", "envoy": {"up": envoy.get("pid") is not None},
            "services": services, "events": events, "waiting_for": snapshot.get("waiting_for", []),
            "not_ready": {n: _hide(why) for n, why in (snapshot.get("not_ready") or {}).items()},
            "stopping": snapshot.get("stopping", False), "started_at": snapshot.get("started_at")}
