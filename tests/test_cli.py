"""The `puma` command as a user runs it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import interrupt_and_finish, wait_for

ROOT = Path(__file__).parents[1]
HELLO = ROOT / "examples" / "hello_app.py"


def _puma(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "puma.cli", *args], capture_output=True, text=True,
                          timeout=120, **kwargs)


def test_cli_status_table_reads_the_public_view_too():
    from puma.cli import format_status

    public = {"view": "public", "time": 0, "envoy": {"up": True}, "events": [], "services": {"greet": {
        "prefix": "/greet", "ready": 1, "max_instances": 2, "in_flight": 0, "requests_per_s": 1.5, "p50_ms": 1.0,
        "p99_ms": None, "instances": [{"id": 3, "state": "ready", "healthy": True, "requests": 4}]}}}
    table = format_status(public)
    assert "public view" in table and re.search(r"greet\s+/greet\s+1/2.*#3$", table, re.MULTILINE)


def test_cli_run_serves_reports_status_and_stops_cleanly_on_sigint(tmp_path):
    log_path = tmp_path / "run.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "puma.cli", "run", str(HELLO), "--port", "0"],
                                stdout=log, stderr=subprocess.STDOUT, text=True)
    try:
        url = wait_for(lambda: re.search(r"serving at (http://\S+)", log_path.read_text()), timeout_s=30,
                       message="puma run to serve").group(1)
        import httpx

        assert httpx.post(url + "/greet", json={"name": "Ada"}).json()["greeting"] == "HELLO, ADA!"
        table = _puma("status", "--url", url)
        assert table.returncode == 0, table.stderr
        assert re.search(r"greet\s+/greet\s+2/2", table.stdout)
        raw = json.loads(_puma("status", "--url", url, "--json").stdout)
        assert raw["services"]["shout"]["ready"] == 1
    finally:
        code, _ = interrupt_and_finish(proc, timeout_s=30, log=log_path)
    assert code == 130  # Ctrl-C: 130 in every phase (README: Ctrl-C drains)
    assert "deployment stopped" in log_path.read_text()


def test_cli_status_without_deployment_says_how_to_start_one():
    result = _puma("status", "--url", "http://127.0.0.1:9")
    assert result.returncode == 1
    assert "start one with `puma run APP.py`" in result.stderr
    assert "such as `make run`" in result.stderr  # what a Quick-start newcomer started it with
    assert "--port 8090" in result.stderr  # the form `puma run` and `puma stop` take
    assert "Traceback" not in result.stderr


def test_cli_run_with_bad_config_shows_error_without_traceback(tmp_path):
    app = tmp_path / "bad_app.py"
    app.write_text("from puma import puma_config\npuma_config({'puma_services': {'x': 'nope'}, 'extra': 1})\n")
    result = _puma("run", str(app))
    assert result.returncode == 1
    assert "puma_services.x.prefix: 'nope' is not a URL prefix" in result.stderr
    assert "extra: unknown key" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_run_reports_a_service_that_cannot_be_imported(tmp_path):
    app = tmp_path / "broken_app.py"
    app.write_text("from puma import puma_config, puma_service, puma_start\n"
                   "puma_config({'puma_services': {'x': '/x'}})\n"
                   "puma_service({'x': 'no_such_module_here:fn'})\n"
                   "if __name__ == '__main__':\n    puma_start()\n")
    # Found before anything starts (puma.targetchecks): named with its service, nothing started.
    result = _puma("run", str(app), "--port", "0", env={**os.environ, "TMPDIR": str(tmp_path)})
    assert result.returncode == 1
    assert "puma_services.x.target: cannot import 'no_such_module_here:fn'" in result.stderr, result.stderr
    assert "no module named 'no_such_module_here'" in result.stderr.lower()
    assert "Traceback" not in result.stderr and not list(tmp_path.glob("puma-*/logs/x.log"))  # no zygote ran


def test_bench_proxy_writes_json_and_plot(tmp_path):
    result = _puma("--log-level", "warning", "bench", "proxy", "--out", str(tmp_path), "--requests", "300")
    assert result.returncode == 0, result.stderr
    data = json.loads((tmp_path / "proxy.json").read_text())
    assert set(data["latency_ms"]) == {"direct", "envoy"}
    assert data["git_revision"] and data["machine"]["cores"]
    assert (tmp_path / "proxy.png").stat().st_size > 10_000


def test_bench_autoscale_quick_writes_timeline(tmp_path):
    result = _puma("--log-level", "warning", "bench", "autoscale", "--quick", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    data = json.loads((tmp_path / "autoscale.json").read_text())
    assert [r["variant"] for r in data["runs"]] == ["before", "current"]  # side by side in one run
    for run in data["runs"]:
        assert run["samples"] and run["requests_total"] > 0
        assert run["max_ready_instances"] > 1  # the step added capacity
        assert set(run["breakdown"]) == {"ramp_s", "detection_s", "start_s", "routing_s", "time_to_capacity_s"}
    assert data["git_revision"] and data["load_average_before"] and set(data["variants"]) == {"before", "current"}
    assert (tmp_path / "autoscale.png").stat().st_size > 10_000


# Its measures wait on real events (Envoy's membership change after a kill -9, an autoscaled second
# instance) within bounds; on a machine busy with other tests one was missed twice in ~10 runs
# (each passed alone): one rerun, and the failure says which measure and its run.
@pytest.mark.flaky(reruns=1)
def test_bench_scale_quick_writes_csv_json_and_plots(tmp_path):
    result = _puma("--log-level", "warning", "bench", "scale", "--quick", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    data = json.loads((tmp_path / "scale.json").read_text())
    assert data["git_revision"] and data["machine"]["cores"] and data["load_average_end"]
    runs = {r["size"]: r for r in data["runs"]}
    assert set(runs) == {3, 8}
    for size, run in runs.items():
        assert "error" not in run, run
        assert run["start_s"] > 0 and run["p50_ms"] > 0 and run["idle_cores_total"] >= 0
        assert run["processes"]["instances"] == size and run["memory_mib"]["envoy"] > 0
        assert run["endpoint_change_ms"] is not None and run["autoscale_reaction_s"] is not None, run
    # a fit is written (its value, from two sizes' PSS on a shared machine, is the benchmark's to judge)
    assert isinstance(data["fits"]["current"]["memory_mib_total"]["per_instance"], float)
    rows = (tmp_path / "scale.csv").read_text().splitlines()
    assert rows[0].startswith("series,size,") and len(rows) == 3
    assert (tmp_path / "scale.png").stat().st_size > 10_000 and (tmp_path / "scale_start_s.png").exists()


def test_bench_scale_shapes_and_fits():
    from puma.bench.scale import exported, fit, shape

    plan = shape(1000, workers=3)
    local = sum(s["instances"]["min"] if isinstance(s["instances"], dict) else s["instances"]
                for s in plan["services"].values())
    assert local == 250 and sum(w["instances"] for w in plan["workers"]) == 750
    assert shape(3, workers=0)["services"]["s0"]["instances"] == 2  # with the autoscaled one: 3
    assert fit([(10, 1.0), (20, 2.0), (30, 3.0)]) == {"per_instance": 0.1, "fixed": 0.0}
    assert fit([(10, 1.0)]) is None
    with exported("HEAD") as checkout:
        assert (checkout / "puma" / "supervisor.py").is_file()


@pytest.mark.parametrize(("args", "needle"), [
    (["--sizes", "1,5"], "each deployment needs at least 2 instances"),
    (["--sizes", "3", "--baseline", "no-such-revision"], "--baseline 'no-such-revision': git archive says"),
    (["--sizes", "3,many"], "give whole numbers separated by commas"),
])
def test_bench_scale_refuses_what_it_cannot_measure(tmp_path, args, needle):
    result = _puma("bench", "scale", "--out", str(tmp_path), *args)
    assert result.returncode != 0 and needle in result.stderr
    assert not list(tmp_path.iterdir())  # nothing started, nothing written


def test_cli_status_shows_an_autoscaled_service_as_ready_then_its_bounds():
    from puma.cli import format_status

    def service(ready: int, low: int, high: int, autoscaled: bool) -> dict:
        return {"prefix": "/checkout", "ready": ready, "min_instances": low, "max_instances": high,
                "autoscaled": autoscaled, "in_flight": 0, "requests_per_s": 0.0, "p50_ms": None, "p99_ms": None,
                "instances": []}

    for ready, low, high, autoscaled, shown in [(1, 1, 3, True, "1 (1-3)"), (2, 0, 8, True, "2 (0-8)"),
                                                (1, 2, 2, False, "1/2"), (3, 3, 3, False, "3/3")]:
        status = {"time": 0, "envoy": {"up": True}, "events": [],
                  "services": {"checkout": service(ready, low, high, autoscaled)}}
        assert re.search(rf"checkout\s+/checkout\s+{re.escape(shown)}\s", format_status(status)), shown
