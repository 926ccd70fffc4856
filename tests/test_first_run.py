"""A fresh checkout's first start: `puma run chatbot/puma_app.py` and the legacy server beside it
(what `make run` starts) on a database that does not exist yet; `chatbot chat` shows no logs."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx

from tests.helpers import wait_for

ROOT = Path(__file__).parents[1]


def test_first_run_prepares_the_database_once_for_both_servers(tmp_path: Path) -> None:
    path = tmp_path / "var" / "chatbot.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{path}", "PYTHONUNBUFFERED": "1"}
    puma_log, legacy_log = tmp_path / "puma.log", tmp_path / "legacy.log"
    with open(puma_log, "wb") as p_out, open(legacy_log, "wb") as l_out:
        mesh = subprocess.Popen([sys.executable, "-m", "puma.cli", "run", "chatbot/puma_app.py", "--port", "0"],
                                cwd=ROOT, env=env, stdout=p_out, stderr=subprocess.STDOUT)
        legacy = subprocess.Popen([sys.executable, "-m", "legacy_socket_server", "--port", "0"],
                                  cwd=ROOT, env=env, stdout=l_out, stderr=subprocess.STDOUT)
    try:
        url = wait_for(lambda: re.search(r"(?:serving|answers) at (http://\S+)", puma_log.read_text()), timeout_s=240,
                       interval_s=0.2, message="the PUMA port to serve").group(1)
        assert "db preparing the database (first run" in puma_log.read_text() or \
            "preparing the database" in legacy_log.read_text()  # whichever took the lock first
        turn = httpx.post(url + "/agent", json={"id": "-1", "text": "", "mode": "false", "turn_no": 1}, timeout=30)
        assert turn.status_code == 200 and turn.json()["messages"]
        # The agent's warm-up waited for the db service on the deployment's readiness, without
        # calling it: the db service answered no start-up request 503.
        assert httpx.get(url + "/_puma/status").json()["services"]["db"]["startup_failures"] == 0
        port = int(wait_for(lambda: re.search(r"listening on [\d.]+:(\d+)", legacy_log.read_text()),
                            timeout_s=120, interval_s=0.2, message="the legacy server").group(1))
        with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
            conn.sendall(b'{"id": "-1", "text": "", "mode": "false", "turn_no": 1}\n')
            assert json.loads(conn.makefile().readline())["messages"]
    finally:
        for proc in (mesh, legacy):
            proc.send_signal(signal.SIGINT)
        assert mesh.wait(timeout=60) == 130  # Ctrl-C: 130 in every phase
        legacy.wait(timeout=60)
    both = puma_log.read_text() + legacy_log.read_text()
    assert both.count("database prepared in") == 1  # one prepared it; the other waited and used it
    assert "no such table" not in both and "Traceback" not in both
    assert "run them yourself" not in both  # the jobs are for container targets; nothing to do by hand


def test_first_run_chat_in_the_terminal_shows_no_log_lines(chatbot_db_url: str) -> None:
    done = subprocess.run([sys.executable, "-m", "chatbot", "chat", "--seed", "0", "--database-url", chatbot_db_url],
                          cwd=ROOT, input="a comedy\n", capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Chatbot: ")
    assert "INFO" not in done.stdout + done.stderr
    assert "you> " in done.stdout
