"""PUMA: application-defined micro-services behind a real Envoy front proxy.

    import puma

    puma.puma_config({"puma_services": {"agent": "/agent"}})
    puma.puma_service({"agent": agent})
    puma.puma_start()
"""

from __future__ import annotations

from .app import App, puma_config, puma_service, puma_start, service, start
from .client import acall, call
from .config import PumaConfig, parse_config
from .dynamo import dynamodb
from .errors import HTTPError, PumaCallError, PumaConfigError, PumaError, PumaStartError
from .mapping import PumaMapError, map, map_reduce, puma_map
from .service import Request, Response, bytes_body, request
from .supervisor import Deployment

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
    "puma_config",
    "puma_map",
    "puma_service",
    "puma_start",
    "request",
    "service",
    "start",
]
