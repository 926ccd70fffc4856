"""`puma status` and `puma scale`: finding a running deployment and talking to it.

A command finds its deployment by --url (a URL, HOST:PORT or a port), else $PUMA_URL, else the
run files of this user's `puma run`s (`puma.runs`): the one started from the current directory (or
a directory above it), else one started elsewhere in this checkout, else the only one running (saying
it is another checkout's); when several were started here, `puma status` shows the newest and says so,
`puma scale` refuses and asks for --url; when several run and none is this checkout's, both refuse
and list them (the newest is as likely another user's).
With no run file: http://127.0.0.1:8080.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from . import runs
from .defaults import DEFAULT_URL as DEFAULT_URL
from .defaults import ENV_URL, STATUS_TIMEOUT_S, SUPERVISOR_SILENT_FIELD
from .errors import PumaError, PumaNotConfirmed
from .lines import MORE, fill_for, terminal_width, wrap
from .states import headline, instance_words

# Only light modules above (no puma.edge, puma.config: pydantic is ~0.5 s of a busy machine's start-up,
# and `puma status` is polled during incidents); tests/test_status_speed.py holds it to that.
RULE = ("without --url: $PUMA_URL, else the `puma run` of this user started from this directory (or one "
        "above it), else one started in this checkout, else the only one running")


def deployment_url(given: str | None, *, changes: bool = False, given_as: str = "--url",
                   tells_elsewhere: bool = False) -> tuple[str, str]:
    """`(url, how it was found)` of the deployment a command talks to (the rule: module doc, `RULE`).

    `given` may be a URL, HOST:PORT or a port: ``deployment_url("8090")[0]`` is
    ``"http://127.0.0.1:8090"``. `changes`: the command changes the deployment (`puma scale`), so
    an ambiguous choice is a `PumaError` naming the candidates instead of a guess. `tells_elsewhere`:
    the caller says itself, first, that the deployment is another checkout's (`how` starts `ELSEWHERE`).
    """
    if given:  # `given_as`: the option the user typed (`--port N` arrives here as N)
        return normalise_url(given, given_as), given_as
    if os.environ.get(ENV_URL):
        return normalise_url(os.environ[ENV_URL], f"${ENV_URL}"), f"${ENV_URL}"
    found = runs.running()
    if not found:
        return DEFAULT_URL, f"the default (no `puma run` of yours is recorded in {runs.runs_dir()})"
    here = runs.started_here(found)
    # This checkout's runs (another folder of the same clone) before anyone else's: on a shared
    # machine, "the only one running" or "the newest" is often another checkout's.
    mine = here or runs.started_in_checkout(found)
    if not mine:
        return _elsewhere(found, changes, quiet=tells_elsewhere)
    candidates = [r for r in mine if not r.get("harness")] or mine
    if len(candidates) == 1:
        chosen = candidates[0]
        _say_others(chosen, found)
        how = (f"`{runs.command_of(chosen)}` started from {chosen['cwd']} (pid {chosen['pid']})" if here
               else f"the run file of `{runs.command_of(chosen)}` (pid {chosen['pid']}), in this checkout")
        return chosen["url"], how
    listed = "; ".join(runs.describe(r) for r in candidates)
    where = "started from this directory or one above it" if here else "started in this checkout"
    if changes:  # the example is one of the candidates, by its port as `--url` takes it
        raise PumaError(f"{len(candidates)} deployments of yours are running {where}: {listed}; "
                        f"say which with --url (e.g. --url {_port(candidates[0])})")
    print(f"puma: {len(candidates)} deployments are running {where}: {listed}; showing the newest, "
          f"{candidates[0]['url']}; pick another with --url PORT (e.g. --url {_port(candidates[1])})", file=sys.stderr)
    return candidates[0]["url"], f"the newest run file, of `{runs.command_of(candidates[0])}`"


def _elsewhere(found: list[dict[str, Any]], changes: bool, *, quiet: bool = False) -> tuple[str, str]:
    """None of `found` was started here or in this checkout: the only one is shown, saying whose
    checkout it is; among several, none is guessed (the newest is as likely a stranger's)."""
    root = runs.checkout_of(os.getcwd())
    here = f"this checkout ({root})" if (root / ".git").exists() else f"this directory ({os.getcwd()})"
    own = [r for r in found if not r.get("harness")] or found
    if len(own) == 1:
        chosen = own[0]
        if not quiet:
            print(f"puma: nothing started from {here} is running; showing the only deployment running, "
                  f"from another checkout: {runs.describe(chosen)}; start your own with `make run` or `puma run "
                  "APP.py`", file=sys.stderr, flush=True)
        return chosen["url"], f"{ELSEWHERE} {runs.checkout_of(str(chosen.get('cwd', '/')))}, not {here}"
    listed = "; ".join(runs.describe(r) for r in found)
    raise PumaError(f"{len(found)} deployments are running and none was started from this directory or one above "
                    f"it, nor in {here}: {listed}; start your own with `make run` or `puma run APP.py`, or say which "
                    f"with --url (e.g. --url {_port(found[0])})")


ELSEWHERE = "started from another checkout:"


def _port(run: dict[str, Any]) -> str:
    return str(urllib.parse.urlsplit(str(run["url"])).port or run["url"])


def _say_others(chosen: dict[str, Any], found: list[dict[str, Any]]) -> None:
    """When other deployments run too: which one is shown, and how to pick another (stderr)."""
    others = [r for r in found if r is not chosen]
    if others:
        print(f"puma: showing {runs.describe(chosen)}; also running: {'; '.join(runs.describe(r) for r in others)}; "
              f"pick another with --url PORT (e.g. --url {_port(others[0])})", file=sys.stderr)


def normalise_url(text: str, where: str) -> str:
    """`http://HOST:PORT` from a URL, `HOST:PORT` or a port; `PumaError` naming `where` otherwise."""
    raw = text.strip()
    url = f"http://127.0.0.1:{raw}" if raw.isdigit() else raw if "://" in raw else f"http://{raw}"
    try:
        parts = urllib.parse.urlsplit(url)
        ok = (parts.scheme in ("http", "https") and bool(parts.hostname) and parts.path in ("", "/")
              and " " not in parts.netloc and not parts.query)
        _ = parts.port  # raises ValueError for a port that is not one
    except ValueError:
        ok = False
    if not ok:
        raise PumaError(f"{where} {text!r} is not a deployment's address; give a URL, HOST:PORT or a port, "
                        "e.g. http://127.0.0.1:8080, 127.0.0.1:8080 or 8080")
    return f"{parts.scheme}://{parts.netloc}"


def _get_status(url: str, how: str) -> dict[str, Any]:
    """The status JSON of the deployment at `url` (found from `how`), or `PumaError` saying what
    answered instead."""
    secret = os.environ.get("PUMA_SECRET")  # shows pids and ports of a deployment on another host
    request = urllib.request.Request(url + "/_puma/status", headers={"x-puma-token": secret} if secret else {})
    try:
        # Longer than Envoy waits for the supervisor (STATUS_TIMEOUT_S), so its answer naming a silent supervisor comes first.
        with urllib.request.urlopen(request, timeout=STATUS_TIMEOUT_S + 5) as resp:  # noqa: S310 - user-given deployment URL
            status = json.loads(resp.read(4 << 20))
    except urllib.error.HTTPError as exc:
        if _supervisor_silent(_json_of(exc)):
            raise PumaError(f"the deployment at {url} (from {how}) answers, but its supervisor{_pid_of(url)} did not "
                            f"within {STATUS_TIMEOUT_S} s{_silent_for(url)}: it is stopped (SIGSTOP, Ctrl-Z), busy "
                            f"or exiting; its services still serve{_resume(url)}") from None
        raise PumaError(f"{url}/_puma/status answered HTTP {exc.code}, not a PUMA status; is {url} (from "
                        f"{how}) the address `puma run` printed?") from None
    except (urllib.error.URLError, OSError) as exc:
        raise _unanswered(url, how, getattr(exc, "reason", exc)) from None
    except (http.client.HTTPException, ValueError) as exc:  # not HTTP, or not JSON
        raise PumaError(f"the server at {url} (from {how}) is not a PUMA deployment (it answered "
                        f"{type(exc).__name__}: {str(exc)[:80]})") from None
    if not isinstance(status, dict) or not isinstance(status.get("services"), dict):
        raise PumaError(f"{url}/_puma/status answered JSON that is not a PUMA status; is {url} (from {how}) "
                        "the address `puma run` printed?")
    return status


def cmd_status(args: argparse.Namespace) -> None:
    url, how = deployment_url(args.url, given_as=_given_as(args), tells_elsewhere=not args.json)
    status = _get_status(url, how)
    if args.json:
        print(json.dumps(status, indent=2))
        return
    if how.startswith(ELSEWHERE):  # the table is someone else's: said first, on stdout, where it is read
        print(fill_for(f"Nothing of yours is running: not from here: the table below is of a deployment {how}; "
                       "start your own with `make run` or `puma run APP.py`", sys.stdout), flush=True)
    print(format_status(status, width=terminal_width() if sys.stdout.isatty() else None))


def cmd_scale(args: argparse.Namespace) -> None:
    url, how = deployment_url(args.url, changes=True, given_as=_given_as(args))
    token = os.environ.get("PUMA_SECRET") or next((r["token"] for r in runs.running() if r["url"] == url), None)
    if not token:
        _get_status(url, how)  # nothing there, or not PUMA: say that first, as `puma status` does
        raise PumaError(f"no secret to scale the deployment at {url} with: set $PUMA_SECRET to its secret "
                        "(only the user who started it with `puma run` can do without)")
    body = json.dumps({"service": args.service, "instances": args.instances}).encode()
    request = urllib.request.Request(url + "/_puma/scale", data=body, method="POST",
                                     headers={"content-type": "application/json", "x-puma-token": token})
    try:
        with urllib.request.urlopen(request, timeout=STATUS_TIMEOUT_S + 5) as resp:  # noqa: S310 - user-given deployment URL
            done = json.load(resp)
    except urllib.error.HTTPError as exc:
        answer = _json_of(exc)
        if _supervisor_silent(answer):
            raise PumaNotConfirmed(
                f"scale {args.service} {args.instances}: sent, not confirmed: the supervisor{_pid_of(url)} did not "
                f"answer within {STATUS_TIMEOUT_S} s (stopped, busy or exiting); it may still apply the scale when "
                f"it resumes{_resume(url)}: check `puma status` then (exit code 3)") from None
        detail = answer.get("error", exc.reason)
        raise PumaError(f"scale {args.service} {args.instances}: {detail}") from None
    except TimeoutError:  # sent, and no answer at all (Envoy itself stopped): the outcome is unknown
        raise PumaNotConfirmed(f"scale {args.service} {args.instances}: sent, not confirmed: no answer from {url} "
                               f"within {STATUS_TIMEOUT_S + 5} s; it may still be applied: check `puma status` (exit code 3)") from None
    except (urllib.error.URLError, OSError) as exc:
        raise _unanswered(url, how, getattr(exc, "reason", exc), doing=f"scale {args.service} {args.instances}: ") from None
    print(f"{done['service']}: {done['from']} -> {done['to']} instances{_held(done)}", flush=True)
    if args.wait_s > 0:
        _wait_scaled(url, how, done, args.wait_s)


def _given_as(args: argparse.Namespace) -> str:
    """The option that named the deployment: `--port 18780` is said as that, not as --url."""
    return f"--port {args.port}" if getattr(args, "port", None) is not None else "--url"


def _unanswered(url: str, how: str, reason: object, doing: str = "") -> PumaError:
    """Nothing answered at `url`: a deployment whose supervisor is alive there (its run file) has
    lost its Envoy for now, which the supervisor restarts; only with no such run, "start one"."""
    run = runs.at(url)
    if run is None:
        ended = _ended_note(url, how)
        if ended:  # a run killed (kill -9): what happened, when, what is left and what to do
            return PumaError(f"{doing}no PUMA deployment answers at {url} (from {how}): {reason}; {ended}")
        return PumaError(f"{doing}no PUMA deployment answers at {url} (from {how}): {reason}; start one with "
                         "`puma run APP.py` (or the project's own start command, such as `make run`), or give its "
                         "address with --port or --url (e.g. --port 8090)")
    pid, started = run.get("pid"), runs.command_of(run)
    if runs.stopped(int(pid or 0)):
        return PumaError(f"{doing}the deployment at {url} (`{started}`, pid {pid}) is running, but its Envoy is not "
                         f"answering ({reason}) and its supervisor (pid {pid}) is stopped (SIGSTOP, Ctrl-Z), so "
                         f"nothing restarts Envoy: resume it with kill -CONT {pid}")
    return PumaError(f"{doing}the deployment at {url} (`{started}`, pid {pid}) is running, but its Envoy is not "
                     f"answering ({reason}): it is restarting (exited or killed); its supervisor (pid {pid}) is alive "
                     "and restarts it within a few seconds: try again shortly (its log says why Envoy exited)")


def _ended_note(url: str, how: str) -> str:
    """What `puma.lastrun` knows of a run at `url` that ended without stopping; with no address
    given (`how`: the default), of the newest such run anywhere. "" if none."""
    from . import lastrun

    note = lastrun.ended_at(url)
    if note is None and how.startswith("the default"):
        note = lastrun.ended_at()
    return lastrun.about(note)


def _json_of(exc: urllib.error.HTTPError) -> dict[str, Any]:
    try:
        body = json.loads(exc.read(1 << 20) or b"{}")
    except (ValueError, OSError):
        return {}
    return body if isinstance(body, dict) else {}


def _supervisor_silent(body: dict[str, Any]) -> bool:
    """Whether Envoy answered for the supervisor, which did not (puma.edge's mapper for /_puma/ paths)."""
    return body.get(SUPERVISOR_SILENT_FIELD) is False


def _pid_of(url: str) -> str:
    pid = next((r.get("pid") for r in runs.running() if r.get("url") == url), None)
    return f" (pid {pid})" if pid else ""


def _silent_for(url: str) -> str:
    """How long the supervisor serving `url` has not run, from its run file (`runs.quiet_s`)."""
    pid = next((r.get("pid") for r in runs.running() if r.get("url") == url), None)
    quiet_s = runs.quiet_s(int(pid)) if pid else None
    return f" (the supervisor has not answered for {quiet_s:.0f} s)" if quiet_s is not None and quiet_s >= 2 else ""


def _resume(url: str) -> str:
    pid = next((r.get("pid") for r in runs.running() if r.get("url") == url), None)
    return f"; if it was stopped, resume it: kill -CONT {pid}" if pid else ""


def _held(done: dict[str, Any]) -> str:
    """What the autoscaler does after a scale by hand, as `puma scale` says it."""
    if not done.get("autoscaled"):
        return ""
    held = ""
    if done.get("held_s") is not None and done.get("at") is not None:
        until = time.strftime("%H:%M:%S", time.localtime(done["at"] + done["held_s"]))
        held = (f": held at {done['to']} or more for {done['held_s']:g} s, until {until} (its downscale window); "
                "then the autoscaler follows the load")
    return f" (autoscaled {done['min_instances']}-{done['max_instances']}{held})"


def _wait_scaled(url: str, how: str, done: dict[str, Any], wait_s: float) -> None:
    """Wait until `done['to']` instances are ready; `PumaError` if another decision changed the
    count meanwhile (saying which) or they are not ready within `wait_s`."""
    service, count, deadline = done["service"], done["to"], time.monotonic() + wait_s
    while True:
        status = _get_status(url, how)
        later = [e for e in status.get("events", []) if e.get("service") == service and e.get("kind") == "scale"
                 and e.get("time", 0) > done.get("at", 0) and e.get("reason") != "puma scale"]
        if later:
            raise PumaError(f"{service}: then set to {later[-1].get('to')} instances ({later[-1].get('reason')}); "
                            "see `puma status`")
        instances = status["services"].get(service, {}).get("instances", [])
        # Ready is what Envoy was told and checked (healthy in its clusters), not what was intended.
        states = [instance_words({**i, "healthy": bool(i.get("healthy"))}) for i in instances]
        if states.count("ready") == count and len(states) == count:
            print(f"{service}: {count} instance{'' if count == 1 else 's'} ready", flush=True)
            return
        if time.monotonic() > deadline:
            failing = "; ".join(f"{f.get('what')}: {f.get('error')}" for f in status.get("supervisor_failing") or ()
                                if isinstance(f, dict))
            raise PumaError(f"{service}: still {states.count('ready')} ready of {count} after {wait_s:g} s "
                            f"(states: {', '.join(states) or 'none'}"
                            + (f"; the supervisor is failing: {failing}" if failing else "")
                            + "); the new count stays in effect: the rest start when they can; see `puma status`")
        time.sleep(0.2)


def _rss(instance: dict[str, Any]) -> str:
    rss = instance.get("rss_mib")
    return f" ({rss:.0f} MiB)" if isinstance(rss, int | float) else ""


def _ready(service: dict[str, Any]) -> str:
    """"2/2" for a fixed count (ready of wanted: what its config or the last `puma scale` set, so
    "8/8" after `puma scale s 8` of a service configured with 2); "1 (1-3)" for an autoscaled service,
    whose ready count moves between its bounds ("1/3" would read as two instances down)."""
    low, high = service.get("min_instances"), service["max_instances"]
    silent = len(service.get("silent") or ())
    mute = f" ({silent} not answering)" if silent else ""  # counted by Envoy's routing, yet answering nothing
    if service.get("autoscaled") and low is not None:
        return f"{service['ready']} ({low}-{high}){mute}"
    return f"{service['ready']}/{service.get('wanted', high)}{mute}"


def _service_table(services: dict[str, dict[str, Any]], width: int | None = None) -> list[str]:
    """The header and one row per service; the name, prefix and ready columns are as wide as their
    longest entry plus two spaces, so a long name (`render_thumbnail`) never runs into its prefix.
    `width`: instances that do not fit the row go on lines of their own below it, in their column."""
    ready = {name: _ready(s) for name, s in services.items()}
    name_w = max([len("service"), *map(len, services)]) + 2
    prefix_w = max([len("prefix"), *(len(s["prefix"]) for s in services.values())]) + 2
    ready_w = max([len("ready"), *map(len, ready.values())]) + 2
    lines = [f"{'service':<{name_w}}{'prefix':<{prefix_w}}{'ready':<{ready_w}}{'in-flight':>9}{'req/s':>9}"
             f"{'p50 ms':>9}{'p99 ms':>9}{'5xx':>7}  instances"]
    for name, s in services.items():
        insts = [f"{i.get('container') or i.get('pid', '#' + str(i['id']))}{':' + str(i['port']) if 'port' in i else ''}"
                 f"{'' if i['healthy'] else '!'}{_rss(i)}" for i in s["instances"] if i["state"] == "ready"]
        p50 = "-" if s["p50_ms"] is None else f"{s['p50_ms']:.1f}"
        p99 = "-" if s["p99_ms"] is None else f"{s['p99_ms']:.1f}"
        row = (f"{name:<{name_w}}{s['prefix']:<{prefix_w}}{ready[name]:<{ready_w}}{s['in_flight']:>9}"
               f"{s['requests_per_s']:>9.1f}{p50:>9}{p99:>9}{s.get('errors_5xx', 0):>7}  ")
        lines += _packed(row, insts, width)
    return lines


def _packed(row: str, items: list[str], width: int | None) -> list[str]:
    """`row` and then `items`, as many on each line as `width` allows (at least one), the lines
    after the first indented to where the items begin; no `width`: all on the row."""
    if width is None or not items:
        return [row + " ".join(items)]
    out, line = [], row + items[0]
    for item in items[1:]:
        if len(line) + 1 + len(item) <= width:
            line += " " + item
        else:
            out.append(line)
            line = " " * len(row) + item
    return out + [line]


def _clock(epoch: Any) -> str:
    """An event's time as the operator's clock reads it (`15:12:41 `), so a fault can be dated."""
    if not isinstance(epoch, int | float):
        return ""
    return time.strftime("%H:%M:%S ", time.localtime(epoch))


def format_status(status: dict[str, Any], width: int | None = None) -> str:
    """The status as `puma status` prints it. `width`: every line fitted to it (a terminal's), a
    long one wrapped at spaces, indented; None: one line per fact (piped to a file or `grep`)."""
    envoy = status.get("envoy") or {}
    where = f"envoy pid {envoy['pid']}, admin {envoy['admin']}" if "pid" in envoy else "public view: no pids or ports"
    lines = [f"PUMA at {status.get('url', '(this deployment)')}  ({where})"]
    head = headline(status)
    if head:
        lines.append(head)
    if status.get("logs"):
        lines.append(f"logs: {status['logs']}/<service>.log")
    lines.append("")
    table_at = len(lines)  # the table's rows fit by themselves (_packed); the other lines are wrapped below
    lines += _service_table(status["services"], width)
    table_end = len(lines)
    if any(not i["healthy"] for s in status["services"].values() for i in s["instances"] if i["state"] == "ready"):
        lines.append("(an instance marked ! fails its health check now: Envoy sends it no requests until it passes)")
    not_ready = [f"  {n}: not ready: {why}" for n, s in status["services"].items() for why in s.get("not_ready") or ()]
    if not_ready:
        lines += ["", "not ready (running, but Envoy routes around them and their requests get 503):"] + not_ready
    silent = [f"  {n}: {why}" for n, s in status["services"].items() for why in s.get("silent") or ()]
    if silent:
        lines += ["", "not answering (counted ready while Envoy routes to them; their requests wait):"] + silent
    degraded = [f"  {n}: {s['degraded']}" for n, s in status["services"].items() if s.get("degraded")]
    if degraded:
        lines += ["", "degraded (serving, but a part it needs fails every request):"] + degraded
    short = [f"  {n}: {why}" for n, s in status["services"].items() for why in s.get("short") or ()]
    if short:
        lines += ["", "below its count (why fewer are ready than wanted):"] + short
    failing = status.get("supervisor_failing") or []
    if failing:
        lines += ["", "supervisor failing (retrying with back-off; the last error):"] + [
            f"  {f['what']}: {f['error']} ({f['tries']} tries in {f['since_s']:g} s)" for f in failing]
    failed = {n: s["failed"] for n, s in status["services"].items() if s.get("failed")}
    if failed:
        lines += ["", "failed (not restarted):"] + [f"  {n}: {why}" for n, why in failed.items()]
    stuck = {n: s for n, s in status["services"].items() if s.get("stuck")}
    if stuck:
        lines += ["", "stuck (every request thread held by handlers past timeout_s; replaced past it + 5 s):"]
        lines += [f"  {n}: {s['stuck']} of {len(s['instances'])} instances, {s['busy']} requests running, the oldest "
                  f"for {s['held_s']:.0f} s" for n, s in stuck.items()]
    cut = {n: s["replies_cut_off"] for n, s in status["services"].items() if s.get("replies_cut_off")}
    if cut:
        lines += ["", "replies cut off by timeout_s after their 200 went out (counted in 5xx): "
                  + ", ".join(f"{n} {c}" for n, c in cut.items())]
    refused = {n: s["refused_not_ready"] for n, s in status["services"].items() if s.get("refused_not_ready")}
    if refused:
        lines += ["", "answered 503 while not ready (what they need was down; not counted as 5xx): "
                  + ", ".join(f"{n} {c}" for n, c in refused.items())]
    startup = {n: s["startup_failures"] for n, s in status["services"].items() if s.get("startup_failures")}
    if startup:
        lines += ["", "answered 503 while starting (not counted as 5xx): "
                  + ", ".join(f"{n} {c}" for n, c in startup.items())]
    if status.get("events"):
        lines += ["", "recent events:"]
        for e in status["events"][-10:]:
            lines.append(f"  {_clock(e.get('time'))}{e['service']}: {e['message']}")
    if width is None:
        return "\n".join(lines)
    fitted = [out for i, line in enumerate(lines)
              for out in ([line] if table_at <= i < table_end else _fit(line, width))]
    return "\n".join(fitted)


def _fit(line: str, width: int) -> list[str]:
    indent = line[:len(line) - len(line.lstrip())]
    return wrap(line.lstrip(), width=width, first=indent, more=indent + MORE) if len(line) > width else [line]
