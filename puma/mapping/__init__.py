"""`puma_map`: a distributed `map` / map-reduce over the instances of a PUMA `/map` service.

    import math, operator, puma

    with puma.mapping.start_local(instances=2):            # or a deployment of your own
        squares = puma.map(math.factorial, range(10_000))  # == list(map(math.factorial, range(10_000)))
        total = puma.map_reduce(math.factorial, [100] * 10**6, operator.add, 0)

Functions travel by import path, never as source; pickled chunks are signed with HMAC-SHA256
under the deployment's shared secret and refused (401, never unpickled) without a valid tag.
See `puma.mapping.service` for the trust model of binary and JSON mode.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import PumaMapError
from .client import map, map_reduce, puma_map, puma_map_reduce
from .locate import service_config, start_local

if TYPE_CHECKING:
    from .service import map_service


def __getattr__(name: str) -> Any:
    # The service side (Flask, pydantic: ~0.5 s of imports) is loaded where it serves, never by a
    # caller of puma.map, whose first call paid for it (puma.mapping:map_service, its target, still works).
    if name == "map_service":
        from .service import map_service

        return map_service
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = ["PumaMapError", "map", "map_reduce", "map_service", "puma_map", "puma_map_reduce",
           "service_config", "start_local"]
