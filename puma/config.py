"""The typed PUMA configuration: the paper's Figure 4 keys (the deployment: listener, logging,
rate limit, DynamoDB, Envoy's connection manager, jobs) around the per-service settings of
`puma.services`. No IO.

`parse_config` accepts a dict or the JSON string the paper passes and returns a validated
`PumaConfig`, or raises one `PumaConfigError` listing every problem with its path
(`puma.configproblems` words them).

>>> cfg = parse_config({"puma_services": {"agent": "/agent", "policy": {"prefix": "/policy",
...     "instances": {"min": 2, "max": 4}}}})
>>> cfg.puma_services["policy"].instances.min
2
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, ValidationError, field_validator, model_validator

from .configproblems import problem
from .errors import PumaConfigError
from .fields import ConfigModel, Names, Seconds, fits_envoy
from .services import HASH_POLICIES, LbPolicy

# Moved to puma.services; re-exported (`X as X`) for code outside the split that imports them from
# here: the tests, and puma.envoy, puma.health, puma.serving and puma.status.
from .services import LB_POLICIES as LB_POLICIES
from .services import LIVENESS_PATH as LIVENESS_PATH
from .services import MAX_INSTANCES as MAX_INSTANCES
from .services import Service as Service
from .services import check_scale as check_scale
from .services import too_large_message as too_large_message
from .suggest import did_you_mean

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]*$")
_DNS_LABEL = re.compile(r"^[a-z]([a-z0-9\-]{0,38}[a-z0-9])?$")
# An instance (waitress) closes a connection idle for INSTANCE_IDLE_TIMEOUT_S (checked every 30 s).
# Envoy must drop its pooled connections to instances sooner, or it may send a request on one the
# instance is closing at that moment (Envoy's "503 UC" on routes it may not retry).
INSTANCE_IDLE_TIMEOUT_S = 120.0
UPSTREAM_IDLE_TIMEOUT_S = 60.0


def _service(value: Any) -> Any:
    return {"prefix": value} if isinstance(value, str) else value


def _default_prefixes(services: Any) -> Any:
    # A service without a prefix is served at /<its name>.
    if not isinstance(services, dict):
        return services
    return {name: {"prefix": f"/{name}", **spec} if isinstance(spec, dict) and "prefix" not in spec else spec
            for name, spec in services.items()}


class Listener(ConfigModel):
    """Where clients connect (`host`, `port`), and where services call each other: the internal
    listener, always on loopback for the process backend (`internal_port`, 0: a free port)."""

    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    internal_port: int = Field(0, ge=0, le=65535, description="the internal listener's port (0: any free one)")
    max_connections: Annotated[int, fits_envoy("listener_max_connections")] = Field(10_000, ge=1, description="client connections Envoy holds at once, both "
                                 "listeners together; more are closed at once (keep it below Envoy's open-file limit)")
    pages: dict[str, str] = Field({"/": "the start page"}, description="the links (path -> what it is, e.g. "
                                  "{'/': 'the chat'}) on the page a browser gets for an address that is not "
                                  "one (404) or not to be opened (405); those set are linked from /_puma/dashboard too")

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


def listener_fields(value: Any) -> dict[str, Any]:
    """The listener's settings as a dict, whichever form it is written in; `ValueError` when it is
    none (`"127.0.0.1:8080"` -> `{"host": "127.0.0.1", "port": 8080}`)."""
    value = _listener(value)
    return value.model_dump(exclude_unset=True) if isinstance(value, Listener) else dict(value)


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


class AccessLogFilter(ConfigModel):
    status_code_min: int | None = Field(None, ge=100, le=599)
    not_health_check: bool = True


class Logging(ConfigModel):
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


class RateLimit(ConfigModel):
    """Figure 4 `rate_limit`: a token bucket in Envoy; over it, requests get 429 with a JSON body."""

    requests_per_s: Annotated[float, Field(gt=0), fits_envoy("requests_per_s")] = 100.0
    burst: Annotated[int, Field(ge=1), fits_envoy("burst")] | None = None
    cluster_name: str | None = Field(None, description="limit only this service (default: all)")


class DynamoDB(ConfigModel):
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


def _argv(line: str) -> list[str]:
    import shlex

    try:
        return shlex.split(line) or ["program", "argument"]
    except ValueError:  # an unclosed quote
        return line.split() or ["program", "argument"]


class Job(ConfigModel):
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

    @field_validator("command", mode="before")
    @classmethod
    def _command_is_a_list(cls, value: Any) -> Any:
        if isinstance(value, str):  # run without a shell: a string would be one program named by the whole line
            raise ValueError(f"{value!r} is one string; a job's command is the list of its arguments (run without "
                             f"a shell): write {_argv(value)!r}")
        return value

    @field_validator("command")
    @classmethod
    def _command_is_argv(cls, value: list[str]) -> list[str]:
        if not value or not all(arg.strip() for arg in value):
            raise ValueError(f"{value!r} is not a command; give its arguments as a list of non-empty "
                             "strings, e.g. ['chatbot', 'db', 'upgrade']")
        return value


class RouteConfig(ConfigModel):
    name: str = "puma"
    virtual_host: str = "puma"
    domains: Names = ("*",)


class Tracing(ConfigModel):
    random_sampling: float = Field(100.0, ge=0, le=100)


class HttpConnectionManager(ConfigModel):
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
    max_request_bytes: Annotated[int, Field(ge=1), fits_envoy("max_request_bytes")] = 1 << 20


class PumaConfig(ConfigModel):
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
    # A module named by puma_service: its functions as one service (one zygote and one instance
    # process for them all), or each its own, to be scaled apart (`puma.discovery`).
    module_functions: Literal["together", "apart"] = Field("together", description="a named module's functions "
                                                          "as one service at /<module>/<function>, or each apart")

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


def parse_config(conf: dict[str, Any] | str | PumaConfig, *, partial: bool = False) -> PumaConfig:
    """Validate `conf` (dict, JSON string or `PumaConfig`); raise `PumaConfigError` listing every problem.
    Values that name a service or a route are checked against the config's services
    (`reference_problems`) unless `partial`: `puma_config` before `puma_service` registers the rest."""
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
        config = PumaConfig.model_validate(conf)
    except ValidationError as exc:
        raise PumaConfigError([problem(err, PumaConfig) for err in exc.errors()]) from None
    dangling = [] if partial else reference_problems(config)
    if dangling:
        raise PumaConfigError(dangling)
    return config


def _accept_paper_spelling(conf: dict[str, Any]) -> dict[str, Any]:
    # The paper's Listing 2 writes 'puma-services'; accept it as an alias of Figure 4's key.
    if "puma-services" in conf and "puma_services" not in conf:
        conf = {("puma_services" if k == "puma-services" else k): v for k, v in conf.items()}
    return conf


def reference_problems(config: PumaConfig) -> list[tuple[str, str]]:
    """One `(path, message)` per config value that names something (a service, a page's route)
    and names nothing that exists: left alone it would silently turn its feature off (a rate
    limit on no service limits nothing). Example: with services `summarise` and `store`,
    `rate_limit.cluster_name: 'sumarise'` -> "names no service ...; did you mean 'summarise'?"."""
    problems = []
    services = sorted(config.puma_services)
    limit = config.rate_limit
    if limit is not None and limit.cluster_name is not None and limit.cluster_name not in config.puma_services:
        problems.append(("rate_limit.cluster_name", f"{limit.cluster_name!r} names no service, so no request "
                         f"would be limited{_among(limit.cluster_name, services, 'services')}; name one of the "
                         "services, or remove cluster_name to limit them all"))
    if "pages" in config.listener.model_fields_set:
        public = sorted(s.prefix for s in config.puma_services.values() if s.visibility == "public")
        problems += [(f"listener.pages.{page}", f"{page!r} is served by no public service, so its link would "
                      f"be a 404{_among(page, public, 'public prefixes')}; link a path under one of them")
                     for page in config.listener.pages if not any(_routes(prefix, page) for prefix in public)]
    return problems


def _routes(prefix: str, path: str) -> bool:
    return prefix == "/" or path == prefix or path.startswith(prefix + "/")


def _among(name: str, names: list[str], what: str) -> str:
    return f"{did_you_mean(name, names)} ({what}: {', '.join(names) or 'none'})"
