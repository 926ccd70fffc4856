"""`puma --help`, and every subcommand's, answers at once: printing help loads none of what the
commands need to run (pydantic, Flask, PyYAML, Prometheus, the supervisor...), which took 2-5 s
of a newcomer's first minute on a busy machine.

Each check runs the real entry point in a fresh interpreter, as the `puma` script does.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

from puma.cli import _parser as puma_parser
from tests.test_cli_help import walk

ROOT = Path(__file__).resolve().parents[1]
# What running a command needs and printing its help must not: third-party packages and PUMA's
# own modules that import them.
HEAVY = ("pydantic", "flask", "werkzeug", "yaml", "prometheus_client", "httpx", "sqlalchemy", "numpy",
         "puma.app", "puma.config", "puma.client", "puma.supervisor", "puma.envoy", "puma.kubernetes",
         "puma.running", "puma.services")

# In a fresh interpreter: each command line's --help in turn; after each, the heavy modules now
# loaded (so the first command that loads one is the one named).
_PROBE = """
import contextlib, io, json, sys
from puma.entry import main
heavy, found = json.loads(sys.argv[1]), {}
for words in json.loads(sys.argv[2]):
    with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
        main([*words, "--help"])
    loaded = sorted(m for m in sys.modules if any(m == h or m.startswith(h + ".") for h in heavy))
    found[" ".join(words) or "(top)"] = loaded
    if loaded:
        break
print(json.dumps(found))
"""


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def test_cli_help_of_every_puma_command_loads_no_heavy_module() -> None:
    commands = [prog.split()[1:] for prog, _ in walk("puma", puma_parser())]
    assert len(commands) > 15  # run, render, status, scale, ..., bench and each benchmark
    done = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(HEAVY), json.dumps(commands)],
                          capture_output=True, text=True, cwd=ROOT, env=_env(), timeout=120, check=True)
    found = json.loads(done.stdout)
    # Each package once (pydantic, not its 60 submodules).
    loaded = {command: [m for m in modules if not any(m.startswith(o + ".") for o in modules)]
              for command, modules in found.items() if modules}
    assert not loaded, f"`puma ... --help` imports what only running a command needs: {loaded}"
    assert len(found) == len(commands)


def test_cli_help_of_puma_takes_a_fraction_of_a_second_of_cpu() -> None:
    # CPU time, not wall time: what the help costs itself, whatever else the machine runs.
    # Importing everything took ~0.6 s of CPU (2-5 s of wall time under load); help alone ~0.1 s.
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run([sys.executable, "-m", "puma", "--help"], capture_output=True, text=True, cwd=ROOT,
                          env=_env(), timeout=60)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_s = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    assert done.returncode == 0 and done.stdout.startswith("usage: puma"), done.stderr
    assert cpu_s < 0.35, f"`puma --help` used {cpu_s:.2f} s of CPU (expected about 0.1 s)"
