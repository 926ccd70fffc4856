"""`puma bench peers`: PUMA against Ray Serve, and puma_map against Ray's and Dask's maps.

The peers are an optional extra; `make test` installs them into the test venv once (the Makefile's
`peers` target, re-run only when pyproject.toml changes), so the quick run here is never skipped.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from puma.bench import peers, peers_map, peers_serve
from tests.helpers import wait_for

ROOT = Path(__file__).parents[1]


def _puma(*args: str, timeout_s: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "puma.cli", "--log-level", "warning", *args], capture_output=True,
                          text=True, timeout=timeout_s)


def test_bench_peers_quick_writes_csv_json_and_plot(tmp_path):
    result = _puma("bench", "peers", "--quick", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr[-3000:]
    data = json.loads((tmp_path / "peers.json").read_text())
    assert data["git_revision"] and data["machine"]["cores"] and len(data["load_average"]["end"]) == 3
    steady = {r["system"]: r for r in data["serve"]["steady"]}
    assert set(steady) == {"puma", "ray-tuned"}
    for r in steady.values():
        assert r["startup_s"] > 0 and r["latency_ms"]["p50"] > 0 and r["throughput_rps"] > 0
        assert r["cpu_ms_per_request_sequential"] > 0 and r["throughput_failed"] == 0
    steps = {r["system"]: r for r in data["serve"]["load_step"]}
    assert steps["puma"]["answered"] > 0 and steps["puma"]["samples"]
    series = {p["series"] for p in data["map"]["points"]}
    assert {"puma_map", "map_reduce", "Pool.map", "ray Pool.map", "dask bag", "dask client.map"} <= series
    assert any(goal.startswith("puma_map ahead of ray") for goal in data["goals"])
    assert (tmp_path / "peers_serve.csv").read_text().startswith("system,startup_s,")
    assert len((tmp_path / "peers_map.csv").read_text().splitlines()) > 10
    assert (tmp_path / "peers.png").stat().st_size > 20_000


def test_bench_peers_pins_are_the_pyproject_extra():
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["peers"]
    assert sorted(extra) == sorted(peers.PEER_REQUIREMENTS.values())
    core = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert not any(dep.startswith(("ray", "dask", "distributed")) for dep in core)


def test_bench_peers_missing_peer_says_how_to_install(monkeypatch):
    monkeypatch.setattr(peers, "_importable", lambda module: not module.startswith("ray"))
    with pytest.raises(SystemExit) as stopped:
        peers.ensure_peers(install=False, skip_missing=False)
    message = str(stopped.value.code)
    assert "not installed: ray" in message and "pip install ray[serve]==2.60.0" in message
    assert "--skip-missing" in message and "make peers" in message
    assert peers.ensure_peers(install=False, skip_missing=True) == ["dask"]


def test_bench_peers_skip_missing_benchmarks_puma_alone(monkeypatch):
    monkeypatch.setattr(peers, "_importable", lambda module: False)
    assert peers.ensure_peers(install=False, skip_missing=True) == []
    assert peers.serve_systems([], quick=False) == ["puma"]
    assert peers.serve_systems(["ray", "dask"], quick=False) == ["puma", "ray-default", "ray-tuned"]


def test_bench_peers_capacity_reads_when_replicas_were_added():
    samples = [(-0.4, 1), (-0.2, 1), (0.1, 1), (0.6, 2), (1.1, 3), (1.6, 4), (5.0, 4), (9.0, 1)]
    requests = [(0.0, 0.01, 200), (0.5, 0.02, 200), (0.7, 0.5, 0), (1.0, 0.01, 503)]
    got = peers_serve.capacity(samples, requests, step_s=6.0)
    assert (got["first_added_s"], got["all_added_s"], got["replicas_max"]) == (0.6, 1.6, 4)
    assert (got["answered"], got["failed"]) == (2, 2)


def test_bench_peers_capacity_never_added_is_none():
    got = peers_serve.capacity([(-1.0, 1), (0.5, 1), (4.0, 1)], [(0.0, 0.01, 200)], step_s=5.0)
    assert got["first_added_s"] is None and got["all_added_s"] is None and got["replicas_max"] == 1


def test_bench_peers_map_rounds_rotate_so_no_system_always_runs_first():
    order = peers_map.rounds(["a", "b", "c", "d"], 4)
    assert [r[0] for r in order] == ["a", "b", "c", "d"]
    assert all(sorted(r) == ["a", "b", "c", "d"] for r in order)


def test_bench_peers_refuses_an_unknown_part(tmp_path):
    result = _puma("bench", "peers", "--out", str(tmp_path), "--only", "everything", timeout_s=60)
    assert result.returncode == 2 and "invalid choice: 'everything'" in result.stderr


@pytest.mark.parametrize(("args", "needle"), [
    (["--clients", "0"], "--clients 0: give at least 1 client"),
    (["--workers", "-2"], "--workers -2: give at least 1 worker"),
    (["--repeats", "0", "--requests", "-1"], "--repeats 0: give at least 1 round; --requests -1: give a count"),
    (["--step-s", "-3"], "--step-s -3.0: give a length in seconds"),
])
def test_bench_peers_names_each_bad_option_before_starting_anything(tmp_path, args, needle):
    result = _puma("bench", "peers", "--out", str(tmp_path / "out"), *args, timeout_s=60)
    assert result.returncode == 1 and needle in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_bench_peers_stopped_by_sigterm_leaves_no_ray_process_behind(tmp_path):
    # The module's fixture fails this test if any process it started (Ray's GCS, raylet, workers,
    # HAProxy; PUMA's Envoy and instances) is still running afterwards.
    out, err_path = tmp_path / "out", tmp_path / "stderr.txt"
    with err_path.open("w") as err:  # a file, not a pipe: nothing blocks on a full pipe
        proc = subprocess.Popen([sys.executable, "-m", "puma.cli", "--log-level", "warning", "bench", "peers",
                                 "--quick", "--only", "serve", "--out", str(out)],
                                stdout=subprocess.DEVNULL, stderr=err, text=True)
    try:
        log = out / "logs" / "ray-tuned.log"
        wait_for(lambda: log.exists() and "is ready at" in log.read_text(), timeout_s=240, interval_s=0.2,
                 message="Ray Serve to be serving")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=120)
    assert proc.returncode == 130 and "puma: interrupted (SIGTERM)" in err_path.read_text()
    assert "Traceback" not in err_path.read_text()
