"""Render a `PumaConfig` as plain Kubernetes manifests. Pure and deterministic: dicts in, dicts out.

What a deployment becomes (``kubectl apply -f DIR`` applies it; no template engine):

* a Namespace;
* the front Envoy: a ConfigMap holding the config `puma/envoy.py` renders for every target
  (each service's cluster resolves its headless Service by DNS), a Deployment and a Service;
* per PUMA service: a Deployment (`puma serve APP --service NAME`, probes on /healthz, resources,
  a preStop pause so Envoy stops routing before the pod drains), a headless Service, an
  autoscaling/v2 HorizontalPodAutoscaler when `instances` has min < max, and a
  PodDisruptionBudget when it can run two or more;
* the config's `jobs` as one Job (each step an init container, in order).

Config keys with no Kubernetes meaning are returned in `Manifests.not_mapped`, never dropped.

>>> from puma.config import parse_config
>>> m = render(parse_config({"puma_services": {"agent": {"prefix": "/agent", "instances": {"min": 1, "max": 4}}}}),
...            Options(app="app.py"))
>>> sorted({o["kind"] for o in m.objects})[:3]
['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from ..config import PumaConfig
from ._common import (
    AUTOSCALE_ON,
    DEFAULT_IMAGE,
    HEADER,
    LABEL,
    NOT_MAPPED,
    PRESTOP_S,
    Options,
    kube_names,
    quantity,
    service_host,
)
from .front import envoy_config, front_objects
from .notes import annotate, not_mapped
from .services import job_objects, namespace_object, service_objects

__all__ = ["AUTOSCALE_ON", "DEFAULT_IMAGE", "HEADER", "NOT_MAPPED", "PRESTOP_S", "Manifests", "Options",
           "envoy_config", "files", "kube_names", "not_mapped", "quantity", "render", "service_host", "to_yaml"]


@dataclass(frozen=True)
class Manifests:
    """The rendered objects, and `(config path, reason)` for each key that has no Kubernetes meaning."""

    objects: list[dict[str, Any]]
    not_mapped: list[tuple[str, str]] = field(default_factory=list)


def render(config: PumaConfig, options: Options) -> Manifests:
    """Every object of the deployment, in apply order; raises `PumaConfigError` on names Kubernetes refuses."""
    names = kube_names(config, options)
    notes = not_mapped(config, options)
    objects = [namespace_object(options)]
    objects += job_objects(config, options)
    objects += front_objects(config, options, names)
    for name in config.puma_services:
        objects += service_objects(config, name, options, names)
    annotate(objects, notes, names)
    return Manifests(objects, notes)


# --- output -----------------------------------------------------------------------------------


def files(manifests: Manifests) -> dict[str, str]:
    """File name -> multi-document YAML, named so `kubectl apply -f DIR` creates the Namespace first."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for obj in manifests.objects:
        groups.setdefault(_file_name(obj), []).append(obj)
    return {name: to_yaml(objs) for name, objs in sorted(groups.items())}


def _file_name(obj: dict[str, Any]) -> str:
    labels = obj["metadata"]["labels"]
    component = labels[LABEL + "component"]
    order = {"namespace": "00-namespace", "jobs": "10-jobs", "front": "20-envoy"}
    return order.get(component, f"30-service-{labels[LABEL + 'name']}") + ".yaml"


def to_yaml(objects: Sequence[Mapping[str, Any]]) -> str:
    """A header, the objects' not-mapped keys as comments, then one YAML document per object."""
    notes = [line for obj in objects
             for line in obj["metadata"].get("annotations", {}).get(NOT_MAPPED, "").splitlines()]
    lines = [HEADER]
    if notes:
        lines.append(f"# Not mapped to Kubernetes (also in the Deployment's {NOT_MAPPED} annotation):\n")
        lines += [f"#   {note}\n" for note in notes]
    body = yaml.dump_all([dict(o) for o in objects], Dumper=_Dumper, sort_keys=False, default_flow_style=False)
    return "".join(lines) + body


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (the Envoy config in its ConfigMap) as readable literal blocks; no aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)
