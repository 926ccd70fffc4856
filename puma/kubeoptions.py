"""How `puma render --target kubernetes` renders: its options and their defaults.

Outside the `puma.kubernetes` package on purpose: importing any module of that package runs its
`__init__` (PyYAML, the config models, the Envoy renderer), and `puma render --help` prints only
these defaults.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_IMAGE = "puma-app:latest"
AUTOSCALE_ON = ("cpu", "in-flight")


@dataclass(frozen=True)
class Options:
    """How to render: `app` is the app script's path inside the image (`puma serve APP`)."""

    app: str
    image: str = DEFAULT_IMAGE
    namespace: str = "puma"
    secret: str = "puma"  # the Secret holding PUMA_SECRET and the app's own settings
    cluster_domain: str = "cluster.local"
    autoscale_on: str = "cpu"
    envoy_replicas: int = 2
