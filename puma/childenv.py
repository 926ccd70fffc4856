"""What every process of a deployment inherits: its environment (where to import from, the mesh's
address and services, thread caps, the secret) and the secret itself, chosen once."""

from __future__ import annotations

import json
import logging
import os
import secrets
import sys

from . import client, titles
from .config import PumaConfig
from .dynamo import ENV_DYNAMODB_ENDPOINT, ENV_DYNAMODB_REGION
from .mapping.protocol import MAP_TARGET
from .visibility import internal_names

log = logging.getLogger("puma.supervisor")  # said as the deployment starts: under its name, as before

ENV_SUPERVISOR_PID = "PUMA_SUPERVISOR_PID"


def child_env(config: PumaConfig, import_paths: tuple[str, ...], internal_url: str | None) -> dict[str, str]:
    """The environment of a deployment's processes; `internal_url`: the listener its services call each other on."""
    env = dict(os.environ)
    env[ENV_SUPERVISOR_PID] = str(os.getpid())
    env[titles.ENV_DEPLOYMENT] = titles.deployment_label(config.listener.port, os.getpid())  # named in `ps`
    # The app's directory last: its modules become importable, none shadows the standard library's
    # (the chatbot's directory holds a numbers.py).
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(p for p in [os.getcwd(), *sys.path, *import_paths] if p))
    env.setdefault("OMP_NUM_THREADS", "1")
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    env.setdefault("MKL_NUM_THREADS", "1")
    if config.secret:
        env["PUMA_SECRET"] = config.secret
    if internal_url is not None:
        env[client.ENV_URL] = internal_url  # instances call each other on the internal listener
    env[client.ENV_SERVICES] = json.dumps({n: s.prefix for n, s in config.puma_services.items()})
    env[client.ENV_INTERNAL] = json.dumps(sorted(internal_names(config)))  # unnamed to the public
    if config.dynamodb is not None and config.dynamodb.endpoint:
        env[ENV_DYNAMODB_ENDPOINT] = config.dynamodb.endpoint
        env[ENV_DYNAMODB_REGION] = config.dynamodb.region
    return env


def with_secret(config: PumaConfig) -> PumaConfig:
    """`config` with its HMAC secret: as given, else $PUMA_SECRET, else (for a map service) a new one."""
    if config.secret is None and os.environ.get("PUMA_SECRET"):  # one secret, wherever it is given
        config = config.model_copy(update={"secret": os.environ["PUMA_SECRET"]})
    if config.secret is None and any(s.target == MAP_TARGET for s in config.puma_services.values()):
        # puma.map signs its pickled chunks with it: one made for this deployment, which every
        # process of it inherits ($PUMA_SECRET), so a map works without the user choosing one.
        config = config.model_copy(update={"secret": secrets.token_hex(32)})
        log.info("puma.map: neither the config key 'secret' nor $PUMA_SECRET is set, so a random secret was made "
                 "for this deployment: puma.map calls from its own services work; one from outside it (a script "
                 "with PUMA_URL) fails with 'signed with another secret' until both sides share one: export "
                 "PUMA_SECRET=<a long random string> for `puma run` and for the caller")
    return config
