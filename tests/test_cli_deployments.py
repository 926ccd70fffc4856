"""Finding and changing a running deployment from the command line, as a user does it:
`puma status` and `puma scale` without --url find what `puma run` started; --url takes a URL,
HOST:PORT or a port; the config's jobs run before the services; a refused start says nothing
about stopping what never started."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from puma.errors import PumaError
from puma.running import normalise_url
from tests.helpers import interrupt_and_finish, wait_for

ROOT = Path(__file__).parents[1]
HELLO = ROOT / "examples" / "hello_app.py"


def _puma(*args: str, env: dict[str, str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "puma.cli", *args], capture_output=True, text=True,
                          timeout=120, env=env, cwd=cwd)


@contextmanager
def running(app: Path, env: dict[str, str], log: Path, *extra: str) -> Iterator[tuple[subprocess.Popen, str]]:
    """`puma run APP` on a free port until the block ends (then Ctrl-C), and its URL."""
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "puma.cli", "run", str(app), "--port", "0", *extra],
                                stdout=out, stderr=subprocess.STDOUT, env=env, cwd=app.parent)
    try:
        url = wait_for(lambda: re.search(r"serving at (http://\S+)", log.read_text()), timeout_s=60,
                       message="puma run to serve").group(1)
        yield proc, url
    finally:
        interrupt_and_finish(proc, timeout_s=30, log=log)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """This test's own run files, no secret, no $PUMA_URL."""
    clean = {k: v for k, v in os.environ.items() if k not in ("PUMA_URL", "PUMA_SECRET")}
    return {**clean, "PUMA_RUNS_DIR": str(tmp_path / "runs"), "TMPDIR": str(tmp_path)}


def test_cli_status_finds_the_deployment_puma_run_started(tmp_path: Path, env: dict[str, str]) -> None:
    with running(HELLO, env, tmp_path / "run.log") as (_proc, url):
        port = url.rsplit(":", 1)[1]
        found = _puma("status", env=env)  # no --url: the run file of the `puma run` above
        assert found.returncode == 0, found.stderr
        assert url in found.stdout and re.search(r"greet\s+/greet\s+2/2", found.stdout)
        for given in (port, f"127.0.0.1:{port}", f"localhost:{port}/", url):  # without a scheme too
            assert re.search(r"greet\s+/greet", _puma("status", "--url", given, env=env).stdout), given
        by_env = _puma("status", env={**env, "PUMA_URL": f"127.0.0.1:{port}", "PUMA_RUNS_DIR": str(tmp_path / "none")})
        assert by_env.returncode == 0 and "greet" in by_env.stdout
        run_files = list((tmp_path / "runs").glob("*.json"))
        assert len(run_files) == 1 and oct(run_files[0].stat().st_mode & 0o777) == "0o600"
    assert not list((tmp_path / "runs").glob("*.json"))  # removed when it stopped
    gone = _puma("status", env=env)
    assert gone.returncode == 1 and "--url" in gone.stderr and "puma run" in gone.stderr
    assert "Traceback" not in gone.stderr


def test_cli_status_help_states_where_it_looks(env: dict[str, str]) -> None:
    text = " ".join(_puma("status", "--help", env=env).stdout.split())
    assert "$PUMA_URL" in text and "puma run" in text and "http://127.0.0.1:8080" in text


@pytest.mark.parametrize(("given", "url"), [
    ("8090", "http://127.0.0.1:8090"), ("127.0.0.1:8090", "http://127.0.0.1:8090"),
    ("localhost:18480/", "http://localhost:18480"), ("https://mesh.example:443", "https://mesh.example:443"),
    ("[::1]:8080", "http://[::1]:8080"),
])
def test_cli_url_takes_what_people_type(given: str, url: str) -> None:
    assert normalise_url(given, "--url") == url


@pytest.mark.parametrize("given", ["ftp://host:1", "http://", "host:99999", "127.0.0.1:8080/dashboard", "a b:1"])
def test_cli_url_refuses_what_is_no_deployment_address(given: str) -> None:
    with pytest.raises(PumaError, match="--url .* is not a deployment's address; give a URL, HOST:PORT or a port"):
        normalise_url(given, "--url")


def test_cli_scale_changes_instances_and_refuses_bad_counts(tmp_path: Path, env: dict[str, str]) -> None:
    with running(HELLO, env, tmp_path / "run.log") as (_proc, url):
        up = _puma("scale", "shout", "3", env=env)
        assert up.returncode == 0, up.stderr
        assert "shout: 1 -> 3 instances" in up.stdout and "shout: 3 instances ready" in up.stdout
        assert httpx.get(url + "/_puma/status").json()["services"]["shout"]["ready"] == 3
        assert _puma("scale", "shout", "1", env=env).returncode == 0
        events = httpx.get(url + "/_puma/status").json()["events"]
        assert [e["to"] for e in events if e.get("kind") == "scale"] == [3, 1]  # shown like any decision
        for args, says in ((("shout", "0"), "give a whole number from 1 to 32"),
                           (("shout", "33"), "give a whole number from 1 to 32"),
                           (("nope", "2"), "no service 'nope'; services: greet, shout"),
                           (("shuot", "2"), "no service 'shuot'; did you mean 'shout'?; services: greet, shout"),
                           (("gret", "2"), "no service 'gret'; did you mean 'greet'?")):
            refused = _puma("scale", *args, env=env)
            assert refused.returncode == 1 and says in refused.stderr and "Traceback" not in refused.stderr
        # Without the run file (another user, another host) it needs the secret, and a wrong one is refused.
        elsewhere = {**env, "PUMA_RUNS_DIR": str(tmp_path / "elsewhere")}
        assert "set $PUMA_SECRET" in _puma("scale", "shout", "2", "--url", url, env=elsewhere).stderr
        wrong = _puma("scale", "shout", "2", "--url", url, env={**elsewhere, "PUMA_SECRET": "wrong"})
        assert wrong.returncode == 1 and "x-puma-token" in wrong.stderr
        raw = httpx.post(url + "/_puma/scale", json={"service": "shout", "instances": 2})
        assert raw.status_code == 401 and raw.json()["status"] == 401
        assert httpx.get(url + "/_puma/status").json()["services"]["shout"]["ready"] == 1


def test_cli_scale_keeps_an_autoscaled_service_within_its_bounds(tmp_path: Path, env: dict[str, str]) -> None:
    app = tmp_path / "app.py"
    app.write_text("from puma import puma_config, puma_service, puma_start\n"
                   "puma_config({'puma_services': {'echo': {'prefix': '/echo', 'instances': {'min': 1, 'max': 3},"
                   " 'autoscale': {'downscale_delay_s': 600}}}})\n"
                   "puma_service({'echo': 'json:dumps'})\n"
                   "if __name__ == '__main__':\n    puma_start()\n")
    with running(app, env, tmp_path / "run.log"):
        done = _puma("scale", "echo", "2", env=env)
        assert done.returncode == 0, done.stderr
        assert "echo: 1 -> 2 instances (autoscaled 1-3: held at 2 or more for 600 s, until " in done.stdout
        beyond = _puma("scale", "echo", "4", env=env)
        assert beyond.returncode == 1 and "echo is autoscaled between 1 and 3" in beyond.stderr


AUTOSCALED = ("from puma import puma_config, puma_service, puma_start\n"
              "puma_config({'puma_services': {'echo': {'prefix': '/echo', 'instances': {'min': 1, 'max': 3},"
              " 'autoscale': {'downscale_delay_s': %s}}}})\n"
              "puma_service({'echo': 'json:dumps'})\n"
              "if __name__ == '__main__':\n    puma_start()\n")


def test_cli_scale_by_hand_holds_for_the_downscale_window_even_after_idling(tmp_path: Path, env: dict[str, str]) -> None:
    """The autoscaler's idle history from before `puma scale` does not undo it at the next tick."""
    import time
    app = tmp_path / "app.py"
    app.write_text(AUTOSCALED % "4")
    with running(app, env, tmp_path / "run.log") as (_proc, url):
        served = time.monotonic()
        wait_for(lambda: time.monotonic() - served > 5, timeout_s=10, message="an idle spell longer than the window")
        for count in ("3", "2"):  # up, and down from there: each a new hold
            done = _puma("scale", "echo", count, "--wait-s", "20", env=env)
            assert done.returncode == 0, done.stderr
            assert f"echo: {count} instances ready" in done.stdout and f"held at {count} or more for 4 s, until" in done.stdout
        scaled_back = wait_for(lambda: [e for e in httpx.get(url + "/_puma/status").json()["events"]
                                        if e.get("kind") == "scale" and e.get("reason") != "puma scale"],
                               timeout_s=30, message="the autoscaler to scale the idle service down")
        by_hand = [e for e in httpx.get(url + "/_puma/status").json()["events"] if e.get("reason") == "puma scale"]
        assert [e["to"] for e in by_hand] == [3, 2]
        assert scaled_back[0]["to"] == 1 and scaled_back[0]["time"] - by_hand[-1]["time"] >= 4.0 - 0.05


def test_cli_scale_refuses_to_guess_among_deployments_and_status_prefers_this_directory(
        tmp_path: Path, env: dict[str, str]) -> None:
    here, there = tmp_path / "here", tmp_path / "there"
    for folder in (here, there):
        folder.mkdir()
        (folder / "app.py").write_text(AUTOSCALED % "600")
    with running(here / "app.py", env, tmp_path / "here.log") as (_p1, url_here), \
            running(there / "app.py", env, tmp_path / "there.log") as (_p2, url_there):
        outside = _puma("scale", "echo", "2", env=env, cwd=tmp_path)
        assert outside.returncode == 1 and "2 deployments of yours are running" in outside.stderr
        assert url_here in outside.stderr and url_there in outside.stderr and "--url" in outside.stderr
        shown = _puma("status", env=env, cwd=tmp_path)  # reading may guess, and says so
        assert shown.returncode == 0 and "showing the newest" in shown.stderr
        for folder, url in ((here, url_here), (there, url_there)):
            sub = folder / "sub"
            sub.mkdir()
            assert url in _puma("status", env=env, cwd=sub).stdout  # a sub-folder of where it was started
            assert _puma("scale", "echo", "2", "--wait-s", "0", env=env, cwd=folder).returncode == 0
            assert httpx.get(url + "/_puma/status").json()["services"]["echo"]["max_instances"] == 3
        events_here = [e for e in httpx.get(url_here + "/_puma/status").json()["events"] if e.get("kind") == "scale"]
        assert [e["to"] for e in events_here] == [2]


def test_cli_run_runs_the_configs_jobs_first_and_skips_container_only_ones(tmp_path: Path, env: dict[str, str]) -> None:
    app = tmp_path / "app.py"
    write = "import sys; open(sys.argv[1], 'a').write(sys.argv[2])"
    app.write_text("import sys\nfrom puma import puma_config, puma_service, puma_start\n"
                   "puma_config({'puma_services': {'a': '/a'}, 'jobs': [\n"
                   f"  {{'name': 'first', 'command': [sys.executable, '-c', {write!r}, 'done.txt', '1']}},\n"
                   f"  {{'name': 'cluster', 'command': [sys.executable, '-c', {write!r}, 'done.txt', 'X'], 'local': False}},\n"
                   f"  {{'name': 'second', 'command': [sys.executable, '-c', {write!r}, 'done.txt', '2']}}]}})\n"
                   "puma_service({'a': 'json:dumps'})\n"
                   "if __name__ == '__main__':\n    puma_start()\n")
    log = tmp_path / "run.log"
    with running(app, env, log):
        assert (tmp_path / "done.txt").read_text() == "12"  # in order, before it served; not the local: false one
    text = log.read_text()
    assert "job first (1/2):" in text and "job second (2/2):" in text and "job second: done in" in text
    assert text.index("job second: done in") < text.index("envoy started")
    assert "run them yourself" not in text


def test_cli_run_stops_at_a_failing_job_with_its_log(tmp_path: Path, env: dict[str, str]) -> None:
    app = tmp_path / "app.py"
    app.write_text("import sys\nfrom puma import puma_config, puma_service, puma_start\n"
                   "puma_config({'puma_services': {'a': '/a'}, 'jobs': [{'name': 'migrate', 'command': "
                   "[sys.executable, '-c', 'print(\"no database at db.example\"); raise SystemExit(3)']}]})\n"
                   "puma_service({'a': 'json:dumps'})\n"
                   "if __name__ == '__main__':\n    puma_start()\n")
    result = _puma("run", str(app), "--port", "0", env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert "job 'migrate'" in result.stderr and "exited with code 3" in result.stderr
    assert "no database at db.example" in result.stderr  # the end of its log, whose path is kept
    assert "envoy started" not in result.stderr + result.stdout and "Traceback" not in result.stderr
    assert "no database at db.example" in next(tmp_path.glob("puma-*/logs/job-migrate.log")).read_text()


def test_cli_run_on_a_busy_port_says_so_and_nothing_about_stopping(tmp_path: Path, env: dict[str, str]) -> None:
    with running(HELLO, env, tmp_path / "run.log") as (_proc, url):
        port = url.rsplit(":", 1)[1]
        second = _puma("run", str(HELLO), "--port", port, env=env)
        assert second.returncode == 1 and "already in use" in second.stderr
        assert "stopped" not in second.stderr + second.stdout
