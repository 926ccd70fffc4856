"""Exceptions. Each subclasses `PumaError` and the matching built-in, so callers can catch either."""

from __future__ import annotations

from typing import Any

from . import apperrors


class PumaError(Exception):
    """Base class of every error PUMA raises."""


class PumaConfigError(PumaError, ValueError):
    """The configuration is invalid. `problems` lists `(path, message)` pairs, one per problem.

    >>> str(PumaConfigError([("puma_services.policy", "'policy' is not a URL prefix")]))
    "invalid PUMA config (1 problem):\\n  puma_services.policy: 'policy' is not a URL prefix"
    """

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        lines = [f"  {path}: {message}" if path else f"  {message}" for path, message in problems]
        noun = "problem" if len(problems) == 1 else "problems"
        super().__init__(f"invalid PUMA config ({len(problems)} {noun}):\n" + "\n".join(lines))


class PumaScaleError(PumaError, ValueError):
    """`Deployment.scale` was asked for a count the service cannot have; the message names the
    service, the value and the fix.

    >>> str(PumaScaleError("policy", -1, "-1 is outside 1-256: ..."))
    "scale('policy', -1): -1 is outside 1-256: ..."
    """

    def __init__(self, service: str, count: object, problem: str) -> None:
        self.service = service
        self.count = count
        super().__init__(f"scale({service!r}, {count!r}): {problem}")


class PumaArgumentError(PumaError, TypeError, ValueError):
    """An argument of a call cannot be sent as JSON; raised by the caller, before anything is sent.

    Both a `TypeError` (a value of a type JSON cannot hold) and a `ValueError` (a value it cannot
    hold: NaN, bytes that are not UTF-8), as `json.dumps` raises either. `call` names the call
    (`"puma.remote('catalogue').search"`), `parameter` the argument ("" for a payload that is not
    an object), `path` where inside it (`"lines[0].product"`).
    """

    def __init__(self, call: str, parameter: str, path: str, why: str, fix: str) -> None:
        self.call, self.parameter, self.path, self.why, self.fix = call, parameter, path, why, fix
        what = f"argument {parameter!r}" if parameter else "the payload"
        where = "" if path == parameter else f"at {path}, "
        super().__init__(f"{call}: {what} cannot be sent: {where}{why}; {fix}")

    def __reduce__(self) -> tuple[type[PumaArgumentError], tuple[str, str, str, str, str]]:
        return type(self), (self.call, self.parameter, self.path, self.why, self.fix)


class PumaNotConfirmed(PumaError):
    """A change was sent but no answer confirmed it: it may or may not take effect (`puma scale` to
    a supervisor that is stopped). The CLI exits with `exit_code` (3), apart from errors (1)."""

    exit_code = 3


class PumaStartError(PumaError, RuntimeError):
    """A process of the deployment (Envoy or a service instance) failed to start."""


class PumaCallError(PumaError, RuntimeError):
    """A call through the mesh answered with an error status, or could not be made (`status` 0).

    A 4xx raises one of the subclasses below, so a caller can tell "my call was refused" from
    "the service is down": `except puma.PumaClientError`.
    """

    def __init__(self, service: str, status: int, detail: object, problems: list[dict[str, object]] | None = None,
                 *, may_have_taken_effect: bool = False, error_class: str | None = None,
                 raised: str | None = None, raised_at: str | None = None) -> None:
        self.service = service
        # The app's exception class the service raised, as "module:qualname" (see puma.apperrors), or None.
        self.error_class = error_class
        # The name of the exception class the function raised, and where ("service 'desk', instance
        # 2 (pid 4711, port 41234)"), when the service answered an exception of the function's own
        # (not PUMA's words about the call).
        self.raised, self.raised_at = raised, raised_at
        self.status = status
        self.detail = detail
        self.problems = problems or []
        # True when the service had the request and may have acted on it (its instance closed the
        # connection, or it timed out): re-sending is safe only if the call is idempotent.
        self.may_have_taken_effect = may_have_taken_effect
        # The callee's Retry-After in seconds, when it said one (set by `puma.client`); else None.
        self.retry_after_s: float | None = None
        # Status 0: no HTTP answer at all (nothing to call, unknown, unreachable), not an HTTP status.
        if raised:
            super().__init__(self._raised_text(raised, detail))
            return
        super().__init__(f"call to service {service!r} failed with HTTP {status}: {detail}" if status else
                         f"call to service {service!r} could not be made: {detail}")

    def _raised_text(self, raised: str, detail: object) -> str:
        """What the function raised, as it said it, and where: `NotOnShelf: isbn 7 is out (raised
        in service 'desk', instance 2, pid 4711; HTTP 404)`. The class's name leads only when the
        error is not that class already (a caller that has its module imported gets the app's own
        class, which Python's traceback names)."""
        where = f"raised in {self.raised_at or f'service {self.service!r}'}"
        named = "" if type(self).__name__ == raised else f"{raised}: "
        if self.status >= 500 and isinstance(detail, str) and detail.startswith(f"{raised}: "):
            return f"{detail} ({where}; HTTP {self.status})"  # a class of the app's own: its words, sent on purpose
        if self.status >= 500:  # a bug: its text stays in the service's log (it may hold a DSN, a path)
            return f"{named}its message is kept in the service's log ({where}; HTTP {self.status})"
        return f"{named}{detail} ({where}; HTTP {self.status})"

    @staticmethod
    def of(service: str, status: int, detail: object, problems: list[dict[str, object]] | None = None,
           *, may_have_taken_effect: bool = False, error_class: str | None = None,
           raised: str | None = None, raised_at: str | None = None) -> PumaCallError:
        """The error for an answer of `status`: a `PumaClientError` subclass for a 4xx; for a reply
        naming an app's exception class this process has imported, also that class (so
        `except NotOnShelf` catches it where the service raised `NotOnShelf`)."""
        kind: type[PumaCallError] = (_CLIENT_ERRORS.get(status, PumaClientError) if 400 <= status < 500
                                     else PumaCallError)
        if error_class is not None:
            kind = apperrors.rebuilt(kind, error_class)  # type: ignore[assignment]  # a subclass of kind
        return kind(service, status, detail, problems, may_have_taken_effect=may_have_taken_effect,
                    error_class=error_class, raised=raised, raised_at=raised_at)


SERVICE_FAILED_HEADER = "x-puma-service-failed"
"""Sent with the 503 of a service that has failed for good (puma.envoy's failed route): its value is the service."""


class PumaServiceFailed(PumaCallError):
    """The service has failed for good (its restart budget is spent): no retry can succeed until
    the deployment is restarted. A service calling it answers 500 naming it, without Retry-After."""


class PumaUnknownService(PumaCallError):
    """The mesh has no service of that name: a programming error (a misspelt name), not an outage."""


class PumaClientError(PumaCallError):
    """The service refused the call (4xx): `detail` is its message, `problems` its list of
    `{"parameter", "value", "expected", "message"}` when it named wrong or missing arguments."""


class PumaBadRequest(PumaClientError, ValueError):
    """The service answered 400 (or 413, 415, 422): the arguments are wrong; `detail` says which."""


class PumaNotFound(PumaClientError, LookupError):
    """The service answered 404: no such method, or the thing asked for does not exist."""


_CLIENT_ERRORS: dict[int, type[PumaClientError]] = {400: PumaBadRequest, 413: PumaBadRequest, 415: PumaBadRequest,
                                                    422: PumaBadRequest, 404: PumaNotFound}


PUBLIC_FIELD = "_public_error"  # an error body's words for a public client (`puma.publicerrors`)


class HTTPError(PumaError):
    """Raise from a service to answer with `status` (400-599) and a JSON body `{"error": message}`.

    A `status` outside 400-599 raises `ValueError` at once (an error reply needs an error status;
    return a `(body, status)` tuple or a `puma.Response` for any other).

    `public_message`: what a client of the public listener is told instead of `message`, when the
    message is for operators (a pid, an address, a command); without it, the public client gets
    `message` without such words (`puma.visibility.for_public`).

    >>> raise HTTPError(404, "unknown session 'abc'")  # doctest: +SKIP
    """

    def __init__(self, status: int, message: str, **extra: object) -> None:
        public_message = extra.pop("public_message", None)  # a keyword of its own: see above
        if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
            raise InvalidStatusError(f"HTTPError({status!r}, ...): an error's status must be an int in 400-599; "
                                     "return a (body, status) tuple or a puma.Response for any other status")
        self.status = status
        self.message = message
        self.extra = {**extra, PUBLIC_FIELD: public_message} if public_message else extra
        super().__init__(f"HTTP {status}: {message}")


class PumaMapError(PumaError, RuntimeError):
    """A chunk of a `puma_map` failed: `fn` raised, the payload was refused, or retries ran out.

    `chunk_index` is the chunk, `item_index` the position of the failing item in the input,
    `item` the item itself, `remote_traceback` the worker's traceback text (None when the failure
    was not an exception in `fn`), `status` the HTTP status (0 if no answer came).

    When `fn` raised an exception that says its status (an integer `status_code`, or an app's own
    `LookupError`/`ValueError`/`TypeError`, see `puma.apperrors`), `app_status`, `app_message` and
    `raised` (its class's name) carry what a direct call would have answered, and `error_class`
    names the class: the error is then that class too when this process has it imported, and a
    service answers it as it would the exception raised in it.
    """

    def __init__(self, message: str, *, chunk_index: int | None = None, item_index: int | None = None,
                 item: Any = None, remote_traceback: str | None = None, status: int = 0,
                 app_status: int | None = None, app_message: str | None = None, raised: str | None = None,
                 error_class: str | None = None) -> None:
        self.chunk_index = chunk_index
        self.item_index = item_index
        self.item = item
        self.remote_traceback = remote_traceback
        self.status = status
        self.app_status, self.app_message, self.raised, self.error_class = app_status, app_message, raised, error_class
        text = message if remote_traceback is None else f"{message}\n--- remote traceback ---\n{remote_traceback}"
        super().__init__(text)


class InvalidStatusError(PumaError, ValueError):
    """A service gave a status no reply of its kind can carry (`HTTPError(700)`, a tuple's 99):
    the service's fault, answered 500."""


def flat(text: str) -> str:
    """`text` with no parentheses inside parentheses: an inner "(x)" becomes ", x", so words relayed
    from hop to hop read as one level. ``flat("a (b (c); d)")`` is ``"a (b, c; d)"``."""
    out: list[str] = []
    depth = 0
    for char in text:
        if char == "(":
            depth += 1
            if depth > 1:
                while out and out[-1] == " ":
                    out.pop()
                out.append(", ")
                continue
        elif char == ")" and depth > 0:
            depth -= 1
            if depth > 0:
                continue
        out.append(char)
    return "".join(out)
