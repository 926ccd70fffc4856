"""`puma render` says what each target writes and renders what `puma run` does: the compose target
is the front Envoy's config, not a compose file; the local target puts Envoy's admin where `puma
run` puts it, on a Unix socket unless admin_port is set (newcomer 63, finding 15)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

APP = """from puma import puma_config, puma_service

def upload(request):
    return {{}}

def stats(sensor: str) -> int:
    return len(sensor)

puma_config({CONFIG})
puma_service({{"upload": upload, "stats": stats}})
"""


def _render(tmp_path: Path, config: str, *args: str) -> subprocess.CompletedProcess:
    app = tmp_path / "hub_app.py"
    app.write_text(APP.format(CONFIG=config))
    return subprocess.run([sys.executable, "-m", "puma.cli", "render", str(app), *args], capture_output=True,
                          text=True, timeout=120, cwd=tmp_path)


@pytest.mark.parametrize("config", ["{}", '{"admin_port": 0}', '{"listener": "127.0.0.1:9000"}'])
def test_render_local_admin_is_a_unix_socket_as_puma_run_puts_it(tmp_path: Path, config: str) -> None:
    result = _render(tmp_path, config)
    admin = yaml.safe_load(result.stdout)["admin"]["address"]
    assert result.returncode == 0 and "pipe" in admin and admin["pipe"]["path"].endswith("envoy-admin.sock"), admin
    assert "9901" not in result.stdout and "Unix socket" in result.stdout


@pytest.mark.parametrize("port", [9911, 19901])
def test_render_local_admin_port_is_on_loopback(tmp_path: Path, port: int) -> None:
    result = _render(tmp_path, f'{{"admin_port": {port}}}')
    address = yaml.safe_load(result.stdout)["admin"]["address"]["socket_address"]
    assert address == {"address": "127.0.0.1", "port_value": port}, address


def test_render_compose_says_it_is_the_envoy_config_not_a_compose_file(tmp_path: Path) -> None:
    printed = _render(tmp_path, "{}", "--target", "compose")
    assert "not a compose file" in printed.stdout.split("node:")[0], printed.stdout[:400]
    written = _render(tmp_path, "{}", "--target", "compose", "--out", str(tmp_path / "envoy.yaml"))
    assert written.returncode == 0 and "not a compose file" in written.stderr, written.stderr
    assert "static_resources" in (tmp_path / "envoy.yaml").read_text()


def test_render_help_says_what_the_compose_target_writes() -> None:
    result = subprocess.run([sys.executable, "-m", "puma.cli", "render", "--help"], capture_output=True, text=True,
                            timeout=60)
    assert "not a compose file" in " ".join(result.stdout.split()), result.stdout
    assert "Unix socket" in " ".join(result.stdout.split())
