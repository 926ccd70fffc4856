"""The first `puma.map` of a fresh process (a script against a running deployment) imports the mesh
client only: not the service side (Flask, pydantic, PUMA's app and supervisor), not asyncio or
http.client, which it never uses; it took 0.8-1.8 s of imports (535 modules), now ~0.1 s of CPU."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from puma.mapping import start_local

ROOT = Path(__file__).resolve().parents[1]
NOT_NEEDED = ["flask", "werkzeug", "pydantic", "puma.app", "puma.supervisor", "puma.serving", "puma.mapping.service",
              "puma.config", "http.client", "email.parser", "asyncio", "prometheus_client"]

CALLER = """
import json, sys
import puma
results = [puma.map(sys.argv[2], range(40), url=sys.argv[1] + "/map") for _ in range(2)]
print(json.dumps({"results": results, "modules": sorted(sys.modules)}))
"""


@pytest.fixture(scope="module")
def mapper() -> object:
    with start_local(2, secret="first-call-key") as deployment:
        yield deployment


@pytest.mark.parametrize("fn", ["tests.apps.mapfuncs:square", "math:factorial", "operator:neg"])
def test_map_first_call_imports_only_the_client(mapper, fn: str) -> None:
    env = {**os.environ, "PUMA_SECRET": "first-call-key", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", CALLER, mapper.url, fn], capture_output=True, text=True,
                          timeout=60, cwd=ROOT, env=env)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["results"][0] == out["results"][1] and len(out["results"][0]) == 40
    loaded = set(out["modules"])
    assert not [m for m in NOT_NEEDED if m in loaded]
    assert len(loaded) < 250, len(loaded)  # 535 before


def test_map_first_call_the_service_target_still_loads() -> None:
    from puma import targets
    from puma.mapping.protocol import MAP_TARGET

    assert callable(targets.load(MAP_TARGET))
