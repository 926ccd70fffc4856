"""README's count of the port's own code is the one its own command prints now: the figure a
newcomer checks first must not go stale as the code changes (it did: README said 45 when the
command printed 103)."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def _readme_command() -> list[str]:
    block = re.search(r"```sh\n(puma loc-report --whole [^`]*?)```", README)
    assert block, "README's Counting the port has no `puma loc-report --whole` command in a sh block"
    words = shlex.split(block.group(1).replace("\\\n", " "))
    return [sys.executable, "-m", "puma.cli", *words[1:]]


def test_readme_states_the_port_count_its_command_prints() -> None:
    out = subprocess.run(_readme_command(), cwd=ROOT, capture_output=True, text=True, timeout=120, check=True).stdout
    printed = re.search(r"^\| the port's own code \| (\d+) \|$", out, re.MULTILINE)
    assert printed, out[:2000]
    now = re.search(r"^\| now \| \*\*(\d+)\*\* \|", README, re.MULTILINE)
    lead = re.search(r"port code is\s+\*\*(\d+) lines\*\*", README)
    assert now and lead, "README states the port's own code in the Counting table ('| now | **N** |') and its lead"
    assert int(now.group(1)) == int(lead.group(1)) == int(printed.group(1)), (
        f"README says {now.group(1)} / {lead.group(1)} lines, the command prints {printed.group(1)}: "
        "update README's figures (Writing a PUMA app, Counting the port)")
