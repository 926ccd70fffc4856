"""What the deployment's parts use of it: the control loop, the status server, the worker registry,
the metrics collector and the Envoy publisher depend on these Protocols, not on `puma.supervisor`,
which builds them.

So the imports run one way: `supervisor` imports `control`, `status`, `workers`, `metrics` and
`envoypublisher`; they import this module; `supervisor.Deployment` satisfies `DeploymentView`
(mypy checks it where the deployment hands itself to each part).
"""

from __future__ import annotations

import collections
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .config import PumaConfig
    from .instances import ServicePool
    from .proxy import EnvoyProcess


class WorkerRegistry(Protocol):
    """The core's record of worker hosts (`puma.workers.Registry`), as the status server uses it."""

    def report(self, worker: str, service: str, reported: dict[tuple[str, int], Any],
               digest: str | None = None) -> list[dict[str, Any]]: ...

    def unchanged(self, worker: str, service: str, digest: str) -> bool: ...

    def replacements(self, worker: str) -> list[dict[str, Any]]: ...

    def forget(self, worker: str) -> None: ...


class DeploymentView(Protocol):
    """A running deployment (`puma.supervisor.Deployment`) as its parts see it."""

    config: PumaConfig
    envoy: EnvoyProcess
    pools: dict[str, ServicePool]
    stopping: bool
    started_at: float | None  # epoch seconds its start-up finished; None while it starts
    run_dir: Path  # its logs are under run_dir / "logs"
    events: collections.deque[dict[str, Any]]
    decisions: collections.Counter[tuple[str, str]]  # (service, "up" | "down") -> scaling decisions

    @property
    def registry(self) -> WorkerRegistry: ...

    @property
    def url(self) -> str: ...

    def scale(self, service: str, count: int, *, reason: str = "requested", by_hand: bool = True) -> None: ...

    def publish(self, *, wait: bool = False) -> None: ...

    def record(self, service: str, message: str, **data: Any) -> None: ...
