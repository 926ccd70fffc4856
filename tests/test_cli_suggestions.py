"""A mistyped option, in every subcommand of every command line of the project: the subcommand's
own usage and error, naming only the unknown option (not the words after it) and suggesting the
closest option it has; a mistyped subcommand gets the closest name."""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from chatbot.cli import build_parser as chatbot_parser
from chatbot.terminal import _options as chat_options
from legacy_socket_server.__main__ import _parser as legacy_parser
from loadtests.__main__ import _parser as loadtests_parser
from puma.cli import _parser as puma_parser
from puma.cliparse import SuggestingParser
from puma.suggest import closest
from tests.helpers import free_port

ROOT = Path(__file__).resolve().parents[1]


def _leaves(parser: argparse.ArgumentParser, path: list[str]) -> Iterator[tuple[list[str], argparse.ArgumentParser]]:
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield path, parser
    for action in subs:
        for name, child in action.choices.items():
            yield from _leaves(child, [*path, name])


ROOTS = {"puma": puma_parser(), "chatbot": chatbot_parser(), "python -m loadtests": loadtests_parser(),
         "python -m legacy_socket_server": legacy_parser()}
LEAVES = [(root, path, leaf) for root, parser in ROOTS.items() for path, leaf in _leaves(parser, [])
          if (path or root not in ("puma", "chatbot", "python -m loadtests")) and any(s.startswith("--") and s != "--help" for a in leaf._actions for s in a.option_strings)]


def _typo(option: str) -> str:
    """`--port` -> `--prot`: two neighbouring letters of the name swapped, as fingers do."""
    name = option[2:]
    for i in range(len(name) // 2, len(name) - 1):
        if name[i] != name[i + 1]:
            return "--" + name[:i] + name[i + 1] + name[i] + name[i + 2:]
    return option + "x"


def _filled(leaf: argparse.ArgumentParser) -> list[str]:
    """Values for the leaf's positionals and required options, so only the typo is wrong."""
    words: list[str] = []
    for action in leaf._actions:
        value = str(next(iter(action.choices))) if action.choices else "1"
        if not action.option_strings and action.nargs not in ("?", "*", argparse.REMAINDER):
            words.append(value)
        elif action.required:
            words += [action.option_strings[-1], value]
    return words


def test_cli_suggestions_cover_every_subcommand_of_each_command_line() -> None:
    covered = {(root, " ".join(path)) for root, path, _ in LEAVES}
    assert {("puma", "run"), ("puma", "loc-report"), ("puma", "bench scale"), ("chatbot", "eval")} <= covered
    assert len(covered) >= 15, covered


@pytest.mark.parametrize(("root", "path", "leaf"), LEAVES, ids=[f"{r} {' '.join(p)}" for r, p, _ in LEAVES])
def test_cli_suggestions_a_mistyped_option_is_named_by_its_subcommand_with_the_closest(
        root: str, path: list[str], leaf: argparse.ArgumentParser, capsys: pytest.CaptureFixture[str]) -> None:
    options = [s for a in leaf._actions for s in a.option_strings if s.startswith("--") and s != "--help"]
    option = max(options, key=len)
    typo = _typo(option)
    assert not any(o.startswith(typo) for o in options), f"{typo} abbreviates an option: a bad test case"
    with pytest.raises(SystemExit) as stop:
        ROOTS[root].parse_args([*path, typo, "9000", *_filled(leaf)])
    err = capsys.readouterr().err
    assert stop.value.code == 2
    assert err.startswith(f"usage: {leaf.prog} "), err  # the subcommand's usage, not the top level's
    error = err.strip().splitlines()[-1]
    hint = closest(typo, options)
    assert error == f"{leaf.prog}: error: unrecognized option {typo}; did you mean {hint}?", err
    assert hint == option or hint in options


@pytest.mark.parametrize(("argv", "wanted"), [
    (["statsu"], "did you mean 'status'?"), (["loc-reprot", "a", "b"], "did you mean 'loc-report'?"),
    (["bench", "peer", "--out", "x"], "did you mean 'peers'?"), (["--log-level", "wraning", "status"], "did you mean 'warning'?"),
])
def test_cli_suggestions_a_mistyped_subcommand_or_choice_gets_the_closest(
        argv: list[str], wanted: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        puma_parser().parse_args(argv)
    assert capsys.readouterr().err.strip().endswith(wanted)


def test_cli_suggestions_unknown_words_without_an_option_are_named_and_nothing_far_is_suggested(
        capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        puma_parser().parse_args(["run", "app.py", "extra", "words"])
    assert capsys.readouterr().err.strip().endswith("puma run: error: unrecognized arguments: extra words")
    with pytest.raises(SystemExit):
        puma_parser().parse_args(["status", "--zzzzzz"])
    assert capsys.readouterr().err.strip().endswith("unrecognized option --zzzzzz (see puma status --help)")
    with pytest.raises(SystemExit):
        chat_options(["--databse-url=sqlite://"])
    assert "chatbot chat: error: unrecognized option --databse-url; did you mean --database-url?" in capsys.readouterr().err


def test_cli_suggestions_as_a_user_types_them_in_a_shell() -> None:
    done = subprocess.run([sys.executable, "-m", "puma.cli", "run", "--prot", "9000", "examples/hello_app.py"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stderr.startswith("usage: puma run ")
    assert re.search(r"^puma run: error: unrecognized option --prot; did you mean --port\?$", done.stderr, re.MULTILINE)
    assert "hello_app.py" not in done.stderr.splitlines()[-1]
    assert issubclass(type(puma_parser()), SuggestingParser)


@pytest.mark.parametrize(("args", "expected"), [
    (["status", "--host", "127.0.0.1:9"], "did you mean --url 127.0.0.1:9?"),
    (["status", "--address=127.0.0.1:9"], "did you mean --url 127.0.0.1:9?"),
    (["scale", "agent", "2", "--addr", "80"], "did you mean --url 80?"),
    (["status", "--host"], "did you mean --url?"),  # no value given: none shown
])
def test_cli_an_option_another_command_takes_names_this_ones_name_with_the_value(
        args: list[str], expected: str) -> None:
    done = subprocess.run([sys.executable, "-m", "puma.cli", *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and expected in done.stderr, done.stderr
    assert f"(puma {args[0]} calls it --url)" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def _puma(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "puma.cli", *args], capture_output=True, text=True, timeout=60,
                          cwd=ROOT, env={k: v for k, v in os.environ.items() if k != "PUMA_URL"})


@pytest.mark.parametrize("command", [["status"], ["scale", "agent", "2"]])
def test_cli_status_and_scale_take_a_port_as_puma_run_and_puma_stop_do(command: list[str]) -> None:
    port = str(free_port())  # nothing serves there: both forms must say the same about that address
    by_port, by_url = _puma(*command, "--port", port), _puma(*command, "--url", port)
    assert "unrecognized option" not in by_port.stderr, by_port.stderr
    assert by_port.returncode == by_url.returncode != 0
    # the same words about that address, each naming the option it was given by
    assert f"(from --port {port})" in by_port.stderr and "(from --url" in by_url.stderr, (by_port.stderr, by_url.stderr)
    said = [re.sub(r"\(from --(?:port|url)[^)]*\)", "(from ...)", done.stderr) for done in (by_port, by_url)]
    assert said[0] == said[1] and f"127.0.0.1:{port}" in by_port.stderr, by_port.stderr


@pytest.mark.parametrize(("args", "expected"), [
    (["status", "--port", "8080", "--url", "9090"], "--port 8080 and --url 9090 name the deployment twice"),
    (["status", "--port", "0"], "--port 0: a port is 1 to 65535"),
    (["scale", "agent", "2", "--port", "70000"], "--port 70000: a port is 1 to 65535"),
])
def test_cli_a_port_given_twice_or_out_of_range_is_refused_naming_it(args: list[str], expected: str) -> None:
    done = _puma(*args)
    assert done.returncode != 0 and expected in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
