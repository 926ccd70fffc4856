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


__all__ = ["INTERNAL_NAMED", "OPERATOR", "for_public", "internal_names", "public_ready", "redact", "without_internal"]


_PUBLIC_INSTANCE = ("id", "state", "healthy", "requests", "rss_mib", "not_ready")
# What in an event's message locates a process: an IPv4/IPv6 address (with its port), a worker's id.
# An IPv6 address in brackets holds a colon: "$.results[1]", a place in a JSON value, is none.
LOCATING = re.compile(r"(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?|\[[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*\](?::\d+)?|(?<=worker )\S+")


_PID = re.compile(r" \(pid \d+\)")

# Words for operators: PUMA's commands, logs, pids, signals, its processes and their fates (zygotes,
# restart counts, exit codes), config keys and quotas. A public client can do nothing with them;
# the operator reads the same facts in `puma status` and the logs, which keep every word.
OPERATOR = re.compile(r"`puma |\bpuma (?:status|logs?|scale|run|stop)\b|\blogs?\b|\bpids?\b|\bkill\b|\bSIG[A-Z]+\b"
                      r"|\brun dir\b|/_puma/|\bzygotes?\b|\b(?:exit )?code -?\d+\b|\bexited \d+ times?\b"
                      r"|\brestart(?:ed|s)? (?:budget|again)\b|\binstance \d+\b|\bthe operator\b|\bCtrl-Z\b"
                      r"|\bpuma_services\.|\bmax_body_bytes\b|\bin the config\b|\bquota\b|" + LOCATING.pattern)
_PARENS = re.compile(r"\s*\([^()]*\)")
_FILES = r"/[^\s,;()]+(?:(?:,|\s+or|\s+and)\s+/[^\s,;()]+)*"  # "/srv/a, /srv/b or /tmp/c"
_PLACED = re.compile(r"\s+(?:(?:on|at)\s+(?:" + LOCATING.pattern + r"|\(hidden\))|(?:holding|mounted at)\s+" + _FILES
                     + r")|(?<=\bdatabase)\s+" + _FILES)  # "the server on 127.0.0.1:13192"
_WHICH_INSTANCES = re.compile(r"\binstances? \d+(?:(?:, | and )\d+)*: ")  # "instance 1: why" says why
CANNOT_SERVE = "it cannot serve now"


def for_public(text: str) -> str:
    """`text` as a public client may read it: without what is for operators (`OPERATOR`: pids, kill
    commands, internal addresses and files, config keys...). A parenthesis or a later "; " clause
    holding such words is left out; an address or file the text places something at is dropped from
    its sentence; the first clause, which says what happened, is cut before its first part (": ")
    holding such words, with the instruction that led to it. The one rule for every public reply (an
    instance's error replies, Envoy's own, `/_puma/ready`), so that no two of them hide different
    things. Example::

        for_public("the legacy server (pid 457) on 127.0.0.1:13192 is stopped (SIGSTOP or Ctrl-Z): "
                   "it answers none; resume it: kill -CONT 457")
        # 'the legacy server is stopped: it answers none'
    """
    words = _PLACED.sub("", _WHICH_INSTANCES.sub("", text))
    words = _PARENS.sub(lambda m: "" if OPERATOR.search(m.group()) else m.group(), words)
    first, *rest = words.split("; ")
    kept = [_cut(first), *(c for c in rest if not OPERATOR.search(c))]
    return "; ".join(LOCATING.sub("(hidden)", c) for c in kept if c).strip() or CANNOT_SERVE


_INSTRUCTION = re.compile(r"^\s*(?:resume|restart|start|stop|run|raise|set|free|see|check|try|use|call)\b",
                          re.IGNORECASE)


def _cut(clause: str) -> str:
    parts = clause.split(": ")
    kept = []
    for part in parts:
        if OPERATOR.search(part):
            break
        kept.append(part)
    while len(kept) > 1 and len(kept) < len(parts) and _INSTRUCTION.match(kept[-1]):
        kept.pop()  # "resume it" without the command it introduced
    return ": ".join(kept)


def _hide(text: str | None) -> str | None:
    return for_public(text) if text else text


def public_ready(body: dict[str, Any], hidden: frozenset[str]) -> dict[str, Any]:
    """A `/_puma/ready` body (the whole deployment's or one service's) as a public client gets it:
    no internal service, and each reason `for_public`."""
    out = without_internal(body, hidden)
    for key in ("not_ready", "degraded"):
        value = out.get(key)
        if isinstance(value, dict):
            out[key] = {n: _hide(why) if isinstance(why, str) else why for n, why in value.items()}
        elif isinstance(value, str):
            out[key] = _hide(value)
    if isinstance(out.get("supervisor_failing"), list):
        out["supervisor_failing"] = [_hide(why) if isinstance(why, str) else why for why in out["supervisor_failing"]]
    return out


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
