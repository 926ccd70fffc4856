"""The wire format of `/map`: signed pickled chunks, their replies, and how data is cut into chunks.

Pure functions, no network IO. A pickled body is only ever unpickled after its HMAC-SHA256 tag
(header `x-puma-signature`) has been checked with `hmac.compare_digest`. Requests and replies are
signed under different labels, so a captured reply can never be replayed as a request.

>>> key = b"k" * 32
>>> body = encode(key, REQUEST, {"fn": "math:factorial", "items": [3]})
>>> decode(key, REQUEST, body.data, body.signature)["items"]
[3]
"""

from __future__ import annotations

import hashlib
import hmac
import math
import os
import pickle
import reprlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ..errors import PumaError

SIGNATURE_HEADER = "x-puma-signature"
ENV_SECRET = "PUMA_SECRET"
ENV_ALLOW = "PUMA_MAP_ALLOW"
MAP_TARGET = "puma.mapping:map_service"  # the target of a `/map` service (see locate.service_config)
BINARY_TYPE = "application/octet-stream"
JSON_TYPE = "application/json"
PICKLE_PROTOCOL = 5
VERSION = 1
REQUEST = b"puma-map-request\0"
REPLY = b"puma-map-reply\0"
FAILED_STATUS = 422  # fn raised: not a 5xx, so Envoy's retry policy does not re-run a failing chunk
Chunking = Literal["pool", "sqrt"]
MIN_CHUNK_S = 0.01  # with "pool" chunking, no chunk carries less work than this once the cost is known


class SignatureError(PumaError, ValueError):
    """A body's HMAC tag is missing or wrong; the body was not deserialised."""


SECRET_FIX = (f"puma.map signs the pickled chunks it sends (and the map service its replies) with one HMAC key, "
              f"the config key 'secret', else ${ENV_SECRET}; with neither, `puma run` makes a random key that only "
              f"the deployment's own processes have, so a caller outside it (a script with PUMA_URL, a notebook, "
              f"another `puma run`) signs with another key or none. Fix: give both sides the same key: "
              f"export {ENV_SECRET}=<a long random string> (python -c 'import secrets; print(secrets.token_hex(32))') "
              f"in the shell of `puma run` and of the caller, or set 'secret' in puma_config and that value as "
              f"${ENV_SECRET} (or puma.map(..., secret=...)) in the caller; JSON mode (json_mode=True, functions "
              f"listed in ${ENV_ALLOW}) needs no key")
"""What a mismatched or missing secret means and how to fix it, said wherever one is seen."""


@dataclass(frozen=True)
class Signed:
    data: bytes
    signature: str


def key_bytes(secret: str | bytes) -> bytes:
    return secret.encode() if isinstance(secret, str) else secret


def worker_secret() -> bytes | None:
    """The shared secret of this worker process (exported by the supervisor), or None."""
    secret = os.environ.get(ENV_SECRET)
    return key_bytes(secret) if secret else None


def allowed_json_functions() -> frozenset[str]:
    """Import paths the operator exposed to unsigned JSON callers (comma-separated `$PUMA_MAP_ALLOW`)."""
    return frozenset(p.strip() for p in os.environ.get(ENV_ALLOW, "").split(",") if p.strip())


def sign(key: bytes, label: bytes, data: bytes | bytearray) -> str:
    mac = hmac.new(key, label, hashlib.sha256)
    mac.update(data)
    return mac.hexdigest()


def verify(key: bytes | None, label: bytes, data: bytes | bytearray, signature: str | None) -> None:
    """Raise `SignatureError` unless `signature` is the tag of `data` under `key` and `label`."""
    if key is None:
        raise SignatureError(f"no shared secret is configured on this side to check the signature; {SECRET_FIX}")
    if not signature:
        raise SignatureError(f"missing {SIGNATURE_HEADER} header; pickled payloads must be signed")
    if not hmac.compare_digest(sign(key, label, data), signature):
        raise SignatureError(f"wrong {SIGNATURE_HEADER}: the payload was signed with another secret (or altered); "
                             f"{SECRET_FIX}")


def encode(key: bytes, label: bytes, message: dict[str, Any]) -> Signed:
    data = pickle.dumps({"v": VERSION, **message}, protocol=PICKLE_PROTOCOL)
    return Signed(data, sign(key, label, data))


def decode(key: bytes | None, label: bytes, data: bytes | bytearray, signature: str | None) -> dict[str, Any]:
    """Verify, then unpickle. Nothing is unpickled unless the tag checks out."""
    verify(key, label, data, signature)
    message = pickle.loads(data)  # noqa: S301 - authenticated above with the shared secret
    if not isinstance(message, dict) or message.get("v") != VERSION:
        raise ValueError(f"not a puma_map v{VERSION} message")
    return message


def chunk_size(n: int, instances: int, chunking: Chunking = "pool", chunksize: int | None = None,
               item_s: float | None = None) -> int:
    """Items per chunk: `chunksize` if given; "sqrt": ~sqrt(n) chunks (the paper's); "pool": like Pool.map.

    "pool" cuts about 4 chunks per instance, as `multiprocessing.Pool.map` does per process. A chunk
    costs ~0.5 ms of HTTP where a Pool's costs ~0.05 ms, so when `item_s` (the function's measured
    seconds per item) is known, chunks also carry at least MIN_CHUNK_S of work, one per instance
    at least: a 4 ms map is then 2 chunks on 2 instances, not 8 chunks of overhead, and the
    chunks are a whole number per instance, so that none is left with one more than the others.

    >>> chunk_size(1000, 2), chunk_size(1000, 2, "sqrt"), chunk_size(1000, 2, chunksize=7)
    (125, 32, 7)
    >>> chunk_size(1000, 2, item_s=4e-6), chunk_size(100_000, 2, item_s=4e-6)
    (500, 12500)
    """
    if chunksize is not None:
        if chunksize < 1:
            raise ValueError(f"chunksize={chunksize}: must be at least 1")
        return chunksize
    if n == 0:
        return 1
    if chunking == "sqrt":
        return math.ceil(n / math.ceil(math.sqrt(n)))
    if chunking == "pool":
        instances = max(1, instances)
        per_instance = 4
        if item_s is not None:  # a whole number per instance, so that none gets one chunk more
            per_instance = min(per_instance, max(1, math.ceil(n * item_s / MIN_CHUNK_S / instances)))
        return math.ceil(n / (per_instance * instances))
    raise ValueError(f"chunking={chunking!r}: use 'pool' (about 4 chunks per instance) or 'sqrt' (sqrt(n) chunks)")


def chunk_bounds(n: int, size: int) -> list[tuple[int, int]]:
    """[start, stop) of each chunk.

    >>> chunk_bounds(5, 2)
    [(0, 2), (2, 4), (4, 5)]
    """
    return [(start, min(start + size, n)) for start in range(0, n, size)]


_repr = reprlib.Repr()
_repr.maxstring = _repr.maxother = 120


def short_repr(value: Any) -> str:
    return _repr.repr(value)


def ordered(parts: Sequence[list[Any]]) -> list[Any]:
    out: list[Any] = []
    for part in parts:
        out.extend(part)
    return out
