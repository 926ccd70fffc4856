"""DynamoDB through the mesh: a local moto server when asked for, and boto3 clients via Envoy."""

from __future__ import annotations

import importlib.util
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from . import client, spawner
from .errors import PumaError, PumaStartError

log = logging.getLogger(__name__)

ENV_DYNAMODB_ENDPOINT = "PUMA_DYNAMODB_ENDPOINT"
ENV_DYNAMODB_REGION = "PUMA_DYNAMODB_REGION"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class LocalDynamo:
    """A moto server on loopback, standing in for DynamoDB (serving serially: see puma.motoserver)."""

    def __init__(self, log_path: Path, env: dict[str, str]) -> None:
        self.log_path = log_path
        self.env = env
        self.port = _free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 15.0) -> None:
        if importlib.util.find_spec("moto") is None:
            raise PumaStartError("dynamodb.local needs a moto server: pip install 'moto[server]'")
        with open(self.log_path, "ab") as out:
            self.proc = spawner.spawn(lambda: subprocess.Popen(
                [sys.executable, "-m", "puma.motoserver", str(self.port)], stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, env=self.env,
                # Its own session (a terminal's Ctrl-C is the supervisor's), still ended with the
                # supervisor, whichever thread starts it (`puma.spawner`).
                start_new_session=True, preexec_fn=spawner.death_signal()))
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise PumaStartError(f"moto server exited with code {self.proc.returncode}; log: {self.log_path}")
            try:
                urllib.request.urlopen(self.endpoint + "/moto-api/", timeout=0.5).close()  # noqa: S310 - loopback
                log.info("local DynamoDB (moto) at %s", self.endpoint)
                return
            except OSError:
                time.sleep(0.05)
        raise PumaStartError(f"moto server not ready within {timeout_s:.0f} s; log: {self.log_path}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def dynamodb(**kwargs: Any) -> Any:
    """A boto3 DynamoDB client whose traffic goes through the mesh's Envoy.

    >>> table = puma.dynamodb().create_table(...)      # doctest: +SKIP
    """
    import boto3
    from botocore.config import Config

    endpoint = os.environ.get(ENV_DYNAMODB_ENDPOINT) or client._mesh.get("dynamodb")
    if not endpoint:
        raise PumaError("no DynamoDB configured: add a 'dynamodb' key to puma_config")
    region = os.environ.get(ENV_DYNAMODB_REGION) or client._mesh.get("dynamodb_region") or "us-east-1"
    local = endpoint.startswith("http://127.") or endpoint.startswith("http://localhost")
    options: dict[str, Any] = {"region_name": region, "endpoint_url": client.mesh_url(),
                               "config": Config(retries={"max_attempts": 3, "mode": "standard"})}
    if local:
        options.update(aws_access_key_id="puma-local", aws_secret_access_key="puma-local")
    options.update(kwargs)
    dynamo = boto3.client("dynamodb", **options)
    if not local:
        host = urlsplit(endpoint).netloc
        # Sign for the real endpoint's host while the bytes travel through Envoy.
        dynamo.meta.events.register("before-sign.dynamodb", lambda request, **_: _set_host(request, host))
    return dynamo


def _set_host(request: Any, host: str) -> None:
    request.headers["Host"] = host

