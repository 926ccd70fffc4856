"""README.md as a newcomer reads it from the top: every command it tells them to type works as
written in a fresh shell (after the one step that puts `.venv/bin` on PATH), its tables render as
tables, its contents links lead to headings, and every script it names exists (one name each)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text()
ACTIVATE = ". .venv/bin/activate"
OUR_COMMANDS = ("puma", "chatbot")


def shell_lines(text: str) -> list[tuple[int, str]]:
    """(offset, line) of each command line in the ```sh blocks (comments and outputs dropped)."""
    found = []
    for block in re.finditer(r"```(?:sh|bash|console)\n(.*?)```", text, re.DOTALL):
        offset = block.start(1)
        joined = re.sub(r"\\\n\s*", " ", block.group(1))  # a line continued with a backslash is one command
        for line in joined.splitlines(keepends=True):
            command = line.split(" #", 1)[0].strip()
            if command and not command.startswith("#"):
                found.append((offset, command))
            offset += len(line)
    return found


def our_commands(text: str) -> list[tuple[int, str]]:
    """Lines of the sh blocks, and `inline code` in prose, that run `puma` or `chatbot` by bare name."""
    found = [(at, line) for at, line in shell_lines(text) if line.split()[0] in OUR_COMMANDS]
    found += [(m.start(), m.group(1)) for m in re.finditer(r"`((?:puma|chatbot) [^`]+)`", text)]
    return sorted(found)


def test_readme_says_to_activate_the_venv_before_any_bare_command() -> None:
    commands = our_commands(README)
    assert commands, "the README names no puma/chatbot command: the parser is broken"
    activate = README.find(ACTIVATE)
    assert activate >= 0, f"the README never tells the newcomer to run `{ACTIVATE}`"
    before = [line for at, line in commands if at < activate]
    assert before == [], f"commands a newcomer would type before `{ACTIVATE}` is said: {before}"


def test_readme_our_commands_parse_the_kind_of_lines_newcomers_copy() -> None:
    sample = "x\n```sh\nmake run\npuma status   # the mesh\n# puma nothing\nchatbot chat\n```\nsee `puma scale a 2`\n"
    assert [line for _, line in our_commands(sample)] == ["puma status", "chatbot chat", "puma scale a 2"]


def _subcommand_words(line: str) -> list[str]:
    """`puma bench scale --out D` -> ['puma', 'bench', 'scale']: the command words before any argument."""
    words: list[str] = []
    for word in line.split("|")[0].split(";")[0].split():
        if word.startswith("-") or not re.fullmatch(r"[a-z][a-z-]*", word) or len(words) == 3:
            break
        words.append(word)
    return words


@pytest.mark.skipif(not (ROOT / ".venv" / "bin" / "puma").exists(), reason="needs the installed .venv (make)")
def test_readme_every_command_it_names_runs_from_a_fresh_shell_after_activate() -> None:
    """Each distinct `puma ...`/`chatbot ...` command of the README, as `--help`, in `env -i bash`
    (no PATH but the system's) after the activate step: the command and its subcommands exist."""
    known = _known_command_lines()
    seen: dict[tuple[str, ...], str] = {}
    for _, line in our_commands(README):
        words = _subcommand_words(line)
        while len(words) > 1 and " ".join(words) not in known:
            words.pop()  # `puma scale agent 3` -> `puma scale`
        seen.setdefault(tuple(words), line)
    assert len(seen) >= 6, f"too few commands found to mean anything: {seen}"
    script = " && ".join(f"{shlex.join(words)} --help > /dev/null" for words in seen) or "true"
    env = {"PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/tmp"), "LANG": "C.UTF-8"}
    done = subprocess.run(["env", "-i", *[f"{k}={v}" for k, v in env.items()], "bash", "-c",
                           f"cd {shlex.quote(str(ROOT))} && {ACTIVATE} && set -e && {script}"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{done.stderr[-800:]}\n(commands: {sorted(seen)})"


def _known_command_lines() -> set[str]:
    from tests.test_cli_help import every_parser  # the parsers' own tree of commands

    return {prog for prog, _ in every_parser()}


def test_readme_every_command_block_line_runs_only_known_programs() -> None:
    """The first word of each command line is a program the newcomer has (system, .venv or make)."""
    allowed = {"make", "puma", "chatbot", "curl", "python", ".venv/bin/python", ".venv/bin/chatbot",
               ".venv/bin/puma", ".", "kubectl", "docker", "docker-compose", "envoy", "cd", "export", "git",
               "PUMA_SECRET", "DATABASE_URL", "sudo", "apt-get", "npm", "aws", "ssh", "ip", "sh", "bash",
               "for", "done", "do", "while", "echo", "hey", "source", "open", "xdg-open", "kill"}
    unknown = {line.split()[0].split("=")[0] for _, line in shell_lines(README)} - allowed
    unknown = {word for word in unknown if not re.fullmatch(r"[A-Z_]+", word)}  # VAR=value prefixes
    assert unknown == set(), f"README command lines start with programs a newcomer may not have: {unknown}"


def table_breaks(text: str) -> list[str]:
    """Lines outside code blocks that look like table rows but belong to no table: a `|` row whose
    previous line is not a row must be a header, followed by a delimiter row (`|---|`)."""
    lines, broken, fenced = text.splitlines(), [], False
    for i, line in enumerate(lines):
        if line.startswith("```"):
            fenced = not fenced
        if fenced or not line.startswith("|"):
            continue
        starts = i == 0 or not lines[i - 1].startswith("|")
        if starts and not (i + 1 < len(lines) and re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", lines[i + 1].strip())):
            broken.append(f"line {i + 1}: {line[:70]}")
    return broken


def test_readme_tables_are_unbroken() -> None:
    assert table_breaks(README) == []


def test_readme_table_check_finds_a_paragraph_inside_a_table() -> None:
    table = "| a | b |\n|---|---|\n| 1 | 2 |\n"
    assert table_breaks(table) == []
    assert table_breaks(table + "A paragraph between rows.\n| 3 | 4 |\n") == ["line 5: | 3 | 4 |"]
    assert table_breaks("```\n| not | a table |\n```\n") == []


def _anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_readme_contents_links_lead_to_headings() -> None:
    headings = {_anchor(m.group(1)) for m in re.finditer(r"^#{1,4} (.+)$", README, re.MULTILINE)}
    links = re.findall(r"\]\(#([^)]+)\)", README)
    assert len(links) >= 8, "a long README needs a table of contents near the top"
    assert README.find("](#") < README.find("\n## Writing a PUMA app"), "the contents come before the sections"
    assert [link for link in links if link not in headings] == []


def test_readme_and_makefile_name_only_scripts_that_exist_each_by_one_name() -> None:
    texts = {path: (ROOT / path).read_text() for path in ("README.md", "Makefile")}
    texts |= {str(p.relative_to(ROOT)): p.read_text() for p in (ROOT / "tests").rglob("*.py")}
    named = {m for text in texts.values() for m in re.findall(r"scripts/[\w.-]+\.(?:sh|py)", text)}
    missing = sorted(name for name in named if not (ROOT / name).exists())
    assert missing == [], f"named but not in scripts/: {missing}"
    used = "\n".join(texts.values()) + "\n".join(p.read_text() for p in (ROOT / "scripts").iterdir())
    unnamed = sorted(p.name for p in (ROOT / "scripts").iterdir() if f"scripts/{p.name}" not in used)
    assert unnamed == [], f"scripts nothing runs or names (two names for one step?): {unnamed}"


def test_readme_never_starts_a_second_monolith_on_the_port_make_run_gives_it() -> None:
    """`make run` starts the legacy server beside the mesh on LEGACY_PORT: a README command that
    starts it again on that port clashes with it, and prose must not send the reader to do so."""
    default = re.search(r"^LEGACY_PORT \?= (\d+)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert default, "the Makefile's LEGACY_PORT default"
    starts = [line for _, line in shell_lines(README)
              if re.search(r"\bchatbot legacy\b|-m legacy_socket_server\b", line.split(" #", 1)[0])]
    for line in starts:
        port = re.search(r"--port[ =](\d+)", line)
        assert port and port.group(1) != default.group(1), f"starts the monolith on make run's port: {line}"
    told = re.findall(r"[^.]*start it (?:yourself|with `(?:python -m legacy_socket_server|chatbot legacy)`)[^.]*", README)
    assert not told, f"README tells the reader to start the monolith `make run` already runs: {told}"
    assert "the legacy server beside it" in README[:README.index("## Writing a PUMA app")]  # in the Quick start
