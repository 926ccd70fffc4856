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

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import App, puma_config, puma_service, puma_start, service, start
    from .client import acall, call
    from .config import PumaConfig, parse_config
    from .dynamo import dynamodb
    from .errors import HTTPError, PumaCallError, PumaConfigError, PumaError, PumaStartError
    from .mapping import PumaMapError, map, map_reduce, puma_map
    from .service import Request, Response, bytes_body, request
    from .supervisor import Deployment
    from .warmup import progress, wait_ready

_MODULES = {
    ".app": ("App", "puma_config", "puma_service", "puma_start", "service", "start"),
    ".client": ("acall", "call"),
    ".config": ("PumaConfig", "parse_config"),
    ".dynamo": ("dynamodb",),
    ".errors": ("HTTPError", "PumaCallError", "PumaConfigError", "PumaError", "PumaStartError"),
    ".mapping": ("PumaMapError", "map", "map_reduce", "puma_map"),
    ".warmup": ("progress", "wait_ready"),
    ".service": ("Request", "Response", "bytes_body", "request"),
    ".supervisor": ("Deployment",),
}
_WHERE = {name: module for module, names in _MODULES.items() for name in names}

__all__ = [
    "App",
    "Deployment",
    "HTTPError",
    "PumaCallError",
    "PumaConfig",
    "PumaConfigError",
    "PumaError",
    "PumaMapError",
    "PumaStartError",
    "Request",
    "Response",
    "acall",
    "bytes_body",
    "call",
    "dynamodb",
    "map",
    "map_reduce",
    "parse_config",
    "progress",
    "puma_config",
    "puma_map",
    "puma_service",
    "puma_start",
    "request",
    "service",
    "start",
    "wait_ready",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'puma' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
