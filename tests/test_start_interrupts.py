"""A Ctrl-C at any moment of `make run`'s start, Python's own start-up included: one calm line, no
traceback. Python turns a SIGINT during its start-up (importing `site`) into "Fatal Python error:
init_import_site" and a traceback, before any of PUMA's code can handle it; make run starts puma run
with SIGINT ignored and passes such a Ctrl-C on to it as a SIGTERM (scripts/run.sh: on_ctrl_c)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import free_port, interrupt_and_finish
from tests.test_makefile import FAKE_PYTHON, ROOT, _copy_make_files

STEP_S = 0.05  # Ctrl-C moments: every 50 ms over the first 1.5 s (interpreter start-up, imports, the first starts)
MOMENTS = 30
# The real `puma` command (pip's console script: Python runs it, `site` first), on this checkout's PUMA.
REAL_PUMA = f"""#!/bin/sh
exec {sys.executable} -c 'import sys; from puma.entry import main; sys.argv[0] = "puma"; sys.exit(main())' "$@"
"""
NOT_CALM = ("Traceback", "Fatal Python error", "KeyboardInterrupt", "***", "Error")


@pytest.fixture
def real_puma_checkout(tmp_path: Path) -> Path:
    """make run's files, the real `puma` serving a small app; the legacy server a stand-in (it logs to a file)."""
    _copy_make_files(tmp_path)
    bin_dir = tmp_path / "venv" / "bin"
    bin_dir.mkdir(parents=True)
    for name, text in (("python", FAKE_PYTHON), ("puma", REAL_PUMA)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    (tmp_path / "venv" / ".installed").touch()
    (tmp_path / "chatbot").mkdir()
    app = (ROOT / "examples" / "hello_app.py").read_text().replace('"instances": 2', '"instances": 1')
    (tmp_path / "chatbot" / "puma_app.py").write_text(app)
    return tmp_path


def _ctrl_c_after(checkout: Path, after_s: float) -> tuple[int, str]:
    out = checkout / f"make-run-{after_s:.2f}.out"
    with open(out, "wb") as sink:
        make = subprocess.Popen(["make", "--no-print-directory", "VENV=venv", "run", f"PORT={free_port()}",
                                 f"LEGACY_PORT={free_port()}"], cwd=checkout, stdout=sink, stderr=subprocess.STDOUT,
                                env={**os.environ, "PYTHONPATH": str(ROOT)}, start_new_session=True,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    time.sleep(after_s)  # the moment under test
    code, _ = interrupt_and_finish(make, group=True, timeout_s=90, log=out)  # Ctrl-C in its terminal
    return code, out.read_text(errors="replace")


@pytest.mark.skipif(shutil.which("make") is None, reason="no make on this machine")
def test_makefile_run_ctrl_c_at_any_moment_of_the_start_says_one_calm_line(real_puma_checkout: Path) -> None:
    wrong = []
    for step in range(1, MOMENTS + 1):
        code, said = _ctrl_c_after(real_puma_checkout, step * STEP_S)
        if any(word in said for word in NOT_CALM) or code != -signal.SIGINT or "stopped" not in said:
            wrong.append(f"Ctrl-C after {step * STEP_S:.2f} s: exit {code}, said:\n{said[-1500:]}")
    assert not wrong, "\n\n".join(wrong)


def _catches_sigterm(pid: int) -> bool:
    """Whether `pid` handles SIGTERM: Python does not by itself, so its own code has started."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    caught = next((line.split()[1] for line in status.splitlines() if line.startswith("SigCgt:")), "0")
    return bool(int(caught, 16) >> (signal.SIGTERM - 1) & 1)


@pytest.mark.parametrize("after_s", [0.0, 0.05, 0.15])
def test_legacy_server_ctrl_c_during_its_imports_says_one_calm_line(after_s: float) -> None:
    """`python -m legacy_socket_server`: a Ctrl-C while it imports (before it serves or loads) is one
    line and exit 130, not a KeyboardInterrupt traceback from inside an import."""
    from tests.helpers import wait_for

    server = subprocess.Popen([sys.executable, "-m", "legacy_socket_server", "--port", str(free_port())], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT)},
                              preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        wait_for(lambda: _catches_sigterm(server.pid) or server.poll() is not None, timeout_s=60,
                 message="the legacy server's own code to start")
        time.sleep(after_s)  # the moment under test
    finally:
        code, said = interrupt_and_finish(server, group=True, timeout_s=60)
    assert not any(word in said for word in ("Traceback", "KeyboardInterrupt", "Fatal Python error")), said
    assert code == 130 and "stopping (SIGINT) during start-up" in said, (code, said)
