"""Names and bounds that `puma --help` prints and the heavier modules enforce.

Kept free of imports so the command line can build its help without loading pydantic, Flask or
the supervisor (`puma --help` must answer at once); `puma.services`, `puma.client` and
`puma.running` re-export what they own from here.
"""

from __future__ import annotations

MAX_INSTANCES = 32
"""Most instances of one service on one deployment: its config (`instances`, `instances.max`),
`Deployment.scale` and `puma scale` all stop here. Each is a forked process of ~30 MB: far more
would exhaust the host's processes and memory (the fork server would fail, and the stop wait for
thousands of drains)."""

ENV_URL = "PUMA_URL"
"""The environment variable holding a deployment's URL (read by `puma.client`, `puma status`...)."""

DEFAULT_URL = "http://127.0.0.1:8080"
"""Where `puma status` and `puma scale` look when nothing else names a deployment."""

SUPERVISOR_SILENT_FIELD = "supervisor_answered"
"""False in the body Envoy answers a /_puma/ path with when the supervisor did not (`puma.localreplies`):
`puma status` and `puma scale` read it. Here, not there, so `puma status` imports no config model."""

STATUS_TIMEOUT_S = 5
"""How long Envoy waits for the supervisor's status server (`puma.envoyroutes`' status route)."""

READY_TIMEOUT_S = 0.5
"""How long Envoy waits for the supervisor's answer to `/_puma/ready` before it answers itself, from
the readiness the supervisor last published (`READY_KEY`): well under a load balancer's probe
timeout (1-5 s), so a stopped or starved supervisor never fails a probe while the data path serves."""

READY_PATH = "/_puma/ready"

DASHBOARD_PATH = "/_puma/dashboard"

DASHBOARD_TIMEOUT_S = 1.0
"""How long Envoy waits for the supervisor to draw `/_puma/dashboard` before it answers itself with a
page saying the supervisor is not answering (and the readiness it last published): an operator opens
that page exactly when something is wrong, so a stopped supervisor must not leave it blank for
`STATUS_TIMEOUT_S`. The supervisor draws it in milliseconds when it runs at all."""

LAST_PUBLISHED_WORDS = {True: "Its services still serve: as it last published, every service was ready.",
                        False: "As it last published, some service was not ready (its requests get 503); the others serve."}
"""What a page says of a silent supervisor's deployment, by the readiness it last published (`READY_KEY`):
Envoy's own `/_puma/dashboard` page and an open one that notices the silence say the same."""

READY_KEY = "puma.ready"
"""Envoy runtime percentage the supervisor sets (100: ready, 0: not) whenever its readiness changes."""
