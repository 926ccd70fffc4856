"""The typed PUMA configuration: the paper's Figure 4 keys plus per-service settings. No IO.

`parse_config` accepts a dict or the JSON string the paper passes and returns a validated
`PumaConfig`, or raises one `PumaConfigError` listing every problem with its path.

>>> cfg = parse_config({"puma_services": {"agent": "/agent", "policy": {"prefix": "/policy",
...     "instances": {"min": 2, "max": 4}}}})
>>> cfg.puma_services["policy"].instances.min
2
"""

from __future__ import annotations

import json
import math
import re
import types
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from .envoytypes import envoy_range_problem
from .errors import PumaConfigError, PumaScaleError
from .media import DEFAULT_CONTENT_TYPES
from .suggest import did_you_mean

if TYPE_CHECKING:
    from pydantic_core import ErrorDetails

LbPolicy = Literal["round_robin", "least_request", "random", "ring_hash", "maglev"]
LB_POLICIES: tuple[LbPolicy, ...] = get_args(LbPolicy)
HASH_POLICIES = ("ring_hash", "maglev")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}
_PREFIX = re.compile(r"^/[A-Za-z0-9._~\-/]*$")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]*$")
_IMPORT_PATH = re.compile(r"^.*[^:]:[A-Za-z_][\w.]*(\(\))?$")
# An instance (waitress) closes a connection idle for INSTANCE_IDLE_TIMEOUT_S (checked every 30 s).
# Envoy must drop its pooled connections to instances sooner, or it may send a request on one the
# instance is closing at that moment (Envoy's "503 UC" on routes it may not retry).
INSTANCE_IDLE_TIMEOUT_S = 120.0
UPSTREAM_IDLE_TIMEOUT_S = 60.0
KNOWN_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
DEFAULT_METHODS = KNOWN_METHODS  # what an instance's dispatch serves; CONNECT, TRACE... never
_DNS_LABEL = re.compile(r"^[a-z]([a-z0-9\-]{0,38}[a-z0-9])?$")
_CPU = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(m)?\s*$")
MIN_CHECK_S = 0.01
# A media type as a request's Content-Type names it (what an instance compares, lower case, no
# parameters): 'json' or 'application/json; charset=utf-8' would never match one.
_MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+\-]*/[a-z0-9][a-z0-9!#$&^_.+\-]*$")
_MEDIA_HINTS = {"json": "application/json", "form": "application/x-www-form-urlencoded",
                "text": "text/plain", "multipart": "multipart/form-data", "xml": "application/xml",
                "csv": "text/csv", "html": "text/html", "yaml": "application/yaml",
                "binary": "application/octet-stream", "bytes": "application/octet-stream"}
# What Envoy's active health check asks each instance: answered on a thread of its own (puma.worker).
RESERVED_PREFIX = "/_puma"
LIVENESS_PATH = "/_puma/live"


def normal_path(path: str) -> str:
    """`path` as Envoy routes it (`normalize_path` and `merge_slashes`): '/a//b/./c/../d' -> '/a/b/d'."""
    segments: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if segments:
                segments.pop()
        elif segment not in ("", "."):
            segments.append(segment)
    return "/" + "/".join(segments)


def _seconds(value: Any) -> Any:
    """Durations may be numbers of seconds or strings such as "30s", "250ms", "5m"."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration; write seconds (2.5) or '2500ms', '30s', '5m'")
    if isinstance(value, str):
        match = _DURATION.match(value)
        if not match:
            raise ValueError(f"{value!r} is not a duration; write seconds (2.5) or '2500ms', '30s', '5m'")
        return float(match.group(1)) * _UNIT_S[match.group(2)]
    return value


MAX_SECONDS = 10 * 365 * 86400.0  # ten years: Envoy's durations end near 10,000 years; none is meant longer


def _envoy_duration(value: float) -> float:
    """A duration Envoy renders as meant: finite, at most MAX_SECONDS, and 0 or at least 1 ms
    (Envoy's configs are written to the millisecond: 0.0004 would be written 0, "no timeout")."""
    if not math.isfinite(value) or value > MAX_SECONDS:
        raise ValueError(f"{value:g} s is longer than any duration means here; give at most {MAX_SECONDS:g} s "
                         "(ten years)")
    if 0 < value < 0.001:
        raise ValueError(f"{value:g} s is below 1 ms, the resolution of Envoy's durations: it would be "
                         "written 0 (no timeout, or off); give at least 0.001 (1 ms)")
    return value


Seconds = Annotated[float, BeforeValidator(_seconds), Field(ge=0), AfterValidator(_envoy_duration)]


def _cores(value: Any) -> Any:
    """CPU may be a number of cores (0.5) or a Kubernetes quantity string ("500m", "2")."""
    if isinstance(value, str):
        match = _CPU.match(value)
        if not match:
            raise ValueError(f"{value!r} is not a CPU amount; write cores (0.5) or millicores ('500m')")
        return float(match.group(1)) / (1000 if match.group(2) else 1)
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 256:
        raise ValueError(f"{value} cores is more than a node has; for millicores write '{value}m'")
    return value


Cores = Annotated[float, BeforeValidator(_cores), Field(ge=0.001, le=256)]


def _fits_envoy(key: str) -> AfterValidator:
    """A check that a number fits the Envoy field `key` is rendered into (puma.envoytypes' table)."""
    def check(value: float) -> float:
        problem = envoy_range_problem(key, value)
        if problem is not None:
            raise ValueError(problem)
        return value
    return AfterValidator(check)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


MAX_INSTANCES = 32
"""Most instances of one service on one deployment: its config (`instances`, `instances.max`),
`Deployment.scale` and `puma scale` all stop here. Each is a forked process of ~30 MB: far more
would exhaust the host's processes and memory (the fork server would fail, and the stop wait for
thousands of drains)."""


def _instances_bound(value: int | None, key: str) -> None:
    if value is not None and value > MAX_INSTANCES:
        raise ValueError(f"{key} {value} is more than {MAX_INSTANCES} instances of one service on one host; "
                         f"give at most {MAX_INSTANCES}")


class Instances(_Model):
    """How many processes serve a service: `min` always run, the autoscaler may go up to `max`."""

    min: int = Field(1, ge=0)
    max: int | None = Field(None, ge=1)

    @model_validator(mode="after")
    def _max_not_below_min(self) -> Instances:
        _instances_bound(self.min, "min")
        _instances_bound(self.max, "max")
        if self.max is not None and self.max < self.min:
            raise ValueError(f"max {self.max} is below min ({self.min}); raise max or lower min")
        return self

    @property
    def upper(self) -> int:
        return self.max if self.max is not None else max(self.min, 1)


def _instances(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        if value > MAX_INSTANCES:
            raise ValueError(f"{value} is more than {MAX_INSTANCES} instances of one service on one host; give at "
                             f"most {MAX_INSTANCES} (spread more load over worker hosts: puma worker)")
        return {"min": value, "max": max(value, 1)}  # 0: started stopped (autoscaled, it is refused at start)
    if not isinstance(value, dict | Instances):
        raise ValueError("give a whole number of instances (2), or a range {'min': 1, 'max': 4}")
    return value


class HashOn(_Model):
    """What `ring_hash` / `maglev` hash on: a request header or a cookie (session affinity)."""

    header: str | None = None
    cookie: str | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> HashOn:
        if (self.header is None) == (self.cookie is None):
            raise ValueError("give exactly one of 'header' or 'cookie', e.g. {'header': 'x-session-id'}")
        return self


class Autoscale(_Model):
    """Autoscaling of one service between its `instances.min` and `instances.max`."""

    enabled: bool = True
    target_in_flight: float = Field(2.0, gt=0)
    upscale_delay_s: Seconds = 0.25  # a load step is answered in ~0.5 s; 0.5 made it ~0.8 s (bench autoscale)
    downscale_delay_s: Seconds = 10.0
    target_cpu_percent: int = Field(70, ge=1, le=1000, description="Kubernetes HPA only: average CPU "
                                    "use per pod as a percentage of its resources.cpu request")


class CircuitBreaker(_Model):
    """Envoy circuit breaker of one service's cluster: over these, requests get 503 at once."""

    max_connections: Annotated[int, Field(ge=1), _fits_envoy("max_connections")] = 1024
    max_pending_requests: Annotated[int, Field(ge=1), _fits_envoy("max_pending_requests")] = 1024
    max_requests: Annotated[int, Field(ge=1), _fits_envoy("max_requests")] = 1024
    max_retries: Annotated[int, Field(ge=0), _fits_envoy("max_retries")] = 64


class HealthCheck(_Model):
    """Envoy's active health check of each instance (GET /_puma/live, answered by the instance's
    network thread, apart from its busy request threads): after `unhealthy_threshold` failures in a
    row, Envoy stops routing to it, and PUMA replaces it if it is hung (no CPU progress between
    failed checks) or has failed for longer than the service's `timeout_s`. Each check costs ~0.1-0.3 ms of CPU in
    Envoy and as much in the instance, so an idle deployment pays instances / interval_s of them."""

    interval_s: Seconds = 10.0
    timeout_s: Seconds = 2.0  # a process just forked on a busy machine may wait ~1 s for a CPU
    unhealthy_threshold: Annotated[int, Field(ge=1), _fits_envoy("unhealthy_threshold")] = 2
    healthy_threshold: Annotated[int, Field(ge=1), _fits_envoy("healthy_threshold")] = 1

    @model_validator(mode="after")
    def _checkable(self) -> HealthCheck:
        for name in ("interval_s", "timeout_s"):
            if getattr(self, name) < MIN_CHECK_S:
                raise ValueError(f"{name} {getattr(self, name)} is below {MIN_CHECK_S} s; Envoy needs a positive "
                                 f"duration, e.g. {name}: {HealthCheck.model_fields[name].default}")
        if self.timeout_s > self.interval_s and "timeout_s" not in self.model_fields_set:
            # Only the interval was given (say 1 s): the default timeout shrinks to fit it.
            object.__setattr__(self, "timeout_s", self.interval_s)
        if self.timeout_s > self.interval_s:
            raise ValueError(f"timeout_s {self.timeout_s} is above interval_s {self.interval_s}; a check must "
                             "end before the next one starts: lower timeout_s or raise interval_s")
        return self


class Readiness(_Model):
    """A service's readiness check (Kubernetes' readiness probe, apart from liveness): the function
    at import path `check` (no arguments) is run in each instance every `period_s`, bounded by
    `timeout_s`; returning None or True means ready, False or raising means not ready (the
    exception's text is the reason). A not-ready instance answers Envoy's health check 503, so
    Envoy routes around it, and answers its requests 503 + Retry-After naming the service and the
    reason; it is never restarted for it (it answered: it is alive). Example:
    ``{"readiness": "app.store:ping"}`` or ``{"readiness": {"check": "app.store:ping", "period_s": 1}}``."""

    check: str = Field(description="import path 'module:function' of the check, e.g. 'app.store:ping'")
    period_s: Seconds = 2.0
    timeout_s: Seconds = 1.0

    @model_validator(mode="after")
    def _bounded(self) -> Readiness:
        for name in ("period_s", "timeout_s"):
            if getattr(self, name) < MIN_CHECK_S:
                raise ValueError(f"{name} {getattr(self, name)} is below {MIN_CHECK_S} s; give a positive "
                                 f"number of seconds, e.g. {name}: {Readiness.model_fields[name].default}")
        if ":" not in self.check:
            raise ValueError(f"check {self.check!r} is not an import path; give 'module:function', e.g. "
                             "'app.store:ping'")
        return self


def _readiness(value: Any) -> Any:
    return {"check": value} if isinstance(value, str) else value


class Resources(_Model):
    """What one instance needs, for container targets (Kubernetes requests and limits); the process
    backend does not enforce it. Memory limit defaults to the request; no CPU limit unless given."""

    cpu: Cores = 0.25
    memory_mib: int = Field(256, ge=4)
    cpu_limit: Cores | None = None
    memory_limit_mib: int | None = Field(None, ge=4)

    @model_validator(mode="after")
    def _limits_not_below_requests(self) -> Resources:
        if self.cpu_limit is not None and self.cpu_limit < self.cpu:
            raise ValueError(f"cpu_limit {self.cpu_limit:g} is below cpu ({self.cpu:g}); raise the limit or lower cpu")
        if self.memory_limit_mib is not None and self.memory_limit_mib < self.memory_mib:
            raise ValueError(f"memory_limit_mib {self.memory_limit_mib} is below memory_mib ({self.memory_mib}); "
                             "raise the limit or lower memory_mib")
        return self


class Service(_Model):
    """One micro-service: a URL prefix routed by Envoy to a set of instances of a Python callable."""

    prefix: str
    target: str | None = Field(None, description="import path 'module:function' or '/file.py:function'")
    instances: Annotated[Instances, BeforeValidator(_instances)] = Instances()
    timeout_s: Seconds = 15.0
    lb_policy: LbPolicy | None = None
    hash_on: HashOn | None = None
    idempotent: bool | tuple[str, ...] = Field(False, description="true: every request may be retried; a list "
                                               "of method names: those of an object service")
    max_body_bytes: Annotated[int, Field(ge=1, description="the largest request body, in bytes (1 MiB); "
                                         "a larger one is refused with 413 (see `too_large_message`)"),
                              _fits_envoy("max_body_bytes")] = 1 << 20
    threads: int = Field(8, ge=1, le=256)
    log_max_bytes: int = Field(32 << 20, ge=1 << 16, description="the cap on the service's log, in bytes (32 MiB): "
                               "past it, its newest lines move to <service>.log.1 and it starts again (puma.logcap)")
    content_types: tuple[str, ...] = DEFAULT_CONTENT_TYPES
    warmup: str | None = Field(None, description="'module:function' run once in the zygote before "
                               "instances fork, so every instance starts with what it loaded")
    cpu_bound: bool = Field(False, description="the instances mostly compute: they run SCHED_BATCH, so one "
                            "that wakes up never preempts Envoy or a caller (Linux)")
    autoscale: Autoscale | None = Field(None, description="default: on when instances.max > instances.min")
    circuit_breaker: CircuitBreaker = CircuitBreaker()
    health_check: HealthCheck = Field(default_factory=HealthCheck, description="Envoy's active health "
                                      "check of each instance: finds a hung one, which PUMA replaces")
    resources: Resources = Resources()
    readiness: Annotated[Readiness | None, BeforeValidator(_readiness)] = Field(None, description=(
        "a check of what the service needs (its database...): a not-ready instance is routed around "
        "and answers 503 naming the reason, but is not restarted"))
    visibility: Literal["public", "internal"] = Field("public", description=(
        "'internal': only other services reach it (puma.call), through Envoy's internal listener on "
        "loopback; the public listener answers 404 (Kubernetes' ClusterIP, Knative's cluster-local)"))
    methods: tuple[str, ...] = Field(DEFAULT_METHODS, description=(
        "HTTP methods the service takes; Envoy answers any other with 405 and an Allow header "
        "(HEAD comes with GET)"))
    stateful: bool = Field(False, description=(
        "the service keeps state in its process (an object's attributes, module globals): one instance "
        "only; `puma scale` refuses another, and a replaced instance is reported as having lost it"))

    @model_validator(mode="after")
    def _stateful_alone(self) -> Service:
        if self.stateful and (self.instances.min != 1 or self.instances.upper != 1):
            raise ValueError(f"stateful: true keeps one instance (its state lives in that process), but instances "
                             f"is {self.instances.min}-{self.instances.upper}; set instances: 1, or keep the state "
                             "in a store and remove stateful")
        return self

    @property
    def allowed_methods(self) -> tuple[str, ...]:
        """`methods` with HEAD added wherever GET is (a HEAD is a GET without its body)."""
        extra = ("HEAD",) if "GET" in self.methods and "HEAD" not in self.methods else ()
        return (*self.methods, *extra)

    @field_validator("methods")
    @classmethod
    def _methods_known(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [m for m in value if m not in KNOWN_METHODS]
        if unknown or not value:
            raise ValueError(f"{list(value)!r} are not HTTP methods a service takes; use some of "
                             f"{list(KNOWN_METHODS)} (upper case), e.g. ['POST']")
        return tuple(dict.fromkeys(value))

    @property
    def retries_all(self) -> bool:
        """Whether every request to the service may be re-sent (it is idempotent as a whole)."""
        return self.idempotent is True

    @property
    def idempotent_methods(self) -> tuple[str, ...]:
        """The methods marked idempotent one by one (empty when the whole service is)."""
        return () if isinstance(self.idempotent, bool) else self.idempotent

    def with_idempotent(self, methods: list[str] | tuple[str, ...]) -> Service:
        """This service with `methods` idempotent too ("" is the service itself); `self` if unchanged."""
        if self.retries_all or not methods:
            return self
        merged = tuple(sorted(set(self.idempotent_methods) | set(methods)))
        if "" in merged:
            return self.model_copy(update={"idempotent": True})
        return self if merged == self.idempotent_methods else self.model_copy(update={"idempotent": merged})

    def with_methods(self, taken: list[str] | tuple[str, ...]) -> Service:
        """This service with `methods` narrowed to those its target takes (`taken`; empty: any);
        `self` if unchanged, or if none of its methods is taken (its instances then answer 405)."""
        kept = tuple(m for m in self.methods if m in taken) if taken else self.methods
        return self if not kept or kept == self.methods else self.model_copy(update={"methods": kept})

    @property
    def autoscaled(self) -> bool:
        if self.autoscale is not None:
            return self.autoscale.enabled and self.instances.upper > self.instances.min
        return self.instances.upper > self.instances.min

    @property
    def autoscale_settings(self) -> Autoscale:
        return self.autoscale or Autoscale()

    @field_validator("prefix")
    @classmethod
    def _prefix_is_path(cls, value: str) -> str:
        if not _PREFIX.match(value):
            raise ValueError(f"{value!r} is not a URL prefix; write it like '/agent'")
        if value != "/" and value.endswith("/"):
            raise ValueError(f"{value!r} ends with '/'; write it like '{normal_path(value)}'")
        normal = normal_path(value)
        if normal != value:  # Envoy merges slashes and resolves dot segments before it routes
            raise ValueError(f"{value!r} is not a normalised path: Envoy routes every request by its normalised "
                             f"path (slashes merged, '.' and '..' resolved), so no request ever reaches it; "
                             f"write {normal!r}")
        if value.startswith(RESERVED_PREFIX):  # Envoy would send it to the status server, or shadow it
            raise ValueError(f"{value!r} is reserved for PUMA's own paths ({RESERVED_PREFIX}/status, "
                             f"{RESERVED_PREFIX}/ready...); choose a prefix not starting with {RESERVED_PREFIX}")
        return value

    @field_validator("target", "warmup")
    @classmethod
    def _target_is_import_path(cls, value: str | None) -> str | None:
        if value is not None and not _IMPORT_PATH.match(value):
            raise ValueError(f"{value!r} is not an import path; write 'package.module:function' (or ':Class', "
                             "or ':factory()' for a function that builds the service's object)")
        return value

    @field_validator("timeout_s")
    @classmethod
    def _timeout_positive(cls, value: float) -> float:
        if value <= 0:  # Envoy reads a route timeout of 0 as "no timeout": a hung call would wait forever
            raise ValueError(f"{value:g} would mean no timeout at all (Envoy's 0); give the longest a request "
                             "may take in seconds, e.g. 15, or a large number such as 3600 for long calls")
        return value

    @field_validator("content_types")
    @classmethod
    def _media_types(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [t for t in value if not _MEDIA_TYPE.match(t)]
        if bad or not value:
            hints = ", ".join(f"{t!r} -> {_MEDIA_HINTS.get(t.strip().lower(), 'type/subtype')!r}" for t in bad)
            raise ValueError(f"{list(value)!r}: {hints or 'an empty list refuses every body'}; list media types "
                             "as a Content-Type header names them (lower case, no parameters), e.g. "
                             "['application/json']")
        return tuple(dict.fromkeys(value))

    @field_validator("idempotent")
    @classmethod
    def _method_names(cls, value: bool | tuple[str, ...]) -> bool | tuple[str, ...]:
        if isinstance(value, bool):
            return value
        bad = [m for m in value if not m.isidentifier() or m.startswith("_")]
        if bad:
            raise ValueError(f"{bad} are not public method names; list methods like ['search', 'movie'], "
                             "or write true for the whole service")
        return tuple(sorted(set(value)))



def check_scale(name: str, service: Service, count: object) -> int:
    """`count` as the number of instances `Deployment.scale(name, count)` may set, or
    `PumaScaleError` naming the value and the fix. A service given a range (`instances: {min,
    max}`) stays within it, autoscaled or not; a service of a fixed size (`instances: 2`) may be
    set to any size from 1 (0 if it is 0) up to `MAX_INSTANCES`.
    Example: ``check_scale("policy", Service(prefix="/p", instances=2), 3)`` -> 3.
    """
    if type(count) is not int:
        raise PumaScaleError(name, count, f"{count!r} is not a whole number of instances; write scale({name!r}, 2)")
    if service.stateful and count != 1:
        raise PumaScaleError(name, count, f"the service is stateful (puma_services.{name}.stateful: true): its state "
                                          "lives in its one instance, and another would start from the state the "
                                          "zygote built, not this one's; keep the state in a store and remove "
                                          "stateful to scale it")
    bounds = service.instances
    if bounds.upper > bounds.min:
        low, high = bounds.min, bounds.upper
        fix = f"its config bounds it to instances {{'min': {low}, 'max': {high}}}; change those to allow it"
    else:
        low, high = min(1, bounds.min), MAX_INSTANCES
        fix = (f"a service of fixed size takes {low} to {high} instances"
               + ("; set instances.min to 0 to allow stopping it all" if low else ""))
    if not low <= count <= high:
        raise PumaScaleError(name, count, f"{count} is outside {low}-{high}: {fix}")
    return count


def _service(value: Any) -> Any:
    return {"prefix": value} if isinstance(value, str) else value


def _default_prefixes(services: Any) -> Any:
    # A service without a prefix is served at /<its name>.
    if not isinstance(services, dict):
        return services
    return {name: {"prefix": f"/{name}", **spec} if isinstance(spec, dict) and "prefix" not in spec else spec
            for name, spec in services.items()}


class Listener(_Model):
    """Where clients connect (`host`, `port`), and where services call each other: the internal
    listener, always on loopback for the process backend (`internal_port`, 0: a free port)."""

    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    internal_port: int = Field(0, ge=0, le=65535, description="the internal listener's port (0: any free one)")
    max_connections: Annotated[int, _fits_envoy("listener_max_connections")] = Field(10_000, ge=1, description="client connections Envoy holds at once, both "
                                 "listeners together; more are closed at once (keep it below Envoy's open-file limit)")
    pages: dict[str, str] = Field({"/": "the start page"}, description="the links (path -> what it is, e.g. "
                                  "{'/': 'the chat'}) on the page a browser gets for an address that is not "
                                  "one (404) or not to be opened (405)")

    @field_validator("pages")
    @classmethod
    def _pages_are_paths(cls, pages: dict[str, str]) -> dict[str, str]:
        bad = [p for p in pages if not re.fullmatch(r"/[A-Za-z0-9/_.~-]*", p)]
        if bad:
            raise ValueError(f"{bad[0]!r} is not a path of this deployment; write paths such as '/' or '/dashboard'")
        if any(re.search(r"[<>&%\"]", label) for label in pages.values()):
            raise ValueError("a page's label has one of < > & % \"; write it in plain words")
        return pages


_LISTENER_FORMS = "write it as {'host': '127.0.0.1', 'port': 8080} or as '127.0.0.1:8080'"


def _listener(value: Any) -> Any:
    """`listener` may be written "host:port" ("[::1]:8080" for IPv6) as well as an object."""
    if isinstance(value, str):
        host, sep, port = value.strip().rpartition(":")
        host = host.strip("[]")
        if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
            raise ValueError(f"{value!r} is not an address; {_LISTENER_FORMS}")
        return {"host": host, "port": int(port)}
    if not isinstance(value, dict | Listener):
        raise ValueError(f"{value!r} is not an address; {_LISTENER_FORMS}")
    return value


class AccessLogFilter(_Model):
    status_code_min: int | None = Field(None, ge=100, le=599)
    not_health_check: bool = True


class Logging(_Model):
    """Figure 4 `logging`: which access logger (`name`), its `config` and a `filter`."""

    name: Literal["file", "stdout", "stderr", "none"] = "file"
    config: dict[str, str] = Field(default_factory=dict, description="{'path': ..., 'format': ...}")
    filter: AccessLogFilter = AccessLogFilter()

    @field_validator("config")
    @classmethod
    def _known_config_keys(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - {"path", "format"})
        if unknown:
            raise ValueError(f"unknown key(s) {unknown}; allowed: 'path', 'format'")
        return value


class RateLimit(_Model):
    """Figure 4 `rate_limit`: a token bucket in Envoy; over it, requests get 429 with a JSON body."""

    requests_per_s: Annotated[float, Field(gt=0), _fits_envoy("requests_per_s")] = 100.0
    burst: Annotated[int, Field(ge=1), _fits_envoy("burst")] | None = None
    cluster_name: str | None = Field(None, description="limit only this service (default: all)")


class DynamoDB(_Model):
    """Figure 4 `dynamodb`: DynamoDB API calls (recognised by their `x-amz-target` header) go
    through Envoy to `endpoint`; with `local`, PUMA starts a moto server and uses it as the endpoint."""

    endpoint: str | None = Field(None, description="e.g. https://dynamodb.eu-west-1.amazonaws.com")
    region: str = "us-east-1"
    local: bool | None = Field(None, description="start a local moto server (default: when no endpoint is given)")
    config: dict[str, Any] = Field(default_factory=dict, description="extra boto3 client arguments")

    @property
    def start_local(self) -> bool:
        return self.local if self.local is not None else self.endpoint is None

    @model_validator(mode="after")
    def _endpoint_or_local(self) -> DynamoDB:
        if self.endpoint is None and self.local is False:
            raise ValueError("give an 'endpoint' (e.g. 'https://dynamodb.us-east-1.amazonaws.com') or set 'local': true")
        if self.endpoint is not None and not self.endpoint.startswith(("http://", "https://")):
            raise ValueError(f"endpoint {self.endpoint!r} must start with http:// or https://")
        return self


class Job(_Model):
    """A command run to completion before the services take traffic (a migration, a data load).

    Every target runs `jobs` in order before the services serve: Kubernetes as one Job (each step
    an init container), `puma run` as child processes whose output goes to a log. `local: false`
    leaves a job to container targets, for an app whose services do the same step themselves
    when they start on one machine (the chatbot's db service prepares its database).
    """

    name: str
    command: list[str] = Field(description="argv, run without a shell, e.g. ['chatbot', 'db', 'upgrade']")
    local: bool = Field(True, description="false: `puma run` skips it (container targets only)")

    @field_validator("name")
    @classmethod
    def _name_is_dns_label(cls, value: str) -> str:
        if not _DNS_LABEL.match(value):
            raise ValueError(f"{value!r} is not a job name; use lowercase letters, digits and '-' "
                             "(up to 40, starting with a letter), e.g. 'migrate'")
        return value

    @field_validator("command")
    @classmethod
    def _command_is_argv(cls, value: list[str]) -> list[str]:
        if not value or not all(arg.strip() for arg in value):
            raise ValueError(f"{value!r} is not a command; give its arguments as a list of non-empty "
                             "strings, e.g. ['chatbot', 'db', 'upgrade']")
        return value


class RouteConfig(_Model):
    name: str = "puma"
    virtual_host: str = "puma"
    domains: list[str] = Field(default_factory=lambda: ["*"])


class Tracing(_Model):
    random_sampling: float = Field(100.0, ge=0, le=100)


class HttpConnectionManager(_Model):
    """Figure 4 `http_connection_manager`."""

    idle_timeout: Seconds = Field(60.0, gt=0, description="a client connection with no request in progress "
                                  "(one that sends nothing, or kept alive idle) is closed after this long")
    drain_timeout: Seconds = 5.0
    request_headers_timeout: Seconds = Field(10.0, description="a client must send all its headers within "
                                             "this long (slowloris), else 408; 0 turns it off")
    request_timeout: Seconds = Field(30.0, description="a client must send its whole request, body included, "
                                     "within this long (a stalled body), else 408; 0 turns it off")
    route_config: RouteConfig = RouteConfig()
    tracing: Tracing | None = None
    http_filters: list[dict[str, Any]] = Field(default_factory=list)
    rds: bool = True
    max_request_bytes: Annotated[int, Field(ge=1), _fits_envoy("max_request_bytes")] = 1 << 20


class PumaConfig(_Model):
    """The whole deployment. Keys follow the paper's Figure 4."""

    load_balancer: LbPolicy = "round_robin"
    logging: Logging = Logging()
    rate_limit: RateLimit | None = None
    dynamodb: DynamoDB | None = None
    puma_services: Annotated[dict[str, Annotated[Service, BeforeValidator(_service)]],
                             BeforeValidator(_default_prefixes)] = Field(default_factory=dict)
    http_connection_manager: HttpConnectionManager = HttpConnectionManager()
    listener: Annotated[Listener, BeforeValidator(_listener)] = Listener()
    admin_port: int = Field(0, ge=0, le=65535, description="0 picks a free port")
    secret: str | None = Field(None, description="HMAC key for pickled payloads (else $PUMA_SECRET)")
    # Each Envoy worker thread balances on its own: with two, two requests sent together can both go
    # to the same instance under round robin. One thread keeps the rotation exact and proxies a few
    # thousand requests/s, more than Python instances on a small machine serve; raise it when Envoy
    # itself is the bottleneck.
    envoy_concurrency: int = Field(1, ge=1, le=256, description="Envoy worker threads (--concurrency)")
    jobs: list[Job] = Field(default_factory=list, description="run to completion, in order, before the "
                            "services serve")

    @field_validator("jobs")
    @classmethod
    def _job_names_unique(cls, jobs: list[Job]) -> list[Job]:
        names = [job.name for job in jobs]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"job name(s) {twice} used more than once; give each job its own name")
        return jobs

    @field_validator("puma_services")
    @classmethod
    def _names_and_prefixes(cls, services: dict[str, Service]) -> dict[str, Service]:
        seen: dict[str, str] = {}
        for name, service in services.items():
            if not _NAME.match(name):
                raise ValueError(f"service name {name!r} must start with a letter and use [A-Za-z0-9_-]")
            if service.prefix in seen:
                raise ValueError(f"{name!r} and {seen[service.prefix]!r} share the prefix {service.prefix!r}; give each its own")
            seen[service.prefix] = name
        return services

    @model_validator(mode="after")
    def _hash_policies_need_hash_on(self) -> PumaConfig:
        for name, service in self.puma_services.items():
            if service.hash_on is not None and self.lb_policy(name) not in HASH_POLICIES:
                raise ValueError(f"puma_services.{name}.hash_on needs lb_policy 'ring_hash' or 'maglev'")
        return self

    def lb_policy(self, name: str) -> str:
        return self.puma_services[name].lb_policy or self.load_balancer

    def replace_service(self, name: str, service: Service | None) -> PumaConfig:
        """A copy with service `name` added, changed, or (with None) removed."""
        services = dict(self.puma_services)
        if service is None:
            services.pop(name, None)
        else:
            services[name] = service
        return self.model_copy(update={"puma_services": services})


def parse_config(conf: dict[str, Any] | str | PumaConfig) -> PumaConfig:
    """Validate `conf` (dict, JSON string or `PumaConfig`); raise `PumaConfigError` listing every problem."""
    if isinstance(conf, PumaConfig):
        return conf
    if isinstance(conf, str | bytes):
        try:
            conf = json.loads(conf)
        except json.JSONDecodeError as exc:
            raise PumaConfigError([("", f"config is not valid JSON: {exc}")]) from None
    if not isinstance(conf, dict):
        raise PumaConfigError([("", f"config must be a JSON object or dict, not {type(conf).__name__}")])
    conf = _accept_paper_spelling(conf)
    try:
        return PumaConfig.model_validate(conf)
    except ValidationError as exc:
        raise PumaConfigError([_problem(err) for err in exc.errors()]) from None


def _accept_paper_spelling(conf: dict[str, Any]) -> dict[str, Any]:
    # The paper's Listing 2 writes 'puma-services'; accept it as an alias of Figure 4's key.
    if "puma-services" in conf and "puma_services" not in conf:
        conf = {("puma_services" if k == "puma-services" else k): v for k, v in conf.items()}
    return conf


def _problem(err: ErrorDetails) -> tuple[str, str]:
    path = ".".join(str(p) for p in err["loc"] if not str(p).startswith("function-"))
    value = err.get("input")
    if err["type"] == "extra_forbidden":
        known = _keys_at([p for p in err["loc"][:-1] if not str(p).startswith("function-")])
        hint = did_you_mean(str(err["loc"][-1]), known) if known else ""
        return path, f"unknown key (value {value!r}){hint or '; remove it or check its spelling'}" + (
            f" (its keys: {', '.join(known)})" if known and not hint else "")
    message = err["msg"].removeprefix("Value error, ")
    if err["type"] in {"missing"}:
        return path, "required key is missing"
    if err["type"] in {"model_type", "model_attributes_type", "dataclass_type", "dict_type"}:
        # pydantic names its own classes here ("instance of Instances"): say it in JSON's terms
        message = f"expected a JSON object {{...}} of this key's settings, not {_json_kind(value)}"
    if isinstance(value, dict | list) or message.startswith(repr(value)):
        return path, message
    return path, f"{value!r}: {message}"


def _keys_at(loc: list[Any]) -> list[str]:
    """The keys the config takes at `loc` (`["puma_services", "db"]` -> a service's keys); [] when
    it cannot be followed."""
    hint: Any = PumaConfig
    for step in loc:
        hint = _one_choice(hint)
        if get_origin(hint) is dict:
            hint = get_args(hint)[1]
        elif isinstance(hint, type) and issubclass(hint, BaseModel):
            field = next((f for n, f in hint.model_fields.items() if step in (n, f.alias)), None)
            if field is None:
                return []
            hint = field.annotation
        else:
            return []
    hint = _one_choice(hint)
    if isinstance(hint, type) and issubclass(hint, BaseModel):
        return sorted(f.alias or n for n, f in hint.model_fields.items())
    return []


def _one_choice(hint: Any) -> Any:
    """`hint` without `Annotated` and, for a union, its one choice that has keys (a model or a dict)."""
    while get_origin(hint) is Annotated:
        hint = get_args(hint)[0]
    if get_origin(hint) in (Union, types.UnionType):
        keyed = [a for a in map(_one_choice, get_args(hint))
                 if get_origin(a) is dict or (isinstance(a, type) and issubclass(a, BaseModel))]
        return keyed[0] if len(keyed) == 1 else None
    return hint


def _json_kind(value: Any) -> str:
    kinds = [(bool, "true/false"), (int, "a number"), (float, "a number"), (str, "a string"), (list, "a list")]
    return next((name for kind, name in kinds if isinstance(value, kind)), "null" if value is None else "this")
def unregistered_problems(targets: Mapping[str, Any]) -> list[tuple[str, str]]:
    """One problem per configured service with no function (`targets`: name -> its target or None),
    each suggesting the closest registered name: what `puma run`, `puma render` and `App.start`
    all refuse, in one list with the config's other problems (`App.resolved_config`). Example:
    `unregistered_problems({"linkstore": None, "link_store": "app:Store"})` -> [("puma_services.linkstore",
    "no function registered; ...; did you mean 'link_store'? (registered: link_store)")]."""
    registered = sorted(n for n, target in targets.items() if target is not None)
    return [(f"puma_services.{name}", "no function registered; pass it to puma_service({...}) or set 'target': "
             f"'module:function'{_registered_hint(name, registered)}") for name, target in targets.items()
            if target is None]


def _registered_hint(name: str, registered: list[str]) -> str:
    """"; did you mean 'sensors'? (registered: advice, sensors)" for a configured name that names no
    registered service, as when `puma_service(module)` names a class `Sensors` /sensors."""
    if not registered:
        return ""
    from rapidfuzz import fuzz, process

    close = process.extractOne(name, registered, scorer=fuzz.ratio, score_cutoff=60)
    guess = f"; did you mean {close[0]!r}?" if close else ""
    return f"{guess} (registered: {', '.join(registered)})"


def too_large_message(name: str, max_body_bytes: int) -> str:
    """What a 413 says: the service's limit in bytes and the config key that raises it, e.g.
    "request body is too large: service 'db' takes at most 1048576 bytes; raise
    puma_services.db.max_body_bytes in the config if such bodies should be accepted"."""
    return (f"request body is too large: service {name!r} takes at most {max_body_bytes} bytes; raise "
            f"puma_services.{name}.max_body_bytes in the config if such bodies should be accepted")


