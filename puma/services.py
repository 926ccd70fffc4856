"""A service's settings in the config (`puma_services.<name>`): its prefix and target, how many
instances serve it and how they scale, Envoy's checks and limits of it, what it accepts. No IO.
The deployment around the services (listener, logging, jobs...) is `puma.config`.

>>> Service(prefix="/policy", instances={"min": 2, "max": 4}).autoscaled
True
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, get_args

from pydantic import BeforeValidator, Field, PrivateAttr, field_validator, model_validator

from .defaults import MAX_INSTANCES as MAX_INSTANCES  # the bound, re-exported where it is enforced
from .errors import PumaScaleError
from .fields import CheckSeconds, ConfigModel, Cores, Names, Seconds, fits_envoy, normal_path
from .media import DEFAULT_CONTENT_TYPES
from .suggest import closest

LbPolicy = Literal["round_robin", "least_request", "random", "ring_hash", "maglev"]
LB_POLICIES: tuple[LbPolicy, ...] = get_args(LbPolicy)
HASH_POLICIES = ("ring_hash", "maglev")
_PREFIX = re.compile(r"^/[A-Za-z0-9._~\-/]*$")
_IMPORT_PATH = re.compile(r"^.*[^:]:([A-Za-z_][\w.]*(\(\))?|\*)$")  # ':*': a module's functions
KNOWN_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
DEFAULT_METHODS = KNOWN_METHODS  # what an instance's dispatch serves; CONNECT, TRACE... never
# A media type as a request's Content-Type names it (what an instance compares, lower case, no
# parameters): 'json' or 'application/json; charset=utf-8' would never match one.
_MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+\-]*/[a-z0-9][a-z0-9!#$&^_.+\-]*$")
_WILDCARD = re.compile(r"^(\*|[a-z0-9][a-z0-9!#$&^_.+\-]*)/\*$")  # 'text/*', '*/*'
_MEDIA_HINTS = {"json": "application/json", "form": "application/x-www-form-urlencoded",
                "text": "text/plain", "multipart": "multipart/form-data", "xml": "application/xml",
                "csv": "text/csv", "html": "text/html", "yaml": "application/yaml",
                "binary": "application/octet-stream", "bytes": "application/octet-stream"}
# What Envoy's active health check asks each instance: answered on a thread of its own (puma.worker).
RESERVED_PREFIX = "/_puma"
LIVENESS_PATH = "/_puma/live"


def _instances_bound(value: int | None, key: str) -> None:
    if value is not None and value > MAX_INSTANCES:
        raise ValueError(f"{key} {value} is more than {MAX_INSTANCES} instances of one service on one host; "
                         f"give at most {MAX_INSTANCES}")


class Instances(ConfigModel):
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


class HashOn(ConfigModel):
    """What `ring_hash` / `maglev` hash on: a request header or a cookie (session affinity)."""

    header: str | None = None
    cookie: str | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> HashOn:
        if (self.header is None) == (self.cookie is None):
            raise ValueError("give exactly one of 'header' or 'cookie', e.g. {'header': 'x-session-id'}")
        return self


class Autoscale(ConfigModel):
    """Autoscaling of one service between its `instances.min` and `instances.max`."""

    enabled: bool = True
    target_in_flight: float = Field(2.0, gt=0)
    upscale_delay_s: Seconds = 0.25  # a load step is answered in ~0.5 s; 0.5 made it ~0.8 s (bench autoscale)
    downscale_delay_s: Seconds = 10.0
    target_cpu_percent: int = Field(70, ge=1, le=1000, description="Kubernetes HPA only: average CPU "
                                    "use per pod as a percentage of its resources.cpu request")


class CircuitBreaker(ConfigModel):
    """Envoy circuit breaker of one service's cluster: over these, requests get 503 at once."""

    max_connections: Annotated[int, Field(ge=1), fits_envoy("max_connections")] = 1024
    max_pending_requests: Annotated[int, Field(ge=1), fits_envoy("max_pending_requests")] = 1024
    max_requests: Annotated[int, Field(ge=1), fits_envoy("max_requests")] = 1024
    max_retries: Annotated[int, Field(ge=0), fits_envoy("max_retries")] = 64


class HealthCheck(ConfigModel):
    """Envoy's active health check of each instance (GET /_puma/live, answered by the instance's
    network thread, apart from its busy request threads): after `unhealthy_threshold` failures in a
    row, Envoy stops routing to it, and PUMA replaces it if it is hung (no CPU progress between
    failed checks) or has failed for longer than the service's `timeout_s`. Each check costs ~0.1-0.3 ms of CPU in
    Envoy and as much in the instance, so an idle deployment pays instances / interval_s of them."""

    interval_s: CheckSeconds = 10.0
    timeout_s: CheckSeconds = 2.0  # a process just forked on a busy machine may wait ~1 s for a CPU
    unhealthy_threshold: Annotated[int, Field(ge=1), fits_envoy("unhealthy_threshold")] = 2
    healthy_threshold: Annotated[int, Field(ge=1), fits_envoy("healthy_threshold")] = 1

    @model_validator(mode="after")
    def _checkable(self) -> HealthCheck:
        if self.timeout_s > self.interval_s and "timeout_s" not in self.model_fields_set:
            # Only the interval was given (say 1 s): the default timeout shrinks to fit it.
            object.__setattr__(self, "timeout_s", self.interval_s)
        if self.timeout_s > self.interval_s:
            raise ValueError(f"timeout_s {self.timeout_s} is above interval_s {self.interval_s}; a check must "
                             "end before the next one starts: lower timeout_s or raise interval_s")
        return self


class Readiness(ConfigModel):
    """A service's readiness check (Kubernetes' readiness probe, apart from liveness): the function
    at import path `check` (no arguments) is run in each instance every `period_s`, bounded by
    `timeout_s`; returning None or True means ready, False or raising means not ready (the
    exception's text is the reason). A not-ready instance answers Envoy's health check 503, so
    Envoy routes around it, and answers its requests 503 + Retry-After naming the service and the
    reason; it is never restarted for it (it answered: it is alive). A check that does not answer
    within `timeout_s`, or fails by a timeout of its own (`TimeoutError`), makes it not ready only after
    `failure_threshold` such runs in a row. Example:
    ``{"readiness": "app.store:ping"}`` or ``{"readiness": {"check": "app.store:ping", "period_s": 1}}``."""

    check: str = Field(description="import path 'module:function' of the check, e.g. 'app.store:ping'")
    period_s: CheckSeconds = 2.0
    timeout_s: CheckSeconds = 1.0
    # Kubernetes' failureThreshold, for checks that do not answer: on a loaded machine one 1 s check
    # of a healthy store can be late on every instance at once, which took the whole service out.
    # A check that answers "not ready" (False, or raises) counts at once: it is an answer; one that
    # raised a TimeoutError (or an error raised from one) was slow, and counts as a late run.
    failure_threshold: Annotated[int, Field(ge=1, le=100)] = 3

    @model_validator(mode="after")
    def _bounded(self) -> Readiness:
        if ":" not in self.check:
            raise ValueError(f"check {self.check!r} is not an import path; give 'module:function', e.g. "
                             "'app.store:ping'")
        return self


def _method_list(value: Any) -> Any:
    """`idempotent` may name one method as a string ('search' is ['search']); 'true'/'false' stay booleans."""
    if isinstance(value, str) and value.strip().lower() not in ("true", "false"):
        return (value,)
    return value


def _prefix_like(value: str) -> str:
    """The prefix `value` was most likely meant as ("loans" -> "/loans", "my loans" -> "/my-loans"),
    or "/agent" when nothing of it can be kept."""
    parts = ["-".join(re.findall(r"[A-Za-z0-9._~\-]+", part)) for part in value.split("/")]
    kept = [part for part in parts if part]
    return "/" + "/".join(kept) if kept else "/agent"


def _readiness(value: Any) -> Any:
    return {"check": value} if isinstance(value, str) else value


class Resources(ConfigModel):
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


class Service(ConfigModel):
    """One micro-service: a URL prefix routed by Envoy to a set of instances of a Python callable."""

    prefix: str
    target: str | None = Field(None, description="import path 'module:function' or '/file.py:function'")
    instances: Annotated[Instances, BeforeValidator(_instances)] = Instances()
    timeout_s: Seconds = 15.0
    lb_policy: LbPolicy | None = None
    hash_on: HashOn | None = None
    idempotent: Annotated[bool | tuple[str, ...], BeforeValidator(_method_list)] = Field(False, description="true: every request may be retried; a list "
                                               "of method names: those of an object service")
    max_body_bytes: Annotated[int, Field(ge=1, description="the largest request body, in bytes (1 MiB); "
                                         "a larger one is refused with 413 (see `too_large_message`)"),
                              fits_envoy("max_body_bytes")] = 1 << 20
    threads: int = Field(8, ge=1, le=256)
    log_max_bytes: int = Field(32 << 20, ge=1 << 16, le=1 << 40, description="the cap on the service's log, in bytes (32 MiB): "
                               "past it, its newest lines move to <service>.log.1 and it starts again (puma.logcap)")
    content_types: Names = Field(DEFAULT_CONTENT_TYPES, description=(
        "media types a handler that reads the whole body (request: puma.Request) takes, besides JSON and "
        "forms, which every service takes: ['*/*'] (the default) any, ['text/csv'] that one, 'text/*' "
        "every text type, [] none (puma.media)"))
    warmup: str | None = Field(None, description="'module:function' run once in the zygote before "
                               "instances fork, so every instance starts with what it loaded")
    startup_timeout_s: Seconds | None = Field(None, description="how long its zygote may go without reporting "
                                              "progress while it starts (importing its module, warming up) before "
                                              "the start fails; default: the deployment's (60 s)")
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
    methods: Names = Field(DEFAULT_METHODS, description=(
        "HTTP methods the service takes; Envoy answers any other with 405 and an Allow header "
        "(HEAD comes with GET)"))
    _narrowed: bool = PrivateAttr(False)
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

    @property
    def takes_get(self) -> bool:
        """The config lists GET itself (not the default list): its bound functions then take GET
        with query parameters too, where each parameter is one a query string can carry."""
        # Told by its value, not by pydantic's fields-set, which a dump re-validated (a worker host's
        # copy, puma.workers) fills in: the default list is every method, which no one writes out.
        return "GET" in self.methods and set(self.methods) != set(DEFAULT_METHODS)

    @field_validator("methods")
    @classmethod
    def _methods_known(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [m for m in value if m not in KNOWN_METHODS]
        if unknown or not value:
            meant = [m.upper() if m.upper() in KNOWN_METHODS else closest(m.upper(), KNOWN_METHODS) for m in unknown]
            hint = f" (did you mean {[m or '?' for m in meant]!r}?)" if any(meant) else ""
            raise ValueError(f"{list(value)!r} are not HTTP methods a service takes{hint}; use some of "
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
        if not kept or kept == self.methods:
            return self
        narrowed = self.model_copy(update={"methods": kept})
        narrowed._narrowed = True
        return narrowed

    @property
    def narrowed(self) -> bool:
        """PUMA narrowed `methods` to those its target takes (not the config): Envoy's 405 then
        says how to take GET too."""
        return self._narrowed

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
            raise ValueError(f"{value!r} is not a URL prefix; write it like {_prefix_like(value)!r}")
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
                             "or ':factory()' for a function that builds the service's object, or ':*' for a module's functions)")
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
        bad = [t for t in value if not _MEDIA_TYPE.match(t) and not _WILDCARD.match(t)]
        if bad:
            hints = ", ".join(f"{t!r} -> {_MEDIA_HINTS.get(t.strip().lower(), 'type/subtype')!r}" for t in bad)
            raise ValueError(f"{list(value)!r}: {hints}; list media types as a Content-Type header names them "
                             "(lower case, no parameters), e.g. ['text/csv'], or 'text/*' for every text type")
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


def get_hint(name: str) -> str:
    """How service `name` takes GET with query parameters: a 405's advice (an instance's, Envoy's)."""
    return ('to call it with GET and query parameters (?name=value, a list as a repeated name), list GET in '
            f'puma_services.{name}.methods: ["GET", "POST"] (each parameter text, a number, a bool, or a list of them)')


def too_large_message(name: str, max_body_bytes: int) -> str:
    """What a 413 says: the service's limit in bytes, what its client can do, and the config key that
    raises it (left out for a public client: `puma.visibility`), e.g. "request body is too large:
    service 'db' takes at most 1048576 bytes; send a smaller body (split it into several requests);
    raise puma_services.db.max_body_bytes in the config if such bodies should be accepted"."""
    return (f"request body is too large: service {name!r} takes at most {max_body_bytes} bytes; send a smaller body "
            f"(split it into several requests); raise puma_services.{name}.max_body_bytes in the config if such "
            "bodies should be accepted")
