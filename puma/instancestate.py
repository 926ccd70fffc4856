"""One instance of a service as the supervisor knows it: its process, address and state.

Split from `puma.instances` (the pool that starts, replaces and stops instances); `Instance` is
re-exported there, the path it is imported from.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from .zygotes import INSTANCE_HOST


@dataclass
class Instance:
    id: int
    service: str
    pid: int | None = None
    port: int | None = None
    state: str = "starting"  # starting -> ready [-> leaving: sent SIGTERM, routed until replaced] -> draining -> stopped
    started_at: float = field(default_factory=time.monotonic)
    ready_at: float | None = None
    host: str = INSTANCE_HOST
    worker: str | None = None  # the worker host that registered it; None for this host's own
    last_seen: float = field(default_factory=time.monotonic)
    # A replacement started on the socket of the service's last instance, which died: Envoy keeps
    # routing to that address while it starts, and requests wait in the socket's backlog.
    standin: bool = False
    container: str | None = None  # the container's short id, with the Docker backend (no pid of ours)
    # Why its readiness check fails (what it needs is down), as the instance says; None while it
    # passes. Set and cleared from Envoy's health events (`puma.health`); `puma status` shows it.
    not_ready: str | None = None
    not_ready_since: float | None = None  # monotonic; when it was first seen not ready
    ever_ready: bool = False  # its readiness check has passed at least once (else it is waiting at start)
    # Monotonic: when the first health check it failed was sent (it answers nothing since); None while
    # it answers. `puma status` says it at once, beside a ready count Envoy's routing still includes.
    silent_since: float | None = None
    start_ticks: int | None = None  # when its process started (`puma.orphans.start_ticks`): pid + this name it
    orphan: bool = False  # its zygote died: it serves on, the supervisor watches it (`puma.orphans`)
    replaces: int | None = None  # the id of the instance that died, for a replacement

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def remote(self) -> bool:
        return self.worker is not None

