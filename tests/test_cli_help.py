"""Every command line explains itself: each command, subcommand and argument has help text.

Walks the argparse trees of `puma`, `chatbot` (and `chatbot chat`'s own), `python -m
legacy_socket_server`, `python -m loadtests` and the internal `python -m puma.worker`: a command
or an argument without help, a help of one word, or a literal `%%` (a format escape printed as
is) fails, naming the command line and the argument.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any, cast

import pytest

from chatbot.cli import build_parser as chatbot_parser
from legacy_socket_server.__main__ import _parser as legacy_parser
from loadtests.__main__ import _parser as loadtests_parser
from puma.cli import _parser as puma_parser
from puma.worker import _parser as worker_parser

ROOTS: dict[str, Callable[[], argparse.ArgumentParser]] = {
    "puma": puma_parser, "chatbot": chatbot_parser, "python -m legacy_socket_server": legacy_parser,
    "python -m loadtests": loadtests_parser, "python -m puma.worker": worker_parser,
}


def walk(prog: str, parser: argparse.ArgumentParser) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """(command line, parser) of `parser` and of every subcommand under it."""
    yield prog, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from walk(f"{prog} {name}", sub)


def every_parser() -> list[tuple[str, argparse.ArgumentParser]]:
    return [found for prog, make in ROOTS.items() for found in walk(prog, make())]


def _explains(text: str | None) -> bool:
    return text is not None and text != argparse.SUPPRESS and len(text.split()) >= 2


@pytest.mark.parametrize(("prog", "parser"), every_parser(), ids=lambda value: value if isinstance(value, str) else "")
def test_cli_help_explains_every_argument_and_subcommand(prog: str, parser: argparse.ArgumentParser) -> None:
    missing = []
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction) or action.help == argparse.SUPPRESS:
            continue
        if isinstance(action, argparse._SubParsersAction):
            missing += [f"subcommand {c.dest!r}" for c in action._choices_actions if not _explains(c.help)]
            continue
        if not _explains(action.help):
            missing.append(f"argument {'/'.join(action.option_strings) or action.dest!r}")
    assert not missing, f"`{prog} --help` does not explain: {', '.join(missing)}"


@pytest.mark.parametrize(("prog", "parser"), every_parser(), ids=lambda value: value if isinstance(value, str) else "")
def test_cli_help_prints_no_format_escapes(prog: str, parser: argparse.ArgumentParser) -> None:
    text = parser.format_help()
    assert "%%" not in text and "%(" not in text, f"`{prog} --help` prints a format escape:\n{text}"
    assert parser.description or parser.format_usage(), prog


def test_cli_help_walk_finds_the_commands_users_type() -> None:
    found = {prog for prog, _parser in every_parser()}
    assert {"puma run", "puma render", "puma serve", "puma status", "puma bench map",
            "chatbot db upgrade", "chatbot eval", "chatbot chat", "chatbot legacy",
            "python -m loadtests startup"} <= found


def test_cli_chatbot_legacy_help_lists_the_legacy_servers_options() -> None:
    done = subprocess.run([sys.executable, "-m", "chatbot", "legacy", "--help"], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0
    for option in ("--port", "--host", "--seed", "--database-url", "--max-line-bytes"):
        assert option in done.stdout, f"`chatbot legacy --help` does not list {option}"


@pytest.mark.parametrize("argv", [["puma", "render", "--help"], ["puma", "serve", "--help"],
                                  ["chatbot", "eval", "--help"], ["chatbot", "chat", "--help"]])
def test_cli_help_as_printed_explains_positionals_and_has_no_escapes(argv: list[str]) -> None:
    module = {"puma": "puma.cli", "chatbot": "chatbot"}[argv[0]]
    done = subprocess.run([sys.executable, "-m", module, *argv[1:]], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "%%" not in done.stdout
    if argv[1] in ("render", "serve"):
        assert "the application script" in done.stdout


def _shows_default(parser: argparse.ArgumentParser, action: argparse.Action) -> bool:
    """Whether `action`'s line in `parser`'s help mentions its default."""
    formatter = parser._get_formatter()
    text = formatter._expand_help(action) if action.help else ""
    return "default" in text.lower() or "%(default)" in (action.help or "")


@pytest.mark.parametrize(("prog", "parser"), every_parser(), ids=lambda value: value if isinstance(value, str) else "")
def test_cli_help_describes_each_command_and_shows_its_defaults(prog: str, parser: argparse.ArgumentParser) -> None:
    """A command's --help starts with what it does, and an option with a default says it."""
    assert parser.description and len(parser.description.split()) >= 4, f"`{prog} --help` has no description"
    hidden = []
    for action in parser._actions:
        if not action.option_strings or action.help == argparse.SUPPRESS or isinstance(action, argparse._HelpAction):
            continue
        if action.default in (None, False, argparse.SUPPRESS) or isinstance(action.default, list):
            continue
        if not _shows_default(parser, action):
            hidden.append(f"{'/'.join(action.option_strings)} (default {action.default!r})")
    assert not hidden, f"`{prog} --help` does not show the default of: {', '.join(hidden)}"


def test_cli_help_keeps_hyphenated_names_whole() -> None:
    """A default such as an image name is never broken at its hyphen across two lines."""
    render = dict(every_parser())["puma render"]
    for width in (60, 80, 100):
        formatter = cast(Any, render.formatter_class)(prog="puma render", width=width)  # argparse types it narrowly
        formatter.add_text(render.description)
        formatter.add_arguments(render._actions)
        lines = formatter.format_help().splitlines()
        assert not any(line.rstrip().endswith("-") for line in lines), "\n".join(lines)


def test_cli_help_startup_times_agree_and_say_where_they_were_measured() -> None:
    """README's `make run` line, `chatbot --help` and the Makefile give the same first-start figure,
    each with the machine and load it was measured at (never a bare "a few seconds")."""
    from pathlib import Path

    root = Path(__file__).parents[1]
    readme = root.joinpath("README.md").read_text()
    sources = {"README `make run`": readme.split("## Quick start", 1)[1].split("\n## ", 1)[0],
               "chatbot --help": chatbot_parser().format_help(),
               "Makefile": root.joinpath("Makefile").read_text().split("PORT ?=", 1)[0]}
    for name, text in sources.items():
        flat = " ".join(text.replace("#", " ").split())
        assert "50-100 s" in flat, f"{name} does not give the first start as 50-100 s: {flat[:400]}"
        assert "2-core" in flat and "load average" in flat, f"{name} does not say where it was measured"
        assert "a few seconds" not in flat and "about 15 s" not in flat, name


def test_cli_help_first_run_time_counts_the_install_and_agrees_with_make() -> None:
    """The newcomer's first `make run` is the install plus the first start: README's quick start
    states the install's minutes before the start's seconds, as the Makefile's message says them."""
    import re
    from pathlib import Path

    root = Path(__file__).parents[1]
    quick = " ".join(root.joinpath("README.md").read_text().split("## Quick start", 1)[1].split("\n## ", 1)[0].split())
    makefile = root.joinpath("Makefile").read_text()
    assert "(the first time: $(RUN_INSTALL_TIME) on 2 cores" in makefile, "the Makefile's install message gives no time"
    said = re.search(r'^RUN_INSTALL_TIME := (\d+-\d+ minutes)$', root.joinpath("scripts", "figures.mk").read_text(),
                     re.MULTILINE)  # the one source of the figure
    assert said, "scripts/figures.mk gives no install minutes"
    assert said.group(1) in quick, f"README's quick start does not give the install as {said.group(1)}"
    assert quick.index(said.group(1)) < quick.index("50-100 s"), "the install time must come before the start's"


def _readme_exit_codes() -> dict[str, set[str]]:
    """{`puma scale`: {"1", "3"}, ...}: the exit codes each row of README's Commands table names
    ("exits 1 if ..., 3 if ...")."""
    import re
    from pathlib import Path

    found: dict[str, set[str]] = {}
    for row in (Path(__file__).parents[1] / "README.md").read_text().splitlines():
        command = re.match(r"\| `(puma(?: [a-z][a-z-]*)+)", row)
        said = re.search(r"\bexits? (?:with )?(\d.*)", row)
        if command and said:
            words = command[1].split()
            name = " ".join(w for w in words if not w.isupper())
            found[name] = set(re.findall(r"(?:^|, | or )(\d+) if\b", said[1]))
    return found


def test_cli_help_names_every_exit_code_the_readme_names() -> None:
    import re

    named = _readme_exit_codes()
    assert named.get("puma scale") == {"1", "3"}, named  # the table is read (README: Commands)
    parsers = dict(walk("puma", puma_parser()))
    for command, codes in named.items():
        text = parsers[command].format_help()
        said = re.search(r"Exits?\s(.*)", " ".join(text.split()))
        assert said, f"`{command} --help` names no exit code; README names {sorted(codes)}"
        missing = {code for code in codes if not re.search(rf"(?:^|[\s,;]){code} if\b", said[1])}
        assert not missing, f"`{command} --help` leaves out exit code(s) {sorted(missing)} that README names"


@pytest.mark.parametrize("args", [["--help"], ["--prot", "13113"], ["extra", "words"]])
def test_cli_help_legacy_server_names_itself(args: list[str]) -> None:
    """Newcomer 91: `python -m legacy_socket_server --help` printed `usage: chatbot legacy ...`,
    another program's name, in its usage and its errors alike."""
    done = subprocess.run([sys.executable, "-m", "legacy_socket_server", *args], capture_output=True, text=True,
                          timeout=120)
    said = done.stdout + done.stderr
    assert said.startswith("usage: python -m legacy_socket_server "), said
    assert "chatbot legacy" not in said, said


@pytest.mark.parametrize(("prog", "parser"), every_parser(), ids=lambda value: value if isinstance(value, str) else "")
def test_cli_help_fits_100_columns(prog: str, parser: argparse.ArgumentParser, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every `--help` is read in a terminal of 100 columns without a line broken by it: a
    hand-wrapped description edited later must not grow a line past the rest."""
    monkeypatch.setenv("COLUMNS", "100")
    long = [line for line in parser.format_help().splitlines() if len(line) > 100]
    assert not long, f"`{prog} --help` has lines longer than 100 columns:\n" + "\n".join(long)
