"""Which instances are hung, learnt from Envoy's own active health checks — PUMA probes nothing.

Envoy checks each instance every `health_check.interval_s` (default 10 s) by asking for its
liveness answer, which an instance serves on a thread of its own (`puma.worker.LIVENESS_PATH`):
a busy instance answers at once, a hung one (stopped, or stuck in a call that holds the
interpreter) does not. After `unhealthy_threshold` failures in a row Envoy stops routing to it
and writes an event, as a JSON line, to a named pipe (the health checks' `event_logger`); this
module reads that pipe on one thread that sleeps until a line comes, and evicts the instance:
killed, so its exit brings a replacement — or, on a worker host, replaced by that host when it
next reports (see `puma.workers`).

What the rest of health costs nothing while idle either: a process exit is reported by its zygote
the moment it happens (`puma.zygote`), an instance joins Envoy when it says it serves, and a
worker host that stops reporting is dropped after `puma.workers.EXPIRE_S`.

Envoy's first check of a new instance, made as soon as it joins, passes in a few milliseconds;
its `add_healthy_event` tells the status sampler when a service was first routed to. An instance
Envoy never found healthy is never ejected (it never joined): its failed checks are counted from
their events instead, and it is replaced after `unhealthy_threshold` of them in a row.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_STOP = b'{"puma": "stop"}\n'


class EventPipe:
    """A named pipe Envoy writes health events to, read line by line on a thread of its own.

    Opened for reading *and* writing, so it never reads end-of-file (Envoy may open and close
    it) and `stop()` can wake the reader with a line of its own.
    """

    def __init__(self, path: Path, on_event: Callable[[dict[str, Any]], None]) -> None:
        self.path = path
        self.on_event = on_event
        self.fd = -1
        self.thread = threading.Thread(target=self._read, daemon=True, name="puma-health-events")

    def start(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.unlink(missing_ok=True)
        os.mkfifo(self.path, 0o600)
        self.fd = os.open(self.path, os.O_RDWR)
        self.thread.start()

    def stop(self) -> None:
        if self.fd < 0:
            return
        if self.thread.is_alive():
            os.write(self.fd, _STOP)
            self.thread.join(timeout=2.0)
        os.close(self.fd)
        self.fd = -1

    def _read(self) -> None:
        pending = b""
        while True:
            *lines, pending = (pending + os.read(self.fd, 65536)).split(b"\n")
            for line in lines:
                if line + b"\n" == _STOP:
                    return
                try:
                    event = json.loads(line)
                except ValueError:
                    log.warning("unreadable health event from Envoy: %r", line[:200])
                    continue
                try:
                    self.on_event(event)
                except Exception:  # noqa: BLE001 - one bad event must not stop the reader
                    log.exception("health event %r failed", event)


def event_address(event: dict[str, Any]) -> str | None:
    """'host:port' of the instance an Envoy health event is about."""
    socket_address = (event.get("host") or {}).get("socket_address") or {}
    if "address" not in socket_address:
        return None
    return f"{socket_address['address']}:{socket_address.get('port_value', 0)}"


class HealthMonitor:
    """Acts on Envoy's health events for a deployment: evicts what Envoy found hung."""

    def __init__(self, deployment: Any, path: Path) -> None:
        self.d = deployment
        self.pipe = EventPipe(path, self.on_event)
        self.path = path
        self.failures: dict[str, int] = {}  # address -> failed checks in a row of one never found healthy

    def start(self) -> None:
        self.pipe.start()

    def stop(self) -> None:
        self.pipe.stop()

    def on_event(self, event: dict[str, Any]) -> None:
        service, address = event.get("cluster_name"), event_address(event)
        pool = self.d.pools.get(service) if isinstance(service, str) else None
        if pool is None or address is None:
            return
        if "eject_unhealthy_event" in event:
            self.unhealthy(pool, address)
        elif "add_healthy_event" in event:
            self.failures.pop(address, None)
            self.d.status_server.sampler.routed(pool.name)
        elif "health_check_failure_event" in event:
            self.failed(pool, address)

    def failed(self, pool: Any, address: str) -> None:
        # A healthy instance that fails enough checks is ejected (and reported as such); one that
        # hung before its first check ever passed is never ejected (it was never in), so count.
        count = self.failures[address] = self.failures.get(address, 0) + 1
        if count >= pool.service.health_check.unhealthy_threshold:
            self.failures.pop(address, None)
            self.unhealthy(pool, address)

    def unhealthy(self, pool: Any, address: str) -> None:
        instance = pool.find(address)
        if instance is None or self.d.stopping:
            return
        log.warning("service %s: instance %d at %s failed Envoy's health checks; replacing it",
                    pool.name, instance.id, address)
        self.d.record(pool.name, f"instance {instance.id} unhealthy; replaced", kind="unhealthy")
        if instance.remote:
            self.d.registry.replace(instance)
        pool.evict(instance)
