"""An instance's error replies to a public client, without what is for operators.

A request that came through the public listener carries `x-puma-via: public` (Envoy sets it,
overwriting what a client sent: `puma.envoyroutes`). Whatever path answered it with an error — a
handler's `puma.HTTPError`, a 413, a 507, a store that is down, a readiness refusal, the JSON fast
paths that bypass Flask — its JSON body's texts are passed through `puma.visibility.for_public`
here, once, on the way out: no pid, internal address, kill command or config key reaches a public
client, while the log and callers on the internal listener keep every word. A service with words
of its own for the public (`HTTPError(..., public_message=...)`) has them said instead of its
`error`; that field (`PUBLIC_FIELD`) never leaves the instance.

    PublicErrors(app)   # WSGI middleware, inside `puma.errorpages.BrowserErrors` (it pages the result)
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from .errorpages import read_whole
from .errors import PUBLIC_FIELD
from .visibility import for_public

VIA_ENVIRON = "HTTP_X_PUMA_VIA"
_KEPT = frozenset({"service", "status", "path", "type", "callee", "backend"})  # names, not prose


def public_body(body: dict[str, Any]) -> dict[str, Any]:
    """An error body as a public client gets it. Example: ``public_body({"error": "down (pid 4)"})``
    -> ``{"error": "down"}``."""
    own = body.get(PUBLIC_FIELD)
    out = {k: (for_public(v) if isinstance(v, str) and k not in _KEPT else v)
           for k, v in body.items() if k != PUBLIC_FIELD}
    if isinstance(own, str) and own:
        out["error"] = own
        out.pop("reason", None)  # the operator's version of the same
    return out


class PublicErrors:
    """WSGI middleware: every JSON error reply loses `PUBLIC_FIELD`; to a public client its texts
    are also `for_public`. Other replies (streams included) pass through as they were started."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        held: dict[str, Any] = {}

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], Any]:
            kind = next((v for k, v in headers if k.lower() == "content-type"), "")
            if int(status.split()[0]) >= 400 and kind.split(";")[0].strip() == "application/json":
                held.update(status=status, headers=headers, written=[])
                return held["written"].append  # type: ignore[no-any-return]
            passed: Callable[[bytes], Any] = (start_response(status, headers, exc_info) if exc_info
                                              else start_response(status, headers))
            return passed

        result = self.app(environ, start)
        if "status" not in held:
            return result
        public = environ.get(VIA_ENVIRON) == "public"
        return self._rewritten(start_response, held, result, public)

    @staticmethod
    def _rewritten(start_response: Callable[..., Any], held: dict[str, Any], result: Iterable[bytes],
                   public: bool) -> list[bytes]:
        data = read_whole(held["written"], result)
        try:
            body = json.loads(data)
        except ValueError:
            body = None
        if isinstance(body, dict) and (public or PUBLIC_FIELD in body):
            body = public_body(body) if public else {k: v for k, v in body.items() if k != PUBLIC_FIELD}
            data = json.dumps(body, ensure_ascii=False).encode()
        headers = [(k, v) for k, v in held["headers"] if k.lower() != "content-length"]
        start_response(held["status"], [*headers, ("Content-Length", str(len(data)))])
        return [data]


__all__ = ["PUBLIC_FIELD", "PublicErrors", "public_body"]
