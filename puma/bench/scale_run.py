"""One deployment of `puma bench scale`, measured from outside: `python -m puma.bench.scale_run SPEC.json`.

Starts `puma run APP --host H --port P` with the revision under test first on PYTHONPATH (and,
for a multi-host size, `puma worker --join` in each worker host's network namespace), then measures
through public surfaces only — the status endpoint, Envoy's admin API, /proc — so any revision of
PUMA can be measured the same way:

* `start_s`: from launching `puma run` to Envoy holding every instance healthy, and `start_cpu_s`,
  the CPU every process of the deployment used until then (on a shared machine, the steadier one);
* idle CPU per component over `idle_s` seconds with no traffic, and memory (PSS) per component;
* p50/p99 of `requests` sequential keep-alive requests to a trivial service;
* `endpoint_change_ms`: from `kill -9` of one instance to Envoy's first change of that service's
  hosts, and `replaced_ms` to its hosts being all healthy again;
* `autoscale_reaction_s`: from a load step on the autoscaled service to its second healthy instance.

Writes the result JSON to `spec["result"]`. Stops everything it started (SIGINT, as Ctrl-C, then
SIGKILL of the process groups), whatever happens.
"""

from __future__ import annotations

import contextlib
import ctypes
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..admin import Admin, per_cluster
from . import netns, procs
from .common import percentile

POLL_S = 0.05
START_TIMEOUT_S = 600.0
STOP_TIMEOUT_S = 120.0


def with_parent(sig: int) -> Callable[[], None]:
    """A `preexec_fn`: the child gets `sig` when the process that started it dies (Linux's
    PR_SET_PDEATHSIG), so a benchmark stopped by a signal leaves no deployment behind (SIGTERM lets
    `puma run` stop its own; SIGKILL ends a runner). Call from the thread that spawns."""
    def preexec() -> None:
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, sig)  # 1: PR_SET_PDEATHSIG

    return preexec


def _get(url: str, timeout_s: float = 5.0) -> str:
    """GET an http:// URL, or "unix:/path/x.sock/..." (an Envoy admin on a Unix socket, as the
    status shows it since the admin left TCP); older revisions' admin URLs are http://."""
    if url.startswith("unix:"):
        sock, _, path = url.removeprefix("unix:").partition(".sock")
        return Admin(socket_path=sock + ".sock").get(path, timeout_s=timeout_s)
    with urllib.request.urlopen(url, timeout=timeout_s) as resp:  # noqa: S310 - our own deployment
        data: bytes = resp.read()
        return data.decode()


def _gauges(admin: str, stat: str, kind: str = "Gauges") -> dict[str, int]:
    """cluster -> value of one per-cluster stat, e.g. `membership_healthy` (`kind`: Gauges or
    Counters; only those ever set are read: the cheap way to ask Envoy, whatever its size)."""
    return per_cluster(_get(f"{admin}/stats?usedonly&type={kind}&filter=^cluster%5C.[^.]%2B%5C.{stat}$"))


def _healthy_total(admin: str, services: set[str]) -> int:
    return sum(v for k, v in _gauges(admin, "membership_healthy").items() if k in services)


class Run:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.url = f"http://{spec['host']}:{spec['port']}"
        self.env = {**os.environ, "PYTHONPATH": os.pathsep.join(spec["pythonpath"]), "PUMA_SECRET": spec["secret"]}
        self.services = set(spec["services"])
        self.core: subprocess.Popen[bytes] | None = None
        self.workers: list[subprocess.Popen[bytes]] = []
        self.admin = ""
        self.result: dict[str, Any] = {"size": spec["size"], "series": spec["series"]}

    # --- start and stop ---------------------------------------------------------------------
    def start(self) -> None:
        log = open(Path(self.spec["logs"]) / f"{self.spec['series']}-{self.spec['size']}-core.log", "wb")
        started = time.monotonic()
        self.core = subprocess.Popen([sys.executable, "-m", "puma.cli", "run", self.spec["app"], "--host",
                                      self.spec["host"], "--port", str(self.spec["port"])],
                                     cwd=self.spec["cwd"], env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True, preexec_fn=with_parent(signal.SIGTERM))
        status = self._wait(lambda: json.loads(_get(self.url + "/_puma/status", 2.0)), "the status endpoint")
        self.admin = status["envoy"]["admin"]
        for worker in self.spec.get("workers", []):
            wlog = open(Path(self.spec["logs"]) / f"{self.spec['series']}-{self.spec['size']}-{worker['service']}.log", "wb")
            argv = [sys.executable, "-m", "puma.cli", "worker", "--join", self.url, "--service", worker["service"],
                    "--instances", str(worker["instances"]), "--host", worker["ip"]]
            self.workers.append(subprocess.Popen(netns.in_ns(worker["ns"], argv), cwd=self.spec["cwd"], env=self.env,
                                                 stdout=wlog, stderr=subprocess.STDOUT, start_new_session=True,
                                                 preexec_fn=with_parent(signal.SIGTERM)))
        total = self.spec["instances"]
        self._wait(lambda: _healthy_total(self.admin, self.services) >= total, f"{total} healthy instances")
        self.result["start_s"] = round(time.monotonic() - started, 3)
        # CPU the start took, every process together: unlike the wall time, it hardly depends on
        # what else the machine runs meanwhile.
        cpu = procs.cpu_by_component(self.roles())
        self.result["start_cpu_s"] = round(sum(cpu.values()) / 1e9, 3)
        self.result["start_cpu_s_by_component"] = {k: round(v / 1e9, 3) for k, v in cpu.items()}

    def _wait(self, condition: Any, what: str) -> Any:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self.core is not None
            if self.core.poll() is not None:
                raise RuntimeError(f"puma run exited with {self.core.returncode} while waiting for {what}")
            try:
                value = condition()
                if value:
                    return value
            except (OSError, ValueError, KeyError):
                pass
            time.sleep(POLL_S)
        raise RuntimeError(f"timed out waiting for {what}")

    def stop(self) -> None:
        procs_ = [p for p in [*self.workers, self.core] if p is not None]
        for proc, sig in [(p, signal.SIGTERM) for p in self.workers] + ([(self.core, signal.SIGINT)] if self.core else []):
            if proc.poll() is None:
                _killpg(proc.pid, sig)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for proc in procs_:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        for proc in procs_:  # instances that outlived their supervisor would be leaks
            _killpg(proc.pid, signal.SIGKILL)

    # --- measurements -----------------------------------------------------------------------
    def roles(self) -> dict[int, str]:
        assert self.core is not None
        return procs.roles({self.core.pid}, {w.pid for w in self.workers})

    def idle(self) -> None:
        time.sleep(self.spec["settle_s"])  # start-up's last threads finish
        roles = self.roles()
        before, load = procs.cpu_snapshot(roles), os.getloadavg()[0]
        t0 = time.monotonic()
        time.sleep(self.spec["idle_s"])
        seconds = time.monotonic() - t0
        used = procs.cpu_between(roles, before, procs.cpu_snapshot(roles))
        cores = {k: round(ns / 1e9 / seconds, 4) for k, ns in used.items()}
        self.result.update(idle_cores=cores, idle_cores_total=round(sum(cores.values()), 4),
                           idle_load_average=round(load, 2), memory_mib=procs.memory_by_component(self.roles()),
                           processes=procs.counts(roles))
        self.result["memory_mib_total"] = round(sum(self.result["memory_mib"].values()), 1)

    def latency(self) -> None:
        host, port = self.spec["host"], self.spec["port"]
        conn = http.client.HTTPConnection(host, port, timeout=10)
        times = []
        body, headers = b"{}", {"content-type": "application/json"}
        for k in range(self.spec["warmup_requests"] + self.spec["requests"]):
            t = time.perf_counter()
            conn.request("POST", self.spec["probe_prefix"], body=body, headers=headers)
            resp = conn.getresponse()
            resp.read()
            if resp.status != 200:
                raise RuntimeError(f"{self.spec['probe_prefix']} answered {resp.status}")
            if k >= self.spec["warmup_requests"]:
                times.append(1000 * (time.perf_counter() - t))
        conn.close()
        self.result.update(p50_ms=round(percentile(times, 50), 3), p99_ms=round(percentile(times, 99), 3))

    def endpoint_change(self) -> None:
        name = self.spec["probe_service"]
        status = json.loads(_get(self.url + "/_puma/status"))
        victim = next(i for i in status["services"][name]["instances"] if i["state"] == "ready" and i.get("pid"))
        count = sum(1 for i in status["services"][name]["instances"] if i["state"] == "ready")
        changes = _gauges(self.admin, "membership_change", "Counters").get(name, 0)
        killed = time.monotonic()
        os.kill(victim["pid"], signal.SIGKILL)
        changed = replaced = None
        while time.monotonic() - killed < 30:
            now = time.monotonic()
            if changed is None and _gauges(self.admin, "membership_change", "Counters").get(name, 0) > changes:
                changed = now
            if changed is not None and _gauges(self.admin, "membership_healthy").get(name, 0) >= count:
                replaced = now
                break
            time.sleep(0.002)
        self.result.update(endpoint_change_ms=None if changed is None else round(1000 * (changed - killed), 1),
                           replaced_ms=None if replaced is None else round(1000 * (replaced - killed), 1))

    def autoscale(self) -> None:
        name, prefix = self.spec["auto_service"], self.spec["auto_prefix"]
        stop = threading.Event()
        threads = [threading.Thread(target=_load, args=(self.spec["host"], self.spec["port"], prefix, stop), daemon=True)
                   for _ in range(self.spec["auto_clients"])]
        started = time.monotonic()
        for t in threads:
            t.start()
        reacted = None
        try:
            while time.monotonic() - started < self.spec["auto_timeout_s"]:
                if _gauges(self.admin, "membership_healthy").get(name, 0) >= 2:
                    reacted = time.monotonic() - started
                    break
                time.sleep(0.01)
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=10)
        self.result["autoscale_reaction_s"] = None if reacted is None else round(reacted, 3)


def _load(host: str, port: int, prefix: str, stop: threading.Event) -> None:
    conn = http.client.HTTPConnection(host, port, timeout=10)
    body = json.dumps({"s": 0.05}).encode()
    while not stop.is_set():  # bounded by the caller's timeout
        try:
            conn.request("POST", prefix, body=body, headers={"content-type": "application/json"})
            conn.getresponse().read()
        except (OSError, http.client.HTTPException):
            conn.close()
            time.sleep(0.05)
    conn.close()


def _killpg(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def run(spec: dict[str, Any]) -> dict[str, Any]:
    one = Run(spec)
    try:
        one.start()
        one.idle()
        one.latency()
        one.endpoint_change()
        one.autoscale()
    except Exception as exc:  # noqa: BLE001 - recorded: one failed size must not lose the others
        one.result["error"] = f"{type(exc).__name__}: {exc}"
    finally:
        one.stop()
    return one.result


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        raise SystemExit("usage: python -m puma.bench.scale_run SPEC.json (written by `puma bench scale`)")
    spec = json.loads(Path(args[0]).read_text())
    Path(spec["result"]).write_text(json.dumps(run(spec), indent=2))


if __name__ == "__main__":
    main()
