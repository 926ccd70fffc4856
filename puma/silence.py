"""An instance that stopped answering: said at once, timed from its first missed check, and judged
hung one look sooner.

Envoy checks each instance every `health_check.interval_s` (10 s), and an instance that stops
answering (SIGSTOP'd, deadlocked) fails one check, then another `unhealthy_threshold - 1` a second
and a check timeout apart, before Envoy ejects it: 8-14 s in which `puma status` counted it ready
(Envoy still routes to it) with nothing else to say, while every request to it hung. So, from the
first failed check (`puma.health`):

- the instance is *silent* since that check was sent (`Instance.silent_since`): `puma status` and
  the dashboard say so at once beside its ready count, with how long, and how long it has answered
  no request while requests wait in it (its busy board, `puma.busy`);
- the supervisor asks its liveness path itself (`watch`), once a `PROBE_TIMEOUT_S` apart, until it
  answers (silence over) or is replaced: each unanswered probe is a failed check, so the no-CPU-
  progress rule (`puma.health.HealthMonitor.verdict`) judges it over the probe's span instead of
  waiting for Envoy's next check. One computing (CPU progress) is kept as before; one starved by a
  loaded machine answers a probe, or makes progress within it (runnable, it gets CPU). Nothing is
  probed while every instance answers: an idle deployment still costs nothing.
- a process the kernel shows *stopped* (state T: SIGSTOP, SIGTSTP), or a paused container,
  answers nothing until resumed: it is replaced at its first failed check, and the event names it
  so (`stopped`; `puma.activity` tells, for either backend).
"""

from __future__ import annotations

import http.client
import time
from collections.abc import Callable
from typing import Any

from .busy import board_path
from .config import LIVENESS_PATH

PROBE_TIMEOUT_S = 1.5  # a probe's wait: a live instance answers in ~1 ms, a starved one in well under this
SILENT_SHOWN_S = 3.0  # requests waiting with none answered this long: said in the status (slow is not silent)


def answers(address: str, timeout_s: float = PROBE_TIMEOUT_S) -> bool:
    """Whether the instance at 'host:port' answers its liveness path within `timeout_s` (any
    status: one saying "not ready" is alive)."""
    host, _, port = address.rpartition(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout_s)
    try:
        conn.request("GET", LIVENESS_PATH)
        conn.getresponse().read(4096)
        return True
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


def watch(is_silent: Callable[[], bool], missed: Callable[[], None], answered: Callable[[], None],
          probe: Callable[[], bool]) -> None:
    """Probe a silent instance until it answers (`answered`) or is no longer watched (replaced,
    answering Envoy again, the deployment stopping); each unanswered probe is `missed`."""
    while is_silent():
        began = time.monotonic()
        if probe():
            answered()
            return
        if not is_silent():
            return
        missed()
        time.sleep(max(0.0, PROBE_TIMEOUT_S - (time.monotonic() - began)))  # refused at once: still one a period


def silent_line(pool: Any, instance: Any, waiting: int = 0, now: float | None = None) -> str | None:
    """What an instance counted ready has not answered, or None while it answers; `waiting`: the
    requests Envoy has in flight to it (its per-host `rq_active`). Example: ``"instance 1 (pid 42):
    answered no health check for 4 s and no request for 6 s (3 waiting); Envoy still routes to it;
    replaced if hung"``."""
    now = time.monotonic() if now is None else now
    parts = []
    if instance.silent_since is not None:
        parts.append(f"no health check for {now - instance.silent_since:.0f} s")
    waiting, quiet_s = _requests_unanswered(pool, instance, waiting)
    if waiting and (quiet_s >= SILENT_SHOWN_S or parts):
        parts.append(f"no request for {quiet_s:.0f} s ({waiting} waiting)")
    if not parts:
        return None
    pid = f" (pid {instance.pid})" if instance.pid is not None else ""
    routed = ("Envoy still routes to it; replaced if hung" if instance.silent_since is not None
              else "slow or hung: replaced if it stops answering its health checks")
    return f"instance {instance.id}{pid}: answered {' and '.join(parts)}; {routed}"


def _requests_unanswered(pool: Any, instance: Any, waiting: int) -> tuple[int, float]:
    """`(requests waiting for it, seconds since it last began or ended one)`; (0, 0) if unknown.
    The instance writes its busy board as each request begins and ends (`puma.busy`): the file's
    modification time is its last sign of work, which a stopped or hung one stops giving while
    Envoy's requests to it (and those in its socket's backlog, never begun) wait."""
    busy_dir = getattr(pool, "busy_dir", None)
    if busy_dir is None or instance.remote:
        return 0, 0.0
    path = board_path(busy_dir, pool.name, instance.id)
    running, _held_s = pool.busy(instance)
    waiting = max(waiting, running)
    if not waiting:
        return 0, 0.0
    try:
        return waiting, max(0.0, time.time() - path.stat().st_mtime)
    except OSError:
        return 0, 0.0
