"""HEAD answered with GET's headers: the same status, type and Content-Length, no body.

An instance's error replies are rewritten on their way out (`puma.publicerrors`, `puma.errorpages`),
which needs their body; werkzeug never produces the body of a HEAD reply, so a rewritten HEAD 404
said `Content-Length: 0` where the GET said 65 (RFC 9110 9.3.2: HEAD's headers are GET's). So a
HEAD is served as the GET it stands for, and only here, outermost, is the body left unsent. The
service still sees a HEAD (`ORIGINAL_METHOD`), as Flask routes it: where GET is taken.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

ORIGINAL_METHOD = "puma.original_method"  # the environ key holding "HEAD" while it is served as a GET


def method(environ: dict[str, Any]) -> str:
    """The request's method as the client sent it."""
    return str(environ.get(ORIGINAL_METHOD) or environ.get("REQUEST_METHOD", ""))


class HeadAsGet:
    """WSGI middleware: a HEAD request is served as a GET, its reply's status and headers sent, its
    body dropped (the app's iterable closed unread, as PEP 3333 asks)."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "HEAD":
            return self.app(environ, start_response)  # type: ignore[no-any-return]
        environ[ORIGINAL_METHOD], environ["REQUEST_METHOD"] = "HEAD", "GET"

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], Any]:
            start_response(status, headers, exc_info) if exc_info else start_response(status, headers)
            return lambda _data: None  # a body written through write() is dropped too

        result = self.app(environ, start)
        close = getattr(result, "close", None)
        if close is not None:
            close()
        return []


__all__ = ["ORIGINAL_METHOD", "HeadAsGet", "method"]
