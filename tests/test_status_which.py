"""Which deployment `puma status` shows without --url: the user's own one of this checkout, from
the moment its Envoy listens (while it starts, too), never a load test's that happens to be newer;
and it says which one it shows and how to pick another when several run."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from puma import running, runs
from puma.errors import PumaError
from tests.helpers import interrupt_and_finish, wait_for

ROOT = Path(__file__).parents[1]


def _run(port: int, cwd: str, *, started: float, harness: str = "", state: str = "serving") -> dict[str, Any]:
    return {"url": f"http://127.0.0.1:{port}", "cwd": cwd, "pid": port, "app": "chatbot/puma_app.py",
            "started": started, "state": state, "harness": harness, "token": "t"}


@pytest.fixture
def found(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The run files `puma status` sees (newest first, as `runs.running` gives them)."""
    monkeypatch.delenv("PUMA_URL", raising=False)
    listed: list[dict[str, Any]] = []
    monkeypatch.setattr(runs, "running", lambda: sorted(listed, key=lambda r: -r["started"]))
    return listed


@pytest.mark.parametrize("harness_newer", [True, False])
def test_status_which_prefers_the_users_run_over_a_newer_load_tests(
        found: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        capsys: pytest.CaptureFixture[str], harness_newer: bool) -> None:
    monkeypatch.chdir(tmp_path)
    found += [_run(18155, str(tmp_path), started=100.0, state="starting"),
              _run(36171, str(tmp_path), started=200.0 if harness_newer else 50.0, harness="the load test")]
    url, how = running.deployment_url(None)
    said = capsys.readouterr().err
    assert url == "http://127.0.0.1:18155" and "pid 18155" in how
    assert "showing http://127.0.0.1:18155" in said and "starting" in said  # which one, and that it starts
    assert "http://127.0.0.1:36171" in said and "the load test's" in said  # the other, said to be the load test's
    assert "--url 36171" in said  # how to pick the other one
    url, _how = running.deployment_url(None, changes=True)  # `puma scale` picks it too, without guessing
    assert url == "http://127.0.0.1:18155"


def test_status_which_shows_a_load_tests_run_when_it_is_the_only_one(
        found: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    found.append(_run(36171, str(tmp_path), started=1.0, harness="the load test"))
    assert running.deployment_url(None)[0] == "http://127.0.0.1:36171"
    assert capsys.readouterr().err == ""  # nothing else runs: nothing to choose between


def test_status_which_among_several_own_runs_names_each_and_a_port_to_pick(
        found: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    found += [_run(8080, str(tmp_path), started=1.0), _run(8090, str(tmp_path), started=2.0),
              _run(9000, "/elsewhere", started=3.0)]
    assert running.deployment_url(None)[0] == "http://127.0.0.1:8090"  # the newest of this checkout's
    said = capsys.readouterr().err
    assert "http://127.0.0.1:8080" in said and "--url 8080" in said and "9000" not in said
    with pytest.raises(PumaError, match=r"say which with --url \(e.g. --url 8090\)"):
        running.deployment_url(None, changes=True)


SLOW_START_APP = """
import os, time
from pathlib import Path
from puma import puma_config, puma_service, puma_start

def hold():  # the warm-up waits for the test's go-ahead (at most 60 s)
    deadline = time.monotonic() + 60
    while not Path(os.environ["GO_FILE"]).exists() and time.monotonic() < deadline:
        time.sleep(0.05)

puma_config({"puma_services": {"echo": {"prefix": "/echo", "warmup": "slow_app:hold", "instances": 2}}})
puma_service({"echo": "json:dumps"})
if __name__ == "__main__":
    puma_start()
"""


def test_status_which_finds_a_deployment_while_it_starts(tmp_path: Path) -> None:
    """A newcomer runs `puma status` in the checkout while `puma run` is still starting: it finds
    that deployment (the run file exists from the moment Envoy listens) and shows it starting."""
    (tmp_path / "slow_app.py").write_text(SLOW_START_APP)
    go = tmp_path / "go"
    env = {**{k: v for k, v in os.environ.items() if k not in ("PUMA_URL", "PUMA_SECRET", "PUMA_HARNESS")},
           "PUMA_RUNS_DIR": str(tmp_path / "runs"), "TMPDIR": str(tmp_path), "GO_FILE": str(go),
           "PYTHONPATH": os.pathsep.join([str(ROOT), str(tmp_path)])}
    log = tmp_path / "run.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "puma.cli", "run", "slow_app.py", "--port", "0"],
                                stdout=out, stderr=subprocess.STDOUT, env=env, cwd=tmp_path)
    try:
        run_file = wait_for(lambda: next((tmp_path / "runs").glob("*.json"), None), timeout_s=60,
                            message="the run file, written once Envoy listens")
        recorded = json.loads(run_file.read_text())
        assert recorded["state"] == "starting" and recorded["pid"] == proc.pid
        shown = subprocess.run([sys.executable, "-m", "puma.cli", "status"], capture_output=True, text=True,
                               timeout=60, env=env, cwd=tmp_path)
        assert shown.returncode == 0, shown.stderr
        assert recorded["url"] in shown.stdout and "starting" in shown.stdout, shown.stdout
        assert "serving at" not in log.read_text()  # it was still starting when status found it
        # The count it will start, before its zygote forked any: "0/2", never "0/0" (newcomer 59 m2).
        assert re.search(r"echo\s+/echo\s+0/2\b", shown.stdout), shown.stdout
        go.touch()
        wait_for(lambda: json.loads(run_file.read_text()).get("state") == "serving", timeout_s=60,
                 message="the run file to say serving")
        wait_for(lambda: re.search(r"serving at http://", log.read_text()), timeout_s=10,
                 message="puma run to say it serves")  # printed just after the run file says so
    finally:
        go.touch()
        interrupt_and_finish(proc, log=log)
    assert not list((tmp_path / "runs").glob("*.json"))  # removed when it stopped


def test_status_which_load_tests_deployment_is_marked_as_the_load_tests() -> None:
    """The load test's PUMA deployment says it is the load test's (so `puma status` prefers the
    user's own, and names this one "the load test's"); the legacy side's is not marked."""
    from loadtests import deployments

    assert deployments.environment("puma", "sqlite:///x.sqlite3")["PUMA_HARNESS"] == "the load test"
    assert "PUMA_HARNESS" not in deployments.environment("legacy", "sqlite:///x.sqlite3")


def _checkouts(tmp_path: Path, *names: str) -> list[Path]:
    """Clones (a folder holding .git) side by side, as several users' checkouts on one machine."""
    made = []
    for name in names:
        (tmp_path / name / ".git").mkdir(parents=True)
        (tmp_path / name / "examples").mkdir()
        made.append(tmp_path / name)
    return made


@pytest.mark.parametrize("where", ["", "examples"])
def test_status_which_never_shows_the_newest_of_other_checkouts_as_if_it_were_mine(
        found: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        capsys: pytest.CaptureFixture[str], where: str) -> None:
    """After `make stop` on a shared machine, two other users' deployments run: `puma status` in my
    checkout lists them with their checkouts and asks for --url; it shows no table of theirs."""
    mine, alice, bob = _checkouts(tmp_path, "mine", "alice", "bob")
    monkeypatch.chdir(mine / where)
    found += [_run(19213, str(alice), started=5.0), _run(19300, str(bob / "examples"), started=3.0)]
    with pytest.raises(PumaError) as caught:
        running.deployment_url(None)
    said = str(caught.value)
    assert "none was started from this directory" in said and str(mine) in said
    assert str(alice) in said and f"checkout {bob}" in said and "--url 19213" in said
    monkeypatch.setattr(running, "_get_status", lambda *a: pytest.fail("showed another checkout's table"))
    with pytest.raises(PumaError):
        running.cmd_status(type("Args", (), {"url": None, "json": False})())
    assert capsys.readouterr().out == ""


def test_status_which_prefers_another_folder_of_this_checkout_over_a_newer_stranger(
        found: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    mine, other = _checkouts(tmp_path, "mine", "other")
    (mine / "docs").mkdir()
    monkeypatch.chdir(mine / "docs")  # a sibling of where it was started: not "here", but this clone
    found += [_run(18650, str(mine / "examples"), started=1.0), _run(19213, str(other), started=9.0)]
    assert running.deployment_url(None)[0] == "http://127.0.0.1:18650"
    assert running.deployment_url(None, changes=True)[0] == "http://127.0.0.1:18650"
    assert "also running: http://127.0.0.1:19213" in capsys.readouterr().err


def test_status_which_names_the_other_checkout_of_the_only_deployment_it_shows(
        found: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    mine, other = _checkouts(tmp_path, "mine", "other")
    monkeypatch.chdir(mine)
    found.append(_run(19213, str(other / "examples"), started=1.0))
    status = {"url": "http://127.0.0.1:19213", "services": {}}
    monkeypatch.setattr(running, "_get_status", lambda *a: status)
    running.cmd_status(type("Args", (), {"url": None, "json": False})())
    out, err = capsys.readouterr()
    # Said first, on the stream the table is on (newcomer 91: the explanation came on stderr, after
    # the table, whose own first words were "Not from here"): nothing of yours runs; whose it is.
    first = out.splitlines()[0]
    assert first.startswith("Nothing of yours is running") and str(other) in first and str(mine) in first, out
    assert "make run" in first and "another checkout" not in err, err


def _service(*healthy: bool) -> dict[str, Any]:
    return {"prefix": "/agent", "max_instances": 4, "min_instances": 1, "ready": sum(healthy), "in_flight": 0, "requests_per_s": 0.0,
            "p50_ms": None, "p99_ms": None,
            "instances": [{"id": i, "pid": 22833 + i, "port": 35747 + i, "state": "ready", "healthy": h}
                          for i, h in enumerate(healthy)]}


@pytest.mark.parametrize(("services", "marked"), [
    ({"agent": _service(False, True)}, True),
    ({"agent": _service(True), "db": _service(False)}, True),
    ({"agent": _service(True, True)}, False),
])
def test_status_table_explains_its_marks(services: dict[str, Any], marked: bool) -> None:
    """Newcomer 91: `22833:35747!` with the `!` explained nowhere. Said under the table when shown."""
    table = running.format_status({"url": "http://127.0.0.1:19213", "services": services})
    assert ("!" in table.split("\n\n")[1]) == marked
    explained = [line for line in table.splitlines() if "marked !" in line]
    assert len(explained) == (1 if marked else 0) and (not marked or "health check" in explained[0]), table
