"""Names, labels and quantities shared by the Kubernetes renderer's modules."""

from __future__ import annotations

import math
import re
from typing import Any

from ..config import PumaConfig
from ..errors import PumaConfigError
from ..kubeoptions import AUTOSCALE_ON as AUTOSCALE_ON
from ..kubeoptions import DEFAULT_IMAGE as DEFAULT_IMAGE
from ..kubeoptions import Options as Options
from ..services import Resources

FRONT = "envoy"  # the front Envoy's Deployment and Service
SERVICE_PORT = 8000  # every service pod serves here, as in docker-compose.yml
STATS_PORT = 9902  # read-only window on Envoy's admin: GET /ready and /stats/prometheus only
DEFAULT_ADMIN_PORT = 9901
CONFIG_DIR = "/etc/puma"
# A deleted pod leaves its Service's endpoints while it gets SIGTERM; cluster DNS may answer with
# its address for up to 5 s more (CoreDNS's default TTL) and Envoy re-resolves each second. The
# pod keeps serving for this long before it drains, so Envoy has stopped routing to it by then.
PRESTOP_S = 7
DNS_REFRESH_S = 1
GRACE_MARGIN_S = 3
IN_FLIGHT_METRIC = "puma_in_flight"  # an external metric a metrics adapter serves (see README)
HEADER = "# Rendered by `puma render --target kubernetes` - do not edit by hand.\n"
NOT_MAPPED = "puma/not-mapped"
LABEL = "app.kubernetes.io/"
_DNS_1035 = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


# --- names ----------------------------------------------------------------------------------


def kube_names(config: PumaConfig, options: Options) -> dict[str, str]:
    """PUMA service name -> its Kubernetes name (lowercase, '_' -> '-'); raises `PumaConfigError`
    naming each service or option Kubernetes would refuse. `{"My_Api": ...}` -> `{"My_Api": "my-api"}`."""
    problems = _option_problems(options)
    names: dict[str, str] = {}
    taken = {FRONT: "the front Envoy"}
    for name in config.puma_services:
        kube = name.lower().replace("_", "-")
        path = f"puma_services.{name}"
        if not _DNS_1035.match(kube):
            problems.append((path, f"becomes {kube!r} on Kubernetes, which is no DNS label (at most 63 "
                                   "characters, ending with a letter or digit); rename the service"))
        elif kube in taken:
            problems.append((path, f"becomes {kube!r} on Kubernetes, the name of {taken[kube]}; rename the service"))
        taken[kube] = f"service {name!r}"
        names[name] = kube
    if problems:
        raise PumaConfigError(problems)
    return names


def _option_problems(options: Options) -> list[tuple[str, str]]:
    problems = []
    if not _DNS_1035.match(options.namespace):
        problems.append(("--namespace", f"{options.namespace!r} is not a Kubernetes name; use lowercase "
                                         "letters, digits and '-' (up to 63, starting with a letter), e.g. 'puma'"))
    for flag, value, example in (("--secret", options.secret, "puma"),
                                 ("--cluster-domain", options.cluster_domain, "cluster.local")):
        if not _DNS_SUBDOMAIN.match(value) or len(value) > 253:
            problems.append((flag, f"{value!r} is not a DNS name; use lowercase letters, digits, '-' "
                                   f"and '.', e.g. {example!r}"))
    if not options.image or any(c.isspace() for c in options.image):
        problems.append(("--image", f"{options.image!r} is not an image reference; e.g. 'registry.example/app:1.0'"))
    if options.autoscale_on not in AUTOSCALE_ON:
        problems.append(("--autoscale-on", f"{options.autoscale_on!r} is not one of {', '.join(AUTOSCALE_ON)}"))
    if options.envoy_replicas < 1:
        problems.append(("--envoy-replicas", f"{options.envoy_replicas}: run at least one front Envoy"))
    return problems


def labels(name: str, component: str, options: Options) -> dict[str, str]:
    return {LABEL + "name": name, LABEL + "component": component,
            LABEL + "part-of": options.namespace, LABEL + "managed-by": "puma"}


def selector(name: str, options: Options) -> dict[str, str]:
    return {LABEL + "name": name, LABEL + "part-of": options.namespace}


def meta(name: str, component: str, options: Options) -> dict[str, Any]:
    return {"name": name, "namespace": options.namespace, "labels": labels(name, component, options)}


def front_port(config: PumaConfig) -> int:
    """The front's port: the listener's (0, a free port on one machine, becomes 8080)."""
    return config.listener.port or 8080


def internal_port(config: PumaConfig) -> int:
    """The front's internal listener, which pods call each other through (internal services
    included): the config's `listener.internal_port`, else the front's port + 1."""
    return config.listener.internal_port or front_port(config) + 1


def admin_port(config: PumaConfig) -> int:
    return config.admin_port or DEFAULT_ADMIN_PORT


def service_host(kube: str, options: Options) -> str:
    """The cluster DNS name of a Service: 'agent.puma.svc.cluster.local'."""
    return f"{kube}.{options.namespace}.svc.{options.cluster_domain}"


# --- quantities -------------------------------------------------------------------------------


def quantity(value: float) -> str:
    """A Kubernetes quantity: 0.25 -> '250m' (CPU cores, or a metric's value), 2.0 -> '2'."""
    milli = max(1, round(value * 1000))
    return str(milli // 1000) if milli % 1000 == 0 else f"{milli}m"


def seconds(value: float, *, low: int = 1) -> int:
    return max(low, math.ceil(value))


def resources_spec(r: Resources) -> dict[str, Any]:
    limits = {"memory": f"{r.memory_limit_mib or r.memory_mib}Mi"}
    if r.cpu_limit is not None:
        limits["cpu"] = quantity(r.cpu_limit)
    return {"requests": {"cpu": quantity(r.cpu), "memory": f"{r.memory_mib}Mi"}, "limits": limits}


