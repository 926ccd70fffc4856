"""`puma status` starts quickly: it imports no config model (pydantic), supervisor or Envoy renderer,
which made each call 6-9 s on a machine at load 10-16, where an operator polls it in a loop.
Each check runs the real command in a fresh interpreter against a stand-in status server."""

from __future__ import annotations

import http.server
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("pydantic", "flask", "werkzeug", "yaml", "prometheus_client", "httpx", "sqlalchemy",
         "puma.config", "puma.services", "puma.edge", "puma.envoy", "puma.supervisor", "puma.health", "puma.app")
STATUS = {"url": "http://127.0.0.1:1", "time": 1.0, "envoy": {"pid": 1, "admin": None}, "events": [],
          "services": {"agent": {"prefix": "/agent", "instances": [], "ready": 0, "min_instances": 1,
                                 "max_instances": 2, "failed": "its zygote exited 4 times", "not_ready": [],
                                 "p50_ms": None, "p99_ms": None, "in_flight": 0, "requests_per_s": 0.0,
                                 "errors_5xx": 0, "refused_not_ready": 0, "replies_cut_off": 0,
                                 "startup_failures": 0}},
          "waiting_for": [], "not_ready": {"agent": "failed, not restarted"}, "stopping": False, "started_at": 1.0}

_PROBE = """
import contextlib, io, json, sys
from puma.cli import main
with contextlib.redirect_stdout(io.StringIO()) as out, contextlib.suppress(SystemExit):
    main(sys.argv[2:])
heavy = json.loads(sys.argv[1])
print(json.dumps({"loaded": sorted(m for m in sys.modules if any(m == h or m.startswith(h + ".") for h in heavy)),
                  "out": out.getvalue()}))
"""


@pytest.fixture(scope="module")
def status_url() -> Iterator[str]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            body = json.dumps(STATUS).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("extra", [[], ["--json"]])
def test_status_imports_no_config_model_nor_supervisor(status_url: str, extra: list[str]) -> None:
    done = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(HEAVY), "status", "--url", status_url, *extra],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 0 and done.stdout.strip(), done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert "agent" in result["out"], (result, done.stderr)
    assert result["loaded"] == [], result["loaded"]
