"""PUMA: application-defined micro-services behind a real Envoy front proxy.

    import puma

    puma.puma_config({"puma_services": {"agent": "/agent"}})
    puma.puma_service({"agent": agent})
    puma.puma_start()

Each public name is imported from its module on first use, so a service process that needs only
`puma.Request`, `puma.HTTPError` and `puma.call` does not load the supervisor, the config models
or the map client (about 0.2 s of every zygote's start-up).
"""

from __future__ import annotations

# Not `from typing import TYPE_CHECKING`: the `puma` command imports this package before it can
# handle Ctrl-C (`puma.entry`), and `typing` took most of that time (mypy reads this name as True).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .app import App, puma_config, puma_service, puma_start, service, start
    from .binding import BindingError
    from .client import acall, call, wait_ready
    from .config import PumaConfig, parse_config
    from .deadlines import DeadlineExceeded, check_deadline, guard_commits, remaining_s
    from .dynamo import dynamodb
    from .endpoints import idempotent
    from .errors import (
        HTTPError,
        PumaArgumentError,
        PumaBadRequest,
        PumaCallError,
        PumaClientError,
        PumaConfigError,
        PumaError,
        PumaNotFound,
        PumaScaleError,
        PumaStartError,
    )
    from .mapping import PumaMapError, map, map_reduce, puma_map
    from .messages import Request, Response, Upload
    from .remotes import aremote, remote
    from .serving import bytes_body, request
    from .supervisor import Deployment
    from .unavailable import mark_unavailable
    from .warmup import progress

_MODULES = {
    ".app": ("App", "puma_config", "puma_service", "puma_start", "service", "start"),
    ".binding": ("BindingError",),
    ".client": ("acall", "call", "wait_ready"),
    ".config": ("PumaConfig", "parse_config"),
    ".deadlines": ("DeadlineExceeded", "check_deadline", "guard_commits", "remaining_s"),
    ".dynamo": ("dynamodb",),
    ".endpoints": ("idempotent",),
    ".errors": ("HTTPError", "PumaArgumentError", "PumaBadRequest", "PumaCallError", "PumaClientError",
                "PumaConfigError", "PumaError", "PumaNotFound", "PumaScaleError", "PumaStartError"),
    ".mapping": ("PumaMapError", "map", "map_reduce", "puma_map"),
    ".remotes": ("aremote", "remote"),
    ".warmup": ("progress",),
    ".messages": ("Request", "Response", "Upload"),
    ".serving": ("bytes_body", "request"),
    ".supervisor": ("Deployment",),
    ".unavailable": ("mark_unavailable",),
}
_WHERE = {name: module for module, names in _MODULES.items() for name in names}

__all__ = [
    "App",
    "BindingError",
    "DeadlineExceeded",
    "Deployment",
    "HTTPError",
    "PumaArgumentError",
    "PumaBadRequest",
    "PumaCallError",
    "PumaClientError",
    "PumaConfig",
    "PumaConfigError",
    "PumaError",
    "PumaMapError",
    "PumaNotFound",
    "PumaScaleError",
    "PumaStartError",
    "Request",
    "Response",
    "Upload",
    "acall",
    "aremote",
    "bytes_body",
    "call",
    "check_deadline",
    "dynamodb",
    "guard_commits",
    "idempotent",
    "map",
    "map_reduce",
    "mark_unavailable",
    "parse_config",
    "progress",
    "puma_config",
    "puma_map",
    "puma_service",
    "puma_start",
    "remaining_s",
    "remote",
    "request",
    "service",
    "start",
    "wait_ready",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'puma' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
