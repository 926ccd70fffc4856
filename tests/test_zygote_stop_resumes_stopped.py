"""A deployment stopped while one of its instances is stopped (SIGSTOP, a terminal's Ctrl-Z) stops
at once: the zygote resumes it to drain, so it exits with its requests answered. Before, the stop
waited out the service's whole drain window (`timeout_s`, 10 s here) for an instance that could
handle nothing, then killed it. Real Envoy, free ports."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import puma
from tests.apps import basic
from tests.helpers import continued_after, process_alive, wait_for


def test_zygote_a_stop_resumes_a_stopped_instance_to_drain_it():
    app = puma.App()
    app.configure({"puma_services": {"work": {"prefix": "/work", "instances": 2, "timeout_s": 10}}})
    app.add_services({"work": basic.echo})
    mesh = app.start(listener={"port": 0})
    try:
        stopped = mesh.instances("work")[0]
        assert stopped.pid is not None
        with continued_after(stopped.pid):
            os.kill(stopped.pid, signal.SIGSTOP)
            wait_for(lambda: Path(f"/proc/{stopped.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "T",
                     message="the instance stopped")
            began = time.monotonic()
            mesh.stop()
            took = time.monotonic() - began
        assert took < 5, f"the stop took {took:.1f} s"
        wait_for(lambda: not process_alive(stopped.pid), message="the stopped instance gone")
    finally:
        mesh.stop()
