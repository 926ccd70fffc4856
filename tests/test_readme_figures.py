"""README's figures are what the commands it shows print now: each output block is its ```sh
block's output verbatim and each tagged figure the cell it names (scripts/readme_figures.py), so a
change to the code that moves a figure fails here until `make readme-figures` refreshes README."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import readme_figures as rf  # type: ignore[import-not-found]  # noqa: E402

README = (ROOT / "README.md").read_text()

OUT = {"puma tally a": "| item | apples | pears |\n|---|---:|---:|\n| crate | 12 | 3 |\n| box | 1,500 | 7 |\n",
       "puma tally b": "| sum | total |\n|---:|---:|\n| 5 | 40 |\n"}


def _doc(block: str, prose: str) -> str:
    return (f"## Counts\n\n{prose}\n\n```sh\npuma tally a\n```\n\n<!-- output -->\n{block}<!-- /output -->\n\n"
            "```sh\npuma tally b\n```\n\n<!-- output -->\n" + OUT["puma tally b"] + "<!-- /output -->\n\n## Next\n\n9 apples.\n")


def _run(command: str) -> str:
    return OUT[command]


def test_readme_figures_every_block_and_figure_is_what_its_command_prints_now() -> None:
    found = rf.problems(README)
    assert not found, "\n".join(map(str, found)) + f"\n(`{rf.REFRESH}` refreshes README from the commands)"


def test_readme_figures_the_port_counts_come_from_commands() -> None:
    section = README[README.index("### Counting the port"):README.index("## Distributed map")]
    blocks = list(rf._BLOCK.finditer(section))
    commands = [c for b in blocks for c in rf.commands_of(b["commands"])]
    assert any("--whole" in c for c in commands) and any("--whole" not in c for c in commands), commands
    lead = README[README.index("## Writing a PUMA app"):README.index("```python")]
    assert re.search(r"\*\*\d+<!-- figure: the port's own code \| lines --> lines\*\*", lead), lead
    assert re.search(r"^readme-figures:", (ROOT / "Makefile").read_text(), re.MULTILINE), "the one-command refresh"


def test_readme_figures_a_stale_block_is_reported_and_refreshed() -> None:
    stale = OUT["puma tally a"].replace("| 3 |", "| 4 |")
    text = _doc(stale, "We have 12<!-- figure: crate | apples --> apples.")
    found = rf.problems(text, _run)
    assert len(found) == 1 and "puma tally a" in found[0].text and "+| crate | 12 | 3 |" in found[0].text, found
    assert rf.problems(rf.refreshed(text, _run), _run) == []


@pytest.mark.parametrize(("prose", "shown"), [
    ("We have **11**<!-- figure: crate | apples --> apples.", "**12**<!-- figure"),
    ("Boxes hold 1,400<!-- figure: `box` | apples --> apples.", "1,500<!-- figure"),
    ("In all, 39<!-- figure: | total -->.", "40<!-- figure"),
])
def test_readme_figures_a_stale_figure_is_reported_and_refreshed(prose: str, shown: str) -> None:
    text = _doc(OUT["puma tally a"], prose)
    found = rf.problems(text, _run)
    assert len(found) == 1 and "the command prints" in found[0].text and found[0].line == 3, found
    assert shown in rf.refreshed(text, _run)


@pytest.mark.parametrize(("prose", "needle"), [
    ("We have 12<!-- figure: crates | apples --> apples.", "no output table has this row"),
    ("We have 12<!-- figure: crate | plums --> plums.", "no output table has this row"),
    ("We have 12<!-- figure: | apples --> apples.", "several cells match"),
])
def test_readme_figures_a_figure_that_names_no_single_cell_is_reported(prose: str, needle: str) -> None:
    found = rf.problems(_doc(OUT["puma tally a"], prose), _run)
    assert [p for p in found if needle in p.text], found


def test_readme_figures_an_untagged_number_beside_command_output_is_reported_unless_dated() -> None:
    text = _doc(OUT["puma tally a"], "We have 12 apples.\nAt abc1234 we had 10 apples; the paper says 8.")
    found = rf.problems(text, _run)
    assert [p.line for p in found] == [3] and "12 is stated" in found[0].text, found


def test_readme_figures_an_output_block_runs_only_our_commands() -> None:
    with pytest.raises(ValueError, match="`puma ...` or `chatbot ...` only"):
        rf.run_command("make run")


# --- figures the Makefile prints too: one source, scripts/figures.mk ------------------------------

MK = {"TEST_TIME": "about 9 minutes", "RUN_INSTALL_SIZE": "0.5 GB"}


def test_readme_figures_make_figures_are_checked_against_figures_mk() -> None:
    text = ("## Start\n\n`make test` takes <!-- make: TEST_TIME -->about 9 minutes<!-- /make -->; the install "
            "is <!-- make: RUN_INSTALL_SIZE -->0.4 GB<!-- /make --> and <!-- make: NO_SUCH -->3<!-- /make -->.\n")
    found = [str(p) for p in rf.make_problems(text, MK)]
    assert len(found) == 2, found
    assert "RUN_INSTALL_SIZE: README says '0.4 GB', scripts/figures.mk '0.5 GB'" in found[0]
    assert "NO_SUCH: scripts/figures.mk has no such name" in found[1]
    fixed = rf.with_make_figures(text, MK)
    assert "<!-- make: RUN_INSTALL_SIZE -->0.5 GB<!-- /make -->" in fixed and "about 9 minutes" in fixed
    assert [str(p) for p in rf.make_problems(fixed, MK)] == [found[1]]  # an unknown name stays a problem


def test_readme_figures_readme_and_make_state_each_figure_once() -> None:
    """README's make figures are figures.mk's, and `make help` prints the same test time: the
    two answers to "how long does make test take" are one."""
    import subprocess

    figures = rf.make_figures()
    assert not rf.make_problems(README, figures), rf.make_problems(README, figures)
    named = {m["name"] for m in rf._MAKE.finditer(README)}
    assert {"TEST_TIME", "RUN_INSTALL_TIME", "RUN_INSTALL_SIZE", "DEV_INSTALL_SIZE"} <= named, named
    helped = subprocess.run(["make", "--no-print-directory", "help"], cwd=ROOT, capture_output=True, text=True,
                            timeout=60).stdout
    assert f"the whole test suite (installs what it needs; {figures['TEST_TIME']} on 2 cores)" in helped, helped
    # No other "N minutes" next to `make test` or the install in README's first section.
    quick = README[README.index("## Quick start"):README.index("## Writing a PUMA app")]
    bare = rf._MAKE.sub("", quick)
    assert not re.search(r"make test[^.\n]*\d+ minutes", bare), "a make test time outside scripts/figures.mk"
