"""A port PUMA needs is held by another process: the error names the port, which of PUMA's ports
it is, who holds it and the setting that moves it; nothing is left running."""

from __future__ import annotations

import os
import re
import socket

import pytest

import puma
from puma import proxy
from puma.ports import port_holder
from tests.apps import basic


def _app(**config) -> puma.App:
    app = puma.App()
    app.configure({"puma_services": {"echo": {"prefix": "/echo"}}, **config})
    app.add_services({"echo": basic.echo})
    return app


def _held() -> socket.socket:
    return socket.create_server(("127.0.0.1", 0))


def _refusal(app: puma.App, **listener) -> str:
    with pytest.raises(puma.PumaStartError) as caught:
        app.start(listener={"port": 0, **listener})
    return str(caught.value)


@pytest.mark.parametrize(("where", "role", "fix"), [
    ("admin_port", "Envoy's admin port", "set admin_port in the config"),
    ("internal_port", "the internal listener's port, where services call each other", "set listener.internal_port in the config"),
    ("port", "the listener's port", "puma run APP.py --port N"),
])
def test_a_port_in_use_is_named_with_its_role_holder_and_fix(where, role, fix):
    with _held() as holder:
        port = holder.getsockname()[1]
        if where == "admin_port":
            message = _refusal(_app(admin_port=port))
        else:
            message = _refusal(_app(), **{where: port})
    assert message.startswith(f"port {port} ({role}) is already in use by pid {os.getpid()} ("), message
    assert fix in message
    if where != "port":  # the listener's own advice would not move this port, nor puma status find PUMA there
        assert "--port N" not in message and "puma status" not in message
    assert "\n" not in message  # the holder's command line on one line


def test_the_admin_port_lost_in_a_race_with_envoy_names_the_admin_setting(monkeypatch):
    """Taken between the pre-check and Envoy's bind: Envoy's bind error is turned into the same message."""
    monkeypatch.setattr(proxy, "check_port_free", lambda *_args: None)
    with _held() as holder:
        port = holder.getsockname()[1]
        message = _refusal(_app(admin_port=port))
    assert re.match(rf"port {port} \(Envoy's admin port\) is already in use by pid {os.getpid()} ", message), message
    assert "set admin_port in the config" in message and "envoy.log" not in message


def test_port_holder_names_the_process_or_nothing():
    with _held() as holder:
        port = holder.getsockname()[1]
        named = port_holder(port)
    # this process's command line, whatever names it (python, or a test runner's worker title)
    assert named is not None and named.startswith(f"pid {os.getpid()} (") and len(named) > len(f"pid {os.getpid()} ()"), named
    assert port_holder(port) is None  # closed: nobody listens there


def test_port_holder_names_another_process_on_one_line():
    """A holder started with a multi-line `python -c` script: its pid, its command on one line."""
    import subprocess
    import sys

    from tests.helpers import wait_for

    code = "import socket, sys, time\ns = socket.create_server(('127.0.0.1', 0))\nprint(s.getsockname()[1], flush=True)\ntime.sleep(60)"
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None
        port = int(holder.stdout.readline())
        named = wait_for(lambda: port_holder(port), message="the holder found")
        assert named.startswith(f"pid {holder.pid} (") and "\n" not in named and "create_server" in named, named
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()


def test_a_port_in_use_says_the_command_that_stops_its_holder():
    """puma run's refusal names the command to copy (`kill PID`), not a bare "stop it"."""
    import subprocess
    import sys

    code = "import socket, time\ns = socket.create_server(('127.0.0.1', 0))\nprint(s.getsockname()[1], flush=True)\ntime.sleep(60)"
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None
        port = int(holder.stdout.readline())
        message = _refusal(_app(), port=port)
        assert f"stop it (kill {holder.pid})" in message, message
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
