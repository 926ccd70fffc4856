"""What `puma run` says and does while a deployment stops: progress, and a forced stop.

A stop waits for instances to finish the requests they hold (up to each service's drain time).
`StopProgress` says, on stderr, what the stop will do with each kind of request and for how long
(its windows are config), what it waits for every few seconds, and what it did:

    puma: stopping: requests in flight get up to 30 s to finish, bodies still uploading up to 5 s more ...; new ...
    puma: stopping: waiting for 3 instances (slow 2, map 1), 4 s of at most 33 s; Ctrl-C again to force
    puma: stopped in 4.2 s; every request in flight was answered

and `on_second_signal` makes a second Ctrl-C or SIGTERM end the wait at once (said as what it was:
the same again, or a Ctrl-C during the stop `make stop` began): every process group
the deployment started (Envoy, the fork server with its zygotes and instances, any zygote of its
own) is sent SIGKILL, and the process exits with code 130.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from typing import IO, TYPE_CHECKING, Any

from . import guard
from .lines import fill_for

if TYPE_CHECKING:
    from .supervisor import Deployment

REPORT_EVERY_S = 3.0
FIRST_REPORT_S = 1.0  # a stop that takes less says nothing


def waiting_for(deployment: Deployment) -> dict[str, int]:
    """This host's instances not yet exited, by service (only services with some)."""
    counts = {}
    for name, pool in deployment.pools.items():
        with pool.lock:
            count = sum(1 for i in pool.instances.values() if not i.remote and i.state != "stopped")
        if count:
            counts[name] = count
    return counts


def waiting_on(deployment: Deployment, most: int = 4) -> list[str]:
    """What each of (at most `most` of) this host's instances not yet exited is waiting on, oldest
    request first: ``"listener 1: 1 request, POST /listener, 3.2 s"``, or ``"web 2: no request"``
    (it has none left and is exiting)."""
    found = []
    for name, pool in deployment.pools.items():
        with pool.lock:
            left = [i for i in pool.instances.values() if not i.remote and i.state != "stopped"]
        for instance in left:
            running, held_s = pool.busy(instance)
            what = pool.oldest_request(instance) if running else ""
            found.append((held_s, f"{name} {instance.id}: " + (
                f"{running} request{'' if running == 1 else 's'}, {what or 'oldest'}, {held_s:.1f} s" if running
                else "no request")))
    found.sort(key=lambda f: -f[0])
    return [line for _s, line in found[:most]] + ([f"{len(found) - most} more"] if len(found) > most else [])


def longest_drain_s(deployment: Deployment) -> float:
    """The most a stop waits for instances: the longest drain of a service, and the grace after it."""
    return max((pool.drain_timeout_s for pool in deployment.pools.values()), default=0.0) + 3.0


def windows(deployment: Deployment) -> tuple[float, float]:
    """`(in_flight_s, uploads_s)`: the most a stop waits for requests in flight (the longest service's
    drain), then for bodies still uploading (`http_connection_manager.drain_timeout`)."""
    upload_s = deployment.config.http_connection_manager.drain_timeout
    return max((pool.drain_timeout_s for pool in deployment.pools.values()), default=upload_s), upload_s


def plan(deployment: Deployment) -> str:
    """What a stop does with each request and for how long at most, said as it begins (the windows are
    config: each service's `timeout_s`, and `http_connection_manager.drain_timeout`).
    Example: ``plan(d)`` -> ``"stopping: requests in flight get up to 30 s to finish, bodies still uploading
    up to 5 s more ...; new requests get 503 ...; Ctrl-C again to force (the limits: ...)"``. Plain words
    only (a newcomer reads it after `make stop`); the settings that set the limits are in README
    ("Stopping"), not here."""
    in_flight_s, upload_s = windows(deployment)
    return (f"stopping: requests in progress get up to {in_flight_s:g} s to finish, and requests still "
            f"uploading up to {upload_s:g} s more (then they are refused: they never reached the app, so they "
            "are safe to send again); new requests get 503 'the deployment is stopping'; Ctrl-C again to force")


def outcome(deployment: Deployment, took_s: float) -> str:
    """What the stop did, said as it ends: how long it took, and the uploads it cut (if any).
    Example: ``outcome(d, 6.1)`` -> ``"stopped in 6.1 s; 1 request still uploading its body after 5 s was cut ..."``."""
    cut = deployment.uploads_cut
    if not cut:
        return f"stopped in {took_s:.1f} s; every request in flight was answered"
    upload_s = deployment.config.http_connection_manager.drain_timeout
    which = "1 request still uploading its body" if cut == 1 else f"{cut} requests still uploading their bodies"
    return (f"stopped in {took_s:.1f} s; {which} after {upload_s:g} s {'was' if cut == 1 else 'were'} cut with no answer: never sent to an instance, so safe "
            "to send again (README's 'Stopping' says how to wait longer for slow uploads)")


def describe(counts: dict[str, int], elapsed_s: float, limit_s: float, on: list[str] | None = None, *,
             envoy_done: bool = False) -> str:
    """One line for a stop in progress, with what the instances wait `on` (`waiting_on`).
    Example: ``describe({"slow": 2}, 4.2, 33)`` -> ``"stopping: waiting for 2 instances (slow 2), 4 s of at most 33 s; ..."``.
    `envoy_done`: Envoy has exited (its log line said so), so the line never says it is still to stop."""
    total = sum(counts.values())
    if not total and envoy_done:  # what is left: the health checker, the status server, the run's files
        return f"stopping: instances and Envoy stopped; closing the rest, {elapsed_s:.0f} s"
    if not total:  # Envoy waits for bodies still uploading (at most drain_timeout), then stops
        return (f"stopping: instances done; Envoy stops once no body is still uploading, {elapsed_s:.0f} s; "
                "Ctrl-C again to force")
    which = ", ".join(f"{name} {n}" for name, n in sorted(counts.items(), key=lambda kv: -kv[1])[:6])
    return (f"stopping: waiting for {total} instance{'' if total == 1 else 's'} ({which}) to finish their requests, "
            f"{elapsed_s:.0f} s of at most {limit_s:.0f} s{' (' + '; '.join(on) + ')' if on else ''}; "
            "Ctrl-C again to force")


class StopProgress:
    """Says what a stop waits for while used as a context manager (a stop that is quick says nothing)."""

    def __init__(self, deployment: Deployment, out: IO[str] | None = None, *, served: bool = True,
                 after_ctrl_c: bool = False) -> None:
        self.deployment = deployment
        self.served = served  # it served: its plan and outcome are said (a failed start's stop says neither)
        # A terminal echoes Ctrl-C as "^C" with no newline: the first line said starts on its own.
        self.fresh_line = after_ctrl_c and _on_terminal(out or sys.stderr)
        self.out = out or sys.stderr
        self._done = threading.Event()
        self._thread = guard.thread(self._run, name="puma-stop-progress", retry=False)

    def __enter__(self) -> StopProgress:
        self._started = time.monotonic()
        if self.served:
            self._say(plan(self.deployment), fresh_line=self.fresh_line)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join(timeout=2.0)
        if exc[0] is None and self.served:
            self._say(outcome(self.deployment, time.monotonic() - self._started))

    def _say(self, line: str, *, fresh_line: bool = False) -> None:
        with contextlib.suppress(OSError, ValueError):  # a terminal's width at most
            print(("\n" if fresh_line else "") + fill_for(f"puma: {line}", self.out), file=self.out, flush=True)

    def _run(self) -> None:
        started, limit_s = time.monotonic(), longest_drain_s(self.deployment)
        wait = FIRST_REPORT_S
        while not self._done.wait(wait):
            proc = self.deployment.envoy.proc
            self._say(describe(waiting_for(self.deployment), time.monotonic() - started, limit_s,
                               waiting_on(self.deployment), envoy_done=proc is None or proc.poll() is not None))
            wait = REPORT_EVERY_S


def _on_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def force_stop(deployment: Deployment, how: str) -> None:
    """SIGKILL every process group `deployment` started, then exit the process with code 130."""
    cut = requests_in_flight(deployment)  # before the kill: what the kill cuts
    own = os.getpgrp()
    for pid in started_pids(deployment):
        with contextlib.suppress(OSError):
            group = os.getpgid(pid)
            if group != own:  # each was started in a session of its own; never signal ours
                os.killpg(group, signal.SIGKILL)
            else:
                os.kill(pid, signal.SIGKILL)
    lost = ("no request was in progress" if cut == 0 else "requests in progress, if any, were cut" if cut is None
            else f"{cut} request{'' if cut == 1 else 's'} in progress {'was' if cut == 1 else 'were'} cut")
    with contextlib.suppress(OSError, ValueError):
        print("\n" + fill_for(f"puma: stopped at once ({how}): its processes were killed; {lost}", sys.stderr),
              file=sys.stderr, flush=True)
    os._exit(130)


def requests_in_flight(deployment: Deployment) -> int | None:
    """Requests this host's instances hold now; None when it cannot tell at once (called from a
    signal handler: a lock the interrupted code holds is waited for 0.2 s at most, never more)."""
    total = 0
    for pool in list(deployment.pools.values()):
        if not pool.lock.acquire(timeout=0.2):
            return None
        try:
            instances = [i for i in pool.instances.values() if not i.remote and i.state != "stopped"]
        finally:
            pool.lock.release()
        with contextlib.suppress(Exception):  # an instance gone meanwhile holds none
            total += sum(pool.busy(instance)[0] for instance in instances)
    return total


def started_pids(deployment: Deployment) -> list[int]:
    """Envoy's pid, the fork server's, and any zygote's of its own (each leads its process group)."""
    pids = []
    if deployment.envoy.proc is not None:
        pids.append(deployment.envoy.proc.pid)
    if deployment.fork_server is not None:
        pids.append(deployment.fork_server.proc.pid)
    for pool in deployment.pools.values():
        zygote = getattr(pool, "zygote", None)
        if zygote is not None and zygote.pid is not None:
            pids.append(zygote.pid)
    return pids


_SIGNAL_WORDS: dict[int, str] = {signal.SIGINT: "Ctrl-C", signal.SIGTERM: "SIGTERM (make stop or puma stop)"}


def on_second_signal(deployment: Deployment, first: int | None = None) -> None:
    """While `deployment` stops: a Ctrl-C or SIGTERM kills what it started and exits (see
    `force_stop`), said as what it was: the same signal again, or the other one during the stop
    `first` began (a Ctrl-C typed while `make stop` drains)."""
    def handler(signum: int, _frame: Any) -> None:
        name = "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name
        how = (f"{name} again" if first in (None, signum)
               else f"{name} during the stop {_SIGNAL_WORDS.get(first, 'a signal')} began")
        force_stop(deployment, how)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, handler)
