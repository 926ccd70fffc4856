"""scripts/install.sh, the Makefile's install: its progress reaches a file line by line as pip
prints it (no block buffering: nohup, tee and CI write to files), long lines are shortened, never
cut in two, and a quiet pip gets a line saying it still works. pip is a stand-in here: a script
that prints what pip prints, and waits where pip is quiet."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import wait_for

ROOT = Path(__file__).resolve().parent.parent
LONG = "Collecting cfn-lint>=0.40.0 (from moto[server]>=5.0; extra == \"dev\"->puma-mesh==0.1.0)" + " x" * 100
FAKE_PIP = f"""#!/bin/sh
case "$*" in *--upgrade*) exit 0;; esac
echo "WARNING: Location 'file:///nowhere/simple/pip/' is ignored: it is neither a file nor a directory." >&2
echo "Collecting flask>=3.1 (from puma-mesh==0.1.0)"
echo '{LONG}'
while [ ! -e "$GO" ]; do sleep 0.05; done
echo "Installing collected packages: alpha, beta, gamma"
while [ ! -e "$GO2" ]; do sleep 0.05; done
echo "Successfully installed alpha-1 beta-2 gamma-3"
"""


@pytest.fixture
def install(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], Path, Path]]:
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    python = venv / "bin" / "python"
    python.write_text(FAKE_PIP)
    python.chmod(0o755)
    log = tmp_path / "install.log"
    env = {**os.environ, "GO": str(tmp_path / "go"), "GO2": str(tmp_path / "go2"), "INSTALL_HEARTBEAT_S": "1"}
    with open(log, "wb") as out:  # a file, not a terminal: where block buffering would show
        proc = subprocess.Popen(["bash", str(ROOT / "scripts" / "install.sh"), str(venv), "python3", "dev"],
                                cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        yield proc, log, tmp_path
    finally:
        (tmp_path / "go").touch()
        (tmp_path / "go2").touch()
        proc.wait(timeout=30)


def test_install_progress_reaches_a_file_as_pip_prints_it(install) -> None:
    proc, log, tmp = install
    # pip is waiting: what it printed so far is in the file already, whole lines only.
    wait_for(lambda: "Collecting cfn-lint" in log.read_text(), timeout_s=10, message="the lines before pip waits")
    lines = log.read_text().splitlines()
    assert "make: pip install -e '.[dev]'" in lines[0], lines
    collected = [line for line in lines if line.startswith("Collecting")]
    assert collected[0] == "Collecting flask>=3.1 (from puma-mesh==0.1.0)" and LONG[:90] in collected[1], lines
    assert all(len(line) <= 100 for line in lines), lines  # shortened to 160, then wrapped at ~100 (say.sh)
    assert not any("WARNING: Location" in line for line in lines), "the machine's pip.conf noise is left out"
    wait_for(lambda: "pip is still working" in log.read_text(), timeout_s=10, message="a line while pip is quiet")
    (tmp / "go").touch()
    wait_for(lambda: "installing 3 packages" in log.read_text(), timeout_s=10, message="the install step named")
    assert "Installing collected packages" not in log.read_text(), "the list of names is replaced by its count"
    (tmp / "go2").touch()
    assert proc.wait(timeout=30) == 0
    last = " ".join(log.read_text().split("\nmake: ")[-1].split())  # its last line, wrapped at ~100 columns
    last = "make: " + last
    assert last.startswith("make: installed in ") and " in " in last and str(tmp / "venv") in last, last


def test_install_fails_when_pip_fails(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    python = venv / "bin" / "python"
    python.write_text('#!/bin/sh\ncase "$*" in *--upgrade*) exit 0;; esac\n'
                      'echo "ERROR: Could not find a version that satisfies the requirement nosuch"\nexit 1\n')
    python.chmod(0o755)
    done = subprocess.run(["bash", str(ROOT / "scripts" / "install.sh"), str(venv), "python3", ""], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "ERROR: Could not find a version" in done.stdout
    assert "make: installed" not in done.stdout


@pytest.mark.parametrize(("collected", "said"), [
    ("alpha, puma-mesh, beta", "installing 2 packages and PUMA itself:"),  # `make run`'s: PUMA counted apart
    ("puma_mesh, alpha", "installing 1 package and PUMA itself:"),  # pip's other spelling of it
    ("puma-mesh", "installing PUMA itself:"),  # `make dev-tools` with nothing new but PUMA
    ("alpha, beta, gamma", "installing 3 packages:"),
    ("puma-mesh-extras, alpha", "installing 2 packages:"),  # another package's name is no match
])
def test_install_counts_what_puma_needs_and_names_puma_itself_apart(tmp_path: Path, collected: str, said: str) -> None:
    """The count is the figure README states (scripts/figures.mk): what PUMA needs, the same whichever
    install re-installs PUMA itself (both do: it is installed editable, with or without its dev extra)."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    python = venv / "bin" / "python"
    python.write_text(f'#!/bin/sh\ncase "$*" in *--upgrade*) exit 0;; esac\necho "Installing collected packages: {collected}"\n')
    python.chmod(0o755)
    done = subprocess.run(["bash", str(ROOT / "scripts" / "install.sh"), str(venv), "python3", ""], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and f"make: pip: {said}" in done.stdout, done.stdout


@pytest.mark.parametrize("count", [3, 40, 90])
def test_install_summary_names_whole_packages_and_counts_the_rest(tmp_path: Path, count: int) -> None:
    """Newcomer 91: pip's "Successfully installed ..." was cut at 160 characters, mid-word
    ("certifi-2"). Whole, or cut between packages with "(N more)"."""
    names = [f"package-{'x' * (i % 7)}{i}-{i % 10}.{i}.{i * 7}" for i in range(count)]
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    python = venv / "bin" / "python"
    python.write_text('#!/bin/sh\ncase "$*" in *--upgrade*) exit 0;; esac\n'
                      f'echo "Successfully installed {" ".join(names)}"\n')
    python.chmod(0o755)
    done = subprocess.run(["bash", str(ROOT / "scripts" / "install.sh"), str(venv), "python3", ""], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, env={**os.environ, "SAY_WIDTH": "80"})
    assert done.returncode == 0, done.stderr
    lines = done.stdout.split("\nmake: installed in")[0].splitlines()
    summary = " ".join(" ".join(lines[next(i for i, line in enumerate(lines) if "Successfully" in line):]).split())
    shown = summary.removeprefix("Successfully installed ").split()
    more = int(shown[-2].strip("(")) if shown[-1] == "more)" else 0
    listed = shown[:-2] if more else shown
    assert listed == names[:len(listed)] and len(listed) + more == count, summary
    assert all(len(line) <= 80 for line in lines), lines
