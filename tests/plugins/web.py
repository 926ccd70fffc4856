"""Fixtures of the browser tests: the real chatbot deployment (PUMA behind Envoy) with the legacy
socket server behind its /legacy bridge, Debian's headless Chromium driven by Playwright, and
axe-core (from npm, installed into tests/a11y/ by ``make test``, or here if it is missing).

Each module that uses ``mesh`` gets its own deployment, stopped when the module ends (so
``tests.plugins.processes`` sees no leftover). Chromium missing and not installable skips the
module, as before; axe-core missing and not installable fails, saying how to install it.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

import puma
from tests.helpers import ends_with_pytest, free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
AXE_DIR = ROOT / "tests" / "a11y"
AXE_JS = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"


def ensure_chromium() -> None:
    if not CHROMIUM.exists():
        subprocess.run(["sh", str(ROOT / "scripts" / "ensure-system-packages.sh")], check=False, timeout=600)
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing and scripts/ensure-system-packages.sh could not install it "
                    "(needs root and apt-get)")


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe.min.js as text, installed from tests/a11y/package-lock.json when missing."""
    if not AXE_JS.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("axe-core is not installed and npm is missing: run `make test` (it installs "
                        "npm and axe-core), or `apt-get install npm && npm ci --prefix tests/a11y`")
        subprocess.run([npm, "ci", "--prefix", str(AXE_DIR), "--no-audit", "--no-fund"],
                       check=True, timeout=600, capture_output=True)
    return AXE_JS.read_text()


# ---------------------------------------------------------------------------- servers


@pytest.fixture(scope="module")
def legacy_server(chatbot_db_url: str) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """The legacy socket server on a free port, as a real process (ready ~15 s later)."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "legacy_socket_server", "--port", str(port), "--database-url", chatbot_db_url],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        preexec_fn=ends_with_pytest)  # a killed pytest leaves no legacy server serving on
    try:
        yield proc, port
    finally:
        stop_process(proc)


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _accepting(proc: subprocess.Popen[bytes], port: int) -> bool:
    assert proc.poll() is None, f"the legacy server exited with {proc.returncode}"
    socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    return True


@pytest.fixture(scope="module")
def mesh(chatbot_db_url: str, legacy_server: tuple[subprocess.Popen[bytes], int]) -> Iterator[puma.Deployment]:
    """chatbot/puma_app.py's deployment on a free port, its /legacy bridge pointed at the server.

    Both load the catalogue on start; they do it at the same time.
    """
    from tests.helpers import chatbot_app

    proc, port = legacy_server
    app = chatbot_app()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DATABASE_URL", chatbot_db_url)
        env.setenv("LEGACY_SOCKET_ADDR", f"127.0.0.1:{port}")
        with app.start(listener={"port": 0}) as deployment:
            warm_up(deployment.url, instances=len(deployment.instances("agent")))
            wait_for(lambda: _accepting(proc, port), timeout_s=60, interval_s=0.1,
                     message=f"the legacy server on port {port}")
            # The bridge is ready once its readiness check has found the legacy server (~2 s).
            wait_for(lambda: httpx.get(f"{deployment.url}/_puma/ready", timeout=5).json()["ready"],
                     timeout_s=30, interval_s=0.2, message="every service ready, the legacy bridge too")
            yield deployment


def warm_up(url: str, instances: int) -> None:
    """Conversations on every agent instance at once (round robin): each instance builds its
    understanding on its first utterance, and the browser should not wait for that."""
    def turn(payload: dict[str, Any]) -> dict[str, Any]:
        reply = httpx.post(f"{url}/agent", json={"mode": "false", **payload}, timeout=60)
        return reply.json() if reply.status_code == 200 else {}

    def converse(_: int) -> None:
        first = wait_for(lambda: turn({"id": "-1", "text": ""}), timeout_s=90, interval_s=0.2,
                         message="a first turn of the PUMA chatbot")
        wait_for(lambda: turn({"id": first["userid"], "text": "comedy", "turn_no": 2}), timeout_s=90,
                 interval_s=0.2, message="an utterance understood by the PUMA chatbot")

    with ThreadPoolExecutor(instances) as pool:
        list(pool.map(converse, range(instances)))


# ---------------------------------------------------------------------------- browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    ensure_chromium()
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def new_page(browser: Any) -> Iterator[Any]:
    """new_page(**context options) -> a page; fails the test on any JavaScript error it raised."""
    contexts: list[Any] = []
    errors: list[str] = []

    def make(**options: Any) -> Any:
        context = browser.new_context(**{"viewport": {"width": 1000, "height": 800}, **options})
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        return page

    try:
        yield make
    finally:
        for context in contexts:
            context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


@pytest.fixture
def page(new_page: Any) -> Any:
    return new_page()
