"""`python app.py` of an app script that registers services but never calls `puma_start()` says
how to start it (newcomer 63: it exited 0 printing nothing), whichever way it registered them; a
module that is imported (not run), a script that starts, and `puma render` reading the script say
nothing of the kind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

PARTS = "def total(values: list[float]) -> float:\n    return sum(values)\n"

SCRIPTS = {
    "dict": "from puma import puma_config, puma_service\nimport parts\n\n"
            "puma_config({'puma_services': {'total': '/total'}})\npuma_service({'total': parts.total})\n",
    "module": "from puma import puma_service\n\n\ndef summarise(values: list[float]) -> float:\n"
              "    return sum(values)\n\n\npuma_service(__name__)\n",
    "decorator": "import puma\n\n\n@puma.service('/total')\ndef total(values: list[float]) -> float:\n"
                 "    return sum(values)\n",
    "string": "import puma\n\npuma.puma_service({'total': 'parts:total'})\n",
}


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(tmp_path)])}
    env.pop("PUMA_WORKER", None)
    return subprocess.run([sys.executable, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("form", sorted(SCRIPTS))
def test_unstarted_script_says_how_to_start_it(tmp_path: Path, form: str) -> None:
    (tmp_path / "parts.py").write_text(PARTS)
    (tmp_path / "app.py").write_text(SCRIPTS[form])
    done = _run(tmp_path, "app.py")
    assert "never started" in done.stderr and "puma run app.py" in done.stderr, done.stderr
    assert "puma_start()" in done.stderr and 'if __name__ == "__main__":' in done.stderr


def test_unstarted_script_an_imported_app_module_says_nothing(tmp_path: Path) -> None:
    (tmp_path / "parts.py").write_text(PARTS)
    (tmp_path / "hub.py").write_text(SCRIPTS["dict"])
    (tmp_path / "main.py").write_text("import hub\nprint('imported', sorted(hub.__dict__)[:1])\n")
    done = _run(tmp_path, "main.py")
    assert done.returncode == 0 and "never started" not in done.stderr, done.stderr


def test_unstarted_script_a_failing_script_shows_its_own_error_only(tmp_path: Path) -> None:
    (tmp_path / "parts.py").write_text(PARTS)
    (tmp_path / "app.py").write_text(SCRIPTS["dict"] + "raise RuntimeError('calibration tables missing')\n")
    done = _run(tmp_path, "app.py")
    assert "calibration tables missing" in done.stderr and "never started" not in done.stderr, done.stderr


def test_unstarted_script_puma_render_reads_it_without_the_reminder(tmp_path: Path) -> None:
    (tmp_path / "parts.py").write_text(PARTS)
    (tmp_path / "app.py").write_text(SCRIPTS["dict"])
    done = _run(tmp_path, "-m", "puma.cli", "render", "app.py")
    assert done.returncode == 0 and "never started" not in done.stderr + done.stdout, done.stderr
