"""How long `make run` takes to answer its first turn: ``python -m loadtests startup --out DIR``.

Each run launches ``make run`` in a checkout whose virtualenv is installed and whose database is
prepared (so what is timed is what a user waits for on every later start), POSTs the page's first
turn (``{"id": "-1", "text": "", "mode": "false", "turn_no": 1}``) to ``/agent`` every 50 ms
until one is answered 200 with messages, then stops it the way Ctrl-C does (SIGINT to the
process group) and times that too. Every line of output is stamped on arrival, so the JSON shows
where the time went (Envoy ready, each service's first instance, the URL printed).

``--baseline REV`` measures a git revision side by side: it is exported with ``git archive``
into a temporary directory, its own database is prepared there (untimed), and the runs
alternate (current, baseline / baseline, current) so both see the same machine. Each run happens
in a private network namespace when this process may create one (root, ``ip``): the Makefile's
fixed ports (8080, 13113) are then free whatever else runs here. Without one, runs use free
ports through ``make run PORT=... LEGACY_PORT=...`` (so no baseline older than those variables).

Writes ``startup.json`` (git revision, machine, every run with its phases, medians, the ratio),
``startup.csv`` and ``startup.png``. Example::

    python -m loadtests startup --out bench-out/startup --repeats 5 --baseline ee7dd6b
"""

from __future__ import annotations

import contextlib
import csv
import json
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from puma.bench.common import run_info, summary, write_json

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
RUN_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 30.0
PROBE_INTERVAL_S = 0.05
FIRST_TURN = {"id": "-1", "text": "", "mode": "false", "turn_no": 1}
# Lines worth a phase in the JSON: (phase name, pattern); the first match of each counts.
PHASES = (
    ("envoy_ready", re.compile(r"envoy (?:up|ready)")),  # "ready" before 2026-11
    ("url_printed", re.compile(r"(?:PUMA is serving at|PUMA answers at|open) http://")),
)
_INSTANCE_READY = re.compile(r"service (?P<service>\S+): instance \d+ (?:up|ready)")  # "ready" before 2026-11


def main(out: Path, repeats: int, baseline: str | None) -> dict[str, Any]:
    """Run the benchmark and write its files into ``out``; returns the JSON written."""
    out.mkdir(parents=True, exist_ok=True)
    isolate = namespaces_available()
    if baseline and not isolate:
        raise SystemExit("startup: --baseline needs private network namespaces (run as root with "
                         "iproute2's `ip`), because an older Makefile has fixed ports")
    venv = Path(sys.executable).parent.parent
    with contextlib.ExitStack() as stack:
        checkouts = {"current": ROOT}
        if baseline:
            checkouts["baseline"] = stack.enter_context(exported(baseline))
        for checkout in checkouts.values():
            prepare(checkout, venv, out)
        runs = []
        for repeat in range(repeats):
            order = list(checkouts) if repeat % 2 == 0 else list(reversed(checkouts))
            for series in order:
                load_before = round(os.getloadavg()[0], 2)  # how busy the machine was (2 cores: > 2 is busy)
                result = one_run(checkouts[series], venv, isolate)
                result.update(series=series, repeat=repeat, load_before=load_before)
                log.info("%s run %d: first answered turn at %.2f s, URL at %s s, stopped in %.2f s",
                         series, repeat + 1, result["first_turn_s"], result["phases"].get("url_printed"),
                         result["stop_s"])
                runs.append(result)
    data = report(runs, baseline, repeats, isolate)
    write_json(out / "startup.json", data)
    _write_csv(out / "startup.csv", runs)
    _plot(out / "startup.png", data)
    return data


def namespaces_available() -> bool:
    if os.geteuid() != 0 or not shutil.which("ip"):
        return False
    probe = f"puma-su-{uuid.uuid4().hex[:6]}"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True).returncode == 0
    if made:
        subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return made


@contextlib.contextmanager
def exported(revision: str) -> Iterator[Path]:
    """``revision`` of this repository as plain files in a temporary directory."""
    with tempfile.TemporaryDirectory(prefix="puma-startup-") as tmp:
        archive = subprocess.run(["git", "archive", "--format=tar", revision], cwd=ROOT,
                                 capture_output=True, check=False)
        if archive.returncode != 0:
            raise SystemExit(f"startup: --baseline {revision!r}: {archive.stderr.decode().strip()}")
        subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
        yield Path(tmp)


def prepare(checkout: Path, venv: Path, out: Path) -> None:
    """The checkout's database migrated and loaded (untimed; idempotent)."""
    with open(out / "prepare.log", "ab") as log_file:
        for step in (["upgrade"], ["load", "--no-progress"]):
            subprocess.run([str(venv / "bin" / "python"), "-m", "chatbot", "db", *step], cwd=checkout,
                           env=_env(checkout), stdout=log_file, stderr=subprocess.STDOUT, check=True,
                           timeout=600)


def _env(checkout: Path) -> dict[str, str]:
    # PYTHONPATH first: the venv's editable install would otherwise import this checkout's code.
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PUMA_URL")}
    return {**env, "PYTHONPATH": str(checkout), "PYTHONUNBUFFERED": "1"}


def one_run(checkout: Path, venv: Path, isolate: bool) -> dict[str, Any]:
    """One timed ``make run``, in a fresh network namespace when ``isolate``."""
    inner = [sys.executable, "-m", "loadtests", "startup", "--one-run", str(checkout), "--venv", str(venv)]
    if not isolate:
        return json.loads(_one_run_here(checkout, venv, free_ports=True))
    ns = f"puma-su-{uuid.uuid4().hex[:6]}"
    subprocess.run(["ip", "netns", "add", ns], check=True, capture_output=True)
    try:
        subprocess.run(["ip", "-n", ns, "link", "set", "lo", "up"], check=True, capture_output=True)
        done = subprocess.run(["ip", "netns", "exec", ns, *inner], capture_output=True, text=True,
                              cwd=ROOT, timeout=RUN_TIMEOUT_S + STOP_TIMEOUT_S + 30)
        if done.returncode != 0:
            raise RuntimeError(f"a timed run failed ({done.returncode}):\n{done.stderr[-3000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def _one_run_here(checkout: Path, venv: Path, *, free_ports: bool) -> str:
    port, legacy_port = (_free_port(), _free_port()) if free_ports else (8080, 13113)
    stamp = venv / ".installed"
    cmd = ["make", "--no-print-directory", "-o", str(stamp), "run", f"VENV={venv}"]
    if free_ports:
        cmd += [f"PORT={port}", f"LEGACY_PORT={legacy_port}"]
    return json.dumps(time_make_run(cmd, checkout, port))


def time_make_run(cmd: list[str], checkout: Path, port: int) -> dict[str, Any]:
    """Launch ``cmd``, wait for the first answered turn on ``port``, stop it; the timings."""
    lines: list[tuple[float, str]] = []
    started = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=checkout, env=_env(checkout), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    reader = threading.Thread(target=_read_lines, args=(proc, started, lines), daemon=True)
    reader.start()
    try:
        first_turn_s, attempts = _probe_until_answered(proc, port, started)
        cpu_s = session_cpu_s(proc.pid)
        _wait_for_line(lines, PHASES[-1][1], deadline=time.monotonic() + 30.0)
        stop_s = _interrupt(proc)
    finally:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    reader.join(timeout=5.0)
    return {"first_turn_s": round(first_turn_s, 3), "cpu_s": cpu_s, "probe_attempts": attempts,
            "stop_s": round(stop_s, 3),
            "phases": _phases(lines), "log_tail": [f"{t:7.2f} {text}" for t, text in lines[-40:]]}


def _read_lines(proc: subprocess.Popen[bytes], started: float, lines: list[tuple[float, str]]) -> None:
    assert proc.stdout is not None
    for raw in proc.stdout:
        lines.append((time.monotonic() - started, raw.decode(errors="replace").rstrip()))


def _probe_until_answered(proc: subprocess.Popen[bytes], port: int, started: float) -> tuple[float, int]:
    body = json.dumps(FIRST_TURN).encode()
    attempts = 0
    while time.monotonic() - started < RUN_TIMEOUT_S:
        if proc.poll() is not None:
            raise RuntimeError(f"make run exited with {proc.returncode} before answering a turn")
        attempts += 1
        request = urllib.request.Request(f"http://127.0.0.1:{port}/agent", data=body,
                                         headers={"content-type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as resp:  # noqa: S310 - loopback
                reply = json.load(resp)
            if reply.get("messages"):
                return time.monotonic() - started, attempts
        except (OSError, ValueError):  # refused, 503 no healthy upstream, not JSON yet
            pass
        time.sleep(PROBE_INTERVAL_S)
    raise RuntimeError(f"no answered turn within {RUN_TIMEOUT_S:.0f} s")


def _wait_for_line(lines: list[tuple[float, str]], pattern: re.Pattern[str], deadline: float) -> None:
    while time.monotonic() < deadline and not any(pattern.search(text) for _t, text in lines):
        time.sleep(0.05)


def _interrupt(proc: subprocess.Popen[bytes]) -> float:
    """Ctrl-C as a terminal sends it (SIGINT to the whole group); seconds until make exits."""
    began = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)
    try:
        proc.wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        log.warning("make run did not stop within %.0f s of SIGINT", STOP_TIMEOUT_S)
    return time.monotonic() - began


def session_cpu_s(sid: int) -> float | None:
    """CPU seconds (user + system) used so far by session ``sid``'s processes and their reaped
    children: what the start-up cost, much less sensitive than wall time to others sharing the
    machine."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    try:
        entries = [e for e in Path("/proc").iterdir() if e.name.isdigit()]
    except OSError:
        return None
    for entry in entries:
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid:  # fields after the name: state, ppid, pgrp, session, ...
            # utime, stime, and cutime, cstime: children already exited and reaped (e.g. the
            # `chatbot db` steps of an older Makefile), which no longer appear here themselves
            total += sum(int(f) for f in fields[11:15])
    return round(total / ticks, 2)


def _phases(lines: list[tuple[float, str]]) -> dict[str, float]:
    phases: dict[str, float] = {}
    for t, text in lines:
        for name, pattern in PHASES:
            if name not in phases and pattern.search(text):
                phases[name] = round(t, 3)
        found = _INSTANCE_READY.search(text)
        if found and f"ready:{found['service']}" not in phases:
            phases[f"ready:{found['service']}"] = round(t, 3)
    return phases


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def report(runs: list[dict[str, Any]], baseline: str | None, repeats: int, isolate: bool) -> dict[str, Any]:
    series: dict[str, Any] = {}
    for name in dict.fromkeys(r["series"] for r in runs):
        mine = [r for r in runs if r["series"] == name]
        series[name] = {"first_turn_s": summary([r["first_turn_s"] for r in mine]),
                        "cpu_s": summary([r["cpu_s"] for r in mine if r.get("cpu_s") is not None]),
                        "url_printed_s": summary([r["phases"]["url_printed"] for r in mine
                                                  if "url_printed" in r["phases"]]),
                        "stop_s": summary([r["stop_s"] for r in mine])}
    data = {**run_info("startup", repeats=repeats, baseline=baseline, network_namespace=isolate),
            "series": series, "runs": runs}
    if baseline:
        data["baseline_revision"] = _short(baseline)
        data["ratio_baseline_over_current"] = round(
            series["baseline"]["first_turn_s"]["median"] / series["current"]["first_turn_s"]["median"], 2)
    return data


def _short(revision: str) -> str:
    done = subprocess.run(["git", "rev-parse", "--short", revision], cwd=ROOT, capture_output=True, text=True)
    return done.stdout.strip() or revision


def _write_csv(path: Path, runs: list[dict[str, Any]]) -> None:
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["series", "repeat", "first_turn_s", "cpu_s", "url_printed_s", "stop_s", "probe_attempts",
                         "load_before"])
        for r in runs:
            writer.writerow([r["series"], r["repeat"], r["first_turn_s"], r.get("cpu_s", ""),
                             r["phases"].get("url_printed", ""), r["stop_s"], r["probe_attempts"], r["load_before"]])


def _plot(path: Path, data: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 2 + len(data["series"])))
    names = list(data["series"])
    for y, name in enumerate(names):
        mine = [r for r in data["runs"] if r["series"] == name]
        ax.scatter([r["first_turn_s"] for r in mine], [y] * len(mine), label="first answered turn" if y == 0 else None,
                   color="tab:blue")
        urls = [r["phases"]["url_printed"] for r in mine if "url_printed" in r["phases"]]
        ax.scatter(urls, [y + 0.15] * len(urls), marker="x", color="tab:gray",
                   label="URL printed" if y == 0 else None)
        median = data["series"][name]["first_turn_s"]["median"]
        ax.vlines(median, y - 0.3, y + 0.3, color="tab:red")
        ax.annotate(f"median {median:.1f} s", (median, y - 0.35), fontsize=8, ha="center", va="top")
    rev = data["git_revision"]
    labels = [f"{n} ({rev if n == 'current' else data.get('baseline_revision', '')})" for n in names]
    ax.set_yticks(range(len(names)), labels)
    ax.set_ylim(-0.8, len(names) - 0.2)
    ax.set_xlim(left=0)
    ax.set_xlabel("seconds from `make run` (installed, database prepared)")
    ax.set_title(f"make run to the first answered turn ({data['machine']['cores']} cores)")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def one_run_main(checkout: Path, venv: Path) -> int:
    """The inner half of a run in a network namespace: print one JSON line."""
    print(_one_run_here(checkout, venv, free_ports=False), flush=True)
    return 0
