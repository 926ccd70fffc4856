"""Test helpers: polling (integration tests wait for conditions, never for fixed times), the
chatbot app, and what a test reads of a deployment or a reply, failing plainly when it is absent."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

if TYPE_CHECKING:
    from werkzeug.test import TestResponse

    import puma
    from puma.admin import Admin

CHATBOT_APP = Path(__file__).resolve().parents[1] / "chatbot" / "puma_app.py"


def ends_with_pytest() -> None:
    """`preexec_fn` for a server a fixture starts in a session of its own (so a signal to its group
    reaches it alone): it gets SIGTERM when the pytest process ends, even by SIGKILL or a timeout,
    instead of serving on after the run (PR_SET_PDEATHSIG; fires when the forking *thread* ends, so
    only for processes started from pytest's main thread, as fixtures are)."""
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1: PR_SET_PDEATHSIG


def chatbot_app(**agent: object) -> puma.App:
    """chatbot/puma_app.py's app, not started; `agent` settings replace the agent's."""
    import puma

    app = puma.App.load(CHATBOT_APP)
    if agent:
        services = dict(app.config_data["puma_services"])
        services["agent"] = {**services["agent"], **agent}
        app.configure({**app.config_data, "puma_services": services})
    return app


def envoy_admin(mesh: puma.Deployment) -> Admin:
    """The admin API of `mesh`'s Envoy; the test fails if that Envoy is not running."""
    admin = mesh.envoy.admin
    assert admin is not None, "the deployment's Envoy is not running (it has no admin API)"
    return admin


def json_object(resp: TestResponse) -> dict[str, Any]:
    """The JSON object a test client's reply carries; the test fails, quoting the reply, if it carries none."""
    body = resp.get_json(silent=True)
    assert isinstance(body, dict), f"{resp.status}: not a JSON object: {resp.get_data(as_text=True)[:300]!r}"
    return body


T = TypeVar("T")


def wait_for(condition: Callable[[], T | None | Literal[False]], timeout_s: float = 10.0, interval_s: float = 0.02,
             message: str = "condition") -> T:
    """Call `condition` until it returns something truthy; return that, or fail after `timeout_s`.
    (Typed as what the condition returns without its falsy "not yet": a `re.search` gives a match.)"""
    deadline = time.monotonic() + timeout_s
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = condition()
            if value:
                return value
        except Exception as exc:  # noqa: BLE001 - retried until the deadline
            last_error = exc
        time.sleep(interval_s)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {message}"
                         + (f" (last error: {last_error!r})" if last_error else ""))


def process_alive(pid: int) -> bool:
    """Whether process `pid` exists and is not a zombie (read from /proc: no signal sent)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (bind to it soon: another process may take it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def continued_after(pid: int) -> Iterator[None]:
    """Send SIGCONT to `pid` on the way out, so a test that stops a process never leaves it stopped."""
    try:
        yield
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGCONT)


@contextlib.contextmanager
def serving_run(app: str | Path, **popen: Any) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`puma run APP --port 0` in its own process group, until it prints its serving URL (90 s at
    most): yields `(process, url)`; afterwards it is continued (a test may have stopped it with
    SIGSTOP) and stopped, its group killed if it has not exited within 30 s. `popen`: `cwd`, `env`."""
    proc = subprocess.Popen([sys.executable, "-m", "puma.cli", "run", str(app), "--port", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, start_new_session=True, **popen)
    try:
        out = proc.stdout
        assert out is not None
        url = wait_for(lambda: (m := re.search(r"serving at (http://\S+)", out.readline())) and m.group(1),
                       timeout_s=90, message="puma run serving")
        yield proc, url
    finally:
        stop_run(proc)


def stop_run(proc: subprocess.Popen[str]) -> None:
    """Stop a `puma run` started in its own process group: continued (a test may have stopped it
    with SIGSTOP), terminated, its group killed if it has not exited within 30 s."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(proc.pid, signal.SIGCONT)
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


def port_bindable(port: int) -> bool:
    """Whether a server could listen on 127.0.0.1:`port` now (nothing else listens there)."""
    try:
        socket.create_server(("127.0.0.1", port)).close()
    except OSError:
        return False
    return True


def interrupt_and_finish(proc: subprocess.Popen[Any], sig: int = signal.SIGINT, *, group: bool = False,
                         timeout_s: float = 60.0, log: Path | None = None) -> tuple[int, str]:
    """Ctrl-C `proc` and wait for it to finish: SIGINT (or `sig`) to its whole process group if `group`
    (what a terminal does; `proc` must lead one: `start_new_session=True`), else to it alone (`kill -INT
    PID`), then its exit, its output read meanwhile if piped. Returns `(exit code, output)` ("" when not
    piped). Fails the test, quoting the end of the output (or of `log`), if it still runs after
    `timeout_s`; it and its group are then killed, so a test never leaves it behind. E.g.
    `assert interrupt_and_finish(proc, group=True)[0] == 130`."""
    try:
        with contextlib.suppress(ProcessLookupError):  # already ended: its exit code says how
            (os.killpg if group else os.kill)(proc.pid, sig)
        try:
            out, _ = proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            _kill_with_group(proc)
            out, _ = proc.communicate()
            said = log.read_text(errors="replace") if log is not None else _text(out)
            raise AssertionError(f"{proc.args!r} still ran {timeout_s} s after {signal.Signals(sig).name}; "
                                 f"killed. Its output ends:\n{said[-3000:]}") from None
    finally:
        if proc.poll() is None:  # the signal could not be sent, or the wait was interrupted
            _kill_with_group(proc)
            proc.communicate()
    return proc.returncode, _text(out)


def _kill_with_group(proc: subprocess.Popen[Any]) -> None:
    with contextlib.suppress(ProcessLookupError):
        if os.getpgid(proc.pid) == proc.pid:  # it leads its own group: its children go too
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()


def _text(out: str | bytes | None) -> str:
    return out.decode(errors="replace") if isinstance(out, bytes) else out or ""


def start_legacy_server(database_url: str, log_path: Path) -> subprocess.Popen[bytes]:
    """`python -m legacy_socket_server --port 0` on `database_url`, its output in `log_path` (what a
    test waits on: "loading the catalogue", then "listening on"). The caller stops it."""
    with open(log_path, "wb") as log_file:
        return subprocess.Popen([sys.executable, "-m", "legacy_socket_server", "--port", "0"],
                                stdout=log_file, stderr=subprocess.STDOUT,
                                env={**os.environ, "DATABASE_URL": database_url})
