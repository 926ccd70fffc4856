"""Once-a-second samples during a run: PUMA's instances per service, and CPU per component.

``Sampler(read, interval_s)`` calls ``read()`` in a background thread (a greenlet under
Locust) until stopped and keeps ``{"t": seconds since start, **read()}``. Example::

    with Sampler(puma_status(url)) as instances, Sampler(cpu_by_component(pid)) as cpu:
        ...                                    # the load
    instances.samples[-1]["services"]["agent"]["ready"]      # 3
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import urllib.request
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_TICKS = os.sysconf("SC_CLK_TCK")


class Sampler:
    def __init__(self, read: Callable[[], dict[str, Any]], interval_s: float = 1.0,
                 t0: float | None = None) -> None:
        self.read = read
        self.interval_s = interval_s
        self.samples: list[dict[str, Any]] = []
        self.t0 = time.monotonic() if t0 is None else t0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="sampler", daemon=True)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.is_set():
            t = time.monotonic() - self.t0
            try:
                self.samples.append({"t": round(t, 3), **self.read()})
            except Exception as error:  # noqa: BLE001 - a missed sample is not fatal
                log.debug("sample failed: %s", error)
            self._stop.wait(self.interval_s)


def puma_status(url: str, timeout_s: float = 2.0) -> Callable[[], dict[str, Any]]:
    """Reads ``/_puma/status``: ready instances, in-flight and requests so far per service."""
    def read() -> dict[str, Any]:
        with urllib.request.urlopen(f"{url}/_puma/status", timeout=timeout_s) as resp:
            status = json.load(resp)
        return {"services": {name: {"ready": s["ready"], "in_flight": s["in_flight"],
                                    "requests_total": s["requests_total"]}
                             for name, s in status["services"].items()}}
    return read


def cpu_by_component(root_pid: int) -> Callable[[], dict[str, Any]]:
    """CPU seconds used so far by each process of the tree under ``root_pid``, labelled by
    component (a PUMA service, ``envoy``, ``supervisor``, ``legacy server``), and by this load
    generator: ``{"cpu_s": {pid: [label, seconds]}}`` (per process, so replaced processes are
    accounted for; ``loadtests.report.cpu_cores`` sums them per label)."""
    def read() -> dict[str, Any]:
        used: dict[str, list[Any]] = {}
        for pid in descendants(root_pid):
            label_seconds = _cpu(pid)
            if label_seconds:
                used[str(pid)] = [label_seconds[0], round(label_seconds[1], 3)]
        times = os.times()
        used["self"] = ["load generator", round(times.user + times.system, 3)]
        return {"cpu_s": used}
    return read


def descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            children[int(stat.rsplit(")", 1)[1].split()[1])].append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _cpu(pid: int) -> tuple[str, float] | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return None
    return _label([a.decode(errors="replace") for a in cmdline]), (int(stat[11]) + int(stat[12])) / _TICKS


def _label(argv: list[str]) -> str:
    if len([a for a in argv if a]) == 1:  # a title set by setproctitle: "puma.worker --service agent"
        argv = argv[0].split()
    if "--service" in argv[:-1]:
        return argv[argv.index("--service") + 1]
    if argv and os.path.basename(argv[0]) == "envoy":
        return "envoy"
    if "legacy_socket_server" in argv:
        return "legacy server"
    if "puma" in argv and "run" in argv:
        return "supervisor"
    return "other"


def process_label(pid: int) -> str | None:
    """The component ``pid`` belongs to (see ``cpu_by_component``); None if it is gone."""
    found = _cpu(pid)
    return found[0] if found else None
