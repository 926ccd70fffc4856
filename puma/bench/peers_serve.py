"""Ray Serve beside PUMA: the same JSON service (`peers_host.work`), the same machine, the same client.

Each system runs in its own host process (`peers_host`), one system at a time, so no system's
idle processes steal CPU from another's measurement. Per system: start-up to the first answer,
sequential latency over one keep-alive connection, throughput at `clients` concurrent clients,
and the CPU time of the host's whole process tree (for Ray: GCS, raylet, proxy, controller,
replicas; for PUMA: supervisor, Envoy, fork server, instances) per request. Then a load step
against each system autoscaled from 1 to 4 replicas: replicas and answers over time, and the
time from the step to added capacity.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from .common import percentile, summary
from .peers_host import SYSTEMS
from .procs import tree

TICK = os.sysconf("SC_CLK_TCK")
READY_TIMEOUT_S = 180.0
BURN_N = 60_000  # ~10-20 ms of CPU per request in the load step


class Conn:
    """A keep-alive HTTP/1.1 connection with Nagle off, POSTing JSON."""

    def __init__(self, url: str, timeout_s: float = 30.0) -> None:
        parts = urlsplit(url)
        self.path = parts.path
        self.conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout_s)
        self.conn.connect()
        assert self.conn.sock is not None
        self.conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def post(self, body: bytes) -> int:
        self.conn.request("POST", self.path, body, {"content-type": "application/json"})
        resp = self.conn.getresponse()
        resp.read()
        return resp.status

    def close(self) -> None:
        self.conn.close()


@dataclass
class Host:
    """A running `peers_host` process and what it reported."""

    system: str
    proc: subprocess.Popen[str]
    started: float
    url: str = ""
    samples: list[tuple[float, int]] = field(default_factory=list)
    reader: threading.Thread | None = None

    def pids(self) -> set[int]:
        return tree({self.proc.pid})


def _read_events(host: Host, ready: threading.Event, info: dict[str, Any]) -> None:
    assert host.proc.stdout is not None
    for line in host.proc.stdout:
        try:
            event = json.loads(line)
        except ValueError:
            continue  # a library printing on stdout
        if event.get("event") == "ready":
            info.update(event)
            host.url = event["url"]
            ready.set()
        elif event.get("event") == "replicas":
            host.samples.append((event["t"], event["ready"]))
    ready.set()  # the process ended (or closed stdout) before it was ready


@contextlib.contextmanager
def hosted(system: str, *, autoscale: bool = False, log_dir: Any = None) -> Iterator[tuple[Host, dict[str, Any]]]:
    """Start `system` in a host process; yield it once it answered, with start-up figures; stop it
    and every process it started on exit, whatever happens."""
    if system not in SYSTEMS:
        raise ValueError(f"system: {system!r} is not one of {SYSTEMS}")
    log = open(os.path.join(log_dir, f"{system}{'-autoscale' if autoscale else ''}.log"), "w") if log_dir else None
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "puma.bench.peers_host", system,
                             *(["--autoscale"] if autoscale else [])],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log or subprocess.DEVNULL,
                            text=True, start_new_session=True)
    host = Host(system, proc, started)
    seen: set[int] = set()
    try:
        info = _wait_ready(host)
        seen |= host.pids()
        info["startup_s"] = _first_answer(host.url) - started
        yield host, info
        seen |= host.pids()
    finally:
        seen |= host.pids()
        _stop(host, seen)
        if log:
            log.close()


def _wait_ready(host: Host) -> dict[str, Any]:
    ready, info = threading.Event(), dict[str, Any]()
    host.reader = threading.Thread(target=_read_events, args=(host, ready, info), daemon=True)
    host.reader.start()
    if not ready.wait(READY_TIMEOUT_S) or not host.url:
        raise RuntimeError(f"{host.system}: the host did not become ready within {READY_TIMEOUT_S:.0f} s "
                           f"(exit code {host.proc.poll()}; see its log in the output directory)")
    return info


def _first_answer(url: str) -> float:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, http.client.HTTPException):
            conn = Conn(url, timeout_s=5)
            try:
                if conn.post(b'{"n": 0}') == 200:
                    return time.monotonic()
            finally:
                conn.close()
        time.sleep(0.01)
    raise RuntimeError(f"{url} did not answer 200 within 30 s of being ready")


def _stop(host: Host, pids: set[int]) -> None:
    """Close stdin (the host stops what it started), then SIGTERM, then SIGKILL whatever is left."""
    with contextlib.suppress(OSError):
        assert host.proc.stdin is not None
        host.proc.stdin.close()
    try:
        host.proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        host.proc.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            host.proc.wait(timeout=15)
    for pid in pids | tree({host.proc.pid}):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(host.proc.pid, signal.SIGKILL)
    host.proc.wait()


def cpu_s(pids: set[int]) -> float:
    """User + system CPU of `pids` so far, seconds (a process's own exited threads included)."""
    total = 0
    for pid in pids:
        try:
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / TICK


def latency(url: str, requests: int) -> list[float]:
    """Sequential requests over one keep-alive connection, milliseconds each."""
    conn, body, out = Conn(url), b'{"n": 0}', []
    try:
        for _ in range(min(200, requests)):  # warm up
            conn.post(body)
        for _ in range(requests):
            started = time.perf_counter()
            status = conn.post(body)
            out.append((time.perf_counter() - started) * 1000)
            if status != 200:
                raise RuntimeError(f"POST {url} answered {status}")
    finally:
        conn.close()
    return out


def throughput(url: str, clients: int, duration_s: float) -> tuple[int, int, float]:
    """(answered, failed, seconds) from `clients` closed-loop clients for `duration_s`."""
    counts = [[0, 0] for _ in range(clients)]
    barrier = threading.Barrier(clients + 1)
    until = [0.0]

    def client(k: int) -> None:
        conn = Conn(url)
        barrier.wait()
        try:
            while time.monotonic() < until[0]:
                counts[k][0 if conn.post(b'{"n": 0}') == 200 else 1] += 1
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    until[0] = time.monotonic() + duration_s + 0.0
    barrier.wait()
    started = time.monotonic()
    for t in threads:
        t.join()
    return sum(c[0] for c in counts), sum(c[1] for c in counts), time.monotonic() - started


def steady(system: str, *, requests: int, clients: int, duration_s: float, log_dir: Any) -> dict[str, Any]:
    """Start-up, latency, throughput and CPU per request of `system` with 2 fixed replicas."""
    with hosted(system, log_dir=log_dir) as (host, info):
        pids = host.pids()
        before = cpu_s(pids)
        lat = latency(host.url, requests)
        seq_cpu = cpu_s(pids) - before
        before = cpu_s(host.pids())
        answered, failed, seconds = throughput(host.url, clients, duration_s)
        par_cpu = cpu_s(host.pids()) - before
        processes = len(host.pids())
    return {"system": system, "startup_s": info["startup_s"], "haproxy": info.get("haproxy", False),
            "latency_ms": summary(lat), "requests_sequential": len(lat),
            "cpu_ms_per_request_sequential": seq_cpu * 1000 / len(lat),
            "throughput_rps": answered / seconds, "throughput_failed": failed, "clients": clients,
            "cpu_ms_per_request_concurrent": par_cpu * 1000 / max(answered, 1), "processes": processes}


def _burner(url: str, until: float, log: list[tuple[float, float, int]]) -> None:
    body = json.dumps({"n": BURN_N}).encode()
    conn: Conn | None = None
    while time.monotonic() < until:
        started = time.monotonic()
        try:
            conn = conn or Conn(url)
            status = conn.post(body)
        except (OSError, http.client.HTTPException):
            status, conn = 0, None
        log.append((started, time.monotonic() - started, status))
    if conn:
        conn.close()


def load_step(system: str, *, clients: int, idle_s: float, step_s: float, log_dir: Any) -> dict[str, Any]:
    """Idle, then `clients` closed-loop clients of ~15 ms requests for `step_s`, against `system`
    autoscaled from 1 to 4 replicas: ready replicas and answers over time, time to added capacity."""
    log: list[tuple[float, float, int]] = []
    with hosted(system, autoscale=True, log_dir=log_dir) as (host, info):
        time.sleep(idle_s)
        step_at = time.monotonic()
        threads = [threading.Thread(target=_burner, args=(host.url, step_at + step_s, log)) for _ in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        samples = [(t - step_at, n) for t, n in host.samples]
    requests = [(s - step_at, d, code) for s, d, code in log]
    return {"system": system, "startup_s": info["startup_s"], "clients": clients, "step_s": step_s,
            **capacity(samples, requests, step_s), "samples": samples, "per_second": per_second(requests)}


def capacity(samples: list[tuple[float, int]], requests: list[tuple[float, float, int]],
             step_s: float) -> dict[str, Any]:
    """When the step got more replicas (first and last added), and how many answers it got."""
    before = [n for t, n in samples if t < 0]
    base = before[-1] if before else 1
    during = [(t, n) for t, n in samples if 0 <= t <= step_s]
    first = next((t for t, n in during if n > base), None)
    top = max((n for _, n in during), default=base)
    at_top = next((t for t, n in during if n == top), None) if top > base else None
    ok = [r for r in requests if r[2] == 200]
    return {"replicas_before": base, "replicas_max": top, "first_added_s": first, "all_added_s": at_top,
            "answered": len(ok), "failed": len(requests) - len(ok),
            "answered_per_s": len(ok) / step_s if step_s else 0.0,
            "p50_ms": percentile([d * 1000 for _, d, _ in ok], 50), "p99_ms": percentile([d * 1000 for _, d, _ in ok], 99)}


def per_second(requests: list[tuple[float, float, int]]) -> list[dict[str, Any]]:
    buckets: dict[int, int] = {}
    for start, duration, code in requests:
        if code == 200:
            second = int(start + duration)
            buckets[second] = buckets.get(second, 0) + 1
    return [{"second": s, "answered": n} for s, n in sorted(buckets.items())]
