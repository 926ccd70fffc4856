"""Exceptions. Each subclasses `PumaError` and the matching built-in, so callers can catch either."""

from __future__ import annotations


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


class PumaStartError(PumaError, RuntimeError):
    """A process of the deployment (Envoy or a service instance) failed to start."""


class PumaCallError(PumaError, RuntimeError):
    """A call through the mesh answered with an error status, or could not be made."""

    def __init__(self, service: str, status: int, detail: object) -> None:
        self.service = service
        self.status = status
        self.detail = detail
        super().__init__(f"call to service {service!r} failed with HTTP {status}: {detail}")


class HTTPError(PumaError):
    """Raise from a service to answer with `status` and a JSON body `{"error": message}`.

    >>> raise HTTPError(404, "unknown session 'abc'")  # doctest: +SKIP
    """

    def __init__(self, status: int, message: str, **extra: object) -> None:
        self.status = status
        self.message = message
        self.extra = extra
        super().__init__(f"HTTP {status}: {message}")
