"""Every form a config may be written in reports its mistakes in the one error list, never a
traceback (newcomer 67 M4: with `"listener": "host:port"`, any mistake crashed `puma run` in
`dict("127.0.0.1:8080")`), and `puma render` refuses what `puma run` refuses (M6: `instances: 0`
rendered 2,000 lines and exited 0).
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

APP = """import puma

def weigh(code: str) -> int:
    return len(code)

puma.puma_config({CONFIG})
puma.puma_service({{"scales": weigh}})
"""


def _cli(tmp_path: Path, config: str, *command: str) -> subprocess.CompletedProcess:
    app = tmp_path / "lab_app.py"
    app.write_text(APP.format(CONFIG=config))
    return subprocess.run([sys.executable, "-m", "puma.cli", command[0], str(app), *command[1:]],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)


Call = tuple[str, tuple[str, ...]]  # (config, command)


@pytest.fixture(scope="module")
def ran(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[Call, subprocess.CompletedProcess]:
    """Each distinct command line the selected tests of this module check, run once, side by side:
    each is an interpreter's start-up (~1 s of CPU) and the suite otherwise keeps one core busy."""
    calls: set[Call] = set()
    for item in request.session.items:
        if getattr(item, "module", None) is request.module and hasattr(item, "callspec"):
            params = item.callspec.params
            config = params.get("config") or _zero_instances(params["instances"])
            calls.add((config, params["command"]))
            if "instances" in params:
                calls.add((config, ("run", "--port", "0")))
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        done = {call: pool.submit(_cli, tmp_path_factory.mktemp("cli"), call[0], *call[1]) for call in sorted(calls)}
    return {call: future.result() for call, future in done.items()}


def _zero_instances(instances: str) -> str:
    return '{"puma_services": {"scales": {"instances": ' + instances + '}}}'


@pytest.mark.parametrize(("config", "needle"), [
    ('{"listener": "127.0.0.1:19311", "puma_services": {"scales": {"instance": 2}}}', "did you mean 'instances'?"),
    ('{"listener": "127.0.0.1:19311", "load_balancer": "roundrobin"}', "did you mean 'round_robin'?"),
    ('{"listener": "[::1]:19311", "puma_services": {"scales": {"timeout_s": 0}}}', "timeout_s: 0 would mean no timeout"),
    ('{"listener": "localhost", "puma_services": {"scales": {"instances": 1}}}', "listener: 'localhost' is not an address"),
    ('{"listener": 19311}', "listener: 19311 is not an address"),
    ('{"puma_services": {"scales": 3}}', "puma_services.scales: 3"),
    ('{"puma_services": {"scales": ["/scales"]}}', "puma_services.scales: expected a JSON object"),
    ('{"puma_services": ["scales"]}', "puma_services: expected a JSON object"),
    ('{"puma_services": "scales"}', "puma_services: 'scales'"),
], ids=["string-listener-typo", "string-listener-bad-choice", "ipv6-listener-zero-timeout", "no-port",
        "a-number", "service-a-number", "service-a-list", "services-a-list", "services-a-string"])
@pytest.mark.parametrize("command", [("run", "--port", "0"), ("run", "--host", "127.0.0.1"), ("render",)],
                         ids=["run-port", "run-host", "render"])
def test_config_every_form_lists_its_mistakes_without_a_traceback(ran: dict[Call, subprocess.CompletedProcess],
                                                                  config: str, needle: str,
                                                                  command: tuple[str, ...]) -> None:
    result = ran[config, command]
    assert result.returncode == 1, result.stderr[-800:]
    assert "invalid PUMA config" in result.stderr and needle in result.stderr, result.stderr[-800:]
    assert "Traceback" not in result.stderr, result.stderr[-1500:]


@pytest.mark.parametrize("instances", ["0", '{"min": 0, "max": 3}'])
@pytest.mark.parametrize("command", [("render",), ("render", "--target", "compose"),
                                     ("render", "--target", "swarm", "--out", "swarm-out")],
                         ids=["render", "render-compose", "render-swarm"])
def test_config_every_form_render_refuses_what_run_refuses(ran: dict[Call, subprocess.CompletedProcess], instances: str,
                                                          command: tuple[str, ...]) -> None:
    config = _zero_instances(instances)
    run, rendered = ran[config, ("run", "--port", "0")], ran[config, command]
    assert run.returncode == rendered.returncode == 1, rendered.stdout[-300:]
    for result in (run, rendered):
        assert "puma_services.scales.instances" in result.stderr and "does not scale from zero" in result.stderr
    assert "static_resources" not in rendered.stdout
